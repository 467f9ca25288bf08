// wslplug run with WSL Containers (WSLC) plugins: the WSLC lifecycle of the default scenario
// (session created, VM started, image, container, VM stopping, session stopping) with WSL's rules:
// only OnSessionCreated and ContainerStarted can veto; WSLC calls answer WSLC_E_VM_NOT_RUNNING
// while the session's VM does not run; WSLCCreateProcess runs a real Linux process whose stdin,
// stdout, stderr, exit event and exit code the plugin uses; an exit code asked for too early and
// a process never released are reported; the WSLC slots do not exist before 2.9.0 / 2.9.5.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "run_support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

std::vector<std::string> hooks_of(const json& run) {
  std::vector<std::string> out;
  for (const auto& e : run["events"]) out.push_back(e["hook"].get<std::string>());
  return out;
}

}  // namespace

TEST(RunWslc, CleanPluginRunsTheWslcLifecycleWithARealProcess) {
  const auto dll = wt::run_fixture("wslc_clean.cpp", {"-static"});
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json(
      {dll.string(), "--wsl-version", "2.9.5", "--wsl-version", "2.9.0", "--wsl-version", "2.4.4"});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.9.5");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "ok") << r.context();
  EXPECT_EQ(hooks_of(*run),
            (std::vector<std::string>{"OnSessionCreated", "WslcVmStarted", "ImageCreated",
                                      "ContainerStarted", "ContainerStopping", "ImageDeleted",
                                      "WslcVmStopping", "OnSessionStopping"}))
      << r.context();
  for (const auto& e : (*run)["events"]) EXPECT_EQ(e["symbol"], "S_OK") << e.dump(2);
  const json* created = wt::find_event(*run, "OnSessionCreated");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ((*created)["passed"]["SessionId"], 1);
  EXPECT_EQ((*created)["passed"]["DisplayName"], "wslplug-session");
  // Before the VM runs: WSLC_E_VM_NOT_RUNNING, a warning (the plugin asked on purpose).
  ASSERT_EQ((*created)["api_calls"].size(), 1u) << created->dump(2);
  EXPECT_EQ((*created)["api_calls"][0]["symbol"], "WSLC_E_VM_NOT_RUNNING");
  EXPECT_TRUE(wt::has_problem(*run, "wslc-vm-not-running"));
  const json* container = wt::find_event(*run, "ContainerStarted");
  ASSERT_NE(container, nullptr);
  const auto inspect = json::parse((*container)["passed"]["InspectContainer"].get<std::string>());
  EXPECT_TRUE(inspect.contains("Id")) << inspect.dump();
  // The real process: what the plugin wrote, what it read, the exit code it got.
  const json* vm = wt::find_event(*run, "WslcVmStarted");
  ASSERT_NE(vm, nullptr);
  std::vector<std::string> names;
  for (const auto& c : (*vm)["api_calls"]) names.push_back(c["call"].get<std::string>());
  EXPECT_EQ(names,
            (std::vector<std::string>{"WSLCCreateProcess", "WSLCProcessGetFd", "WSLCProcessGetFd",
                                      "WSLCProcessGetFd", "WSLCProcessGetExitEvent",
                                      "WSLCProcessGetExitCode", "WSLCReleaseProcess"}))
      << vm->dump(2);
  const json& create = (*vm)["api_calls"][0];
  EXPECT_EQ(create["served_by"], "process") << create.dump(2);
  EXPECT_EQ(create["input"], "hello\n");
  EXPECT_EQ(create["output"], "got hello hi\n");
  EXPECT_EQ(create["stderr"], "oops\n");
  EXPECT_EQ(create["exit_code"], 3);
  EXPECT_EQ(create["args"]["environment"], json({"GREETING=hi", "PATH=/usr/bin:/bin"}));
  EXPECT_EQ((*vm)["api_calls"][5]["args"]["exit_code"], 3);
  // What the plugin read (its console is in text mode: "\n" arrives as "\r\n").
  const std::string console = (*run)["output"].get<std::string>();
  EXPECT_NE(console.find("WslcVmStarted: stdout 'got hello hi"), std::string::npos) << console;
  EXPECT_NE(console.find("' exit 3"), std::string::npos) << console;
  EXPECT_FALSE(wt::has_problem(*run, "wslc-process-leaked")) << r.context();
  // The default lifecycle's WslcVmStopping ends the session: a call made during it fails cleanly
  // (WslPluginApi.h; WSL's WslcVmRestart test: "reentrant WSLCCreateProcess: failed").
  const json* stopping = wt::find_event(*run, "WslcVmStopping");
  ASSERT_NE(stopping, nullptr);
  EXPECT_EQ((*stopping)["api_calls"][0]["symbol"], "WSLC_E_VM_NOT_RUNNING") << stopping->dump(2);

  // 2.9.0: the six WSLC hooks, no VM hooks (the VM still runs between the same points).
  const json* old = r.run("2.9.0");
  ASSERT_NE(old, nullptr);
  EXPECT_EQ((*old)["outcome"], "ok") << r.context();
  EXPECT_EQ(hooks_of(*old),
            (std::vector<std::string>{"OnSessionCreated", "ImageCreated", "ContainerStarted",
                                      "ContainerStopping", "ImageDeleted", "OnSessionStopping"}));
  // 2.4.4: no WSLC slot exists, and the plugin (checking the version) sets none.
  const json* older = r.run("2.4.4");
  ASSERT_NE(older, nullptr);
  EXPECT_EQ((*older)["outcome"], "ok") << r.context();
  EXPECT_TRUE((*older)["hooks_set"].empty()) << r.context();
  EXPECT_TRUE((*older)["events"].empty()) << r.context();
}

