// Nested signatures: the sequenceNumber attribute (1.2.840.113549.1.9.25.4) osslsigncode gives
// each nested signature, checked against osslsigncode's own output byte for byte, and nesting
// read at any depth (a signature nested inside a nested one).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pki.hpp"
#include "support.hpp"
#include "tsa.hpp"
#include "wslplug/signing/nested.hpp"
#include "wslplug/signing/signing.hpp"

namespace wt = wslplug::test;
namespace signing = wslplug::signing;

namespace {

class NestedSequenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WSLPLUG_REQUIRE_TOOL("osslsigncode");
    signer_ = wt::make_cert(tmp_.path(), "signer");
    ASSERT_FALSE(signer_.cert.empty());
    dll_ = wt::copy_to(wt::build_dll({.name = "nested-seq-x64"}), tmp_.path(), "plugin.dll");
    ASSERT_FALSE(dll_.empty());
  }
  wt::TempDir tmp_;
  wt::CertPair signer_;
  wt::fs::path dll_;
};

TEST_F(NestedSequenceTest, AppendIsByteIdenticalToOsslsigncodeNest) {
  // osslsigncode: sign, then -nest twice (sequence numbers 1 and 2).
  std::vector<wt::fs::path> theirs = {tmp_ / "o1.dll", tmp_ / "o2.dll", tmp_ / "o3.dll"};
  wt::osslsigncode({"sign", "-certs", signer_.cert.string(), "-key", signer_.key.string(), "-time",
                    "1700000000", "-in", dll_.string(), "-out", theirs[0].string()});
  for (std::size_t i = 1; i < 3; ++i)
    wt::osslsigncode({"sign", "-nest", "-certs", signer_.cert.string(), "-key",
                      signer_.key.string(), "-time", "1700000000", "-h",
                      i == 1 ? "sha384" : "sha512", "-in", theirs[i - 1].string(), "-out",
                      theirs[i].string()});
  // wslplug: sign, then --append twice.
  const auto ours = tmp_ / "ours.dll";
  auto r = wt::wslplug({"sign", dll_.string(), "--cert", signer_.cert.string(), "--key",
                        signer_.key.string(), "--time", "1700000000", "-o", ours.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  for (const std::string hash : {"sha384", "sha512"}) {
    r = wt::wslplug({"sign", ours.string(), "--cert", signer_.cert.string(), "--key",
                     signer_.key.string(), "--time", "1700000000", "--hash", hash, "--append",
                     "--in-place"});
    ASSERT_EQ(r.rc, 0) << r.both();
  }
  // The attribute is there with the values osslsigncode writes.
  auto der = signing::embedded_signature(ours);
  ASSERT_TRUE(der) << der.error().describe();
  auto nested = signing::nested_pkcs7(*der);
  ASSERT_TRUE(nested);
  ASSERT_EQ(nested->size(), 2u);
  const auto seq_oid =
      std::vector<std::byte>{std::byte{0x06}, std::byte{0x0a}, std::byte{0x2a}, std::byte{0x86},
                             std::byte{0x48}, std::byte{0x86}, std::byte{0xf7}, std::byte{0x0d},
                             std::byte{0x01}, std::byte{0x09}, std::byte{0x19}, std::byte{0x04}};
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& n = (*nested)[i];
    auto at = std::search(n.begin(), n.end(), seq_oid.begin(), seq_oid.end());
    ASSERT_NE(at, n.end()) << "nested signature " << i + 1 << " has no sequenceNumber";
    // SET { INTEGER i+1 }
    const std::vector<std::byte> value = {std::byte{0x31}, std::byte{0x03}, std::byte{0x02},
                                          std::byte{0x01}, static_cast<std::byte>(i + 1)};
    EXPECT_TRUE(std::equal(value.begin(), value.end(), at + seq_oid.size()))
        << "nested signature " << i + 1;
  }
  EXPECT_EQ(wt::read_bytes(ours), wt::read_bytes(theirs[2]))
      << "wslplug --append differs from osslsigncode -nest";
  auto v =
      wt::run({"osslsigncode", "verify", "-CAfile", signer_.cert.string(), "-in", ours.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
}

TEST_F(NestedSequenceTest, NestingIsReadAtAnyDepth) {
  // Three signatures: C nested in B, B nested in A, written as A's one WIN_CERTIFICATE.
  auto creds = signing::Credentials::from_pem(signer_.cert, signer_.key, {}, nullptr);
  ASSERT_TRUE(creds) << creds.error().describe();
  std::vector<std::vector<std::byte>> sigs;
  for (auto alg : {signing::DigestAlgorithm::kSha256, signing::DigestAlgorithm::kSha384,
                   signing::DigestAlgorithm::kSha512}) {
    signing::SignOptions o;
    o.digest = alg;
    o.signing_time = 1700000000;
    auto d = signing::sign_detached(dll_, *creds, o);
    ASSERT_TRUE(d) << d.error().describe();
    sigs.push_back(d->der);
  }
  auto b = signing::nest_pkcs7(sigs[1], sigs[2]);
  ASSERT_TRUE(b);
  auto a = signing::nest_pkcs7(sigs[0], *b);
  ASSERT_TRUE(a);
  auto all = signing::all_pkcs7(*a);
  ASSERT_TRUE(all) << all.error().describe();
  EXPECT_EQ(all->size(), 3u) << "the signature nested two levels deep was not found";

  const auto out = tmp_ / "deep.dll";
  auto w = signing::write_signature(dll_, out, *a, {});
  ASSERT_TRUE(w) << w.error().describe();
  auto r = wt::wslplug({"verify", out.string(), "--ca", signer_.cert.string(), "--json"});
  EXPECT_EQ(r.rc, 0) << r.both();
  auto j = wt::stdout_json(r);
  ASSERT_EQ(j["files"][0]["signatures"].size(), 3u) << j.dump(2);
  std::vector<std::string> algs;
  for (const auto& s : j["files"][0]["signatures"]) algs.push_back(s["digest_algorithm"]);
  EXPECT_EQ(algs, (std::vector<std::string>{"sha256", "sha384", "sha512"}));
}

}  // namespace
