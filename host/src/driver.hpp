// The driver of one WSL version's run, shared by its source files (not public): the host process
// and its protocol (host_process.cpp), the Linux side that serves ExecuteBinary and WSLC processes
// (linux_side.cpp), the scenario (scenario_driver.cpp), WSL's rules (wsl_rules.cpp) and the
// verdict (verdict.cpp). host/src/run.cpp assembles the document of every version.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "internal.hpp"
#include "linux_side.hpp"
#include "sandbox.hpp"
#include "wslplug/core/fd.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/core/process.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/core/utf8.hpp"
#include "wslplug/doctor/errors.hpp"
#include "wslplug/host/run.hpp"

namespace wslplug::host::driver {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kSOk = 0;
constexpr std::uint32_t kEFail = 0x80004005;
constexpr std::uint32_t kEInvalidArg = 0x80070057;
constexpr std::uint32_t kRequiresUpdate = 0x8004032A;
constexpr std::uint32_t kIllegalStateChange = 0x8000000D;
constexpr std::uint32_t kIllegalMethodCall = 0x8000000E;
constexpr std::uint32_t kRpcDisconnected = 0x80010108;
constexpr std::uint32_t kFileNotFound = 0x80070002;
constexpr std::uint32_t kNotFound = 0x80070490;
constexpr std::uint32_t kRpcCallFailed = 0x800706BE;
constexpr std::uint32_t kWslcVmNotRunning = 0x80040610;
constexpr std::uint32_t kInvalidState = 0x8007139F;
constexpr std::uint32_t kModNotFound = 0x8007007E;
constexpr std::uint32_t kVmModeInvalidState = 0x80040313;  // WSL_E_VM_MODE_INVALID_STATE
constexpr std::uint32_t kAlreadyExists = 0x800700B7;
constexpr double kSlowMs = 10000.0;  // WSL's SlowOperationWatcher threshold
constexpr auto kGrace = std::chrono::milliseconds(200);
constexpr std::size_t kCaptureMax = 64 * 1024;
constexpr std::size_t kOutputMax = 256 * 1024;
constexpr int kSessionId = 1;
constexpr int kHostCrashExit = 199;
constexpr int kServiceThreads = 8;  // the host's service threads for call-on (1..8)

void append_capped(std::string& to, std::string_view data, std::size_t max);
std::string hex8(std::uint32_t v);
json symbol_of(std::uint32_t hr);
std::string name_or_hex(std::uint32_t hr);
bool failed(std::uint32_t hr);
std::uint32_t parse_hex(std::string_view s);
std::string encode(const std::optional<std::string>& s);
std::optional<std::string> decode(std::string_view t, bool* is_null = nullptr);
json token_json(std::string_view t);
std::vector<std::string> split_commas(std::string_view s);
std::vector<std::string> split(std::string_view line);
double ms(Clock::duration d);
double round1(double v);
std::string windows_path_of(const fs::path& p);
std::string interop_path(const fs::path& p);
void set_nonblock(int fd);
int status_code(int status);
std::string random_secret();

// Files under C: (drive_c), listed before and after a version.
struct FileStat {
  std::uintmax_t size = 0;
  std::int64_t mtime = 0;
};
using Snapshot = std::map<std::string, FileStat>;
Snapshot snapshot(const fs::path& root);
// Files created or modified under `root`, named as `windows_root` + the relative path.
json file_changes(const Snapshot& before, const Snapshot& after, const fs::path& root,
                  const std::string& windows_root = "C:\\");

// WSL's messages and rules (wsl_rules.cpp).
constexpr std::string_view kMsgContainerStopFailed =
    "Failed to stop container '{}' after plugin rejection";
constexpr std::string_view kMsgInvalidState =
    "An install, uninstall, or conversion is in progress for this distribution.";
std::string msg_fatal(const std::string& name);
std::string msg_fatal_with(const std::string& name, const std::string& message);
std::string msg_requires_update(const std::string& name);
// The knowledge base's explanation and fix of an HRESULT.
std::pair<std::string, std::string> explain(std::uint32_t hr);
bool is_start_hook(std::string_view hook);
bool is_wslc_veto_hook(std::string_view hook);
std::string crash_effect(const std::string& hook);
std::string exit_description(int status);

// ------------------------------------------------------------------ one Linux process
struct Exec {
  long cid = 0;
  std::string verb;  // exec | mount | unmount
  Fd tcp, sp, err;   // the host's connection; the process's stdin/stdout and stderr
  std::unique_ptr<LinuxProcess> process;  // exec served by a process
  std::string header;
  bool have_header = false;
  bool canned = false;
  std::string to_tcp, to_child;
  bool tcp_eof = false, child_eof = false, tcp_shut = false, child_shut = false;
  std::string output, input, dmesg;
  std::optional<int> exit_code;
  std::string served_by;  // process | canned | refused
  std::string note;
  // WSLCCreateProcess: stdout and stderr go to the host in frames, then the exit code.
  bool wslc = false, exit_sent = false;
  std::string stderr_text;
  [[nodiscard]] bool finished() const { return !tcp && !sp && !err && (!process || exit_code); }
};

struct Call {
  long cid = 0;
  long seq = 0;
  std::string name;
  std::uint32_t hr = 0;
  json j;
};

// What finish() gathers, phase by phase, for a version's report.
struct Verdict {
  json problems = json::array();
  json load_calls = json::array(), late = json::array();
  json load, crash, abi;
  std::string outcome = "ok";
  std::string summary = "loaded; every hook succeeded";
  bool load_reported = false;
  std::uint32_t load_hr = 0;
  bool hook_failed = false, expectation_failed = false;
  std::string first_failure;
  void problem(const char* severity, const char* id, std::string message, std::string fix,
               const json& hook) {
    problems.push_back({{"severity", severity},
                        {"id", id},
                        {"message", utf8_lossy(message)},
                        {"fix", fix},
                        {"hook", hook}});
  }
};

// The sandbox of a run, as a version sees it (nullptr with --no-sandbox or on Windows itself).
struct Box {
  sandbox::Machine* machine = nullptr;
  std::string wine;                   // the wine loader, inside
  std::string host_exe;               // wslplug-host.exe, inside
  std::vector<std::string> env;       // the plugin host's whole environment, inside
  std::string dll_windows_path;       // the plugin as the host loads it (C:\Program Files\...)
  fs::path drive_c_changes;           // where the run's writes to C:\ land (the overlay's upper)
  fs::path kept;                      // where they are kept after the run (KEPT/VERSION/drive_c)
  std::string plugin_windows_folder;  // ... as the plugin sees it
  bool confined = false;              // --no-exec: nothing the plugin starts can exec
};

// One version: one host process, the scenario, the verdict.
class VersionRun {
 public:
  VersionRun(const Options& o, const Environment& e, WslVersion v, LinuxSide& linux_side,
             const Box* box)
      : o_(o), e_(e), linux_(linux_side), box_(box), v_(v), slots_(hook_slots(v)) {}
  ~VersionRun() { cleanup(); }

