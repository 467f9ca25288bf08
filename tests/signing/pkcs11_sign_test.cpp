// `wslplug sign --pkcs11-module` against a real software token: SoftHSM2 with its own
// configuration in the test's temp dir, the test keys imported with softhsm2-util and the
// certificates with pkcs11-tool (OpenSC). Signatures are checked by osslsigncode and against
// the key-file signature byte for byte (RSA).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pki.hpp"
#include "support.hpp"

namespace wt = wslplug::test;

namespace {

constexpr const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";
constexpr const char* kPin = "4711";

class Pkcs11SignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WSLPLUG_REQUIRE_TOOL("softhsm2-util");
    WSLPLUG_REQUIRE_TOOL("pkcs11-tool");
    WSLPLUG_REQUIRE_TOOL("osslsigncode");
    ASSERT_TRUE(wt::fs::exists(kModule)) << kModule << " is missing: run scripts/setup";
    wt::fs::create_directories(tmp_ / "tokens");
    wt::write_text(tmp_ / "softhsm2.conf",
                   fmt::format("directories.tokendir = {}\nobjectstore.backend = file\n"
                               "log.level = ERROR\n",
                               (tmp_ / "tokens").string()));
    env_ = {{"SOFTHSM2_CONF", (tmp_ / "softhsm2.conf").string()}, {"TOKEN_PIN", kPin}};
    auto init = wt::run({"softhsm2-util", "--init-token", "--free", "--label", "release", "--pin",
                         kPin, "--so-pin", "123456"},
                        env_);
    ASSERT_EQ(init.rc, 0) << init.both();
    rsa_ = wt::make_cert(tmp_.path(), "rsa");
    ec_ = wt::make_cert(tmp_.path(), "ec", {.cn = "ec signer", .key = "ec-p256"});
    other_ = wt::make_cert(tmp_.path(), "other", {.cn = "someone else"});
    ASSERT_FALSE(rsa_.cert.empty());
    ASSERT_FALSE(ec_.cert.empty());
    import(rsa_, "signer", "01", /*with_cert=*/true);
    import(ec_, "ecsigner", "02", /*with_cert=*/true);
    import(other_, "nocert", "03", /*with_cert=*/false);
    dll_ = wt::copy_to(wt::build_dll({.name = "pkcs11-x64"}), tmp_.path());
    ASSERT_FALSE(dll_.empty());
  }
  void import(const wt::CertPair& pair, const std::string& label, const std::string& id,
              bool with_cert) {
    const auto p8 = tmp_ / (label + ".p8");
    ASSERT_EQ(wt::run({"openssl", "pkcs8", "-topk8", "-nocrypt", "-in", pair.key.string(), "-out",
                       p8.string()})
                  .rc,
              0);
    auto r = wt::run({"softhsm2-util", "--import", p8.string(), "--token", "release", "--label",
                      label, "--id", id, "--pin", kPin},
                     env_);
    ASSERT_EQ(r.rc, 0) << r.both();
    if (!with_cert) return;
    const auto der = tmp_ / (label + ".der");
    ASSERT_EQ(wt::run({"openssl", "x509", "-in", pair.cert.string(), "-outform", "DER", "-out",
                       der.string()})
                  .rc,
              0);
    r = wt::run(
        {"pkcs11-tool", "--module", kModule, "--token-label", "release", "--login", "--pin", kPin,
         "--write-object", der.string(), "--type", "cert", "--id", id, "--label", label},
        env_);
    ASSERT_EQ(r.rc, 0) << r.both();
  }
  wt::RunResult sign(const std::string& uri, const wt::fs::path& out,
                     std::vector<std::string> extra = {},
                     std::map<std::string, std::string> env = {}) {
    std::vector<std::string> args = {"sign", dll_.string(), "--pkcs11-module", kModule, "--key",
                                     uri,    "-o",          out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    for (const auto& [k, v] : env_) env.emplace(k, v);
    return wt::wslplug(args, env);
  }
  wt::RunResult verify(const wt::fs::path& out, const wt::fs::path& ca) {
    return wt::run({"osslsigncode", "verify", "-CAfile", ca.string(), "-in", out.string()});
  }
  wt::TempDir tmp_;
  std::map<std::string, std::string> env_;
  wt::CertPair rsa_, ec_, other_;
  wt::fs::path dll_;
};

