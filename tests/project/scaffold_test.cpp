// A new project's files from its spec: every hook and requirement combination renders without
// template syntax left behind, and the manifest says what the spec asked for.
#include "wslplug/project/scaffold.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "wslplug/project/manifest.hpp"

namespace sc = wslplug::scaffold;
using wslplug::Language;

TEST(Scaffold, EveryHookAndRequirementCombinationRendersCleanly) {
  // Rendering every combination leaves no template syntax behind.
  for (auto lang : {Language::kRust, Language::kCpp})
    for (const char* hooks : {"all", "none", "vm-stopping,distribution-unregistered"})
      for (const char* req : {"", "2.1.3", "DistributionVersion"}) {
        sc::ProjectSpec spec{"p", lang, *sc::parse_hooks(hooks), *sc::parse_requirement(req)};
        auto files = sc::render_project(spec);
        ASSERT_TRUE(files) << files.error().describe();
        for (const auto& f : *files) {
          // GitHub Actions expressions (${{ ... }}) in the CI workflow are no template syntax.
          for (auto at = f.content.find("{{"); at != std::string::npos;
               at = f.content.find("{{", at + 2))
            EXPECT_TRUE(at > 0 && f.content[at - 1] == '$') << f.path << " at " << at;
          EXPECT_EQ(f.path.find("dot-"), std::string::npos) << f.path;
        }
      }
}

TEST(Scaffold, ManifestRecordsHooksAndRequirement) {
  // Rust: the registration hooks need a WSL that has them (2.1.2), so the requirement is raised.
  sc::ProjectSpec rust{
      "my-plugin", Language::kRust, *sc::parse_hooks("distribution-registered"), {}};
  auto m = sc::project_manifest(rust);
  EXPECT_EQ(m.name, "my-plugin");
  EXPECT_EQ(m.registry_name, "my-plugin");
  EXPECT_EQ(m.dll, "my_plugin.dll");
  EXPECT_EQ(m.build_dir, "target");
  EXPECT_EQ(m.hooks, std::vector<std::string>{"distribution-registered"});
  EXPECT_EQ(m.requires_version, "2.1.2");
  // C++: the requirement stays what was given (none).
  sc::ProjectSpec cpp{"my-plugin", Language::kCpp, rust.hooks, {}};
  m = sc::project_manifest(cpp);
  EXPECT_EQ(m.dll, "my-plugin.dll");
  EXPECT_EQ(m.build_dir, "build");
  EXPECT_EQ(m.requires_version, "");
  // The rendered wslplug.json is that manifest.
  auto files = sc::render_project(rust);
  ASSERT_TRUE(files) << files.error().describe();
  const auto json = std::find_if(files->begin(), files->end(),
                                 [](const auto& f) { return f.path == "wslplug.json"; });
  ASSERT_NE(json, files->end());
  auto back = wslplug::parse_manifest(json->content, "wslplug.json");
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->requires_version, "2.1.2");
  EXPECT_EQ(back->dll, "my_plugin.dll");
}

TEST(Scaffold, HooksAndRequirementsParseOrNameTheFlag) {
  auto hooks = sc::parse_hooks(" On_VM_Started , vm-started,DISTRIBUTION-STOPPING ");
  ASSERT_TRUE(hooks) << hooks.error().describe();
  EXPECT_EQ(*hooks, (std::vector<sc::Hook>{sc::Hook::kVmStarted, sc::Hook::kDistributionStopping}));
  EXPECT_EQ(sc::parse_hooks("ALL")->size(), 6u);
  EXPECT_TRUE(sc::parse_hooks("none")->empty());
  auto bad = sc::parse_hooks("vm-started,vm-exploded");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "--hooks");

  auto v = sc::parse_requirement("2.1");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->min_version().str(), "2.1.0");
  auto caps =
      sc::parse_requirement("distribution-flavor|WSLVersionCapability::DistributionInitPid");
  ASSERT_TRUE(caps) << caps.error().describe();
  EXPECT_EQ(caps->capabilities.size(), 2u);
  EXPECT_EQ(caps->min_version().str(), "2.4.4");
  for (const char* text : {"2", "2.x.1", "1.2.3.4", "NoSuchCapability"}) {
    auto r = sc::parse_requirement(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().where, "--require") << text;
  }
  auto wslc = sc::parse_requirement("WSLC");
  ASSERT_FALSE(wslc);
  EXPECT_NE(wslc.error().fix.find("2.9.0"), std::string::npos) << wslc.error().fix;
}

TEST(Scaffold, NamesFollowCargoAndWindowsRules) {
  for (const char* good : {"a", "my-plugin", "My_Plugin2"}) EXPECT_TRUE(sc::validate_name(good));
  for (const char* bad :
       {"", "1abc", "-x", "a/b", "a..b", "fn", "con", "LPT9", "caf\xc3\xa9", "with space"}) {
    auto r = sc::validate_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().where, "NAME") << bad;
  }
  EXPECT_FALSE(sc::validate_name(std::string(65, 'a')));
  EXPECT_TRUE(sc::validate_name(std::string(64, 'a')));
}
