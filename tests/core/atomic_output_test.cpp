// AtomicOutput and killed runs: the temp file of a run that was killed is removed by the next
// run on the same target, while a temp file another live writer holds (flock) is left alone,
// and temp files of other targets are never touched. The 100-SIGKILL measurement is
// bench/kill-temp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.hpp"
#include "wslplug/core/io.hpp"

namespace wt = wslplug::test;
namespace fs = std::filesystem;

namespace {

// A temp file as a killed run leaves it: the AtomicOutput name, nobody holding it.
fs::path stale(const fs::path& dir, const std::string& target, const std::string& x) {
  auto p = dir / ("." + target + "." + x + ".tmp");
  wt::write_text(p, "partial");
  return p;
}

}  // namespace

TEST(AtomicOutputStale, NextRunRemovesStaleTempOfSameTarget) {
  wt::TempDir dir;
  auto a = stale(dir.path(), "out.dll", "Ab3xYz");
  auto b = stale(dir.path(), "out.dll", "000000");
  auto other = stale(dir.path(), "other.dll", "Ab3xYz");  // another target
  auto odd = dir / ".out.dll.toolong7.tmp";               // not the naming
  wt::write_text(odd, "x");
  auto st = wslplug::write_file_atomic(dir / "out.dll", std::string_view("data"));
  ASSERT_TRUE(st) << st.error().describe();
  EXPECT_FALSE(fs::exists(a));
  EXPECT_FALSE(fs::exists(b));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_TRUE(fs::exists(odd));
  EXPECT_EQ(wt::read_text(dir / "out.dll"), "data");
}

