// {{name}}: a WSL plugin. WSL loads this DLL once, when its service starts, and calls
// WSLPluginAPIV1_EntryPoint; the plugin keeps the API table and fills the hooks it wants.
// Hooks run inside the WSL service and WSL waits for them: keep them short and never crash.
#include <windows.h>

#include <cstdarg>
#include <cstdio>

#include "WslPluginApi.h"

namespace {

// The plugin's name, also the registry value name WSL shows in its error messages.
constexpr char kPluginName[] = "{{name}}";

const WSLPluginAPIV1* g_api = nullptr;

// Appends one line to %TEMP%\{{name}}.log of the WSL service (usually C:\Windows\SystemTemp) and
// to the debugger output. Logging never makes a hook fail.
void Log(const char* format, ...) {
  char line[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  OutputDebugStringA(line);
  char path[MAX_PATH + 1];
  const DWORD length = GetTempPathA(sizeof path, path);
  if (length == 0 || length + sizeof kPluginName + 5 > sizeof path) return;
  std::snprintf(path + length, sizeof path - length, "%s.log", kPluginName);
  if (FILE* file = std::fopen(path, "a")) {
    std::fprintf(file, "%s\n", line);
    std::fclose(file);
  }
}

// True when the host's WSL version is at least major.minor.revision.
bool HostAtLeast(const WSLVersion& v, uint32_t major, uint32_t minor, uint32_t revision) {
  if (v.Major != major) return v.Major > major;
  if (v.Minor != minor) return v.Minor > minor;
  return v.Revision >= revision;
}
{{#vm_started}}

HRESULT OnVMStarted(const WSLSessionInformation* session, const WSLVmCreationSettings* settings) {
  Log("VM started, session %lu, configuration flags %d",
      static_cast<unsigned long>(session->SessionId),
      static_cast<int>(settings->CustomConfigurationFlags));
  return S_OK;
}
{{/vm_started}}
{{#vm_stopping}}

HRESULT OnVMStopping(const WSLSessionInformation* session) {
  Log("VM stopping, session %lu", static_cast<unsigned long>(session->SessionId));
  return S_OK;
}
{{/vm_stopping}}
{{#distribution_started}}

HRESULT OnDistributionStarted(const WSLSessionInformation* session,
                              const WSLDistributionInformation* distribution) {
  Log("distribution %ls started, session %lu", distribution->Name,
      static_cast<unsigned long>(session->SessionId));
  return S_OK;
}
{{/distribution_started}}
{{#distribution_stopping}}

HRESULT OnDistributionStopping(const WSLSessionInformation* session,
                               const WSLDistributionInformation* distribution) {
  Log("distribution %ls stopping, session %lu", distribution->Name,
      static_cast<unsigned long>(session->SessionId));
  return S_OK;
}
{{/distribution_stopping}}
{{#distribution_registered}}

HRESULT OnDistributionRegistered(const WSLSessionInformation* session,
                                 const WslOfflineDistributionInformation* distribution) {
  Log("distribution %ls registered, session %lu", distribution->Name,
      static_cast<unsigned long>(session->SessionId));
  return S_OK;
}
{{/distribution_registered}}
{{#distribution_unregistered}}

HRESULT OnDistributionUnregistered(const WSLSessionInformation* session,
                                   const WslOfflineDistributionInformation* distribution) {
  Log("distribution %ls unregistered, session %lu", distribution->Name,
      static_cast<unsigned long>(session->SessionId));
  return S_OK;
}
{{/distribution_unregistered}}

}  // namespace

// The exported entry point: C linkage, exact name WSLPluginAPIV1_EntryPoint.
extern "C" __declspec(dllexport) HRESULT WSLPLUGINAPI_ENTRYPOINTV1(const WSLPluginAPIV1* api,
                                                                  WSLPluginHooksV1* hooks) {
{{#has_requirement}}
  // Refuse to load on a WSL older than {{req_version}}: WSL reports WSL_E_PLUGIN_REQUIRES_UPDATE.
  WSL_PLUGIN_REQUIRE_VERSION({{req_major}}, {{req_minor}}, {{req_revision}}, api)
{{/has_requirement}}
  g_api = api;
  Log("%s loaded by WSL %u.%u.%u", kPluginName, api->Version.Major, api->Version.Minor,
      api->Version.Revision);
{{#vm_started}}
  hooks->OnVMStarted = &OnVMStarted;
{{/vm_started}}
{{#vm_stopping}}
  hooks->OnVMStopping = &OnVMStopping;
{{/vm_stopping}}
{{#distribution_started}}
  hooks->OnDistributionStarted = &OnDistributionStarted;
{{/distribution_started}}
{{#distribution_stopping}}
  hooks->OnDistributionStopping = &OnDistributionStopping;
{{/distribution_stopping}}
{{#registration_hooks}}
  // The registration hooks came with WSL 2.1.2. An older host's hook table ends before these
  // slots, so they are written only after checking the host's version.
  if (HostAtLeast(api->Version, 2, 1, 2)) {
{{#distribution_registered}}
    hooks->OnDistributionRegistered = &OnDistributionRegistered;
{{/distribution_registered}}
{{#distribution_unregistered}}
    hooks->OnDistributionUnregistered = &OnDistributionUnregistered;
{{/distribution_unregistered}}
  } else {
    Log("WSL %u.%u.%u predates the registration hooks (2.1.2): not set", api->Version.Major,
        api->Version.Minor, api->Version.Revision);
  }
{{/registration_hooks}}
{{^registration_hooks}}
  (void)&HostAtLeast;  // used when a hook newer than the base API is added
{{/registration_hooks}}
  return S_OK;
}

// The export must have exactly the type WSL calls (a compile error otherwise).
[[maybe_unused]] static const WSLPluginAPI_EntryPointV1 kEntryPointTypeCheck =
    &WSLPLUGINAPI_ENTRYPOINTV1;
