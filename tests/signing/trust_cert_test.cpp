// Certificates to trust (register --ps1 --trust-cert, signing::load_trust_cert): PEM and DER
// read like openssl reads them, re-encoded DER, the SHA-1 thumbprint Windows shows, the subject
// in the library's one name format; anything carrying a private key is refused with a fix.
#include <gtest/gtest.h>

#include <algorithm>

#include "pki.hpp"
#include "support.hpp"
#include "wslplug/signing/signing.hpp"

namespace wt = wslplug::test;
namespace sg = wslplug::signing;

TEST(TrustCert, LoadsCertificatesLikeOpenssl) {
  WSLPLUG_REQUIRE_TOOL("openssl");
  wt::TempDir tmp;
  auto c = wt::make_cert(tmp.path(), "cert", {.cn = "wslplug trust test", .org = "Tests"});
  ASSERT_FALSE(c.cert.empty());
  auto der = wt::run({"openssl", "x509", "-in", c.cert.string(), "-outform", "DER", "-out",
                      (tmp / "cert.cer").string()});
  ASSERT_EQ(der.rc, 0) << der.both();
  auto fp = wt::run({"openssl", "x509", "-in", c.cert.string(), "-noout", "-fingerprint", "-sha1"});
  ASSERT_EQ(fp.rc, 0);
  std::string expected = fp.out.substr(fp.out.find('=') + 1);
  std::erase(expected, ':');
  std::erase(expected, '\n');
  for (const char* f : {"cert.pem", "cert.cer"}) {
    auto t = sg::load_trust_cert(tmp / f);
    ASSERT_TRUE(t) << t.error().describe();
    EXPECT_EQ(t->thumbprint, expected) << f;
    EXPECT_EQ(t->subject, "CN=wslplug trust test, O=Tests") << f;
    EXPECT_EQ(t->der, wt::read_bytes(tmp / "cert.cer")) << f;
  }
  // A private key, a PKCS#12 bundle, a PEM bundle with a key, and junk are refused.
  auto p12 = wt::run({"openssl", "pkcs12", "-export", "-in", c.cert.string(), "-inkey",
                      c.key.string(), "-out", (tmp / "cert.pfx").string(), "-passout", "pass:"});
  ASSERT_EQ(p12.rc, 0) << p12.both();
  wt::write_text(tmp / "both.pem", wt::read_text(c.cert) + wt::read_text(c.key));
  wt::write_text(tmp / "junk.cer", "not a certificate");
  for (const char* f : {"cert.key", "cert.pfx", "both.pem", "junk.cer"}) {
    auto t = sg::load_trust_cert(tmp / f);
    ASSERT_FALSE(t) << f;
    EXPECT_EQ(t.error().kind, wslplug::ErrorKind::kInput) << f;
    EXPECT_EQ(t.error().where, "trust_cert");
    EXPECT_FALSE(t.error().fix.empty());
  }
  EXPECT_NE(sg::load_trust_cert(tmp / "cert.pfx").error().message.find("PKCS#12"),
            std::string::npos);
}
