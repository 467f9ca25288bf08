// A new project's files from its spec: every hook and requirement combination renders without
// template syntax left behind, and the manifest says what the spec asked for.
#include "wslplug/project/scaffold.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "wslplug/project/manifest.hpp"

namespace project = wslplug::project;
using wslplug::project::Language;

TEST(Scaffold, EveryHookAndRequirementCombinationRendersCleanly) {
  // Rendering every combination leaves no template syntax behind.
  for (auto lang : {wslplug::project::Language::kRust, wslplug::project::Language::kCpp})
    for (const char* hooks : {"all", "none", "vm-stopping,distribution-unregistered"})
      for (const char* req : {"", "2.1.3", "DistributionVersion"}) {
        project::ProjectSpec spec{
            "p", lang, *project::parse_hooks(hooks), *project::parse_requirement(req), {}, {}};
        auto files = project::render_project(spec);
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
  project::ProjectSpec rust{"my-plugin",
                            wslplug::project::Language::kRust,
                            *project::parse_hooks("distribution-registered"),
                            {},
                            {},
                            {}};
  auto m = project::project_manifest(rust);
  EXPECT_EQ(m.name, "my-plugin");
  EXPECT_EQ(m.registry_name, "my-plugin");
  EXPECT_EQ(m.dll, "my_plugin.dll");
  EXPECT_EQ(m.build_dir, "target");
  EXPECT_EQ(m.hooks, std::vector<std::string>{"distribution-registered"});
  EXPECT_EQ(m.requires_version, "2.1.2");
  // C++: the requirement stays what was given (none).
  project::ProjectSpec cpp{"my-plugin", wslplug::project::Language::kCpp, rust.hooks, {}, {}, {}};
  m = project::project_manifest(cpp);
  EXPECT_EQ(m.dll, "my-plugin.dll");
  EXPECT_EQ(m.build_dir, "build");
  EXPECT_EQ(m.requires_version, "");
  // The rendered wslplug.json is that manifest.
  auto files = project::render_project(rust);
  ASSERT_TRUE(files) << files.error().describe();
  const auto json = std::find_if(files->begin(), files->end(),
                                 [](const auto& f) { return f.path == "wslplug.json"; });
  ASSERT_NE(json, files->end());
  auto back = wslplug::project::parse_manifest(json->content, "wslplug.json");
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->requires_version, "2.1.2");
  EXPECT_EQ(back->dll, "my_plugin.dll");
}

TEST(Scaffold, HooksAndRequirementsParseOrNameTheFlag) {
  auto hooks = project::parse_hooks(" On_VM_Started , vm-started,DISTRIBUTION-STOPPING ");
  ASSERT_TRUE(hooks) << hooks.error().describe();
  EXPECT_EQ(*hooks, (std::vector<project::Hook>{project::Hook::kVmStarted,
                                                project::Hook::kDistributionStopping}));
  EXPECT_EQ(project::parse_hooks("ALL")->size(), 6u);
  EXPECT_TRUE(project::parse_hooks("none")->empty());
  auto bad = project::parse_hooks("vm-started,vm-exploded");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "--hooks");

  auto v = project::parse_requirement("2.1");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->min_version().text(), "2.1.0");
  auto caps =
      project::parse_requirement("distribution-flavor|WSLVersionCapability::DistributionInitPid");
  ASSERT_TRUE(caps) << caps.error().describe();
  EXPECT_EQ(caps->capabilities.size(), 2u);
  EXPECT_EQ(caps->min_version().text(), "2.4.4");
  for (const char* text : {"2", "2.x.1", "1.2.3.4", "NoSuchCapability"}) {
    auto r = project::parse_requirement(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().where, "--require") << text;
  }
  auto wslc = project::parse_requirement("WSLC");
  ASSERT_FALSE(wslc);
  EXPECT_NE(wslc.error().fix.find("2.9.0"), std::string::npos) << wslc.error().fix;
}

TEST(Scaffold, NamesFollowCargoAndWindowsRules) {
  for (auto lang : {wslplug::project::Language::kRust, wslplug::project::Language::kCpp}) {
    for (const char* good : {"a", "my-plugin", "My_Plugin2"})
      EXPECT_TRUE(project::validate_name(good, lang));
    for (const char* bad :
         {"", "1abc", "-x", "a/b", "a..b", "con", "LPT9", "caf\xc3\xa9", "with space"}) {
      auto r = project::validate_name(bad, lang);
      ASSERT_FALSE(r) << bad;
      EXPECT_EQ(r.error().where, "NAME") << bad;
    }
    EXPECT_FALSE(project::validate_name(std::string(65, 'a'), lang));
    EXPECT_TRUE(project::validate_name(std::string(64, 'a'), lang));
  }
  // A Rust keyword is no crate name; the C++ template has no crate.
  for (const char* keyword : {"fn", "box", "async"}) {
    auto r = project::validate_name(keyword, wslplug::project::Language::kRust);
    ASSERT_FALSE(r) << keyword;
    EXPECT_NE(r.error().message.find("Rust keyword"), std::string::npos) << r.error().message;
    EXPECT_TRUE(project::validate_name(keyword, wslplug::project::Language::kCpp)) << keyword;
  }
}

