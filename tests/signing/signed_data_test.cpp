// The signature model (SignedData): what one parse reads from a signature (signer, certificates,
// attributes, the indirect digest, nested signatures at any depth), the one walker of nested
// signatures, and the nested index sign reports for --append.
#include "wslplug/signing/signed_data.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "pki.hpp"
#include "support.hpp"
#include "wslplug/signing/nested.hpp"
#include "wslplug/signing/signing.hpp"

namespace wt = wslplug::test;
namespace signing = wslplug::signing;

namespace {

class SignedDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signer_ = wt::make_cert(tmp_.path(), "signer");
    ASSERT_FALSE(signer_.cert.empty());
    dll_ = wt::copy_to(wt::build_dll({.name = "signed-data-x64"}), tmp_.path(), "plugin.dll");
    ASSERT_FALSE(dll_.empty());
    auto creds = signing::Credentials::from_pem(signer_.cert, signer_.key, {}, nullptr);
    ASSERT_TRUE(creds) << creds.error().describe();
    for (auto alg : {signing::DigestAlgorithm::kSha256, signing::DigestAlgorithm::kSha384,
                     signing::DigestAlgorithm::kSha512}) {
      signing::SignOptions o;
      o.digest = alg;
      o.signing_time = 1700000000;
      auto d = signing::sign_detached(dll_, *creds, o);
      ASSERT_TRUE(d) << d.error().describe();
      EXPECT_FALSE(d->nested_index) << "nothing was appended";
      sigs_.push_back(d->der);
    }
  }
  wt::TempDir tmp_;
  wt::CertPair signer_;
  wt::fs::path dll_;
  std::vector<std::vector<std::byte>> sigs_;  // sha256, sha384, sha512
};

bool has_attribute(const std::vector<signing::SignerAttribute>& attrs, std::string_view oid) {
  return std::ranges::any_of(attrs, [&](const auto& a) { return a.oid == oid; });
}

TEST_F(SignedDataTest, OneParseReadsSignerCertificatesAttributesAndDigest) {
  auto sd = signing::SignedData::parse(sigs_[1], "sig.p7");
  ASSERT_TRUE(sd) << sd.error().describe();
  EXPECT_EQ(sd->der(), sigs_[1]);
  EXPECT_EQ(sd->signer_digest(), signing::DigestAlgorithm::kSha384);
  EXPECT_FALSE(sd->signature_value().empty());
  EXPECT_FALSE(sd->signer_serial().empty());
  EXPECT_NE(sd->signer_issuer().find("CN=wslplug test signer"), std::string::npos)
      << sd->signer_issuer();
  ASSERT_EQ(sd->certificates().size(), 1u);
  EXPECT_NE(sd->certificates()[0].subject.find("CN=wslplug test signer"), std::string::npos);
  // The authenticated attributes: contentType and messageDigest among them.
  EXPECT_TRUE(has_attribute(sd->authenticated_attributes(), "1.2.840.113549.1.9.4"));
  EXPECT_TRUE(has_attribute(sd->authenticated_attributes(), "1.2.840.113549.1.9.3"));
  EXPECT_TRUE(sd->unauthenticated_attributes().empty());
  EXPECT_FALSE(sd->timestamp_token());
  EXPECT_FALSE(sd->timestamp_time());
  // The indirect digest is the image digest it was made for.
  auto idc = sd->indirect_digest();
  ASSERT_TRUE(idc) << idc.error().describe();
  EXPECT_EQ(idc->algorithm, signing::DigestAlgorithm::kSha384);
  auto actual = signing::image_digest(dll_, signing::DigestAlgorithm::kSha384);
  ASSERT_TRUE(actual) << actual.error().describe();
  EXPECT_EQ(idc->digest, *actual);
  EXPECT_TRUE(sd->nested().empty());
  EXPECT_FALSE(sd->nested_error());
}

