// Fd, the owner of a file descriptor: moves hand the descriptor on, release gives it up, reset and
// close close it (once), and pipes and socket pairs come as two owned, close-on-exec ends. Every
// test checks /proc/self/fd: nothing an Fd owned is left open after it.
#include "wslplug/core/fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>

namespace wslplug {
namespace {

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

Fd open_null() { return Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

TEST(Fd, EmptyByDefault) {
  const Fd fd;
  EXPECT_FALSE(fd.valid());
  EXPECT_FALSE(fd);
  EXPECT_EQ(fd.get(), -1);
  const Fd negative(-5);
  EXPECT_EQ(negative.get(), -1);
}

TEST(Fd, ClosesWhenDestroyed) {
  const std::size_t before = open_descriptors();
  int raw = -1;
  {
    const Fd fd = open_null();
    ASSERT_TRUE(fd);
    raw = fd.get();
    EXPECT_TRUE(is_open(raw));
    EXPECT_EQ(open_descriptors(), before + 1);
  }
  EXPECT_FALSE(is_open(raw));
  EXPECT_EQ(open_descriptors(), before);
}

TEST(Fd, MoveHandsTheDescriptorOn) {
  const std::size_t before = open_descriptors();
  {
    Fd a = open_null();
    const int raw = a.get();
    Fd b(std::move(a));
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    EXPECT_EQ(b.get(), raw);
    Fd c = open_null();
    const int other = c.get();
    c = std::move(b);  // c's own descriptor is closed, b's is now c's
    EXPECT_EQ(c.get(), raw);
    EXPECT_FALSE(is_open(other));
    EXPECT_TRUE(is_open(raw));
    c = std::move(c);  // self-move keeps it
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_EQ(open_descriptors(), before);
}

TEST(Fd, ReleaseGivesUpOwnership) {
  const std::size_t before = open_descriptors();
  int raw = -1;
  {
    Fd fd = open_null();
    raw = fd.release();
    EXPECT_FALSE(fd);
  }
  EXPECT_TRUE(is_open(raw));
  Fd again(raw);
  EXPECT_EQ(again.close(), 0);
  EXPECT_EQ(open_descriptors(), before);
}

TEST(Fd, ResetClosesTheOldDescriptor) {
  const std::size_t before = open_descriptors();
  Fd fd = open_null();
  const int first = fd.get();
  Fd second = open_null();
  const int raw = second.release();
  fd.reset(raw);
  EXPECT_FALSE(is_open(first));
  EXPECT_EQ(fd.get(), raw);
  fd.reset(raw);  // the same descriptor again: kept, not closed
  EXPECT_TRUE(is_open(raw));
  fd.reset();
  EXPECT_FALSE(fd);
  EXPECT_FALSE(is_open(raw));
  EXPECT_EQ(open_descriptors(), before);
}

TEST(Fd, CloseTwiceIsHarmless) {
  const std::size_t before = open_descriptors();
  Fd fd = open_null();
  const int raw = fd.get();
  EXPECT_EQ(fd.close(), 0);
  EXPECT_FALSE(fd);
  EXPECT_FALSE(is_open(raw));
  EXPECT_EQ(fd.close(), 0);  // nothing left to close
  EXPECT_EQ(open_descriptors(), before);
}

TEST(Fd, CloseReportsTheErrorOfCloseItself) {
  // A descriptor someone else already closed: close(2) says EBADF, and the Fd is empty after.
  Fd fd = open_null();
  Fd(fd.get()).reset();  // a second owner closes it behind fd's back
  EXPECT_EQ(fd.close(), EBADF);
  EXPECT_FALSE(fd);
}

TEST(Fd, PipeRoundTrip) {
  const std::size_t before = open_descriptors();
  {
    auto p = open_pipe();
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(open_descriptors(), before + 2);
    EXPECT_TRUE(::fcntl(p->read.get(), F_GETFD) & FD_CLOEXEC);
    EXPECT_TRUE(::fcntl(p->write.get(), F_GETFD) & FD_CLOEXEC);
    const std::string text = "through the pipe";
    ASSERT_EQ(::write(p->write.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
    EXPECT_EQ(p->write.close(), 0);  // the reader sees end of file after the text
    std::string got;
    char buf[64];
    for (ssize_t n; (n = ::read(p->read.get(), buf, sizeof buf)) > 0;)
      got.append(buf, static_cast<std::size_t>(n));
    EXPECT_EQ(got, text);
  }
  EXPECT_EQ(open_descriptors(), before);
}

TEST(Fd, PipeFlags) {
  auto p = open_pipe(O_NONBLOCK);
  ASSERT_TRUE(p);
  EXPECT_TRUE(::fcntl(p->read.get(), F_GETFL) & O_NONBLOCK);
  char c;
  EXPECT_EQ(::read(p->read.get(), &c, 1), -1);
  EXPECT_EQ(errno, EAGAIN);
}

TEST(Fd, SocketPairRoundTrip) {
  const std::size_t before = open_descriptors();
  {
    auto s = open_socketpair(SOCK_SEQPACKET);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(::fcntl(s->first.get(), F_GETFD) & FD_CLOEXEC);
    EXPECT_TRUE(::fcntl(s->second.get(), F_GETFD) & FD_CLOEXEC);
    ASSERT_EQ(::send(s->first.get(), "ping", 4, 0), 4);
    char buf[8] = {};
    EXPECT_EQ(::recv(s->second.get(), buf, sizeof buf, 0), 4);
    EXPECT_EQ(std::string(buf), "ping");
    ASSERT_EQ(::send(s->second.get(), "pong", 4, 0), 4);
    EXPECT_EQ(::recv(s->first.get(), buf, sizeof buf, 0), 4);
    EXPECT_EQ(std::string(buf, 4), "pong");
  }
  EXPECT_EQ(open_descriptors(), before);
}

}  // namespace
}  // namespace wslplug
