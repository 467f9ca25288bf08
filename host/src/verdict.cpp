// The verdict of one version: calls attributed to hooks, the load, events, crashes, ABI
// violations and hangs judged, the outcome chosen, the version's report.
#include "driver.hpp"

namespace wslplug::host::driver {

void VersionRun::attach_exec(Call& c, const std::map<long, Exec*>& by_cid) {
  json& j = c.j;
  // A process call reports who served it and what the process read, wrote and returned; a WSLC
  // process also has its stderr, an ExecuteBinary one the kernel messages.
  const bool exec_call = c.name == "ExecuteBinary" || c.name == "ExecuteBinaryInDistribution";
  const bool wslc_call = c.name == "WSLCCreateProcess";
  if (exec_call || wslc_call) {
    const char* extra = wslc_call ? "stderr" : "dmesg";
    j["served_by"] = nullptr;
    j["output"] = nullptr;
    j["input"] = nullptr;
    j[extra] = nullptr;
    j["exit_code"] = nullptr;
    if (auto it = by_cid.find(c.cid); it != by_cid.end()) {
      const Exec& x = *it->second;
      j["served_by"] = x.served_by;
      if (x.served_by != "refused") {
        j["output"] = utf8_lossy(x.output);
        j["input"] = utf8_lossy(x.input);
        j[extra] = utf8_lossy(wslc_call ? x.stderr_text : x.dmesg);
        j["exit_code"] = x.exit_code ? json(*x.exit_code) : json(nullptr);
      }
      if (!x.note.empty()) j["note"] = utf8_lossy(x.note);
    }
  }
  // A mount request: what the Linux side did with it.
  if (c.name == "MountFolder" || c.name == "WSLCMountFolder" || c.name == "WSLCUnmountFolder") {
    if (auto it = by_cid.find(c.cid); it != by_cid.end()) {
      j["served_by"] = it->second->served_by;
      if (!it->second->note.empty()) j["note"] = utf8_lossy(it->second->note);
    }
  }
}

// WSL's answer to one call, where it needs a word, and the problem it shows in the plugin.

void VersionRun::attribute_calls(Verdict& v) {
  std::map<long, Exec*> by_cid;
  for (auto& x : execs_)
    if (x->cid > 0) by_cid[x->cid] = x.get();
  if (!limit_.is_null())
    v.problem("error", "process-limit", limit_["message"].get<std::string>(),
              fmt::format("find what keeps creating processes (the report's processes and "
                          "dmesg); if the plugin really needs more, raise --max-processes "
                          "(now {})",
                          o_.max_processes),
              nullptr);
  if (refused_connections_ > 0)
    v.problem("error", "channel-refused",
              fmt::format("{} connection{} to this run's request port came without the run's "
                          "secret and {} refused: another process on this machine tried to use "
                          "the channel between wslplug and the plugin host",
                          refused_connections_, refused_connections_ == 1 ? "" : "s",
                          refused_connections_ == 1 ? "was" : "were"),
              "find the process that connects to wslplug's loopback port (ss -tnp); the run "
              "itself is unaffected",
              nullptr);
  for (Call& c : calls_) {
    json& j = c.j;
    attach_exec(c, by_cid);
    const json hook_name = c.seq > 0 && event_index_.count(c.seq)
                               ? events_[event_index_[c.seq]]["hook"]
                               : (c.seq < 0 ? json("EntryPoint") : json(nullptr));
    j["hook"] = hook_name;
    const json where = hook_name;
    note_call(c, where, v);
    if (c.seq > 0 && event_index_.count(c.seq)) {
      json& ev = events_[event_index_[c.seq]];
      if (c.name == "PluginError" && c.hr == kSOk && ev["plugin_error"].is_null())
        ev["plugin_error"] = j["args"]["message"];
      ev["api_calls"].push_back(j);
    } else if (c.seq < 0) {
      v.load_calls.push_back(j);
    } else {
      v.late.push_back(j);
    }
  }
  // WSLC processes never given back: each holds a process, its pipes and an event in the
  // service until it restarts.
  std::map<std::string, const Call*> live;
  for (const Call& c : calls_) {
    const json& p = c.j["args"].value("process", json(nullptr));
    if (!p.is_string()) continue;
    if (c.name == "WSLCCreateProcess" && !failed(c.hr)) live[p.get<std::string>()] = &c;
    if (c.name == "WSLCReleaseProcess") live.erase(p.get<std::string>());
  }
  for (const auto& [handle, c] : live) {
    const std::string path =
        c->j["args"]["path"].is_string() ? c->j["args"]["path"].get<std::string>() : "?";
    v.problem("warning", "wslc-process-leaked",
              fmt::format("the WSLC process {} ({}) was never released: WSLCReleaseProcess was "
                          "not called, so WSL keeps the process and its handles until the "
                          "service stops",
                          handle, path),
              "call WSLCReleaseProcess on every path after WSLCCreateProcess succeeded (close "
              "the handles of WSLCProcessGetFd / WSLCProcessGetExitEvent first)",
              c->j["hook"]);
  }
}

// The load: the entry point's result and, if it failed, what WSL makes of it.
void VersionRun::judge_load(Verdict& v) {
  json& load = v.load;
  load = load_;
  if (!load.contains("step")) {
    load = {{"step", nullptr}, {"hresult", nullptr}, {"symbol", nullptr}, {"duration_ms", nullptr}};
  }
  load["api_calls"] = v.load_calls;
  load["wsl"] = nullptr;
  v.load_reported = load.contains("hresult") && load["hresult"].is_string();
  v.load_hr = v.load_reported ? parse_hex(load["hresult"].get<std::string>()) : 0;
  const std::uint32_t load_hr = v.load_hr;
  if (v.load_reported && failed(load_hr)) {
    auto [expl, fix] = explain(load_hr);
    if (trust_) expl = trust_->explanation, fix = trust_->fix;
    // Name the import the prefix lacks; one that Windows has is wine's gap: a harness failure.
    if (load_hr == kModNotFound && load.value("step", "") == "LoadLibrary")
      if (auto missing = missing_import(o_.dll, e_)) {
        expl = missing->explanation, fix = missing->fix;
        if (missing->wine_lacks_system_dll) harness_error(expl, fix);
      }
    const bool update = load_hr == kRequiresUpdate;
    load["wsl"] = {
        {"fails", true},
        {"error_code",
         "Wsl/Service/CreateInstance/CreateVm/Plugin/" + doctor::wsl_code_string(load_hr)},
        {"message", update ? msg_requires_update(o_.plugin_name) : msg_fatal(o_.plugin_name)},
        {"effect", update ? "the plugin refuses this WSL version: WSL2 VM starts fail "
                            "and wsl.exe tells the user to update"
                          : "the plugin is not loaded; every WSL2 start fails with "
                            "this error until the registry value is fixed or removed "
                            "and wslservice restarts (WSL1 keeps working)"},
        {"explanation", expl},
        {"fix", fix}};
    if (update) {
      v.outcome = "requires-update";
      v.summary = fmt::format(
          "the plugin requires a newer WSL than {} (WSL_E_PLUGIN_REQUIRES_UPDATE)", v_.text());
    } else {
      v.outcome = "load-failed";
      v.summary =
          fmt::format("{} failed: {}", load["step"].get<std::string>(), name_or_hex(load_hr));
      v.problem("error", "load-failed", v.summary, fix, "EntryPoint");
    }
  }
}

// Events: WSL's view of each result, the expectations, and the problems they show.
void VersionRun::judge_events(Verdict& v) {
  for (json& ev : events_) {
    const bool has_hr = ev["hresult"].is_string();
    const std::uint32_t hr = has_hr ? parse_hex(ev["hresult"].get<std::string>()) : 0;
    ev["wsl"] = wsl_for_event(ev, hr, has_hr);
    const std::string hook = ev["hook"].get<std::string>();
    const std::string label =
        ev["distribution"].is_string()
            ? fmt::format("{}({})", hook, ev["distribution"].get<std::string>())
            : hook;
    if (ev["slow"].get<bool>() && has_hr)
      v.problem("warning", "slow-hook",
                fmt::format("{} took {:.1f} s: WSL's slow-operation watcher logs hooks over 10 s, "
                            "and WSL waits for it",
                            label, ev["duration_ms"].get<double>() / 1000),
                "do slow work on a worker thread; hooks block VM and distribution start",
                ev["hook"]);
    if (ev["expect"].is_string()) {
      if (!has_hr) continue;
      const std::string x = ev["expect"].get<std::string>();
      bool met = x == "any" || (x == "success" && !failed(hr)) || (x == "failure" && failed(hr));
      if (!met && x != "success" && x != "failure" && x != "any")
        met = hr == doctor::symbol_value(x).value_or(parse_hex(x));
      ev["expectation_met"] = met;
      if (!met) {
        v.expectation_failed = true;
        v.problem(
            "error", "expectation",
            fmt::format("{} returned {}, the scenario expected {}", label, name_or_hex(hr), x),
            "fix the plugin or the scenario's expect", ev["hook"]);
        if (v.first_failure.empty())
          v.first_failure = fmt::format("{} returned {} (expected {})", label, name_or_hex(hr), x);
      }
      continue;
    }
    if (ev["wsl"].is_object() && ev["wsl"]["fails"].get<bool>()) {
      v.hook_failed = true;
      const bool with_success = !failed(hr);
      v.problem("error", with_success ? "plugin-error-with-success" : "hook-failed",
                with_success ? fmt::format("{} called PluginError but returned S_OK: WSL fails the "
                                           "start with E_ILLEGAL_STATE_CHANGE",
                                           label)
                             : fmt::format("{} failed: {}", label, name_or_hex(hr)),
                ev["wsl"]["fix"].get<std::string>(), ev["hook"]);
      if (v.first_failure.empty())
        v.first_failure = with_success ? label + " called PluginError and returned S_OK"
                                       : fmt::format("{} failed: {}", label, name_or_hex(hr));
    } else if (ev["plugin_error"].is_string() && !is_start_hook(hook) && !is_wslc_veto_hook(hook)) {
      v.problem("warning", "plugin-error-ignored",
                fmt::format("{} called PluginError: WSL shows messages only for failures of "
                            "OnVMStarted, OnDistributionStarted, OnSessionCreated and "
                            "ContainerStarted, so this one is discarded",
                            label),
                "log the text instead", ev["hook"]);
    }
  }
}

// Which hook a crash / violation happened in.
json VersionRun::hook_of_seq(long seq) {
  if (seq < 0) return "EntryPoint";
  if (auto it = event_index_.find(seq); it != event_index_.end())
    return events_[it->second]["hook"];
  return nullptr;
}

// The ABI violation the host's guard pages caught, named by table, slot and WSL version.
json VersionRun::abi_violation() {
  const std::string region = abi_["region"].get<std::string>();
  const std::string kind = abi_["kind"].get<std::string>();
  const long long offset = abi_["offset"].get<long long>();
  const std::string access = abi_["access"].get<std::string>();
  const long seq = abi_["seq"].get<long>();
  json slot = nullptr, since = nullptr;
  for (const AbiField& f : abi_fields(region))
    if (offset >= f.offset && offset < f.offset + f.size) {
      slot = std::string(f.name);
      since = f.since == WslVersion{} ? json(nullptr) : json(f.since.text());
    }
  const std::string verb = access == "write" ? "wrote" : access == "execute" ? "executed" : "read";
  const std::string what = region == "hooks" ? "hook slot" : region == "api" ? "API slot" : "field";
  const std::string slot_text =
      slot.is_string() ? slot.get<std::string>() : fmt::format("offset {}", offset);
  const std::string of_table = region == "hooks" || region == "api" ? "" : " of " + region;
  std::string message;
  if (kind == "past-end") {
    message = fmt::format(
        "{} {} {}{}, which WSL {} does not have{}: on a real {} host this {}", verb, what,
        slot_text, of_table, v_.text(),
        since.is_string() ? fmt::format(" (it came with {})", since.get<std::string>()) : "",
        v_.text(),
        access == "write" ? "writes into wslservice's memory"
        : region == "api" ? "reads whatever follows the table, and calling it crashes wslservice"
                          : "reads whatever follows the struct in wslservice's memory");
  } else if (kind == "expired") {
    message = fmt::format(
        "{} {} {}{} after {} returned: WSL passes it on its stack, valid only during the call; "
        "on a real host this {} freed stack memory of wslservice",
        verb, what, slot_text, of_table,
        region == "hooks"              ? std::string("the entry point")
        : hook_of_seq(seq).is_string() ? hook_of_seq(seq).get<std::string>()
                                       : std::string("the hook"),
        access == "write" ? "corrupts" : "reads");
  } else {
    message = fmt::format(
        "wrote {} {} of the API table: WSL's table is read-only static data, "
        "so this write crashes wslservice",
        what, slot_text);
  }
  return {{"table", region},
          {"slot", slot},
          {"offset", offset},
          {"access", access},
          {"kind", kind},
          {"since", since},
          {"hook", hook_of_seq(seq)},
          {"thread", abi_["thread"]},
          {"module", abi_["module"]},
          {"module_offset", abi_["module_offset"]},
          {"message", message}};
}

// The host ended inside the plugin's code without a report: abort, fail-fast, exit().
json VersionRun::exit_crash() {
  const int status = status_code(host_status_);
  const auto code =
      static_cast<std::uint32_t>(WIFEXITED(host_status_) ? WEXITSTATUS(host_status_) : status);
  std::string description = exit_description(status);
  if (output_.find("panicked at") != std::string::npos)
    description =
        "a Rust panic aborted the process (a panic unwinding out of an extern \"C\" "
        "function cannot unwind and aborts): " +
        description;
  else if (output_.find("terminate called") != std::string::npos)
    description = "a C++ exception escaped and std::terminate aborted the process";
  return {{"code", nullptr},          {"name", nullptr},
          {"kind", "exit"},           {"description", description},
          {"address", nullptr},       {"module", nullptr},
          {"offset", nullptr},        {"access", nullptr},
          {"fault_address", nullptr}, {"thread", running_seq_ < 0 ? "entry-point" : "hook"},
          {"seq", running_seq_},      {"exit_code", code}};
}

// The crash: what it was, the hook it ended, and WSL's view of that hook.
void VersionRun::judge_crash(Verdict& v) {
  json& crash = v.crash;
  if (crash.is_null()) return;
  const long seq = crash.value("seq", 0L);
  crash["hook"] = hook_of_seq(seq);
  if (crash["kind"] == "exception") {
    const std::uint32_t code = parse_hex(crash["code"].get<std::string>());
    std::string d = crash["name"].is_string() ? crash["name"].get<std::string>() : hex8(code);
    if (code == 0xC0000005 && crash["access"].is_string())
      d = fmt::format("access violation {} address {}",
                      crash["access"] == "read"    ? "reading"
                      : crash["access"] == "write" ? "writing"
                                                   : "executing",
                      crash["fault_address"].get<std::string>());
    else if (code == 0xC00000FD)
      d = "stack overflow";
    else if (code == 0x20474343)
      d = "a C++ exception (GCC/MinGW, or a Rust panic from a -gnu build) escaped the plugin "
          "unhandled";
    else if (code == 0xE06D7363)
      d = "a C++ exception (MSVC, or a Rust panic from an -msvc build) escaped the plugin "
          "unhandled";
    else if (code == 0xC0000409)
      d = "fail-fast (STATUS_STACK_BUFFER_OVERRUN): abort or a detected buffer overrun";
    else if (code == 0xC0000374)
      d = "heap corruption";
    if (crash["thread"] == "worker") d += " (on a worker thread of the plugin)";
    crash["description"] = d;
  }
  crash["wsl_effect"] =
      crash_effect(crash["hook"].is_string() ? crash["hook"].get<std::string>() : "");
  crash.erase("seq");
  if (auto it = event_index_.find(seq); it != event_index_.end()) {
    auto [expl, fix] = explain(kRpcCallFailed);
    events_[it->second]["wsl"] = {
        {"fails", true},
        {"error_code", doctor::wsl_code_string(kRpcCallFailed)},
        {"message", "The remote procedure call failed."},
        {"effect", crash["wsl_effect"]},
        {"explanation", expl},
        {"fix",
         "find the crash (module " +
             (crash["module"].is_string() ? crash["module"].get<std::string>() : std::string("?")) +
             ", offset " +
             (crash["offset"].is_string() ? crash["offset"].get<std::string>() : std::string("?")) +
             ") and fix it; catch every exception at the hook boundary"}};
  }
  v.problem("error", "crash",
            fmt::format("the plugin crashed{}: {}",
                        crash["hook"].is_string() ? " in " + crash["hook"].get<std::string>() : "",
                        crash["description"].get<std::string>()),
            "fix the crash; a crash in WSL's service stops every running distribution",
            crash["hook"]);
}

// The ABI violation and the hang as problems; a host protocol error as the run's error.
void VersionRun::judge_violations(Verdict& v) {
  const json& abi = v.abi;
  if (!abi.is_null())
    v.problem("error", "abi-violation", abi["message"].get<std::string>(),
              abi["table"] == "hooks" || abi["table"] == "api"
                  ? "check Api->Version before touching a slot newer than the base API "
                    "(WSL_PLUGIN_REQUIRE_VERSION or a version comparison)"
                  : "check Api->Version before reading a field newer than the base API, and copy "
                    "what you need during the call",
              abi["hook"]);
  if (!hang_.is_null())
    v.problem("error", "hang",
              fmt::format("{}{} was still running after {} s: the host was killed. WSL waits for "
                          "hooks without a time limit, so wsl.exe would hang",
                          hang_["hook"].get<std::string>(),
                          hang_["distribution"].is_string()
                              ? "(" + hang_["distribution"].get<std::string>() + ")"
                              : "",
                          o_.hook_timeout_s),
              "never block in a hook: do long work on a worker thread", hang_["hook"]);
  for (const std::string& e : protocol_errors_)
    if (error_.is_null())
      error_ = {{"kind", "internal"},
                {"message", "host protocol error: " + e},
                {"file", ""},
                {"where", ""},
                {"fix", "this is a wslplug bug: please report it"}};
}

// The run's outcome and its one-line summary, by precedence.
void VersionRun::choose_outcome(Verdict& v) {
  std::string& outcome = v.outcome;
  std::string& summary = v.summary;
  const json& problems = v.problems;
  if (!error_.is_null()) {
    outcome = "harness-error";
    summary = error_["message"].get<std::string>();
  } else if (!v.crash.is_null()) {
    outcome = "crashed";
    summary = problems.back()["message"].get<std::string>();
    for (const auto& p : problems)
      if (p["id"] == "crash") summary = p["message"].get<std::string>();
  } else if (!v.abi.is_null()) {
    outcome = "abi-violation";
    summary = v.abi["message"].get<std::string>();
  } else if (!hang_.is_null()) {
    outcome = "hung";
    summary = fmt::format("{} never returned (killed after {} s)", hang_["hook"].get<std::string>(),
                          o_.hook_timeout_s);
  } else if (!limit_.is_null()) {
    outcome = "process-limit";
    summary = limit_["message"].get<std::string>();
  } else if (outcome == "ok" && v.hook_failed) {
    outcome = "hook-failed";
    summary = v.first_failure;
  } else if (outcome == "ok" && v.expectation_failed) {
    outcome = "expectation-failed";
    summary = v.first_failure;
  } else if (outcome == "ok" && !v.load_reported) {
    outcome = "harness-error";
    summary = "the host ended before reporting the load";
  } else if (outcome == "ok") {
    size_t warnings = problems.size();
    if (warnings > 0)
      summary = fmt::format("loaded; every hook that can fail WSL succeeded ({} warning{})",
                            warnings, warnings == 1 ? "" : "s");
  }
  if (outcome == "harness-error" && error_.is_null())
    error_ = {{"kind", "internal"},
              {"message", summary},
              {"file", ""},
              {"where", ""},
              {"fix", "run again; if it persists, report it with the output above"}};
}

json VersionRun::finish() {
  Verdict v;
  attribute_calls(v);
  judge_load(v);
  judge_events(v);
  v.crash = crash_;
  if (!abi_.is_null())
    v.abi = abi_violation();
  else if (v.crash.is_null() && hang_.is_null() && host_exited_ && !bye_ && ready_ &&
           (running_seq_ != 0) && error_.is_null())
    v.crash = exit_crash();
  judge_crash(v);
  judge_violations(v);
  choose_outcome(v);
  json run = {{"wsl_version", v_.text()}};
  json events = json::array();
  for (auto& ev : events_) events.push_back(ev);
  run["ok"] = v.outcome == "ok" || v.outcome == "requires-update";
  run["outcome"] = v.outcome;
  run["summary"] = utf8_lossy(v.summary);
  run["load"] = v.load;
  run["hooks_set"] = v.load_reported && !failed(v.load_hr) ? hooks_set_names_ : json::array();
  run["events"] = events;
  run["late_api_calls"] = v.late;
  run["problems"] = v.problems;
  run["crash"] = v.crash;
  run["abi_violation"] = v.abi;
  run["hang"] = hang_;
  run["dmesg"] = utf8_lossy(dmesg_);
  run["output"] = utf8_lossy(output_);
  run["files"] = files_;
  run["refused_connections"] = refused_connections_;
  run["error"] = error_;
  return run;
}

}  // namespace wslplug::host::driver
