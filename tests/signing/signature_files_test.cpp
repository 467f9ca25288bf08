// Signature files and embedded signatures: the embedded signature, signature files (DER/PEM), the
// claimed Authenticode digest, and writing an image with a given signature, against osslsigncode.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>

#include "pki.hpp"
#include "signed_dll.hpp"
#include "support.hpp"
#include "tsa.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/signing.hpp"

namespace wt = wslplug::test;
namespace sg = wslplug::signing;

namespace {

struct Fixture : wt::SignedDll {
  wt::TempDir dir;
  wt::fs::path sig_pem;
};

// An odd-sized DLL (so signing must pad it) signed by osslsigncode with a fixed signing time.
void make(Fixture& f) {
  static_cast<wt::SignedDll&>(f) =
      wt::make_signed_dll(f.dir.path(), {.fixture = "detached-odd",
                                         .odd_size = true,
                                         .signer_cn = "wslplug detached test",
                                         .sign_args = {"-time", "1700000000"}});
  f.sig_pem = f.dir / "sig.pem";
  wt::osslsigncode(
      {"extract-signature", "-pem", "-in", f.signed_dll.string(), "-out", f.sig_pem.string()});
}

}  // namespace

TEST(SignatureFiles, EmbeddedSignatureEqualsOsslsigncodeExtract) {
  Fixture f;
  make(f);
  auto img = wslplug::pe::Image::open(f.signed_dll);
  ASSERT_TRUE(img) << img.error().describe();
  auto sig = sg::embedded_signature(f.signed_dll);
  ASSERT_TRUE(sig) << sig.error().describe();
  EXPECT_EQ(*sig, wt::read_bytes(f.sig_der));

  auto pem = sg::pkcs7_der_to_pem(*sig);
  ASSERT_TRUE(pem) << pem.error().describe();
  EXPECT_EQ(pem->rfind("-----BEGIN PKCS7-----", 0), 0u);
  EXPECT_EQ(*pem, wt::read_text(f.sig_pem));
}

TEST(SignatureFiles, ReadsDerAndPemSignatureFiles) {
  Fixture f;
  make(f);
  auto der = sg::read_signature_file(f.sig_der);
  ASSERT_TRUE(der) << der.error().describe();
  auto pem = sg::read_signature_file(f.sig_pem);
  ASSERT_TRUE(pem) << pem.error().describe();
  EXPECT_EQ(*der, *pem);
  // Zero padding (as in a WIN_CERTIFICATE) is dropped.
  auto padded = wt::read_bytes(f.sig_der);
  padded.resize(padded.size() + 5, std::byte{0});
  wt::write_bytes(f.dir / "padded.der", padded);
  auto p = sg::read_signature_file(f.dir / "padded.der");
  ASSERT_TRUE(p) << p.error().describe();
  EXPECT_EQ(*p, *der);
  // Truncated and garbage files: input errors naming the file, with a fix.
  auto cut = wt::read_bytes(f.sig_der);
  cut.resize(cut.size() / 2);
  wt::write_bytes(f.dir / "cut.der", cut);
  wt::write_text(f.dir / "junk.pem", "-----BEGIN PKCS7-----\nAAAA\n-----END PKCS7-----\n");
  for (const auto* name : {"cut.der", "junk.pem"}) {
    auto e = sg::read_signature_file(f.dir / name);
    ASSERT_FALSE(e) << name;
    EXPECT_EQ(e.error().kind, wslplug::ErrorKind::kInput) << name;
    EXPECT_EQ(e.error().file, (f.dir / name).string());
    EXPECT_FALSE(e.error().fix.empty());
  }
  auto missing = sg::read_signature_file(f.dir / "nope.der");
  ASSERT_FALSE(missing);
}

TEST(SignatureFiles, IndirectDigestMatchesOsslsigncode) {
  Fixture f;
  make(f);
  auto d = sg::indirect_data_digest(wt::read_bytes(f.sig_der));
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->algorithm, sg::DigestAlgorithm::kSha256);
  auto v =
      wt::run({"osslsigncode", "verify", "-CAfile", f.signer.cert.string(), f.signed_dll.string()});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(v.out, m, std::regex("Current message digest\\s*:\\s*([0-9A-F]+)")))
      << v.both();
  std::string hex;
  for (auto b : d->digest) hex += fmt::format("{:02X}", std::to_integer<unsigned>(b));
  EXPECT_EQ(hex, m[1].str());
}

TEST(SignatureFiles, WriteSignatureIsByteIdenticalToOsslsigncode) {
  Fixture f;
  make(f);
  ASSERT_NE(wt::fs::file_size(f.unsigned_dll) % 8, 0u);  // padding is exercised
  auto img = wslplug::pe::Image::open(f.unsigned_dll);
  ASSERT_TRUE(img) << img.error().describe();
  auto sig = sg::read_signature_file(f.sig_der);
  ASSERT_TRUE(sig);
  const auto before = wt::sha256_file(f.unsigned_dll);
  auto out = f.dir / "ours.dll";
  auto st = sg::write_signature(f.unsigned_dll, out, *sig, {});
  ASSERT_TRUE(st) << st.error().describe();
  EXPECT_EQ(wt::sha256_file(out), wt::sha256_file(f.signed_dll));
  EXPECT_EQ(wt::sha256_file(f.unsigned_dll), before);  // input untouched
  // Re-embedding into the already signed image gives the same bytes again.
  auto signed_img = wslplug::pe::Image::open(f.signed_dll);
  ASSERT_TRUE(signed_img);
  auto again = f.dir / "again.dll";
  ASSERT_TRUE(sg::write_signature(f.signed_dll, again, *sig, {}));
  EXPECT_EQ(wt::sha256_file(again), wt::sha256_file(f.signed_dll));
  // pefile agrees with the checksum.
  auto r = wt::run({"/usr/bin/python3", "-c",
                    "import pefile,sys; pe=pefile.PE(sys.argv[1]); print(pe.verify_checksum())",
                    out.string()});
  EXPECT_EQ(r.out, "True\n") << r.both();
  // An existing output is refused without overwrite; no temp file is left behind.
  auto refused = sg::write_signature(f.unsigned_dll, out, *sig, {});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().fix.find("--force"), std::string::npos) << refused.error().fix;
  EXPECT_TRUE(wt::stray_temp_files(f.dir.path()).empty());
}

TEST(SignatureFiles, UnsignedImageHasNoEmbeddedSignature) {
  Fixture f;
  make(f);
  auto img = wslplug::pe::Image::open(f.unsigned_dll);
  ASSERT_TRUE(img);
  auto sig = sg::embedded_signature(f.unsigned_dll);
  ASSERT_FALSE(sig);
  EXPECT_EQ(sig.error().kind, wslplug::ErrorKind::kInput);
  EXPECT_NE(sig.error().message.find("not signed"), std::string::npos) << sig.error().message;
  EXPECT_EQ(sig.error().file, f.unsigned_dll.string());
  // A signature that is not Authenticode (no SpcIndirectDataContent) is refused by the digest
  // reader: make a plain S/MIME signature with openssl.
  wt::write_text(f.dir / "msg.txt", "hello");
  auto r = wt::run({"openssl", "smime", "-sign", "-binary", "-in", (f.dir / "msg.txt").string(),
                    "-signer", f.signer.cert.string(), "-inkey", f.signer.key.string(), "-outform",
                    "DER", "-out", (f.dir / "smime.der").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto d = sg::indirect_data_digest(wt::read_bytes(f.dir / "smime.der"), "smime.der");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().where, "contentInfo.contentType");
}
