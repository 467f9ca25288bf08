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
  const auto facts = distribution_facts_.find(d.guid);
  f["PidNamespace"] = std::to_string(
      facts != distribution_facts_.end() ? facts->second.pid_namespace : d.pid_namespace);
  f["InitPid"] =
      std::to_string(facts != distribution_facts_.end() ? facts->second.init_pid : d.init_pid);
  for (const auto& [k, v] : ev.fields) f[k] = v;
  const bool has_init = v_ >= WslVersion{2, 0, 5};
  const bool has_os = v_ >= WslVersion{2, 4, 4};
  auto js = [](const FieldValue& v) { return v ? json(utf8_lossy(*v)) : json(nullptr); };
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
  if (trust_) {
    load_ = {{"step", "WinVerifyTrust"},
             {"hresult", hex8(*trust_->refused_hr)},
             {"symbol", symbol_of(*trust_->refused_hr)},
             {"duration_ms", trust_->report["duration_ms"]}};
    return finish();
  }
  // In the sandbox, what the run writes on C:\ (the plugin's folder included) lands in the
  // overlay's upper layer.
  const fs::path c_root = box_ ? box_->drive_c_changes : e_.drive_c;
  const Snapshot before = snapshot(c_root);
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
  if (linux_vm_) {
    linux_.stop_vm();
    linux_vm_ = false;
  }
  cleanup();
  files_ = file_changes(before, snapshot(c_root), c_root);
  if (box_) keep_files();
  return finish();
}

// The files the version wrote on C:\ outlive the sandbox: copied from the overlay's upper layer
// (discarded with the run) to the kept folder, where the report's host_path names them.
void VersionRun::keep_files() {
  constexpr std::uintmax_t kKeepMax = 64u << 20;  // in all, per version
  std::uintmax_t kept = 0;
  const fs::path to = box_->kept / v_.text() / "drive_c";
  for (auto& f : files_) {
    const fs::path from = f["host_path"].get<std::string>();
    std::error_code ec;
    const fs::path rel = from.lexically_relative(box_->drive_c_changes);
    if (rel.empty() || rel.native().starts_with("..")) continue;
    const std::uintmax_t size = f["size"].get<std::uintmax_t>();
    if (kept + size > kKeepMax) {
      f["host_path"] = nullptr;  // not kept: over the limit
      continue;
    }
    fs::create_directories((to / rel).parent_path(), ec);
    fs::copy_file(from, to / rel, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      f["host_path"] = nullptr;
      continue;
    }
    kept += size;
    f["host_path"] = utf8_lossy((to / rel).string());
  }
}

// The run's processes reached --max-processes: the plugin's doing (a fork bomb, a leak), not the
// harness's.
void VersionRun::process_limit(const std::string& what) {
  if (!limit_.is_null()) return;
  limit_ = {
      {"max_processes", o_.max_processes},
      {"message", fmt::format("{}: the run's processes reached --max-processes {} (the plugin "
                              "or the processes it started keep creating processes)",
                              what, o_.max_processes)}};
}

void VersionRun::harness_error(std::string message, std::string fix) {
  error_ = {{"kind", "internal"}, {"message", message}, {"file", ""}, {"where", ""}, {"fix", fix}};
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
                   encode(box_                ? box_->dll_windows_path
                          : e_.kind == "wine" ? windows_path_of(o_.dll)
                                              : interop_path(o_.dll))));
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

