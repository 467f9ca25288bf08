// The WSL plugin ABI as wslplug-host.exe lays it out (x64), written from the ABI facts (field
// order and the WSL version that added each field), independently of any plugin header. The
// newest layout of each table; a version's table is a prefix of it. tests/host compiles this
// header and the C++ template's WslPluginApi.h with MinGW and checks both against the offsets of
// the facts.
#pragma once

#include <windows.h>

#include <cstdint>

namespace wslplug_host_abi {

struct HostVersion {
  uint32_t Major, Minor, Revision;
};

struct ApiTable {
  HostVersion Version;
  void* MountFolder;
  void* ExecuteBinary;
  void* PluginError;
  void* ExecuteBinaryInDistribution;  // 2.1.2
  void* WSLCMountFolder;              // 2.9.0
  void* WSLCUnmountFolder;            // 2.9.0
  void* WSLCCreateProcess;            // 2.9.0
  void* WSLCProcessGetFd;             // 2.9.0
  void* WSLCProcessGetExitEvent;      // 2.9.0
  void* WSLCProcessGetExitCode;       // 2.9.0
  void* WSLCReleaseProcess;           // 2.9.0
};

struct HookTable {
  void* OnVMStarted;
  void* OnVMStopping;
  void* OnDistributionStarted;
  void* OnDistributionStopping;
  void* OnDistributionRegistered;    // 2.1.2
  void* OnDistributionUnregistered;  // 2.1.2
  void* OnSessionCreated;            // 2.9.0
  void* OnSessionStopping;           // 2.9.0
  void* ContainerStarted;            // 2.9.0
  void* ContainerStopping;           // 2.9.0
  void* ImageCreated;                // 2.9.0
  void* ImageDeleted;                // 2.9.0
  void* WslcVmStarted;               // 2.9.5
  void* WslcVmStopping;              // 2.9.5
};
constexpr int kHookSlots = sizeof(HookTable) / sizeof(void*);

struct SessionInformation {
  DWORD SessionId;
  HANDLE UserToken;
  PSID UserSid;
};

struct VmCreationSettings {
  int CustomConfigurationFlags;
};

struct DistributionInformation {
  GUID Id;
  LPCWSTR Name;
  uint64_t PidNamespace;
  LPCWSTR PackageFamilyName;
  uint32_t InitPid;  // 2.0.5
  LPCWSTR Flavor;    // 2.4.4
  LPCWSTR Version;   // 2.4.4
};

struct OfflineDistributionInformation {
  GUID Id;
  LPCWSTR Name;
  LPCWSTR PackageFamilyName;
  LPCWSTR Flavor;   // 2.4.4
  LPCWSTR Version;  // 2.4.4
};

// WSLC (2.9.0): its own session id space.
struct WslcSessionInformation {
  DWORD SessionId;
  LPCWSTR DisplayName;
  DWORD ApplicationPid;
  HANDLE UserToken;
  PSID UserSid;
};

}  // namespace wslplug_host_abi
