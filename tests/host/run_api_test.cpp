// wslplug run, the API as WSL's service implements it: PluginError's rules (with success, twice,
// from a worker thread, with a failure), MountFolder of a missing folder, ExecuteBinary served by
// a real Linux process (the real /proc/version, refused under --no-exec, a canned reply from a
// scenario) and called from a worker thread after the hook returned. Each fixture
// (tests/fixtures/run) runs through the real binary under wine; the report must carry the
// HRESULT names, the exact error code string and message wsl.exe would print, and the exit code.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "run_support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

TEST(RunApi, PluginErrorThenSuccessIsAnIllegalStateChange) {
  const auto dll = wt::run_fixture("plugin_error_success.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4", "--name", "licensed"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  EXPECT_EQ(r.doc["plugin"]["name"], "licensed");
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "hook-failed") << r.context();
  const json* e = wt::find_event(*run, "OnVMStarted");
  ASSERT_NE(e, nullptr) << r.context();
  EXPECT_EQ((*e)["symbol"], "S_OK");  // what the plugin returned
  EXPECT_EQ((*e)["plugin_error"], "license check failed");
  ASSERT_TRUE((*e)["wsl"].is_object()) << e->dump(2);
  EXPECT_EQ((*e)["wsl"]["fails"], true);
  EXPECT_EQ((*e)["wsl"]["error_code"],
            "Wsl/Service/CreateInstance/CreateVm/Plugin/E_ILLEGAL_STATE_CHANGE");
  // The service's throw carries no message: wsl.exe prints the generic text of the code.
  EXPECT_EQ((*e)["wsl"]["message"],
            "An install, uninstall, or conversion is in progress for this distribution.");
  EXPECT_TRUE(wt::has_problem(*run, "plugin-error-with-success")) << r.context();
  // A failed OnVMStarted ends the run: no distribution hook follows.
  EXPECT_EQ((*run)["events"].size(), 1u) << r.context();
}

TEST(RunApi, PluginErrorTwiceKeepsTheFirstMessage) {
  const auto dll = wt::run_fixture("plugin_error_twice.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.1.3", "--name", "twice"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.1.3");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "hook-failed") << r.context();
  const json* e = wt::find_event(*run, "OnDistributionStarted", "Ubuntu");
  ASSERT_NE(e, nullptr) << r.context();
  EXPECT_EQ((*e)["symbol"], "E_FAIL");
  EXPECT_EQ((*e)["hresult"], "0x80004005");
  ASSERT_EQ((*e)["api_calls"].size(), 2u) << e->dump(2);
  EXPECT_EQ((*e)["api_calls"][0]["call"], "PluginError");
  EXPECT_EQ((*e)["api_calls"][0]["args"]["message"], "first message");
  EXPECT_EQ((*e)["api_calls"][0]["symbol"], "S_OK");
  EXPECT_EQ((*e)["api_calls"][1]["args"]["message"], "second message");
  EXPECT_EQ((*e)["api_calls"][1]["hresult"], "0x8000000D");
  EXPECT_EQ((*e)["api_calls"][1]["symbol"], "E_ILLEGAL_STATE_CHANGE");
  EXPECT_EQ((*e)["api_calls"][1]["thread"], "hook");
  EXPECT_EQ((*e)["plugin_error"], "first message");
  EXPECT_EQ((*e)["wsl"]["error_code"], "Wsl/Service/CreateInstance/Plugin/E_FAIL");
  EXPECT_EQ((*e)["wsl"]["message"],
            "A fatal error was returned by plugin 'twice'. Error message: 'first message'");
  EXPECT_TRUE(wt::has_problem(*run, "plugin-error-twice")) << r.context();
  // The plugin saw the same results (its console output).
  EXPECT_NE((*run)["output"].get<std::string>().find("PluginError results: 0x00000000 0x8000000d"),
            std::string::npos)
      << r.context();
}

TEST(RunApi, PluginErrorFromAWorkerThreadIsRefused) {
  const auto dll = wt::run_fixture("plugin_error_worker.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4"});
  // WSL refuses the call and the hook returns S_OK: WSL starts (exit 0), the message is lost.
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "ok") << r.context();
  const auto calls = wt::api_calls(*run, "PluginError");
  ASSERT_EQ(calls.size(), 1u) << r.context();
  EXPECT_EQ(calls[0]["thread"], "worker");
  EXPECT_EQ(calls[0]["hresult"], "0x8000000E");
  EXPECT_EQ(calls[0]["symbol"], "E_ILLEGAL_METHOD_CALL");
  EXPECT_EQ(calls[0]["args"]["message"], "reported from a worker thread");
  const json* e = wt::find_event(*run, "OnVMStarted");
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE((*e)["plugin_error"].is_null()) << e->dump(2);
  EXPECT_EQ((*e)["symbol"], "S_OK");
  EXPECT_TRUE(wt::has_problem(*run, "plugin-error-outside-hook")) << r.context();
  EXPECT_NE((*run)["output"].get<std::string>().find("worker PluginError: 0x8000000e"),
            std::string::npos)
      << r.context();
}

