// The sandbox of `wslplug run` (docs/sandbox.md) from the plugin's side: what a plugin cannot
// read, inherit, start, leave behind or reach. Each test runs fixtures of tests/fixtures/run/
// sandbox_*.c that probe the sandbox and print what they found ("probe: ..." lines in the report's
// "output"); where the point is what the sandbox adds, the same probe is also run with
// --no-sandbox and must find the difference, which shows that the test can fail.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "run_support.hpp"

namespace wt = wslplug::test;
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kVersion = "2.4.4";

// A text no other process on this machine has in its command line.
std::string unique_marker(const std::string& what) {
  std::random_device rd;
  return fmt::format("wslplug-sectest-{}-{}-{:08x}", what, ::getpid(), rd());
}

// -DNAME="TEXT" for a fixture (TEXT must not need C escapes).
std::string define(const std::string& name, const std::string& text) {
  return fmt::format("-D{}=\"{}\"", name, text);
}

// A fixture built for this test only (its flags are unique): removed from the fixture cache at
// the end, so that the cache does not grow with every run of the test.
class OwnFixture {
 public:
  OwnFixture(const std::string& file, const std::vector<std::string>& flags)
      : path_(wt::run_fixture(file, flags)) {}
  ~OwnFixture() {
    std::error_code ec;
    if (!path_.empty()) fs::remove(path_, ec);
  }
  OwnFixture(const OwnFixture&) = delete;
  OwnFixture& operator=(const OwnFixture&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A folder under $HOME with a secret file in it, removed at the end.
class HomeSecret {
 public:
  HomeSecret() {
    const char* home = std::getenv("HOME");
    std::string templ = fmt::format("{}/wslplug-sectest-XXXXXX", home && *home ? home : "/root");
    if (::mkdtemp(templ.data()) != nullptr) dir_ = templ;
    text_ = unique_marker("secret");
    if (!dir_.empty()) wt::write_text(file(), text_ + "\n");
  }
  ~HomeSecret() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  HomeSecret(const HomeSecret&) = delete;
  HomeSecret& operator=(const HomeSecret&) = delete;
  [[nodiscard]] fs::path file() const { return dir_ / "secret.txt"; }
  [[nodiscard]] const std::string& text() const { return text_; }
  [[nodiscard]] bool ok() const { return !dir_.empty() && fs::exists(file()); }

 private:
  fs::path dir_;
  std::string text_;
};

// The plugin copied into a folder of its own: the run binds that folder writable into the
// sandbox, so it must not be the fixture cache.
fs::path private_copy(const fs::path& dll, const wt::TempDir& dir, const std::string& name) {
  return wt::copy_to(dll, dir.path(), name + ".dll");
}

wt::RunReport run_plugin(const fs::path& dll, std::vector<std::string> more = {},
                         const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> args = {dll.string(), "--wsl-version", kVersion};
  args.insert(args.end(), more.begin(), more.end());
  return wt::run_json(args, env);
}

// The plugin's console output of the run for kVersion ("" when there is none).
std::string output_of(const wt::RunReport& r) {
  const json* run = r.run(kVersion);
  if (run == nullptr || !(*run)["output"].is_string()) return {};
  return (*run)["output"].get<std::string>();
}

// The text after "probe: KEY" on the first line that starts so, or nullopt.
std::optional<std::string> probe(const std::string& output, const std::string& key) {
  std::istringstream in(output);
  const std::string head = "probe: " + key;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    if (line.starts_with(head)) return line.substr(head.size());
  }
  return std::nullopt;
}

// The ExecuteBinary call of `path` in the run for kVersion, or null.
json exec_call(const wt::RunReport& r, const std::string& path) {
  const json* run = r.run(kVersion);
  if (run == nullptr) return nullptr;
  for (const auto& c : wt::api_calls(*run, "ExecuteBinary"))
    if (c["args"]["path"] == path) return c;
  return nullptr;
}

// Waits up to `limit` for `done`, polling every 50 ms.
template <typename F>
bool wait_for(F done, std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

void kill_all(const std::vector<int>& pids) {
  for (int pid : pids) ::kill(pid, SIGKILL);
}

std::string arguments_of(int pid, const char* file = "cmdline") {
  std::string text = wt::read_text(fmt::format("/proc/{}/{}", pid, file));
  for (char& c : text)
    if (c == '\0') c = '\n';
  return text;
}

// The wslplug process whose command line names `dll`, or -1.
int wslplug_process(const fs::path& dll) {
  for (int pid : wt::processes_mentioning(dll.string())) {
    std::error_code ec;
    const fs::path exe = fs::read_symlink(fmt::format("/proc/{}/exe", pid), ec);
    if (!ec && exe == fs::weakly_canonical(wt::wslplug_bin())) return pid;
  }
  return -1;
}

// TCP ports on 127.0.0.1 that `pid` listens on (its socket inodes against /proc/net/tcp).
std::vector<int> loopback_listen_ports(int pid) {
  std::set<std::string> inodes;
  std::error_code ec;
  for (fs::directory_iterator it(fmt::format("/proc/{}/fd", pid), ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code ec2;
    const std::string target = fs::read_symlink(it->path(), ec2).string();
    if (!ec2 && target.starts_with("socket:[")) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::vector<int> ports;
  std::istringstream table(wt::read_text(fmt::format("/proc/{}/net/tcp", pid)));
  std::string line;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
        timeout >> inode;
    // 0100007F is 127.0.0.1 in the kernel's byte order; 0A is LISTEN.
    if (state != "0A" || !local.starts_with("0100007F:") || !inodes.contains(inode)) continue;
    ports.push_back(static_cast<int>(std::stoul(local.substr(9), nullptr, 16)));
  }
  return ports;
}

}  // namespace

// 1. A file in $HOME: neither wine (Z:\ is the machine's root) nor a Linux process of the VM
// reads it; nor /etc/shadow. With --no-sandbox both reads succeed, which shows that the probes
// see the difference.
TEST(RunSandbox, HomeIsNotVisible) {
  HomeSecret secret;
  ASSERT_TRUE(secret.ok()) << "cannot create a secret file under $HOME";
  OwnFixture fixture("sandbox_secrets.c", {define("SECRET_PATH", secret.file().string())});
  ASSERT_FALSE(fixture.path().empty());
  wt::TempDir dir;
  const fs::path dll = private_copy(fixture.path(), dir, "secrets");

  auto boxed = run_plugin(dll);
  ASSERT_EQ(boxed.result.rc, 0) << boxed.context();
  const std::string out = output_of(boxed);
  EXPECT_EQ(out.find(secret.text()), std::string::npos) << boxed.context();
  EXPECT_TRUE(probe(out, "wine-read: no")) << out;
  EXPECT_TRUE(probe(out, "shadow-read: no")) << out;
  const json cat = exec_call(boxed, "/bin/cat");
  ASSERT_TRUE(cat.is_object()) << boxed.context();
  EXPECT_EQ(cat["output"], "") << cat.dump(2);
  EXPECT_NE(cat["exit_code"], 0) << cat.dump(2);
  EXPECT_EQ(boxed.result.out.find(secret.text()), std::string::npos)
      << "the secret is somewhere in the report:\n"
      << boxed.context();

  // The control: without the sandbox the same plugin reads the file both ways.
  auto open = run_plugin(dll, {"--no-sandbox"});
  ASSERT_EQ(open.result.rc, 0) << open.context();
  EXPECT_TRUE(probe(output_of(open), "wine-read: yes [" + secret.text())) << open.context();
  const json open_cat = exec_call(open, "/bin/cat");
  ASSERT_TRUE(open_cat.is_object()) << open.context();
  EXPECT_EQ(open_cat["output"], secret.text() + "\n") << open_cat.dump(2);
}

// The plugin's folder is bound writable into the sandbox (as C:\Program Files\WSL Plugins\NAME).
// A DLL kept directly in $HOME (a download, a copy) must not take all of $HOME with it: the run
// either refuses that folder (a usage error) or keeps the rest of $HOME out of the plugin's
// reach. Today all of $HOME is there, read-write (and the run walks all of $HOME twice to list
// the files the plugin changed in its folder).
TEST(RunSandbox, HomeIsNotVisibleWhenThePluginLivesInHome) {
  HomeSecret secret;
  ASSERT_TRUE(secret.ok()) << "cannot create a secret file under $HOME";
  const std::string name = fmt::format("wslplug-sectest-{}", ::getpid());
  // The secret as the plugin would see it if its folder ($HOME) were bound.
  const std::string inside = fmt::format(
      "/run/wslplug/prefix/drive_c/Program Files/WSL Plugins/{}/{}", name,
      secret.file().lexically_relative(secret.file().parent_path().parent_path()).string());
  OwnFixture fixture("sandbox_secrets.c", {define("SECRET_PATH", inside)});
  ASSERT_FALSE(fixture.path().empty());
  const fs::path home = secret.file().parent_path().parent_path();
  const fs::path dll = wt::copy_to(fixture.path(), home, name + ".dll");
  auto r = run_plugin(dll);
  std::error_code ec;
  fs::remove(dll, ec);
  if (r.result.rc == 2) return;  // refused: nothing of $HOME was shown
  const std::string out = output_of(r);
  EXPECT_TRUE(probe(out, "wine-read: no")) << "the plugin read " << secret.file() << ":\n" << out;
  EXPECT_EQ(r.result.out.find(secret.text()), std::string::npos);
}

// 2. The caller's environment: the plugin host gets an allow-list, the VM's processes their own
// environment, and no process the plugin can see through Z:\proc carries the caller's variables.
// The Z:\proc scan finds the secret with --no-sandbox (in wslplug's own environment), which shows
// that the scan can fail; GetEnvironmentVariable and ExecuteBinary's environment are allow-lists
// with or without the sandbox, so for them the control is a variable that is set (WINEDEBUG, PATH).
TEST(RunSandbox, CallerEnvironmentIsNotVisible) {
  const std::string value = unique_marker("env");
  OwnFixture fixture("sandbox_secrets.c",
                     {define("SECRET_ENV", "WSLPLUG_TEST_SECRET"), define("SECRET_VALUE", value)});
  ASSERT_FALSE(fixture.path().empty());
  wt::TempDir dir;
  const fs::path dll = private_copy(fixture.path(), dir, "environment");
  const std::map<std::string, std::string> env = {{"WSLPLUG_TEST_SECRET", value}};

  auto boxed = run_plugin(dll, {}, env);
  ASSERT_EQ(boxed.result.rc, 0) << boxed.context();
  const std::string out = output_of(boxed);
  EXPECT_EQ(probe(out, "env WSLPLUG_TEST_SECRET: "), "(unset)") << out;
  EXPECT_EQ(probe(out, "env WINEDEBUG: "), "-all") << out;
  const auto scan = probe(out, "proc-scan: ");
  ASSERT_TRUE(scan) << out;
  EXPECT_TRUE(scan->ends_with(" 0 hits")) << out;
  const json env_call = exec_call(boxed, "/usr/bin/env");
  ASSERT_TRUE(env_call.is_object()) << boxed.context();
  const std::string listed = env_call["output"].get<std::string>();
  EXPECT_NE(listed.find("PATH="), std::string::npos) << listed;
  EXPECT_EQ(listed.find(value), std::string::npos) << listed;
  EXPECT_EQ(listed.find("WSLPLUG_TEST_SECRET"), std::string::npos) << listed;

  auto open = run_plugin(dll, {"--no-sandbox"}, env);
  ASSERT_EQ(open.result.rc, 0) << open.context();
  const auto open_scan = probe(output_of(open), "proc-scan: ");
  ASSERT_TRUE(open_scan) << open.context();
  EXPECT_FALSE(open_scan->ends_with(" 0 hits"))
      << "without the sandbox the plugin should find the caller's variable in /proc:\n"
      << output_of(open);
}

// 3. --no-exec: no Linux ELF through wine, no new Windows process, no ExecuteBinary. The same
// plugin sandboxed without --no-exec starts all three, which shows that the probes can fail.
TEST(RunSandbox, NoExecStartsNothing) {
  const fs::path fixture = wt::run_fixture("sandbox_exec.c");
  ASSERT_FALSE(fixture.empty());
  wt::TempDir dir;
  const fs::path dll = private_copy(fixture, dir, "exec");

  auto confined = run_plugin(dll, {"--no-exec"});
  ASSERT_EQ(confined.result.rc, 0) << confined.context();
  const std::string out = output_of(confined);
  EXPECT_EQ(probe(out, "elf-result: "), "did not run") << out;
  EXPECT_NE(probe(out, "win-result: exit "), "7") << out;
  EXPECT_EQ(probe(out, "exec: "), "0x80004005") << out;

  auto free = run_plugin(dll);
  ASSERT_EQ(free.result.rc, 0) << free.context();
  const std::string free_out = output_of(free);
  EXPECT_EQ(probe(free_out, "elf-result: "), "ran") << free_out;
  EXPECT_EQ(probe(free_out, "win-result: exit "), "7") << free_out;
  EXPECT_EQ(probe(free_out, "exec: "), "0x00000000") << free_out;
}

// --no-exec promises that nothing the plugin starts executes a program (Linux or Windows); the
// confinement is the sandbox's seccomp filter. With --no-sandbox as well, run must either refuse
// the combination (a usage error) or still keep the promise. Today it does neither: wine starts
// the ELF and cmd.exe, silently.
TEST(RunSandbox, NoExecWithoutSandboxKeepsItsPromiseOrIsRefused) {
  const fs::path fixture = wt::run_fixture("sandbox_exec.c");
  ASSERT_FALSE(fixture.empty());
  wt::TempDir dir;
  const fs::path dll = private_copy(fixture, dir, "exec");
  auto r = run_plugin(dll, {"--no-exec", "--no-sandbox"});
  if (r.result.rc == 2) return;  // refused as a usage error: the promise is not broken
  const std::string out = output_of(r);
  EXPECT_EQ(probe(out, "elf-result: "), "did not run") << r.context();
  EXPECT_NE(probe(out, "win-result: exit "), "7") << r.context();
  EXPECT_EQ(probe(out, "exec: "), "0x80004005") << r.context();
}

// 4. Nothing outlives the run: a setsid'd process in the VM, a setsid'd Linux process started by
// wine beside the plugin host, and a Windows process. While the hook holds, the test sees all
// three (so the check after the run can fail); after the run none is left. Checked by hand:
// with --no-sandbox all three outlive the run.
TEST(RunSandbox, NothingOutlivesTheRun) {
  const std::string marker = unique_marker("linger");
  OwnFixture fixture("sandbox_linger.c", {define("MARKER", marker), "-DHOLD_MS=3000"});
  ASSERT_FALSE(fixture.path().empty());
  wt::TempDir dir;
  const fs::path dll = private_copy(fixture.path(), dir, "linger");

  auto running = std::async(std::launch::async, [&] { return run_plugin(dll); });
  std::set<std::string> seen;
  wait_for(
      [&] {
        for (int pid : wt::processes_mentioning(marker)) {
          const std::string args = arguments_of(pid);
          for (const char* kind : {"-vm", "-elf", "-win"})
            if (args.find(marker + kind) != std::string::npos) seen.insert(kind);
        }
        return seen.size() == 3 ||
               running.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
      },
      std::chrono::seconds(30));
  auto r = running.get();
  const auto left = wt::processes_mentioning(marker);
  kill_all(left);
  ASSERT_EQ(r.result.rc, 0) << r.context();
  EXPECT_EQ(seen, (std::set<std::string>{"-elf", "-vm", "-win"}))
      << "the plugin's processes were not all seen while the run was in progress:\n"
      << r.context();
  std::string listing;
  for (int pid : left) listing += fmt::format("{}: {}\n", pid, arguments_of(pid));
  EXPECT_TRUE(left.empty()) << "processes left after the run:\n" << listing;
}

// One run of a fork bomb in the VM, bounded by --max-processes 64, shared by the two tests below
// (a bomb run takes seconds). Not run with --no-sandbox: nothing would bound it there.
struct BombRun {
  wt::RunReport report;
  double seconds = 0;
  std::vector<int> left;  // processes of the bomb found after the run (then killed)
};

const BombRun& bomb_run() {
  static const BombRun result = [] {
    BombRun b;
    const std::string marker = unique_marker("bomb");
    OwnFixture fixture("sandbox_linger.c",
                       {define("MARKER", marker), "-DFORK_BOMB", "-DHOLD_MS=1000"});
    if (fixture.path().empty()) return b;
    wt::TempDir dir;
    const fs::path dll = private_copy(fixture.path(), dir, "bomb");
    const auto start = Clock::now();
    b.report = run_plugin(dll, {"--max-processes", "64", "--hook-timeout", "20"});
    b.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    b.left = wt::processes_mentioning(marker);
    kill_all(b.left);
    return b;
  }();
  return result;
}

// 4b. The fork bomb does not hang the run, and ends with it.
TEST(RunSandbox, ForkBombIsBoundedAndEnds) {
  const BombRun& b = bomb_run();
  const wt::RunReport& r = b.report;
  EXPECT_LT(b.seconds, 25.0) << r.context();
  EXPECT_TRUE(b.left.empty()) << b.left.size() << " processes of the bomb left after the run";
  const json* run = r.run(kVersion);
  ASSERT_NE(run, nullptr) << r.context();
  // The limit was reached: the bomb's shells could not fork.
  EXPECT_NE((*run)["dmesg"].get<std::string>().find("fork"), std::string::npos) << r.context();
}

// A plugin that uses up --max-processes is the plugin's fault: the run must not end as a
// failure of the harness (outcome harness-error, exit 3, "the harness failed"). When a start the
// run makes itself (a distribution, an ExecuteBinary) fails for the limit, the outcome is
// process-limit and the report names --max-processes; when the bomb leaves room for those, the
// bomb's own failed forks are in its dmesg (ForkBombIsBoundedAndEnds).
TEST(RunSandbox, ForkBombIsBlamedOnThePlugin) {
  const wt::RunReport& r = bomb_run().report;
  const json* run = r.run(kVersion);
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_NE(r.result.rc, 3) << r.context();
  EXPECT_NE((*run)["outcome"], "harness-error") << r.context();
  if ((*run)["outcome"] == "process-limit") {
    EXPECT_EQ(r.result.rc, 1) << r.context();
    EXPECT_TRUE(wt::has_problem(*run, "process-limit")) << r.context();
    EXPECT_NE(r.result.out.find("max-processes"), std::string::npos)
        << "the report does not name the process limit:\n"
        << r.context();
  }
}

// 5. The channel between wslplug and the plugin host: its port is on no command line, and a
// connection without the run's secret is refused, counted and reported, and starts nothing.
// (Its request would run a shell that prints a marker and sleeps with the marker in its command
// line: neither the reply nor the process appear.)
TEST(RunSandbox, ChannelRefusesStrangers) {
  const fs::path fixture =
      wt::run_fixture("sandbox_files.c", {define("VALUE", "channel"), "-DHOLD_MS=3000"});
  ASSERT_FALSE(fixture.empty());
  wt::TempDir dir;
  const fs::path dll = private_copy(fixture, dir, "channel");
  const std::string marker = unique_marker("channel");

  auto running = std::async(std::launch::async, [&] { return run_plugin(dll); });
  int driver = -1;
  std::vector<int> ports;
  wait_for(
      [&] {
        if (driver < 0) driver = wslplug_process(dll);
        if (driver > 0) ports = loopback_listen_ports(driver);
        return !ports.empty() ||
               running.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
      },
      std::chrono::seconds(30));
  ASSERT_GT(driver, 0) << "wslplug's process was not found";
  ASSERT_FALSE(ports.empty()) << "wslplug listens on no loopback port";
  const int port = ports[0];

  // Every command line this test can see (the host's is in the sandbox's PID namespace, a child
  // of this one): the port is on none of them.
  std::string on_command_lines;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::istringstream args(arguments_of(std::stoi(name)));
    for (std::string a; std::getline(args, a);)
      if (a == std::to_string(port) || a.ends_with(":" + std::to_string(port)))
        on_command_lines += fmt::format("{}: {}\n", name, arguments_of(std::stoi(name)));
  }
  EXPECT_EQ(on_command_lines, "") << "the port " << port << " is on a command line";

  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
      << std::strerror(errno);
  // "SECRET exec CID KIND GUID PATH ARGS..." (host/win/wslplug_host.cpp), with a wrong secret;
  // then what the shell would read on its stdin.
  const std::string request = fmt::format(
      "0123 exec 1 vm - =/bin/sh =/bin/sh =-c =echo%20{0}%3B%20sleep%2030%3B%20%3A%20{0}\n"
      "echo {0}\n",
      marker);
  ASSERT_EQ(::send(s, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string reply;
  const auto until = Clock::now() + std::chrono::seconds(3);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) break;
    pollfd p{s, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[512];
    const ssize_t n = ::recv(s, buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(s);
  const auto started = wt::processes_mentioning(marker);
  kill_all(started);
  EXPECT_EQ(reply, "") << "the channel answered a request without the secret";
  EXPECT_TRUE(started.empty()) << "a process was started for a request without the secret";

  auto r = running.get();
  const json* run = r.run(kVersion);
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_GE((*run)["refused_connections"].get<long>(), 1) << r.context();
  EXPECT_TRUE(wt::has_problem(*run, "channel-refused")) << r.context();
  EXPECT_TRUE(wt::api_calls(*run, "ExecuteBinary").empty()) << r.context();
  EXPECT_EQ((*run)["dmesg"], "") << r.context();
  EXPECT_EQ(r.result.out.find(marker), std::string::npos) << r.context();
}

// 6. Two runs at once, each writing C:\wslplug-concurrent.txt with its own value: each reads
// back its own, each report lists the file, and the persistent prefix never gets it (the writes
// land in each run's overlay). Checked by hand: with --no-sandbox the file stays in the prefix's
// drive_c and the runs read each other's value.
TEST(RunSandbox, ConcurrentRunsAreIsolated) {
  const fs::path shared = wt::run_drive_c() / "wslplug-concurrent.txt";
  std::error_code ec;
  fs::remove(shared, ec);  // left by a --no-sandbox run of this fixture, if any
  const std::vector<std::string> values = {"concurrent-first", "concurrent-second"};
  std::vector<fs::path> dlls;
  std::vector<std::unique_ptr<wt::TempDir>> dirs;
  for (const auto& v : values) {
    const fs::path f = wt::run_fixture("sandbox_files.c", {define("VALUE", v), "-DHOLD_MS=2000"});
    ASSERT_FALSE(f.empty());
    dirs.push_back(std::make_unique<wt::TempDir>());
    dlls.push_back(private_copy(f, *dirs.back(), "concurrent"));
  }
  auto first = std::async(std::launch::async, [&] { return run_plugin(dlls[0]); });
  auto second = std::async(std::launch::async, [&] { return run_plugin(dlls[1]); });
  const wt::RunReport reports[] = {first.get(), second.get()};
  for (size_t i = 0; i < 2; ++i) {
    const auto& r = reports[i];
    ASSERT_EQ(r.result.rc, 0) << r.context();
    EXPECT_EQ(probe(output_of(r), "read back "), "[" + values[i] + "]") << r.context();
    const json* run = r.run(kVersion);
    ASSERT_NE(run, nullptr);
    bool listed = false;
    for (const auto& f : (*run)["files"])
      if (f["path"] == "C:\\wslplug-concurrent.txt" && f["change"] == "created" &&
          f["size"] == values[i].size())
        listed = true;
    EXPECT_TRUE(listed) << r.context();
  }
  EXPECT_FALSE(fs::exists(shared)) << "the run wrote into the persistent prefix: " << shared;
}

// 7. Files written in the plugin's own folder are reported with their Windows path under
// C:\Program Files\WSL Plugins\NAME\ and the path of the copy the run keeps.
TEST(RunSandbox, PluginFolderWritesAreReported) {
  const fs::path fixture = wt::run_fixture("sandbox_files.c", {define("VALUE", "plugin-folder")});
  ASSERT_FALSE(fixture.empty());
  wt::TempDir dir;
  const fs::path dll = private_copy(fixture, dir, "folder-probe");
  auto r = run_plugin(dll);
  ASSERT_EQ(r.result.rc, 0) << r.context();
  EXPECT_EQ(r.doc["sandbox"]["plugin_folder"], "C:\\Program Files\\WSL Plugins\\folder-probe");
  EXPECT_EQ(probe(output_of(r), "module "),
            "C:\\Program Files\\WSL Plugins\\folder-probe\\folder-probe.dll")
      << r.context();
  const json* run = r.run(kVersion);
  ASSERT_NE(run, nullptr);
  json note = nullptr;
  for (const auto& f : (*run)["files"])
    if (f["path"] == "C:\\Program Files\\WSL Plugins\\folder-probe\\plugin-note.txt") note = f;
  ASSERT_TRUE(note.is_object()) << r.context();
  EXPECT_EQ(note["change"], "created");
  // The plugin's folder is a copy in the sandbox: the user's folder is not modified, and the
  // run keeps what the plugin wrote.
  EXPECT_FALSE(fs::exists(dir.path() / "plugin-note.txt")) << r.context();
  ASSERT_TRUE(note["host_path"].is_string()) << note.dump();
  EXPECT_EQ(wt::read_text(note["host_path"].get<std::string>()), "plugin-folder");
}

// The report's host_path of every file the plugin wrote names a file that exists after the run
// (run-json.md: where the file is on this machine). In the sandbox, files on C:\ land in the run's
// private overlay, which is deleted when the run ends: their host_path names nothing.
TEST(RunSandbox, ReportedHostPathsExistAfterTheRun) {
  const fs::path fixture = wt::run_fixture("sandbox_files.c", {define("VALUE", "plugin-folder")});
  ASSERT_FALSE(fixture.empty());
  wt::TempDir dir;
  const fs::path dll = private_copy(fixture, dir, "host-paths");
  auto r = run_plugin(dll);
  ASSERT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run(kVersion);
  ASSERT_NE(run, nullptr);
  ASSERT_FALSE((*run)["files"].empty()) << r.context();
  for (const auto& f : (*run)["files"]) {
    if (!f["host_path"].is_string()) continue;  // null: no path claimed
    EXPECT_TRUE(fs::exists(f["host_path"].get<std::string>()))
        << f["path"] << " is reported at " << f["host_path"] << ", which does not exist";
  }
}