TEST_F(SignedDataTest, NestedSignaturesAreParsedWithTheirOuterOneAndWalkedDepthFirst) {
  auto a = signing::SignedData::parse(sigs_[0]);
  auto b = signing::SignedData::parse(sigs_[1]);
  auto c = signing::SignedData::parse(sigs_[2]);
  ASSERT_TRUE(a && b && c);
  auto bc = b->with_nested(*c);
  ASSERT_TRUE(bc) << bc.error().describe();
  auto abc = a->with_nested(*bc);
  ASSERT_TRUE(abc) << abc.error().describe();
  // The edits leave the signature values as they were (only unsigned attributes change).
  EXPECT_TRUE(std::ranges::equal(abc->signature_value(), a->signature_value()));
  EXPECT_TRUE(has_attribute(abc->unauthenticated_attributes(), "1.3.6.1.4.1.311.2.4.1"));
  ASSERT_EQ(abc->nested().size(), 1u);
  const auto& nb = abc->nested()[0];
  ASSERT_TRUE(nb.signature) << (nb.error ? nb.error->describe() : "");
  EXPECT_EQ(nb.signature->signer_digest(), signing::DigestAlgorithm::kSha384);
  ASSERT_EQ(nb.signature->nested().size(), 1u);
  EXPECT_EQ(nb.signature->nested()[0].signature->signer_digest(),
            signing::DigestAlgorithm::kSha512);
  // One walker: B (in the root), then C (in B, step 1).
  const auto steps = signing::walk_nested(*abc);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].parent, 0u);
  EXPECT_EQ(steps[1].parent, 1u);
  EXPECT_EQ(steps[0].error, nullptr);
  EXPECT_EQ(steps[1].signature->signature->signer_digest(), signing::DigestAlgorithm::kSha512);
  // The DER-level view walks the same way.
  auto all = signing::all_pkcs7(abc->der());
  ASSERT_TRUE(all) << all.error().describe();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1], nb.der);
}

TEST_F(SignedDataTest, NotSignedDataIsAnInputErrorNamingTheFile) {
  const std::vector<std::byte> junk(16, std::byte{0x30});
  auto sd = signing::SignedData::parse(junk, "junk.p7");
  ASSERT_FALSE(sd);
  EXPECT_EQ(sd.error().kind, wslplug::ErrorKind::kInput);
  EXPECT_EQ(sd.error().file, "junk.p7");
}

TEST_F(SignedDataTest, SignReportsTheNestedIndexOfAnAppendedSignature) {
  auto creds = signing::Credentials::from_pem(signer_.cert, signer_.key, {}, nullptr);
  ASSERT_TRUE(creds) << creds.error().describe();
  const auto out = tmp_ / "signed.dll";
  signing::SignOptions o;
  o.signing_time = 1700000000;
  o.append = true;  // on an unsigned input: signed normally, nothing nested
  auto r = signing::sign_file(dll_, out, *creds, o, {});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_FALSE(r->nested_index);
  for (std::size_t expected : {1u, 2u}) {
    r = signing::sign_file(out, out, *creds, o, {.overwrite = true});
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->nested_index, expected);
    auto slots = signing::signature_slots(out);
    ASSERT_TRUE(slots) << slots.error().describe();
    ASSERT_EQ(slots->size(), expected + 1);
    // The index is where the numbering puts the new signature.
    EXPECT_EQ((*slots)[expected].nested, expected);
    ASSERT_TRUE((*slots)[expected].signature);
    // The entry holding them: typed WIN_CERTIFICATE header fields.
    EXPECT_EQ((*slots)[0].revision, wslplug::pe::WinCertRevision::k2_0);
    EXPECT_EQ((*slots)[0].type, wslplug::pe::WinCertType::kPkcsSignedData);
  }
  auto detached = signing::sign_detached(out, *creds, o);
  ASSERT_TRUE(detached) << detached.error().describe();
  EXPECT_EQ(detached->nested_index, 3u);
}

}  // namespace
