// `wslplug verify`: every verdict on real signed DLLs (made by wslplug and by osslsigncode),
// nested signatures, several WIN_CERTIFICATE entries, timestamps and page hashes tolerated.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "pki.hpp"
#include "support.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/signing.hpp"

namespace wt = wslplug::test;
namespace pe = wslplug::pe;
using nlohmann::json;

namespace {

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WSLPLUG_REQUIRE_TOOL("osslsigncode");
    WSLPLUG_REQUIRE_TOOL("openssl");
    signer_ = wt::make_cert(tmp_.path(), "signer");
    ASSERT_FALSE(signer_.cert.empty());
    dll_ = wt::build_dll({.name = "verify-x64-odd", .odd_size = true});
    ASSERT_FALSE(dll_.empty());
  }
  wt::fs::path sign_with(const wt::CertPair& who, const std::string& name,
                         std::vector<std::string> extra = {}) {
    const auto out = tmp_ / name;
    std::vector<std::string> args = {"sign",  dll_.string(),    "--cert", who.cert.string(),
                                     "--key", who.key.string(), "-o",     out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = wt::wslplug(args);
    EXPECT_EQ(r.rc, 0) << r.both();
    return out;
  }
  // Runs verify --json; returns (rc, document).
  std::pair<int, json> verify(const wt::fs::path& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"verify", file.string(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = wt::wslplug(args);
    json doc;
    try {
      doc = json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "verify --json printed invalid JSON: " << e.what() << "\n" << r.both();
    }
    return {r.rc, doc};
  }
  static std::vector<std::string> verdict(const json& doc, std::size_t sig = 0) {
    return doc["files"][0]["signatures"][sig]["verdict"].get<std::vector<std::string>>();
  }
  wt::TempDir tmp_;
  wt::CertPair signer_;
  wt::fs::path dll_;
};

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Offset and length of the first WIN_CERTIFICATE's DER.
std::pair<std::size_t, std::size_t> signature_der(const wt::fs::path& f) {
  auto img = pe::Image::open(f);
  EXPECT_TRUE(img);
  auto entries = img->certificate_entries();
  EXPECT_TRUE(entries && !entries->empty());
  auto bytes = wt::read_bytes(f);
  const std::size_t off = (*entries)[0].data_offset();
  // 30 82 hi lo
  const std::size_t len = (std::to_integer<std::size_t>(bytes[off + 2]) << 8) +
                          std::to_integer<std::size_t>(bytes[off + 3]) + 4;
  return {off, len};
}

void fix_checksum(const wt::fs::path& f) {
  auto img = pe::Image::open(f);
  ASSERT_TRUE(img);
  auto sum = pe::compute_checksum(img->file(), img->layout().checksum_offset);
  ASSERT_TRUE(sum);
  auto bytes = wt::read_bytes(f);
  pe::put_le32(bytes.data() + img->layout().checksum_offset, *sum);
  wt::write_bytes(f, bytes);
}

TEST_F(VerifyTest, GoodSignatureJsonSchema) {
  const auto f = sign_with(signer_, "good.dll", {"--time", "1700000000"});
  auto [rc, doc] = verify(f, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rc, 0) << doc.dump(2);
  EXPECT_TRUE(doc["ok"].get<bool>());
  const auto& file = doc["files"][0];
  EXPECT_EQ(file["file"], f.string());
  EXPECT_TRUE(file["ok"].get<bool>());
  EXPECT_TRUE(file["signed"].get<bool>());
  EXPECT_TRUE(file["checksum_ok"].get<bool>());
  ASSERT_EQ(file["signatures"].size(), 1u);
  const auto& s = file["signatures"][0];
  EXPECT_EQ(s["digest_algorithm"], "sha256");
  EXPECT_EQ(s["embedded_digest"], s["computed_digest"]);
  for (const char* k : {"digest_ok", "signature_ok", "chain_ok", "eku_ok", "validity_ok"})
    EXPECT_TRUE(s[k].get<bool>()) << k;
  EXPECT_EQ(s["signer"]["subject"], "CN=wslplug test signer");
  EXPECT_EQ(s["signing_time"], "2023-11-14T22:13:20Z");
  // Thumbprint equals openssl's SHA-1 fingerprint.
  auto fp =
      wt::run({"openssl", "x509", "-in", signer_.cert.string(), "-noout", "-fingerprint", "-sha1"});
  std::string hex;
  for (char c : fp.out.substr(fp.out.find('=') + 1))
    if (std::isxdigit(static_cast<unsigned char>(c))) hex += c;
  EXPECT_EQ(s["signer"]["thumbprint_sha1"], hex);
  // The digest equals osslsigncode's "Calculated message digest".
  auto osc =
      wt::run({"osslsigncode", "verify", "-CAfile", signer_.cert.string(), "-in", f.string()});
  EXPECT_NE(osc.out.find(s["computed_digest"].get<std::string>()), std::string::npos) << osc.out;
}

TEST_F(VerifyTest, UnsignedAndUntrusted) {
  auto [rc, doc] = verify(dll_, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rc, 1);
  EXPECT_FALSE(doc["files"][0]["signed"].get<bool>());
  EXPECT_FALSE(doc["files"][0]["ok"].get<bool>());

  const auto f = sign_with(signer_, "untrusted.dll");
  auto [rc2, doc2] = verify(f);  // system store only
  EXPECT_EQ(rc2, 1);
  EXPECT_TRUE(has(verdict(doc2), "untrusted-root")) << doc2.dump(2);
  EXPECT_FALSE(doc2["files"][0]["signatures"][0]["chain_ok"].get<bool>());
  EXPECT_TRUE(doc2["files"][0]["signatures"][0]["digest_ok"].get<bool>());
  auto human = wt::wslplug({"verify", f.string()});
  EXPECT_EQ(human.rc, 1);
  EXPECT_NE(human.out.find("not a trusted root"), std::string::npos) << human.out;
}

TEST_F(VerifyTest, TamperedSectionByteIsBadDigest) {
  const auto f = sign_with(signer_, "tampered.dll");
  auto bytes = wt::read_bytes(f);
  auto img = pe::Image::open(f);
  ASSERT_TRUE(img);
  bytes[img->layout().sections[0].raw_offset + 100] ^= std::byte{0x20};
  wt::write_bytes(f, bytes);
  auto [rc, doc] = verify(f, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rc, 1);
  const auto& s = doc["files"][0]["signatures"][0];
  EXPECT_FALSE(s["digest_ok"].get<bool>());
  EXPECT_TRUE(s["signature_ok"].get<bool>());
  EXPECT_EQ(verdict(doc), std::vector<std::string>{"bad-digest"}) << doc.dump(2);
  EXPECT_FALSE(doc["files"][0]["checksum_ok"].get<bool>());
  EXPECT_NE(
      wt::run({"osslsigncode", "verify", "-CAfile", signer_.cert.string(), "-in", f.string()}).rc,
      0);
}

TEST_F(VerifyTest, TamperedSignatureIsBadSignature) {
  const auto f = sign_with(signer_, "badsig.dll");
  auto [off, len] = signature_der(f);
  auto bytes = wt::read_bytes(f);
  bytes[off + len - 20] ^= std::byte{0x01};  // inside the RSA signature value
  wt::write_bytes(f, bytes);
  auto [rc, doc] = verify(f, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rc, 1);
  const auto& s = doc["files"][0]["signatures"][0];
  EXPECT_TRUE(s["digest_ok"].get<bool>());
  EXPECT_FALSE(s["signature_ok"].get<bool>());
  EXPECT_EQ(verdict(doc), std::vector<std::string>{"bad-signature"}) << doc.dump(2);

  // Changing the embedded digest breaks both the digest and the messageDigest.
  const auto g = sign_with(signer_, "baddigest.dll");
  auto gb = wt::read_bytes(g);
  auto [goff, glen] = signature_der(g);
  (void)glen;
  // The SpcIndirectDataContent digest OCTET STRING is at a fixed place for SHA-256: its 32
  // bytes end right before the certificates ([0] at DER offset 166).
  ASSERT_EQ(gb[goff + 166], std::byte{0xa0});
  gb[goff + 160] ^= std::byte{0xff};
  wt::write_bytes(g, gb);
  auto [rc2, doc2] = verify(g, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rc2, 1);
  EXPECT_TRUE(has(verdict(doc2), "bad-digest"));
  EXPECT_TRUE(has(verdict(doc2), "bad-signature")) << doc2.dump(2);

  // A signature that no longer parses is malformed.
  const auto h = sign_with(signer_, "malformed.dll");
  auto hb = wt::read_bytes(h);
  auto [hoff, hlen] = signature_der(h);
  (void)hlen;
  hb[hoff + 5] = std::byte{0x7f};  // break the OID length inside ContentInfo
  hb[hoff + 1] = std::byte{0x05};
  wt::write_bytes(h, hb);
  auto [rc3, doc3] = verify(h, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rc3, 1);
  EXPECT_TRUE(has(verdict(doc3), "malformed")) << doc3.dump(2);
}

TEST_F(VerifyTest, WrongEkuExpiredAndTimeOption) {
  auto server =
      wt::make_cert(tmp_.path(), "server", {.cn = "server auth only", .eku = "serverAuth"});
  const auto f = sign_with(server, "eku.dll");
  auto [rc, doc] = verify(f, {"--ca", server.cert.string()});
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(verdict(doc), std::vector<std::string>{"wrong-usage"}) << doc.dump(2);
  EXPECT_FALSE(doc["files"][0]["signatures"][0]["eku_ok"].get<bool>());

  auto old =
      wt::make_cert(tmp_.path(), "old",
                    {.cn = "expired signer", .start = "20200101000000Z", .end = "20210101000000Z"});
  const auto g = sign_with(old, "expired.dll", {"--time", "1590000000"});
  auto [rc2, doc2] = verify(g, {"--ca", old.cert.string()});
  EXPECT_EQ(rc2, 1);
  EXPECT_EQ(verdict(doc2), std::vector<std::string>{"expired"}) << doc2.dump(2);
  EXPECT_FALSE(doc2["files"][0]["signatures"][0]["validity_ok"].get<bool>());
  EXPECT_TRUE(doc2["files"][0]["signatures"][0]["chain_ok"].get<bool>());
  // As of a time inside the validity period it verifies; before it, it is not yet valid.
  auto [rc3, doc3] = verify(g, {"--ca", old.cert.string(), "--time", "1590000000"});
  EXPECT_EQ(rc3, 0) << doc3.dump(2);
  auto [rc4, doc4] = verify(g, {"--ca", old.cert.string(), "--time", "1500000000"});
  EXPECT_EQ(rc4, 1);
  EXPECT_TRUE(has(verdict(doc4), "not-yet-valid")) << doc4.dump(2);
}

TEST_F(VerifyTest, ChainWithAndWithoutIntermediate) {
  auto root = wt::make_cert(tmp_.path(), "root", {.cn = "test root", .ca = true});
  auto inter =
      wt::make_cert(tmp_.path(), "inter", {.cn = "test inter", .ca = true, .issuer = &root});
  auto leaf = wt::make_cert(tmp_.path(), "leaf", {.cn = "chained leaf", .issuer = &inter});
  const auto with = sign_with(leaf, "with.dll", {"--chain", inter.cert.string()});
  auto [rc, doc] = verify(with, {"--ca", root.cert.string()});
  EXPECT_EQ(rc, 0) << doc.dump(2);
  EXPECT_FALSE(doc["files"][0]["signatures"][0]["signer"]["self_signed"].get<bool>());
  EXPECT_EQ(
      wt::run({"osslsigncode", "verify", "-CAfile", root.cert.string(), "-in", with.string()}).rc,
      0);
  const auto without = sign_with(leaf, "without.dll");
  auto [rc2, doc2] = verify(without, {"--ca", root.cert.string()});
  EXPECT_EQ(rc2, 1);
  EXPECT_EQ(verdict(doc2), std::vector<std::string>{"chain-incomplete"}) << doc2.dump(2);
  // The root is missing everywhere: the chain cannot be completed.
  auto [rc3, doc3] = verify(with, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rc3, 1);
  EXPECT_EQ(verdict(doc3), std::vector<std::string>{"chain-incomplete"}) << doc3.dump(2);
  // The whole chain is embedded but its root is not trusted: untrusted root.
  const auto full =
      sign_with(leaf, "full.dll", {"--chain", inter.cert.string(), "--chain", root.cert.string()});
  auto [rc4, doc4] = verify(full, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rc4, 1);
  EXPECT_EQ(verdict(doc4), std::vector<std::string>{"untrusted-root"}) << doc4.dump(2);
  auto [rc5, doc5] = verify(full, {"--ca", root.cert.string()});
  EXPECT_EQ(rc5, 0) << doc5.dump(2);
}

TEST_F(VerifyTest, ChecksumMismatchFailsFile) {
  const auto f = sign_with(signer_, "checksum.dll");
  auto img = pe::Image::open(f);
  ASSERT_TRUE(img);
  const auto co = img->layout().checksum_offset;
  auto bytes = wt::read_bytes(f);
  bytes[co] ^= std::byte{0x55};
  wt::write_bytes(f, bytes);
  auto [rc, doc] = verify(f, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rc, 1);
  EXPECT_FALSE(doc["files"][0]["checksum_ok"].get<bool>());
  EXPECT_TRUE(doc["files"][0]["signatures"][0]["ok"].get<bool>());
}

TEST_F(VerifyTest, NestedTimestampedAndPageHashedOsslsigncodeSignatures) {
  // Nested: osslsigncode -nest adds a SHA-512 signature to our SHA-256 one.
  const auto f = sign_with(signer_, "primary.dll");
  const auto nested = tmp_ / "nested.dll";
  auto n =
      wt::run({"osslsigncode", "sign", "-nest", "-h", "sha512", "-certs", signer_.cert.string(),
               "-key", signer_.key.string(), "-in", f.string(), "-out", nested.string()});
  ASSERT_EQ(n.rc, 0) << n.both();
  const auto nested2 = tmp_ / "nested2.dll";
  n = wt::run({"osslsigncode", "sign", "-nest", "-h", "sha384", "-certs", signer_.cert.string(),
               "-key", signer_.key.string(), "-in", nested.string(), "-out", nested2.string()});
  ASSERT_EQ(n.rc, 0) << n.both();
  auto [rc, doc] = verify(nested2, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rc, 0) << doc.dump(2);
  const auto& sigs = doc["files"][0]["signatures"];
  ASSERT_EQ(sigs.size(), 3u) << doc.dump(2);
  EXPECT_FALSE(sigs[0]["nested"].get<bool>());
  EXPECT_TRUE(sigs[1]["nested"].get<bool>());
  EXPECT_TRUE(sigs[2]["nested"].get<bool>());
  EXPECT_EQ(sigs[0]["digest_algorithm"], "sha256");
  // Nested values form a DER SET OF, so their order is the encoding order, not signing order.
  std::set<std::string> nested_algs = {sigs[1]["digest_algorithm"].get<std::string>(),
                                       sigs[2]["digest_algorithm"].get<std::string>()};
  EXPECT_EQ(nested_algs, (std::set<std::string>{"sha384", "sha512"}));
  // A tampered image breaks every nested signature's digest too.
  auto bytes = wt::read_bytes(nested2);
  auto img = pe::Image::open(nested2);
  ASSERT_TRUE(img);
  bytes[img->layout().sections[0].raw_offset + 7] ^= std::byte{1};
  const auto bad = tmp_ / "nested-bad.dll";
  wt::write_bytes(bad, bytes);
  auto [rcb, docb] = verify(bad, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rcb, 1);
  for (const auto& s : docb["files"][0]["signatures"]) EXPECT_FALSE(s["digest_ok"].get<bool>());

  // RFC 3161 timestamp from osslsigncode's built-in TSA and page hashes: tolerated.
  auto tsa_root = wt::make_cert(tmp_.path(), "tsaroot", {.cn = "test TSA root", .ca = true});
  auto tsa = wt::make_cert(tmp_.path(), "tsa",
                           {.cn = "test TSA", .eku = "critical,timeStamping", .issuer = &tsa_root});
  const auto tsa_chain = tmp_ / "tsa-chain.pem";
  wt::write_text(tsa_chain, wt::read_text(tsa.cert) + wt::read_text(tsa_root.cert));
  const auto ts = tmp_ / "ts.dll";
  auto t = wt::run({"osslsigncode", "sign", "-ph", "-certs", signer_.cert.string(), "-key",
                    signer_.key.string(), "-TSA-certs", tsa_chain.string(), "-TSA-key",
                    tsa.key.string(), "-TSA-time", std::to_string(std::time(nullptr)), "-in",
                    dll_.string(), "-out", ts.string()});
  ASSERT_EQ(t.rc, 0) << t.both();
  // The timestamp is checked: with the TSA root trusted (--tsa-ca) everything verifies...
  auto [rct, doct] =
      verify(ts, {"--ca", signer_.cert.string(), "--tsa-ca", tsa_root.cert.string()});
  EXPECT_EQ(rct, 0) << doct.dump(2);
  EXPECT_TRUE(doct["files"][0]["signatures"][0]["timestamp"]["ok"].get<bool>()) << doct.dump(2);
  // ...without it, the timestamp's chain is untrusted and the signature is reported as such.
  auto [rcu, docu] = verify(ts, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rcu, 1) << docu.dump(2);
  EXPECT_EQ(docu["files"][0]["signatures"][0]["verdict"], nlohmann::json::array({"bad-timestamp"}))
      << docu.dump(2);
}

TEST_F(VerifyTest, SeveralCertificateTableEntries) {
  // Two WIN_CERTIFICATE entries: ours (SHA-256) then osslsigncode's SHA-384 signature of the
  // same image. osslsigncode 2.9 cannot read such tables; wslplug reports both.
  const auto a = sign_with(signer_, "a.dll");
  const auto b = tmp_ / "b.dll";
  ASSERT_EQ(wt::run({"osslsigncode", "sign", "-h", "sha384", "-certs", signer_.cert.string(),
                     "-key", signer_.key.string(), "-in", dll_.string(), "-out", b.string()})
                .rc,
            0);
  auto ia = pe::Image::open(a);
  auto ib = pe::Image::open(b);
  ASSERT_TRUE(ia && ib);
  auto abytes = wt::read_bytes(a);
  auto bbytes = wt::read_bytes(b);
  const auto bt = ib->layout().cert_table;
  abytes.insert(abytes.end(), bbytes.begin() + bt.address, bbytes.begin() + bt.address + bt.size);
  const auto cd = *ia->layout().cert_dir_offset;
  pe::put_le32(abytes.data() + cd + 4, ia->layout().cert_table.size + bt.size);
  const auto two = tmp_ / "two.dll";
  wt::write_bytes(two, abytes);
  fix_checksum(two);
  auto [rc, doc] = verify(two, {"--ca", signer_.cert.string()});
  EXPECT_EQ(rc, 0) << doc.dump(2);
  const auto& sigs = doc["files"][0]["signatures"];
  ASSERT_EQ(sigs.size(), 2u);
  EXPECT_EQ(sigs[0]["digest_algorithm"], "sha256");
  EXPECT_EQ(sigs[1]["digest_algorithm"], "sha384");
  EXPECT_FALSE(sigs[1]["nested"].get<bool>());
  EXPECT_EQ(sigs[1]["index"], 1);
}

TEST_F(VerifyTest, SeveralFilesMostSevereExitWins) {
  const auto good = sign_with(signer_, "g.dll");
  const auto junk = tmp_ / "junk.dll";
  wt::write_text(junk, "this is not a PE file at all, just text that is long enough");
  auto r = wt::wslplug({"verify", good.string(), dll_.string(), "--ca", signer_.cert.string()});
  EXPECT_EQ(r.rc, 1) << r.both();
  auto r2 = wt::wslplug(
      {"verify", good.string(), junk.string(), "--ca", signer_.cert.string(), "--json"});
  EXPECT_EQ(r2.rc, 2) << r2.both();
  auto doc = json::parse(r2.out);
  ASSERT_EQ(doc["files"].size(), 2u);
  EXPECT_TRUE(doc["files"][0]["ok"].get<bool>());
  EXPECT_EQ(doc["files"][1]["error"]["kind"], "input");
  EXPECT_EQ(doc["files"][1]["file"], junk.string());
}

}  // namespace

