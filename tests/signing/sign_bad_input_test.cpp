// Every bad input for sign, verify and unsign: a clear message naming the file and
// the defect, a non-zero exit, the input unchanged, no output and no temp file left behind.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pki.hpp"
#include "support.hpp"
#include "wslplug/core/pe.hpp"

namespace wt = wslplug::test;
namespace pe = wslplug::pe;

namespace {

struct BadFile {
  std::string name;
  std::vector<std::byte> bytes;
  std::string defect;  // a phrase the error must contain
};

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WSLPLUG_REQUIRE_TOOL("openssl");
    signer_ = wt::make_cert(tmp_.path(), "signer");
    ASSERT_FALSE(signer_.cert.empty());
    good_ = wt::read_bytes(wt::build_dll({.name = "bad-base-x64"}));
    const auto work = tmp_ / "signed-base.dll";
    auto r =
        wt::wslplug({"sign", wt::build_dll({.name = "bad-base-x64"}).string(), "--cert",
                     signer_.cert.string(), "--key", signer_.key.string(), "-o", work.string()});
    ASSERT_EQ(r.rc, 0) << r.both();
    signed_ = wt::read_bytes(work);
    wt::fs::remove(work);
  }

  std::vector<BadFile> bad_files() {
    std::vector<BadFile> v;
    v.push_back({"text.dll", std::vector<std::byte>(300, std::byte{'A'}), "MZ"});
    v.push_back({"truncated.dll", {good_.begin(), good_.begin() + 100}, "e_lfanew"});
    auto b = good_;
    pe::put_le32(b.data() + 0x3c, 0x7fffff00);
    v.push_back({"lfanew.dll", b, "e_lfanew"});
    const auto lfanew = pe::le32(good_.data() + 0x3c);
    b = good_;
    pe::put_le16(b.data() + lfanew + 6, 60000);
    v.push_back({"sections.dll", b, "section table"});
    b = good_;
    const auto certdir = lfanew + 24 + 144;
    pe::put_le32(b.data() + certdir, static_cast<std::uint32_t>(good_.size() - 8));
    pe::put_le32(b.data() + certdir + 4, 4096);
    v.push_back({"certdir.dll", b, "beyond the end"});
    b = signed_;
    const auto table = pe::le32(signed_.data() + certdir);
    pe::put_le32(b.data() + table, pe::le32(signed_.data() + table) + 64);
    v.push_back({"wincert-length.dll", b, "overruns"});
    b = signed_;
    for (int i = 0; i < 16; ++i) b.push_back(std::byte{0x42});
    v.push_back({"after-table.dll", b, "follow the certificate table"});
    return v;
  }

  // Runs a command that must fail on `input` and checks the rules.
  void expect_rejected(const std::vector<std::string>& args, const wt::fs::path& input,
                       const wt::fs::path& output, const std::string& defect,
                       const std::string& what) {
    const auto before = wt::sha256_file(input);
    auto r = wt::wslplug(args);
    EXPECT_EQ(r.rc, 2) << what << "\n" << r.both();
    EXPECT_NE(r.err.find(defect), std::string::npos)
        << what << ": error lacks \"" << defect << "\"\n"
        << r.err;
    EXPECT_NE(r.err.find(input.filename().string()), std::string::npos)
        << what << ": error does not name the file\n"
        << r.err;
    EXPECT_EQ(wt::sha256_file(input), before) << what << ": input modified";
    if (!output.empty()) {
      EXPECT_FALSE(wt::fs::exists(output)) << what << ": output created";
    }
    EXPECT_TRUE(wt::stray_temp_files(tmp_.path()).empty()) << what << ": temp file left";
  }

  wt::TempDir tmp_;
  wt::CertPair signer_;
  std::vector<std::byte> good_, signed_;
};

