// RFC 3161 client and token verification against the local TSA (tests/support/tsa.hpp, a real
// `openssl ts -reply` behind HTTP), with `openssl ts -verify` and osslsigncode as oracles.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <chrono>
#include <ctime>

#include "pki.hpp"
#include "signed_dll.hpp"
#include "support.hpp"
#include "tsa.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/oids.hpp"
#include "wslplug/signing/signed_data.hpp"
#include "wslplug/signing/signing.hpp"
#include "wslplug/signing/timestamp.hpp"

namespace wt = wslplug::test;
namespace sg = wslplug::signing;
using namespace std::chrono_literals;

namespace {

std::vector<std::byte> bytes_of(std::string_view s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

sg::TimestampOptions opts(const std::string& url) {
  sg::TimestampOptions o;
  o.url = url;
  o.timeout = 5s;
  o.backoff = 10ms;
  return o;
}

// A DLL signed by osslsigncode (no timestamp) and its extracted signature.
wt::SignedDll osc_signed(const wt::TempDir& dir, const std::vector<std::string>& extra = {}) {
  return wt::make_signed_dll(
      dir.path(), {.fixture = "ts-x64", .signer_cn = "wslplug ts test signer", .sign_args = extra});
}

int count_attrs(const std::vector<std::byte>& der, const char* oid_text, int* values = nullptr) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  PKCS7* p7 = d2i_PKCS7(nullptr, &p, static_cast<long>(der.size()));
  if (p7 == nullptr) return -1;
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
  ASN1_OBJECT* obj = OBJ_txt2obj(oid_text, 1);
  int n = 0;
  for (int i = X509at_get_attr_by_OBJ(si->unauth_attr, obj, -1); i >= 0;
       i = X509at_get_attr_by_OBJ(si->unauth_attr, obj, i)) {
    ++n;
    if (values) *values = X509_ATTRIBUTE_count(X509at_get_attr(si->unauth_attr, i));
  }
  ASN1_OBJECT_free(obj);
  PKCS7_free(p7);
  return n;
}

}  // namespace

TEST(TimestampClient, TokenVerifiesWithOpensslTs) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::TempDir dir;
  const std::string data = "the signature value bytes of some SignerInfo";
  wt::write_text(dir / "data.bin", data);
  for (auto alg : {sg::DigestAlgorithm::kSha256, sg::DigestAlgorithm::kSha384}) {
    auto o = opts(tsa.url());
    o.digest = alg;
    auto token = sg::fetch_timestamp_token(bytes_of(data), o);
    ASSERT_TRUE(token) << token.error().describe();
    wt::write_bytes(dir / "token.der", *token);
    auto r = wt::run({"openssl", "ts", "-verify", "-token_in", "-in", (dir / "token.der").string(),
                      "-data", (dir / "data.bin").string(), "-CAfile", tsa.root_cert().string(),
                      "-untrusted", tsa.leaf_cert().string()});
    EXPECT_EQ(r.rc, 0) << r.both();
    EXPECT_NE(r.out.find("Verification: OK"), std::string::npos) << r.both();
    // Our verifier agrees, and names the TSA and the time.
    auto rep = sg::verify_timestamp_token(*token, bytes_of(data), {tsa.root_cert()});
    EXPECT_TRUE(rep.ok) << rep.problem;
    EXPECT_NE(rep.tsa_subject.find("CN=wslplug test TSA"), std::string::npos) << rep.tsa_subject;
    EXPECT_LE(std::abs(rep.time - static_cast<std::int64_t>(std::time(nullptr))), 120);
    EXPECT_EQ(rep.digest_algorithm, alg == sg::DigestAlgorithm::kSha256 ? "sha256" : "sha384");
  }
  // The server saw real timestamp queries.
  auto reqs = tsa.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_NE(reqs[0].find("application/timestamp-query"), std::string::npos) << reqs[0];
}

TEST(TimestampClient, ChunkedReply) {
  wt::LocalTsa tsa({.mode = wt::TsaMode::kChunked});
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  const std::string data = "chunked transfer";
  auto token = sg::fetch_timestamp_token(bytes_of(data), opts(tsa.url()));
  ASSERT_TRUE(token) << token.error().describe();
  auto rep = sg::verify_timestamp_token(*token, bytes_of(data), {tsa.root_cert()});
  EXPECT_TRUE(rep.ok) << rep.problem;
}

