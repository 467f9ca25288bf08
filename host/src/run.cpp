// The run: one wslplug-host.exe process per WSL version, driven over its stdin/stdout with the
// line protocol documented in host/win/wslplug-host.cpp; ExecuteBinary served by real Linux
// processes over loopback TCP; then the verdicts, WSL's error strings and messages.
#include "wslplug/host/run.hpp"

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
#include <memory>
#include <optional>

#include "internal.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/core/process.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/doctor/errors.hpp"

namespace wslplug::host {

namespace {

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
constexpr double kSlowMs = 10000.0;  // WSL's SlowOperationWatcher threshold
constexpr auto kGrace = std::chrono::milliseconds(200);
constexpr std::size_t kCaptureMax = 64 * 1024;
constexpr std::size_t kOutputMax = 256 * 1024;
constexpr int kSessionId = 1;
constexpr int kHostCrashExit = 199;

// ------------------------------------------------------------------ text helpers
// Valid UTF-8 whatever the bytes (invalid sequences become U+FFFD).
std::string utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
    if (ok && n == 2 && c < 0xc2) ok = false;
    if (ok && n == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0)) ok = false;
    }
    if (ok && n == 4) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xf0 && c1 < 0x90) || c > 0xf4 || (c == 0xf4 && c1 >= 0x90)) ok = false;
    }
    if (!ok) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

void append_capped(std::string& to, std::string_view data, std::size_t max) {
  if (to.size() >= max) return;
  to.append(data.substr(0, max - to.size()));
}

std::string hex8(std::uint32_t v) { return errors::hresult_hex(v); }
json symbol_of(std::uint32_t hr) {
  if (hr == 0) return "S_OK";
  if (hr == 1) return "S_FALSE";
  auto s = errors::hresult_symbol(hr);
  return s ? json(*s) : json(nullptr);
}
std::string name_or_hex(std::uint32_t hr) {
  auto s = symbol_of(hr);
  return s.is_string() ? s.get<std::string>() : hex8(hr);
}
bool failed(std::uint32_t hr) { return (hr & 0x80000000u) != 0; }

std::uint32_t parse_hex(std::string_view s) {
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  std::uint64_t v = 0;
  for (char c : s) {
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) break;
    v = v * 16 + static_cast<unsigned>(d);
  }
  return static_cast<std::uint32_t>(v);
}

std::string encode(const std::optional<std::string>& s) {
  if (!s) return "~";
  static const char kHex[] = "0123456789ABCDEF";
  std::string out = "=";
  for (unsigned char c : *s) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '/' || c == ':' || c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}
// A protocol string token: nullopt for "~" (NULL) or a malformed token.
std::optional<std::string> decode(std::string_view t, bool* is_null = nullptr) {
  if (is_null) *is_null = false;
  if (t == "~") {
    if (is_null) *is_null = true;
    return std::nullopt;
  }
  if (t.empty() || t[0] != '=') return std::nullopt;
  std::string out;
  for (size_t i = 1; i < t.size(); ++i) {
    if (t[i] == '%' && i + 2 < t.size()) {
      out.push_back(static_cast<char>(parse_hex(t.substr(i + 1, 2))));
      i += 2;
    } else {
      out.push_back(t[i]);
    }
  }
  return out;
}
json token_json(std::string_view t) {
  bool is_null = false;
  auto s = decode(t, &is_null);
  if (is_null) return nullptr;
  if (s) return utf8(*s);
  // A raw number.
  return std::strtoll(std::string(t).c_str(), nullptr, 10);
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    const size_t j = s.find(',', i);
    out.emplace_back(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) return out;
    i = j + 1;
  }
}

