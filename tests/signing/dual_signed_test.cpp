// Files with several WIN_CERTIFICATE entries (dual-signed UEFI images) and the one numbering of
// signatures: sign --append keeps every entry, timestamp rewrites only its entry, and verify,
// extract --index and doctor --dll count signatures the same way. The two-entry fixture is
// built here from two real signatures.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "pki.hpp"
#include "support.hpp"
#include "tsa.hpp"

namespace wt = wslplug::test;
namespace fs = std::filesystem;

namespace {

std::uint32_t le32(const std::vector<std::byte>& b, std::size_t at) {
  std::uint32_t v = 0;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}
void put32(std::vector<std::byte>& b, std::size_t at, std::uint32_t v) {
  std::memcpy(b.data() + at, &v, 4);
}

// File offset of DataDirectory[4] of a PE image.
std::size_t cert_dir(const std::vector<std::byte>& pe) {
  const std::size_t opt = le32(pe, 0x3c) + 24;
  const bool plus =
      static_cast<unsigned>(pe[opt]) == 0x0b && static_cast<unsigned>(pe[opt + 1]) == 0x02;
  return opt + (plus ? 112 : 96) + 4 * 8;
}

// `signed_pe` (one entry) with a second WIN_CERTIFICATE holding `der` appended, directory entry
// and checksum fixed: what a dual-signed UEFI image looks like.
fs::path add_second_entry(const fs::path& signed_pe, const std::vector<std::byte>& der,
                          const fs::path& out) {
  auto pe = wt::read_bytes(signed_pe);
  const std::size_t dir = cert_dir(pe);
  const std::uint32_t table = le32(pe, dir);
  const std::uint32_t size = le32(pe, dir + 4);
  EXPECT_EQ(table + size, pe.size());
  const std::uint32_t len = static_cast<std::uint32_t>(8 + der.size());
  std::vector<std::byte> entry(8);
  put32(entry, 0, len);
  entry[4] = std::byte{0x00};
  entry[5] = std::byte{0x02};  // revision 2.0
  entry[6] = std::byte{0x02};
  entry[7] = std::byte{0x00};  // PKCS_SIGNED_DATA
  entry.insert(entry.end(), der.begin(), der.end());
  entry.resize((entry.size() + 7) & ~std::size_t{7});
  pe.insert(pe.end(), entry.begin(), entry.end());
  put32(pe, dir + 4, size + static_cast<std::uint32_t>(entry.size()));
  wt::write_bytes(out, pe);
  const auto sum = wt::pefile_checksum(out);
  put32(pe, le32(pe, 0x3c) + 24 + 64, sum.computed);
  wt::write_bytes(out, pe);
  return out;
}

struct DualSigned {
  wt::TempDir dir;
  wt::CertPair a, b, c;
  fs::path ca;                    // all three roots
  fs::path dual;                  // entry 0 signed by A, entry 1 by B
  std::vector<std::byte> second;  // entry 1's DER
};

void make_dual(DualSigned& f) {
  f.a = wt::make_cert(f.dir.path(), "a", {.cn = "dual A"});
  f.b = wt::make_cert(f.dir.path(), "b", {.cn = "dual B"});
  f.c = wt::make_cert(f.dir.path(), "c", {.cn = "dual C"});
  f.ca = f.dir / "roots.pem";
  wt::write_text(f.ca, wt::read_text(f.a.cert) + wt::read_text(f.b.cert) + wt::read_text(f.c.cert));
  auto dll = wt::copy_to(wt::build_dll({.name = "dual-signed-x64"}), f.dir.path(), "plugin.dll");
  auto r = wt::wslplug({"sign", dll.string(), "--cert", f.a.cert.string(), "--key",
                        f.a.key.string(), "-o", (f.dir / "a.dll").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  r = wt::wslplug({"sign", dll.string(), "--cert", f.b.cert.string(), "--key", f.b.key.string(),
                   "--detached-out", (f.dir / "b.p7").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  f.second = wt::read_bytes(f.dir / "b.p7");
  f.dual = add_second_entry(f.dir / "a.dll", f.second, f.dir / "dual.dll");
}

nlohmann::json verify_json(const fs::path& file, const fs::path& ca) {
  auto r = wt::wslplug({"verify", "--json", file.string(), "--ca", ca.string()});
  return wt::stdout_json(r);
}

}  // namespace

// The fixture itself: verify sees two good signatures, both entries (not nested).
TEST(DualSigned, FixtureVerifiesAsTwoEntries) {
  DualSigned f;
  ASSERT_NO_FATAL_FAILURE(make_dual(f));
  auto doc = verify_json(f.dual, f.ca);
  const auto& sigs = doc["files"][0]["signatures"];
  ASSERT_EQ(sigs.size(), 2u) << doc.dump(2);
  EXPECT_EQ(doc["ok"], true) << doc.dump(2);
  EXPECT_EQ(sigs[1]["nested"], false);
  EXPECT_EQ(sigs[1]["entry"], 1);
  EXPECT_EQ(sigs[1]["signer"]["subject"], "CN=dual B");
}

// sign --append on a two-entry file keeps the second entry byte for byte and its signature
// still verifies; the new one is nested into entry 0 and numbered as verify lists it.
TEST(DualSigned, AppendKeepsEverySignature) {
  DualSigned f;
  ASSERT_NO_FATAL_FAILURE(make_dual(f));
  auto out = f.dir / "appended.dll";
  auto r = wt::wslplug({"sign", f.dual.string(), "--cert", f.c.cert.string(), "--key",
                        f.c.key.string(), "--append", "-o", out.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.err.find("nested as signature 1"), std::string::npos) << r.both();
  auto doc = verify_json(out, f.ca);
  const auto& sigs = doc["files"][0]["signatures"];
  ASSERT_EQ(sigs.size(), 3u) << doc.dump(2);
  EXPECT_EQ(doc["ok"], true) << doc.dump(2);
  EXPECT_EQ(sigs[0]["signer"]["subject"], "CN=dual A");
  EXPECT_EQ(sigs[1]["signer"]["subject"], "CN=dual C");
  EXPECT_EQ(sigs[1]["nested"], true);
  EXPECT_EQ(sigs[2]["signer"]["subject"], "CN=dual B");
  EXPECT_EQ(sigs[2]["entry"], 1);
  // Entry 1 is the same bytes as before.
  auto e = wt::wslplug({"extract", out.string(), "--index", "2", "-o", (f.dir / "e2.p7").string()});
  ASSERT_EQ(e.rc, 0) << e.both();
  EXPECT_EQ(wt::read_bytes(f.dir / "e2.p7"), f.second);
  // In place too: the input keeps its second entry.
  r = wt::wslplug({"sign", f.dual.string(), "--cert", f.c.cert.string(), "--key", f.c.key.string(),
                   "--append", "--in-place"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(verify_json(f.dual, f.ca)["files"][0]["signatures"].size(), 3u);
}

// attach on a signed file: a signature made with sign --detached-out --append on it (it carries
// the existing primary, with the new one nested) replaces entry 0 and keeps entry 1, giving the
// same bytes as sign --append; a signature that does not carry the existing ones is refused
// (it would drop them) and nothing is written.
TEST(DualSigned, AttachKeepsEverySignatureOrRefuses) {
  DualSigned f;
  ASSERT_NO_FATAL_FAILURE(make_dual(f));
  const std::vector<std::string> key = {"--cert",         f.c.cert.string(), "--key",
                                        f.c.key.string(), "--time",          "1700000000"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), key.begin(), key.end());
    return wt::wslplug(args);
  };
  const auto appended = f.dir / "appended.dll";
  auto r = with({"sign", f.dual.string(), "--append", "-o", appended.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  const auto p7 = f.dir / "nested.p7";
  r = with({"sign", f.dual.string(), "--append", "--detached-out", p7.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  const auto attached = f.dir / "attached.dll";
  r = wt::wslplug({"attach", f.dual.string(), "--signature", p7.string(), "-o", attached.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::read_bytes(attached), wt::read_bytes(appended))
      << "attach of a detached --append signature differs from sign --append";
  auto doc = verify_json(attached, f.ca);
  EXPECT_EQ(doc["ok"], true) << doc.dump(2);
  EXPECT_EQ(doc["files"][0]["signatures"].size(), 3u) << doc.dump(2);

  // A plain detached signature of the same image carries neither A nor B: refused.
  const auto plain = f.dir / "plain.p7";
  r = with({"sign", f.dual.string(), "--detached-out", plain.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  const auto dropped = f.dir / "dropped.dll";
  const auto before = wt::read_bytes(f.dual);
  r = wt::wslplug(
      {"attach", f.dual.string(), "--signature", plain.string(), "-o", dropped.string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("already has 2 signatures"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("would drop"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unsign"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dropped));
  r = wt::wslplug({"attach", f.dual.string(), "--signature", plain.string(), "--in-place"});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_EQ(wt::read_bytes(f.dual), before);
  // After an explicit unsign the same signature attaches.
  const auto bare = f.dir / "bare.dll";
  ASSERT_EQ(wt::wslplug({"unsign", f.dual.string(), "-o", bare.string()}).rc, 0);
  r = wt::wslplug({"attach", bare.string(), "--signature", plain.string(), "-o", dropped.string()});
  EXPECT_EQ(r.rc, 0) << r.both();
}

// extract --index and verify number the same signatures: index 1 of a dual-signed file is the
// second entry (it used to say "the file has 1"), and an index past the end names the range.
TEST(DualSigned, ExtractIndexFollowsVerifyNumbering) {
  DualSigned f;
  ASSERT_NO_FATAL_FAILURE(make_dual(f));
  auto r =
      wt::wslplug({"extract", f.dual.string(), "--index", "1", "-o", (f.dir / "one.p7").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::read_bytes(f.dir / "one.p7"), f.second);
  r = wt::wslplug({"extract", f.dual.string(), "--index", "2", "-o", (f.dir / "two.p7").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("the file has 2 (0 to 1"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(f.dir / "two.p7"));
}

// timestamp --index 1 stamps the second entry and keeps the first as it was.
TEST(DualSigned, TimestampIndexStampsThatEntryAndKeepsTheOther) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  DualSigned f;
  ASSERT_NO_FATAL_FAILURE(make_dual(f));
  auto out = f.dir / "stamped.dll";
  auto r = wt::wslplug(
      {"timestamp", f.dual.string(), "--index", "1", "--timestamp", tsa.url(), "-o", out.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto v = wt::wslplug({"verify", "--json", out.string(), "--ca", f.ca.string(), "--tsa-ca",
                        tsa.root_cert().string()});
  auto doc = wt::stdout_json(v);
  const auto& sigs = doc["files"][0]["signatures"];
  ASSERT_EQ(sigs.size(), 2u) << doc.dump(2);
  EXPECT_EQ(doc["ok"], true) << doc.dump(2);
  EXPECT_TRUE(sigs[0]["timestamp"].is_null()) << doc.dump(2);
  ASSERT_TRUE(sigs[1]["timestamp"].is_object()) << doc.dump(2);
  EXPECT_EQ(sigs[1]["timestamp"]["ok"], true);
}

// doctor --dll names signatures with verify's numbers.
TEST(DualSigned, DoctorNumbersSignaturesAsVerify) {
  DualSigned f;
  ASSERT_NO_FATAL_FAILURE(make_dual(f));
  // Damage entry 1's signer certificate trust: only A's root is given, so signature #1 fails.
  auto r = wt::wslplug({"doctor", "--dll", f.dual.string(), "--ca", f.a.cert.string()});
  EXPECT_NE(r.out.find("signature #1"), std::string::npos) << r.both();
  EXPECT_EQ(r.out.find("signature #2"), std::string::npos) << r.both();
}