TEST_F(BadInputTest, MalformedImagesAreRejectedBySignVerifyAndUnsign) {
  for (const auto& bad : bad_files()) {
    const auto in = tmp_ / bad.name;
    wt::write_bytes(in, bad.bytes);
    const auto out = tmp_ / ("out-" + bad.name);
    expect_rejected({"sign", in.string(), "--cert", signer_.cert.string(), "--key",
                     signer_.key.string(), "-o", out.string()},
                    in, out, bad.defect, "sign " + bad.name);
    expect_rejected({"sign", in.string(), "--cert", signer_.cert.string(), "--key",
                     signer_.key.string(), "--in-place"},
                    in, {}, bad.defect, "sign --in-place " + bad.name);
    // verify: a file that is no PE image is an input error (2); a PE whose certificate table is
    // malformed is a bad signature (1: the checked thing is bad), named, the input unchanged.
    const bool table_defect = bad.name == "certdir.dll" || bad.name == "wincert-length.dll" ||
                              bad.name == "after-table.dll";
    if (!table_defect) {
      expect_rejected({"verify", in.string(), "--ca", signer_.cert.string()}, in, {}, bad.defect,
                      "verify " + bad.name);
    } else {
      const auto before = wt::sha256_file(in);
      auto r = wt::wslplug({"verify", in.string(), "--ca", signer_.cert.string()});
      EXPECT_EQ(r.rc, 1) << "verify " << bad.name << "\n" << r.both();
      EXPECT_NE(r.both().find(in.filename().string()), std::string::npos) << r.both();
      EXPECT_EQ(wt::sha256_file(in), before) << "verify " << bad.name << ": input modified";
    }
    expect_rejected({"unsign", in.string(), "-o", out.string()}, in, out, bad.defect,
                    "unsign " + bad.name);
  }
}

TEST_F(BadInputTest, BadKeysAreRejected) {
  const auto in = tmp_ / "plugin.dll";
  wt::write_bytes(in, good_);
  const auto out = tmp_ / "signed.dll";
  auto other = wt::make_cert(tmp_.path(), "other", {.cn = "someone else"});
  // Key that does not match the certificate.
  expect_rejected({"sign", in.string(), "--cert", signer_.cert.string(), "--key",
                   other.key.string(), "-o", out.string()},
                  signer_.cert, out, "does not match", "mismatched key");
  // Unreadable key: garbage, and a missing file.
  const auto junk = tmp_ / "junk.key";
  wt::write_text(junk,
                 "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n");
  expect_rejected({"sign", in.string(), "--cert", signer_.cert.string(), "--key", junk.string(),
                   "-o", out.string()},
                  junk, out, "cannot read the private key", "garbage key");
  auto missing = wt::wslplug({"sign", in.string(), "--cert", signer_.cert.string(), "--key",
                              (tmp_ / "nope.key").string(), "-o", out.string()});
  EXPECT_NE(missing.rc, 0);
  EXPECT_NE(missing.err.find("nope.key"), std::string::npos) << missing.err;
  // Encrypted key without a password.
  const auto enc = wt::encrypt_key(signer_.key, tmp_ / "enc.key", "pw");
  expect_rejected({"sign", in.string(), "--cert", signer_.cert.string(), "--key", enc.string(),
                   "-o", out.string()},
                  enc, out, "encrypted", "encrypted key without password");
  // The password variable must exist.
  auto unset =
      wt::wslplug({"sign", in.string(), "--cert", signer_.cert.string(), "--key", enc.string(),
                   "-o", out.string(), "--key-password-env", "WSLPLUG_SURELY_UNSET_VAR"});
  EXPECT_EQ(unset.rc, 2);
  EXPECT_NE(unset.err.find("WSLPLUG_SURELY_UNSET_VAR"), std::string::npos) << unset.err;
  // Certificate file that is not a certificate.
  expect_rejected({"sign", in.string(), "--cert", junk.string(), "--key", signer_.key.string(),
                   "-o", out.string()},
                  junk, out, "no X.509 certificate", "bad certificate");
  EXPECT_FALSE(wt::fs::exists(out));
}

TEST_F(BadInputTest, UsageErrors) {
  const auto in = tmp_ / "plugin.dll";
  wt::write_bytes(in, good_);
  auto r = wt::wslplug(
      {"sign", in.string(), "--cert", signer_.cert.string(), "--key", signer_.key.string()});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--in-place"), std::string::npos) << r.err;
  r = wt::wslplug({"sign", in.string(), "--cert", signer_.cert.string(), "--key",
                   signer_.key.string(), "--in-place", "--hash", "md5"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--hash"), std::string::npos) << r.err;
  r = wt::wslplug({"verify", in.string(), "--ca", (tmp_ / "missing.pem").string()});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("missing.pem"), std::string::npos) << r.err;
  for (const char* cmd : {"sign", "verify", "unsign"}) {
    auto h = wt::wslplug({cmd, "--help"});
    EXPECT_EQ(h.rc, 0);
    EXPECT_NE(h.out.find("Examples:"), std::string::npos) << cmd;
  }
  EXPECT_EQ(wt::read_bytes(in), good_);
}

}  // namespace
