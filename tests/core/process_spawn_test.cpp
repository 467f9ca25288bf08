// process::spawn: the child's whole environment or additions, its descriptors exactly as mapped,
// its own session, and start failures as errors.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "wslplug/core/process.hpp"

namespace wslplug::process {
namespace {

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

int wait_for(const Child& c) {
  pollfd p{c.pidfd.get(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 10000), 1);
  int status = 0;
  EXPECT_EQ(::waitpid(c.pid, &status, 0), c.pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(ProcessSpawn, MapsDescriptorsSetsTheEnvironmentAndStartsASession) {
  int out[2], extra[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(extra, O_CLOEXEC), 0);
  SpawnOptions o;
  o.environment = std::vector<std::string>{"ONLY=1"};
  o.fds = {{1, extra[1]}, {5, out[1]}};  // crossed on purpose
  o.new_session = true;
  o.cwd = "/";
  auto c = spawn({"/bin/sh", "-c",
                  "echo fd5 >&5; echo fd1; tr '\\0' ' ' < /proc/$$/environ >&5; "
                  "test $(cut -d' ' -f6 /proc/$$/stat) -eq $$ && echo session >&5; "
                  "test -e /proc/$$/fd/3 || echo no-fd3 >&5; pwd >&5"},
                 o);
  ::close(out[1]);
  ::close(extra[1]);
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  EXPECT_EQ(read_all(out[0]), "fd5\nONLY=1 session\nno-fd3\n/\n");
  EXPECT_EQ(read_all(extra[0]), "fd1\n");
  EXPECT_EQ(wait_for(*c), 0);
  ::close(out[0]);
  ::close(extra[0]);
}

TEST(ProcessSpawn, AddsToTheEnvironmentAndReportsStartFailures) {
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  SpawnOptions o;
  o.env = {{"WSLPLUG_SPAWN_TEST", "yes"}};
  o.fds = {{1, out[1]}};
  auto c = spawn({"sh", "-c", "echo $WSLPLUG_SPAWN_TEST; exit 3"}, o);
  ::close(out[1]);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(read_all(out[0]), "yes\n");
  EXPECT_EQ(wait_for(*c), 3);
  ::close(out[0]);
  EXPECT_FALSE(spawn({"/no/such/program"}, {}).has_value());
  SpawnOptions bad_cwd;
  bad_cwd.cwd = "/no/such/dir";
  auto d = spawn({"/bin/true"}, bad_cwd);
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message.find("cannot enter directory"), std::string::npos);
}

}  // namespace
}  // namespace wslplug::process
