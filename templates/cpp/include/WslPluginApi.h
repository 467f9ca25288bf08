/*
 * WslPluginApi.h: the WSL plugin ABI (version 1), written for wslplug's C++ template from the
 * public description of the interface. Names, field order and types follow Microsoft's header of
 * the same name (NuGet package Microsoft.WSL.PluginApi, 2.9.x, with the WSL Containers (WSLC) hooks
 * and calls), so that header can replace this file unchanged: delete this file and add the
 * package's build/native/include to the include path (`wslplug new --sdk` does that for you).
 *
 * ABI rules: the host's tables only grow at the end. A field marked "since X.Y.Z" exists only when
 * the host's Api->Version is at least X.Y.Z; never write a newer hook slot or call a newer API slot
 * before checking the version.
 */
#ifndef WSLPLUG_WSL_PLUGIN_API_H_
#define WSLPLUG_WSL_PLUGIN_API_H_
#pragma once

#include <stdint.h>
/* Lowercase on purpose: MinGW cross-builds run on case-sensitive file systems. */
#include <windows.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The exported entry point's name. WSL looks it up with GetProcAddress. */
#define WSLPLUGINAPI_ENTRYPOINTV1 WSLPluginAPIV1_EntryPoint

/* Returned when the host's WSL version is older than the plugin requires (0x8004032A). */
#define WSL_E_PLUGIN_REQUIRES_UPDATE MAKE_HRESULT(SEVERITY_ERROR, FACILITY_ITF, 0x032A)

/* Returned by WSLC calls when the WSLC session has no running VM (0x80040610). WSLC calls never
 * start a VM. */
#ifndef WSLC_E_VM_NOT_RUNNING
#define WSLC_E_VM_NOT_RUNNING MAKE_HRESULT(SEVERITY_ERROR, FACILITY_ITF, 0x0610)
#endif

/* Inside the entry point: returns WSL_E_PLUGIN_REQUIRES_UPDATE when the host is older than
 * Major.Minor.Revision (compared in that order). */
#define WSL_PLUGIN_REQUIRE_VERSION(_Major, _Minor, _Revision, Api)                               \
  if ((Api)->Version.Major < (_Major) ||                                                         \
      ((Api)->Version.Major == (_Major) && (Api)->Version.Minor < (_Minor)) ||                   \
      ((Api)->Version.Major == (_Major) && (Api)->Version.Minor == (_Minor) &&                   \
       (Api)->Version.Revision < (_Revision))) {                                                 \
    return WSL_E_PLUGIN_REQUIRES_UPDATE;                                                         \
  }

/* The WSL package version of the host, e.g. 2.4.4. */
struct WSLVersion {
  uint32_t Major;
  uint32_t Minor;
  uint32_t Revision;
};

/* Flags describing the user's .wslconfig. */
enum WSLUserConfiguration {
  None = 0,
  WSLUserConfigurationCustomKernel = 1,
  WSLUserConfigurationCustomKernelCommandLine = 2
};

#ifdef __cplusplus
DEFINE_ENUM_FLAG_OPERATORS(WSLUserConfiguration)
#endif

struct WSLVmCreationSettings {
  enum WSLUserConfiguration CustomConfigurationFlags;
};

typedef DWORD WSLSessionId;

struct WSLSessionInformation {
  WSLSessionId SessionId;
  HANDLE UserToken; /* owned by WSL: do not close */
  PSID UserSid;
};

struct WSLDistributionInformation {
  GUID Id; /* stable across reboots */
  LPCWSTR Name;
  uint64_t PidNamespace;
  LPCWSTR PackageFamilyName; /* NULL (or empty) when the distribution is not packaged */
  uint32_t InitPid;          /* since 2.0.5 */
  LPCWSTR Flavor;            /* since 2.4.4, e.g. "ubuntu" */
  LPCWSTR Version;           /* since 2.4.4 */
};

struct WslOfflineDistributionInformation {
  GUID Id;
  LPCWSTR Name;
  LPCWSTR PackageFamilyName;
  LPCWSTR Flavor;  /* since 2.4.4 */
  LPCWSTR Version; /* since 2.4.4 */
};

/* ---- WSL Containers (WSLC), since 2.9.0 ---- */

/* A WSLC session's id: its own id space, unrelated to WSLSessionId. */
typedef DWORD WSLCSessionId;

/* The WSLC session passed to the WSLC hooks (valid only during the call). */
struct WSLCSessionInformation {
  WSLCSessionId SessionId;
  LPCWSTR DisplayName;
  DWORD ApplicationPid; /* the process that created the session */
  HANDLE UserToken;     /* owned by WSL: do not close */
  PSID UserSid;
};

/* A process started with WSLCCreateProcess; give it back with WSLCReleaseProcess. */
typedef void* WSLCProcessHandle;

