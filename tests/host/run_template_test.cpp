// wslplug run on whole plugins: the C++ template (scaffolded with `wslplug new`, built with
// `wslplug build`) and the clean fixture (every hook, version checks) pass at every default WSL
// version, with --null-strings and --repeat; in a project folder run finds the project's DLL and
// name; --distro adds and replaces distributions; usage errors (not a file, not a PE, an ARM64
// DLL, bad flags) exit 2 with a JSON error, harness failures (no wine, no host program) exit 3.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

#include "run_support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

const std::vector<std::string> kDefaultVersions = {"2.0.5", "2.1.3", "2.4.4", "2.9.5"};
const std::vector<std::string> kBaseHooks = {"OnVMStarted", "OnVMStopping", "OnDistributionStarted",
                                             "OnDistributionStopping"};
const std::vector<std::string> kAllHooks = {"OnVMStarted",
                                            "OnVMStopping",
                                            "OnDistributionStarted",
                                            "OnDistributionStopping",
                                            "OnDistributionRegistered",
                                            "OnDistributionUnregistered"};

std::set<std::string> as_set(const json& list) {
  std::set<std::string> out;
  for (const auto& v : list) out.insert(v.get<std::string>());
  return out;
}
std::set<std::string> as_set(const std::vector<std::string>& list) {
  return {list.begin(), list.end()};
}

// Every run ok, every event S_OK, the hooks of each version set, no error problem.
void expect_clean_everywhere(const wt::RunReport& r) {
  EXPECT_EQ(r.result.rc, 0) << r.context();
  EXPECT_EQ(r.doc["ok"], true);
  ASSERT_EQ(r.doc["runs"].size(), kDefaultVersions.size()) << r.context();
  for (std::size_t i = 0; i < kDefaultVersions.size(); ++i) {
    const json& run = r.doc["runs"][i];
    const std::string& v = kDefaultVersions[i];
    EXPECT_EQ(run["wsl_version"], v);
    EXPECT_EQ(run["outcome"], "ok") << v << "\n" << r.context();
    EXPECT_EQ(run["load"]["symbol"], "S_OK") << v;
    EXPECT_EQ(as_set(run["hooks_set"]), as_set(v == "2.0.5" ? kBaseHooks : kAllHooks)) << v;
    for (const auto& e : run["events"]) EXPECT_EQ(e["symbol"], "S_OK") << v << " " << e.dump();
    for (const auto& p : run["problems"]) EXPECT_NE(p["severity"], "error") << v << " " << p.dump();
    EXPECT_TRUE(run["crash"].is_null() && run["abi_violation"].is_null() && run["hang"].is_null())
        << v;
    // The registration hooks exist from 2.1.2: called for both distributions there, never before.
    const bool has_registration = v != "2.0.5";
    EXPECT_EQ(wt::find_event(run, "OnDistributionRegistered", "Ubuntu") != nullptr,
              has_registration)
        << v;
    EXPECT_EQ(wt::find_event(run, "OnDistributionUnregistered", "bare") != nullptr,
              has_registration)
        << v;
  }
}

}  // namespace