std::vector<std::string> split(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= line.size()) {
    const size_t j = line.find(' ', i);
    out.emplace_back(line.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double round1(double v) { return static_cast<double>(static_cast<long long>(v * 10 + 0.5)) / 10; }

std::string windows_path_of(const fs::path& p) {
  std::string s = fs::absolute(p).lexically_normal().string();
  for (char& c : s)
    if (c == '/') c = '\\';
  return "Z:" + s;
}

// Inside WSL: the Windows path of a Linux path (wslpath -w); the path itself if that fails.
std::string interop_path(const fs::path& p) {
  process::Options po;
  po.capture_stdout = true;
  auto r = process::run({"wslpath", "-w", fs::absolute(p).string()}, po);
  if (!r || !r->ok()) return fs::absolute(p).string();
  std::string out = r->captured;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
void set_nonblock(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }
void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}
int status_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// ------------------------------------------------------------------ files under C: (drive_c)
struct FileStat {
  std::uintmax_t size = 0;
  std::int64_t mtime = 0;
};
using Snapshot = std::map<std::string, FileStat>;

Snapshot snapshot(const fs::path& root) {
  Snapshot out;
  if (root.empty()) return out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const auto& entry = *it;
    if (entry.is_symlink(ec) || !entry.is_regular_file(ec)) continue;
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0) continue;
    out[entry.path().lexically_relative(root).string()] = {
        static_cast<std::uintmax_t>(st.st_size),
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  }
  return out;
}

json file_changes(const Snapshot& before, const Snapshot& after, const fs::path& root) {
  json out = json::array();
  for (const auto& [rel, st] : after) {
    auto it = before.find(rel);
    const char* change = nullptr;
    if (it == before.end())
      change = "created";
    else if (it->second.size != st.size || it->second.mtime != st.mtime)
      change = "modified";
    if (!change) continue;
    std::string win = "C:\\" + rel;
    for (char& c : win)
      if (c == '/') c = '\\';
    out.push_back({{"path", utf8(win)},
                   {"host_path", utf8((root / rel).string())},
                   {"size", st.size},
                   {"change", change}});
  }
  return out;
}

// ------------------------------------------------------------------ WSL's messages
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
constexpr std::string_view kMsgContainerStopFailed =
    "Failed to stop container '{}' after plugin rejection";
constexpr std::string_view kMsgInvalidState =
    "An install, uninstall, or conversion is in progress for this distribution.";

std::pair<std::string, std::string> explain(std::uint32_t hr) {
  if (const auto* k = errors::find_known(hr)) {
    std::string fix = k->fixes[0].empty() ? std::string() : std::string(k->fixes[0]);
    return {std::string(k->summary), fix};
  }
  return {fmt::format("{} is the plugin's own failure code (not in wslplug's knowledge base)",
                      name_or_hex(hr)),
          "see the plugin's log for why it returned this code"};
}

// ------------------------------------------------------------------ one Linux process
struct Exec {
  long cid = 0;
  int tcp = -1, sp = -1, err = -1, pidfd = -1;
  pid_t pid = -1;
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
  [[nodiscard]] bool finished() const { return tcp < 0 && sp < 0 && err < 0 && pidfd < 0; }
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
                        {"message", utf8(message)},
                        {"fix", fix},
                        {"hook", hook}});
  }
};

// ------------------------------------------------------------------ one version
class VersionRun {
 public:
  VersionRun(const Options& o, const Environment& e, WslVersion v)
      : o_(o), e_(e), v_(v), slots_(hook_slots(v)) {}
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
             const std::vector<std::string>* env = nullptr);
  void exec_io(Exec& x, const pollfd* tcp, const pollfd* sp, const pollfd* err, const pollfd* pid);
  void reap_host(bool block);
  void kill_host();
  void cleanup();
  // the run's phases
  void harness_error(std::string message, std::string fix);
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
  WslVersion v_;
  std::vector<std::string_view> slots_;

  pid_t host_pid_ = -1;
  int to_host_ = -1, from_host_ = -1, console_ = -1, listen_ = -1, host_pidfd_ = -1;
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
  std::optional<long> ended_seq_;
  long running_seq_ = 0;  // the hook in progress (0: none, -1: entry point)
  std::vector<Call> calls_;
  json crash_ = nullptr, abi_ = nullptr, hang_ = nullptr, error_ = nullptr;
  std::vector<std::string> protocol_errors_;
  json files_ = json::array();
};

Status VersionRun::start() {
  started_ = Clock::now();
  listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_ < 0 || ::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_, 16) != 0 ||
      ::getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return io_error(fmt::format("cannot listen on 127.0.0.1: {}", std::strerror(errno)), {},
                    "wslplug run needs loopback TCP for ExecuteBinary");
  set_nonblock(listen_);
  const int port = ntohs(addr.sin_port);

  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    return io_error(fmt::format("cannot create pipes: {}", std::strerror(errno)));
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  if (e_.kind == "wine") {
    argv = {e_.wine.string(), e_.exe.string(), std::to_string(port)};
    env = wine_environment(e_);
  } else {
    argv = {e_.exe.string(), std::to_string(port)};
  }
  host_pid_ = ::fork();
  if (host_pid_ < 0) return io_error(fmt::format("fork failed: {}", std::strerror(errno)));
  if (host_pid_ == 0) {
    ::setpgid(0, 0);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::close_range(3, ~0u, 0);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    ::unsetenv("DISPLAY");
    ::unsetenv("WAYLAND_DISPLAY");
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "wslplug: cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::setpgid(host_pid_, host_pid_);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  to_host_ = in[1];
  from_host_ = out[0];
  console_ = err[0];
  set_nonblock(from_host_);
  set_nonblock(console_);
  host_pidfd_ = pidfd_open(host_pid_);
  return {};
}

long VersionRun::count_threads() const {
  if (e_.kind != "wine" || host_pid_ <= 0 || host_exited_) return -1;
  std::error_code ec;
  long n = 0;
  for (fs::directory_iterator it(fmt::format("/proc/{}/task", host_pid_), ec), end;
       !ec && it != end; it.increment(ec))
    ++n;
  return ec ? -1 : n;
}