  // Starts the host (wine and the host program, no plugin yet), so that the next version's wine
  // start-up overlaps the current version's run.
  void prestart() {
    if (!started_once_ && !trust_) {
      started_once_ = true;
      start_status_ = start();
    }
  }
  json run();
  // The signature check refused the DLL: the load fails at WinVerifyTrust, no host starts.
  void refused_by_signature(const TrustCheck& trust) { trust_ = &trust; }

 private:
  const TrustCheck* trust_ = nullptr;
  // process and I/O
  Status start();
  long count_threads() const;
  bool started_once_ = false;
  Status start_status_;
  long baseline_threads_ = -1;
  void pump(std::chrono::milliseconds timeout);
  template <class Pred>
  bool wait_until(Pred done, Clock::time_point deadline) {
    while (!done()) {
      if (host_exited_) return done();
      const auto now = Clock::now();
      if (now >= deadline) return false;
      pump(std::min(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
                        std::chrono::milliseconds(1),
                    std::chrono::milliseconds(100)));
    }
    return true;
  }
  void send(const std::string& line);
  void on_line(const std::string& line);
  void on_api_line(const std::vector<std::string>& t);
  void on_crash_line(const std::vector<std::string>& t);
  void on_guard_line(const std::vector<std::string>& t);
  void on_accept();
  void exec_header(Exec& x);
  void spawn(Exec& x, const std::string& path, std::vector<std::string> args,
             const std::vector<std::string>* env, const std::string& distribution);
  void mount_request(Exec& x, const std::vector<std::string>& t);
  void unmount_request(Exec& x, const std::vector<std::string>& t);
  void exec_io(Exec& x, const pollfd* tcp, const pollfd* sp, const pollfd* err, const pollfd* pid);
  void reap_host(bool block);
  void kill_host();
  void kill_host_process_only();
  void cleanup();
  // the run's phases
  void harness_error(std::string message, std::string fix);
  void process_limit(const std::string& what);
  void keep_files();
  bool start_host();
  bool load_plugin();
  void drive_events();
  void give_workers_grace();
  void quit_host();
  void drain_execs();
  // scenario
  const Distribution* distribution(const std::string& name) const;
  std::string call_line(long seq, const ScenarioEvent& ev, const Distribution& d,
                        json* passed) const;
  // verdicts
  json finish();
  void attach_exec(Call& c, const std::map<long, Exec*>& by_cid);
  void note_call(Call& c, const json& where, Verdict& v);
  void attribute_calls(Verdict& v);
  void judge_load(Verdict& v);
  void judge_events(Verdict& v);
  json hook_of_seq(long seq);
  json abi_violation();
  json exit_crash();
  void judge_crash(Verdict& v);
  void judge_violations(Verdict& v);
  void choose_outcome(Verdict& v);
  json wsl_for_event(const json& event, std::uint32_t hr, bool has_hr);

