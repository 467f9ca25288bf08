// WSL's own plugin tests as the specification of `wslplug run`: each test here follows the test of
// the same name in microsoft/WSL test/windows/PluginTests.cpp, with tests/fixtures/run/
// wsl_testplugin.c behaving like WSL's test plugin (one DLL per TEST_MODE). WSL's test compares the
// plugin's log file line by line with '*' wildcards (PathMatchSpec); here the plugin's log is its
// console, the report's "output", compared the same way.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "run_support.hpp"

namespace wt = wslplug::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// '*' matches any run of characters (PathMatchSpec, as WSL's ValidateLogFile uses it).
bool matches(std::string_view text, std::string_view pattern) {
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '*') {
    for (size_t i = 0; i <= text.size(); ++i)
      if (matches(text.substr(i), pattern.substr(1))) return true;
    return false;
  }
  return !text.empty() && text[0] == pattern[0] && matches(text.substr(1), pattern.substr(1));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    size_t first = line.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    out.push_back(line.substr(first));
  }
  return out;
}

// The plugin's log (its console over every version run) against WSL's expected output.
void expect_log(const json& run, const std::string& expected) {
  ASSERT_TRUE(run["output"].is_string());
  const auto actual = lines_of(run["output"].get<std::string>());
  const auto wanted = lines_of(expected);
  for (size_t i = 0; i < std::max(actual.size(), wanted.size()); ++i) {
    if (i >= actual.size()) {
      ADD_FAILURE() << "Line is expected but not in the log: " << wanted[i] << "\nlog:\n"
                    << run["output"].get<std::string>();
      return;
    }
    if (i >= wanted.size()) {
      ADD_FAILURE() << "Line is in the log but not expected: " << actual[i] << "\nlog:\n"
                    << run["output"].get<std::string>();
      return;
    }
    if (!matches(actual[i], wanted[i])) {
      ADD_FAILURE() << "Line (" << actual[i] << ") didn't match pattern: " << wanted[i]
                    << "\nlog:\n"
                    << run["output"].get<std::string>();
      return;
    }
  }
}

fs::path plugin(int mode) {
  return wt::run_fixture("wsl_testplugin.c", {fmt::format("-DTEST_MODE={}", mode)});
}

// A scenario file with WSL's test distribution (test_distro: Debian 13 as `wsl --import` makes it)
// and the given events.
fs::path scenario(const wt::TempDir& dir, const json& events, const json& distribution = nullptr) {
  json d = distribution.is_null()
               ? json{{"name", "test_distro"}, {"flavor", "debian"}, {"version", "13"}}
               : distribution;
  const json doc = {{"schema", 1}, {"distributions", json::array({d})}, {"events", events}};
  const fs::path path = dir.path() / "scenario.json";
  std::ofstream(path) << doc.dump(2);
  return path;
}

const json kStartStop =
    json::array({{{"hook", "OnVMStarted"}},
                 {{"hook", "OnDistributionStarted"}, {"distribution", "test_distro"}},
                 {{"hook", "OnDistributionStopping"}, {"distribution", "test_distro"}},
                 {{"hook", "OnVMStopping"}}});

wt::RunReport run_plugin(int mode, const std::vector<std::string>& more,
                         const std::string& version = "2.4.4") {
  const fs::path dll = plugin(mode);
  std::vector<std::string> args = {dll.string(), "--wsl-version", version, "--name", "TestPlugin"};
  args.insert(args.end(), more.begin(), more.end());
  return wt::run_json(args);
}

}  // namespace