namespace {

// Robustness: single-byte corruptions anywhere in the certificate table never crash the
// verifier and never verify, the zero padding after the DER included (in-process, through the
// library, so it is fast).
TEST(VerifyRobustness, CorruptedSignatureBytesNeverVerify) {
  WSLPLUG_REQUIRE_TOOL("openssl");
  wt::TempDir tmp;
  auto signer = wt::make_cert(tmp.path(), "signer");
  const auto dll = wt::build_dll({.name = "verify-x64-odd", .odd_size = true});
  const auto f = tmp / "s.dll";
  ASSERT_EQ(wt::wslplug({"sign", dll.string(), "--cert", signer.cert.string(), "--key",
                         signer.key.string(), "-o", f.string()})
                .rc,
            0);
  const auto good = wt::read_bytes(f);
  auto img = pe::Image::open(f);
  ASSERT_TRUE(img);
  const auto table = img->layout().cert_table;
  wslplug::signing::VerifyOptions opts;
  opts.ca_files = {signer.cert};
  {
    auto rep = wslplug::signing::verify_file(f, opts);
    ASSERT_TRUE(rep);
    ASSERT_TRUE(rep->ok);
  }
  const auto mutated = tmp / "m.dll";
  std::uint32_t seed = 12345;
  int errors = 0, failed_reports = 0;
  for (int i = 0; i < 300; ++i) {
    seed = seed * 1103515245u + 12345u;
    const std::size_t pos = table.address + 8 + (seed >> 8) % (table.size - 8);
    auto bytes = good;
    seed = seed * 1103515245u + 12345u;
    bytes[pos] ^= std::byte(1 + (seed >> 16) % 255);
    wt::write_bytes(mutated, bytes);
    auto rep = wslplug::signing::verify_file(mutated, opts);
    if (!rep) {
      ++errors;
      continue;
    }
    EXPECT_FALSE(rep->ok) << "corruption at " << pos << " still verifies";
    if (!rep->ok) ++failed_reports;
  }
  EXPECT_GT(failed_reports, 250);
  (void)errors;
}

}  // namespace

