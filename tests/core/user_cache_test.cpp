// The user's cache folder (wslplug/core/user_cache.hpp): XDG_CACHE_HOME, HOME, the passwd entry's
// home, then a private /tmp/wslplug-<uid> that must be the user's own 0700 directory; and the
// real binary without HOME and XDG_CACHE_HOME.
#include "wslplug/core/user_cache.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "support.hpp"

namespace wt = wslplug::test;
using wslplug::UserCacheSources;

namespace {

UserCacheSources only_tmp(const wt::fs::path& tmp) {
  UserCacheSources s;
  s.tmp = tmp;
  s.uid = ::getuid();
  return s;
}

mode_t mode_of(const wt::fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

void expect_refused(const UserCacheSources& s, const std::string& why) {
  auto r = wslplug::user_cache_dir(s);
  ASSERT_FALSE(r) << r->string();
  EXPECT_EQ(r.error().kind, wslplug::ErrorKind::kIo);
  EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().describe();
  EXPECT_NE(r.error().fix.find("XDG_CACHE_HOME"), std::string::npos) << r.error().fix;
}

}  // namespace

TEST(UserCache, EnvironmentThenPasswdHomeEachOnlyWhenAbsolute) {
  UserCacheSources s;
  s.xdg_cache_home = "/x/cache";
  s.home = "/h";
  s.passwd_home = "/p";
  EXPECT_EQ(wslplug::user_cache_dir(s).value(), "/x/cache/wslplug");
  s.xdg_cache_home = "relative/cache";  // XDG: relative paths are ignored
  EXPECT_EQ(wslplug::user_cache_dir(s).value(), "/h/.cache/wslplug");
  s.xdg_cache_home.clear();
  s.home = "";
  EXPECT_EQ(wslplug::user_cache_dir(s).value(), "/p/.cache/wslplug");
  s.home = "home";
  EXPECT_EQ(wslplug::user_cache_dir(s).value(), "/p/.cache/wslplug");
}

TEST(UserCache, LastResortIsAPrivateFolderMadeForTheUser) {
  wt::TempDir tmp;
  ::umask(022);
  const auto want = tmp / fmt::format("wslplug-{}", ::getuid());
  auto r = wslplug::user_cache_dir(only_tmp(tmp.path()));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, want);
  EXPECT_TRUE(wt::fs::is_directory(want));
  EXPECT_EQ(mode_of(want), 0700u);
  // Made before: taken as it is.
  r = wslplug::user_cache_dir(only_tmp(tmp.path()));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, want);
  // A relative passwd home does not count either.
  auto s = only_tmp(tmp.path());
  s.passwd_home = "not/absolute";
  EXPECT_EQ(wslplug::user_cache_dir(s).value(), want);
}

TEST(UserCache, LastResortFolderWithAnotherModeIsRefused) {
  wt::TempDir tmp;
  const auto dir = tmp / fmt::format("wslplug-{}", ::getuid());
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  expect_refused(only_tmp(tmp.path()), "has mode 0755, not 0700");
  EXPECT_EQ(mode_of(dir), 0755u);  // refused, not repaired
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  expect_refused(only_tmp(tmp.path()), "has mode 0777");
}

TEST(UserCache, LastResortSymlinkOrFileIsRefused) {
  wt::TempDir tmp;
  const auto target = tmp / "elsewhere";
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  const auto link = tmp / fmt::format("wslplug-{}", ::getuid());
  wt::fs::create_directory_symlink(target, link);
  expect_refused(only_tmp(tmp.path()), "is a symbolic link");
  wt::fs::remove(link);
  std::ofstream(link) << "planted";
  expect_refused(only_tmp(tmp.path()), "is not a directory");
}

TEST(UserCache, LastResortFolderOfAnotherUserIsRefused) {
  // A folder this process made is another user's folder for a user with another uid.
  wt::TempDir tmp;
  auto s = only_tmp(tmp.path());
  s.uid = ::getuid() + 1;
  const auto dir = tmp / fmt::format("wslplug-{}", s.uid);
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  expect_refused(s, fmt::format("belongs to uid {}, not to you", ::getuid()));
}

// The real binary with neither HOME nor XDG_CACHE_HOME: run's state folder is under the passwd
// entry's home (never a shared /tmp/.cache). --fresh-prefix names the folder; a missing wine
// then stops the run before anything starts.
TEST(UserCacheCli, RunWithoutHomeUsesThePasswdHome) {
  wt::TempDir tmp;
  const std::string name = fmt::format("cache-rule-{}", ::getpid());
  const auto dll = tmp / (name + ".dll");
  std::ofstream(dll) << "not started";
  const passwd* pw = ::getpwuid(::getuid());
  const std::string home = pw != nullptr && pw->pw_dir != nullptr ? pw->pw_dir : "";
  const wt::fs::path cache = !home.empty() && home.front() == '/'
                                 ? wt::fs::path(home) / ".cache" / "wslplug"
                                 : wt::fs::path("/tmp") / fmt::format("wslplug-{}", ::getuid());
  const auto want = (cache / "runs" / name).lexically_normal().string();
  for (const std::vector<std::string>& unset :
       {std::vector<std::string>{"-u", "HOME", "-u", "XDG_CACHE_HOME"},
        {"-u", "XDG_CACHE_HOME", "HOME=relative/home"}}) {
    std::vector<std::string> argv = {"env"};
    argv.insert(argv.end(), unset.begin(), unset.end());
    argv.insert(argv.end(), {"WSLPLUG_WINE=" + (tmp / "no-wine").string(), "WSLPLUG_RUN_HOST=wine",
                             wt::wslplug_bin(), "run", dll.string(), "--fresh-prefix"});
    auto r = wt::run(argv);
    EXPECT_EQ(r.rc, 3) << r.both();
    EXPECT_NE(r.err.find("kept in " + want), std::string::npos) << want << "\n" << r.err;
    EXPECT_EQ(r.err.find("/tmp/.cache"), std::string::npos) << r.err;
  }
}