TEST(WslPluginTests, Success) {
  wt::TempDir dir;
  auto r = run_plugin(1, {"--scenario", scenario(dir, kStartStop).string()});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "ok") << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=1
      VM created (settings->CustomConfigurationFlags=0)
      Folder mounted (* -> /test-plugin)
      Process created
      Distribution started, name=test_distro, package=, PidNs=*, InitPid=*, Flavor=debian, Version=13
      Distribution Stopping, name=test_distro, package=, PidNs=*, Flavor=debian, Version=13
      VM Stopping)");
  // The mount was real: the process read the file written on the Windows side through it.
  const auto mounts = wt::api_calls(*run, "MountFolder");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0]["served_by"], "mounted") << mounts[0].dump(2);
  const auto execs = wt::api_calls(*run, "ExecuteBinary");
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0]["output"], "OK") << execs[0].dump(2);
}

TEST(WslPluginTests, VmStartFailure) {
  wt::TempDir dir;
  auto r = run_plugin(3, {"--scenario", scenario(dir, kStartStop).string()});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  // WSL's service tears the VM down after the failed start: OnVMStopping is called.
  expect_log(*run, R"(Plugin loaded. TestMode=3
      VM created (settings->CustomConfigurationFlags=0)
      OnVmStarted: E_UNEXPECTED
      VM Stopping)");
  const json* started = wt::find_event(*run, "OnVMStarted");
  ASSERT_NE(started, nullptr);
  EXPECT_EQ((*started)["wsl"]["error_code"],
            "Wsl/Service/CreateInstance/CreateVm/Plugin/E_UNEXPECTED");
  EXPECT_EQ((*started)["wsl"]["message"], "A fatal error was returned by plugin 'TestPlugin'");
  const json* stopping = wt::find_event(*run, "OnVMStopping");
  ASSERT_NE(stopping, nullptr) << r.context();
  EXPECT_EQ((*stopping)["origin"], "wsl");
}

TEST(WslPluginTests, VmStartFailureWithPluginErrorTwice) {
  wt::TempDir dir;
  // Two starts (wsl.exe run twice): each fails, each is torn down, the message comes both times.
  const json events = json::array({{{"hook", "OnVMStarted"}, {"expect", "failure"}},
                                   {{"hook", "OnVMStarted"}, {"expect", "failure"}}});
  auto r = run_plugin(13, {"--scenario", scenario(dir, events).string()});
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=13
      VM created (settings->CustomConfigurationFlags=0)
      OnVmStarted: E_UNEXPECTED
      VM Stopping
      VM created (settings->CustomConfigurationFlags=0)
      OnVmStarted: E_UNEXPECTED
      VM Stopping)");
  int starts = 0;
  for (const auto& e : (*run)["events"]) {
    if (e["hook"] != "OnVMStarted") continue;
    ++starts;
    EXPECT_EQ(e["plugin_error"], "Plugin error message") << e.dump(2);
    EXPECT_EQ(e["wsl"]["message"],
              "A fatal error was returned by plugin 'TestPlugin'. Error message: 'Plugin error "
              "message'");
  }
  EXPECT_EQ(starts, 2) << r.context();
}

TEST(WslPluginTests, InitPidIsDifferent) {
  wt::TempDir dir;
  // The distribution is terminated and started again: a new init, a new pid.
  const json events = json::array(
      {{{"hook", "OnVMStarted"}},
       {{"hook", "OnDistributionStarted"}, {"distribution", "test_distro"}},
       {{"hook", "OnDistributionStopping"}, {"distribution", "test_distro"}},
       {{"hook", "OnDistributionStarted"}, {"distribution", "test_distro"}, {"iteration", 2}},
       {{"hook", "OnDistributionStopping"}, {"distribution", "test_distro"}, {"iteration", 2}},
       {{"hook", "OnVMStopping"}}});
  auto r = run_plugin(14, {"--scenario", scenario(dir, events).string()});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=14
      VM created (settings->CustomConfigurationFlags=0)
      Distribution started, name=test_distro, package=, PidNs=*, InitPid=*, Flavor=debian, Version=13
      Distribution Stopping, name=test_distro, package=, PidNs=*
      Distribution started, name=test_distro, package=, PidNs=*, InitPid=*, Flavor=debian, Version=13
      Init's pid is different (* ! = *)
      Distribution Stopping, name=test_distro, package=, PidNs=*, Flavor=debian, Version=13
      VM Stopping)");
}

