// AtomicOutput and killed runs: the temp file of a run that was killed is removed by the next
// run on the same target, while a temp file another live writer holds (flock) is left alone,
// and temp files of other targets are never touched. The 100-SIGKILL measurement is
// bench/kill-temp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
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
