// `wslplug extract` end to end, against osslsigncode extract-signature.
#include <gtest/gtest.h>

#include "pki.hpp"
#include "support.hpp"
#include "tsa.hpp"
#include "wslplug/signing/nested.hpp"

namespace wt = wslplug::test;
namespace sg = wslplug::signing;

TEST(ExtractCommand, MatchesOsslsigncodeAndHandlesNested) {
  wt::TempDir dir;
  auto a = wt::make_cert(dir.path(), "a", {.cn = "wslplug extract test A"});
  auto plain = wt::copy_to(wt::build_dll({.name = "extract-x64"}), dir.path(), "plain.dll");
  auto one = dir / "one.dll";
  auto two = dir / "two.dll";
  wt::osslsigncode({"sign", "-certs", a.cert.string(), "-key", a.key.string(), "-in",
                    plain.string(), "-out", one.string()});
  wt::osslsigncode({"sign", "-certs", a.cert.string(), "-key", a.key.string(), "-h", "sha512",
                    "-nest", "-in", one.string(), "-out", two.string()});
  wt::osslsigncode({"extract-signature", "-in", two.string(), "-out", (dir / "osc.der").string()});
  wt::osslsigncode(
      {"extract-signature", "-pem", "-in", two.string(), "-out", (dir / "osc.pem").string()});

  auto r = wt::wslplug({"extract", two.string(), "-o", (dir / "ours.der").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::read_bytes(dir / "ours.der"), wt::read_bytes(dir / "osc.der"));
  r = wt::wslplug({"extract", two.string(), "--pem", "-o", (dir / "ours.pem").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::read_text(dir / "ours.pem"), wt::read_text(dir / "osc.pem"));
  // openssl reads it.
  auto o = wt::run({"openssl", "pkcs7", "-inform", "DER", "-in", (dir / "ours.der").string(),
                    "-print_certs", "-noout"});
  EXPECT_EQ(o.rc, 0) << o.both();
  EXPECT_NE(o.out.find("wslplug extract test A"), std::string::npos) << o.out;

  // --index 1: the nested signature on its own.
  r = wt::wslplug({"extract", two.string(), "--index", "1", "-o", (dir / "n1.der").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto nested = sg::nested_pkcs7(wt::read_bytes(dir / "osc.der"));
  ASSERT_TRUE(nested && nested->size() == 1u);
  EXPECT_EQ(wt::read_bytes(dir / "n1.der"), (*nested)[0]);
  r = wt::wslplug({"extract", two.string(), "--index", "2", "-o", (dir / "n2.der").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("index 2"), std::string::npos) << r.err;
  EXPECT_FALSE(wt::fs::exists(dir / "n2.der"));

  // Existing output: refused without --force, replaced with it.
  r = wt::wslplug({"extract", one.string(), "-o", (dir / "ours.der").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_EQ(wt::read_bytes(dir / "ours.der"), wt::read_bytes(dir / "osc.der"));
  r = wt::wslplug({"extract", one.string(), "--force", "-o", (dir / "ours.der").string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(wt::read_bytes(dir / "ours.der"), wt::read_bytes(dir / "osc.der"));

  // Unsigned and non-PE inputs: input errors.
  r = wt::wslplug({"extract", plain.string(), "-o", (dir / "x.der").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("not signed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fix:"), std::string::npos) << r.err;
  wt::write_text(dir / "text.dll", "not a PE file");
  r = wt::wslplug({"extract", (dir / "text.dll").string(), "-o", (dir / "x.der").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_FALSE(wt::fs::exists(dir / "x.der"));
  EXPECT_TRUE(wt::stray_temp_files(dir.path()).empty());
}