/* Which standard stream WSLCProcessGetFd returns. */
typedef enum _WSLCProcessFd {
  WSLCProcessFdStdin = 0,
  WSLCProcessFdStdout = 1,
  WSLCProcessFdStderr = 2
} WSLCProcessFd;

/* ---- calls the plugin can make (the host's table) ---- */

/* Mounts a Windows folder into the VM's root namespace (Plan 9). */
typedef HRESULT (*WSLPluginAPI_MountFolder)(WSLSessionId Session, LPCWSTR WindowsPath,
                                            LPCWSTR LinuxPath, BOOL ReadOnly, LPCWSTR Name);

/* Runs a program in the VM's root namespace. Arguments is NULL-terminated. On success Socket
 * carries stdin and stdout; stderr goes to dmesg. */
typedef HRESULT (*WSLPluginAPI_ExecuteBinary)(WSLSessionId Session, LPCSTR Path,
                                              LPCSTR* Arguments, SOCKET* Socket);

/* Sets the message shown to the user. Only synchronously inside OnVMStarted or
 * OnDistributionStarted. */
typedef HRESULT (*WSLPluginAPI_PluginError)(LPCWSTR UserMessage);

/* Runs a program in a distribution. Since 2.1.2. */
typedef HRESULT (*WSLPluginAPI_ExecuteBinaryInDistribution)(WSLSessionId Session,
                                                            const GUID* Distribution, LPCSTR Path,
                                                            LPCSTR* Arguments, SOCKET* Socket);

/* WSLC calls (since 2.9.0). Each fails with WSLC_E_VM_NOT_RUNNING when the session's VM does not
 * run, and with E_POINTER for a NULL required argument. */

/* Mounts a Windows folder at Mountpoint in the WSLC session's VM. */
typedef HRESULT (*WSLCPluginAPI_MountFolder)(WSLCSessionId Session, LPCWSTR WindowsPath,
                                             LPCSTR Mountpoint, BOOL ReadOnly);
/* Unmounts a folder mounted with WSLCMountFolder. */
typedef HRESULT (*WSLCPluginAPI_UnmountFolder)(WSLCSessionId Session, LPCSTR Mountpoint);
/* Starts Executable in the session VM's root namespace. Arguments and Env are NULL-terminated;
 * Env may be NULL; Errno (optional) receives errno when the process cannot start. On success
 * Process must be given back with WSLCReleaseProcess. */
typedef HRESULT (*WSLCPluginAPI_CreateProcess)(WSLCSessionId Session, LPCSTR Executable,
                                               LPCSTR* Arguments, LPCSTR* Env,
                                               WSLCProcessHandle* Process, int* Errno);
/* One of the process's standard streams; the caller owns the handle and closes it. */
typedef HRESULT (*WSLCPluginAPI_ProcessGetFd)(WSLCProcessHandle Process, WSLCProcessFd Fd,
                                              HANDLE* Handle);
/* An event signalled when the process exits; the caller owns the handle and closes it. */
typedef HRESULT (*WSLCPluginAPI_ProcessGetExitEvent)(WSLCProcessHandle Process,
                                                     HANDLE* ExitEvent);
/* The exit code; the process must have exited (HRESULT_FROM_WIN32(ERROR_INVALID_STATE) before). */
typedef HRESULT (*WSLCPluginAPI_ProcessGetExitCode)(WSLCProcessHandle Process, int* ExitCode);
/* Gives the process back. Close every handle from ProcessGetFd / ProcessGetExitEvent first. */
typedef void (*WSLCPluginAPI_ReleaseProcess)(WSLCProcessHandle Process);

/* ---- hooks the plugin can set (pointers are valid only during the call) ---- */

/* A failure tears the VM down and shows the error. */
typedef HRESULT (*WSLPluginAPI_OnVMStarted)(const struct WSLSessionInformation* Session,
                                            const struct WSLVmCreationSettings* UserSettings);
/* Failures are logged and ignored. */
typedef HRESULT (*WSLPluginAPI_OnVMStopping)(const struct WSLSessionInformation* Session);
/* A failure makes the distribution's start fail. */
typedef HRESULT (*WSLPluginAPI_OnDistributionStarted)(
    const struct WSLSessionInformation* Session,
    const struct WSLDistributionInformation* Distribution);
/* Failures are logged; may be called more than once if stopping fails. */
typedef HRESULT (*WSLPluginAPI_OnDistributionStopping)(
    const struct WSLSessionInformation* Session,
    const struct WSLDistributionInformation* Distribution);
/* Registration and unregistration; failures do not fail the operation. Since 2.1.2. */
typedef HRESULT (*WSLPluginAPI_OnDistributionRegistered)(
    const struct WSLSessionInformation* Session,
    const struct WslOfflineDistributionInformation* Distribution);