TEST(WslPluginTests, APIErrors) {
  wt::TempDir dir;
  auto r = run_plugin(7, {"--scenario", scenario(dir, kStartStop).string()});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=7
      VM created (settings->CustomConfigurationFlags=0)
      API error tests passed
      Distribution started, name=test_distro, package=, PidNs=*, InitPid=*, Flavor=debian, Version=13
      Distribution Stopping, name=test_distro, package=, PidNs=*, Flavor=debian, Version=13
      VM Stopping)");
}

namespace {

// Copies `program` and the shared libraries it loads (ldd) into `root` at the same paths.
void copy_program(const fs::path& root, const fs::path& program) {
  std::vector<fs::path> files = {fs::canonical(program)};
  const auto ldd = wt::run({"ldd", files[0].string()});
  std::istringstream in(ldd.out);
  for (std::string line; std::getline(in, line);) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash, line.find(' ', slash) - slash);
    files.push_back(path);
  }
  for (const fs::path& f : files) {
    fs::create_directories(root / f.relative_path().parent_path());
    fs::copy_file(f, root / f.relative_path(), fs::copy_options::overwrite_existing);
  }
  fs::create_directories(root / "bin");
  fs::copy_file(files[0], root / "bin" / program.filename(), fs::copy_options::overwrite_existing);
}

}  // namespace

TEST(WslPluginTests, ExecuteDistroCommand) {
  wt::TempDir dir;
  // A root file system of its own, as `wsl --import` of a Debian 13 tarball gives: a shell and cat
  // of this machine, WSL's test distribution's /etc/issue.net.
  const fs::path root = dir.path() / "rootfs";
  copy_program(root, "/bin/sh");
  copy_program(root, "/bin/cat");
  fs::create_directories(root / "etc");
  std::ofstream(root / "etc/issue.net") << "Debian GNU/Linux 13\n";
  std::ofstream(root / "etc/os-release") << "ID=debian\nVERSION_ID=\"13\"\n";
  const json distro = {
      {"name", "test_distro"}, {"flavor", "debian"}, {"version", "13"}, {"rootfs", root.string()}};
  auto r = run_plugin(16, {"--scenario", scenario(dir, kStartStop, distro).string()});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=16
      VM created (settings->CustomConfigurationFlags=0)
      Distribution started, name=test_distro, package=, PidNs=*, InitPid=*, Flavor=debian, Version=13
      Process created
      Failed process launch returned:  -2147467259
      Invalid distro launch returned:  -2147220717
      Distribution Stopping, name=test_distro, package=, PidNs=*, Flavor=debian, Version=13
      VM Stopping)");
}

namespace {

// A WSLC session's events (WSL's WSLC tests drive the session through its COM API).
json wslc_events(const std::vector<std::string>& hooks) {
  json events = json::array();
  for (const auto& h : hooks) events.push_back({{"hook", h}});
  return events;
}

}  // namespace

