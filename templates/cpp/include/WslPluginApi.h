/*
 * WslPluginApi.h: the WSL plugin ABI (version 1), written for wslplug's C++ template from the
 * public description of the interface. Names, field order and types follow Microsoft's header of
 * the same name (NuGet package Microsoft.WSL.PluginApi, 2.4.4), so that header can replace this
 * file unchanged: delete this file and add the package's build/native/include to the include path.
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

struct WSLPluginHooksV1 {
  WSLPluginAPI_OnVMStarted OnVMStarted;
  WSLPluginAPI_OnVMStopping OnVMStopping;
  WSLPluginAPI_OnDistributionStarted OnDistributionStarted;
  WSLPluginAPI_OnDistributionStopping OnDistributionStopping;
  WSLPluginAPI_OnDistributionRegistered OnDistributionRegistered;   /* since 2.1.2 */
  WSLPluginAPI_OnDistributionRegistered OnDistributionUnregistered; /* since 2.1.2 */
};

struct WSLPluginAPIV1 {
  struct WSLVersion Version;
  WSLPluginAPI_MountFolder MountFolder;
  WSLPluginAPI_ExecuteBinary ExecuteBinary;
  WSLPluginAPI_PluginError PluginError;
  WSLPluginAPI_ExecuteBinaryInDistribution ExecuteBinaryInDistribution; /* since 2.1.2 */
};

typedef HRESULT (*WSLPluginAPI_EntryPointV1)(const struct WSLPluginAPIV1* Api,
                                             struct WSLPluginHooksV1* Hooks);

#ifdef __cplusplus
}
#endif

#endif /* WSLPLUG_WSL_PLUGIN_API_H_ */