TEST(RunWslc, AVetoedContainerIsReportedWithWslsMessage) {
  const auto dll = wt::run_fixture("wslc_veto_container.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.9.5", "--name", "container-policy"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.9.5");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "hook-failed") << r.context();
  const json* e = wt::find_event(*run, "ContainerStarted");
  ASSERT_NE(e, nullptr) << r.context();
  EXPECT_EQ((*e)["symbol"], "E_ACCESSDENIED");
  EXPECT_EQ((*e)["plugin_error"], "containers are not allowed by policy");
  ASSERT_TRUE((*e)["wsl"].is_object()) << e->dump(2);
  EXPECT_EQ((*e)["wsl"]["fails"], true);
  EXPECT_EQ((*e)["wsl"]["error_code"], "Wsl/Service/Plugin/WslC/E_ACCESSDENIED");
  EXPECT_EQ((*e)["wsl"]["message"],
            "A fatal error was returned by plugin 'container-policy'. Error message: 'containers "
            "are not allowed by policy'");
  EXPECT_NE((*e)["wsl"]["effect"].get<std::string>().find(
                "Failed to stop container '<container id>' after plugin rejection"),
            std::string::npos);
  // WSL stops the rejected container itself: no ContainerStopping for it.
  EXPECT_EQ(wt::find_event(*run, "ContainerStopping"), nullptr) << r.context();
  EXPECT_TRUE(wt::has_problem(*run, "hook-failed"));
  // Older than 2.9.0: the plugin refuses to load, cleanly.
  auto old = wt::run_json({dll.string(), "--wsl-version", "2.4.4"});
  EXPECT_EQ(old.result.rc, 0) << old.context();
  EXPECT_EQ((*old.run("2.4.4"))["outcome"], "requires-update");
}

TEST(RunWslc, AVetoedSessionEndsTheWslcLifecycle) {
  const auto dll = wt::run_fixture("wslc_veto_session.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.9.5", "--name", "no-sessions"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.9.5");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ(hooks_of(*run), (std::vector<std::string>{"OnSessionCreated"})) << r.context();
  const json* e = wt::find_event(*run, "OnSessionCreated");
  EXPECT_EQ((*e)["wsl"]["error_code"], "Wsl/Service/Plugin/WslC/E_ACCESSDENIED");
  EXPECT_EQ((*e)["wsl"]["message"], "A fatal error was returned by plugin 'no-sessions'");
}

TEST(RunWslc, EarlyExitCodeAndUnreleasedProcessAreReported) {
  const auto dll = wt::run_fixture("wslc_leak.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.9.5"});
  // Misuse WSL answers without failing anything: warnings, exit 0. ImageCreated's E_FAIL is
  // logged and ignored.
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.9.5");
  ASSERT_NE(run, nullptr) << r.context();
  const auto codes = wt::api_calls(*run, "WSLCProcessGetExitCode");
  ASSERT_EQ(codes.size(), 1u) << r.context();
  EXPECT_EQ(codes[0]["hresult"], "0x8007139F");
  EXPECT_TRUE(wt::has_problem(*run, "wslc-exit-code-early")) << r.context();
  EXPECT_TRUE(wt::has_problem(*run, "wslc-process-leaked")) << r.context();
  const json* image = wt::find_event(*run, "ImageCreated");
  ASSERT_NE(image, nullptr);
  EXPECT_EQ((*image)["symbol"], "E_FAIL");
  EXPECT_EQ((*image)["wsl"]["fails"], false);
}

TEST(RunWslc, UncheckedWslcHookIsAnAbiViolationBefore290) {
  const auto dll = wt::run_fixture("wslc_hook_unchecked.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4", "--wsl-version", "2.9.0"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* old = r.run("2.4.4");
  ASSERT_NE(old, nullptr);
  EXPECT_EQ((*old)["outcome"], "abi-violation") << r.context();
  EXPECT_EQ((*old)["abi_violation"]["slot"], "OnSessionCreated");
  EXPECT_EQ((*old)["abi_violation"]["since"], "2.9.0");
  EXPECT_EQ((*r.run("2.9.0"))["outcome"], "ok") << r.context();
}

TEST(RunWslc, ScenarioGivesTheSessionAndTheContainerDocument) {
  const auto dll = wt::run_fixture("wslc_veto_container.c");
  ASSERT_FALSE(dll.empty());
  wt::TempDir tmp;
  const auto scenario = tmp / "wslc.json";
  wt::write_text(scenario, R"({
    "schema": 1,
    "wslc_session": {"id": 7, "display_name": "dev", "application_pid": 4321},
    "events": [
      {"hook": "OnSessionCreated"},
      {"hook": "ContainerStarted", "expect": "E_ACCESSDENIED",
       "argument": {"Id": "abc", "Config": {"Image": "alpine"}}},
      {"hook": "OnSessionStopping"}
    ]})");
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.9.5", "--scenario", scenario.string()});
  EXPECT_EQ(r.result.rc, 0) << r.context();  // the veto was expected
  const json* run = r.run("2.9.5");
  ASSERT_NE(run, nullptr) << r.context();
  const json* e = wt::find_event(*run, "ContainerStarted");
  ASSERT_NE(e, nullptr) << r.context();
  EXPECT_EQ((*e)["passed"]["SessionId"], 7);
  EXPECT_EQ((*e)["passed"]["DisplayName"], "dev");
  EXPECT_EQ((*e)["passed"]["ApplicationPid"], 4321);
  EXPECT_EQ(json::parse((*e)["passed"]["InspectContainer"].get<std::string>())["Id"], "abc");
  EXPECT_EQ((*e)["expectation_met"], true);
  // A key a WSLC hook does not have is an input error naming its path.
  wt::write_text(scenario, R"({"events": [{"hook": "OnSessionCreated", "argument": "x"}]})");
  auto bad = wt::run_json({dll.string(), "--scenario", scenario.string()});
  EXPECT_EQ(bad.result.rc, 2) << bad.context();
  EXPECT_NE(bad.doc.dump().find("events[0].argument"), std::string::npos) << bad.context();
}

// Calls that depend on the VM's state, with WSL's answers: a WSLC mountpoint mounted twice
// (ERROR_ALREADY_EXISTS) or unmounted without a mount (ERROR_NOT_FOUND), from
// WSLCVirtualMachine::MountWindowsFolderImpl and UnmountWindowsFolder; an ExecuteBinary after
// OnVMStopping, when WSL's VM is gone (E_NOT_VALID_STATE, LxssUserSessionImpl::CreateLinuxProcess).
TEST(RunWslc, CallsThatDependOnTheVmsStateGetWslsAnswers) {
  const auto dll = wt::run_fixture("vm_state_calls.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.9.5"});
  const json* run = r.run("2.9.5");
  ASSERT_NE(run, nullptr) << r.context();
  const std::string out = (*run)["output"].get<std::string>();
  EXPECT_NE(out.find("mount 0x00000000, again 0x800700b7, unmount of nothing 0x80070490"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("ExecuteBinary after OnVMStopping: 0x8007139f"), std::string::npos) << out;
  const auto late = wt::api_calls(*run, "ExecuteBinary");
  ASSERT_EQ(late.size(), 1u) << r.context();
  EXPECT_EQ(late[0]["symbol"], "ERROR_INVALID_STATE") << late[0].dump(2);
}