TEST(RunTemplate, CppTemplateIsCleanAtEveryDefaultVersion) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  WSLPLUG_REQUIRE_TOOL("cmake");
  wt::TempDir tmp;
  ASSERT_EQ(
      wt::wslplug({"new", "tpl-run", "--lang", "cpp", "--hooks", "all"}, {}, {}, tmp.path()).rc, 0);
  const auto dir = tmp / "tpl-run";
  auto b = wt::wslplug({"build", "-C", dir.string()});
  ASSERT_EQ(b.rc, 0) << b.both();

  // In the project folder without a DLL: the project's build output and registry value name.
  auto r = wt::run_json({}, {}, dir);
  expect_clean_everywhere(r);
  EXPECT_EQ(r.doc["plugin"]["file"], (dir / "build/x86_64-release/tpl-run.dll").string());
  EXPECT_EQ(r.doc["plugin"]["name"], "tpl-run");
  // The template logs to %TEMP%\tpl-run.log: a file on C:\ (the sandbox's overlay), listed with
  // the path of the copy the run keeps.
  const json& files = r.doc["runs"][0]["files"];
  bool log = false;
  for (const auto& f : files) {
    const std::string path = f.value("path", "");
    if (!path.ends_with("\\tpl-run.log")) continue;
    log = true;
    EXPECT_TRUE(path.starts_with("C:\\")) << path;
    const wt::fs::path host = f["host_path"].get<std::string>();
    EXPECT_TRUE(host.string().starts_with(r.doc["sandbox"]["files_kept_in"].get<std::string>()))
        << host;
    ASSERT_TRUE(wt::fs::exists(host)) << host;
    EXPECT_NE(wt::read_text(host).find("tpl-run loaded by WSL 2.0.5"), std::string::npos);
  }
  EXPECT_TRUE(log) << files.dump(2);

  // The contract a future WSL may use (NULL PackageFamilyName), and retried stop/start pairs.
  expect_clean_everywhere(wt::run_json({"--null-strings", "--repeat", "2"}, {}, dir));

  // build --run: one document, run's, with build's under "build".
  auto br = wt::wslplug({"build", "-C", dir.string(), "--run", "--wsl-version", "2.4.4",
                         "--allow-unsigned", "--json"},
                        wt::run_env());
  EXPECT_EQ(br.rc, 0) << br.both();
  const auto doc = json::parse(br.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << br.both();
  EXPECT_EQ(doc["build"]["artifact"], (dir / "build/x86_64-release/tpl-run.dll").string());
  ASSERT_EQ(doc["runs"].size(), 1u) << doc.dump(2);
  EXPECT_EQ(doc["runs"][0]["wsl_version"], "2.4.4");
  EXPECT_EQ(doc["runs"][0]["outcome"], "ok");
}

// The C++ template with every WSL and WSLC hook: builds with MinGW, runs clean through the WSL and
// WSLC lifecycles at 2.9.5 (its WslcVmStarted runs uname in the "VM" and releases the process),
// and at 2.4.4 sets no WSLC slot (it checks the version before each).
TEST(RunTemplate, CppTemplateWithWslcHooksIsCleanAndVersionChecked) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  WSLPLUG_REQUIRE_TOOL("cmake");
  wt::TempDir tmp;
  auto n =
      wt::wslplug({"new", "tpl-wslc", "--lang", "cpp", "--hooks", "all,wslc"}, {}, {}, tmp.path());
  ASSERT_EQ(n.rc, 0) << n.both();
  const auto dir = tmp / "tpl-wslc";
  auto b = wt::wslplug({"build", "-C", dir.string()});
  ASSERT_EQ(b.rc, 0) << b.both();
  auto r = wt::run_json(
      {"--wsl-version", "2.9.5", "--wsl-version", "2.9.0", "--wsl-version", "2.4.4"}, {}, dir);
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json* now = r.run("2.9.5");
  ASSERT_NE(now, nullptr) << r.context();
  EXPECT_EQ((*now)["outcome"], "ok") << r.context();
  for (const auto& p : (*now)["problems"]) ADD_FAILURE() << p.dump();
  std::set<std::string> wslc = {"OnSessionCreated",  "OnSessionStopping", "ContainerStarted",
                                "ContainerStopping", "ImageCreated",      "ImageDeleted",
                                "WslcVmStarted",     "WslcVmStopping"};
  std::set<std::string> all = wslc;
  for (const auto& h : kAllHooks) all.insert(h);
  EXPECT_EQ(as_set((*now)["hooks_set"]), all) << r.context();
  for (const auto& e : (*now)["events"]) EXPECT_EQ(e["symbol"], "S_OK") << e.dump();
  const auto created = wt::api_calls(*now, "WSLCCreateProcess");
  ASSERT_EQ(created.size(), 1u) << r.context();
  EXPECT_EQ(created[0]["hook"], "WslcVmStarted");
  EXPECT_EQ(created[0]["served_by"], "process");
  EXPECT_EQ(created[0]["exit_code"], 0);
  EXPECT_FALSE(created[0]["output"].get<std::string>().empty());
  EXPECT_EQ(wt::api_calls(*now, "WSLCReleaseProcess").size(), 1u);
  // 2.9.0: the six 2.9.0 WSLC hooks, not the VM ones.
  const json* mid = r.run("2.9.0");
  ASSERT_NE(mid, nullptr);
  EXPECT_EQ((*mid)["outcome"], "ok") << r.context();
  std::set<std::string> at290 = all;
  at290.erase("WslcVmStarted");
  at290.erase("WslcVmStopping");
  EXPECT_EQ(as_set((*mid)["hooks_set"]), at290);
  // 2.4.4: no WSLC slot written (a write would be an ABI violation), the WSL hooks all set.
  const json* old = r.run("2.4.4");
  ASSERT_NE(old, nullptr);
  EXPECT_EQ((*old)["outcome"], "ok") << r.context();
  EXPECT_EQ(as_set((*old)["hooks_set"]), as_set(kAllHooks));
  EXPECT_TRUE((*old)["abi_violation"].is_null());
}

