// {{name}}: a WSL plugin. WSL loads this DLL once, when its service starts, and calls
// WSLPluginAPIV1_EntryPoint; the plugin keeps the API table and fills the hooks it wants.
// Hooks run inside the WSL service and WSL waits for them: keep them short and never crash.
#include <windows.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
{{#container_started}}
#include <string>
#include <string_view>
{{/container_started}}

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
{{#session_created}}

// WSL Containers (WSLC, since 2.9.0). A failure here aborts the session's creation: return S_OK
// unless the session must not exist. The session's VM does not run yet (WSLC calls would answer
// WSLC_E_VM_NOT_RUNNING).
HRESULT OnSessionCreated(const WSLCSessionInformation* session) {
  Log("WSLC session %lu created (%ls), application pid %lu",
      static_cast<unsigned long>(session->SessionId),
      session->DisplayName ? session->DisplayName : L"", // never assume a string is set
      static_cast<unsigned long>(session->ApplicationPid));
  return S_OK;
}
{{/session_created}}
{{#session_stopping}}

// Failures are logged and ignored.
HRESULT OnSessionStopping(const WSLCSessionInformation* session) {
  Log("WSLC session %lu stopping", static_cast<unsigned long>(session->SessionId));
  return S_OK;
}
{{/session_stopping}}
{{#container_started}}

// Copies the string value of the first "key": "value" pair in a JSON document into out (at most
// size - 1 bytes, NUL-terminated; escapes are copied as they are). False when the key is missing
// or the value is not a string. The document is read up to kMaxJson bytes, never past its NUL.
bool JsonStringField(const char* json, const char* key, char* out, size_t size) {
  constexpr size_t kMaxJson = 1 << 20;
  if (!json || !key || !out || size == 0) return false;
  out[0] = '\0';
  const size_t length = strnlen(json, kMaxJson);
  const std::string_view doc(json, length);
  const std::string quoted = std::string("\"") + key + "\"";
  for (size_t at = doc.find(quoted); at != std::string_view::npos;
       at = doc.find(quoted, at + 1)) {
    size_t p = at + quoted.size();
    while (p < length && (doc[p] == ' ' || doc[p] == '\t' || doc[p] == '\r' || doc[p] == '\n')) ++p;
    if (p >= length || doc[p] != ':') continue;  // a value that happens to equal the key
    ++p;
    while (p < length && (doc[p] == ' ' || doc[p] == '\t' || doc[p] == '\r' || doc[p] == '\n')) ++p;
    if (p >= length || doc[p] != '"') return false;
    size_t n = 0;
    for (++p; p < length && doc[p] != '"' && n + 1 < size; ++p) {
      if (doc[p] == '\\' && p + 1 < length) out[n++] = doc[p++];
      if (n + 1 < size) out[n++] = doc[p];
    }
    out[n] = '\0';
    return true;
  }
  return false;
}

// Images this plugin refuses to run (a prefix of the container's Config.Image); empty: none.
constexpr char kDeniedImagePrefix[] = "";

// A container started. InspectContainer is its inspect document (JSON, valid only during the
// call: copy what you keep). A failure aborts the container's creation (WSL stops it): that is
// how a policy plugin vetoes a container. Call PluginError first so the user sees why.
HRESULT ContainerStarted(const WSLCSessionInformation* session, LPCSTR inspect_container) {
  char id[80] = "", image[256] = "";
  JsonStringField(inspect_container, "Id", id, sizeof id);
  JsonStringField(inspect_container, "Image", image, sizeof image);
  Log("WSLC session %lu: container %s started (image %s)",
      static_cast<unsigned long>(session->SessionId), id, image);
  if (kDeniedImagePrefix[0] != '\0' &&
      std::strncmp(image, kDeniedImagePrefix, std::strlen(kDeniedImagePrefix)) == 0) {
    g_api->PluginError(L"this image is not allowed by the {{name}} plugin");
    return E_ACCESSDENIED;
  }
  return S_OK;
}
{{/container_started}}
{{#container_stopping}}

// Failures are logged and ignored.
HRESULT ContainerStopping(const WSLCSessionInformation* session, LPCSTR container_id) {
  Log("WSLC session %lu: container %s stopping", static_cast<unsigned long>(session->SessionId),
      container_id ? container_id : "(null)");
  return S_OK;
}
{{/container_stopping}}
{{#image_created}}

// An image was pulled or imported (not loaded or built). Failures are logged and ignored.
HRESULT ImageCreated(const WSLCSessionInformation* session, LPCSTR inspect_image) {
  Log("WSLC session %lu: image created (%zu bytes of inspect JSON)",
      static_cast<unsigned long>(session->SessionId),
      inspect_image ? strnlen(inspect_image, 1 << 20) : static_cast<size_t>(0));
  return S_OK;
}
{{/image_created}}
{{#image_deleted}}

// Failures are logged and ignored.
HRESULT ImageDeleted(const WSLCSessionInformation* session, LPCSTR image_id) {
  Log("WSLC session %lu: image %s deleted", static_cast<unsigned long>(session->SessionId),
      image_id ? image_id : "(null)");
  return S_OK;
}
{{/image_deleted}}
{{#wslc_vm_started}}

// Gives a WSLC process back on every path out of the scope that created it (after closing the
// handles taken from it, which the members below own).
struct WslcProcess {
  WSLCProcessHandle handle = nullptr;
  HANDLE out = nullptr;
  HANDLE exited = nullptr;
  ~WslcProcess() {
    if (out) CloseHandle(out);
    if (exited) CloseHandle(exited);
    if (handle) g_api->WSLCReleaseProcess(handle);
  }
};

// The session's VM started (since 2.9.5; on every start and restart). WSLC calls work from here
// until WslcVmStopping returns. Failures are logged and ignored. Runs `uname -r` in the VM.
HRESULT WslcVmStarted(const WSLCSessionInformation* session) {
  LPCSTR arguments[] = {"/bin/uname", "-r", nullptr};
  WslcProcess process;
  int error = 0;
  HRESULT hr = g_api->WSLCCreateProcess(session->SessionId, arguments[0], arguments, nullptr,
                                        &process.handle, &error);
  if (FAILED(hr)) {
    Log("WSLCCreateProcess failed: 0x%08lx (errno %d)", static_cast<unsigned long>(hr), error);
    return S_OK;
  }
  if (FAILED(hr = g_api->WSLCProcessGetFd(process.handle, WSLCProcessFdStdout, &process.out)) ||
      FAILED(hr = g_api->WSLCProcessGetExitEvent(process.handle, &process.exited))) {
    Log("WSLC process handles: 0x%08lx", static_cast<unsigned long>(hr));
    return S_OK;  // ~WslcProcess releases the process
  }
  char output[256] = "";
  DWORD total = 0, got = 0;
  while (total + 1 < sizeof output &&
         ReadFile(process.out, output + total, static_cast<DWORD>(sizeof output - 1 - total), &got,
                  nullptr) &&
         got > 0)
    total += got;
  output[total] = '\0';
  int exit_code = -1;
  // The exit code exists only once the process exited: wait for the event first.
  if (WaitForSingleObject(process.exited, 5000) == WAIT_OBJECT_0 &&
      SUCCEEDED(g_api->WSLCProcessGetExitCode(process.handle, &exit_code)))
    Log("WSLC VM started: kernel %s (exit code %d)", output, exit_code);
  else
    Log("WSLC VM started: uname did not exit in time");
  return S_OK;
}
{{/wslc_vm_started}}
{{#wslc_vm_stopping}}

// The session's VM is stopping (since 2.9.5); it still runs during the call. Failures are logged
// and ignored.
HRESULT WslcVmStopping(const WSLCSessionInformation* session) {
  Log("WSLC session %lu: VM stopping", static_cast<unsigned long>(session->SessionId));
  return S_OK;
}
{{/wslc_vm_stopping}}

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
{{#wslc_hooks}}
  // The WSL Containers (WSLC) hooks came with WSL 2.9.0. An older host's hook table ends before
  // these slots: each is written only after checking the host's version.
  if (HostAtLeast(api->Version, 2, 9, 0)) {
{{#session_created}}
    hooks->OnSessionCreated = &OnSessionCreated;
{{/session_created}}
{{#session_stopping}}
    hooks->OnSessionStopping = &OnSessionStopping;
{{/session_stopping}}
{{#container_started}}
    hooks->ContainerStarted = &ContainerStarted;
{{/container_started}}
{{#container_stopping}}
    hooks->ContainerStopping = &ContainerStopping;
{{/container_stopping}}
{{#image_created}}
    hooks->ImageCreated = &ImageCreated;
{{/image_created}}
{{#image_deleted}}
    hooks->ImageDeleted = &ImageDeleted;
{{/image_deleted}}
  } else {
    Log("WSL %u.%u.%u predates the WSLC hooks (2.9.0): not set", api->Version.Major,
        api->Version.Minor, api->Version.Revision);
  }
{{/wslc_hooks}}
{{#wslc_vm_hooks}}
  // WslcVmStarted and WslcVmStopping came with WSL 2.9.5.
  if (HostAtLeast(api->Version, 2, 9, 5)) {
{{#wslc_vm_started}}
    hooks->WslcVmStarted = &WslcVmStarted;
{{/wslc_vm_started}}
{{#wslc_vm_stopping}}
    hooks->WslcVmStopping = &WslcVmStopping;
{{/wslc_vm_stopping}}
  } else {
    Log("WSL %u.%u.%u predates the WSLC VM hooks (2.9.5): not set", api->Version.Major,
        api->Version.Minor, api->Version.Revision);
  }
{{/wslc_vm_hooks}}
{{^versioned_hooks}}
  (void)&HostAtLeast;  // used when a hook newer than the base API is added
{{/versioned_hooks}}
  return S_OK;
}

// The export must have exactly the type WSL calls (a compile error otherwise).
[[maybe_unused]] static const WSLPluginAPI_EntryPointV1 kEntryPointTypeCheck =
    &WSLPLUGINAPI_ENTRYPOINTV1;
