// A project in an existing folder (init_project, as `cargo init`): what is missing is added, what
// exists is kept byte for byte, a .gitignore only gains the patterns it lacks, a project is not
// made twice; and the project's git repository (init_vcs, real git): made in a new folder, not
// inside an existing work tree, not with --vcs none.
#include <gtest/gtest.h>

#include <algorithm>

#include "support.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/project/scaffold.hpp"

namespace project = wslplug::project;
namespace wt = wslplug::test;
using wslplug::project::Language;

namespace {

std::vector<project::RenderedFile> files_of(const std::string& name,
                                            wslplug::project::Language lang) {
  project::ProjectSpec spec;
  spec.name = name;
  spec.language = lang;
  spec.hooks = project::default_hooks();
  auto files = project::render_project(spec);
  EXPECT_TRUE(files) << files.error().describe();
  return files ? *files : std::vector<project::RenderedFile>{};
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST(InitProject, AddsWhatIsMissingAndKeepsEveryExistingFileByteForByte) {
  wt::TempDir tmp;
  const auto dir = tmp / "existing";
  wt::fs::create_directories(dir / "src");
  // What a user already has: no trailing newline, CRLF, bytes a rewrite would not reproduce.
  const std::string readme = "# My plugin\r\n\r\nnotes \xc3\xa9 without a final newline";
  const std::string cargo = "[package]\nname = \"mine\"\nversion = \"9.9.9\"\n";
  const std::string gitignore = "target/\n*.pfx\nmy-notes.txt";
  wt::write_text(dir / "README.md", readme);
  wt::write_text(dir / "Cargo.toml", cargo);
  wt::write_text(dir / ".gitignore", gitignore);

  auto out = project::init_project(dir, files_of("mine", wslplug::project::Language::kRust));
  ASSERT_TRUE(out) << out.error().describe();
  EXPECT_EQ(wt::read_text(dir / "README.md"), readme);
  EXPECT_EQ(wt::read_text(dir / "Cargo.toml"), cargo);
  EXPECT_TRUE(has(out->kept, "README.md"));
  EXPECT_TRUE(has(out->kept, "Cargo.toml"));
  for (const char* added : {"src/lib.rs", ".cargo/config.toml", "wslplug.json"}) {
    EXPECT_TRUE(has(out->added, added)) << added;
    EXPECT_TRUE(wt::fs::exists(dir / added)) << added;
  }
  // .gitignore: the old bytes first, then only the patterns it lacked (keys, build output).
  const std::string ignore = wt::read_text(dir / ".gitignore");
  EXPECT_TRUE(has(out->extended, ".gitignore"));
  ASSERT_TRUE(ignore.starts_with(gitignore + "\n")) << ignore;
  const std::string tail = ignore.substr(gitignore.size());
  EXPECT_NE(tail.find("/.wslplug/\n"), std::string::npos) << tail;
  EXPECT_NE(tail.find("*.pem\n"), std::string::npos) << tail;
  EXPECT_EQ(tail.find("*.pfx"), std::string::npos) << "already there: " << tail;
  EXPECT_EQ(wt::stray_temp_files(dir), std::vector<wt::fs::path>{});

  // A project already: refused, nothing changed.
  const std::string manifest = wt::read_text(dir / "wslplug.json");
  auto again = project::init_project(dir, files_of("other", wslplug::project::Language::kCpp));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, wslplug::ErrorKind::kInput);
  EXPECT_NE(again.error().message.find("already a wslplug project"), std::string::npos);
  EXPECT_EQ(wt::read_text(dir / "wslplug.json"), manifest);
  EXPECT_FALSE(wt::fs::exists(dir / "CMakeLists.txt"));
}

TEST(InitProject, AGitignoreWithEveryPatternAndAMissingFolder) {
  wt::TempDir tmp;
  const auto files = files_of("fresh", wslplug::project::Language::kCpp);
  // A missing folder (and parent) is created and gets every file.
  auto fresh = project::init_project(tmp / "a/fresh", files);
  ASSERT_TRUE(fresh) << fresh.error().describe();
  EXPECT_EQ(fresh->added.size(), files.size());
  EXPECT_TRUE(fresh->kept.empty());
  for (const auto& f : files) EXPECT_EQ(wt::read_text(tmp / "a/fresh" / f.path), f.content);

  // A .gitignore that has every pattern already is kept as is.
  const auto dir = tmp / "b";
  wt::fs::create_directories(dir);
  const auto ours = std::find_if(files.begin(), files.end(),
                                 [](const auto& f) { return f.path == ".gitignore"; });
  ASSERT_NE(ours, files.end());
  const std::string mine = "# mine\n" + ours->content + "extra/\n";
  wt::write_text(dir / ".gitignore", mine);
  auto kept = project::init_project(dir, files);
  ASSERT_TRUE(kept) << kept.error().describe();
  EXPECT_TRUE(has(kept->kept, ".gitignore"));
  EXPECT_EQ(wt::read_text(dir / ".gitignore"), mine);

  // A file where the folder should be.
  wt::write_text(tmp / "file", "x");
  auto bad = project::init_project(tmp / "file", files);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, wslplug::ErrorKind::kInput);
}

TEST(InitVcs, GitInitUnlessInsideARepositoryOrNone) {
  ASSERT_TRUE(wt::have_tool("git"));
  wt::TempDir tmp;
  const auto repo = tmp / "repo";
  wt::fs::create_directories(repo);
  auto made = project::init_vcs(repo, project::Vcs::kGit);
  ASSERT_TRUE(made) << made.error().describe();
  EXPECT_EQ(*made, project::VcsOutcome::kCreated);
  auto top = wt::run({"git", "-C", repo.string(), "rev-parse", "--show-toplevel"});
  ASSERT_EQ(top.rc, 0) << top.both();
  EXPECT_EQ(wt::fs::canonical(wslplug::trim(top.out)), wt::fs::canonical(repo));

  // A project inside that repository: no repository of its own.
  const auto inner = repo / "plugins/inner";
  wt::fs::create_directories(inner);
  auto inside = project::init_vcs(inner, project::Vcs::kGit);
  ASSERT_TRUE(inside) << inside.error().describe();
  EXPECT_EQ(*inside, project::VcsOutcome::kInsideRepository);
  EXPECT_FALSE(wt::fs::exists(inner / ".git"));

  const auto plain = tmp / "plain";
  wt::fs::create_directories(plain);
  auto none = project::init_vcs(plain, project::Vcs::kNone);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, project::VcsOutcome::kNone);
  EXPECT_FALSE(wt::fs::exists(plain / ".git"));

  EXPECT_EQ(*project::parse_vcs("git"), project::Vcs::kGit);
  EXPECT_EQ(*project::parse_vcs("none"), project::Vcs::kNone);
  auto hg = project::parse_vcs("hg");
  ASSERT_FALSE(hg);
  EXPECT_EQ(hg.error().where, "--vcs");
}
