// `wslplug sign --append` (nested signatures) and `wslplug verify` of nested signatures, with
// osslsigncode as the independent verifier and signer.
#include <gtest/gtest.h>

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
