// wslplug run, ABI guard and the strings WSL really passes: fixtures (tests/fixtures/run) that
// write a hook slot, read a struct field or call an API slot the emulated WSL version does not
// have, and that dereference strings WSL passes as NULL, each run through the real binary under
// wine. The report must name the table, the slot or field, the access and the version that added
// it, and the versions where the plugin is fine must pass.
#include <gtest/gtest.h>

#include "run_support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

std::string hooks_text(const json& run) { return run.value("hooks_set", json::array()).dump(); }

}  // namespace

TEST(RunAbi, HookSlotOfTwoOneTwoWrittenOnTwoZeroFive) {
  const auto dll = wt::run_fixture("hook_too_new.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.0.5", "--wsl-version", "2.1.3"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  EXPECT_EQ(r.doc["ok"], false);
  EXPECT_EQ(r.doc["exit_code"], 1);
  ASSERT_EQ(r.doc["runs"].size(), 2u) << r.context();
  const json* old = r.run("2.0.5");
  ASSERT_NE(old, nullptr) << r.context();
  EXPECT_EQ((*old)["outcome"], "abi-violation") << r.context();
  EXPECT_EQ((*old)["ok"], false);
  const json& abi = (*old)["abi_violation"];
  ASSERT_TRUE(abi.is_object()) << r.context();
  EXPECT_EQ(abi["table"], "hooks");
  EXPECT_EQ(abi["slot"], "OnDistributionRegistered");
  EXPECT_EQ(abi["access"], "write");
  EXPECT_EQ(abi["since"], "2.1.2");
  EXPECT_EQ(abi["offset"], 32);  // the fifth pointer of WSLPluginHooksV1
  EXPECT_EQ(abi["hook"], "EntryPoint");
  EXPECT_NE(abi.value("message", "")
                .find("wrote hook slot OnDistributionRegistered, which WSL "
                      "2.0.5 does not have"),
            std::string::npos)
      << abi.dump();
  EXPECT_TRUE(wt::has_problem(*old, "abi-violation")) << r.context();
  // The same DLL on 2.1.3 has the slot: clean, with the hook registered.
  const json* newer = r.run("2.1.3");
  ASSERT_NE(newer, nullptr);
  EXPECT_EQ((*newer)["outcome"], "ok") << r.context();
  EXPECT_TRUE((*newer)["abi_violation"].is_null());
  EXPECT_NE(hooks_text(*newer).find("\"OnDistributionRegistered\""), std::string::npos)
      << r.context();
  EXPECT_NE(wt::find_event(*newer, "OnDistributionRegistered", "Ubuntu"), nullptr) << r.context();
}

TEST(RunAbi, FlavorReadOnTwoOneThree) {
  const auto dll = wt::run_fixture("flavor_on_old.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.1.3", "--wsl-version", "2.4.4"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* old = r.run("2.1.3");
  ASSERT_NE(old, nullptr) << r.context();
  EXPECT_EQ((*old)["outcome"], "abi-violation") << r.context();
  const json& abi = (*old)["abi_violation"];
  ASSERT_TRUE(abi.is_object()) << r.context();
  EXPECT_EQ(abi["table"], "WSLDistributionInformation");
  EXPECT_EQ(abi["slot"], "Flavor");
  EXPECT_EQ(abi["access"], "read");
  EXPECT_EQ(abi["since"], "2.4.4");
  EXPECT_EQ(abi["hook"], "OnDistributionStarted");
  EXPECT_NE(abi.value("message", "").find("Flavor"), std::string::npos) << abi.dump();
  EXPECT_NE(abi.value("message", "").find("2.1.3"), std::string::npos) << abi.dump();
  const json* newer = r.run("2.4.4");
  ASSERT_NE(newer, nullptr);
  EXPECT_EQ((*newer)["outcome"], "ok") << r.context();
  EXPECT_EQ((*newer)["events"].size(), 2u) << r.context();  // one start per distribution
}

TEST(RunAbi, ExecuteBinaryInDistributionSlotCalledOnTwoZeroFive) {
  const auto dll = wt::run_fixture("exec_in_distro_old.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.0.5", "--wsl-version", "2.1.3"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* old = r.run("2.0.5");
  ASSERT_NE(old, nullptr) << r.context();
  EXPECT_EQ((*old)["outcome"], "abi-violation") << r.context();
  const json& abi = (*old)["abi_violation"];
  ASSERT_TRUE(abi.is_object()) << r.context();
  EXPECT_EQ(abi["table"], "api");
  EXPECT_EQ(abi["slot"], "ExecuteBinaryInDistribution");
  EXPECT_EQ(abi["access"], "read");
  EXPECT_EQ(abi["since"], "2.1.2");
  EXPECT_EQ(abi["hook"], "OnDistributionStarted");
  // On 2.1.3 the slot exists: the call runs /bin/true in the distribution's stand-in.
  const json* newer = r.run("2.1.3");
  ASSERT_NE(newer, nullptr);
  EXPECT_EQ((*newer)["outcome"], "ok") << r.context();
  const auto calls = wt::api_calls(*newer, "ExecuteBinaryInDistribution");
  ASSERT_EQ(calls.size(), 2u) << r.context();
  EXPECT_EQ(calls[0]["symbol"], "S_OK") << calls[0].dump();
  EXPECT_EQ(calls[0]["args"]["path"], "/bin/true");
  EXPECT_EQ(calls[0]["args"]["distribution_name"], "Ubuntu");
  EXPECT_EQ(calls[0]["args"]["distribution"], "{8a2f4c1e-5b7d-4e0a-9c3b-1d6e2f7a8b90}");
  EXPECT_EQ(calls[0]["served_by"], "process");
  EXPECT_EQ(calls[1]["args"]["distribution_name"], "bare");
}

TEST(RunAbi, NullPackageFamilyNameOnlyUnderNullStrings) {
  const auto dll = wt::run_fixture("null_package_family.c");
  ASSERT_FALSE(dll.empty());
  // Today's WSL passes "" for an imported distribution: fine at every default version.
  auto today = wt::run_json({dll.string()});
  EXPECT_EQ(today.result.rc, 0) << today.context();
  ASSERT_EQ(today.doc["runs"].size(), 4u) << today.context();
  for (const auto& run : today.doc["runs"]) EXPECT_EQ(run["outcome"], "ok") << run.dump(2);
  // The header's contract (NULL when not packaged): the plugin crashes in the first start hook.
  auto r = wt::run_json({dll.string(), "--null-strings", "--wsl-version", "2.4.4"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  EXPECT_EQ(r.doc["options"]["null_strings"], true);
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "crashed") << r.context();
  const json& crash = (*run)["crash"];
  ASSERT_TRUE(crash.is_object()) << r.context();
  EXPECT_EQ(crash["code"], "0xC0000005");
  EXPECT_EQ(crash["name"], "STATUS_ACCESS_VIOLATION");
  EXPECT_EQ(crash["kind"], "exception");
  EXPECT_EQ(crash["access"], "read");
  ASSERT_TRUE(crash["fault_address"].is_string()) << crash.dump();
  EXPECT_EQ(std::stoull(crash["fault_address"].get<std::string>(), nullptr, 16), 0u);
  EXPECT_EQ(crash["hook"], "OnDistributionStarted");
  EXPECT_EQ(crash["thread"], "hook");
  EXPECT_FALSE(crash.value("wsl_effect", "").empty()) << crash.dump();
  EXPECT_TRUE(wt::has_problem(*run, "crash"));
}

TEST(RunAbi, NullFlavorOfTheBareDistribution) {
  const auto dll = wt::run_fixture("null_flavor.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string()});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  ASSERT_EQ(r.doc["runs"].size(), 4u) << r.context();
  // Before 2.4.4 the plugin (correctly) does not look at Flavor.
  for (const char* v : {"2.0.5", "2.1.3"}) {
    const json* run = r.run(v);
    ASSERT_NE(run, nullptr) << v;
    EXPECT_EQ((*run)["outcome"], "ok") << v << "\n" << r.context();
  }
  for (const char* v : {"2.4.4", "2.9.5"}) {
    const json* run = r.run(v);
    ASSERT_NE(run, nullptr) << v;
    EXPECT_EQ((*run)["outcome"], "crashed") << v << "\n" << r.context();
    EXPECT_EQ((*run)["crash"]["name"], "STATUS_ACCESS_VIOLATION") << v;
    EXPECT_EQ((*run)["crash"]["hook"], "OnDistributionStarted") << v;
    // The distribution that reported os-release data (Flavor "ubuntu") went through first.
    const json* ubuntu = wt::find_event(*run, "OnDistributionStarted", "Ubuntu");
    ASSERT_NE(ubuntu, nullptr) << r.context();
    EXPECT_EQ((*ubuntu)["symbol"], "S_OK");
    const json* bare = wt::find_event(*run, "OnDistributionStarted", "bare");
    if (bare != nullptr) {
      EXPECT_TRUE((*bare)["hresult"].is_null()) << bare->dump();
    }
  }
}
