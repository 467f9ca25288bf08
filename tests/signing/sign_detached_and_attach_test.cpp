// Detached signing (`sign --detached-out`, `attach`), PKCS#12 and encrypted keys, end to end.
#include <gtest/gtest.h>

#include "pki.hpp"
#include "support.hpp"
#include "tsa.hpp"

namespace wt = wslplug::test;

namespace {

struct Fixture {
  wt::TempDir dir;
  wt::CertPair signer;
  wt::fs::path dll;
};

void make(Fixture& s) {
  s.signer = wt::make_cert(s.dir.path(), "signer", {.cn = "wslplug detached signer"});
  s.dll = wt::copy_to(wt::build_dll({.name = "detached-sign-odd", .odd_size = true}), s.dir.path(),
                      "plugin.dll");
}

}  // namespace

TEST(DetachedSign, DetachedThenAttachIsByteIdenticalToDirect) {
  Fixture s;
  make(s);
  const auto before = wt::sha256_file(s.dll);
  auto sig = s.dir / "plugin.p7";
  auto r =
      wt::wslplug({"sign", s.dll.string(), "--cert", s.signer.cert.string(), "--key",
                   s.signer.key.string(), "--time", "1700000000", "--detached-out", sig.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::sha256_file(s.dll), before);  // the PE is not touched
  // The detached signature is a real PKCS#7 that openssl reads.
  auto o = wt::run(
      {"openssl", "pkcs7", "-inform", "DER", "-in", sig.string(), "-print_certs", "-noout"});
  EXPECT_EQ(o.rc, 0) << o.both();

  auto attached = s.dir / "attached.dll";
  r = wt::wslplug({"attach", s.dll.string(), "--signature", sig.string(), "-o", attached.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto direct = s.dir / "direct.dll";
  r = wt::wslplug({"sign", s.dll.string(), "--cert", s.signer.cert.string(), "--key",
                   s.signer.key.string(), "--time", "1700000000", "-o", direct.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::sha256_file(attached), wt::sha256_file(direct));
  auto v =
      wt::run({"osslsigncode", "verify", "-CAfile", s.signer.cert.string(), attached.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
  // extract gives the detached signature back.
  r = wt::wslplug({"extract", attached.string(), "-o", (s.dir / "back.p7").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::read_bytes(s.dir / "back.p7"), wt::read_bytes(sig));
  // A PEM copy attaches too (--in-place on a copy).
  auto pem = s.dir / "plugin.pem";
  ASSERT_EQ(
      wt::run({"openssl", "pkcs7", "-inform", "DER", "-in", sig.string(), "-out", pem.string()}).rc,
      0);
  auto copy = wt::copy_to(s.dll, s.dir.path(), "copy.dll");
  r = wt::wslplug({"attach", copy.string(), "--signature", pem.string(), "--in-place"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::sha256_file(copy), wt::sha256_file(direct));
}

TEST(DetachedSign, AttachRefusesASignatureForAnotherFile) {
  Fixture s;
  make(s);
  auto sig = s.dir / "plugin.p7";
  ASSERT_EQ(wt::wslplug({"sign", s.dll.string(), "--cert", s.signer.cert.string(), "--key",
                         s.signer.key.string(), "--detached-out", sig.string()})
                .rc,
            0);
  auto other = wt::copy_to(wt::build_dll({.name = "detached-sign-other", .overlay = 64}),
                           s.dir.path(), "other.dll");
  const auto before = wt::sha256_file(other);
  auto r = wt::wslplug({"attach", other.string(), "--signature", sig.string(), "--in-place"});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("for another file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fix:"), std::string::npos) << r.err;
  EXPECT_EQ(wt::sha256_file(other), before);
  r = wt::wslplug(
      {"attach", other.string(), "--signature", sig.string(), "-o", (s.dir / "x.dll").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_FALSE(wt::fs::exists(s.dir / "x.dll"));
  // Garbage and truncated signature files.
  auto cut = wt::read_bytes(sig);
  cut.resize(cut.size() - 100);
  wt::write_bytes(s.dir / "cut.p7", cut);
  r = wt::wslplug({"attach", s.dll.string(), "--signature", (s.dir / "cut.p7").string(), "-o",
                   (s.dir / "x.dll").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("cut.p7"), std::string::npos) << r.err;
  EXPECT_FALSE(wt::fs::exists(s.dir / "x.dll"));
  // --detached-out refuses an existing file.
  r = wt::wslplug({"sign", s.dll.string(), "--cert", s.signer.cert.string(), "--key",
                   s.signer.key.string(), "--detached-out", sig.string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_TRUE(wt::stray_temp_files(s.dir.path()).empty());
}

TEST(DetachedSign, TimestampedDetachedSignature) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  Fixture s;
  make(s);
  auto sig = s.dir / "plugin.p7";
  auto r = wt::wslplug({"sign", s.dll.string(), "--cert", s.signer.cert.string(), "--key",
                        s.signer.key.string(), "--detached-out", sig.string(), "--timestamp",
                        tsa.url()});
  ASSERT_EQ(r.rc, 0) << r.both();
  r = wt::wslplug({"attach", s.dll.string(), "--signature", sig.string(), "--in-place"});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto v = wt::run({"osslsigncode", "verify", "-CAfile", s.signer.cert.string(), "-TSA-CAfile",
                    tsa.root_cert().string(), s.dll.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
  EXPECT_NE(v.out.find("Timestamp Server Signature verification: ok"), std::string::npos) << v.out;
}

TEST(Pkcs12Sign, PasswordsFromEnvAndFileAndClearErrors) {
  Fixture s;
  make(s);
  auto pfx = s.dir / "signer.pfx";
  auto o = wt::run({"openssl", "pkcs12", "-export", "-in", s.signer.cert.string(), "-inkey",
                    s.signer.key.string(), "-out", pfx.string(), "-passout", "pass:pfx secret"});
  ASSERT_EQ(o.rc, 0) << o.both();
  wt::write_text(s.dir / "pass.txt", "pfx secret\n");
  wt::write_text(s.dir / "wrong.txt", "nope\n");
  const auto before = wt::sha256_file(s.dll);

  auto out1 = s.dir / "env.dll";
  auto r = wt::wslplug({"sign", s.dll.string(), "--pfx", pfx.string(), "--pfx-password-env",
                        "WSLPLUG_TEST_PFX", "--time", "1700000000", "-o", out1.string()},
                       {{"WSLPLUG_TEST_PFX", "pfx secret"}});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto out2 = s.dir / "file.dll";
  r = wt::wslplug({"sign", s.dll.string(), "--pfx", pfx.string(), "--pfx-password-file",
                   (s.dir / "pass.txt").string(), "--time", "1700000000", "-o", out2.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  // Same key and certificate as --cert/--key: identical output.
  auto out3 = s.dir / "pem.dll";
  r = wt::wslplug({"sign", s.dll.string(), "--cert", s.signer.cert.string(), "--key",
                   s.signer.key.string(), "--time", "1700000000", "-o", out3.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::sha256_file(out1), wt::sha256_file(out3));
  EXPECT_EQ(wt::sha256_file(out2), wt::sha256_file(out3));
  auto v = wt::run({"osslsigncode", "verify", "-CAfile", s.signer.cert.string(), out1.string()});
  EXPECT_EQ(v.rc, 0) << v.both();

  // Wrong password, truncated PKCS#12: clear input errors, nothing written, password not shown.
  auto bad = s.dir / "bad.dll";
  r = wt::wslplug({"sign", s.dll.string(), "--pfx", pfx.string(), "--pfx-password-file",
                   (s.dir / "wrong.txt").string(), "-o", bad.string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("password"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("nope"), std::string::npos) << r.err;
  EXPECT_FALSE(wt::fs::exists(bad));
  auto bytes = wt::read_bytes(pfx);
  bytes.resize(bytes.size() / 2);
  wt::write_bytes(s.dir / "cut.pfx", bytes);
  r = wt::wslplug({"sign", s.dll.string(), "--pfx", (s.dir / "cut.pfx").string(),
                   "--pfx-password-file", (s.dir / "pass.txt").string(), "-o", bad.string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("cut.pfx"), std::string::npos) << r.err;
  EXPECT_FALSE(wt::fs::exists(bad));
  // Env and file together: refused.
  r = wt::wslplug({"sign", s.dll.string(), "--pfx", pfx.string(), "--pfx-password-env", "X",
                   "--pfx-password-file", (s.dir / "pass.txt").string(), "-o", bad.string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_EQ(wt::sha256_file(s.dll), before);
  EXPECT_TRUE(wt::stray_temp_files(s.dir.path()).empty());
}

TEST(Pkcs12Sign, EncryptedPemKeyWithPasswordFile) {
  Fixture s;
  make(s);
  auto enc = wt::encrypt_key(s.signer.key, s.dir / "enc.key", "key secret");
  wt::write_text(s.dir / "pass.txt", "key secret\n");
  wt::write_text(s.dir / "wrong.txt", "wrong\n");
  auto out = s.dir / "out.dll";
  auto r =
      wt::wslplug({"sign", s.dll.string(), "--cert", s.signer.cert.string(), "--key", enc.string(),
                   "--key-password-file", (s.dir / "wrong.txt").string(), "-o", out.string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("wrong password"), std::string::npos) << r.err;
  EXPECT_FALSE(wt::fs::exists(out));
  r = wt::wslplug({"sign", s.dll.string(), "--cert", s.signer.cert.string(), "--key", enc.string(),
                   "--key-password-file", (s.dir / "pass.txt").string(), "-o", out.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto v = wt::run({"osslsigncode", "verify", "-CAfile", s.signer.cert.string(), out.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
}
