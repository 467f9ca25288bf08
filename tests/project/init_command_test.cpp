// `wslplug init` and `new --vcs` end to end: an existing folder becomes a project without losing
// a byte of what it held, the project's name comes from the folder unless --name, and version
// control follows cargo (git init unless inside a work tree or --vcs none).
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

bool lists(const json& array, const std::string& path) {
  return std::find(array.begin(), array.end(), path) != array.end();
}

}  // namespace

TEST(InitCommand, AddsWhatIsMissingAndKeepsEveryExistingByte) {
  wt::TempDir tmp;
  const auto dir = tmp / "my-plugin";
  wt::fs::create_directories(dir / "src");
  wt::write_text(dir / "README.md", "my own readme\n");
  wt::write_text(dir / "Cargo.toml", "[package]\nname = \"mine\"\n");
  wt::write_text(dir / ".gitignore", "*.log\ntarget/\n");
  auto r = wt::wslplug({"init", "--json"}, {}, {}, dir);
  ASSERT_EQ(r.rc, 0) << r.both();
  const json doc = json::parse(r.out);
  EXPECT_TRUE(doc.at("ok").get<bool>());
  EXPECT_EQ(doc.at("name"), "my-plugin");
  EXPECT_EQ(doc.at("language"), "rust");
  EXPECT_TRUE(lists(doc.at("added"), "wslplug.json")) << doc.dump();
  EXPECT_TRUE(lists(doc.at("added"), "src/lib.rs")) << doc.dump();
  EXPECT_TRUE(lists(doc.at("kept"), "README.md")) << doc.dump();
  EXPECT_TRUE(lists(doc.at("kept"), "Cargo.toml")) << doc.dump();
  EXPECT_TRUE(lists(doc.at("extended"), ".gitignore")) << doc.dump();
  EXPECT_EQ(doc.at("vcs"), "created");
  EXPECT_TRUE(wt::fs::is_directory(dir / ".git"));
  // What was there is there, byte for byte; the .gitignore only grew at its end.
  EXPECT_EQ(wt::read_text(dir / "README.md"), "my own readme\n");
  EXPECT_EQ(wt::read_text(dir / "Cargo.toml"), "[package]\nname = \"mine\"\n");
  const std::string ignore = wt::read_text(dir / ".gitignore");
  EXPECT_TRUE(ignore.starts_with("*.log\ntarget/\n")) << ignore;
  EXPECT_GT(ignore.size(), std::string("*.log\ntarget/\n").size());
  EXPECT_TRUE(wt::fs::exists(dir / "wslplug.json"));

  // A project is not made twice, and the refusal changes nothing.
  auto again = wt::wslplug({"init", "--json"}, {}, {}, dir);
  EXPECT_EQ(again.rc, 2) << again.both();
  EXPECT_FALSE(json::parse(again.out).at("ok").get<bool>());
  EXPECT_EQ(wt::read_text(dir / ".gitignore"), ignore);
}

TEST(InitCommand, NameComesFromTheFolderUnlessGiven) {
  wt::TempDir tmp;
  wt::fs::create_directories(tmp / "1st try");
  auto bad = wt::wslplug({"init", "1st try", "--lang", "cpp", "--json"}, {}, {}, tmp.path());
  EXPECT_EQ(bad.rc, 2) << bad.both();
  const json err = json::parse(bad.out);
  EXPECT_EQ(err.at("error").at("where"), "--name") << bad.out;
  EXPECT_NE(err.at("error").at("fix").get<std::string>().find("--name"), std::string::npos);
  EXPECT_FALSE(wt::fs::exists(tmp / "1st try/wslplug.json"));

  auto good = wt::wslplug({"init", "1st try", "--name", "audit", "--lang", "cpp", "--vcs", "none"},
                          {}, {}, tmp.path());
  ASSERT_EQ(good.rc, 0) << good.both();
  EXPECT_NE(wt::read_text(tmp / "1st try/wslplug.json").find("\"audit\""), std::string::npos);
  EXPECT_TRUE(wt::fs::exists(tmp / "1st try/CMakeLists.txt"));
  EXPECT_FALSE(wt::fs::exists(tmp / "1st try/.git"));
}

TEST(NewVcs, FollowsCargoInsideAndOutsideARepository) {
  wt::TempDir tmp;
  // Inside a work tree: the project is part of that repository, no repository of its own.
  ASSERT_EQ(wt::run({"git", "init", "--quiet", (tmp / "repo").string()}).rc, 0);
  auto inside = wt::wslplug({"new", "inner", "--lang", "cpp", "--json"}, {}, {}, tmp / "repo");
  ASSERT_EQ(inside.rc, 0) << inside.both();
  EXPECT_EQ(json::parse(inside.out).at("vcs"), "inside-repository");
  EXPECT_FALSE(wt::fs::exists(tmp / "repo/inner/.git"));

  auto none =
      wt::wslplug({"new", "plain", "--lang", "cpp", "--vcs", "none", "--json"}, {}, {}, tmp.path());
  ASSERT_EQ(none.rc, 0) << none.both();
  EXPECT_EQ(json::parse(none.out).at("vcs"), "none");
  EXPECT_FALSE(wt::fs::exists(tmp / "plain/.git"));

  // --vcs git without git: refused before anything is written.
  const auto empty_path = tmp / "no-programs";
  wt::fs::create_directories(empty_path);
  auto nogit = wt::wslplug({"new", "gitless", "--lang", "cpp", "--vcs", "git"},
                           {{"PATH", empty_path.string()}}, {}, tmp.path());
  EXPECT_EQ(nogit.rc, 3) << nogit.both();
  EXPECT_NE(nogit.err.find("git is not installed"), std::string::npos) << nogit.err;
  EXPECT_FALSE(wt::fs::exists(tmp / "gitless"));

  // Without --vcs and without git: the project, no repository, and a warning that says why.
  auto quiet = wt::wslplug({"new", "nogit", "--lang", "cpp"}, {{"PATH", empty_path.string()}}, {},
                           tmp.path());
  EXPECT_EQ(quiet.rc, 0) << quiet.both();
  EXPECT_NE(quiet.err.find("git is not installed"), std::string::npos) << quiet.err;
  EXPECT_TRUE(wt::fs::exists(tmp / "nogit/wslplug.json"));
  EXPECT_FALSE(wt::fs::exists(tmp / "nogit/.git"));
}
