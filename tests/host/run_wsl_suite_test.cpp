// WSL's own plugin tests as the specification of `wslplug run`: each test here follows the test of
// the same name in microsoft/WSL test/windows/PluginTests.cpp, with tests/fixtures/run/
// wsl_testplugin.c behaving like WSL's test plugin (one DLL per TEST_MODE). WSL's test compares the
// plugin's log file line by line with '*' wildcards (PathMatchSpec); here the plugin's log is its
// console, the report's "output", compared the same way.
//
// WSL's tests not mirrored here, because a scenario cannot express what they exercise:
// SuccessWSL1 and LoadFailureNonFatalWSL1 (WSL1: no VM, plugins are not called); DuplicatedPlugin
// (two registry values naming one DLL: run has no registry); CustomKernelOverriddenByPolicy (a
// Group Policy value that makes the service drop the custom kernel: the plugin then sees what
// Success sees); ImportInplaceSuccess (`wsl --export --format vhd` and `--import-in-place`);
// WslcPullImageNotification (a container registry the session pushes to and pulls from).
// InvalidPluginSignature is run_trust_test.cpp's
// RunTrust.AppendedByteIsNoSignatureAsInWslsInvalidPluginSignatureTest.
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
// and the given events; `more`: other top-level keys (vm_settings, wslc_session).
fs::path scenario(const wt::TempDir& dir, const json& events, const json& distribution = nullptr,
                  const json& more = json::object()) {
  json d = distribution.is_null()
               ? json{{"name", "test_distro"}, {"flavor", "debian"}, {"version", "13"}}
               : distribution;
  json doc = {{"schema", 1}, {"distributions", json::array({d})}, {"events", events}};
  doc.update(more);
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

TEST(WslPluginTests, CustomKernel) {
  wt::TempDir dir;
  // .wslconfig's kernel=: WSL passes WSLUserConfigurationCustomKernel; the plugin refuses the VM.
  const json more = {{"vm_settings", {{"custom_kernel", true}}}};
  auto r = run_plugin(1, {"--scenario", scenario(dir, kStartStop, nullptr, more).string()});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=1
      VM created (settings->CustomConfigurationFlags=1)
      OnVmStarted: E_ACCESSDENIED
      VM Stopping)");
  const json* started = wt::find_event(*run, "OnVMStarted");
  ASSERT_NE(started, nullptr);
  EXPECT_EQ((*started)["wsl"]["error_code"],
            "Wsl/Service/CreateInstance/CreateVm/Plugin/E_ACCESSDENIED");
  EXPECT_EQ((*started)["wsl"]["message"], "A fatal error was returned by plugin 'TestPlugin'");
}

TEST(WslPluginTests, CustomKernelCommandLine) {
  wt::TempDir dir;
  const json more = {{"vm_settings", {{"custom_kernel_command_line", true}}}};
  auto r = run_plugin(1, {"--scenario", scenario(dir, kStartStop, nullptr, more).string()});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=1
      VM created (settings->CustomConfigurationFlags=2)
      Folder mounted (* -> /test-plugin)
      Process created
      Distribution started, name=test_distro, package=, PidNs=*, InitPid=*, Flavor=debian, Version=13
      Distribution Stopping, name=test_distro, package=, PidNs=*, Flavor=debian, Version=13
      VM Stopping)");
}

TEST(WslPluginTests, DistroIdStaysTheSame) {
  wt::TempDir dir;
  // wsl.exe, `wsl --shutdown`, wsl.exe again: a second VM, the same distribution.
  json events = kStartStop;
  for (const json& e : kStartStop) {
    json again = e;
    if (again.contains("distribution")) again["iteration"] = 2;
    events.push_back(again);
  }
  auto r = run_plugin(10, {"--scenario", scenario(dir, events).string()});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=10
      VM created (settings->CustomConfigurationFlags=0)
      Distribution started, name=test_distro, package=, PidNs=*, InitPid=*, Flavor=debian, Version=13
      Distribution Stopping, name=test_distro, package=, PidNs=*, Flavor=debian, Version=13
      VM Stopping
      VM created (settings->CustomConfigurationFlags=0)
      Distribution started, name=test_distro, package=, PidNs=*, InitPid=*, Flavor=debian, Version=13
      OnDistroStarted: received same GUID
      Distribution Stopping, name=test_distro, package=, PidNs=*, Flavor=debian, Version=13
      VM Stopping)");
}

