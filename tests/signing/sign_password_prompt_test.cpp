// Password prompts: with no --*-password-env/-file option, `sign` asks on the terminal (a real
// pseudo-terminal driven by the test), never echoes the password, and without a terminal fails
// with an error that names the options.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "support.hpp"

namespace wt = wslplug::test;

namespace {

// Runs argv on a fresh pseudo-terminal (its controlling terminal, stdin, stdout and stderr),
// waits until the terminal shows `prompt`, types `typed` and a newline, and collects everything
// the terminal showed until the program exits. No sleeping: the answer is typed only once the
// program asks. Fails the test (rc -1) when the prompt does not appear within 60 s.
wt::RunResult on_terminal(const std::vector<std::string>& argv, const std::string& prompt,
                          const std::string& typed) {
  wt::RunResult r;
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    ADD_FAILURE() << "cannot open a pseudo-terminal";
    return r;
  }
  const std::string slave_name = ::ptsname(master);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    const int slave = ::open(slave_name.c_str(), O_RDWR);
    ::ioctl(slave, TIOCSCTTY, 0);
    ::dup2(slave, 0);
    ::dup2(slave, 1);
    ::dup2(slave, 2);
    ::close(master);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool typed_yet = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{master, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      ADD_FAILURE() << "no " << (typed_yet ? "exit" : "prompt") << " within 60 s: " << r.out;
      ::kill(pid, SIGKILL);
      break;
    }
    char buf[4096];
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO: the program exited and closed the terminal
    r.out.append(buf, static_cast<std::size_t>(n));
    if (!typed_yet && r.out.find(prompt) != std::string::npos) {
      const std::string line = typed + "\n";
      if (::write(master, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        ADD_FAILURE() << "cannot type on the terminal";
      typed_yet = true;
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (!typed_yet) ADD_FAILURE() << "the prompt \"" << prompt << "\" never appeared: " << r.out;
  return r;
}

class SignPrompt : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = wt::wslplug({"cert", "new", "--out-dir", (tmp_ / "c").string()});
    ASSERT_EQ(r.rc, 0) << r.both();
    auto enc = wt::run({"openssl", "pkey", "-in", (tmp_ / "c/key.pem").string(), "-aes256",
                        "-passout", "pass:s3cret-pw", "-out", (tmp_ / "enc.pem").string()});
    ASSERT_EQ(enc.rc, 0) << enc.both();
    auto p12 = wt::run({"openssl", "pkcs12", "-export", "-inkey", (tmp_ / "c/key.pem").string(),
                        "-in", (tmp_ / "c/cert.pem").string(), "-passout", "pass:p12-pw", "-out",
                        (tmp_ / "s.pfx").string()});
    ASSERT_EQ(p12.rc, 0) << p12.both();
    dll_ = wt::copy_to(wt::build_dll({.name = "prompt-x64"}), tmp_.path(), "a.dll");
  }
  std::vector<std::string> sign_cmd(const std::vector<std::string>& creds, const std::string& out) {
    std::vector<std::string> argv{wt::wslplug_bin(), "sign", dll_.string()};
    argv.insert(argv.end(), creds.begin(), creds.end());
    argv.insert(argv.end(), {"-o", (tmp_ / out).string()});
    return argv;
  }
  wt::TempDir tmp_;
  wt::fs::path dll_;
};

}  // namespace

TEST_F(SignPrompt, EncryptedPemKeyAsksOnTheTerminal) {
  const std::vector<std::string> creds = {"--cert", (tmp_ / "c/cert.pem").string(), "--key",
                                          (tmp_ / "enc.pem").string()};
  const std::string prompt = "Password for " + (tmp_ / "enc.pem").string() + ": ";
  auto r = on_terminal(sign_cmd(creds, "ok.dll"), prompt, "s3cret-pw");
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.out.find("Password for"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("s3cret-pw"), std::string::npos) << "password echoed: " << r.out;
  EXPECT_TRUE(wt::fs::exists(tmp_ / "ok.dll"));
  auto v =
      wt::wslplug({"verify", (tmp_ / "ok.dll").string(), "--ca", (tmp_ / "c/cert.pem").string()});
  EXPECT_EQ(v.rc, 0) << v.both();

  // A wrong password typed at the prompt: input error, nothing written.
  r = on_terminal(sign_cmd(creds, "bad.dll"), prompt, "wrong");
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_FALSE(wt::fs::exists(tmp_ / "bad.dll"));

  // No terminal (CI): no prompt, an error naming the options.
  auto n = wt::wslplug({"sign", dll_.string(), "--cert", (tmp_ / "c/cert.pem").string(), "--key",
                        (tmp_ / "enc.pem").string(), "-o", (tmp_ / "n.dll").string()});
  EXPECT_EQ(n.rc, 2) << n.both();
  EXPECT_NE(n.err.find("--key-password-env"), std::string::npos) << n.err;
  EXPECT_FALSE(wt::fs::exists(tmp_ / "n.dll"));
  EXPECT_TRUE(wt::stray_temp_files(tmp_.path()).empty());
}

TEST_F(SignPrompt, PasswordProtectedPfxAsksOnTheTerminal) {
  const std::vector<std::string> creds = {"--pfx", (tmp_ / "s.pfx").string()};
  auto r = on_terminal(sign_cmd(creds, "ok.dll"),
                       "Password for " + (tmp_ / "s.pfx").string() + ": ", "p12-pw");
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(r.out.find("p12-pw"), std::string::npos) << "password echoed: " << r.out;
  EXPECT_TRUE(wt::fs::exists(tmp_ / "ok.dll"));
  auto n = wt::wslplug(
      {"sign", dll_.string(), "--pfx", (tmp_ / "s.pfx").string(), "-o", (tmp_ / "n.dll").string()});
  EXPECT_EQ(n.rc, 2) << n.both();
  EXPECT_FALSE(wt::fs::exists(tmp_ / "n.dll"));
}