void VersionRun::send(const std::string& line) {
  if (to_host_ < 0) return;
  const std::string data = line + "\n";
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(to_host_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void VersionRun::reap_host(bool block) {
  if (host_exited_ || host_pid_ < 0) return;
  int status = 0;
  const pid_t r = ::waitpid(host_pid_, &status, block ? 0 : WNOHANG);
  if (r == host_pid_) {
    host_exited_ = true;
    host_status_ = status;
    close_fd(host_pidfd_);
    // What the host wrote before it ended.
    char buf[65536];
    for (ssize_t n; (n = ::read(from_host_, buf, sizeof buf)) > 0;) {
      proto_buf_.append(buf, static_cast<size_t>(n));
    }
    for (size_t nl; (nl = proto_buf_.find('\n')) != std::string::npos;) {
      const std::string line = proto_buf_.substr(0, nl);
      proto_buf_.erase(0, nl + 1);
      on_line(line);
    }
    for (ssize_t n; (n = ::read(console_, buf, sizeof buf)) > 0;)
      append_capped(output_, {buf, static_cast<size_t>(n)}, kOutputMax);
  }
}

void VersionRun::kill_host() {
  if (host_pid_ > 0 && !host_exited_) {
    ::kill(-host_pid_, SIGKILL);
    ::kill(host_pid_, SIGKILL);
    reap_host(true);
  }
}

void VersionRun::cleanup() {
  kill_host();
  for (auto& x : execs_) {
    if (x->pid > 0 && !x->exit_code) {
      ::kill(-x->pid, SIGKILL);
      int status = 0;
      if (::waitpid(x->pid, &status, 0) == x->pid) x->exit_code = status_code(status);
    }
    close_fd(x->tcp);
    close_fd(x->sp);
    close_fd(x->err);
    close_fd(x->pidfd);
  }
  close_fd(to_host_);
  close_fd(from_host_);
  close_fd(console_);
  close_fd(listen_);
  close_fd(host_pidfd_);
}

void VersionRun::pump(std::chrono::milliseconds timeout) {
  std::vector<pollfd> fds;
  auto add = [&](int fd, short events) -> int {
    if (fd < 0) return -1;
    fds.push_back({fd, events, 0});
    return static_cast<int>(fds.size() - 1);
  };
  const int i_proto = add(from_host_, POLLIN);
  const int i_console = add(console_, POLLIN);
  const int i_listen = add(listen_, POLLIN);
  const int i_host = add(host_pidfd_, POLLIN);
  struct Slots {
    int tcp, sp, err, pid;
  };
  std::vector<Slots> slots;
  for (auto& x : execs_) {
    Slots s{-1, -1, -1, -1};
    if (x->tcp >= 0) {
      short ev = 0;
      if (!x->tcp_eof && (x->to_child.size() < kCaptureMax)) ev |= POLLIN;
      if (!x->to_tcp.empty()) ev |= POLLOUT;
      s.tcp = add(x->tcp, ev);
    }
    if (x->sp >= 0) {
      short ev = 0;
      if (!x->child_eof && x->to_tcp.size() < kCaptureMax) ev |= POLLIN;
      if (!x->to_child.empty()) ev |= POLLOUT;
      s.sp = add(x->sp, ev);
    }
    s.err = add(x->err, POLLIN);
    s.pid = add(x->pidfd, POLLIN);
    slots.push_back(s);
  }
  const int n = ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
  if (n <= 0) {
    if (host_pidfd_ < 0) reap_host(false);
    return;
  }
  char buf[65536];
  if (i_proto >= 0 && fds[i_proto].revents) {
    const ssize_t r = ::read(from_host_, buf, sizeof buf);
    if (r > 0) {
      proto_buf_.append(buf, static_cast<size_t>(r));
      for (size_t nl; (nl = proto_buf_.find('\n')) != std::string::npos;) {
        const std::string line = proto_buf_.substr(0, nl);
        proto_buf_.erase(0, nl + 1);
        on_line(line);
      }
    } else if (r == 0) {
      close_fd(from_host_);
    }
  }
  if (i_console >= 0 && fds[i_console].revents) {
    const ssize_t r = ::read(console_, buf, sizeof buf);
    if (r > 0)
      append_capped(output_, {buf, static_cast<size_t>(r)}, kOutputMax);
    else if (r == 0)
      close_fd(console_);
  }
  if (i_listen >= 0 && fds[i_listen].revents) on_accept();
  for (size_t k = 0; k < slots.size() && k < execs_.size(); ++k) {
    const Slots& s = slots[k];
    exec_io(*execs_[k], s.tcp >= 0 ? &fds[s.tcp] : nullptr, s.sp >= 0 ? &fds[s.sp] : nullptr,
            s.err >= 0 ? &fds[s.err] : nullptr, s.pid >= 0 ? &fds[s.pid] : nullptr);
  }
  if (i_host >= 0 && fds[i_host].revents) reap_host(false);
  if (host_pidfd_ < 0) reap_host(false);
}

void VersionRun::on_accept() {
  for (;;) {
    const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    auto x = std::make_unique<Exec>();
    x->tcp = fd;
    execs_.push_back(std::move(x));
  }
}

void reply(int fd, std::string_view line) {
  std::string data(line);
  data.push_back('\n');
  size_t done = 0;
  // The host waits for this line before it hands the socket to the plugin: a few bytes into an
  // empty socket buffer, so this does not block.
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// One frame of the WSLC process transport: [type:1][length:4 LE][bytes].
void append_frame(std::string& to, char type, std::string_view data) {
  const auto n = static_cast<std::uint32_t>(data.size());
  to.push_back(type);
  for (int i = 0; i < 4; ++i) to.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  to.append(data);
}

// Answers the host's exec request with a failure; the plugin's call returns `hr`.
void refuse(Exec& x, std::uint32_t hr, std::string note, int child_errno = 0) {
  x.served_by = "refused";
  x.note = std::move(note);
  reply(x.tcp, "fail " + hex8(hr) + (x.wslc ? " " + std::to_string(child_errno) : ""));
  close_fd(x.tcp);
}

void VersionRun::exec_header(Exec& x) {
  const std::vector<std::string> t = split(x.header);
  // exec CID KIND GUID PATH ARG...
  if (t.size() < 5 || t[0] != "exec") return refuse(x, kEFail, "malformed request from the host");
  x.cid = std::strtol(t[1].c_str(), nullptr, 10);
  x.wslc = t[2] == "wslc";
  auto path = decode(t[4]);
  std::vector<std::string> args;
  std::optional<std::vector<std::string>> env;
  for (size_t i = 5; i < t.size(); ++i) {
    if (t[i] == "+") {
      env.emplace();
      continue;
    }
    (env ? *env : args).push_back(decode(t[i]).value_or(""));
  }
  if (!path) return refuse(x, kEFail, "malformed request from the host");
  if (x.wslc) {
    if (o_.no_exec) return refuse(x, kEFail, "--no-exec refuses every command with E_FAIL", ENOENT);
    struct stat st {};
    if (::stat(path->c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        ::access(path->c_str(), X_OK) != 0)
      return refuse(x, kEFail,
                    fmt::format("{} is not an executable file on this machine (this harness "
                                "answers E_FAIL with Errno ENOENT/EACCES)",
                                utf8(*path)),
                    errno == 0 ? ENOENT : errno);
    return spawn(x, *path, std::move(args), env ? &*env : nullptr);
  }
  if (t[2] == "distribution") {
    const auto guid = normalize_guid(t[3]);
    const bool known = guid && std::any_of(o_.distributions.begin(), o_.distributions.end(),
                                           [&](const Distribution& d) { return d.guid == *guid; });
    if (!known)
      return refuse(x, kNotFound,
                    fmt::format("no distribution has GUID {} (ERROR_NOT_FOUND is this harness's "
                                "answer; WSL's exact code for an unknown distribution is not "
                                "documented)",
                                t[3]));
  }
  for (const CannedCommand& c : o_.commands) {
    if (c.path != *path) continue;
    if (c.arguments && *c.arguments != args) continue;
    if (c.result) return refuse(x, *c.result, "refused by the scenario's canned reply");
    x.canned = true;
    x.served_by = "canned";
    reply(x.tcp, "ok");
    x.to_tcp = c.stdout_text;
    append_capped(x.output, c.stdout_text, kCaptureMax);
    x.child_eof = true;
    return;
  }
  if (o_.no_exec) return refuse(x, kEFail, "--no-exec refuses every command with E_FAIL");
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(path->c_str(), X_OK) != 0)
    return refuse(x, kEFail,
                  fmt::format("{} is not an executable file on this machine (WSL answers "
                              "E_FAIL for a binary that does not exist)",
                              utf8(*path)));
  spawn(x, *path, std::move(args));
}

// Starts `path` as a real Linux process for the exec request: stdin and stdout on a socket pair,
// stderr on a pipe; a failed execve comes back over a close-on-exec status pipe.
void VersionRun::spawn(Exec& x, const std::string& path, std::vector<std::string> args,
                       const std::vector<std::string>* env) {
  int sp[2], err[2], status[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0 ||
      ::pipe2(err, O_CLOEXEC) != 0 || ::pipe2(status, O_CLOEXEC) != 0)
    return refuse(x, kEFail, fmt::format("cannot create pipes: {}", std::strerror(errno)));
  if (args.empty()) args.push_back(path);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(sp[1], 0);
    ::dup2(sp[1], 1);
    ::dup2(err[1], 2);
    ::dup2(status[1], 3);
    ::close_range(4, ~0u, 0);
    ::fcntl(3, F_SETFD, FD_CLOEXEC);
    if (::chdir("/") != 0) {
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    char env0[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    char env1[] = "LANG=C.UTF-8";
    char env2[] = "HOME=/root";
    std::vector<char*> envp = {env0, env1, env2, nullptr};
    std::vector<std::string> given = env ? *env : std::vector<std::string>{};
    if (env) {
      envp.clear();
      for (auto& e : given) envp.push_back(e.data());
      envp.push_back(nullptr);
    }
    ::execve(path.c_str(), argv.data(), envp.data());
    const int e = errno;
    if (::write(3, &e, sizeof e) < 0) {
    }
    ::_exit(127);
  }
  ::close(sp[1]);
  ::close(err[1]);
  ::close(status[1]);
  if (pid < 0) {
    ::close(sp[0]);
    ::close(err[0]);
    ::close(status[0]);
    return refuse(x, kEFail, fmt::format("fork failed: {}", std::strerror(errno)));
  }
  ::setpgid(pid, pid);
  int child_errno = 0;
  const ssize_t got = ::read(status[0], &child_errno, sizeof child_errno);
  ::close(status[0]);
  if (got > 0) {
    int st2 = 0;
    ::waitpid(pid, &st2, 0);
    ::close(sp[0]);
    ::close(err[0]);
    return refuse(x, kEFail,
                  fmt::format("{} cannot be executed: {} (WSL answers E_FAIL)", utf8(path),
                              std::strerror(child_errno)),
                  child_errno);
  }
  x.pid = pid;
  x.pidfd = pidfd_open(pid);
  x.sp = sp[0];
  x.err = err[0];
  set_nonblock(x.sp);
  set_nonblock(x.err);
  x.served_by = "process";
  reply(x.tcp, "ok");
}

void VersionRun::exec_io(Exec& x, const pollfd* tcp, const pollfd* sp, const pollfd* err,
                         const pollfd* pid) {
  char buf[65536];
  if (tcp && tcp->revents && x.tcp >= 0) {
    if (!x.have_header) {
      const ssize_t n = ::recv(x.tcp, buf, sizeof buf, 0);
      if (n <= 0) {
        close_fd(x.tcp);
        return;
      }
      x.header.append(buf, static_cast<size_t>(n));
      const size_t nl = x.header.find('\n');
      if (nl != std::string::npos) {
        const std::string rest = x.header.substr(nl + 1);
        x.header.resize(nl);
        x.have_header = true;
        exec_header(x);
        if (x.tcp >= 0 && !rest.empty()) {
          append_capped(x.input, rest, kCaptureMax);
          if (!x.canned) x.to_child += rest;
        }
      } else if (x.header.size() > 1 << 20) {
        close_fd(x.tcp);
      }
      return;
    }
    if ((tcp->revents & (POLLIN | POLLHUP | POLLERR)) && !x.tcp_eof) {
      const ssize_t n = ::recv(x.tcp, buf, sizeof buf, 0);
      if (n > 0) {
        append_capped(x.input, {buf, static_cast<size_t>(n)}, kCaptureMax);
        if (!x.canned) x.to_child.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        x.tcp_eof = true;
      }
    }
    if ((tcp->revents & POLLOUT) && !x.to_tcp.empty()) {
      const ssize_t n = ::send(x.tcp, x.to_tcp.data(), x.to_tcp.size(), MSG_NOSIGNAL);
      if (n > 0)
        x.to_tcp.erase(0, static_cast<size_t>(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        x.to_tcp.clear();  // the plugin closed its socket
    }
  }
  if (sp && sp->revents && x.sp >= 0) {
    if ((sp->revents & (POLLIN | POLLHUP | POLLERR)) && !x.child_eof) {
      const ssize_t n = ::read(x.sp, buf, sizeof buf);
      if (n > 0) {
        append_capped(x.output, {buf, static_cast<size_t>(n)}, kCaptureMax);
        if (x.wslc)
          append_frame(x.to_tcp, 1, {buf, static_cast<size_t>(n)});
        else
          x.to_tcp.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        x.child_eof = true;
      }
    }
    if ((sp->revents & POLLOUT) && !x.to_child.empty()) {
      const ssize_t n = ::send(x.sp, x.to_child.data(), x.to_child.size(), MSG_NOSIGNAL);
      if (n > 0)
        x.to_child.erase(0, static_cast<size_t>(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        x.to_child.clear();
    }
  }
  if (err && err->revents && x.err >= 0) {
    const ssize_t n = ::read(x.err, buf, sizeof buf);
    if (n > 0 && x.wslc) {
      append_capped(x.stderr_text, {buf, static_cast<size_t>(n)}, kCaptureMax);
      append_frame(x.to_tcp, 2, {buf, static_cast<size_t>(n)});
    } else if (n > 0) {
      append_capped(x.dmesg, {buf, static_cast<size_t>(n)}, kCaptureMax);
      append_capped(dmesg_, {buf, static_cast<size_t>(n)}, kOutputMax);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      close_fd(x.err);
    }
  }
  if (pid && pid->revents && x.pidfd >= 0) {
    int status = 0;
    if (::waitpid(x.pid, &status, WNOHANG) == x.pid) {
      x.exit_code = status_code(status);
      close_fd(x.pidfd);
    }
  }
  // A WSLC process's exit goes to the host after its last output.
  if (x.wslc && !x.exit_sent && x.child_eof && x.err < 0 && x.exit_code && x.tcp >= 0) {
    const auto code = static_cast<std::uint32_t>(*x.exit_code);
    std::string four;
    for (int i = 0; i < 4; ++i) four.push_back(static_cast<char>((code >> (8 * i)) & 0xff));
    append_frame(x.to_tcp, 3, four);
    x.exit_sent = true;
    // Start sending now: poll asks for POLLOUT next round.
    const ssize_t n = ::send(x.tcp, x.to_tcp.data(), x.to_tcp.size(), MSG_NOSIGNAL);
    if (n > 0) x.to_tcp.erase(0, static_cast<size_t>(n));
  }
  // Half-closes, in both directions, once the pending bytes are through.
  if (x.tcp_eof && x.to_child.empty() && !x.child_shut && x.sp >= 0) {
    ::shutdown(x.sp, SHUT_WR);
    x.child_shut = true;
  }
  if (x.child_eof && x.to_tcp.empty() && !x.tcp_shut && x.tcp >= 0 && x.have_header &&
      (!x.wslc || x.exit_sent)) {
    ::shutdown(x.tcp, SHUT_WR);
    x.tcp_shut = true;
  }
  if (x.child_eof && x.sp >= 0 && (x.child_shut || x.tcp < 0)) close_fd(x.sp);
  if (x.tcp_eof && x.tcp_shut) close_fd(x.tcp);
}

// ------------------------------------------------------------------ host lines
void VersionRun::on_line(const std::string& line) {
  const std::vector<std::string> t = split(line);
  if (t.empty()) return;
  const std::string& kind = t[0];
  if (kind == "ready") {
    ready_ = true;
    baseline_threads_ = count_threads();
  } else if (kind == "load" && t.size() >= 4) {
    const std::uint32_t hr = parse_hex(t[2]);
    load_["step"] = t[1];
    load_["hresult"] = hex8(hr);
    load_["symbol"] = symbol_of(hr);
    load_["duration_ms"] = round1(std::strtod(t[3].c_str(), nullptr) / 1000.0);
    if (t[1] != "EntryPoint" || failed(hr)) load_done_ = true;
  } else if (kind == "hooks" && t.size() >= 2) {
    hooks_set_.assign(slots_.size(), false);
    if (t[1] != "-") {
      for (const std::string& part : split_commas(t[1])) {
        const size_t i = std::strtoul(part.c_str(), nullptr, 10);
        if (i < hooks_set_.size()) hooks_set_[i] = true;
      }
    }
    for (size_t i = 0; i < slots_.size(); ++i)
      if (hooks_set_[i]) hooks_set_names_.push_back(slots_[i]);
    load_done_ = true;
  } else if (kind == "begin" && t.size() >= 3) {
    running_seq_ = std::strtol(t[1].c_str(), nullptr, 10);
  } else if (kind == "end" && t.size() >= 5) {
    const long seq = std::strtol(t[1].c_str(), nullptr, 10);
    if (auto it = event_index_.find(seq); it != event_index_.end()) {
      json& ev = events_[it->second];
      const std::uint32_t hr = parse_hex(t[3]);
      ev["hresult"] = hex8(hr);
      ev["symbol"] = symbol_of(hr);
      const double d = std::strtod(t[4].c_str(), nullptr) / 1000.0;
      ev["duration_ms"] = round1(d);
      ev["slow"] = d > kSlowMs;
    }
    running_seq_ = 0;
    ended_seq_ = seq;
  } else if (kind == "api" && t.size() >= 7) {
    on_api_line(t);
  } else if (kind == "crash" && t.size() >= 9) {
    on_crash_line(t);
  } else if (kind == "guard" && t.size() >= 9) {
    on_guard_line(t);
  } else if (kind == "threads" && t.size() >= 2) {
    threads_ = std::strtol(t[1].c_str(), nullptr, 10);
  } else if (kind == "bye") {
    bye_ = true;
  } else if (kind == "error") {
    protocol_errors_.push_back(line);
  }
}

// api CID SEQ THREAD NAME HRESULT T KEY=VALUE...: one call the plugin made into the API table.
void VersionRun::on_api_line(const std::vector<std::string>& t) {
  Call c;
  c.cid = std::strtol(t[1].c_str(), nullptr, 10);
  c.seq = std::strtol(t[2].c_str(), nullptr, 10);
  c.name = t[4];
  c.hr = parse_hex(t[5]);
  json args = json::object();
  for (size_t i = 7; i < t.size(); ++i) {
    const std::string& kv = t[i];
    if (kv.starts_with("env=") || kv.starts_with("env~")) {
      if (!args.contains("environment")) args["environment"] = json::array();
      args["environment"].push_back(token_json(kv.substr(3)));
      continue;
    }
    if (kv.starts_with("arg=") || kv.starts_with("arg~")) {
      if (!args.contains("arguments") || args["arguments"].is_null())
        args["arguments"] = json::array();
      args["arguments"].push_back(token_json(kv.substr(3)));
      continue;
    }
    // KEY followed by a string token ("=..." or "~"); session, read_only and fd are numbers.
    size_t split_at = 0;
    while (split_at < kv.size() && kv[split_at] != '=' && kv[split_at] != '~') ++split_at;
    const std::string key = kv.substr(0, split_at);
    const std::string value = kv.substr(split_at);
    json v;
    if (key == "session" || key == "read_only" || key == "fd" || key == "exit_code")
      v = value.size() > 1 ? json(std::strtoll(value.c_str() + 1, nullptr, 10)) : json(nullptr);
    else
      v = token_json(value);
    if (key == "read_only") v = v.is_number() && v.get<long long>() != 0;
    args[key] = v;
  }
  if ((c.name == "ExecuteBinary" || c.name == "ExecuteBinaryInDistribution" ||
       c.name == "WSLCCreateProcess") &&
      !args.contains("arguments"))
    args["arguments"] = json::array();
  if (c.name == "WSLCCreateProcess" && !args.contains("environment")) args["environment"] = nullptr;
  if (c.name == "ExecuteBinaryInDistribution" && args.contains("distribution") &&
      args["distribution"].is_string()) {
    args["distribution_name"] = nullptr;
    if (auto g = normalize_guid(args["distribution"].get<std::string>()))
      for (const auto& d : o_.distributions)
        if (d.guid == *g) args["distribution_name"] = d.name;
  }
  c.j = {{"call", c.name},
         {"args", args},
         {"hresult", hex8(c.hr)},
         {"symbol", symbol_of(c.hr)},
         {"thread", t[3]},
         {"hook", nullptr},
         {"t_ms", round1(std::strtod(t[6].c_str(), nullptr) / 1000.0)},
         {"note", nullptr}};
  calls_.push_back(std::move(c));
}

// crash CODE ADDRESS MODULE OFFSET ACCESS FAULT_ADDRESS THREAD SEQ: an unhandled exception.
void VersionRun::on_crash_line(const std::vector<std::string>& t) {
  const std::uint32_t code = parse_hex(t[1]);
  auto name = errors::ntstatus_name(code);
  json crash = {{"code", hex8(code)},
                {"name", name ? json(std::string(*name)) : json(nullptr)},
                {"kind", "exception"},
                {"address", t[2]},
                {"module", token_json(t[3])},
                {"offset", fmt::format("0x{:X}", parse_hex(t[4]))},
                {"access", t[5] == "-" ? json(nullptr) : json(t[5])},
                {"fault_address", t[6] == "-" ? json(nullptr) : json(t[6])},
                {"thread", t[7]},
                {"seq", std::strtol(t[8].c_str(), nullptr, 10)},
                {"exit_code", nullptr}};
  if (t[3] == "~") crash["offset"] = nullptr;
  crash_ = crash;
}

// guard REGION KIND OFFSET ACCESS THREAD SEQ MODULE MODULE_OFFSET: an ABI violation.
void VersionRun::on_guard_line(const std::vector<std::string>& t) {
  abi_ = {{"region", t[1]},
          {"kind", t[2]},
          {"offset", std::strtoll(t[3].c_str(), nullptr, 10)},
          {"access", t[4]},
          {"thread", t[5]},
          {"seq", std::strtol(t[6].c_str(), nullptr, 10)},
          {"module", token_json(t[7])},
          {"module_offset", fmt::format("0x{:X}", parse_hex(t[8]))}};
}

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
  if (trust_) {
    load_ = {{"step", "WinVerifyTrust"},
             {"hresult", hex8(*trust_->refused_hr)},
             {"symbol", symbol_of(*trust_->refused_hr)},
             {"duration_ms", trust_->report["duration_ms"]}};
    return finish();
  }
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

// ------------------------------------------------------------------ verdicts
namespace {

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

}  // namespace

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
              {"error_code", prefix + errors::wsl_code_string(hr)},
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
              {"error_code", prefix + errors::wsl_code_string(kIllegalStateChange)},
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
              {"error_code", prefix + errors::wsl_code_string(hr)},
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
              {"error_code", prefix + errors::wsl_code_string(kIllegalStateChange)},
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
        j["output"] = utf8(x.output);
        j["input"] = utf8(x.input);
        j[extra] = utf8(wslc_call ? x.stderr_text : x.dmesg);
        j["exit_code"] = x.exit_code ? json(*x.exit_code) : json(nullptr);
      }
      if (!x.note.empty()) j["note"] = utf8(x.note);
    }
  }
}

// WSL's answer to one call, where it needs a word, and the problem it shows in the plugin.
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
  } else if (c.name == "MountFolder" && c.hr == kSOk) {
    j["note"] = "recorded (there is no VM here: nothing is mounted)";
  } else if (c.name.starts_with("WSLC") && c.hr == kWslcVmNotRunning) {
    j["note"] =
        "the WSLC session's VM does not run now (before WslcVmStarted or after WslcVmStopping): "
        "WSLC calls never start a VM and answer WSLC_E_VM_NOT_RUNNING";
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
void VersionRun::attribute_calls(Verdict& v) {
  std::map<long, Exec*> by_cid;
  for (auto& x : execs_)
    if (x->cid > 0) by_cid[x->cid] = x.get();
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
         "Wsl/Service/CreateInstance/CreateVm/Plugin/" + errors::wsl_code_string(load_hr)},
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
        met = hr == errors::symbol_value(x).value_or(parse_hex(x));
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
        {"error_code", errors::wsl_code_string(kRpcCallFailed)},
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
                {"file", nullptr},
                {"where", nullptr},
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
              {"file", nullptr},
              {"where", nullptr},
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
  run["summary"] = utf8(v.summary);
  run["load"] = v.load;
  run["hooks_set"] = v.load_reported && !failed(v.load_hr) ? hooks_set_names_ : json::array();
  run["events"] = events;
  run["late_api_calls"] = v.late;
  run["problems"] = v.problems;
  run["crash"] = v.crash;
  run["abi_violation"] = v.abi;
  run["hang"] = hang_;
  run["dmesg"] = utf8(dmesg_);
  run["output"] = utf8(output_);
  run["files"] = files_;
  run["error"] = error_;
  return run;
}

}  // namespace

Result<nlohmann::json> run(const Options& options, const Environment& environment) {
  // A host that dies while the driver writes to it must not kill the driver.
  ::signal(SIGPIPE, SIG_IGN);
  std::error_code ec;
  if (!fs::is_regular_file(options.dll, ec))
    return input_error("no such file", options.dll.string(), {},
                       "give the plugin DLL, or run in a project folder after wslplug build");
  auto image = pe::Image::open(options.dll);
  if (!image) return std::unexpected(image.error());
  if (image->layout().machine == static_cast<std::uint16_t>(pe::Machine::kArm64))
    return input_error("this is an ARM64 DLL: this x86_64 machine cannot run it",
                       options.dll.string(), "COFF header Machine",
                       "build for x86_64 to run it here (wslplug build --target x86_64); test the "
                       "ARM64 build on an ARM64 Windows machine");
  for (const auto& ev : options.events)
    if (ev.hook.starts_with("OnDistribution") &&
        std::none_of(options.distributions.begin(), options.distributions.end(),
                     [&](const Distribution& d) { return iequals(d.name, ev.distribution); }))
      return input_error(fmt::format("event {} names distribution '{}', which is not configured",
                                     ev.hook, printable(ev.distribution)),
                         options.scenario_file, "events",
                         "add it to the scenario's distributions or with --distro");
  Options o = options;
  if (o.versions.empty()) o.versions = default_versions();
  if (o.events.empty()) o.events = default_events(o.distributions, o.repeat);
  json doc;
  doc["schema"] = 1;
  doc["plugin"] = {{"file", utf8(fs::absolute(o.dll).lexically_normal().string())},
                   {"name", utf8(o.plugin_name)}};
  const bool wine = environment.kind == "wine";
  doc["host"] = {{"kind", environment.kind},
                 {"exe", environment.exe.string()},
                 {"wine", wine ? json(environment.wine.string()) : json(nullptr)},
                 {"wine_version", wine ? json(environment.wine_version) : json(nullptr)},
                 {"prefix", wine ? json(environment.prefix.string()) : json(nullptr)},
                 {"drive_c", environment.drive_c.empty() ? json(nullptr)
                                                         : json(environment.drive_c.string())}};
  json versions = json::array();
  for (const auto& v : o.versions) versions.push_back(v.text());
  doc["options"] = {{"wsl_versions", versions},
                    {"repeat", o.repeat},
                    {"no_exec", o.no_exec},
                    {"null_strings", o.null_strings},
                    {"hook_timeout_s", o.hook_timeout_s},
                    {"scenario", o.scenario_file.empty() ? json(nullptr) : json(o.scenario_file)}};
  json dists = json::array();
  for (const auto& d : o.distributions)
    dists.push_back({{"name", d.name},
                     {"guid", d.guid},
                     {"package", d.package ? json(utf8(*d.package)) : json(nullptr)},
                     {"flavor", d.flavor ? json(utf8(*d.flavor)) : json(nullptr)},
                     {"version", d.version ? json(utf8(*d.version)) : json(nullptr)},
                     {"pid_namespace", d.pid_namespace},
                     {"init_pid", d.init_pid}});
  doc["distributions"] = dists;
  doc["runs"] = json::array();
  const TrustCheck trust = check_trust(o);
  if (trust.error) return std::unexpected(*trust.error);
  doc["signature"] = trust.report;
  if (trust.warning && o.progress) o.progress("warning: " + *trust.warning);
  bool ok = true, harness = false;
  std::vector<std::unique_ptr<VersionRun>> runs;
  for (const auto& v : o.versions) runs.push_back(std::make_unique<VersionRun>(o, environment, v));
  if (trust.refused_hr)
    for (auto& r : runs) r->refused_by_signature(trust);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (o.progress) o.progress(fmt::format("WSL {}...", o.versions[i].text()));
    runs[i]->prestart();
    if (i + 1 < runs.size()) runs[i + 1]->prestart();
    json result = runs[i]->run();
    runs[i].reset();
    ok = ok && result["ok"].get<bool>();
    harness = harness || result["outcome"] == "harness-error";
    doc["runs"].push_back(std::move(result));
  }
  const int exit_code = harness ? 3 : ok ? 0 : 1;
  doc["ok"] = ok && !harness;
  doc["exit_code"] = exit_code;
  doc["error"] = nullptr;
  if (harness)
    for (const auto& r : doc["runs"])
      if (!r["error"].is_null()) {
        doc["error"] = r["error"];
        break;
      }
  return doc;
}

}  // namespace wslplug::host
