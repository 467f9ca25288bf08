// `wslplug cert new`: the certificate's content checked with the openssl CLI, file modes,
// --force, PKCS#12, ECDSA, and that the result signs DLLs osslsigncode accepts.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support.hpp"

namespace wt = wslplug::test;

namespace {

std::string x509_text(const wt::fs::path& cert, const std::string& inform = "PEM") {
  auto r = wt::run({"openssl", "x509", "-inform", inform, "-in", cert.string(), "-noout", "-text",
                    "-fingerprint", "-sha1"});
  EXPECT_EQ(r.rc, 0) << r.both();
  return r.out;
}

TEST(CertNew, WritesAValidSelfSignedCodeSigningCertificate) {
  WSLPLUG_REQUIRE_TOOL("openssl");
  wt::TempDir tmp;
  const auto dir = tmp / "certs";
  auto r = wt::wslplug({"cert", "new", "--out-dir", dir.string(), "--subject",
                        "CN=Contoso Plugins, O=Contoso Ltd", "--days", "30"});
  ASSERT_EQ(r.rc, 0) << r.both();
  for (const char* f : {"key.pem", "cert.pem", "cert.cer"})
    EXPECT_TRUE(wt::fs::exists(dir / f)) << f;
  EXPECT_FALSE(wt::fs::exists(dir / "cert.pfx"));
  struct stat st {};
  ASSERT_EQ(stat((dir / "key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(r.both().find("PRIVATE KEY"), std::string::npos) << "the key must never be printed";
  EXPECT_EQ(r.out, "") << "the summary is status, on stderr";

  const auto text = x509_text(dir / "cert.pem");
  EXPECT_NE(text.find("Version: 3"), std::string::npos) << text;
  EXPECT_NE(text.find("Signature Algorithm: sha256WithRSAEncryption"), std::string::npos);
  EXPECT_NE(text.find("Public-Key: (3072 bit)"), std::string::npos) << text;
  // "CN=..., O=..." is the Windows display order (most specific first): the DER, which openssl
  // prints in encoding order, holds O before CN.
  EXPECT_NE(text.find("Subject: O = Contoso Ltd, CN = Contoso Plugins"), std::string::npos) << text;
  EXPECT_NE(text.find("Issuer: O = Contoso Ltd, CN = Contoso Plugins"), std::string::npos);
  EXPECT_NE(r.err.find("Subject:      CN=Contoso Plugins, O=Contoso Ltd"), std::string::npos)
      << r.err;
  EXPECT_NE(text.find("X509v3 Key Usage: critical\n                Digital Signature\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("X509v3 Extended Key Usage: \n                Code Signing\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("CA:FALSE"), std::string::npos);
  EXPECT_NE(text.find("X509v3 Subject Key Identifier"), std::string::npos);
  EXPECT_NE(text.find("X509v3 Authority Key Identifier"), std::string::npos);
  // The DER file is the same certificate.
  EXPECT_EQ(x509_text(dir / "cert.cer", "DER"), text);
  // Serial: 128 random bits (16 bytes), different for a second certificate.
  auto serial = [](const wt::fs::path& c) {
    return wt::run({"openssl", "x509", "-in", c.string(), "-noout", "-serial"}).out;
  };
  const auto s1 = serial(dir / "cert.pem");
  EXPECT_EQ(s1.size(), std::string("serial=").size() + 32 + 1) << s1;
  // The printed thumbprint is openssl's SHA-1 fingerprint without colons.
  ASSERT_NE(text.find("Fingerprint="), std::string::npos) << text;
  auto fp = text.substr(text.find("Fingerprint=") + 12, 59);
  std::string hex;
  for (char c : fp)
    if (c != ':') hex += c;
  EXPECT_NE(r.err.find(hex), std::string::npos) << r.err << "\n" << hex;
  // Validity ~30 days: checkend 29 days passes, 31 days fails.
  EXPECT_EQ(wt::run({"openssl", "x509", "-in", (dir / "cert.pem").string(), "-noout", "-checkend",
                     std::to_string(29 * 86400)})
                .rc,
            0);
  EXPECT_NE(wt::run({"openssl", "x509", "-in", (dir / "cert.pem").string(), "-noout", "-checkend",
                     std::to_string(31 * 86400)})
                .rc,
            0);
  // Key matches certificate.
  auto k = wt::run({"openssl", "pkey", "-in", (dir / "key.pem").string(), "-pubout"});
  auto c = wt::run({"openssl", "x509", "-in", (dir / "cert.pem").string(), "-noout", "-pubkey"});
  EXPECT_EQ(k.out, c.out);

  // Existing files are refused without --force (nothing changes), replaced with it.
  const auto old_cert = wt::read_text(dir / "cert.pem");
  auto again = wt::wslplug({"cert", "new", "--out-dir", dir.string()});
  EXPECT_EQ(again.rc, 2) << again.both();
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  EXPECT_EQ(wt::read_text(dir / "cert.pem"), old_cert);
  EXPECT_TRUE(wt::stray_temp_files(dir).empty());
  auto forced =
      wt::wslplug({"cert", "new", "--out-dir", dir.string(), "--force", "--key", "rsa2048"});
  EXPECT_EQ(forced.rc, 0) << forced.both();
  EXPECT_NE(wt::read_text(dir / "cert.pem"), old_cert);
  EXPECT_NE(serial(dir / "cert.pem"), s1);
}

TEST(CertNew, PfxEcdsaAndSigning) {
  WSLPLUG_REQUIRE_TOOL("openssl");
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  wt::TempDir tmp;
  const auto dir = tmp / "ec";
  auto r = wt::wslplug({"cert", "new", "--out-dir", dir.string(), "--key", "ecdsa-p256", "--pfx",
                        "--pfx-password-env", "PFXPASS"},
                       {{"PFXPASS", "pfx-secret"}});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(r.err.find("EMPTY password"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(stat((dir / "cert.pfx").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto p12 = wt::run({"openssl", "pkcs12", "-in", (dir / "cert.pfx").string(), "-nokeys", "-passin",
                      "env:PFXPASS"},
                     {{"PFXPASS", "pfx-secret"}});
  EXPECT_EQ(p12.rc, 0) << p12.both();
  EXPECT_NE(p12.out.find("BEGIN CERTIFICATE"), std::string::npos);
  auto wrong = wt::run({"openssl", "pkcs12", "-in", (dir / "cert.pfx").string(), "-nokeys",
                        "-passin", "pass:wrong"});
  EXPECT_NE(wrong.rc, 0);
  EXPECT_NE(x509_text(dir / "cert.pem").find("id-ecPublicKey"), std::string::npos);

  // An ECDSA-signed DLL verifies in osslsigncode and wslplug, from PEM and from the PFX.
  const auto dll = wt::build_dll({.name = "cert-x64"});
  const auto out = tmp / "ec-signed.dll";
  auto s = wt::wslplug({"sign", dll.string(), "--cert", (dir / "cert.pem").string(), "--key",
                        (dir / "key.pem").string(), "-o", out.string()});
  ASSERT_EQ(s.rc, 0) << s.both();
  auto v = wt::run(
      {"osslsigncode", "verify", "-CAfile", (dir / "cert.pem").string(), "-in", out.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
  EXPECT_EQ(wt::wslplug({"verify", out.string(), "--ca", (dir / "cert.pem").string()}).rc, 0);
  const auto out2 = tmp / "pfx-signed.dll";
  auto s2 = wt::wslplug({"sign", dll.string(), "--pfx", (dir / "cert.pfx").string(),
                         "--pfx-password-env", "PFXPASS", "-o", out2.string()},
                        {{"PFXPASS", "pfx-secret"}});
  ASSERT_EQ(s2.rc, 0) << s2.both();
  EXPECT_EQ(wt::wslplug({"verify", out2.string(), "--ca", (dir / "cert.cer").string()}).rc, 0);

  // Without a password: a warning, and an empty-password PFX.
  const auto dir2 = tmp / "nopass";
  auto r2 = wt::wslplug({"cert", "new", "--out-dir", dir2.string(), "--key", "rsa2048", "--pfx"});
  ASSERT_EQ(r2.rc, 0) << r2.both();
  EXPECT_NE(r2.err.find("EMPTY password"), std::string::npos) << r2.err;
  EXPECT_EQ(wt::run({"openssl", "pkcs12", "-in", (dir2 / "cert.pfx").string(), "-nokeys", "-passin",
                     "pass:"})
                .rc,
            0);
}

TEST(CertNew, BadArguments) {
  wt::TempDir tmp;
  auto r = wt::wslplug({"cert", "new", "--out-dir", tmp.path().string(), "--key", "dsa1024"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--key"), std::string::npos) << r.err;
  r = wt::wslplug({"cert", "new", "--out-dir", tmp.path().string(), "--subject", "nonsense"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("--subject"), std::string::npos) << r.err;
  r = wt::wslplug({"cert", "new", "--out-dir", tmp.path().string(), "--days", "0"});
  EXPECT_EQ(r.rc, 2);
  r = wt::wslplug({"cert", "new", "--out-dir", tmp.path().string(), "--pfx", "--pfx-password-env",
                   "WSLPLUG_SURELY_UNSET_VAR"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_TRUE(wt::fs::is_empty(tmp.path())) << "nothing may be written on failure";
  auto h = wt::wslplug({"cert", "new", "--help"});
  EXPECT_EQ(h.rc, 0);
  EXPECT_NE(h.out.find("Examples:"), std::string::npos);
}

}  // namespace
