// `wslplug sign --timestamp` and `wslplug verify` of timestamps, end to end: the real binary,
// the local TSA, osslsigncode as the independent verifier and signer.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "pki.hpp"
#include "support.hpp"
#include "tsa.hpp"

namespace wt = wslplug::test;

namespace {

std::string utc(std::time_t t) {
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%SZ", std::gmtime(&t));
  return buf;
}

nlohmann::json verify_json(const std::vector<std::string>& args, int want_rc) {
  std::vector<std::string> a{"verify", "--json"};
  a.insert(a.end(), args.begin(), args.end());
  auto r = wt::wslplug(a);
  EXPECT_EQ(r.rc, want_rc) << r.both();
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "verify --json printed no JSON: " << e.what() << "\n" << r.both();
    return {};
  }
}

}  // namespace

TEST(SignTimestamp, OsslsigncodeAndWslplugVerifyOurTimestamp) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::TempDir dir;
  auto signer = wt::make_cert(dir.path(), "signer");
  auto dll = wt::copy_to(wt::build_dll({.name = "ts-sign-x64"}), dir.path(), "plugin.dll");
  auto out = dir / "signed.dll";
  auto r = wt::wslplug({"sign", dll.string(), "--cert", signer.cert.string(), "--key",
                        signer.key.string(), "--timestamp", tsa.url(), "-o", out.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.err.find("timestamped by"), std::string::npos) << r.err;
  ASSERT_EQ(tsa.requests().size(), 1u);

  auto v = wt::run({"osslsigncode", "verify", "-CAfile", signer.cert.string(), "-TSA-CAfile",
                    tsa.root_cert().string(), out.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
  EXPECT_NE(v.out.find("Timestamp Server Signature verification: ok"), std::string::npos) << v.out;

  auto j = verify_json(
      {out.string(), "--ca", signer.cert.string(), "--tsa-ca", tsa.root_cert().string()}, 0);
  ASSERT_TRUE(j.contains("files")) << j.dump(2);
  const auto& sig = j["files"][0]["signatures"][0];
  ASSERT_TRUE(sig["timestamp"].is_object()) << sig.dump(2);
  EXPECT_EQ(sig["timestamp"]["ok"], true) << sig.dump(2);
  EXPECT_EQ(sig["timestamp"]["digest_algorithm"], "sha256");
  EXPECT_NE(sig["timestamp"]["tsa_subject"].get<std::string>().find("wslplug test TSA"),
            std::string::npos);
  EXPECT_TRUE(sig["timestamp"]["time"].is_string()) << sig.dump(2);

  // A TSA root that did not issue the TSA certificate: bad-timestamp, exit 1.
  wt::LocalTsa other;
  ASSERT_TRUE(other.ok()) << other.error();
  j = verify_json(
      {out.string(), "--ca", signer.cert.string(), "--tsa-ca", other.root_cert().string()}, 1);
  const auto& bad = j["files"][0]["signatures"][0];
  EXPECT_EQ(bad["timestamp"]["ok"], false) << bad.dump(2);
  EXPECT_NE(bad["verdict"].dump().find("bad-timestamp"), std::string::npos) << bad.dump(2);

  // An unstamped signature has "timestamp": null.
  auto plain = dir / "plain.dll";
  ASSERT_EQ(wt::wslplug({"sign", dll.string(), "--cert", signer.cert.string(), "--key",
                         signer.key.string(), "-o", plain.string()})
                .rc,
            0);
  j = verify_json({plain.string(), "--ca", signer.cert.string()}, 0);
  EXPECT_TRUE(j["files"][0]["signatures"][0]["timestamp"].is_null()) << j.dump(2);
}

TEST(SignTimestamp, WslplugVerifiesOsslsigncodeTimestamp) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::TempDir dir;
  auto signer = wt::make_cert(dir.path(), "signer");
  auto dll = wt::copy_to(wt::build_dll({.name = "ts-sign-x64"}), dir.path(), "plugin.dll");
  auto out = dir / "osc.dll";
  wt::osslsigncode({"sign", "-certs", signer.cert.string(), "-key", signer.key.string(), "-ts",
                    tsa.url(), "-in", dll.string(), "-out", out.string()});
  auto j = verify_json(
      {out.string(), "--ca", signer.cert.string(), "--tsa-ca", tsa.root_cert().string()}, 0);
  const auto& sig = j["files"][0]["signatures"][0];
  EXPECT_EQ(sig["timestamp"]["ok"], true) << sig.dump(2);
  auto text = wt::wslplug(
      {"verify", out.string(), "--ca", signer.cert.string(), "--tsa-ca", tsa.root_cert().string()});
  EXPECT_EQ(text.rc, 0) << text.both();
  EXPECT_NE(text.out.find("Timestamp:"), std::string::npos) << text.out;
}

// A certificate that expires after signing: only the timestamped signature still verifies at a
// time after the expiry (the chain is checked at the timestamp's time).
TEST(SignTimestamp, ExpiredSignerVerifiesOnlyWhenTimestamped) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::TempDir dir;
  const std::time_t now = std::time(nullptr);
  auto signer = wt::make_cert(
      dir.path(), "short",
      {.cn = "wslplug short-lived signer", .start = utc(now - 2 * 86400), .end = utc(now + 86400)});
  auto dll = wt::copy_to(wt::build_dll({.name = "ts-sign-x64"}), dir.path(), "plugin.dll");
  auto stamped = dir / "stamped.dll";
  auto plain = dir / "plain.dll";
  ASSERT_EQ(wt::wslplug({"sign", dll.string(), "--cert", signer.cert.string(), "--key",
                         signer.key.string(), "--timestamp", tsa.url(), "-o", stamped.string()})
                .rc,
            0);
  ASSERT_EQ(wt::wslplug({"sign", dll.string(), "--cert", signer.cert.string(), "--key",
                         signer.key.string(), "-o", plain.string()})
                .rc,
            0);
  const std::string later = std::to_string(now + 10 * 86400);
  const std::vector<std::string> trust{
      "--ca", signer.cert.string(), "--tsa-ca", tsa.root_cert().string(), "--time", later};
  auto args = [&](const wt::fs::path& f) {
    std::vector<std::string> a{f.string()};
    a.insert(a.end(), trust.begin(), trust.end());
    return a;
  };
  auto j = verify_json(args(plain), 1);
  EXPECT_NE(j["files"][0]["signatures"][0]["verdict"].dump().find("expired"), std::string::npos)
      << j.dump(2);
  j = verify_json(args(stamped), 0);
  EXPECT_EQ(j["files"][0]["signatures"][0]["timestamp"]["ok"], true) << j.dump(2);
  // Both verify now.
  verify_json({plain.string(), "--ca", signer.cert.string()}, 0);
  // osslsigncode agrees at the later time.
  auto v = wt::run({"osslsigncode", "verify", "-CAfile", signer.cert.string(), "-TSA-CAfile",
                    tsa.root_cert().string(), "-time", later, stamped.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
  v = wt::run(
      {"osslsigncode", "verify", "-CAfile", signer.cert.string(), "-time", later, plain.string()});
  EXPECT_NE(v.rc, 0) << v.both();
}

TEST(SignTimestamp, TsaFailuresWriteNothing) {
  wt::TempDir dir;
  auto signer = wt::make_cert(dir.path(), "signer");
  auto dll = wt::copy_to(wt::build_dll({.name = "ts-sign-x64"}), dir.path(), "plugin.dll");
  const auto before = wt::sha256_file(dll);
  struct Case {
    wt::TsaMode mode;
    std::vector<std::string> extra;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {wt::TsaMode::kGarbage, {}, "not an RFC 3161 TimeStampResp"},
      {wt::TsaMode::kHang, {"--timestamp-timeout", "0.5"}, "no reply within 500 ms"},
      {wt::TsaMode::kBadNonce, {}, "nonce mismatch"},
  };
  for (const auto& c : cases) {
    wt::LocalTsa tsa({.mode = c.mode});
    ASSERT_TRUE(tsa.ok()) << tsa.error();
    for (bool in_place : {false, true}) {
      std::vector<std::string> args{
          "sign",  dll.string(),        "--cert",      signer.cert.string(),
          "--key", signer.key.string(), "--timestamp", tsa.url()};
      if (in_place)
        args.push_back("--in-place");
      else
        args.insert(args.end(), {"-o", (dir / "out.dll").string()});
      args.insert(args.end(), c.extra.begin(), c.extra.end());
      auto r = wt::wslplug(args);
      EXPECT_EQ(r.rc, 3) << r.both();
      EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(tsa.url()), std::string::npos) << r.err;
      EXPECT_FALSE(wt::fs::exists(dir / "out.dll"));
      EXPECT_EQ(wt::sha256_file(dll), before);
      EXPECT_TRUE(wt::stray_temp_files(dir.path()).empty());
    }
  }
}

// The signer subject and the TSA subject of verify --json come from the one name formatter:
// both list the RDNs in RFC 2253 order (most specific first), as Windows shows names. Both
// certificates hold O before CN in their DER, so both must read "CN=..., O=...".
TEST(SignTimestamp, SignerAndTsaSubjectsUseTheSameNameOrder) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::TempDir dir;
  auto signer = wt::make_cert(dir.path(), "signer", {.cn = "wslplug order signer", .org = "Org A"});
  auto dll = wt::copy_to(wt::build_dll({.name = "ts-sign-x64"}), dir.path(), "plugin.dll");
  auto out = dir / "signed.dll";
  auto r = wt::wslplug({"sign", dll.string(), "--cert", signer.cert.string(), "--key",
                        signer.key.string(), "--timestamp", tsa.url(), "-o", out.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto j = verify_json(
      {out.string(), "--ca", signer.cert.string(), "--tsa-ca", tsa.root_cert().string()}, 0);
  const auto& sig = j["files"][0]["signatures"][0];
  EXPECT_EQ(sig["signer"]["subject"], "CN=wslplug order signer, O=Org A") << sig.dump(2);
  EXPECT_EQ(sig["signer"]["issuer"], "CN=wslplug order signer, O=Org A") << sig.dump(2);
  EXPECT_EQ(sig["timestamp"]["tsa_subject"], "CN=wslplug test TSA, O=wslplug tests") << sig.dump(2);
}
