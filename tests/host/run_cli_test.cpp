// `wslplug run` pieces that need no plugin fixture: the version table and ABI sizes, the --distro
// parser, scenario parsing errors, and the exit codes of usage errors (through the real binary).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_support.hpp"
#include "support.hpp"
#include "wslplug/host/run.hpp"

namespace wslplug::test {
namespace {

using host::WslVersion;

TEST(RunVersions, ParsesAndRejects) {
  auto v = host::parse_wsl_version("2.4.4");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->text(), "2.4.4");
  // MAJOR.MINOR is MAJOR.MINOR.0, reported canonically (as new --require reads it).
  v = host::parse_wsl_version("2.4");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (WslVersion{2, 4, 0}));
  EXPECT_EQ(v->text(), "2.4.0");
  EXPECT_EQ(host::parse_wsl_version("02.0010.7")->text(), "2.10.7");
  for (const char* bad : {"2", "2.4.4.0", "a.b.c", "", "2..4", "2.4.-1", "99999.1.1", "2.4.",
                          ".2.4", " 2.4", "2.4a", "2.4.4 ", "+2.4"}) {
    auto r = host::parse_wsl_version(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInput);
    EXPECT_EQ(r.error().where, "--wsl-version") << bad;
    EXPECT_NE(r.error().fix.find("--wsl-version 2.4.4"), std::string::npos) << r.error().fix;
  }
  const auto defaults = host::default_versions();
  ASSERT_EQ(defaults.size(), 4u);
  EXPECT_EQ(defaults.back().text(), "2.9.5");
}

TEST(RunAbi, TableSizesFollowTheVersion) {
  // Hook table: 4 slots, 6 from 2.1.2, 12 from 2.9.0, 14 from 2.9.5.
  EXPECT_EQ(host::abi_size("hooks", {2, 0, 5}), 32u);
  EXPECT_EQ(host::abi_size("hooks", {2, 1, 2}), 48u);
  EXPECT_EQ(host::abi_size("hooks", {2, 1, 1}), 32u);
  EXPECT_EQ(host::abi_size("hooks", {2, 9, 0}), 96u);
  EXPECT_EQ(host::abi_size("hooks", {2, 9, 5}), 112u);
  EXPECT_EQ(host::abi_size("api", {2, 0, 5}), 40u);
  EXPECT_EQ(host::abi_size("api", {2, 1, 3}), 48u);
  EXPECT_EQ(host::abi_size("api", {2, 9, 5}), 104u);
  EXPECT_EQ(host::abi_size("WSLDistributionInformation", {2, 0, 4}), 40u);
  EXPECT_EQ(host::abi_size("WSLDistributionInformation", {2, 0, 5}), 48u);
  EXPECT_EQ(host::abi_size("WSLDistributionInformation", {2, 4, 4}), 64u);
  EXPECT_EQ(host::abi_size("WslOfflineDistributionInformation", {2, 1, 3}), 32u);
  EXPECT_EQ(host::abi_size("WslOfflineDistributionInformation", {2, 4, 4}), 48u);
  EXPECT_EQ(host::abi_size("WSLSessionInformation", {2, 0, 5}), 24u);
  const auto slots = host::hook_slots({2, 0, 5});
  ASSERT_EQ(slots.size(), 4u);
  EXPECT_EQ(slots[3], "OnDistributionStopping");
  const auto newest = host::hook_slots({2, 9, 5});
  ASSERT_EQ(newest.size(), 14u);
  EXPECT_EQ(newest[4], "OnDistributionRegistered");
  EXPECT_EQ(newest[13], "WslcVmStopping");
  // The field right after the 2.1.3 struct is Flavor (2.4.4).
  bool found = false;
  for (const auto& f : host::abi_fields("WSLDistributionInformation"))
    if (f.offset == host::abi_size("WSLDistributionInformation", {2, 1, 3})) {
      EXPECT_EQ(f.name, "Flavor");
      EXPECT_EQ(f.since.text(), "2.4.4");
      found = true;
    }
  EXPECT_TRUE(found);
}

TEST(RunDistro, DefaultsAreTheTwoImportedDistributions) {
  const auto d = host::default_distributions();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].name, "Ubuntu");
  EXPECT_EQ(d[0].flavor.value_or(""), "ubuntu");
  EXPECT_FALSE(d[0].package);
  EXPECT_EQ(d[1].name, "bare");
  EXPECT_FALSE(d[1].flavor);
  EXPECT_FALSE(d[1].version);
}