TEST(TimestampClient, RequestHasNonceCertReqAndImprint) {
  const std::string data = "abc";
  auto a = sg::make_timestamp_request(bytes_of(data), sg::DigestAlgorithm::kSha256);
  auto b = sg::make_timestamp_request(bytes_of(data), sg::DigestAlgorithm::kSha256);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->nonce.size(), 8u);
  EXPECT_NE(a->nonce, b->nonce);
  // SHA-256("abc")
  EXPECT_EQ(a->imprint.size(), 32u);
  EXPECT_EQ(std::to_integer<int>(a->imprint[0]), 0xba);
  wt::TempDir dir;
  wt::write_bytes(dir / "q.tsq", a->der);
  auto r = wt::run({"openssl", "ts", "-query", "-in", (dir / "q.tsq").string(), "-text"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.out.find("Version: 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Hash Algorithm: sha256"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Certificate required: yes"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Nonce: unspecified"), std::string::npos) << r.out;
}

TEST(TimestampClient, ClearErrorsForBadServers) {
  const auto data = bytes_of("payload");
  struct Case {
    wt::TsaMode mode;
    std::vector<std::string> expect;
  };
  const std::vector<Case> cases = {
      {wt::TsaMode::kGarbage, {"not an RFC 3161 TimeStampResp"}},
      {wt::TsaMode::kHttp500, {"HTTP error 500", "test TSA failure"}},
      {wt::TsaMode::kReject, {"refused", "rejection", "request rejected", "badAlg"}},
      {wt::TsaMode::kBadNonce, {"nonce mismatch"}},
      {wt::TsaMode::kBadImprint, {"imprint mismatch"}},
  };
  for (const auto& c : cases) {
    wt::LocalTsa tsa({.mode = c.mode});
    ASSERT_TRUE(tsa.ok()) << tsa.error();
    auto token = sg::fetch_timestamp_token(data, opts(tsa.url()));
    ASSERT_FALSE(token) << wt::tsa_mode_name(c.mode);
    const auto& e = token.error();
    EXPECT_EQ(e.kind, wslplug::ErrorKind::kIo);
    EXPECT_NE(e.message.find(tsa.url()), std::string::npos) << e.message;
    for (const auto& s : c.expect) EXPECT_NE(e.message.find(s), std::string::npos) << e.message;
    EXPECT_FALSE(e.fix.empty());
    EXPECT_EQ(tsa.requests().size(), 1u) << wt::tsa_mode_name(c.mode);
  }
}

TEST(TimestampClient, UnreachableHangAndBadUrl) {
  const auto data = bytes_of("payload");
  // A port nobody listens on: start a TSA, note its port, stop it.
  int port = 0;
  {
    wt::LocalTsa tsa;
    ASSERT_TRUE(tsa.ok()) << tsa.error();
    port = tsa.port();
  }
  auto url = fmt::format("http://127.0.0.1:{}/tsa", port);
  auto r = sg::fetch_timestamp_token(data, opts(url));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unreachable"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(url), std::string::npos) << r.error().message;

  wt::LocalTsa hang({.mode = wt::TsaMode::kHang});
  ASSERT_TRUE(hang.ok()) << hang.error();
  auto o = opts(hang.url());
  o.timeout = 400ms;
  auto start = std::chrono::steady_clock::now();
  r = sg::fetch_timestamp_token(data, o);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no reply within 400 ms"), std::string::npos)
      << r.error().message;
  EXPECT_LT(took, 5s);

  for (const std::string bad :
       {"gopher://127.0.0.1/", "ftp://x/", "127.0.0.1:80", "http://:80/", "http://h:99999/"}) {
    auto e = sg::fetch_timestamp_token(data, opts(bad));
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().kind, wslplug::ErrorKind::kInput) << bad;
    EXPECT_EQ(e.error().where, "timestamp_url");
    EXPECT_FALSE(e.error().fix.empty());
  }
}