TEST(WslPluginTests, WslcSuccess) {
  wt::TempDir dir;
  const json events =
      wslc_events({"OnSessionCreated", "WslcVmStarted", "WslcVmStopping", "OnSessionStopping"});
  auto r = run_plugin(18, {"--scenario", scenario(dir, events).string()}, "2.9.5");
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.9.5");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, fmt::format(R"(Plugin loaded. TestMode=18
      WSLC Session created, name=wslplug-session, id=*, pid=*, token=set, sid=set
      Command: 'echo -n stdout-ok && echo -n stderr-ok >&2', status=0, stdout: stdout-ok, stderr: stderr-ok
      Command: 'cat', status=0, stdout: stdin-ok, stderr:
      Command: 'exit 12', status=12, stdout: , stderr:
      Command: 'echo -n $ENV', status=0, stdout: env-ok, stderr:
      WSLCCreateProcess(does-not-exist): {:x}, errno=2
      WSLC RW folder mounted at: /mnt/wsl-plugin/plugin-rw-test
      Command: 'cat /mnt/wsl-plugin/plugin-rw-test/plugin-test.txt', status=0, stdout: Windows-content, stderr:
      WSLC RO folder mounted at: /mnt/wsl-plugin/plugin-ro-test
      Command: 'echo fail > /mnt/wsl-plugin/plugin-ro-test/should-not-exist.txt', status=*, stdout: , stderr: *
      WSLCMountFolder(nonexistent): {}
      WSLCMountFolder(relative): {}
      Test completed
      WSLC Session stopping, name=wslplug-session, id=*)",
                               0x80004005u, static_cast<long>(static_cast<int>(0x80070003u)),
                               static_cast<long>(static_cast<int>(0x80070057u))));
  // The read-only mount refused the write (status non-zero).
  EXPECT_EQ(run->at("output").get<std::string>().find("should-not-exist.txt', status=0"),
            std::string::npos);
}

TEST(WslPluginTests, WslcVmRestart) {
  wt::TempDir dir;
  // An idle teardown, then the next operation starts a VM again; the session's end stops it.
  const json events = wslc_events({"OnSessionCreated", "WslcVmStarted", "WslcVmStopping",
                                   "WslcVmStarted", "WslcVmStopping", "OnSessionStopping"});
  auto r = run_plugin(22, {"--scenario", scenario(dir, events).string()}, "2.9.5");
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.9.5");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=22
      WSLC Session created, name=wslplug-session, id=*, pid=*, token=set, sid=set
      WSLC VM started, session=*
      WSLC VM started reentrant WSLCCreateProcess: ok
      WSLC VM started mount+unmount: ok
      WSLC VM stopping, session=*
      WSLC VM stopping reentrant WSLCCreateProcess: ok
      WSLC VM stopping mount+unmount: ok
      WSLC VM started, session=*
      WSLC VM started reentrant WSLCCreateProcess: ok
      WSLC VM started mount+unmount: ok
      WSLC VM stopping, session=*
      WSLC VM stopping reentrant WSLCCreateProcess: failed
      WSLC VM stopping mount+unmount: skipped
      WSLC Session stopping, name=wslplug-session, id=*)");
}

TEST(WslPluginTests, WslcVmStopCommitted) {
  wt::TempDir dir;
  const json events = wslc_events({"OnSessionCreated", "WslcVmStarted", "WslcVmStopping",
                                   "WslcVmStarted", "WslcVmStopping", "OnSessionStopping"});
  auto r = run_plugin(23, {"--scenario", scenario(dir, events).string()}, "2.9.5");
  const json* run = r.run("2.9.5");
  ASSERT_NE(run, nullptr) << r.context();
  // The process the callback left running died with the VM; the call from the plugin's own thread
  // during the stop was served by the stopping VM.
  expect_log(*run, R"(Plugin loaded. TestMode=23
      WSLC Session created, name=wslplug-session, id=*, pid=*, token=set, sid=set
      WSLC VM started, session=*
      WSLC VM stopping, session=*
      WSLC VM stopping leaked process: ok
      WSLC VM started, session=*
      WSLC stop-window caller: ok
      WSLC leaked process died: yes
      WSLC Session stopping, name=wslplug-session, id=*)");
}

TEST(WslPluginTests, WslcVmNeverStarted) {
  wt::TempDir dir;
  const json events = wslc_events({"OnSessionCreated", "OnSessionStopping"});
  auto r = run_plugin(24, {"--scenario", scenario(dir, events).string()}, "2.9.5");
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.9.5");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=24
      WSLC Session created, name=wslplug-session, id=*, pid=*, token=set, sid=set
      WSLC no-vm caller: rejected
      WSLC Session stopping, name=wslplug-session, id=*)");
}
