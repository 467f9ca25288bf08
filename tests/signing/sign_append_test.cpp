// `wslplug sign --append` (nested signatures) and `wslplug verify` of nested signatures, with
// osslsigncode as the independent verifier and signer.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "pki.hpp"
#include "support.hpp"
#include "tsa.hpp"

namespace wt = wslplug::test;

TEST(SignAppend, OsslsigncodeVerifiesEveryIndex) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::TempDir dir;
  auto a = wt::make_cert(dir.path(), "a", {.cn = "wslplug append A"});
  auto b = wt::make_cert(dir.path(), "b", {.cn = "wslplug append B"});
  wt::write_text(dir / "ab.pem", wt::read_text(a.cert) + wt::read_text(b.cert));
  auto dll = wt::copy_to(wt::build_dll({.name = "nested-sign-x64"}), dir.path(), "plugin.dll");
  auto r = wt::wslplug(
      {"sign", dll.string(), "--cert", a.cert.string(), "--key", a.key.string(), "--in-place"});
  ASSERT_EQ(r.rc, 0) << r.both();
  r = wt::wslplug({"sign", dll.string(), "--cert", b.cert.string(), "--key", b.key.string(),
                   "--hash", "sha512", "--append", "--in-place", "--timestamp", tsa.url()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.err.find("nested as signature 1"), std::string::npos) << r.both();
  r = wt::wslplug({"sign", dll.string(), "--cert", b.cert.string(), "--key", b.key.string(),
                   "--hash", "sha384", "--append", "--in-place"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.err.find("nested as signature 2"), std::string::npos) << r.both();

  auto v = wt::run({"osslsigncode", "verify", "-CAfile", (dir / "ab.pem").string(), "-TSA-CAfile",
                    tsa.root_cert().string(), dll.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
  EXPECT_NE(v.out.find("Number of verified signatures: 3"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("Timestamp Server Signature verification: ok"), std::string::npos) << v.out;
  for (int i = 0; i < 3; ++i) {
    auto vi =
        wt::run({"osslsigncode", "verify", "-CAfile", (dir / "ab.pem").string(), "-TSA-CAfile",
                 tsa.root_cert().string(), "-index", std::to_string(i), dll.string()});
    EXPECT_EQ(vi.rc, 0) << i << vi.both();
  }
  // wslplug verify lists all three, the timestamp on the nested sha512 one.
  auto j = wt::wslplug({"verify", "--json", dll.string(), "--ca", (dir / "ab.pem").string(),
                        "--tsa-ca", tsa.root_cert().string()});
  ASSERT_EQ(j.rc, 0) << j.both();
  auto doc = nlohmann::json::parse(j.out);
  const auto& sigs = doc["files"][0]["signatures"];
  ASSERT_EQ(sigs.size(), 3u) << doc.dump(2);
  int stamped = 0;
  for (const auto& s : sigs) {
    EXPECT_EQ(s["ok"], true) << s.dump(2);
    if (s["timestamp"].is_object() && s["timestamp"]["ok"] == true) ++stamped;
  }
  EXPECT_EQ(stamped, 1) << doc.dump(2);
  EXPECT_EQ(sigs[1]["nested"], true);
}

TEST(SignAppend, WslplugVerifiesOsslsigncodeNesting) {
  wt::TempDir dir;
  auto a = wt::make_cert(dir.path(), "a", {.cn = "wslplug append A"});
  auto dll = wt::copy_to(wt::build_dll({.name = "nested-sign-x64"}), dir.path(), "plugin.dll");
  wt::osslsigncode({"sign", "-certs", a.cert.string(), "-key", a.key.string(), "-h", "sha256",
                    "-in", dll.string(), "-out", (dir / "1.dll").string()});
  wt::osslsigncode({"sign", "-certs", a.cert.string(), "-key", a.key.string(), "-h", "sha1",
                    "-nest", "-in", (dir / "1.dll").string(), "-out", (dir / "2.dll").string()});
  auto r = wt::wslplug({"verify", "--json", (dir / "2.dll").string(), "--ca", a.cert.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto doc = nlohmann::json::parse(r.out);
  const auto& sigs = doc["files"][0]["signatures"];
  ASSERT_EQ(sigs.size(), 2u) << doc.dump(2);
  EXPECT_EQ(sigs[1]["digest_algorithm"], "sha1") << doc.dump(2);
  EXPECT_EQ(sigs[1]["ok"], true) << doc.dump(2);
  // Appending to it with wslplug keeps both and adds a third, in the ONE nested attribute.
  r = wt::wslplug({"sign", (dir / "2.dll").string(), "--cert", a.cert.string(), "--key",
                   a.key.string(), "--append", "-o", (dir / "3.dll").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto v =
      wt::run({"osslsigncode", "verify", "-CAfile", a.cert.string(), (dir / "3.dll").string()});
  EXPECT_EQ(v.rc, 0) << v.both();
  EXPECT_NE(v.out.find("Number of verified signatures: 3"), std::string::npos) << v.out;
}

// Three digests of a file of many chunks (each digest is computed by a hashing thread of its
// own): every one equals osslsigncode's "Calculated message digest", on the intact file and on
// a copy with one byte changed in the middle, where every digest check fails.
TEST(SignAppend, VerifyComputesEveryDigestOfALargeFileAsOsslsigncode) {
  wt::TempDir dir;
  auto a = wt::make_cert(dir.path(), "a", {.cn = "wslplug append A"});
  // Larger than the 1 MiB chunks and the ring of buffers, odd size.
  auto dll = wt::copy_to(wt::build_dll({.name = "sign-x64-large", .overlay = (20u << 20) + 13}),
                         dir.path(), "0.dll");
  wt::osslsigncode({"sign", "-certs", a.cert.string(), "-key", a.key.string(), "-h", "sha256",
                    "-in", dll.string(), "-out", (dir / "1.dll").string()});
  wt::osslsigncode({"sign", "-certs", a.cert.string(), "-key", a.key.string(), "-h", "sha512",
                    "-nest", "-in", (dir / "1.dll").string(), "-out", (dir / "2.dll").string()});
  wt::osslsigncode({"sign", "-certs", a.cert.string(), "-key", a.key.string(), "-h", "sha1",
                    "-nest", "-in", (dir / "2.dll").string(), "-out", (dir / "3.dll").string()});
  auto bytes = wt::read_bytes(dir / "3.dll");
  bytes[bytes.size() / 2] ^= std::byte{0x01};
  wt::write_bytes(dir / "tampered.dll", bytes);

  for (const std::string name : {"3.dll", "tampered.dll"}) {
    const bool intact = name == "3.dll";
    const auto f = (dir / name).string();
    auto r = wt::wslplug({"verify", "--json", f, "--ca", a.cert.string()});
    ASSERT_EQ(r.rc, intact ? 0 : 1) << r.both();
    auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["files"][0]["checksum_ok"], intact) << doc.dump(2);
    const auto& sigs = doc["files"][0]["signatures"];
    ASSERT_EQ(sigs.size(), 3u) << doc.dump(2);
    auto osc = wt::run({"osslsigncode", "verify", "-CAfile", a.cert.string(), "-in", f});
    EXPECT_EQ(osc.rc == 0, intact) << osc.both();
    std::vector<std::string> algs;
    for (const auto& s : sigs) {
      algs.push_back(s["digest_algorithm"]);
      EXPECT_EQ(s["digest_ok"], intact) << name << s.dump(2);
      const auto computed = s["computed_digest"].get<std::string>();
      EXPECT_NE(osc.out.find("Calculated message digest : " + computed), std::string::npos)
          << name << " " << computed << "\n"
          << osc.out;
    }
    std::ranges::sort(algs);
    EXPECT_EQ(algs, (std::vector<std::string>{"sha1", "sha256", "sha512"})) << doc.dump(2);
  }
}