TEST(WslPluginTests, PluginUpdateRequired) {
  wt::TempDir dir;
  auto r = run_plugin(9, {"--scenario", scenario(dir, kStartStop).string()});
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  // wsl.exe fails (WSL's test expects exit -1); `run` judges the refusal clean (outcome
  // requires-update, exit 0: the plugin did what WSL asks of a plugin that needs a newer WSL).
  EXPECT_EQ(r.result.rc, 0) << r.context();
  EXPECT_EQ((*run)["outcome"], "requires-update") << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=9
      OnLoad: WSL_E_PLUGINREQUIRESUPDATE)");
  const json& wsl = (*run)["load"]["wsl"];
  EXPECT_EQ(wsl["fails"], true) << wsl.dump(2);
  EXPECT_EQ(wsl["error_code"],
            "Wsl/Service/CreateInstance/CreateVm/Plugin/WSL_E_PLUGIN_REQUIRES_UPDATE")
      << wsl.dump(2);
  EXPECT_EQ(wsl["message"],
            "The plugin 'TestPlugin' requires a newer version of WSL. Please run: wsl.exe --update")
      << wsl.dump(2);
  EXPECT_TRUE((*run)["events"].empty()) << r.context();
}

TEST(WslPluginTests, LoadFailureFatalWSL2) {
  wt::TempDir dir;
  auto r = run_plugin(2, {"--scenario", scenario(dir, kStartStop).string()});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "load-failed") << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=2
      OnLoad: E_UNEXPECTED)");
  const json& wsl = (*run)["load"]["wsl"];
  EXPECT_EQ(wsl["error_code"], "Wsl/Service/CreateInstance/CreateVm/Plugin/E_UNEXPECTED")
      << wsl.dump(2);
  EXPECT_EQ(wsl["message"], "A fatal error was returned by plugin 'TestPlugin'") << wsl.dump(2);
  EXPECT_TRUE((*run)["events"].empty()) << r.context();
}

TEST(WslPluginTests, VmStopFailure) {
  wt::TempDir dir;
  auto r = run_plugin(5, {"--scenario", scenario(dir, kStartStop).string()});
  EXPECT_EQ(r.result.rc, 0) << r.context();  // WSL logs a failed OnVMStopping and goes on
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  // WSL's expected line leaves out InitPid: its '*' after PidNs= matches it.
  expect_log(*run, R"(Plugin loaded. TestMode=5
      VM created (settings->CustomConfigurationFlags=0)
      Distribution started, name=test_distro, package=, PidNs=*, Flavor=debian, Version=13
      Distribution Stopping, name=test_distro, package=, PidNs=*, Flavor=debian, Version=13
      VM Stopping
      OnVmStopping: E_UNEXPECTED)");
  const json* stopping = wt::find_event(*run, "OnVMStopping");
  ASSERT_NE(stopping, nullptr);
  EXPECT_EQ((*stopping)["symbol"], "E_UNEXPECTED");
  EXPECT_EQ((*stopping)["wsl"]["fails"], false) << stopping->dump(2);
}

TEST(WslPluginTests, DistributionStartFailure) {
  wt::TempDir dir;
  auto r = run_plugin(4, {"--scenario", scenario(dir, kStartStop).string()});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  // The distribution never ran: no OnDistributionStopping.
  expect_log(*run, R"(Plugin loaded. TestMode=4
      VM created (settings->CustomConfigurationFlags=0)
      Distribution started, name=test_distro, package=, PidNs=*, InitPid=*, Flavor=debian, Version=13
      OnDistroStarted: E_UNEXPECTED
      VM Stopping)");
  const json* started = wt::find_event(*run, "OnDistributionStarted");
  ASSERT_NE(started, nullptr);
  EXPECT_EQ((*started)["wsl"]["error_code"], "Wsl/Service/CreateInstance/Plugin/E_UNEXPECTED");
  EXPECT_EQ((*started)["wsl"]["message"], "A fatal error was returned by plugin 'TestPlugin'");
}

TEST(WslPluginTests, DistributionStopFailure) {
  wt::TempDir dir;
  auto r = run_plugin(6, {"--scenario", scenario(dir, kStartStop).string()});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=6
      VM created (settings->CustomConfigurationFlags=0)
      Distribution started, name=test_distro, package=, PidNs=*, InitPid=*, Flavor=debian, Version=13
      Distribution Stopping, name=test_distro, package=, PidNs=*, Flavor=debian, Version=13
      OnDistroStopping: E_UNEXPECTED
      VM Stopping)");
  const json* stopping = wt::find_event(*run, "OnDistributionStopping");
  ASSERT_NE(stopping, nullptr);
  EXPECT_EQ((*stopping)["wsl"]["fails"], false) << stopping->dump(2);
}

