// What `wslplug run` keeps between runs, on the real binary under wine: a project's own state
// folder under the cache (runs/<name>-<hash of its root>), named in the report with what it
// keeps, the same from any subfolder and different for another checkout of the same plugin;
// --fresh-prefix clears it first.
#include <gtest/gtest.h>

#include <regex>

#include "run_support.hpp"
#include "support.hpp"

namespace wt = wslplug::test;

namespace {

wt::fs::path project_with_dll(const wt::fs::path& parent, const std::string& name) {
  auto r = wt::wslplug({"new", name, "--lang", "cpp", "--no-ci"}, {}, {}, parent);
  EXPECT_EQ(r.rc, 0) << r.both();
  const auto dir = parent / name;
  wt::fs::create_directories(dir / "build/x86_64-release");
  const auto fixture = wt::build_dll({.name = "run-state-plugin"});
  EXPECT_FALSE(fixture.empty());
  wt::fs::copy_file(fixture, dir / "build/x86_64-release" / (name + ".dll"));
  return dir;
}

}  // namespace

TEST(RunState, EachProjectKeepsItsOwnStateAndFreshPrefixClearsIt) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-gcc");
  wt::TempDir tmp;
  const auto a = project_with_dll(tmp.path(), "state-plugin");
  wt::fs::create_directories(tmp / "other");
  const auto b = project_with_dll(tmp / "other", "state-plugin");
  auto first = wt::run_json({"--wsl-version", "2.4.4"}, {}, a / "src", /*allow_unsigned=*/true);
  ASSERT_EQ(first.result.rc, 0) << first.context();
  const auto& state = first.doc["state"];
  ASSERT_TRUE(state.is_object()) << first.context();
  const std::string dir = state["dir"];
  const std::string runs = (wt::fixture_dir() / "xdg/wslplug/runs/").string();
  EXPECT_EQ(dir.rfind(runs, 0), 0u) << dir;
  EXPECT_TRUE(std::regex_match(dir.substr(runs.size()), std::regex("state-plugin-[0-9a-f]{12}")))
      << dir;
  EXPECT_EQ(state["fresh"], false);
  EXPECT_FALSE(state["keeps"].empty());
  EXPECT_EQ(first.doc["plugin"]["name"], "state-plugin");
  // The same project from its root: the same folder; another checkout: another one.
  auto again = wt::run_json({"--wsl-version", "2.4.4"}, {}, a, true);
  ASSERT_EQ(again.result.rc, 0) << again.context();
  EXPECT_EQ(again.doc["state"]["dir"], dir);
  auto other = wt::run_json({"--wsl-version", "2.4.4"}, {}, b, true);
  ASSERT_EQ(other.result.rc, 0) << other.context();
  EXPECT_NE(other.doc["state"]["dir"], dir);
  // --fresh-prefix: cleared first, and the report says so (text too).
  wt::write_text(wt::fs::path(dir) / "leftover", "x");
  auto fresh = wt::run_json({"--wsl-version", "2.4.4", "--fresh-prefix"}, {}, a, true);
  ASSERT_EQ(fresh.result.rc, 0) << fresh.context();
  EXPECT_EQ(fresh.doc["state"]["fresh"], true);
  EXPECT_FALSE(wt::fs::exists(wt::fs::path(dir) / "leftover"));
  auto env = wt::run_env();
  auto text = wt::wslplug({"run", "--wsl-version", "2.4.4", "--allow-unsigned"}, env, {}, a);
  EXPECT_EQ(text.rc, 0) << text.both();
  EXPECT_NE(text.out.find("state: " + dir), std::string::npos) << text.out;
}
