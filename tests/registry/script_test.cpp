// The install script of `register --ps1`: PowerShell quoting and the certificate it trusts,
// loaded and checked against openssl.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support.hpp"
#include "wslplug/registry/registration.hpp"

namespace wt = wslplug::test;
namespace reg = wslplug::reg;

TEST(RegistryScript, QuotesPowerShellStrings) {
  EXPECT_EQ(reg::ps_quote("plain"), "'plain'");
  EXPECT_EQ(reg::ps_quote("it's"), "'it''s'");
  EXPECT_EQ(reg::ps_quote("$(calc) `n \"x\""), "'$(calc) `n \"x\"'");
  EXPECT_EQ(reg::ps_quote("a\u2019b\u2018c\u201bd"), "'a\u2019\u2019b\u2018\u2018c\u201b\u201bd'");
  EXPECT_EQ(reg::ps_quote("\u201c"), "'\u201c'");  // a double quote variant is not special
}

TEST(RegistryScript, LoadsCertificatesLikeOpenssl) {
  WSLPLUG_REQUIRE_TOOL("openssl");
  wt::TempDir tmp;
  auto gen = wt::run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                      (tmp / "key.pem").string(), "-out", (tmp / "cert.pem").string(), "-days", "2",
                      "-subj", "/CN=wslplug registry test/O=Tests", "-addext",
                      "extendedKeyUsage=codeSigning"});
  ASSERT_EQ(gen.rc, 0) << gen.both();
  auto der = wt::run({"openssl", "x509", "-in", (tmp / "cert.pem").string(), "-outform", "DER",
                      "-out", (tmp / "cert.cer").string()});
  ASSERT_EQ(der.rc, 0) << der.both();
  auto fp = wt::run(
      {"openssl", "x509", "-in", (tmp / "cert.pem").string(), "-noout", "-fingerprint", "-sha1"});
  ASSERT_EQ(fp.rc, 0);
  std::string expected = fp.out.substr(fp.out.find('=') + 1);
  std::erase(expected, ':');
  std::erase(expected, '\n');
  for (const char* f : {"cert.pem", "cert.cer"}) {
    auto c = reg::load_trust_cert(tmp / f);
    ASSERT_TRUE(c) << c.error().describe();
    EXPECT_EQ(c->thumbprint, expected) << f;
    EXPECT_NE(c->subject.find("CN=wslplug registry test"), std::string::npos) << c->subject;
    auto raw = wt::read_bytes(tmp / "cert.cer");
    ASSERT_EQ(c->der.size(), raw.size());
    EXPECT_TRUE(std::equal(raw.begin(), raw.end(), c->der.begin(), [](std::byte a, std::uint8_t b) {
      return std::to_integer<std::uint8_t>(a) == b;
    }));
  }
  // A private key, a PKCS#12 bundle, a PEM bundle with a key, and junk are refused.
  auto p12 = wt::run({"openssl", "pkcs12", "-export", "-in", (tmp / "cert.pem").string(), "-inkey",
                      (tmp / "key.pem").string(), "-out", (tmp / "cert.pfx").string(), "-passout",
                      "pass:"});
  ASSERT_EQ(p12.rc, 0) << p12.both();
  wt::write_text(tmp / "both.pem",
                 wt::read_text(tmp / "cert.pem") + wt::read_text(tmp / "key.pem"));
  wt::write_text(tmp / "junk.cer", "not a certificate");
  for (const char* f : {"key.pem", "cert.pfx", "both.pem", "junk.cer"}) {
    auto c = reg::load_trust_cert(tmp / f);
    ASSERT_FALSE(c) << f;
    EXPECT_EQ(c.error().kind, wslplug::ErrorKind::kInput) << f;
    EXPECT_EQ(c.error().where, "--trust-cert");
    EXPECT_FALSE(c.error().fix.empty());
  }
  EXPECT_NE(reg::load_trust_cert(tmp / "cert.pfx").error().message.find("PKCS#12"),
            std::string::npos);
}
