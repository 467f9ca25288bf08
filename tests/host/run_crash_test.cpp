// wslplug run, crashes and hangs: a stack overflow, a C++ exception and a Rust panic escaping a
// hook, a hook slower than WSL's 10 s threshold and a hook that never returns (given up after
// --hook-timeout, with nothing of the plugin left running: neither the wine host that mapped the
// DLL nor the Linux process the hook started). Fixtures from tests/fixtures/run, the real binary,
// wine.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "run_support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;
using namespace std::chrono_literals;

TEST(RunCrash, StackOverflowInOnVMStarted) {
  const auto dll = wt::run_fixture("stack_overflow.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.0.5"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.0.5");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "crashed") << r.context();
  const json& crash = (*run)["crash"];
  ASSERT_TRUE(crash.is_object()) << r.context();
  EXPECT_EQ(crash["code"], "0xC00000FD");
  EXPECT_EQ(crash["name"], "STATUS_STACK_OVERFLOW");
  EXPECT_EQ(crash["hook"], "OnVMStarted");
  EXPECT_EQ(crash["module"], dll.filename().string());  // the recursion is in the plugin
  EXPECT_FALSE(crash.value("wsl_effect", "").empty());
  const json* e = wt::find_event(*run, "OnVMStarted");
  ASSERT_NE(e, nullptr) << r.context();
  EXPECT_TRUE((*e)["hresult"].is_null()) << e->dump();  // the hook never returned
}

TEST(RunCrash, CppExceptionEscapingAHook) {
  const auto dll = wt::run_fixture("cpp_exception.cpp");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "crashed") << r.context();
  const json& crash = (*run)["crash"];
  ASSERT_TRUE(crash.is_object()) << r.context();
  EXPECT_EQ(crash["hook"], "OnDistributionStarted");
  // MinGW's C++ runtime raises its exceptions as SEH code 0x20474343 ("GCC"); whether the host
  // sees that code escape or the runtime's std::terminate, the report says what it was.
  const std::string text = crash.dump() + (*run)["output"].get<std::string>();
  EXPECT_TRUE(crash["code"] == "0x20474343" || text.find("std::runtime_error") != std::string::npos)
      << r.context();
  EXPECT_TRUE(wt::has_problem(*run, "crash"));
}

TEST(RunCrash, RustPanicInABareExternCHookAborts) {
  const auto dll = wt::rust_panic_fixture();
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  EXPECT_EQ(r.doc["plugin"]["name"], "rust_panic_plugin");
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "crashed") << r.context();
  const json& crash = (*run)["crash"];
  ASSERT_TRUE(crash.is_object()) << r.context();
  EXPECT_EQ(crash["hook"], "OnVMStarted");
  // Rust's panic message reached the plugin's console, and the report calls it a panic.
  const std::string output = (*run)["output"].get<std::string>();
  EXPECT_NE(output.find("panicked at"), std::string::npos) << r.context();
  EXPECT_NE(output.find("no configuration: None"), std::string::npos) << r.context();
  EXPECT_NE(fmt::format("{} {}", crash.value("description", ""), crash.value("wsl_effect", ""))
                .find("panic"),
            std::string::npos)
      << crash.dump(2);
}

TEST(RunCrash, HookSlowerThanTenSecondsIsFlagged) {
  const auto dll = wt::run_fixture("slow_hook.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4"});
  // Slow is WSL's log line, not a failure: the VM starts.
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "ok") << r.context();
  const json* e = wt::find_event(*run, "OnVMStarted");
  ASSERT_NE(e, nullptr) << r.context();
  EXPECT_EQ((*e)["slow"], true) << e->dump(2);
  EXPECT_GE((*e)["duration_ms"].get<double>(), 10000.0);
  EXPECT_EQ((*e)["symbol"], "S_OK");
  EXPECT_TRUE(wt::has_problem(*run, "slow-hook")) << r.context();
}

TEST(RunCrash, HookThatNeverReturnsIsKilledAndNothingIsLeftRunning) {
  const auto fixture = wt::run_fixture("hang_hook.c");
  ASSERT_FALSE(fixture.empty());
  // A private copy: its path (in the host's memory maps and in the command line of the Linux
  // process the hook starts) tells this test's processes from any other.
  wt::TempDir tmp;
  const auto dll = wt::copy_to(fixture, tmp.path(), "hang.dll");
  const std::string needle = tmp.path().filename().string();
  ASSERT_TRUE(wt::processes_mentioning(needle).empty());

  // The plugin's name is the needle too: in the sandbox the DLL is at C:\Program Files\WSL
  // Plugins\NAME\, which the host maps and the Linux process's command line carries.
  auto pending = std::async(std::launch::async, [&] {
    return wt::run_json(
        {dll.string(), "--wsl-version", "2.4.4", "--hook-timeout", "3", "--name", needle});
  });
  // While the hook blocks, the host has the DLL mapped and the Linux process runs: this is what
  // the check below looks for, so it can fail.
  std::vector<int> seen;
  for (int i = 0; i < 300 && seen.size() < 2; ++i) {
    if (pending.wait_for(50ms) == std::future_status::ready) break;
    seen = wt::processes_mentioning(needle);
  }
  auto r = pending.get();
  EXPECT_GE(seen.size(), 2u) << "the host and the Linux process were not seen running";
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "hung") << r.context();
  ASSERT_TRUE((*run)["hang"].is_object()) << r.context();
  EXPECT_EQ((*run)["hang"]["hook"], "OnDistributionStarted");
  EXPECT_EQ((*run)["hang"]["distribution"], "Ubuntu");
  EXPECT_EQ((*run)["hang"]["seconds"], 3);
  EXPECT_TRUE(wt::has_problem(*run, "hang"));
  EXPECT_NE((*run)["output"].get<std::string>().find("ExecuteBinary: 0x00000000, now blocking"),
            std::string::npos)
      << r.context();
  // Nothing survives the run (a killed process may take a moment to be reaped).
  std::vector<int> left = wt::processes_mentioning(needle);
  for (int i = 0; i < 40 && !left.empty(); ++i) {
    std::this_thread::sleep_for(50ms);
    left = wt::processes_mentioning(needle);
  }
  std::string who;
  for (int pid : left)
    who += fmt::format("{}: {}\n", pid, wt::read_text(fmt::format("/proc/{}/cmdline", pid)));
  EXPECT_TRUE(left.empty()) << "still running after wslplug run returned:\n" << who;
}