TEST(RunApi, PluginErrorWithFailureIsWslsFatalErrorMessage) {
  const auto dll = wt::run_fixture("plugin_error_failure.c");
  ASSERT_FALSE(dll.empty());
  const std::string message =
      "A fatal error was returned by plugin 'corp-policy'. Error message: 'distributions are not "
      "allowed by policy'";
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4", "--name", "corp-policy"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "hook-failed");
  const json* e = wt::find_event(*run, "OnDistributionStarted", "Ubuntu");
  ASSERT_NE(e, nullptr) << r.context();
  EXPECT_EQ((*e)["hresult"], "0x80070005");
  EXPECT_EQ((*e)["symbol"], "E_ACCESSDENIED");
  EXPECT_EQ((*e)["plugin_error"], "distributions are not allowed by policy");
  EXPECT_EQ((*e)["wsl"]["fails"], true);
  EXPECT_EQ((*e)["wsl"]["error_code"], "Wsl/Service/CreateInstance/Plugin/E_ACCESSDENIED");
  EXPECT_EQ((*e)["wsl"]["message"], message);
  EXPECT_FALSE((*e)["wsl"].value("explanation", "").empty()) << e->dump(2);
  EXPECT_TRUE(wt::has_problem(*run, "hook-failed")) << r.context();
  // The transcript for people prints the same message and code.
  auto text = wt::wslplug(
      {"run", dll.string(), "--wsl-version", "2.4.4", "--name", "corp-policy", "--allow-unsigned"},
      wt::run_env());
  EXPECT_EQ(text.rc, 1) << text.both();
  EXPECT_NE(text.out.find(message), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Wsl/Service/CreateInstance/Plugin/E_ACCESSDENIED"), std::string::npos)
      << text.out;
}

TEST(RunApi, MountFolderOfAMissingFolder) {
  const auto dll = wt::run_fixture("mount_missing.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.0.5", "--name", "mounter"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.0.5");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "hook-failed");
  const auto calls = wt::api_calls(*run, "MountFolder");
  ASSERT_EQ(calls.size(), 2u) << r.context();
  EXPECT_EQ(calls[0]["args"]["windows_path"], "C:\\windows");
  EXPECT_EQ(calls[0]["args"]["linux_path"], "/mnt/wslplug-windows");
  EXPECT_EQ(calls[0]["args"]["read_only"], true);
  EXPECT_EQ(calls[0]["args"]["name"], "windows");
  EXPECT_EQ(calls[0]["symbol"], "S_OK");
  EXPECT_EQ(calls[1]["args"]["windows_path"], "C:\\wslplug-no-such-folder");
  EXPECT_EQ(calls[1]["args"]["read_only"], false);
  EXPECT_EQ(calls[1]["hresult"], "0x80070002");
  EXPECT_EQ(calls[1]["symbol"], "ERROR_FILE_NOT_FOUND");
  const json* e = wt::find_event(*run, "OnVMStarted");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ((*e)["symbol"], "ERROR_FILE_NOT_FOUND");
  EXPECT_EQ((*e)["wsl"]["error_code"],
            "Wsl/Service/CreateInstance/CreateVm/Plugin/ERROR_FILE_NOT_FOUND");
  EXPECT_EQ((*e)["wsl"]["message"], "A fatal error was returned by plugin 'mounter'");
  EXPECT_TRUE(wt::has_problem(*run, "mount-missing")) << r.context();
}

TEST(RunApi, ExecuteBinaryReadsTheRealProcVersion) {
  const auto dll = wt::run_fixture("exec_proc_version.c");
  ASSERT_FALSE(dll.empty());
  const std::string proc_version = wt::read_text("/proc/version");
  ASSERT_TRUE(proc_version.starts_with("Linux version ")) << proc_version;
  // The plugin's copy on C:\: the sandbox's overlay takes it (the shared prefix never does) and
  // the run keeps it for reading afterwards.
  const auto in_prefix = wt::run_drive_c() / "wslplug-tests/proc-version.txt";
  std::error_code ec;
  wt::fs::remove(in_prefix, ec);

  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4"});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "ok") << r.context();
  const json* e = wt::find_event(*run, "OnVMStarted");
  ASSERT_NE(e, nullptr) << r.context();
  ASSERT_EQ((*e)["api_calls"].size(), 1u) << e->dump(2);
  const json& call = (*e)["api_calls"][0];
  EXPECT_EQ(call["call"], "ExecuteBinary");
  EXPECT_EQ(call["args"]["path"], "/bin/cat");
  EXPECT_EQ(call["args"]["arguments"], json::array({"/bin/cat", "/proc/version"}));
  EXPECT_EQ(call["symbol"], "S_OK");
  EXPECT_EQ(call["thread"], "hook");
  EXPECT_EQ(call["served_by"], "process");
  EXPECT_EQ(call["output"], proc_version);
  EXPECT_EQ(call["exit_code"], 0);

  EXPECT_EQ(r.doc["host"]["drive_c"], wt::run_drive_c().string()) << r.context();
  EXPECT_FALSE(wt::fs::exists(in_prefix)) << r.context();
  ASSERT_TRUE(r.doc["sandbox"].is_object()) << r.context();
  const auto copy = wt::fs::path(r.doc["sandbox"]["files_kept_in"].get<std::string>()) /
                    "2.4.4/drive_c/wslplug-tests/proc-version.txt";
  ASSERT_TRUE(wt::fs::exists(copy)) << r.context();
  EXPECT_EQ(wt::read_text(copy), proc_version);
  bool listed = false;
  for (const auto& f : (*run)["files"]) {
    if (f["path"] != "C:\\wslplug-tests\\proc-version.txt") continue;
    listed = true;
    EXPECT_EQ(f["host_path"], copy.string());
    EXPECT_EQ(f["size"], proc_version.size());
    EXPECT_EQ(f["change"], "created");
  }
  EXPECT_TRUE(listed) << (*run)["files"].dump(2);

  // --no-exec refuses the command as WSL does a missing binary: the plugin's check fails.
  auto refused =
      wt::run_json({dll.string(), "--wsl-version", "2.4.4", "--no-exec", "--name", "pv"});
  EXPECT_EQ(refused.result.rc, 1) << refused.context();
  const json* rrun = refused.run("2.4.4");
  ASSERT_NE(rrun, nullptr) << refused.context();
  const json* re = wt::find_event(*rrun, "OnVMStarted");
  ASSERT_NE(re, nullptr) << refused.context();
  ASSERT_EQ((*re)["api_calls"].size(), 2u) << re->dump(2);  // ExecuteBinary, then PluginError
  EXPECT_EQ((*re)["api_calls"][0]["symbol"], "E_FAIL");
  EXPECT_EQ((*re)["api_calls"][0]["served_by"], "refused");
  EXPECT_EQ((*re)["symbol"], "E_FAIL");
  EXPECT_EQ((*re)["wsl"]["error_code"], "Wsl/Service/CreateInstance/CreateVm/Plugin/E_FAIL");
  EXPECT_EQ((*re)["wsl"]["message"],
            "A fatal error was returned by plugin 'pv'. Error message: 'ExecuteBinary(/bin/cat) "
            "failed'");

  // A canned reply that is not /proc/version: the plugin's own check rejects it.
  wt::TempDir tmp;
  wt::write_text(tmp / "scenario.json", R"({"schema": 1,
    "events": [{"hook": "OnVMStarted"}],
    "commands": [{"path": "/bin/cat", "arguments": ["/bin/cat", "/proc/version"],
                  "stdout": "not a kernel\n"}]})");
  auto canned = wt::run_json({dll.string(), "--wsl-version", "2.4.4", "--name", "pv", "--scenario",
                              (tmp / "scenario.json").string()});
  EXPECT_EQ(canned.result.rc, 1) << canned.context();
  const json* crun = canned.run("2.4.4");
  ASSERT_NE(crun, nullptr) << canned.context();
  const json* ce = wt::find_event(*crun, "OnVMStarted");
  ASSERT_NE(ce, nullptr) << canned.context();
  EXPECT_EQ((*ce)["api_calls"][0]["served_by"], "canned");
  EXPECT_EQ((*ce)["api_calls"][0]["output"], "not a kernel\n");
  EXPECT_EQ((*ce)["symbol"], "E_UNEXPECTED");
  EXPECT_EQ((*ce)["wsl"]["error_code"], "Wsl/Service/CreateInstance/CreateVm/Plugin/E_UNEXPECTED");
  EXPECT_EQ((*ce)["plugin_error"], "/proc/version does not look like Linux");
}

TEST(RunApi, ExecuteBinaryFromAWorkerThreadAfterTheHookReturned) {
  const auto dll = wt::run_fixture("exec_worker_late.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4"});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "ok") << r.context();
  const json* e = wt::find_event(*run, "OnVMStarted");
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE((*e)["api_calls"].empty()) << e->dump(2);  // the hook itself made no call
  ASSERT_EQ((*run)["late_api_calls"].size(), 1u) << r.context();
  const json& call = (*run)["late_api_calls"][0];
  EXPECT_EQ(call["call"], "ExecuteBinary");
  EXPECT_EQ(call["thread"], "worker");
  EXPECT_TRUE(call["hook"].is_null()) << call.dump();
  EXPECT_EQ(call["symbol"], "S_OK");
  EXPECT_EQ(call["served_by"], "process");
  EXPECT_EQ(call["output"], "late-worker-call\n");
  EXPECT_NE(
      (*run)["output"].get<std::string>().find("worker ExecuteBinary: 0x00000000 late-worker-call"),
      std::string::npos)
      << r.context();
}