TEST(RunDistro, AddsAndReplacesByName) {
  auto d = host::default_distributions();
  ASSERT_TRUE(host::apply_distro_spec(d, "ubuntu,flavor=NULL,package=Canonical.Ubuntu_79rh"));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].name, "ubuntu");
  EXPECT_FALSE(d[0].flavor);
  EXPECT_EQ(d[0].version.value_or(""), "24.04");  // untouched
  EXPECT_EQ(d[0].package.value_or(""), "Canonical.Ubuntu_79rh");
  ASSERT_TRUE(host::apply_distro_spec(
      d, "Alpine,flavor=alpine,version=3.20,guid=0A1B2C3D-0000-4000-8000-00000000ABCD"));
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[2].guid, "{0a1b2c3d-0000-4000-8000-00000000abcd}");
  EXPECT_EQ(d[2].flavor.value_or(""), "alpine");
  ASSERT_TRUE(host::apply_distro_spec(d, "Fresh"));
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[3].guid.size(), 38u);
  EXPECT_NE(d[3].guid, d[2].guid);
}

TEST(RunDistro, RejectsBadSpecsWithTheFix) {
  for (const char* bad :
       {"", "bad name", "x,flavor", "x,colour=red", "x,guid=nope", "x,flavor=a,flavor=b"}) {
    auto d = host::default_distributions();
    auto r = host::apply_distro_spec(d, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInput);
    EXPECT_NE(r.error().where.find("--distro"), std::string::npos) << bad;
    EXPECT_FALSE(r.error().fix.empty()) << bad;
    EXPECT_EQ(d.size(), 2u) << "a failed spec must not change the list";
  }
  auto d = host::default_distributions();
  auto dup = host::apply_distro_spec(d, "Other,guid={8a2f4c1e-5b7d-4e0a-9c3b-1d6e2f7a8b90}");
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("Ubuntu"), std::string::npos);
}

TEST(RunScenario, ParsesEventsCommandsAndDistributions) {
  auto s = host::parse_scenario(R"({
    "schema": 1,
    "distributions": [{"name": "Store", "package": "A.B_123", "flavor": null}],
    "vm_settings": {"custom_kernel": true},
    "events": [
      {"hook": "OnVMStarted", "expect": "success"},
      {"hook": "OnDistributionStarted", "distribution": "Store", "expect": "E_ACCESSDENIED",
       "fields": {"PackageFamilyName": null, "InitPid": 7}}
    ],
    "commands": [{"path": "/bin/cat", "stdout": "hi\n"}, {"path": "/bin/false", "result": "E_FAIL"}]
  })",
                                "s.json");
  ASSERT_TRUE(s) << s.error().describe();
  ASSERT_TRUE(s->distributions);
  EXPECT_EQ(s->distributions->at(0).package.value_or(""), "A.B_123");
  EXPECT_EQ(s->vm_flags, 1);
  ASSERT_EQ(s->events.size(), 2u);
  EXPECT_EQ(s->events[1].expect.value_or(""), "E_ACCESSDENIED");
  EXPECT_FALSE(s->events[1].fields.at("PackageFamilyName"));
  EXPECT_EQ(s->events[1].fields.at("InitPid").value_or(""), "7");
  ASSERT_EQ(s->commands.size(), 2u);
  EXPECT_EQ(s->commands[1].result.value_or(0), 0x80004005u);
}

TEST(RunScenario, ErrorsNameTheFileAndThePath) {
  struct Case {
    const char* text;
    const char* where;
  };
  for (const Case& c :
       {Case{"{", "offset"}, Case{"[]", "(top level)"}, Case{R"({"events": []})", "events"},
        Case{R"({"events": [{"hook": "OnVmStarted"}]})", "events[0].hook"},
        Case{R"({"events": [{"hook": "OnDistributionStarted"}]})", "events[0].distribution"},
        Case{R"({"events": [{"hook": "OnVMStarted", "expect": "maybe"}]})", "events[0].expect"},
        Case{R"({"events": [{"hook": "OnVMStarted"}], "extra": 1})", "(top level)"},
        Case{R"({"events": [{"hook": "OnVMStarted"}], "commands": [{"stdout": "x"}]})",
             "commands[0].path"}}) {
    auto s = host::parse_scenario(c.text, "bad.json");
    ASSERT_FALSE(s) << c.text;
    EXPECT_EQ(s.error().kind, ErrorKind::kInput);
    EXPECT_EQ(s.error().file, "bad.json");
    EXPECT_NE(s.error().where.find(c.where), std::string::npos)
        << c.text << " -> " << s.error().where;
  }
}