  const Options& o_;
  const Environment& e_;
  LinuxSide& linux_;
  const Box* box_;
  std::optional<sandbox::Process> boxed_host_;  // the host, when it runs in the sandbox
  std::string secret_;  // the first token of every request from this run's host
  long refused_connections_ = 0;
  bool vm_running_ = false;       // WSL's VM (OnVMStarted to OnVMStopping)
  bool wslc_vm_running_ = false;  // the WSLC session's VM
  bool linux_vm_ = false;         // the Linux side's VM (runs while either does)
  std::map<std::string, DistributionFacts> distribution_facts_;  // GUID -> the running one's
  std::set<std::string> running_distributions_;                  // GUIDs
  std::set<std::string> wslc_mounts_;                            // WSLCMountFolder targets
  WslVersion v_;
  std::vector<std::string_view> slots_;

  pid_t host_pid_ = -1;
  Fd to_host_, from_host_, console_, listen_, host_pidfd_;
  bool host_exited_ = false;
  int host_status_ = 0;
  std::string proto_buf_, output_, dmesg_;
  std::vector<std::unique_ptr<Exec>> execs_;
  Clock::time_point started_;

  // facts from the host
  bool ready_ = false, load_done_ = false, bye_ = false;
  std::optional<long> threads_;
  json load_ = json::object();
  std::vector<bool> hooks_set_;
  json hooks_set_names_ = json::array();
  std::vector<json> events_;
  std::map<long, std::size_t> event_index_;  // seq -> events_
  std::set<long> begun_;  // hooks begun and not ended (several at once on service threads)
  long running_seq_ = 0;  // the hook begun last of those in progress (0: none, -1: entry point)
  std::vector<Call> calls_;
  json crash_ = nullptr, abi_ = nullptr, hang_ = nullptr, error_ = nullptr;
  json limit_ = nullptr;  // the run's process limit was reached
  std::vector<std::string> protocol_errors_;
  json files_ = json::array();
};

}  // namespace wslplug::host::driver