// Every digest call is checked: with an OpenSSL configuration that has no digests (only the
// base provider), verify is an internal error (exit 3) that says the digest could not be
// computed, never a "bad-digest" verdict about a file that was not changed.
TEST_F(VerifyTest, BrokenOpensslDigestsAreAnErrorNotABadDigest) {
  const auto signed_dll = sign_with(signer_, "ok.dll");
  wt::write_text(tmp_ / "noprov.cnf",
                 "openssl_conf = init\n[init]\nproviders = prov\n[prov]\nbase = base\n"
                 "[base]\nactivate = 1\n");
  const std::map<std::string, std::string> env = {{"OPENSSL_CONF", (tmp_ / "noprov.cnf").string()}};
  auto r = wt::wslplug({"verify", signed_dll.string(), "--ca", signer_.cert.string()}, env);
  EXPECT_EQ(r.rc, 3) << r.both();
  EXPECT_NE(r.err.find("digest"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("OPENSSL_CONF"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("bad-digest"), std::string::npos) << r.out;
  EXPECT_EQ(r.both().find("changed after signing"), std::string::npos) << r.both();
  // The same file verifies with the normal configuration.
  EXPECT_EQ(wt::wslplug({"verify", signed_dll.string(), "--ca", signer_.cert.string()}).rc, 0);
}

// The one trust-store loader: a --ca file that holds no certificate is reported (naming the
// file) as an untrusted root; usage and validity are still checked.
TEST_F(VerifyTest, CaFileWithoutCertificatesIsAnUntrustedRoot) {
  const auto signed_dll = sign_with(signer_, "ok.dll");
  wt::write_text(tmp_ / "junk.pem", "not a certificate\n");
  auto [rc, doc] = verify(signed_dll, {"--ca", (tmp_ / "junk.pem").string()});
  EXPECT_EQ(rc, 1) << doc.dump(2);
  const auto& sig = doc["files"][0]["signatures"][0];
  EXPECT_EQ(verdict(doc), std::vector<std::string>{"untrusted-root"}) << sig.dump(2);
  EXPECT_EQ(sig["chain_ok"], false);
  EXPECT_EQ(sig["eku_ok"], true);
  EXPECT_NE(sig["problems"].dump().find("junk.pem"), std::string::npos) << sig.dump(2);
}

// The verdict table: one row per bit, each name once, names listed in table order.
TEST(VerdictTable, EveryBitHasOneRowAndNamesFollowTheTable) {
  namespace sg = wslplug::signing;
  std::uint32_t seen = 0;
  std::set<std::string_view> names;
  for (const auto& v : sg::kVerdicts) {
    const auto bit = static_cast<std::uint32_t>(v.bit);
    EXPECT_EQ(bit & (bit - 1), 0u) << v.name << " is not a single bit";
    EXPECT_EQ(seen & bit, 0u) << v.name << " appears twice";
    seen |= bit;
    EXPECT_TRUE(names.insert(v.name).second) << v.name;
    EXPECT_FALSE(v.wsl_error.empty()) << v.name;
    EXPECT_EQ(sg::wsl_error(v.bit), v.wsl_error);
  }
  EXPECT_EQ(seen, (1u << sg::kVerdicts.size()) - 1);
  EXPECT_EQ(sg::verdict_names(sg::Verdict::kExpired | sg::Verdict::kBadDigest),
            (std::vector<std::string_view>{"bad-digest", "expired"}));
  EXPECT_TRUE(sg::verdict_names(sg::Verdict::kOk).empty());
  EXPECT_EQ(sg::wsl_error(sg::Verdict::kBadDigest), "TRUST_E_BAD_DIGEST");
  EXPECT_TRUE(sg::has(sg::Verdict::kExpired | sg::Verdict::kWrongUsage, sg::Verdict::kWrongUsage));
  EXPECT_FALSE(sg::has(sg::Verdict::kExpired, sg::Verdict::kWrongUsage));
}

// --crl: revocation is checked only when asked for, against the CRLs given. A leaf revoked by its
// root is `revoked`; a chain certificate without a CRL among them is `revoked` too (its status is
// unknown); an unrevoked leaf with its CRLs verifies.
TEST_F(VerifyTest, CrlRevokedAndUnknownAndGood) {
  auto root = wt::make_cert(tmp_.path(), "root", {.cn = "crl test root", .ca = true});
  auto leaf = wt::make_cert(tmp_.path(), "leaf", {.cn = "crl leaf", .issuer = &root});
  auto other = wt::make_cert(tmp_.path(), "other", {.cn = "crl other leaf", .issuer = &root});
  const auto f = sign_with(leaf, "leaf.dll");
  const auto g = sign_with(other, "other.dll");
  const auto cnf = (tmp_ / "root.cnf").string();
  auto ca = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"openssl",          "ca",       "-batch",
                                     "-config",          cnf,        "-cert",
                                     root.cert.string(), "-keyfile", root.key.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = wt::run(args);
    EXPECT_EQ(r.rc, 0) << r.both();
  };
  const auto empty_crl = (tmp_ / "empty.crl").string();
  ca({"-gencrl", "-crldays", "30", "-out", empty_crl});
  ca({"-revoke", leaf.cert.string()});
  const auto crl = (tmp_ / "root.crl").string();
  ca({"-gencrl", "-crldays", "30", "-out", crl});
  // Without --crl nothing is checked.
  EXPECT_EQ(verify(f, {"--ca", root.cert.string()}).first, 0);
  auto [rc, doc] = verify(f, {"--ca", root.cert.string(), "--crl", crl});
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(verdict(doc), std::vector<std::string>{"revoked"}) << doc.dump(2);
  EXPECT_NE(doc.dump().find("revoked"), std::string::npos);
  // Another leaf of the same root, not listed: ok; and with the CRL from before the revocation,
  // the first leaf is ok too.
  auto [rc2, doc2] = verify(g, {"--ca", root.cert.string(), "--crl", crl});
  EXPECT_EQ(rc2, 0) << doc2.dump(2);
  EXPECT_EQ(verify(f, {"--ca", root.cert.string(), "--crl", empty_crl}).first, 0);
  // A CRL of another issuer: the leaf's status is unknown, which is not accepted.
  auto [rc3, doc3] =
      verify(sign_with(signer_, "self.dll"), {"--ca", signer_.cert.string(), "--crl", crl});
  EXPECT_EQ(rc3, 1);
  EXPECT_EQ(verdict(doc3), std::vector<std::string>{"revoked"}) << doc3.dump(2);
  // Not a CRL, or a missing file.
  wt::write_text(tmp_ / "junk.crl", "junk\n");
  auto [rc4, doc4] = verify(g, {"--ca", root.cert.string(), "--crl", (tmp_ / "junk.crl").string()});
  EXPECT_EQ(rc4, 1);
  EXPECT_NE(doc4.dump().find("no certificate revocation list"), std::string::npos) << doc4.dump(2);
  auto missing = wt::wslplug({"verify", g.string(), "--crl", (tmp_ / "nope.crl").string()});
  EXPECT_EQ(missing.rc, 2) << missing.both();
  EXPECT_NE(missing.err.find("--crl"), std::string::npos) << missing.err;
}