TEST(WslPluginTests, ErrorMessageStartVm) {
  wt::TempDir dir;
  auto r = run_plugin(11, {"--scenario", scenario(dir, kStartStop).string()});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=11
      VM created (settings->CustomConfigurationFlags=0)
      OnVmStarted: E_FAIL
      VM Stopping)");
  const json* started = wt::find_event(*run, "OnVMStarted");
  ASSERT_NE(started, nullptr);
  EXPECT_EQ((*started)["wsl"]["error_code"], "Wsl/Service/CreateInstance/CreateVm/Plugin/E_FAIL");
  EXPECT_EQ((*started)["wsl"]["message"],
            "A fatal error was returned by plugin 'TestPlugin'. Error message: 'StartVm plugin "
            "error message'");
}

TEST(WslPluginTests, ErrorMessageStartDistro) {
  wt::TempDir dir;
  auto r = run_plugin(12, {"--scenario", scenario(dir, kStartStop).string()});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=12
      VM created (settings->CustomConfigurationFlags=0)
      Distribution started, name=test_distro, package=, PidNs=*, InitPid=*, Flavor=debian, Version=13
      OnDistroStarted: E_FAIL
      VM Stopping)");
  const json* started = wt::find_event(*run, "OnDistributionStarted");
  ASSERT_NE(started, nullptr);
  EXPECT_EQ((*started)["wsl"]["error_code"], "Wsl/Service/CreateInstance/Plugin/E_FAIL");
  EXPECT_EQ((*started)["wsl"]["message"],
            "A fatal error was returned by plugin 'TestPlugin'. Error message: 'StartDistro "
            "plugin error message'");
}

namespace {

// `wsl --import plugin-test-distro ... --version 2` then `wsl --unregister plugin-test-distro`:
// the import starts the VM; the service stops it when the test stops the service.
const json kRegisterUnregister =
    json::array({{{"hook", "OnVMStarted"}},
                 {{"hook", "OnDistributionRegistered"}, {"distribution", "plugin-test-distro"}},
                 {{"hook", "OnDistributionUnregistered"}, {"distribution", "plugin-test-distro"}},
                 {{"hook", "OnVMStopping"}}});

const json kImportedDistro = {
    {"name", "plugin-test-distro"}, {"flavor", "debian"}, {"version", "13"}};

}  // namespace

TEST(WslPluginTests, RegisterSuccess) {
  wt::TempDir dir;
  auto r =
      run_plugin(1, {"--scenario", scenario(dir, kRegisterUnregister, kImportedDistro).string()});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=1
      VM created (settings->CustomConfigurationFlags=0)
      Folder mounted (* -> /test-plugin)
      Process created
      Distribution registered, name=plugin-test-distro, package=, Flavor=debian, Version=13
      Distribution unregistered, name=plugin-test-distro, package=, Flavor=debian, Version=13
      VM Stopping)");
}

TEST(WslPluginTests, RegisterUnregisterFail) {
  wt::TempDir dir;
  auto r =
      run_plugin(15, {"--scenario", scenario(dir, kRegisterUnregister, kImportedDistro).string()});
  // WSL's test: both `wsl --import` and `wsl --unregister` still exit 0.
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  expect_log(*run, R"(Plugin loaded. TestMode=15
      VM created (settings->CustomConfigurationFlags=0)
      Distribution registered, name=plugin-test-distro, package=, Flavor=debian, Version=13
      OnDistributionRegistered: E_UNEXPECTED
      Distribution unregistered, name=plugin-test-distro, package=, Flavor=debian, Version=13
      OnDistributionUnregistered: E_UNEXPECTED
      VM Stopping)");
  for (const char* hook : {"OnDistributionRegistered", "OnDistributionUnregistered"}) {
    const json* e = wt::find_event(*run, hook);
    ASSERT_NE(e, nullptr) << hook;
    EXPECT_EQ((*e)["symbol"], "E_UNEXPECTED") << e->dump(2);
    EXPECT_EQ((*e)["wsl"]["fails"], false) << e->dump(2);
  }
}

