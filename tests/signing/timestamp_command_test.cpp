// `wslplug timestamp` end to end: the real binary, the local TSA, osslsigncode as the verifier.
#include <gtest/gtest.h>

#include <set>

#include "pki.hpp"
#include "signed_dll.hpp"
#include "support.hpp"
#include "tsa.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/signing.hpp"
#include "wslplug/signing/timestamp.hpp"

namespace wt = wslplug::test;
namespace sg = wslplug::signing;

namespace {

struct Signed : wt::SignedDll {
  wt::TempDir dir;
  wt::fs::path dll;  // the signed DLL
};

void make_signed(Signed& s) {
  static_cast<wt::SignedDll&>(s) = wt::make_signed_dll(
      s.dir.path(), {.fixture = "ts-cli-x64", .signer_cn = "wslplug timestamp cli test"});
  s.dll = s.signed_dll;
}

wt::RunResult osc_verify(const Signed& s, const wt::fs::path& file, const wt::fs::path& tsa_root) {
  return wt::run({"osslsigncode", "verify", "-CAfile", s.signer.cert.string(), "-TSA-CAfile",
                  tsa_root.string(), file.string()});
}

}  // namespace

TEST(TimestampCommand, AddsATimestampOsslsigncodeVerifies) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  Signed s;
  make_signed(s);
  const auto before = wt::sha256_file(s.dll);
  auto out = s.dir / "stamped.dll";
  auto r = wt::wslplug({"timestamp", s.dll.string(), "--timestamp", tsa.url(), "-o", out.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.err.find("timestamped"), std::string::npos) << r.err;
  EXPECT_EQ(wt::sha256_file(s.dll), before);
  auto v = osc_verify(s, out, tsa.root_cert());
  EXPECT_EQ(v.rc, 0) << v.both();
  EXPECT_NE(v.out.find("Timestamp Server Signature verification: ok"), std::string::npos) << v.out;
  // The unstamped input has no timestamp for osslsigncode.
  v = osc_verify(s, s.dll, tsa.root_cert());
  EXPECT_EQ(v.out.find("Timestamp Server Signature verification"), std::string::npos) << v.out;

  // --in-place, with sha512 imprints.
  r = wt::wslplug({"timestamp", s.dll.string(), "--timestamp", tsa.url(), "--timestamp-hash",
                   "sha512", "--in-place"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(wt::sha256_file(s.dll), before);
  v = osc_verify(s, s.dll, tsa.root_cert());
  EXPECT_EQ(v.rc, 0) << v.both();
  EXPECT_NE(v.out.find("Timestamp Server Signature verification: ok"), std::string::npos) << v.out;
  auto img = wslplug::pe::Image::open(s.dll);
  ASSERT_TRUE(img) << img.error().describe();
  auto sig = sg::embedded_signature(s.dll);
  ASSERT_TRUE(sig) << sig.error().describe();
  auto rep = sg::verify_pkcs7_timestamp(*sig, {tsa.root_cert()});
  ASSERT_TRUE(rep && rep->has_value());
  EXPECT_TRUE((*rep)->ok) << (*rep)->problem;
  EXPECT_EQ((*rep)->digest_algorithm, "sha512");
  EXPECT_TRUE(wt::stray_temp_files(s.dir.path()).empty());
}

TEST(TimestampCommand, BadServersFailCleanlyAndWriteNothing) {
  Signed s;
  make_signed(s);
  const auto before = wt::sha256_file(s.dll);
  struct Case {
    wt::TsaMode mode;
    std::vector<std::string> extra;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {wt::TsaMode::kGarbage, {}, "not an RFC 3161 TimeStampResp"},
      {wt::TsaMode::kHang, {"--timestamp-timeout", "0.5"}, "no reply within 500 ms"},
      {wt::TsaMode::kHttp500, {"--timestamp-retries", "1"}, "after 2 attempts"},
      {wt::TsaMode::kReject, {}, "rejection"},
  };
  for (const auto& c : cases) {
    wt::LocalTsa tsa({.mode = c.mode});
    ASSERT_TRUE(tsa.ok()) << tsa.error();
    auto out = s.dir / "out.dll";
    std::vector<std::string> args{"timestamp", s.dll.string(), "--timestamp",
                                  tsa.url(),   "-o",           out.string()};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    auto r = wt::wslplug(args);
    EXPECT_EQ(r.rc, 3) << r.both();
    EXPECT_NE(r.err.find(tsa.url()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("fix:"), std::string::npos) << r.err;
    EXPECT_FALSE(wt::fs::exists(out));
    EXPECT_EQ(wt::sha256_file(s.dll), before);
    EXPECT_TRUE(wt::stray_temp_files(s.dir.path()).empty());
  }
  // Unreachable, in place: the file is untouched.
  int port = 0;
  {
    wt::LocalTsa gone;
    ASSERT_TRUE(gone.ok());
    port = gone.port();
  }
  auto r = wt::wslplug({"timestamp", s.dll.string(), "--timestamp",
                        "http://127.0.0.1:" + std::to_string(port) + "/", "--in-place"});
  EXPECT_EQ(r.rc, 3) << r.both();
  EXPECT_NE(r.err.find("unreachable"), std::string::npos) << r.err;
  EXPECT_EQ(wt::sha256_file(s.dll), before);
}

TEST(TimestampCommand, UsageAndInputErrors) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  Signed s;
  make_signed(s);
  // Neither -o nor --in-place.
  auto r = wt::wslplug({"timestamp", s.dll.string(), "--timestamp", tsa.url()});
  EXPECT_EQ(r.rc, 2) << r.both();
  // An unsigned file.
  auto plain = s.unsigned_dll;
  r = wt::wslplug(
      {"timestamp", plain.string(), "--timestamp", tsa.url(), "-o", (s.dir / "x.dll").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("not signed"), std::string::npos) << r.err;
  // A scheme other than http(s), a bad digest name.
  r = wt::wslplug({"timestamp", s.dll.string(), "--timestamp", "ftp://127.0.0.1/", "-o",
                   (s.dir / "x.dll").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("unsupported URL scheme 'ftp'"), std::string::npos) << r.err;
  r = wt::wslplug({"timestamp", s.dll.string(), "--timestamp", tsa.url(), "--timestamp-hash", "md5",
                   "-o", (s.dir / "x.dll").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  // An existing output is refused before the server is asked.
  wt::write_text(s.dir / "exists.dll", "keep me");
  r = wt::wslplug({"timestamp", s.dll.string(), "--timestamp", tsa.url(), "-o",
                   (s.dir / "exists.dll").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(wt::read_text(s.dir / "exists.dll"), "keep me");
  EXPECT_TRUE(tsa.requests().empty());
  EXPECT_FALSE(wt::fs::exists(s.dir / "x.dll"));
  // --help has examples.
  r = wt::wslplug({"timestamp", "--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--timestamp-retries"), std::string::npos) << r.out;
}

TEST(TimestampCommand, TimestampsANestedSignatureByIndex) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  Signed s;
  make_signed(s);
  auto two = s.dir / "two.dll";
  wt::osslsigncode({"sign", "-certs", s.signer.cert.string(), "-key", s.signer.key.string(), "-h",
                    "sha512", "-nest", "-in", s.dll.string(), "-out", two.string()});
  auto r = wt::wslplug(
      {"timestamp", two.string(), "--index", "1", "--timestamp", tsa.url(), "--in-place"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.err.find("timestamped signature 1"), std::string::npos) << r.err;
  // osslsigncode: both verify, exactly one timestamp, on the nested one.
  auto v = osc_verify(s, two, tsa.root_cert());
  EXPECT_EQ(v.rc, 0) << v.both();
  EXPECT_NE(v.out.find("Number of verified signatures: 2"), std::string::npos) << v.out;
  std::size_t count = 0;
  for (auto p = v.out.find("Timestamp Server Signature verification: ok"); p != std::string::npos;
       p = v.out.find("Timestamp Server Signature verification: ok", p + 1))
    ++count;
  EXPECT_EQ(count, 1u) << v.out;
  auto img = wslplug::pe::Image::open(two);
  ASSERT_TRUE(img);
  auto sig = sg::embedded_signature(two);
  ASSERT_TRUE(sig);
  auto primary = sg::verify_pkcs7_timestamp(*sig, {tsa.root_cert()});
  ASSERT_TRUE(primary);
  EXPECT_FALSE(primary->has_value());  // the primary stays unstamped
  // An index that does not exist: input error, file untouched.
  const auto before = wt::sha256_file(two);
  r = wt::wslplug(
      {"timestamp", two.string(), "--index", "2", "--timestamp", tsa.url(), "--in-place"});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("no signature with index 2"), std::string::npos) << r.err;
  EXPECT_EQ(wt::sha256_file(two), before);
}

// --index 2 of three signatures (a primary and two nested ones): only that one is stamped, the
// other two keep their bytes, and verify numbers them as timestamp did.
TEST(TimestampCommand, TimestampsTheSecondOfTwoNestedSignatures) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  Signed s;
  make_signed(s);
  auto one = s.dir / "one.dll", three = s.dir / "three.dll", out = s.dir / "out.dll";
  wt::osslsigncode({"sign", "-certs", s.signer.cert.string(), "-key", s.signer.key.string(), "-h",
                    "sha512", "-nest", "-in", s.dll.string(), "-out", one.string()});
  wt::osslsigncode({"sign", "-certs", s.signer.cert.string(), "-key", s.signer.key.string(), "-h",
                    "sha384", "-nest", "-in", one.string(), "-out", three.string()});
  std::vector<std::vector<std::byte>> before;
  for (std::size_t i = 0; i < 3; ++i) {
    auto sig = sg::signature_at(three, i);
    ASSERT_TRUE(sig) << sig.error().message;
    before.push_back(sig->der);
  }
  auto r = wt::wslplug(
      {"timestamp", three.string(), "--index", "2", "--timestamp", tsa.url(), "-o", out.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.err.find("timestamped signature 2"), std::string::npos) << r.err;
  EXPECT_EQ(tsa.requests().size(), 1u);

  // The same three signatures in the same order (by digest algorithm), only index 2 stamped.
  auto algorithms = [&](const wt::fs::path& file) {
    auto v = wt::wslplug({"verify", file.string(), "--ca", s.signer.cert.string(), "--tsa-ca",
                          tsa.root_cert().string(), "--json"});
    EXPECT_EQ(v.rc, 0) << v.both();
    return wt::stdout_json(v)["files"][0]["signatures"];
  };
  const auto was = algorithms(three);
  const auto sigs = algorithms(out);
  ASSERT_EQ(was.size(), 3u);
  ASSERT_EQ(sigs.size(), 3u);
  std::set<std::string> distinct;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(sigs[i]["index"], i);
    EXPECT_EQ(sigs[i]["digest_algorithm"], was[i]["digest_algorithm"]) << i;
    distinct.insert(sigs[i]["digest_algorithm"].get<std::string>());
    EXPECT_TRUE(sigs[i]["ok"].get<bool>()) << i;
    EXPECT_TRUE(was[i]["timestamp"].is_null()) << i;
    if (i == 2) {
      ASSERT_TRUE(sigs[i]["timestamp"].is_object()) << sigs.dump();
      EXPECT_TRUE(sigs[i]["timestamp"]["ok"].get<bool>()) << sigs.dump();
    } else {
      EXPECT_TRUE(sigs[i]["timestamp"].is_null()) << i << ": " << sigs.dump();
    }
  }
  EXPECT_EQ(distinct.size(), 3u);  // sha256, sha384, sha512: each signature told apart
  // Nested signature 1 is byte for byte what it was; 2 is the one that changed.
  auto n1 = sg::signature_at(out, 1);
  ASSERT_TRUE(n1) << n1.error().message;
  EXPECT_EQ(n1->der, before[1]);
  auto n2 = sg::signature_at(out, 2);
  ASSERT_TRUE(n2) << n2.error().message;
  EXPECT_NE(n2->der, before[2]);
  EXPECT_GT(n2->der.size(), before[2].size());  // the token was added
  // osslsigncode agrees: three verified signatures, one timestamp.
  auto o = osc_verify(s, out, tsa.root_cert());
  EXPECT_EQ(o.rc, 0) << o.both();
  EXPECT_NE(o.out.find("Number of verified signatures: 3"), std::string::npos) << o.out;
}
