// The scenario of one version: the host started, the plugin loaded, every event called as WSL's
// service calls it, the plugin's workers given their grace, the host ended.
#include "driver.hpp"

namespace wslplug::host::driver {

// ------------------------------------------------------------------ the scenario
const Distribution* VersionRun::distribution(const std::string& name) const {
  for (const auto& d : o_.distributions)
    if (iequals(d.name, name)) return &d;
  return nullptr;
}

// The `call` command for a distribution hook, with the struct values WSL's service passes
// (docs/run.md, "Distributions"); `passed` gets what the plugin receives at this version.
std::string VersionRun::call_line(long seq, const ScenarioEvent& ev, const Distribution& d,
                                  json* passed) const {
  const bool registered = ev.hook == "OnDistributionRegistered";
  const bool unregistered = ev.hook == "OnDistributionUnregistered";
  const std::string empty_or_null_pfn = o_.null_strings ? "~" : "=";
  std::map<std::string, FieldValue> f;
  f["Name"] = d.name;
  f["PackageFamilyName"] = d.package && !d.package->empty()
                               ? d.package
                               : (o_.null_strings ? FieldValue() : FieldValue(std::string()));
  auto os_field = [&](const std::optional<std::string>& v) -> FieldValue {
    if (registered) return v.value_or("");
    if (unregistered) return v && !v->empty() ? v : FieldValue();
    return v;
  };
  f["Flavor"] = os_field(d.flavor);
  f["Version"] = os_field(d.version);
  f["PidNamespace"] = std::to_string(d.pid_namespace);
  f["InitPid"] = std::to_string(d.init_pid);
  for (const auto& [k, v] : ev.fields) f[k] = v;
  const bool has_init = v_ >= WslVersion{2, 0, 5};
  const bool has_os = v_ >= WslVersion{2, 4, 4};
  auto js = [](const FieldValue& v) { return v ? json(utf8(*v)) : json(nullptr); };
  *passed = {
      {"Id", d.guid}, {"Name", js(f["Name"])}, {"PackageFamilyName", js(f["PackageFamilyName"])}};
  if (registered || unregistered) {
    if (has_os) {
      (*passed)["Flavor"] = js(f["Flavor"]);
      (*passed)["Version"] = js(f["Version"]);
    }
    return fmt::format("call {} {} {} {} {} {} {}", seq, ev.hook, d.guid, encode(f["Name"]),
                       encode(f["PackageFamilyName"]), encode(f["Flavor"]), encode(f["Version"]));
  }
  (*passed)["PidNamespace"] = std::strtoull(f["PidNamespace"].value_or("0").c_str(), nullptr, 10);
  if (has_init)
    (*passed)["InitPid"] = std::strtoul(f["InitPid"].value_or("0").c_str(), nullptr, 10);
  if (has_os) {
    (*passed)["Flavor"] = js(f["Flavor"]);
    (*passed)["Version"] = js(f["Version"]);
  }
  return fmt::format("call {} {} {} {} {} {} {} {} {}", seq, ev.hook, d.guid, encode(f["Name"]),
                     f["PidNamespace"].value_or("0"), encode(f["PackageFamilyName"]),
                     f["InitPid"].value_or("0"), encode(f["Flavor"]), encode(f["Version"]));
}

json VersionRun::run() {
  const Snapshot before = snapshot(e_.drive_c);
  if (!start_host()) return finish();
  if (load_plugin()) drive_events();
  // After a crash report the host ends itself.
  if (!crash_.is_null() || !abi_.is_null())
    wait_until([&] { return host_exited_; }, Clock::now() + std::chrono::seconds(5));
  if (!host_exited_) {
    give_workers_grace();
    quit_host();
  }
  drain_execs();
  cleanup();
  files_ = file_changes(before, snapshot(e_.drive_c), e_.drive_c);
  return finish();
}

void VersionRun::harness_error(std::string message, std::string fix) {
  error_ = {{"kind", "internal"},
            {"message", message},
            {"file", nullptr},
            {"where", nullptr},
            {"fix", fix}};
}

// The host program up and ready for the plugin; false (with error_ set) if it is not.
bool VersionRun::start_host() {
  prestart();
  if (!start_status_) {
    harness_error(start_status_.error().message, start_status_.error().fix);
    return false;
  }
  if (!wait_until([&] { return ready_; }, Clock::now() + std::chrono::seconds(120))) {
    kill_host();
    harness_error(
        fmt::format("the host program did not start ({}exit status {})",
                    host_exited_ ? "" : "killed after 120 s; ", status_code(host_status_)),
        e_.kind == "wine" ? "check that `" + e_.wine.string() + " " + e_.exe.string() +
                                "` starts (WINEPREFIX=" + e_.prefix.string() + ")"
                          : "check that Windows interop works (run any .exe)");
    return false;
  }
  return true;
}

// Loads the DLL and calls its entry point; true if that succeeded, so the hooks can run.
bool VersionRun::load_plugin() {
  const auto timeout = std::chrono::seconds(o_.hook_timeout_s);
  running_seq_ = -1;
  send(fmt::format("load {} {} {}", kSessionId, v_.text(),
                   encode(e_.kind == "wine" ? windows_path_of(o_.dll) : interop_path(o_.dll))));
  const bool loaded_in_time = wait_until(
      [&] { return load_done_ || !crash_.is_null() || !abi_.is_null(); }, Clock::now() + timeout);
  if (!loaded_in_time && !host_exited_) {
    hang_ = {{"hook", "EntryPoint"}, {"distribution", nullptr}, {"seconds", o_.hook_timeout_s}};
    kill_host();
  }
  const bool load_ok = load_done_ && load_.value("step", "") == "EntryPoint" &&
                       load_.value("hresult", "") == hex8(kSOk) && crash_.is_null() &&
                       abi_.is_null();
  if (load_ok) running_seq_ = 0;
  return load_ok;
}

// The scenario's events, one hook call each, as WSL's service would make them; stops at a crash,
// an ABI violation, a hang, or a failed OnVMStarted.
void VersionRun::drive_events() {
  const auto timeout = std::chrono::seconds(o_.hook_timeout_s);
  long seq = 0;
  std::map<std::string, bool> failed_start;  // distribution name -> failed in this iteration
  int iteration_seen = 0;
  // WSLC: the session exists from OnSessionCreated (unless a plugin vetoes it) to the end of
  // OnSessionStopping; its VM runs from WslcVmStarted to the end of WslcVmStopping (at versions
  // without those hooks, at the same points of the lifecycle). A vetoed container is not stopped
  // by ContainerStopping (WSL stops it itself).
  const WslcSession& ws = o_.wslc_session;
  bool session_vetoed = false, container_vetoed = false;
  // The host needs the WSLC state only for a plugin that set a WSLC hook.
  bool any_wslc_hook = false;
  for (size_t i = 0; i < hooks_set_.size() && i < slots_.size(); ++i)
    any_wslc_hook = any_wslc_hook || (hooks_set_[i] && is_wslc_hook(slots_[i]));
  auto wslc_state = [&](bool exists, bool vm) {
    if (any_wslc_hook) send(fmt::format("wslc-state {} {}", exists ? ws.id : 0, vm ? 1 : 0));
  };
  for (const ScenarioEvent& ev : o_.events) {
    const bool wslc = is_wslc_hook(ev.hook);
    if (wslc) {
      if (ev.hook == "OnSessionCreated") {
        session_vetoed = false;
        wslc_state(true, false);
      } else if (session_vetoed) {
        continue;  // the session was never created
      }
      if (ev.hook == "WslcVmStarted") wslc_state(true, true);
      if (ev.hook == "ContainerStopping" && container_vetoed) {
        container_vetoed = false;
        continue;
      }
    }
    // After the event (also when the hook is not called): the VM or the session ends.
    auto after = [&] {
      if (ev.hook == "WslcVmStopping") wslc_state(true, false);
      if (ev.hook == "OnSessionStopping") wslc_state(false, false);
    };
    const auto slot = std::find(slots_.begin(), slots_.end(), ev.hook);
    if (slot == slots_.end()) {
      after();
      continue;  // this WSL version has no such hook
    }
    const size_t index = static_cast<size_t>(slot - slots_.begin());
    if (index >= hooks_set_.size() || !hooks_set_[index]) {
      after();
      continue;  // WSL skips null hooks
    }
    if (ev.iteration != iteration_seen) {
      failed_start.clear();
      iteration_seen = ev.iteration;
    }
    json passed = nullptr;
    std::string line;
    const Distribution* d = nullptr;
    if (ev.hook.starts_with("OnDistribution")) {
      d = distribution(ev.distribution);
      if (!d) continue;
      if (ev.hook == "OnDistributionStopping" && failed_start[d->name]) continue;
      line = call_line(seq + 1, ev, *d, &passed);
    } else if (ev.hook == "OnVMStarted") {
      line = fmt::format("call {} OnVMStarted {}", seq + 1, o_.vm_flags);
      passed = {{"CustomConfigurationFlags", o_.vm_flags}};
    } else if (wslc) {
      line = fmt::format("call {} {} {} {} {}", seq + 1, ev.hook, ws.id,
                         encode(FieldValue(ws.display_name)), ws.application_pid);
      passed = {{"SessionId", ws.id},
                {"DisplayName", utf8(ws.display_name)},
                {"ApplicationPid", ws.application_pid == 0 ? json("the host process's id")
                                                           : json(ws.application_pid)},
                {"UserToken", "the host process's token"},
                {"UserSid", "the host process's user SID"}};
      static const std::map<std::string, std::string> kArgument = {
          {"ContainerStarted", "InspectContainer"},
          {"ContainerStopping", "ContainerId"},
          {"ImageCreated", "InspectImage"},
          {"ImageDeleted", "ImageId"}};
      if (auto it = kArgument.find(ev.hook); it != kArgument.end()) {
        const FieldValue arg =
            ev.argument ? *ev.argument : FieldValue(default_wslc_argument(ev.hook));
        line += " " + encode(arg);
        passed[it->second] = arg ? json(utf8(*arg)) : json(nullptr);
      }
    } else {
      line = fmt::format("call {} {}", seq + 1, ev.hook);
    }
    ++seq;
    json event = {{"seq", seq},
                  {"hook", ev.hook},
                  {"distribution", d ? json(d->name) : json(nullptr)},
                  {"iteration", ev.iteration},
                  {"hresult", nullptr},
                  {"symbol", nullptr},
                  {"duration_ms", nullptr},
                  {"slow", false},
                  {"passed", passed},
                  {"api_calls", json::array()},
                  {"plugin_error", nullptr},
                  {"expect", ev.expect ? json(*ev.expect) : json(nullptr)},
                  {"expectation_met", nullptr},
                  {"wsl", nullptr}};
    event_index_[seq] = events_.size();
    events_.push_back(event);
    ended_seq_.reset();
    const auto begun = Clock::now();
    send(line);
    const bool ended = wait_until(
        [&] { return (ended_seq_ && *ended_seq_ == seq) || !crash_.is_null() || !abi_.is_null(); },
        begun + timeout);
    if (!crash_.is_null() || !abi_.is_null() || host_exited_) break;
    if (!ended) {
      hang_ = {{"hook", ev.hook},
               {"distribution", d ? json(d->name) : json(nullptr)},
               {"seconds", o_.hook_timeout_s}};
      events_.back()["duration_ms"] = round1(ms(Clock::now() - begun));
      events_.back()["slow"] = o_.hook_timeout_s * 1000.0 > kSlowMs;
      kill_host();
      break;
    }
    const std::uint32_t hr = parse_hex(events_.back()["hresult"].get<std::string>());
    after();
    if (ev.hook == "OnSessionCreated" && failed(hr)) {
      session_vetoed = true;  // WSL aborts the session's creation
      wslc_state(false, false);
    }
    if (ev.hook == "ContainerStarted") container_vetoed = failed(hr);
    if (ev.hook == "OnVMStarted" && failed(hr)) break;  // WSL tears the VM down
    if (ev.hook == "OnDistributionStarted" && failed(hr) && d) failed_start[d->name] = true;
  }
}

// The plugin's worker threads: give them a moment to make their calls, as a service that
// keeps running would.
void VersionRun::give_workers_grace() {
  threads_.reset();
  if (const long now = count_threads(); now >= 0 && baseline_threads_ >= 0) {
    // Wine's threads are Linux threads of the host process: no round trip needed.
    threads_ = now - baseline_threads_;
  } else {
    send("threads");
    wait_until([&] { return threads_.has_value(); }, Clock::now() + std::chrono::seconds(5));
  }
  const bool busy =
      std::any_of(execs_.begin(), execs_.end(), [](const auto& x) { return !x->finished(); });
  if ((threads_ && *threads_ > 0) || busy) {
    const auto until = Clock::now() + kGrace;
    while (Clock::now() < until && !host_exited_) pump(std::chrono::milliseconds(20));
  }
}

void VersionRun::quit_host() {
  if (host_exited_) return;
  send("quit");
  close_fd(to_host_);
  wait_until([&] { return host_exited_ || bye_; }, Clock::now() + std::chrono::seconds(5));
  // After "bye" the host has nothing left to do: end it now rather than wait for wine's
  // process teardown. Only the host process: wine's services may share its process group.
  if (!host_exited_ && host_pid_ > 0) {
    ::kill(host_pid_, SIGKILL);
    reap_host(true);
  }
  kill_host();
}

// Lets finished processes' last bytes through before the report.
void VersionRun::drain_execs() {
  for (int i = 0; i < 20 && std::any_of(execs_.begin(), execs_.end(),
                                        [](const auto& x) { return x->sp >= 0 || x->err >= 0; });
       ++i)
    pump(std::chrono::milliseconds(5));
}

}  // namespace wslplug::host::driver
