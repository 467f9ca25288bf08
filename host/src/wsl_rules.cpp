// WSL's rules: its messages, what a failed hook does, and WSL's answer to each API call.
#include "driver.hpp"

namespace wslplug::host::driver {

std::string msg_fatal(const std::string& name) {
  return fmt::format("A fatal error was returned by plugin '{}'", name);
}
std::string msg_fatal_with(const std::string& name, const std::string& message) {
  return fmt::format("A fatal error was returned by plugin '{}'. Error message: '{}'", name,
                     message);
}
std::string msg_requires_update(const std::string& name) {
  return fmt::format(
      "The plugin '{}' requires a newer version of WSL. Please run: wsl.exe --update", name);
}

std::pair<std::string, std::string> explain(std::uint32_t hr) {
  if (const auto* k = doctor::find_known(hr)) {
    std::string fix = k->fixes[0].empty() ? std::string() : std::string(k->fixes[0]);
    return {std::string(k->summary), fix};
  }
  return {fmt::format("{} is the plugin's own failure code (not in wslplug's knowledge base)",
                      name_or_hex(hr)),
          "see the plugin's log for why it returned this code"};
}

bool is_start_hook(std::string_view hook) {
  return hook == "OnVMStarted" || hook == "OnDistributionStarted";
}
// The WSLC hooks whose failure aborts the operation.
bool is_wslc_veto_hook(std::string_view hook) {
  return hook == "OnSessionCreated" || hook == "ContainerStarted";
}

std::string crash_effect(const std::string& hook) {
  std::string isolated =
      is_start_hook(hook)
          ? fmt::format(
                "with the isolated plugin host (microsoft/WSL PR #40769, not released) "
                "the host crash is classified like IsHostCrash and latched: this {} "
                "fails with the RPC error as a fatal plugin error, and every later start "
                "fails fast until the service restarts",
                hook == "OnVMStarted" ? "VM start" : "distribution start")
          : "with the isolated plugin host (microsoft/WSL PR #40769, not released) the host "
            "crash is classified like IsHostCrash, logged, and the service goes on (later "
            "starts fail fast)";
  return "In-process WSL (every released version): the exception ends wslservice.exe and every "
         "running distribution with it; wsl.exe's call fails with RPC_S_CALL_FAILED. " +
         std::string(1, static_cast<char>(std::toupper(isolated[0]))) + isolated.substr(1) + ".";
}

std::string exit_description(int status) {
  const unsigned code = static_cast<unsigned>(status) & 0xffffffffu;
  switch (code) {
    case 3:
      return "the process ended with exit code 3: abort() (or std::terminate) in the plugin";
    case 0xC0000409u:
      return "fail-fast (__fastfail / STATUS_STACK_BUFFER_OVERRUN): abort, a Rust panic that "
             "cannot unwind, or a detected buffer overrun";
    default:
      return fmt::format(
          "the host process ended with exit status {} while the plugin's code "
          "ran, without an exception report",
          status);
  }
}

json VersionRun::wsl_for_event(const json& event, std::uint32_t hr, bool has_hr) {
  const std::string hook = event["hook"].get<std::string>();
  const json& perr = event["plugin_error"];
  const std::string& name = o_.plugin_name;
  if (!has_hr) return nullptr;
  if (is_start_hook(hook)) {
    const std::string prefix = hook == "OnVMStarted" ? "Wsl/Service/CreateInstance/CreateVm/Plugin/"
                                                     : "Wsl/Service/CreateInstance/Plugin/";
    const std::string what =
        hook == "OnVMStarted"
            ? "the VM is torn down: no WSL2 distribution starts"
            : fmt::format(
                  "the distribution '{}' does not start (others are "
                  "not affected)",
                  event["distribution"].is_string() ? event["distribution"].get<std::string>()
                                                    : "");
    if (failed(hr)) {
      auto [expl, fix] = explain(hr);
      return {{"fails", true},
              {"error_code", prefix + doctor::wsl_code_string(hr)},
              {"message",
               perr.is_string() ? msg_fatal_with(name, perr.get<std::string>()) : msg_fatal(name)},
              {"effect", what + "; wsl.exe prints the message and the error code"},
              {"explanation", expl},
              {"fix", perr.is_string() ? fix
                                       : fix + " (and call PluginError with a message before "
                                               "returning the failure, so users see why)"}};
    }
    if (perr.is_string()) {
      auto [expl, fix] = explain(kIllegalStateChange);
      return {{"fails", true},
              {"error_code", prefix + doctor::wsl_code_string(kIllegalStateChange)},
              {"message", std::string(kMsgInvalidState)},
              {"effect", what + ": the plugin emitted an error message but returned success, so "
                                "WSL throws E_ILLEGAL_STATE_CHANGE and shows its unrelated generic "
                                "text (the plugin's message is lost)"},
              {"explanation", expl},
              {"fix", fix}};
    }
    return nullptr;
  }
  if (is_wslc_veto_hook(hook)) {
    // WSLC reuses the plugin-error rules of the start hooks and names the plugin; the context
    // bits are Wsl, Service, Plugin and WslC (in ascending bit order).
    const std::string prefix = "Wsl/Service/Plugin/WslC/";
    const bool session = hook == "OnSessionCreated";
    const std::string what =
        session ? "the WSLC session is not created: the application that asked for it gets the "
                  "error, and no WSLC hook runs for that session"
                : "the container is not created: WSL stops the container it had started (if "
                  "that stop fails, the user sees \"" +
                      fmt::format(fmt::runtime(kMsgContainerStopFailed), "<container id>") +
                      "\" instead)";
    if (failed(hr)) {
      auto [expl, fix] = explain(hr);
      return {{"fails", true},
              {"error_code", prefix + doctor::wsl_code_string(hr)},
              {"message",
               perr.is_string() ? msg_fatal_with(name, perr.get<std::string>()) : msg_fatal(name)},
              {"effect", what},
              {"explanation", expl},
              {"fix", session ? "if the veto is intended, call PluginError with the reason "
                                "first so users see it; otherwise return S_OK"
                              : "if the veto is intended (a policy), call PluginError with the "
                                "reason first; otherwise return S_OK. " +
                                    fix}};
    }
    if (perr.is_string()) {
      auto [expl, fix] = explain(kIllegalStateChange);
      return {{"fails", true},
              {"error_code", prefix + doctor::wsl_code_string(kIllegalStateChange)},
              {"message", std::string(kMsgInvalidState)},
              {"effect", what + ": the plugin emitted an error message but returned success, so "
                                "WSL throws E_ILLEGAL_STATE_CHANGE (the plugin's message is lost)"},
              {"explanation", expl},
              {"fix", fix}};
    }
    return nullptr;
  }
  if (failed(hr))
    return {{"fails", false},
            {"error_code", nullptr},
            {"message", nullptr},
            {"effect", hook == "OnDistributionStopping"
                           ? "logged and ignored (WSL may call OnDistributionStopping again when "
                             "stopping fails)"
                           : "logged and ignored: users never see it"},
            {"explanation", explain(hr).first},
            {"fix", "nothing fails in WSL; return S_OK unless the log line helps you"}};
  return nullptr;
}

// An ExecuteBinary call's process: who served it, its output, input, stderr and exit code.

void VersionRun::note_call(Call& c, const json& where, Verdict& v) {
  json& j = c.j;
  const bool exec_call = c.name == "ExecuteBinary" || c.name == "ExecuteBinaryInDistribution";
  if (c.hr == kRpcDisconnected) {
    j["note"] = fmt::format(
        "unknown session id {} (this run's session is {}): WSL answers "
        "RPC_E_DISCONNECTED for an unknown or stale session",
        j["args"].value("session", 0LL), kSessionId);
    v.problem("warning", "stale-session",
              fmt::format("{} used session id {}", c.name, j["args"].value("session", 0LL)),
              "use the SessionId of the WSLSessionInformation WSL passed to the hook", where);
  } else if (c.name == "PluginError") {
    if (c.hr == kEInvalidArg) {
      j["note"] = "NULL message: WSL answers E_INVALIDARG";
      v.problem("warning", "plugin-error-null", "PluginError was called with a NULL message",
                "pass the text users should see", where);
    } else if (c.hr == kIllegalMethodCall) {
      const std::string from = j["thread"] == "worker"        ? "a worker thread"
                               : j["thread"] == "entry-point" ? "the entry point"
                                                              : "outside a hook";
      j["note"] =
          "PluginError is allowed only synchronously, on the thread running "
          "OnVMStarted or OnDistributionStarted: WSL answers E_ILLEGAL_METHOD_CALL";
      v.problem("warning", "plugin-error-outside-hook",
                fmt::format("PluginError was called from {}: WSL refuses it with "
                            "E_ILLEGAL_METHOD_CALL and the message never reaches the user",
                            from),
                "call PluginError on the hook's own thread before the hook returns its failure",
                where);
    } else if (c.hr == kIllegalStateChange) {
      j["note"] =
          "PluginError was already called in this hook: WSL answers "
          "E_ILLEGAL_STATE_CHANGE and keeps the first message";
      v.problem("warning", "plugin-error-twice", "PluginError was called twice in one hook",
                "call PluginError once per hook", where);
    }
  } else if (c.name == "MountFolder" && c.hr == kFileNotFound) {
    j["note"] =
        "the Windows folder does not exist: WSL answers "
        "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)";
    v.problem("warning", "mount-missing",
              fmt::format("MountFolder of a Windows path that does not exist ({})",
                          j["args"]["windows_path"].is_string()
                              ? j["args"]["windows_path"].get<std::string>()
                              : "NULL"),
              "create the folder first, or check the path", where);
  } else if (c.name.starts_with("WSLC") && c.hr == kWslcVmNotRunning) {
    j["note"] =
        "the WSLC session's VM does not run now (before WslcVmStarted, after WslcVmStopping, or "
        "during the WslcVmStopping that ends the session): WSLC calls never start a VM and "
        "answer WSLC_E_VM_NOT_RUNNING";
    v.problem("warning", "wslc-vm-not-running",
              fmt::format("{} was called while the WSLC session's VM does not run: WSL answers "
                          "WSLC_E_VM_NOT_RUNNING",
                          c.name),
              "make WSLC calls while the VM runs: in WslcVmStarted (2.9.5) or a container hook, "
              "not in OnSessionCreated or OnSessionStopping",
              where);
  } else if (c.name.starts_with("WSLC") && c.hr == kNotFound) {
    j["note"] = fmt::format(
        "no WSLC session has id {} (this run's is {}): this harness answers "
        "HRESULT_FROM_WIN32(ERROR_NOT_FOUND)",
        j["args"].value("session", 0LL), o_.wslc_session.id);
    v.problem("warning", "wslc-unknown-session",
              fmt::format("{} used WSLC session id {}, which does not exist", c.name,
                          j["args"].value("session", 0LL)),
              "use the SessionId of the WSLCSessionInformation of the hook (WSLC ids are not "
              "WSLSessionId values)",
              where);
  } else if (c.name == "WSLCProcessGetExitCode" && c.hr == kInvalidState) {
    j["note"] =
        "the process has not exited yet: WSL answers HRESULT_FROM_WIN32(ERROR_INVALID_STATE)";
    v.problem("warning", "wslc-exit-code-early",
              "WSLCProcessGetExitCode was called before the process exited",
              "wait for the event of WSLCProcessGetExitEvent first", where);
  } else if (c.name == "WSLCReleaseProcess" && j["args"].value("state", "") == "unknown") {
    j["note"] = "this handle is not a live WSLC process (released already, or never created)";
    v.problem("error", "wslc-release-invalid",
              "WSLCReleaseProcess was given a handle that is not a live process (a second "
              "release, or a made-up handle): in WSL's service that is a use after free",
              "release each process handle exactly once, and set your copy to NULL", where);
  } else if (c.name == "WSLCCreateProcess" && failed(c.hr) && c.hr != 0x80004003) {
    v.problem(
        "warning", "exec-failed",
        fmt::format("WSLCCreateProcess of {} failed: {}",
                    j["args"]["path"].is_string() ? j["args"]["path"].get<std::string>() : "NULL",
                    j["note"].is_string() ? j["note"].get<std::string>() : name_or_hex(c.hr)),
        "check the path exists in the session's VM", where);
  } else if (c.hr == kEInvalidArg || c.hr == 0x80004003) {
    j["note"] = "a required argument is NULL";
    v.problem("warning", "invalid-argument", c.name + " was called with a NULL argument",
              "pass every required argument", where);
  } else if (exec_call && failed(c.hr) && j["served_by"] != "canned") {
    v.problem(
        "warning", "exec-failed",
        fmt::format("{} of {} failed: {}", c.name,
                    j["args"]["path"].is_string() ? j["args"]["path"].get<std::string>() : "NULL",
                    j["note"].is_string() ? j["note"].get<std::string>() : name_or_hex(c.hr)),
        "check the path exists in the VM (or the distribution)", where);
  }
}

// Calls: into the entry point, the hooks, or "late".

}  // namespace wslplug::host::driver
