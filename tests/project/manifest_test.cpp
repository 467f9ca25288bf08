// The project manifest (wslplug.json) round-trips and names bad fields; projects without one are
// detected from Cargo.toml or CMakeLists.txt.
#include "wslplug/project/manifest.hpp"

#include <gtest/gtest.h>

#include "support.hpp"

namespace wt = wslplug::test;
using wslplug::project::Language;

TEST(ProjectManifest, RoundTripsAndNamesBadFields) {
  wslplug::project::Manifest m;
  m.name = "my-plugin";
  m.registry_name = "My Plugin";
  m.language = wslplug::project::Language::kCpp;
  m.target = wslplug::project::TargetArch::kArm64;
  m.dll = "my-plugin.dll";
  m.build_dir = "out";
  m.hooks = {"vm-started"};
  m.requires_version = "2.1.2";
  auto back =
      wslplug::project::parse_manifest(wslplug::project::manifest_to_json(m), "wslplug.json");
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->name, m.name);
  EXPECT_EQ(back->registry_name, m.registry_name);
  EXPECT_EQ(back->language, wslplug::project::Language::kCpp);
  EXPECT_EQ(back->target, wslplug::project::TargetArch::kArm64);
  EXPECT_EQ(back->dll, "my-plugin.dll");
  EXPECT_EQ(back->build_dir, "out");
  EXPECT_EQ(back->hooks, m.hooks);
  EXPECT_EQ(back->requires_version, "2.1.2");
  EXPECT_TRUE(back->from_file);

  // "requires" is read with the one WSL version parser: 2.4 is 2.4.0; not a version is refused
  // with the field named and an example.
  auto short_version = wslplug::project::parse_manifest(R"({"name": "a", "requires": "2.4"})", "f.json");
  ASSERT_TRUE(short_version) << short_version.error().describe();
  EXPECT_EQ(short_version->requires_version, "2.4.0");
  EXPECT_EQ(wslplug::project::parse_manifest(R"({"name": "a", "requires": ""})", "f.json")->requires_version,
            "");
  for (const char* bad : {"2", "2.4.x", "latest", "2.4.4.4"}) {
    auto r = wslplug::project::parse_manifest(std::string(R"({"name": "a", "requires": ")") + bad + R"("})",
                                     "f.json");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, wslplug::ErrorKind::kInput);
    EXPECT_EQ(r.error().where, "field requires");
    EXPECT_NE(r.error().fix.find("\"2.4\""), std::string::npos) << r.error().fix;
  }

  // Only the name is required; the rest defaults from the language.
  auto minimal = wslplug::project::parse_manifest(R"({"name": "a-b"})", "f.json");
  ASSERT_TRUE(minimal);
  EXPECT_EQ(minimal->dll, "a_b.dll");
  EXPECT_EQ(minimal->registry_name, "a-b");
  EXPECT_EQ(minimal->build_dir, "target");

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"[]", ""},
      {"{nope", ""},
      {R"({})", "field name"},
      {R"({"name": 3})", "field name"},
      {R"({"name": "a", "target": "mips"})", "field target"},
      {R"({"name": "a", "paths": {"dll": "x/y.dll"}})", "field paths.dll"},
      {R"({"name": "a", "paths": {"dll": "y.exe"}})", "field paths.dll"},
      {R"({"name": "a", "paths": []})", "field paths"},
      {R"({"name": "a", "schema": 99})", "field schema"},
  };
  for (const auto& [text, where] : bad) {
    auto r = wslplug::project::parse_manifest(text, "wslplug.json");
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().kind, wslplug::ErrorKind::kInput) << text;
    EXPECT_EQ(r.error().file, "wslplug.json");
    EXPECT_EQ(r.error().where, where) << text;
    EXPECT_FALSE(r.error().fix.empty()) << text;
  }
}

TEST(ProjectManifest, DetectsCargoAndCMakeProjects) {
  wt::TempDir tmp;
  wt::write_text(tmp / "Cargo.toml",
                 "# comment\n[package]\nname = \"pkg-name\"\nversion = \"0.1.0\"\n\n"
                 "[lib]\nname = \"custom_lib\"\ncrate-type = [\"cdylib\"]\n");
  auto m = wslplug::project::detect_project(tmp.path());
  ASSERT_TRUE(m) << m.error().describe();
  EXPECT_EQ(m->language, wslplug::project::Language::kRust);
  EXPECT_EQ(m->name, "pkg-name");
  EXPECT_EQ(m->dll, "custom_lib.dll");
  EXPECT_FALSE(m->from_file);

  wt::TempDir cm;
  wt::write_text(cm / "CMakeLists.txt",
                 "cmake_minimum_required(VERSION 3.15)\nPROJECT( fancy-plugin LANGUAGES CXX)\n");
  m = wslplug::project::detect_project(cm.path());
  ASSERT_TRUE(m) << m.error().describe();
  EXPECT_EQ(m->language, wslplug::project::Language::kCpp);
  EXPECT_EQ(m->name, "fancy-plugin");
  EXPECT_EQ(m->dll, "fancy-plugin.dll");

  // wslplug.json wins over Cargo.toml.
  wt::write_text(tmp / "wslplug.json", R"({"name": "from-json", "language": "cpp"})");
  m = wslplug::project::detect_project(tmp.path());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "from-json");
  EXPECT_TRUE(m->from_file);

  wt::TempDir empty;
  auto none = wslplug::project::detect_project(empty.path());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, wslplug::ErrorKind::kInput);
}