TEST(WslPluginTests, PluginToken) {
  wt::TempDir dir;
  auto r = run_plugin(17, {"--scenario", scenario(dir, kStartStop).string()});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  // The session's token is the host process's: under wine, wine's user (the name varies).
  expect_log(*run, R"(Plugin loaded. TestMode=17
      VM created (settings->CustomConfigurationFlags=0)
      Username: *\*
      Distribution started, name=test_distro, package=, PidNs=*, InitPid=*, Flavor=debian, Version=13
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
      WSLCProcessGetFd(999): {}
      WSLCProcessGetExitCode(<running>): {}
      WSLC RW folder mounted at: /mnt/wsl-plugin/plugin-rw-test
      Command: 'cat /mnt/wsl-plugin/plugin-rw-test/plugin-test.txt', status=0, stdout: Windows-content, stderr:
      WSLC RO folder mounted at: /mnt/wsl-plugin/plugin-ro-test
      Command: 'echo fail > /mnt/wsl-plugin/plugin-ro-test/should-not-exist.txt', status=*, stdout: , stderr: *
      WSLCMountFolder(nonexistent): {}
      WSLCMountFolder(relative): {}
      Test completed
      WSLC Session stopping, name=wslplug-session, id=*)",
                               0x80004005u, static_cast<long>(static_cast<int>(0x80070057u)),
                               static_cast<long>(static_cast<int>(0x8007139Fu)),
                               static_cast<long>(static_cast<int>(0x80070003u)),
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

TEST(WslPluginTests, WslcSessionRejected) {
  wt::TempDir dir;
  const json events =
      wslc_events({"OnSessionCreated", "WslcVmStarted", "WslcVmStopping", "OnSessionStopping"});
  const json more = {{"wslc_session", {{"display_name", "plugin-wslc-rejected"}}}};
  auto r = run_plugin(19, {"--scenario", scenario(dir, events, nullptr, more).string()}, "2.9.5");
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.9.5");
  ASSERT_NE(run, nullptr) << r.context();
  // The session is not created: no other WSLC hook runs.
  expect_log(*run, R"(Plugin loaded. TestMode=19
      WSLC Session created, name=plugin-wslc-rejected, id=*, pid=*, token=set, sid=set
      OnWslcSessionCreated: ERROR_ACCESS_DENIED)");
  const json* created = wt::find_event(*run, "OnSessionCreated");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ((*created)["hresult"], "0x80070005") << created->dump(2);
  EXPECT_NE((*created)["wsl"]["message"].get<std::string>().find(
                "A fatal error was returned by plugin 'TestPlugin'"),
            std::string::npos)
      << created->dump(2);
}

TEST(WslPluginTests, WslcContainerRejected) {
  wt::TempDir dir;
  // `debian:latest` loaded, then a container of it started: WSLC's inspect documents (the fields
  // WSL's test plugin reads).
  const json image = {
      {"Id", "sha256:5f1b3c7d9e2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c"},
      {"RepoTags", {"debian:latest"}}};
  const json container = {
      {"Id", "7c2e9a4f1b3d5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e3a5c7b9d1f3e5a"},
      {"Name", "wslc-plugin-rejected-container"},
      {"Image", "debian:latest"},
      {"State", {{"Status", "created"}, {"Running", false}}}};
  const json events = json::array({{{"hook", "OnSessionCreated"}},
                                   {{"hook", "WslcVmStarted"}},
                                   {{"hook", "ImageCreated"}, {"argument", image}},
                                   {{"hook", "ContainerStarted"}, {"argument", container}},
                                   {{"hook", "ContainerStopping"}},
                                   {{"hook", "WslcVmStopping"}},
                                   {{"hook", "OnSessionStopping"}}});
  const json more = {{"wslc_session", {{"display_name", "plugin-wslc-container-rejected"}}}};
  auto r = run_plugin(20, {"--scenario", scenario(dir, events, nullptr, more).string()}, "2.9.5");
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.9.5");
  ASSERT_NE(run, nullptr) << r.context();
  // WSL stops the rejected container itself: no ContainerStopping.
  expect_log(*run, R"(Plugin loaded. TestMode=20
      WSLC Session created, name=plugin-wslc-container-rejected, id=*, pid=*, token=set, sid=set
      WSLC Image created, session=*, id=sha256:*, name=debian:latest
      WSLC Container started, session=*, id=*, name=*, image=debian:latest, state=*
      OnWslcContainerStarted: ERROR_ACCESS_DENIED
      WSLC Session stopping, name=plugin-wslc-container-rejected, id=*)");
  EXPECT_NE(run->at("output").get<std::string>().find("name=wslc-plugin-rejected-container"),
            std::string::npos);
  const json* started = wt::find_event(*run, "ContainerStarted");
  ASSERT_NE(started, nullptr);
  EXPECT_EQ((*started)["hresult"], "0x80070005") << started->dump(2);
  EXPECT_NE((*started)["wsl"]["message"].get<std::string>().find(
                "A fatal error was returned by plugin 'TestPlugin'"),
            std::string::npos)
      << started->dump(2);
}
