// Nested (dual) signatures at the PKCS#7 level, with osslsigncode as the oracle both ways.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <algorithm>
#include <regex>

#include "pki.hpp"
#include "support.hpp"
#include "tsa.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/nested.hpp"
#include "wslplug/signing/oids.hpp"
#include "wslplug/signing/signing.hpp"

namespace wt = wslplug::test;
namespace sg = wslplug::signing;

namespace {

// Number of 1.3.6.1.4.1.311.2.4.1 attributes of the first SignerInfo and the values of the last.
std::pair<int, int> nested_attr_shape(const std::vector<std::byte>& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  PKCS7* p7 = d2i_PKCS7(nullptr, &p, static_cast<long>(der.size()));
  if (p7 == nullptr) return {-1, -1};
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
  ASN1_OBJECT* obj = OBJ_txt2obj(sg::oid::kNestedSignature, 1);
  int attrs = 0, values = 0;
  for (int i = X509at_get_attr_by_OBJ(si->unauth_attr, obj, -1); i >= 0;
       i = X509at_get_attr_by_OBJ(si->unauth_attr, obj, i)) {
    ++attrs;
    values = X509_ATTRIBUTE_count(X509at_get_attr(si->unauth_attr, i));
  }
  ASN1_OBJECT_free(obj);
  PKCS7_free(p7);
  return {attrs, values};
}

std::vector<std::string> current_digests(const std::string& verify_out) {
  std::vector<std::string> out;
  std::regex re("Current message digest\\s*:\\s*([0-9A-F]+)");
  for (std::sregex_iterator it(verify_out.begin(), verify_out.end(), re), end; it != end; ++it)
    out.push_back((*it)[1]);
  return out;
}

struct Pki {
  wt::CertPair a, b;
  wt::fs::path both;  // a.pem + b.pem, for osslsigncode -CAfile (it takes one file)
};

Pki make_pki(const wt::TempDir& dir) {
  Pki p{wt::make_cert(dir.path(), "a", {.cn = "wslplug nested test A"}),
        wt::make_cert(dir.path(), "b", {.cn = "wslplug nested test B"}), dir / "ab.pem"};
  wt::write_text(p.both, wt::read_text(p.a.cert) + wt::read_text(p.b.cert));
  return p;
}

std::string hex(const std::vector<std::byte>& d) {
  std::string out;
  for (auto b : d) out += fmt::format("{:02X}", std::to_integer<unsigned>(b));
  return out;
}

}  // namespace

TEST(NestedPkcs7, ReadsOsslsigncodeNestedSignatures) {
  wt::TempDir dir;
  auto pki = make_pki(dir);
  auto dll = wt::copy_to(wt::build_dll({.name = "nested-x64"}), dir.path(), "p.dll");
  wt::osslsigncode({"sign", "-certs", pki.a.cert.string(), "-key", pki.a.key.string(), "-h",
                    "sha256", "-in", dll.string(), "-out", (dir / "s1.dll").string()});
  wt::osslsigncode({"sign", "-certs", pki.b.cert.string(), "-key", pki.b.key.string(), "-h", "sha1",
                    "-nest", "-in", (dir / "s1.dll").string(), "-out", (dir / "s2.dll").string()});
  wt::osslsigncode({"sign", "-certs", pki.b.cert.string(), "-key", pki.b.key.string(), "-h",
                    "sha512", "-nest", "-in", (dir / "s2.dll").string(), "-out",
                    (dir / "s3.dll").string()});
  auto img = wslplug::pe::Image::open(dir / "s3.dll");
  ASSERT_TRUE(img) << img.error().describe();
  auto sig = sg::embedded_signature(dir / "s3.dll");
  ASSERT_TRUE(sig) << sig.error().describe();
  EXPECT_EQ(nested_attr_shape(*sig), std::make_pair(1, 2));  // one attribute, two values
  auto all = sg::all_pkcs7(*sig);
  ASSERT_TRUE(all) << all.error().describe();
  ASSERT_EQ(all->size(), 3u);
  auto v =
      wt::run({"osslsigncode", "verify", "-CAfile", pki.both.string(), (dir / "s3.dll").string()});
  EXPECT_EQ(v.rc, 0) << v.both();
  auto expected = current_digests(v.out);
  ASSERT_EQ(expected.size(), 3u) << v.both();
  // The primary comes first; the nested ones are a DER SET OF (sorted by encoding), so compare
  // them as a set.
  std::vector<std::string> ours;
  std::vector<sg::DigestAlgorithm> algs;
  for (const auto& der : *all) {
    auto d = sg::indirect_data_digest(der);
    ASSERT_TRUE(d) << d.error().describe();
    ours.push_back(hex(d->digest));
    algs.push_back(d->algorithm);
  }
  EXPECT_EQ(ours[0], expected[0]);
  EXPECT_EQ(algs[0], sg::DigestAlgorithm::kSha256);
  std::sort(ours.begin(), ours.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ours, expected);
  std::sort(algs.begin(), algs.end());
  EXPECT_EQ(algs, (std::vector<sg::DigestAlgorithm>{sg::DigestAlgorithm::kSha1,
                                                    sg::DigestAlgorithm::kSha256,
                                                    sg::DigestAlgorithm::kSha512}));
}

