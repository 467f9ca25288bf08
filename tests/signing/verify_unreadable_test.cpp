// `wslplug verify` on a signature that cannot be read says what could not be read and marks
// the checks that need it as not checked (text and JSON), instead of reporting failed chain,
// usage and validity checks of a certificate it never saw.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "pki.hpp"
#include "support.hpp"

namespace wt = wslplug::test;
namespace fs = std::filesystem;

namespace {

// A signed DLL whose PKCS#7 bytes are overwritten (the WIN_CERTIFICATE header is kept).
fs::path signed_with_garbage_pkcs7(const wt::TempDir& dir) {
  auto signer = wt::make_cert(dir.path(), "signer", {.cn = "unreadable"});
  auto dll = wt::copy_to(wt::build_dll({.name = "verify-unreadable-x64"}), dir.path(), "p.dll");
  auto r = wt::wslplug({"sign", dll.string(), "--cert", signer.cert.string(), "--key",
                        signer.key.string(), "--in-place"});
  EXPECT_EQ(r.rc, 0) << r.both();
  auto pe = wt::read_bytes(dll);
  std::uint32_t e_lfanew = 0, table = 0;
  std::memcpy(&e_lfanew, pe.data() + 0x3c, 4);
  std::memcpy(&table, pe.data() + e_lfanew + 24 + 112 + 32, 4);  // PE32+ DataDirectory[4]
  for (std::size_t i = table + 8; i < table + 8 + 64; ++i) pe[i] = std::byte{0xa5};
  wt::write_bytes(dll, pe);
  return dll;
}

}  // namespace

TEST(VerifyUnreadable, TextSaysWhatCouldNotBeReadAndNotChecked) {
  wt::TempDir dir;
  auto dll = signed_with_garbage_pkcs7(dir);
  auto r = wt::wslplug({"verify", dll.string()});
  EXPECT_EQ(r.rc, 1) << r.both();
  EXPECT_NE(r.out.find("Could not read: the PKCS#7 SignedData"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cannot be read"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PKCS#7 signature not checked, chain not checked, code-signing usage not "
                       "checked, validity not checked"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("NOT TRUSTED"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("MISSING"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("1970-01-01"), std::string::npos) << r.out;
}

TEST(VerifyUnreadable, JsonHasUnreadableAndNullChecks) {
  wt::TempDir dir;
  auto dll = signed_with_garbage_pkcs7(dir);
  auto r = wt::wslplug({"verify", "--json", dll.string()});
  EXPECT_EQ(r.rc, 1) << r.both();
  auto doc = wt::stdout_json(r);
  const auto& s = doc["files"][0]["signatures"][0];
  EXPECT_EQ(s["unreadable"], "the PKCS#7 SignedData") << s.dump(2);
  for (const char* k : {"digest_ok", "signature_ok", "chain_ok", "eku_ok", "validity_ok"})
    EXPECT_TRUE(s[k].is_null()) << k << ": " << s.dump(2);
  EXPECT_TRUE(s["timestamp"].is_null());
  EXPECT_EQ(s["verdict"], nlohmann::json::array({"malformed"})) << s.dump(2);
}

// A readable signature has every check as a boolean and "unreadable" null.
TEST(VerifyUnreadable, ReadableSignatureHasBooleans) {
  wt::TempDir dir;
  auto signer = wt::make_cert(dir.path(), "signer", {.cn = "readable"});
  auto dll = wt::copy_to(wt::build_dll({.name = "verify-unreadable-x64"}), dir.path(), "p.dll");
  ASSERT_EQ(wt::wslplug({"sign", dll.string(), "--cert", signer.cert.string(), "--key",
                         signer.key.string(), "--in-place"})
                .rc,
            0);
  auto doc = wt::stdout_json(wt::wslplug({"verify", "--json", dll.string()}));
  const auto& s = doc["files"][0]["signatures"][0];
  EXPECT_TRUE(s["unreadable"].is_null()) << s.dump(2);
  EXPECT_EQ(s["digest_ok"], true);
  EXPECT_EQ(s["chain_ok"], false);  // no --ca: the test root is not in the system store
  EXPECT_EQ(s["eku_ok"], true);
}