TEST(Scaffold, WslcHooksParseAndOnlyTheCppTemplateHasThem) {
  auto wslc = project::parse_hooks("wslc");
  ASSERT_TRUE(wslc) << wslc.error().describe();
  EXPECT_EQ(*wslc, std::vector<project::Hook>(std::begin(project::kWslcHooks),
                                              std::end(project::kWslcHooks)));
  auto both = project::parse_hooks("all, wslc");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->size(), 14u);
  auto named = project::parse_hooks("container-started,On_Session_Created,WslcVmStarted");
  ASSERT_TRUE(named) << named.error().describe();
  EXPECT_EQ(*named, (std::vector<project::Hook>{project::Hook::kSessionCreated,
                                                project::Hook::kContainerStarted,
                                                project::Hook::kWslcVmStarted}));
  for (auto h : project::kWslcHooks) EXPECT_TRUE(project::is_wslc(h)) << project::hook_name(h);
  EXPECT_FALSE(project::is_wslc(project::Hook::kVmStarted));
  // "all" stays the six WSL hooks (the Rust template has them all).
  EXPECT_EQ(project::parse_hooks("all")->size(), 6u);

  // Rust: refused, naming the hook, the crate version and the C++ command.
  project::ProjectSpec rust{"p",
                            wslplug::project::Language::kRust,
                            *project::parse_hooks("vm-started,container-started"),
                            {},
                            {},
                            {}};
  auto refused = project::render_project(rust);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().where, "--hooks");
  EXPECT_NE(refused.error().message.find("container-started"), std::string::npos);
  EXPECT_NE(refused.error().message.find("0.1.0-beta.4"), std::string::npos);
  EXPECT_NE(refused.error().fix.find("--lang cpp"), std::string::npos) << refused.error().fix;

  // C++: every WSLC slot is written after its version check; nothing left of the template syntax.
  for (const char* hooks : {"wslc", "all,wslc", "container-started", "wslc-vm-started",
                            "image-deleted,wslc-vm-stopping"}) {
    SCOPED_TRACE(hooks);
    project::ProjectSpec cpp{
        "p", wslplug::project::Language::kCpp, *project::parse_hooks(hooks), {}, {}, {}};
    auto files = project::render_project(cpp);
    ASSERT_TRUE(files) << files.error().describe();
    const auto src = std::find_if(files->begin(), files->end(),
                                  [](const auto& f) { return f.path == "src/plugin.cpp"; });
    ASSERT_NE(src, files->end());
    const std::string& text = src->content;
    EXPECT_EQ(text.find("{{"), std::string::npos);
    const auto check290 = text.find("if (HostAtLeast(api->Version, 2, 9, 0))");
    const auto check295 = text.find("if (HostAtLeast(api->Version, 2, 9, 5))");
    for (auto h : cpp.hooks) {
      const std::string_view slot = h == project::Hook::kSessionCreated      ? "OnSessionCreated"
                                    : h == project::Hook::kSessionStopping   ? "OnSessionStopping"
                                    : h == project::Hook::kContainerStarted  ? "ContainerStarted"
                                    : h == project::Hook::kContainerStopping ? "ContainerStopping"
                                    : h == project::Hook::kImageCreated      ? "ImageCreated"
                                    : h == project::Hook::kImageDeleted      ? "ImageDeleted"
                                    : h == project::Hook::kWslcVmStarted     ? "WslcVmStarted"
                                    : h == project::Hook::kWslcVmStopping    ? "WslcVmStopping"
                                                                             : "";
      if (slot.empty()) continue;
      const auto write = text.find("hooks->" + std::string(slot) + " =");
      ASSERT_NE(write, std::string::npos) << slot;
      const bool vm = h == project::Hook::kWslcVmStarted || h == project::Hook::kWslcVmStopping;
      const auto check = vm ? check295 : check290;
      ASSERT_NE(check, std::string::npos) << slot;
      EXPECT_LT(check, write) << slot;
    }
  }
}