TEST_F(Pkcs11SignTest, RsaTokenKeyIsByteIdenticalToKeyFile) {
  const auto ref = tmp_ / "ref.dll";
  auto r = wt::wslplug({"sign", dll_.string(), "--cert", rsa_.cert.string(), "--key",
                        rsa_.key.string(), "--time", "1700000000", "-o", ref.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  // Certificate from the token.
  const auto out = tmp_ / "token.dll";
  r = sign("pkcs11:token=release;object=signer", out,
           {"--pin-env", "TOKEN_PIN", "--time", "1700000000"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::read_bytes(out), wt::read_bytes(ref)) << "token signature differs from key file";
  auto v = verify(out, rsa_.cert);
  EXPECT_EQ(v.rc, 0) << v.both();
  // Certificate from --cert, key by id, PIN from a file.
  const auto pin_file = tmp_ / "pin.txt";
  wt::write_text(pin_file, std::string(kPin) + "\n");
  const auto out2 = tmp_ / "token-id.dll";
  r = sign("pkcs11:token=release;id=%01;type=private", out2,
           {"--pin-file", pin_file.string(), "--cert", rsa_.cert.string(), "--time", "1700000000"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::read_bytes(out2), wt::read_bytes(ref));
}

TEST_F(Pkcs11SignTest, EcdsaTokenKeyVerifies) {
  const auto out = tmp_ / "ec.dll";
  auto r = sign("pkcs11:token=release;object=ecsigner", out, {"--pin-env", "TOKEN_PIN"});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto v = verify(out, ec_.cert);
  EXPECT_EQ(v.rc, 0) << v.both();
  auto w = wt::wslplug({"verify", out.string(), "--ca", ec_.cert.string()});
  EXPECT_EQ(w.rc, 0) << w.both();
}

TEST_F(Pkcs11SignTest, KeyWithoutCertificateTakesCert) {
  const auto out = tmp_ / "nocert.dll";
  auto r = sign("pkcs11:token=release;object=nocert", out, {"--pin-env", "TOKEN_PIN"});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("holds no certificate"), std::string::npos) << r.err;
  EXPECT_FALSE(wt::fs::exists(out));
  r = sign("pkcs11:token=release;object=nocert", out,
           {"--pin-env", "TOKEN_PIN", "--cert", other_.cert.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(verify(out, other_.cert).rc, 0);
}

TEST_F(Pkcs11SignTest, RefusedWithClearErrors) {
  struct Case {
    std::string name, uri;
    std::vector<std::string> extra;
    std::map<std::string, std::string> env;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"wrong pin",
       "pkcs11:token=release;object=signer",
       {"--pin-env", "BAD_PIN"},
       {{"BAD_PIN", "0000"}},
       "wrong PIN for token 'release'"},
      {"no pin", "pkcs11:token=release;object=signer", {}, {}, "needs its user PIN"},
      {"missing object",
       "pkcs11:token=release;object=absent",
       {"--pin-env", "TOKEN_PIN"},
       {},
       "has no private key 'absent' (its private keys:"},
      {"missing token",
       "pkcs11:token=elsewhere;object=signer",
       {"--pin-env", "TOKEN_PIN"},
       {},
       "no token matches"},
      {"pin in uri", "pkcs11:token=release;object=signer?pin-value=4711", {}, {}, "carries a PIN"},
      {"not a uri",
       "pkcs11-token-signer",
       {"--pin-env", "TOKEN_PIN"},
       {},
       "needs --key as a PKCS#11 URI"},
      {"cert of another key",
       "pkcs11:token=release;object=signer",
       {"--pin-env", "TOKEN_PIN", "--cert", "OTHER"},
       {},
       "no certificate in"},
  };
  for (auto c : cases) {
    for (auto& e : c.extra)
      if (e == "OTHER") e = other_.cert.string();
    const auto out = tmp_ / "bad.dll";
    auto r = sign(c.uri, out, c.extra, c.env);
    EXPECT_EQ(r.rc, 2) << c.name << "\n" << r.both();
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.name << "\n" << r.err;
    EXPECT_NE(r.err.find("fix:"), std::string::npos) << c.name;
    EXPECT_EQ(r.both().find(kPin), std::string::npos) << c.name << ": the PIN was printed";
    EXPECT_FALSE(wt::fs::exists(out)) << c.name;
  }
  // A module that does not exist, and a file that is not a module.
  for (const std::string& module : {(tmp_ / "missing.so").string(), rsa_.cert.string()}) {
    const auto out = tmp_ / "bad.dll";
    auto r = wt::wslplug(
        {"sign", dll_.string(), "--pkcs11-module", module, "--key",
         "pkcs11:token=release;object=signer", "--pin-env", "TOKEN_PIN", "-o", out.string()},
        env_);
    EXPECT_EQ(r.rc, 2) << module << "\n" << r.both();
    EXPECT_NE(r.err.find(module), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--pkcs11-module"), std::string::npos) << r.err;
    EXPECT_FALSE(wt::fs::exists(out));
  }
}

}  // namespace
