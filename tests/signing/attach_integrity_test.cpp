// `wslplug attach` verifies the detached signature before it writes anything: a PKCS#7 whose
// RSA signature was damaged, or one made with a certificate that may not sign code, is refused
// even though its digest matches the file.
#include <gtest/gtest.h>

#include "pki.hpp"
#include "support.hpp"

namespace wt = wslplug::test;
namespace fs = std::filesystem;

namespace {

struct Detached {
  wt::TempDir dir;
  fs::path dll, sig;
};

void make_detached(Detached& d, const wt::CertSpec& spec) {
  auto signer = wt::make_cert(d.dir.path(), "signer", spec);
  d.dll = wt::copy_to(wt::build_dll({.name = "attach-integrity-x64"}), d.dir.path(), "plugin.dll");
  d.sig = d.dir / "plugin.p7";
  auto r = wt::wslplug({"sign", d.dll.string(), "--cert", signer.cert.string(), "--key",
                        signer.key.string(), "--detached-out", d.sig.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
}

}  // namespace

// Control: the undamaged signature attaches.
TEST(AttachIntegrity, GoodSignatureAttaches) {
  Detached d;
  ASSERT_NO_FATAL_FAILURE(make_detached(d, {.cn = "attach good"}));
  auto out = d.dir / "signed.dll";
  auto r =
      wt::wslplug({"attach", d.dll.string(), "--signature", d.sig.string(), "-o", out.string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(fs::exists(out));
}

// The last bytes of the DER are the SignerInfo's encryptedDigest (no unsigned attributes
// without a timestamp): flipping one breaks the RSA signature, not the digest.
TEST(AttachIntegrity, RefusesBrokenRsaSignature) {
  Detached d;
  ASSERT_NO_FATAL_FAILURE(make_detached(d, {.cn = "attach broken", .key = "rsa2048"}));
  auto der = wt::read_bytes(d.sig);
  der[der.size() - 17] ^= std::byte{0x5a};
  wt::write_bytes(d.sig, der);
  auto out = d.dir / "signed.dll";
  auto r =
      wt::wslplug({"attach", d.dll.string(), "--signature", d.sig.string(), "-o", out.string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("does not verify"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("signer's public key"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(wt::stray_temp_files(d.dir.path()).empty());
}

// A certificate whose extended key usage has no codeSigning (a TLS server certificate).
TEST(AttachIntegrity, RefusesCertificateWithoutCodeSigningUsage) {
  Detached d;
  ASSERT_NO_FATAL_FAILURE(make_detached(d, {.cn = "attach tls", .eku = "serverAuth"}));
  auto r = wt::wslplug({"attach", d.dll.string(), "--signature", d.sig.string(), "--in-place"});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("without codeSigning"), std::string::npos) << r.err;
  auto v = wt::wslplug({"verify", d.dll.string()});
  EXPECT_NE(v.out.find("NOT SIGNED"), std::string::npos) << v.both();  // input untouched
}