TEST(NestedPkcs7, OsslsigncodeVerifiesOurNestedSignatures) {
  wt::TempDir dir;
  auto pki = make_pki(dir);
  auto dll = wt::copy_to(wt::build_dll({.name = "nested-x64"}), dir.path(), "p.dll");
  // Three independent signatures of the same file, made by osslsigncode.
  const std::vector<std::pair<const wt::CertPair*, std::string>> sigs = {
      {&pki.a, "sha256"}, {&pki.b, "sha1"}, {&pki.b, "sha384"}};
  std::vector<std::vector<std::byte>> ders;
  for (std::size_t i = 0; i < sigs.size(); ++i) {
    auto out = dir / fmt::format("s{}.dll", i);
    wt::osslsigncode({"sign", "-certs", sigs[i].first->cert.string(), "-key",
                      sigs[i].first->key.string(), "-h", sigs[i].second, "-in", dll.string(),
                      "-out", out.string()});
    auto img = wslplug::pe::Image::open(out);
    ASSERT_TRUE(img) << img.error().describe();
    auto der = sg::embedded_signature(out);
    ASSERT_TRUE(der) << der.error().describe();
    ders.push_back(*der);
  }
  auto nested = sg::nest_pkcs7(ders[0], ders[1], "s0");
  ASSERT_TRUE(nested) << nested.error().describe();
  nested = sg::nest_pkcs7(*nested, ders[2], "s0");
  ASSERT_TRUE(nested) << nested.error().describe();
  EXPECT_EQ(nested_attr_shape(*nested), std::make_pair(1, 2));
  auto inner = sg::nested_pkcs7(*nested);
  ASSERT_TRUE(inner) << inner.error().describe();
  ASSERT_EQ(inner->size(), 2u);
  // Stored byte-for-byte (in DER SET OF order).
  EXPECT_TRUE(((*inner)[0] == ders[1] && (*inner)[1] == ders[2]) ||
              ((*inner)[0] == ders[2] && (*inner)[1] == ders[1]));

  auto img = wslplug::pe::Image::open(dir / "s0.dll");
  ASSERT_TRUE(img) << img.error().describe();
  auto out = dir / "nested.dll";
  auto st = sg::write_signature(dir / "s0.dll", out, *nested, {});
  ASSERT_TRUE(st) << st.error().describe();
  auto v = wt::run({"osslsigncode", "verify", "-CAfile", pki.both.string(), out.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
  EXPECT_NE(v.out.find("Signature Index: 2"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("Number of verified signatures: 3"), std::string::npos) << v.out;
  EXPECT_EQ(current_digests(v.out).size(), 3u);
  // Each index separately.
  for (int i = 0; i < 3; ++i) {
    auto vi = wt::run({"osslsigncode", "verify", "-CAfile", pki.both.string(), "-index",
                       std::to_string(i), out.string()});
    EXPECT_EQ(vi.rc, 0) << i << vi.both();
    EXPECT_NE(vi.out.find("Signature verification: ok"), std::string::npos) << vi.out;
  }
}

TEST(NestedPkcs7, RejectsGarbage) {
  wt::TempDir dir;
  auto pki = make_pki(dir);
  auto dll = wt::copy_to(wt::build_dll({.name = "nested-x64"}), dir.path(), "p.dll");
  wt::osslsigncode({"sign", "-certs", pki.a.cert.string(), "-key", pki.a.key.string(), "-in",
                    dll.string(), "-out", (dir / "s.dll").string()});
  auto img = wslplug::pe::Image::open(dir / "s.dll");
  ASSERT_TRUE(img);
  auto der = sg::embedded_signature(dir / "s.dll");
  ASSERT_TRUE(der);
  const std::string junk = "junk";
  auto r = sg::nest_pkcs7(*der, std::as_bytes(std::span(junk)), "outer.p7");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, wslplug::ErrorKind::kInput);
  EXPECT_NE(r.error().message.find("PKCS#7"), std::string::npos) << r.error().message;
  auto none = sg::nested_pkcs7(*der);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}