TEST(RunTemplate, CleanFixtureWithEveryHookAndVersionCheck) {
  const auto dll = wt::run_fixture("clean.cpp");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--repeat", "2", "--null-strings"});
  expect_clean_everywhere(r);
  for (const auto& run : r.doc["runs"]) {
    const std::string v = run["wsl_version"];
    int started = 0;
    for (const auto& e : run["events"]) started += e["hook"] == "OnDistributionStarted";
    EXPECT_EQ(started, 4) << v;  // two distributions, two rounds
    // ExecuteBinaryInDistribution only where the slot exists.
    const auto in_distro = wt::api_calls(run, "ExecuteBinaryInDistribution");
    EXPECT_EQ(in_distro.size(), v == "2.0.5" ? 0u : 4u) << v;
    for (const auto& c : in_distro) EXPECT_EQ(c["output"], "in-distribution\n") << c.dump();
    const std::string out = run["output"];
    EXPECT_NE(out.find("echo=clean-vm-started"), std::string::npos) << v << "\n" << out;
    EXPECT_NE(out.find("package=(null)"), std::string::npos) << v << "\n" << out;
    if (v == "2.4.4" || v == "2.9.5") {
      EXPECT_NE(out.find("name=Ubuntu package=(null) pid="), std::string::npos) << out;
      EXPECT_NE(out.find("flavor=ubuntu version=24.04"), std::string::npos) << out;
      EXPECT_NE(out.find("flavor=(null) version=(null)"), std::string::npos) << out;
    } else {
      EXPECT_EQ(out.find("flavor="), std::string::npos) << out;
    }
    // The session's token is a real one: the plugin looked its user up.
    EXPECT_EQ(out.find("user= "), std::string::npos) << out;
  }
}

TEST(RunUsage, NotAFileNotAPeAndArm64ExitTwo) {
  wt::TempDir tmp;
  auto missing = wt::run_json({(tmp / "nope.dll").string()});
  EXPECT_EQ(missing.result.rc, 2) << missing.context();
  EXPECT_EQ(missing.doc["exit_code"], 2);
  ASSERT_TRUE(missing.doc["error"].is_object()) << missing.context();
  EXPECT_NE(missing.doc["error"].dump().find("nope.dll"), std::string::npos) << missing.context();

  auto dir = wt::run_json({tmp.path().string()});
  EXPECT_EQ(dir.result.rc, 2) << dir.context();
  EXPECT_TRUE(dir.doc["error"].is_object());

  wt::write_text(tmp / "notes.dll", "this is not a PE file\n");
  auto text = wt::run_json({(tmp / "notes.dll").string()});
  EXPECT_EQ(text.result.rc, 2) << text.context();
  ASSERT_TRUE(text.doc["error"].is_object()) << text.context();
  EXPECT_TRUE(text.doc["runs"].empty()) << text.context();

  wt::DllSpec arm{.name = "run-arm64", .arch = wt::Arch::kArm64};
  const auto arm64 = wt::build_dll(arm);
  ASSERT_FALSE(arm64.empty());
  auto a = wt::run_json({arm64.string()});
  EXPECT_EQ(a.result.rc, 2) << a.context();
  ASSERT_TRUE(a.doc["error"].is_object()) << a.context();
  EXPECT_NE(a.doc["error"].dump().find("ARM64"), std::string::npos) << a.context();
  EXPECT_TRUE(a.doc["runs"].empty()) << a.context();
  // Plain mode says it on stderr.
  auto plain = wt::wslplug({"run", arm64.string()}, wt::run_env());
  EXPECT_EQ(plain.rc, 2);
  EXPECT_NE(plain.err.find("ARM64"), std::string::npos) << plain.err;
}

