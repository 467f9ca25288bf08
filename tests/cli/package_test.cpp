// The Debian package `cpack -G DEB` makes from this build: its control fields (dependencies from
// the linked libraries, wine recommended for `run`), its files (binary, plugin host, man page,
// completions where each shell looks), an installation checked against this machine's dpkg
// database (--dry-run), and a real install, use and removal in a scratch dpkg root, so the test
// never changes the machine.
#include <gtest/gtest.h>

#include <regex>

#include "support.hpp"
#include "wslplug/core/version.hpp"

namespace wt = wslplug::test;

namespace {

wt::fs::path build_dir() { return wt::fs::path(wt::wslplug_bin()).parent_path().parent_path(); }

std::string field(const wt::fs::path& deb, const std::string& name) {
  auto r = wt::run({"dpkg-deb", "-f", deb.string(), name});
  EXPECT_EQ(r.rc, 0) << r.both();
  if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

class Package : public ::testing::Test {
 protected:
  // One package per build, shared by the test processes: made again when the binary is newer.
  static void SetUpTestSuite() {
    const auto dir = wt::fixture_dir() / "package";
    wt::fs::create_directories(dir);
    const std::string script =
        "set -e; deb=$(ls \"$1\"/packages/wslplug_*.deb 2>/dev/null | head -n 1); "
        "if [ -z \"$deb\" ] || [ \"$2\" -nt \"$deb\" ] || [ \"$3\" -nt \"$deb\" ] || "
        "[ \"$4\" -nt \"$deb\" ]; then rm -rf \"$1/packages\"; "
        "cd \"$1\" && cpack -G DEB --config \"$3\" -B \"$1\"; fi";
    auto r = wt::run({"flock", (dir / "lock").string(), "sh", "-c", script, "sh", dir.string(),
                      wt::wslplug_bin(), (build_dir() / "CPackConfig.cmake").string(),
                      (build_dir() / "debian/changelog.gz").string()});
    ASSERT_EQ(r.rc, 0) << r.both();
    for (const auto& e : wt::fs::directory_iterator(dir / "packages"))
      if (e.path().extension() == ".deb") deb_ = new wt::fs::path(e.path());
    ASSERT_NE(deb_, nullptr) << "cpack wrote no .deb: " << r.both();
  }
  static void TearDownTestSuite() { delete deb_; }
  static wt::fs::path* deb_;
};
wt::fs::path* Package::deb_ = nullptr;

}  // namespace

TEST_F(Package, ControlFieldsNameTheRealDependencies) {
  ASSERT_NE(deb_, nullptr);
  EXPECT_EQ(field(*deb_, "Package"), "wslplug");
  EXPECT_EQ(field(*deb_, "Version"), wslplug::kVersion);
  auto arch = wt::run({"dpkg", "--print-architecture"});
  EXPECT_EQ(field(*deb_, "Architecture") + "\n", arch.out);
  // dpkg-shlibdeps: one entry per library the binary links, with a minimum version.
  const std::string depends = field(*deb_, "Depends");
  for (const char* lib : {"libc6 (>=", "libssl3 (>=", "libstdc++6 (>=", "libgcc-s1 (>="})
    EXPECT_NE(depends.find(lib), std::string::npos) << lib << " in " << depends;
  auto ldd = wt::run({"ldd", wt::wslplug_bin()});
  if (ldd.out.find("libfmt.so.9") != std::string::npos) {
    EXPECT_NE(depends.find("libfmt9"), std::string::npos) << depends;
  }
  EXPECT_EQ(depends.find("wine"), std::string::npos) << "only `run` needs wine: " << depends;
  EXPECT_NE(field(*deb_, "Recommends").find("wine64"), std::string::npos);
  // run's sandbox
  EXPECT_NE(field(*deb_, "Recommends").find("bubblewrap"), std::string::npos);
  EXPECT_NE(field(*deb_, "Suggests").find("g++-mingw-w64-x86-64"), std::string::npos);
}

TEST_F(Package, HoldsTheBinaryHostManPageAndCompletions) {
  ASSERT_NE(deb_, nullptr);
  auto r = wt::run({"dpkg-deb", "-c", deb_->string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  for (const char* path :
       {"./usr/bin/wslplug", "./usr/libexec/wslplug/wslplug-host.exe",
        "./usr/libexec/wslplug/wine-dlls/bcryptprimitives.dll", "./usr/share/man/man1/wslplug.1.gz",
        "./usr/share/bash-completion/completions/wslplug",
        "./usr/share/zsh/vendor-completions/_wslplug",
        "./usr/share/fish/vendor_completions.d/wslplug.fish", "./usr/share/wslplug/wslplug.ps1",
        "./usr/share/doc/wslplug/README.md", "./usr/share/doc/wslplug/copyright",
        "./usr/share/doc/wslplug/changelog.gz", "./usr/libexec/wslplug/wslplug-sandbox"})
    EXPECT_NE(r.out.find(std::string(path) + "\n"), std::string::npos) << path << "\n" << r.out;
}

// A Maintainer a person can write to (no placeholder of CPack's), and a changelog in Debian's
// format whose newest entry is this version, signed by that maintainer.
TEST_F(Package, HasAMaintainerAndAChangelogOfThisVersion) {
  ASSERT_NE(deb_, nullptr);
  const std::string maintainer = field(*deb_, "Maintainer");
  EXPECT_TRUE(
      std::regex_match(maintainer, std::regex(R"([^<>]*[^<> ] <[^<>@ ]+@[^<>@ ]+\.[a-z]+>)")))
      << maintainer;
  EXPECT_EQ(maintainer.find("localhost"), std::string::npos) << maintainer;
  wt::TempDir tmp;
  ASSERT_EQ(wt::run({"dpkg-deb", "-x", deb_->string(), tmp.path().string()}).rc, 0);
  const auto changelog = tmp / "usr/share/doc/wslplug/changelog.gz";
  auto text = wt::run({"gzip", "-dc", changelog.string()});
  ASSERT_EQ(text.rc, 0) << text.both();
  wt::write_text(tmp / "changelog", text.out);
  auto parsed = wt::run({"dpkg-parsechangelog", "-l", (tmp / "changelog").string()});
  ASSERT_EQ(parsed.rc, 0) << parsed.both();
  parsed.out.insert(0, "\n");  // every field below then starts after a newline, the first too
  EXPECT_NE(parsed.out.find("\nSource: wslplug\n"), std::string::npos) << parsed.out;
  EXPECT_NE(parsed.out.find("\nVersion: " + std::string(wslplug::kVersion) + "\n"),
            std::string::npos)
      << "the changelog needs an entry for " << wslplug::kVersion << ":\n"
      << parsed.out;
  EXPECT_NE(parsed.out.find("\nMaintainer: " + maintainer + "\n"), std::string::npos) << parsed.out;
  // The newest entry holds at least one change.
  EXPECT_NE(parsed.out.find("\n   * "), std::string::npos) << parsed.out;
}

TEST_F(Package, InstallsOnThisMachine) {
  ASSERT_NE(deb_, nullptr);
  // Everything dpkg -i would check against the installed packages, changing nothing.
  auto r = wt::run({"dpkg", "--dry-run", "-i", deb_->string()});
  EXPECT_EQ(r.rc, 0) << r.both();
}

TEST_F(Package, InstallRunAndRemoveInAScratchRoot) {
  ASSERT_NE(deb_, nullptr);
  wt::TempDir root;
  const auto admin = root / "var/lib/dpkg";
  wt::fs::create_directories(admin / "info");
  wt::fs::create_directories(admin / "updates");
  wt::write_text(admin / "status", "");
  wt::write_text(admin / "available", "");
  const std::string log = "--log=" + (root / "dpkg.log").string();
  // The scratch root has none of the dependencies: the machine's libraries serve.
  auto in = wt::run({"dpkg", "--root=" + root.path().string(), log, "--force-depends",
                     "--force-not-root", "-i", deb_->string()});
  ASSERT_EQ(in.rc, 0) << in.both();
  auto status = wt::run({"dpkg", "--root=" + root.path().string(), "-s", "wslplug"});
  EXPECT_NE(status.out.find("Status: install ok installed"), std::string::npos) << status.both();

  const auto bin = root / "usr/bin/wslplug";
  auto version = wt::run({bin.string(), "--version"});
  EXPECT_EQ(version.rc, 0) << version.both();
  EXPECT_EQ(version.out.rfind("wslplug " + std::string(wslplug::kVersion) + " (", 0), 0u)
      << version.out;
  // The host program is where `run` looks for it (../libexec/wslplug beside bin/).
  const auto host = wt::read_bytes(root / "usr/libexec/wslplug/wslplug-host.exe");
  ASSERT_GT(host.size(), 2u);
  EXPECT_EQ(static_cast<char>(host[0]), 'M');
  EXPECT_EQ(static_cast<char>(host[1]), 'Z');

  // The man page is the binary's own and renders.
  auto page = wt::run({"man", "-l", (root / "usr/share/man/man1/wslplug.1.gz").string()},
                      {{"MANPAGER", "cat"}, {"MANWIDTH", "100"}});
  EXPECT_EQ(page.rc, 0) << page.both();
  EXPECT_NE(page.out.find("EXIT STATUS"), std::string::npos);
  auto unzipped = wt::run({"gzip", "-dc", (root / "usr/share/man/man1/wslplug.1.gz").string()});
  EXPECT_EQ(unzipped.out, wt::run({bin.string(), "manpage"}).out);

  // Each shell finds the completion where the package put it, through its own loader.
  const std::string share = (root / "usr/share").string();
  auto bash = wt::run({"bash", "--norc", "-c",
                       "source /usr/share/bash-completion/bash_completion && "
                       "_completion_loader wslplug; complete -p wslplug"},
                      {{"XDG_DATA_DIRS", share}, {"BASH_COMPLETION_USER_DIR", share + "/none"}});
  EXPECT_EQ(bash.out, "complete -F _wslplug wslplug\n") << bash.both();
  auto zsh = wt::run({"zsh", "-f", "-c",
                      "fpath=('" + share +
                          "/zsh/vendor-completions' $fpath); autoload -Uz compinit; "
                          "compinit -u -D; print -r -- $_comps[wslplug]"},
                     {{"HOME", root.path().string()}});
  EXPECT_EQ(zsh.out, "_wslplug\n") << zsh.both();
  // fish loads a command's completions when the command is on PATH.
  auto fish = wt::run({"fish", "--no-config", "-c",
                       "set fish_complete_path '" + share +
                           "/fish/vendor_completions.d'; complete -C 'wslplug si'"},
                      {{"HOME", root.path().string()},
                       {"PATH", (root / "usr/bin").string() + ":" + std::getenv("PATH")},
                       {"XDG_CONFIG_HOME", (root / "xdg").string()},
                       {"XDG_DATA_HOME", (root / "xdg").string()}});
  EXPECT_EQ(fish.out.substr(0, fish.out.find('\t')), "sign") << fish.both();

  auto out = wt::run({"dpkg", "--root=" + root.path().string(), log, "--force-depends",
                      "--force-not-root", "-r", "wslplug"});
  EXPECT_EQ(out.rc, 0) << out.both();
  EXPECT_FALSE(wt::fs::exists(bin));
  EXPECT_FALSE(wt::fs::exists(root / "usr/share/man/man1/wslplug.1.gz"));
}
