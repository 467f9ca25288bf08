// Password prompts: with no --*-password-env/-file option, `sign` asks on the terminal (a real
// pseudo-terminal from util-linux `script`), never echoes the password, and without a terminal
// fails with an error that names the options.
#include <gtest/gtest.h>

#include "support.hpp"

namespace wt = wslplug::test;

namespace {

// Runs `command` under a pseudo-terminal, typing `typed` after a short delay.
wt::RunResult on_terminal(const std::string& command, const std::string& typed) {
  return wt::run(
      {"/bin/sh", "-c", "(sleep 1; printf '%s\\n' \"$TYPED\") | script -qec \"$CMD\" /dev/null"},
      {{"CMD", command}, {"TYPED", typed}});
}

class SignPrompt : public ::testing::Test {
 protected:
  void SetUp() override {
    WSLPLUG_REQUIRE_TOOL("script");
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
  std::string sign_cmd(const std::string& creds, const std::string& out) {
    return wt::wslplug_bin() + " sign " + dll_.string() + " " + creds + " -o " +
           (tmp_ / out).string();
  }
  wt::TempDir tmp_;
  wt::fs::path dll_;
};

}  // namespace

TEST_F(SignPrompt, EncryptedPemKeyAsksOnTheTerminal) {
  const std::string creds =
      "--cert " + (tmp_ / "c/cert.pem").string() + " --key " + (tmp_ / "enc.pem").string();
  auto r = on_terminal(sign_cmd(creds, "ok.dll"), "s3cret-pw");
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.out.find("Password for"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("s3cret-pw"), std::string::npos) << "password echoed: " << r.out;
  EXPECT_TRUE(wt::fs::exists(tmp_ / "ok.dll"));
  auto v =
      wt::wslplug({"verify", (tmp_ / "ok.dll").string(), "--ca", (tmp_ / "c/cert.pem").string()});
  EXPECT_EQ(v.rc, 0) << v.both();

  // A wrong password typed at the prompt: input error, nothing written.
  r = on_terminal(sign_cmd(creds, "bad.dll"), "wrong");
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
  const std::string creds = "--pfx " + (tmp_ / "s.pfx").string();
  auto r = on_terminal(sign_cmd(creds, "ok.dll"), "p12-pw");
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(r.out.find("p12-pw"), std::string::npos) << "password echoed: " << r.out;
  EXPECT_TRUE(wt::fs::exists(tmp_ / "ok.dll"));
  auto n = wt::wslplug(
      {"sign", dll_.string(), "--pfx", (tmp_ / "s.pfx").string(), "-o", (tmp_ / "n.dll").string()});
  EXPECT_EQ(n.rc, 2) << n.both();
  EXPECT_FALSE(wt::fs::exists(tmp_ / "n.dll"));
}