TEST(RunUsage, BadFlagsExitTwo) {
  const auto dll = wt::run_fixture("clean.cpp");
  ASSERT_FALSE(dll.empty());
  for (const std::vector<std::string>& extra : {std::vector<std::string>{"--wsl-version", "2.x"},
                                                {"--hook-timeout", "0"},
                                                {"--repeat", "0"},
                                                {"--distro", "Debian,colour=blue"},
                                                {"--no-such-flag"}}) {
    std::vector<std::string> args = {"run", dll.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = wt::wslplug(args, wt::run_env());
    EXPECT_EQ(r.rc, 2) << extra[0] << ": " << r.both();
    EXPECT_FALSE(r.err.empty()) << extra[0];
    // With --json the error is the one JSON document on stdout, whatever the mistake.
    args.push_back("--json");
    auto j = wt::wslplug(args, wt::run_env());
    EXPECT_EQ(j.rc, 2) << extra[0] << ": " << j.both();
    const auto doc = json::parse(j.out, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << extra[0] << ": no JSON on stdout:\n" << j.both();
    EXPECT_EQ(doc["exit_code"], 2) << extra[0];
    EXPECT_TRUE(doc["error"].is_object()) << extra[0];
  }
  auto help = wt::wslplug({"run", "--help"});
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("--hook-timeout"), std::string::npos);
}

TEST(RunTemplate, DistroOptionAddsAndReplacesDistributions) {
  const auto dll = wt::run_fixture("clean.cpp");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json(
      {dll.string(), "--wsl-version", "2.4.4", "--distro",
       "Store,package=CanonicalGroupLimited.Ubuntu_79rhkp1fndgsc,flavor=ubuntu,version=22.04",
       "--distro", "ubuntu,flavor=NULL,version=NULL"});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  EXPECT_EQ(r.doc["host"]["kind"], "wine");
  EXPECT_TRUE(r.doc["host"]["wine_version"].get<std::string>().starts_with("wine-")) << r.context();
  ASSERT_EQ(r.doc["distributions"].size(), 3u) << r.context();  // Ubuntu replaced, Store added
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  const std::string out = (*run)["output"];
  // What the plugin received: the package of the Store distribution, the flavor now NULL.
  EXPECT_NE(out.find("OnDistributionStarted name=Store package=CanonicalGroupLimited.Ubuntu_"
                     "79rhkp1fndgsc pid="),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("flavor=ubuntu version=22.04"), std::string::npos) << out;
  EXPECT_EQ(out.find("version=24.04"), std::string::npos) << out;
  EXPECT_NE(wt::find_event(*run, "OnDistributionStarted", "Store"), nullptr) << r.context();
}

TEST(RunUsage, HarnessFailuresExitThree) {
  const auto dll = wt::run_fixture("clean.cpp");
  ASSERT_FALSE(dll.empty());
  auto wine = wt::run_json({dll.string()}, {{"WSLPLUG_WINE", "/nonexistent/wine64"}});
  EXPECT_EQ(wine.result.rc, 3) << wine.context();
  EXPECT_EQ(wine.doc["exit_code"], 3);
  EXPECT_NE(wine.doc["error"].dump().find("wine64"), std::string::npos) << wine.context();
  auto host = wt::run_json({dll.string()}, {{"WSLPLUG_HOST_EXE", "/nonexistent/wslplug-host.exe"}});
  EXPECT_EQ(host.result.rc, 3) << host.context();
  EXPECT_NE(host.doc["error"].dump().find("WSLPLUG_HOST_EXE"), std::string::npos) << host.context();
}

TEST(RunUsage, OptionsBeforeTheDll) {
  // An option takes one value: the DLL after a repeatable option is the DLL, not a second value.
  const auto dll = wt::run_fixture("clean.cpp");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({"--wsl-version", "2.4.4", "--distro", "Debian", dll.string()});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  EXPECT_EQ(r.doc["plugin"]["file"], dll.string()) << r.context();
  EXPECT_EQ(r.doc["runs"].size(), 1u) << r.context();
  EXPECT_EQ(r.doc["distributions"].size(), 3u) << r.context();
}