TEST(TimestampClient, RetriesWithBackoff) {
  const auto data = bytes_of("payload");
  {  // Two failures, then success: 3 requests.
    wt::LocalTsa tsa({.first_mode = wt::TsaMode::kHttp500, .first_count = 2});
    ASSERT_TRUE(tsa.ok()) << tsa.error();
    auto o = opts(tsa.url());
    o.retries = 2;
    auto token = sg::fetch_timestamp_token(data, o);
    ASSERT_TRUE(token) << token.error().describe();
    EXPECT_EQ(tsa.requests().size(), 3u);
  }
  {  // Always failing: gives up after 1 + retries attempts and says so.
    wt::LocalTsa tsa({.mode = wt::TsaMode::kGarbage});
    ASSERT_TRUE(tsa.ok()) << tsa.error();
    auto o = opts(tsa.url());
    o.retries = 2;
    auto start = std::chrono::steady_clock::now();
    auto token = sg::fetch_timestamp_token(data, o);
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(token);
    EXPECT_NE(token.error().message.find("after 3 attempts"), std::string::npos)
        << token.error().message;
    EXPECT_EQ(tsa.requests().size(), 3u);
    EXPECT_GE(took, 30ms);  // backoff 10 ms + 20 ms
  }
  {  // A rejection is final: no retry.
    wt::LocalTsa tsa({.mode = wt::TsaMode::kReject});
    ASSERT_TRUE(tsa.ok()) << tsa.error();
    auto o = opts(tsa.url());
    o.retries = 3;
    EXPECT_FALSE(sg::fetch_timestamp_token(data, o));
    EXPECT_EQ(tsa.requests().size(), 1u);
  }
}

// wslplug timestamps an osslsigncode signature; osslsigncode verifies the TSA signature.
TEST(TimestampPkcs7, OsslsigncodeVerifiesOurTimestamp) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::TempDir dir;
  auto s = osc_signed(dir);
  auto sig = wt::read_bytes(s.sig_der);
  auto stamped = sg::timestamp_pkcs7(sig, opts(tsa.url()), s.sig_der.string());
  ASSERT_TRUE(stamped) << stamped.error().describe();
  EXPECT_EQ(count_attrs(*stamped, sg::oid::kRfc3161Timestamp), 1);
  // Timestamping again replaces the attribute.
  auto twice = sg::timestamp_pkcs7(*stamped, opts(tsa.url()), s.sig_der.string());
  ASSERT_TRUE(twice) << twice.error().describe();
  EXPECT_EQ(count_attrs(*twice, sg::oid::kRfc3161Timestamp), 1);
  EXPECT_NE(*twice, *stamped);

  auto img = wslplug::pe::Image::open(s.signed_dll);
  ASSERT_TRUE(img) << img.error().describe();
  auto out = dir / "stamped.dll";
  auto st = sg::write_signature(s.signed_dll, out, *twice, {});
  ASSERT_TRUE(st) << st.error().describe();
  auto r = wt::run({"osslsigncode", "verify", "-CAfile", s.signer.cert.string(), "-TSA-CAfile",
                    tsa.root_cert().string(), out.string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.out.find("Timestamp Server Signature verification: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Succeeded"), std::string::npos) << r.out;
  // With another TSA root, osslsigncode reports the TSA signature as failed (the check is real;
  // osslsigncode 2.9 then falls back to verifying at the current time, so rc stays 0).
  wt::LocalTsa other;
  ASSERT_TRUE(other.ok()) << other.error();
  r = wt::run({"osslsigncode", "verify", "-CAfile", s.signer.cert.string(), "-TSA-CAfile",
               other.root_cert().string(), out.string()});
  EXPECT_NE(r.out.find("Timestamp Server Signature verification: failed"), std::string::npos)
      << r.out;
  // And ours agrees both ways.
  auto rep = sg::verify_pkcs7_timestamp(*twice, {tsa.root_cert()});
  ASSERT_TRUE(rep && rep->has_value());
  EXPECT_TRUE((*rep)->ok) << (*rep)->problem;
  rep = sg::verify_pkcs7_timestamp(*twice, {other.root_cert()});
  ASSERT_TRUE(rep && rep->has_value());
  EXPECT_FALSE((*rep)->ok);
  EXPECT_NE((*rep)->problem.find("TSA signature or certificate chain"), std::string::npos)
      << (*rep)->problem;
}