TEST(RunScenario, DefaultLifecycleOrder) {
  const auto events = host::default_events(host::default_distributions(), 2);
  std::vector<std::string> hooks;
  for (const auto& e : events)
    hooks.push_back(e.hook + (e.distribution.empty() ? "" : ":" + e.distribution));
  const std::vector<std::string> expected = {
      "OnVMStarted", "OnDistributionRegistered:Ubuntu", "OnDistributionRegistered:bare",
      "OnDistributionStarted:Ubuntu", "OnDistributionStarted:bare", "OnDistributionStopping:Ubuntu",
      "OnDistributionStopping:bare", "OnDistributionStarted:Ubuntu", "OnDistributionStarted:bare",
      "OnDistributionStopping:Ubuntu", "OnDistributionStopping:bare", "OnVMStopping",
      "OnDistributionUnregistered:Ubuntu", "OnDistributionUnregistered:bare",
      // then the WSLC session
      "OnSessionCreated", "WslcVmStarted", "ImageCreated", "ContainerStarted", "ContainerStopping",
      "ImageDeleted", "WslcVmStopping", "OnSessionStopping"};
  EXPECT_EQ(hooks, expected);
  EXPECT_EQ(events[7].iteration, 2);
}

TEST(RunCli, UsageErrorsExitTwoWithJson) {
  TempDir dir;
  write_text(dir / "not.dll", "this is not a PE file");
  const std::string dll = (dir / "not.dll").string();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", dll, "--wsl-version", "2.4.x", "--json"},
        {"run", dll, "--distro", "bad name", "--json"},
        {"run", dll, "--repeat", "0", "--json"},
        {"run", dll, "--hook-timeout", "0", "--json"},
        {"run", (dir / "missing.dll").string(), "--json"},
        {"run", dll, "--json"},  // not a PE
        {"run", dll, "--scenario", (dir / "missing.json").string(), "--json"}}) {
    auto r = wslplug(args);
    EXPECT_EQ(r.rc, 2) << args[2] << " " << r.both();
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << r.out;
    EXPECT_EQ(doc["schema"], 1);
    EXPECT_EQ(doc["exit_code"], 2);
    EXPECT_FALSE(doc["ok"].get<bool>());
    EXPECT_TRUE(doc["error"].is_object());
    EXPECT_TRUE(doc["runs"].empty());
  }
  // Text mode: the error names the flag and the fix on stderr.
  auto r = wslplug({"run", dll, "--wsl-version", "two"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--wsl-version"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fix:"), std::string::npos) << r.err;
}

// --wsl-version 2.4 is 2.4.0, and the report says so (one run: 2.4 and 2.4.0 are one version).
TEST(RunCli, MajorMinorVersionRunsAsRevisionZero) {
  const auto dll = run_fixture("clean.cpp");
  ASSERT_FALSE(dll.empty());
  auto rep = run_json({dll.string(), "--wsl-version", "2.4", "--wsl-version", "2.4.0"});
  ASSERT_EQ(rep.result.rc, 0) << rep.context();
  EXPECT_EQ(rep.doc["options"]["wsl_versions"], nlohmann::json::array({"2.4.0"})) << rep.context();
  ASSERT_EQ(rep.doc["runs"].size(), 1u) << rep.context();
  EXPECT_NE(rep.run("2.4.0"), nullptr) << rep.context();
  // Text mode says the canonical version too.
  auto r = wslplug({"run", dll.string(), "--wsl-version", "2.4", "--allow-unsigned"}, run_env());
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.out.find("WSL 2.4.0"), std::string::npos) << r.out;
}

TEST(RunCli, NoHostProgramIsAHarnessFailure) {
  TempDir dir;
  auto dll = build_dll({.name = "run_cli_good"});
  ASSERT_FALSE(dll.empty());
  auto r = wslplug({"run", dll.string(), "--json"},
                   {{"WSLPLUG_HOST_EXE", (dir / "nowhere.exe").string()}});
  EXPECT_EQ(r.rc, 3) << r.both();
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  EXPECT_EQ(doc["error"]["kind"], "io");
  r = wslplug({"run", dll.string()},
              {{"WSLPLUG_WINE", (dir / "no-wine").string()}, {"WSLPLUG_RUN_HOST", "wine"}});
  EXPECT_EQ(r.rc, 3) << r.both();
  EXPECT_NE(r.err.find("wine64"), std::string::npos) << r.err;
}

TEST(RunCli, ScenarioWithRepeatIsAUsageError) {
  TempDir dir;
  write_text(dir / "s.json", R"({"events": [{"hook": "OnVMStarted"}]})");
  auto dll = build_dll({.name = "run_cli_good"});
  ASSERT_FALSE(dll.empty());
  auto r = wslplug({"run", dll.string(), "--scenario", (dir / "s.json").string(), "--repeat", "2"});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("--repeat"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace wslplug::test