// The scenario's events, one hook call each, as WSL's service makes them, with the Linux side
// following WSL's lifecycle: the VM runs from OnVMStarted to the end of OnVMStopping (a failed
// OnVMStarted is followed by OnVMStopping and the teardown, as LxssUserSession's _VmTerminate does;
// events that need the VM wait for the scenario's next OnVMStarted), a distribution from
// OnDistributionStarted (started before the hook, so it gets the real InitPid and PID namespace)
// to the end of OnDistributionStopping. A group of events (ScenarioEvent::group) is called at the
// same time, each on its own service thread of the host, and waited for together. Stops at a
// crash, an ABI violation or a hang.
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
  bool stop = false;  // a crash, an ABI violation, a hang or a harness error ends the events
  // The Linux side's VM runs while WSL's VM or the WSLC session's VM does.
  auto need_vm = [&]() -> bool {
    if (linux_vm_) return true;
    if (auto started = linux_.start_vm(); !started) {
      harness_error("cannot start the VM: " + started.error().message, started.error().fix);
      stop = true;
      return false;
    }
    linux_vm_ = true;
    return true;
  };
  auto release_vm = [&] {
    if (!linux_vm_ || vm_running_ || wslc_vm_running_) return;
    // The plugin's workers and processes get their moment before everything in the VM ends.
    give_workers_grace();
    linux_.stop_vm();
    linux_vm_ = false;
    running_distributions_.clear();
    distribution_facts_.clear();
    wslc_mounts_.clear();
  };
  auto stop_distribution = [&](const Distribution& d) {
    if (running_distributions_.erase(d.guid)) linux_.stop_distribution(d);
  };
  // The distribution running in the VM before its OnDistributionStarted (so the hook gets the
  // real InitPid and PID namespace); false (and `stop`) when it cannot start.
  auto start_distribution = [&](const Distribution& d) {
    if (running_distributions_.contains(d.guid)) return true;
    auto facts = linux_.start_distribution(d);
    if (!facts && facts.error().where == "EAGAIN") {
      // The run's process limit: the plugin's doing, not the harness's.
      process_limit("the distribution '" + d.name + "' could not start");
      stop = true;
      return false;
    }
    if (!facts) {
      harness_error("cannot start the distribution '" + d.name + "': " + facts.error().message,
                    facts.error().fix);
      stop = true;
      return false;
    }
    distribution_facts_[d.guid] = *facts;
    running_distributions_.insert(d.guid);
    return true;
  };
  const auto& events = o_.events;
  // Sends one hook call to hook thread `thread` (0: the host's main thread, 1..: a service
  // thread) and records its event; the call's seq, or nullopt when it is skipped (the version
  // lacks the hook or the plugin did not set it, as WSL skips it).
  auto begin_call = [&](const ScenarioEvent& ev, const Distribution* d, const char* origin,
                        int thread) -> std::optional<long> {
    const auto slot = std::find(slots_.begin(), slots_.end(), ev.hook);
    if (slot == slots_.end()) return std::nullopt;  // this WSL version has no such hook
    const size_t index = static_cast<size_t>(slot - slots_.begin());
    if (index >= hooks_set_.size() || !hooks_set_[index]) return std::nullopt;  // WSL skips it
    const bool wslc = is_wslc_hook(ev.hook);
    json passed = nullptr;
    std::string line;
    if (d) {
      line = call_line(seq + 1, ev, *d, &passed);
    } else if (ev.hook == "OnVMStarted") {
      line = fmt::format("call {} OnVMStarted {}", seq + 1, o_.vm_flags);
      passed = {{"CustomConfigurationFlags", o_.vm_flags}};
    } else if (wslc) {
      line = fmt::format("call {} {} {} {} {}", seq + 1, ev.hook, ws.id,
                         encode(FieldValue(ws.display_name)), ws.application_pid);
      passed = {{"SessionId", ws.id},
                {"DisplayName", utf8_lossy(ws.display_name)},
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
        passed[it->second] = arg ? json(utf8_lossy(*arg)) : json(nullptr);
      }
    } else {
      line = fmt::format("call {} {}", seq + 1, ev.hook);
    }
    if (thread > 0) line = fmt::format("call-on {} {}", thread, line.substr(5));
    ++seq;
    json event = {{"seq", seq},
                  {"hook", ev.hook},
                  {"distribution", d ? json(d->name) : json(nullptr)},
                  {"iteration", ev.iteration},
                  {"origin", origin},
                  {"thread", thread},
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
    send(line);
    return seq;
  };
  // Waits until every call of `seqs` ended; false (and `stop`) at a crash, an ABI violation, the
  // host's end or a hang (the first unfinished call is the one named).
  auto await_calls = [&](const std::vector<long>& seqs) -> bool {
    const auto begun = Clock::now();
    auto ended = [&](long s) { return events_[event_index_.at(s)]["hresult"].is_string(); };
    const bool all_ended = wait_until(
        [&] {
          return std::all_of(seqs.begin(), seqs.end(), ended) || !crash_.is_null() ||
                 !abi_.is_null();
        },
        begun + timeout);
    if (!crash_.is_null() || !abi_.is_null() || host_exited_) {
      stop = true;
      return false;
    }
    if (!all_ended) {
      for (long s : seqs) {
        if (ended(s)) continue;
        json& event = events_[event_index_.at(s)];
        if (hang_.is_null())
          hang_ = {{"hook", event["hook"]},
                   {"distribution", event["distribution"]},
                   {"seconds", o_.hook_timeout_s}};
        event["duration_ms"] = round1(ms(Clock::now() - begun));
        event["slow"] = o_.hook_timeout_s * 1000.0 > kSlowMs;
      }
      kill_host();
      stop = true;
      return false;
    }
    return true;
  };
  // The HRESULT of an ended call.
  auto result_of = [&](long s) {
    return parse_hex(events_[event_index_.at(s)]["hresult"].get<std::string>());
  };
  // Calls one hook on the main thread; the HRESULT, or nullopt when it was not called or the run
  // must stop.
  auto call = [&](const ScenarioEvent& ev, const Distribution* d,
                  const char* origin) -> std::optional<std::uint32_t> {
    const auto s = begin_call(ev, d, origin, 0);
    if (!s || !await_calls({*s})) return std::nullopt;
    return result_of(*s);
  };
  // A group of distribution hooks at once, as when two `wsl -d` start at the same time: each on
  // its own service thread, with the same bookkeeping per distribution as one after another.
  auto call_together = [&](size_t first, size_t end) {
    std::vector<std::pair<const ScenarioEvent*, const Distribution*>> calls;
    std::vector<const Distribution*> stopping;  // stopped once the group ended
    for (size_t j = first; j < end; ++j) {
      const ScenarioEvent& ev = events[j];
      const Distribution* d = distribution(ev.distribution);
      if (!d) continue;
      const bool start = ev.hook == "OnDistributionStarted";
      const bool stopping_hook = ev.hook == "OnDistributionStopping";
      if ((start || stopping_hook) && !vm_running_) continue;
      if (stopping_hook && failed_start[d->name]) continue;
      // Every distribution of the group runs before the first call, so the calls overlap.
      if (start && !start_distribution(*d)) return;
      if (stopping_hook) stopping.push_back(d);
      calls.emplace_back(&ev, d);
    }
    std::vector<long> seqs;
    std::vector<std::pair<long, const ScenarioEvent*>> sent;
    int thread = 0;
    for (const auto& [ev, d] : calls) {
      // More events than service threads: the extra ones queue on a thread, in order.
      if (auto s = begin_call(*ev, d, "scenario", thread % kServiceThreads + 1)) {
        ++thread;
        seqs.push_back(*s);
        sent.emplace_back(*s, ev);
      }
    }
    if (!seqs.empty() && !await_calls(seqs)) return;
    for (const auto& [s, ev] : sent) {
      const Distribution* d = distribution(ev->distribution);
      if (ev->hook == "OnDistributionStarted" && failed(result_of(s))) {
        failed_start[d->name] = true;
        stop_distribution(*d);
      }
    }
    for (const Distribution* d : stopping) stop_distribution(*d);
  };
  // WSL's teardown of its VM: OnVMStopping, then everything in the VM ends.
  auto stop_wsl_vm = [&](const ScenarioEvent& ev, const char* origin) {
    if (vm_running_) give_workers_grace();
    call(ev, nullptr, origin);
    vm_running_ = false;
    for (const auto& d : o_.distributions) stop_distribution(d);
    release_vm();
  };
  for (size_t k = 0; k < events.size() && !stop; ++k) {
    const ScenarioEvent& ev = events[k];
    const bool wslc = is_wslc_hook(ev.hook);
    if (ev.iteration != iteration_seen) {
      failed_start.clear();
      iteration_seen = ev.iteration;
    }
    if (ev.group != 0) {
      size_t end = k + 1;
      while (end < events.size() && events[end].group == ev.group) ++end;
      call_together(k, end);
      k = end - 1;
      continue;
    }
    if (wslc) {
      if (ev.hook == "OnSessionCreated") {
        session_vetoed = false;
        wslc_state(true, false);
      } else if (session_vetoed) {
        continue;  // the session was never created
      }
      if (ev.hook == "WslcVmStarted") {
        if (!need_vm()) break;
        wslc_vm_running_ = true;
        wslc_state(true, true);
      }
      if (ev.hook == "ContainerStopping" && container_vetoed) {
        container_vetoed = false;
        continue;
      }
      bool final_stop = false;
      if (ev.hook == "WslcVmStopping") {
        // A stop that ends the session (no WslcVmStarted before OnSessionStopping) refuses the
        // plugin's calls made during it; an idle stop serves them with the stopping VM.
        final_stop = true;
        for (size_t j = k + 1; j < events.size() && events[j].hook != "OnSessionStopping"; ++j)
          if (events[j].hook == "WslcVmStarted") final_stop = false;
        if (final_stop) wslc_state(true, false);
      }
      const auto hr = call(ev, nullptr, "scenario");
      if (stop) break;
      if (ev.hook == "WslcVmStopping") {
        wslc_vm_running_ = false;
        wslc_state(true, false);
        release_vm();
      }
      if (ev.hook == "OnSessionStopping") {
        wslc_state(false, false);
        wslc_vm_running_ = false;
        release_vm();
      }
      if (ev.hook == "OnSessionCreated" && hr && failed(*hr)) {
        session_vetoed = true;  // WSL aborts the session's creation
        wslc_state(false, false);
      }
      if (ev.hook == "ContainerStarted") container_vetoed = hr && failed(*hr);
      continue;
    }
    if (ev.hook == "OnVMStarted") {
      if (!need_vm()) break;
      vm_running_ = true;
      const auto hr = call(ev, nullptr, "scenario");
      if (stop) break;
      if (hr && failed(*hr)) {
        // LxssUserSession: the failed start tears the VM down (_VmTerminate calls OnVMStopping);
        // the user can start again.
        ScenarioEvent teardown;
        teardown.hook = "OnVMStopping";
        teardown.iteration = ev.iteration;
        stop_wsl_vm(teardown, "wsl");
      }
      continue;
    }
    if (ev.hook == "OnVMStopping") {
      if (vm_running_) stop_wsl_vm(ev, "scenario");
      continue;
    }
    const Distribution* d = distribution(ev.distribution);
    if (!d) continue;
    // Registration does not need the VM (WSL calls OnDistributionUnregistered after a shutdown).
    if (ev.hook == "OnDistributionRegistered" || ev.hook == "OnDistributionUnregistered") {
      call(ev, d, "scenario");
      continue;
    }
    // Starting and stopping need WSL's VM: without it (a failed start), they wait for the next.
    if (!vm_running_) continue;
    if (ev.hook == "OnDistributionStarted") {
      if (!start_distribution(*d)) break;
      const auto hr = call(ev, d, "scenario");
      if (stop) break;
      if (hr && failed(*hr)) {
        failed_start[d->name] = true;  // WSL does not start it: no stopping hook follows
        stop_distribution(*d);
      }
      continue;
    }
    if (ev.hook == "OnDistributionStopping") {
      if (failed_start[d->name]) continue;
      call(ev, d, "scenario");
      if (stop) break;
      stop_distribution(*d);
      continue;
    }
  }
  if (!stop) {
    // The end of the session: what still runs stops, as when the service stops.
    vm_running_ = false;
    wslc_vm_running_ = false;
    for (const auto& d : o_.distributions) stop_distribution(d);
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
  to_host_.reset();
  wait_until([&] { return host_exited_ || bye_; }, Clock::now() + std::chrono::seconds(5));
  // After "bye" the host has nothing left to do: end it now rather than wait for wine's
  // process teardown. Only the host process: wine's services may share its process group.
  kill_host_process_only();
  kill_host();
}

// Lets finished processes' last bytes through before the report.
void VersionRun::drain_execs() {
  for (int i = 0;
       i < 20 && std::any_of(execs_.begin(), execs_.end(),
                             [](const auto& x) { return x->sp.valid() || x->err.valid(); });
       ++i)
    pump(std::chrono::milliseconds(5));
}

}  // namespace wslplug::host::driver