// A temp file whose writer is alive (holds the flock, here a child process) is not removed.
TEST(AtomicOutputStale, LiveWritersTempIsKept) {
  wt::TempDir dir;
  auto live = stale(dir.path(), "out.dll", "L1veAb");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const int fd = ::open(live.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) ::_exit(1);
    (void)!::write(ready[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  auto st = wslplug::write_file_atomic(dir / "out.dll", std::string_view("data"));
  EXPECT_TRUE(st);
  EXPECT_TRUE(fs::exists(live));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  // Its writer is gone now: the next run removes it.
  st = wslplug::write_file_atomic(dir / "out.dll", std::string_view("data2"), {.overwrite = true});
  EXPECT_TRUE(st);
  EXPECT_FALSE(fs::exists(live));
}

// An open AtomicOutput holds its lock: a second writer of the same target keeps it.
TEST(AtomicOutputStale, ConcurrentOutputsDoNotRemoveEachOther) {
  wt::TempDir dir;
  auto first = wslplug::AtomicOutput::create(dir / "out.dll");
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->write(std::string_view("one")));
  auto second = wslplug::AtomicOutput::create(dir / "out.dll");
  ASSERT_TRUE(second);
  EXPECT_TRUE(fs::exists(first->temp_path()));
  ASSERT_TRUE(first->commit());
  EXPECT_EQ(wt::read_text(dir / "out.dll"), "one");
  EXPECT_TRUE(wt::stray_temp_files(dir.path()).size() == 1u);  // second's, still open
}

// A killed `wslplug sign -o` leaves its temp file; the next sign of the same target removes it.
TEST(AtomicOutputStale, SignAfterKilledSignLeavesNoTempFile) {
  wt::TempDir dir;
  auto stale_sign = stale(dir.path(), "signed.dll", "k1lled");
  auto dll = wt::copy_to(wt::build_dll({.name = "atomic-stale-x64"}), dir.path(), "plugin.dll");
  auto r = wt::wslplug({"cert", "new", "--out-dir", (dir / "certs").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  r = wt::wslplug({"sign", dll.string(), "--cert", (dir / "certs" / "cert.pem").string(), "--key",
                   (dir / "certs" / "key.pem").string(), "-o", (dir / "signed.dll").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_FALSE(fs::exists(stale_sign));
  EXPECT_TRUE(wt::stray_temp_files(dir.path()).empty());
}

// ---- what an output replaces, and the mode of a new one ----------------------------------------

namespace {

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

}  // namespace

// Replacing through a symbolic link replaces the file it names (beside that file, keeping its
// mode) and leaves the link a link; the link's own mode (0777) is never copied.
TEST(AtomicOutputTarget, SymlinkIsFollowedAndStaysALink) {
  wt::TempDir dir;
  fs::create_directories(dir / "real");
  const auto file = dir / "real" / "plugin.dll";
  wt::write_text(file, "old");
  ASSERT_EQ(::chmod(file.c_str(), 0640), 0);
  const auto link = dir / "link.dll";
  fs::create_symlink(file, link);
  wslplug::OutputOptions o{.overwrite = true, .keep_mode_of_existing = true};
  auto st = wslplug::write_file_atomic(link, std::string_view("new"), o);
  ASSERT_TRUE(st) << st.error().describe();
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(fs::read_symlink(link), file);
  EXPECT_EQ(wt::read_text(file), "new");
  EXPECT_EQ(mode_of(file), 0640u);
  EXPECT_TRUE(wt::stray_temp_files(dir.path()).empty());
  EXPECT_TRUE(wt::stray_temp_files(dir / "real").empty());
  // A relative link through another link works the same.
  const auto link2 = dir / "link2.dll";
  fs::create_symlink("link.dll", link2);
  ASSERT_TRUE(wslplug::write_file_atomic(link2, std::string_view("newer"), o));
  EXPECT_EQ(wt::read_text(file), "newer");
  EXPECT_TRUE(fs::is_symlink(link2));
}

// A dangling link, a FIFO and a directory are refused (input errors), and nothing is created.
TEST(AtomicOutputTarget, DanglingLinkFifoAndDirectoryAreRefused) {
  wt::TempDir dir;
  const auto dangling = dir / "dangling.dll";
  fs::create_symlink(dir / "missing.dll", dangling);
  wslplug::OutputOptions o{.overwrite = true};
  auto a = wslplug::write_file_atomic(dangling, std::string_view("x"), o);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().kind, wslplug::ErrorKind::kInput);
  EXPECT_NE(a.error().message.find("does not exist"), std::string::npos) << a.error().message;
  EXPECT_FALSE(fs::exists(dir / "missing.dll"));
  EXPECT_TRUE(fs::is_symlink(dangling));
  const auto fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  auto b = wslplug::write_file_atomic(fifo, std::string_view("x"), o);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("not a regular file"), std::string::npos);
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_TRUE(wt::stray_temp_files(dir.path()).empty());
}

// New files get 0666 & ~umask (private keys 0600 & ~umask): umask 077 gives 0600, 022 gives
// 0644, 002 gives 0664.
TEST(AtomicOutputTarget, NewFilesHonourTheUmask) {
  wt::TempDir dir;
  const mode_t saved = ::umask(077);
  ASSERT_TRUE(wslplug::write_file_atomic(dir / "a", std::string_view("x")));
  ::umask(022);
  ASSERT_TRUE(wslplug::write_file_atomic(dir / "b", std::string_view("x")));
  ::umask(002);
  ASSERT_TRUE(wslplug::write_file_atomic(dir / "c", std::string_view("x")));
  ASSERT_TRUE(wslplug::write_file_atomic(dir / "key", std::string_view("x"),
                                         wslplug::OutputOptions{.mode = 0600}));
  ::umask(saved);
  EXPECT_EQ(mode_of(dir / "a"), 0600u);
  EXPECT_EQ(mode_of(dir / "b"), 0644u);
  EXPECT_EQ(mode_of(dir / "c"), 0664u);
  EXPECT_EQ(mode_of(dir / "key"), 0600u);
}

// The commands that rewrite a DLL in place (sign, unsign) follow a symlink the same way, and
// `sign -o` under umask 077 writes a 0600 file.
TEST(AtomicOutputTarget, SignAndUnsignInPlaceThroughASymlink) {
  WSLPLUG_REQUIRE_TOOL("openssl");
  wt::TempDir dir;
  const auto dll = wt::copy_to(wt::build_dll({.name = "signed-x64"}), dir.path(), "real.dll");
  ASSERT_EQ(::chmod(dll.c_str(), 0750), 0);
  auto cert = wt::wslplug({"cert", "new", "--out-dir", (dir / "c").string()});
  ASSERT_EQ(cert.rc, 0) << cert.both();
  const auto link = dir / "link.dll";
  fs::create_symlink("real.dll", link);
  auto r = wt::wslplug({"sign", link.string(), "--cert", (dir / "c" / "cert.pem").string(), "--key",
                        (dir / "c" / "key.pem").string(), "--in-place"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(mode_of(dll), 0750u);
  EXPECT_EQ(wt::wslplug({"verify", dll.string(), "--ca", (dir / "c" / "cert.pem").string()}).rc, 0);
  r = wt::wslplug({"unsign", link.string(), "--in-place"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(mode_of(dll), 0750u);
  EXPECT_EQ(wt::wslplug({"verify", dll.string()}).rc, 1);  // unsigned again
  EXPECT_TRUE(wt::stray_temp_files(dir.path()).empty());

  auto u =
      wt::sh("umask 077 && '" + wt::wslplug_bin() + "' sign '" + dll.string() + "' --cert '" +
             (dir / "c" / "cert.pem").string() + "' --key '" + (dir / "c" / "key.pem").string() +
             "' -o '" + (dir / "private.dll").string() + "'");
  ASSERT_EQ(u.rc, 0) << u.both();
  EXPECT_EQ(mode_of(dir / "private.dll"), 0600u);
}