/* WSLC hooks (since 2.9.0; WslcVmStarted / WslcVmStopping since 2.9.5). Only OnSessionCreated and
 * ContainerStarted can veto (a failure aborts the session's or the container's creation); the
 * other failures are logged and ignored. */

/* A WSLC session was created. A failure aborts its creation. */
typedef HRESULT (*WSLPluginAPI_OnSessionCreated)(const struct WSLCSessionInformation* Session);
/* A WSLC session is stopping. Failures are ignored. */
typedef HRESULT (*WSLPluginAPI_OnSessionStopping)(const struct WSLCSessionInformation* Session);
/* A container started; InspectContainer is its inspect document (JSON). A failure aborts the
 * container's creation (WSL stops the container). */
typedef HRESULT (*WSLPluginAPI_ContainerStarted)(const struct WSLCSessionInformation* Session,
                                                 LPCSTR InspectContainer);
/* A container is stopping. Failures are ignored. */
typedef HRESULT (*WSLPluginAPI_ContainerStopping)(const struct WSLCSessionInformation* Session,
                                                  LPCSTR ContainerId);
/* An image was pulled or imported (not loaded or built); InspectImage is JSON. Failures are
 * ignored. */
typedef HRESULT (*WSLPluginAPI_ImageCreated)(const struct WSLCSessionInformation* Session,
                                             LPCSTR InspectImage);
/* An image was deleted. Failures are ignored. */
typedef HRESULT (*WSLPluginAPI_ImageDeleted)(const struct WSLCSessionInformation* Session,
                                             LPCSTR ImageId);
/* The session's VM started (on every start and restart). Failures are logged and ignored. */
typedef HRESULT (*WSLPluginAPI_WslcVmStarted)(const struct WSLCSessionInformation* Session);
/* The session's VM is stopping; it still runs during the call. Failures are logged and ignored. */
typedef HRESULT (*WSLPluginAPI_WslcVmStopping)(const struct WSLCSessionInformation* Session);

struct WSLPluginHooksV1 {
  WSLPluginAPI_OnVMStarted OnVMStarted;
  WSLPluginAPI_OnVMStopping OnVMStopping;
  WSLPluginAPI_OnDistributionStarted OnDistributionStarted;
  WSLPluginAPI_OnDistributionStopping OnDistributionStopping;
  WSLPluginAPI_OnDistributionRegistered OnDistributionRegistered;   /* since 2.1.2 */
  WSLPluginAPI_OnDistributionRegistered OnDistributionUnregistered; /* since 2.1.2 */
  /* WSLC: plugins built against an older header leave these zero. */
  WSLPluginAPI_OnSessionCreated OnSessionCreated;   /* since 2.9.0 */
  WSLPluginAPI_OnSessionStopping OnSessionStopping; /* since 2.9.0 */
  WSLPluginAPI_ContainerStarted ContainerStarted;   /* since 2.9.0 */
  WSLPluginAPI_ContainerStopping ContainerStopping; /* since 2.9.0 */
  WSLPluginAPI_ImageCreated ImageCreated;           /* since 2.9.0 */
  WSLPluginAPI_ImageDeleted ImageDeleted;           /* since 2.9.0 */
  WSLPluginAPI_WslcVmStarted WslcVmStarted;         /* since 2.9.5 */
  WSLPluginAPI_WslcVmStopping WslcVmStopping;       /* since 2.9.5 */
};

struct WSLPluginAPIV1 {
  struct WSLVersion Version;
  WSLPluginAPI_MountFolder MountFolder;
  WSLPluginAPI_ExecuteBinary ExecuteBinary;
  WSLPluginAPI_PluginError PluginError;
  WSLPluginAPI_ExecuteBinaryInDistribution ExecuteBinaryInDistribution; /* since 2.1.2 */
  WSLCPluginAPI_MountFolder WSLCMountFolder;                             /* since 2.9.0 */
  WSLCPluginAPI_UnmountFolder WSLCUnmountFolder;                         /* since 2.9.0 */
  WSLCPluginAPI_CreateProcess WSLCCreateProcess;                         /* since 2.9.0 */
  WSLCPluginAPI_ProcessGetFd WSLCProcessGetFd;                           /* since 2.9.0 */
  WSLCPluginAPI_ProcessGetExitEvent WSLCProcessGetExitEvent;             /* since 2.9.0 */
  WSLCPluginAPI_ProcessGetExitCode WSLCProcessGetExitCode;               /* since 2.9.0 */
  WSLCPluginAPI_ReleaseProcess WSLCReleaseProcess;                       /* since 2.9.0 */
};

typedef HRESULT (*WSLPluginAPI_EntryPointV1)(const struct WSLPluginAPIV1* Api,
                                             struct WSLPluginHooksV1* Hooks);

#ifdef __cplusplus
}
#endif

#endif /* WSLPLUG_WSL_PLUGIN_API_H_ */