// TimestampOptions::tsa_ca_files: the returned token must chain to those roots, or the library
// returns the error naming {tsa_ca} instead of a timestamped signature.
TEST(TimestampPkcs7, TokenIsCheckedAgainstTheGivenTsaRoot) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::LocalTsa other;
  ASSERT_TRUE(other.ok()) << other.error();
  wt::TempDir dir;
  auto s = osc_signed(dir);
  auto sig = wt::read_bytes(s.sig_der);
  auto o = opts(tsa.url());
  o.tsa_ca_files = {other.root_cert()};
  auto refused = sg::timestamp_pkcs7(sig, o, s.sig_der.string());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, wslplug::ErrorKind::kBad);
  EXPECT_EQ(refused.error().where, "tsa_ca");
  EXPECT_NE(refused.error().message.find("does not verify against {tsa_ca}"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("wslplug test TSA"), std::string::npos)
      << refused.error().message;
  o.tsa_ca_files = {tsa.root_cert()};
  auto stamped = sg::timestamp_pkcs7(sig, o, s.sig_der.string());
  ASSERT_TRUE(stamped) << stamped.error().describe();
  EXPECT_EQ(count_attrs(*stamped, sg::oid::kRfc3161Timestamp), 1);
}

// osslsigncode -ts makes the timestamp; wslplug verifies it.
TEST(TimestampPkcs7, WeVerifyOsslsigncodeTimestamp) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::TempDir dir;
  auto s = osc_signed(dir, {"-ts", tsa.url()});
  auto sig = wt::read_bytes(s.sig_der);
  auto rep = sg::verify_pkcs7_timestamp(sig, {tsa.root_cert()}, s.sig_der.string());
  ASSERT_TRUE(rep) << rep.error().describe();
  ASSERT_TRUE(rep->has_value()) << "no timestamp found";
  const auto& t = **rep;
  EXPECT_TRUE(t.ok) << t.problem;
  EXPECT_EQ(t.digest_algorithm, "sha256");
  EXPECT_NE(t.tsa_subject.find("CN=wslplug test TSA"), std::string::npos) << t.tsa_subject;
  EXPECT_LE(std::abs(t.time - static_cast<std::int64_t>(std::time(nullptr))), 120);

  // The token does not cover another signature value (imprint check).
  auto model = sg::SignedData::parse(sig);
  ASSERT_TRUE(model) << model.error().describe();
  auto token = model->timestamp_token();
  ASSERT_TRUE(token.has_value());
  auto wrong = sg::verify_timestamp_token(*token, bytes_of("another signature"), {tsa.root_cert()});
  EXPECT_FALSE(wrong.ok);
  EXPECT_NE(wrong.problem.find("message imprint does not match"), std::string::npos)
      << wrong.problem;
  // A TSA root file that is not a certificate: a clear problem naming it.
  wt::write_text(dir / "junk.pem", "not a certificate\n");
  auto junk = sg::verify_pkcs7_timestamp(sig, {dir / "junk.pem"});
  ASSERT_TRUE(junk && junk->has_value());
  EXPECT_FALSE((*junk)->ok);
  EXPECT_NE((*junk)->problem.find("junk.pem"), std::string::npos) << (*junk)->problem;

  // An unstamped signature has no timestamp.
  wt::TempDir dir2;
  auto plain = osc_signed(dir2);
  auto none = sg::verify_pkcs7_timestamp(wt::read_bytes(plain.sig_der), {tsa.root_cert()});
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_FALSE(none->has_value());
}

TEST(TimestampPkcs7, GarbageInputIsAnInputError) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  auto r = sg::timestamp_pkcs7(bytes_of("not der at all"), opts(tsa.url()), "sig.p7");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, wslplug::ErrorKind::kInput);
  EXPECT_EQ(r.error().file, "sig.p7");
  EXPECT_TRUE(tsa.requests().empty());
}

// A chunked reply whose chunk size is 2^64 - 1: the size check must not wrap around (the size
// is parsed with from_chars and compared without adding to the position).
TEST(TimestampClient, HugeChunkSizeIsAMalformedReply) {
  wt::LocalTsa tsa({.mode = wt::TsaMode::kHugeChunk});
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  auto r = sg::fetch_timestamp_token(bytes_of("signature value"), opts(tsa.url()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, wslplug::ErrorKind::kIo);
  EXPECT_NE(r.error().message.find("malformed chunked body"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(tsa.requests().size(), 1u);
}
