// `wslplug doctor --dll` end to end with real signatures: MinGW fixtures signed by the real
// `wslplug sign` with certificates from `wslplug cert new` or the openssl CLI (tests/support/pki),
// each asserting the WinVerifyTrust error official WSL builds would report.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pki.hpp"
#include "support.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/doctor/dll.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

class DllCheckSigned : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r =
        wt::wslplug({"cert", "new", "--out-dir", (tmp_ / "cert").string(), "--key", "ecdsa-p256"});
    ASSERT_EQ(r.rc, 0) << r.both();
    cert_ = tmp_ / "cert" / "cert.pem";
    key_ = tmp_ / "cert" / "key.pem";
    ASSERT_TRUE(wt::fs::exists(cert_));
    good_ = wt::build_dll({.name = "doctor-good"});
    ASSERT_FALSE(good_.empty());
  }

  wt::fs::path sign(const wt::fs::path& dll, const wt::fs::path& cert, const wt::fs::path& key,
                    const std::string& name) {
    auto copy = wt::copy_to(dll, tmp_.path(), name);
    auto r = wt::wslplug(
        {"sign", copy.string(), "--cert", cert.string(), "--key", key.string(), "--in-place"});
    EXPECT_EQ(r.rc, 0) << r.both();
    return copy;
  }

  // `doctor --dll FILE [--ca CA] --json`, with the exit code checked against the findings.
  json doctor(const wt::fs::path& dll, const wt::fs::path& ca = {}) {
    std::vector<std::string> args = {"doctor", "--dll", dll.string(), "--json"};
    if (!ca.empty()) args.insert(args.end(), {"--ca", ca.string()});
    auto r = wt::wslplug(args);
    json j;
    try {
      j = json::parse(r.out).at("files").at(0);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << "\n" << r.both();
      return json::object();
    }
    bool error = false;
    for (const auto& f : j["findings"]) error |= f["severity"] == "error";
    EXPECT_EQ(j["ok"], !error);
    EXPECT_EQ(r.rc, error ? 1 : 0) << r.both();
    return j;
  }

  static json with_error(const json& j, const std::string& wsl_error) {
    for (const auto& f : j["findings"])
      if (f["wsl_error"] == wsl_error) return f;
    return json();
  }

  wt::TempDir tmp_;
  wt::fs::path cert_, key_, good_;
};

}  // namespace

TEST_F(DllCheckSigned, SignedGoodPluginWithItsRootIsOk) {
  auto dll = sign(good_, cert_, key_, "good.dll");
  auto j = doctor(dll, cert_);
  EXPECT_EQ(j["ok"], true) << j.dump(2);
  EXPECT_TRUE(j["findings"].empty()) << j.dump(2);
  // The library function the build command calls agrees.
  wslplug::signing::VerifyOptions vo;
  vo.ca_files.push_back(cert_);
  auto findings = wslplug::doctor::check_plugin_dll(dll, vo);
  ASSERT_TRUE(findings) << findings.error().describe();
  EXPECT_TRUE(findings->empty());
}

TEST_F(DllCheckSigned, SelfSignedWithoutCaIsUntrustedRoot) {
  auto dll = sign(good_, cert_, key_, "good.dll");
  auto j = doctor(dll);
  auto f = with_error(j, "CERT_E_UNTRUSTEDROOT");
  ASSERT_FALSE(f.is_null()) << j.dump(2);
  EXPECT_EQ(f["severity"], "error");
  EXPECT_NE(f["fix"].get<std::string>().find("Cert:\\LocalMachine\\Root"), std::string::npos);
  EXPECT_NE(f["message"].get<std::string>().find("self-signed"), std::string::npos);
}

TEST_F(DllCheckSigned, UnsignedIsNoSignature) {
  auto j = doctor(wt::copy_to(good_, tmp_.path(), "unsigned.dll"), cert_);
  auto f = with_error(j, "TRUST_E_NOSIGNATURE");
  ASSERT_FALSE(f.is_null()) << j.dump(2);
  EXPECT_EQ(f["id"], "unsigned");
  EXPECT_EQ(j["findings"].size(), 1u) << j.dump(2);
}

TEST_F(DllCheckSigned, TamperedIsBadDigest) {
  auto dll = sign(good_, cert_, key_, "tampered.dll");
  auto bytes = wt::read_bytes(dll);
  auto img = wslplug::pe::Image::open(dll);
  ASSERT_TRUE(img);
  const auto& text = img->layout().sections.at(0);
  ASSERT_GT(text.raw_size, 64u);
  bytes[text.raw_offset + 32] ^= std::byte{0x5a};  // flip a byte of the first section
  wt::write_bytes(dll, bytes);
  auto j = doctor(dll, cert_);
  auto f = with_error(j, "TRUST_E_BAD_DIGEST");
  ASSERT_FALSE(f.is_null()) << j.dump(2);
  EXPECT_EQ(f["id"], "digest-mismatch");
}

TEST_F(DllCheckSigned, ServerAuthCertificateIsWrongUsage) {
  auto tls = wt::make_cert(tmp_.path(), "tls", {.cn = "wslplug tls server", .eku = "serverAuth"});
  ASSERT_FALSE(tls.cert.empty());
  auto dll = sign(good_, tls.cert, tls.key, "tls.dll");
  auto j = doctor(dll, tls.cert);
  auto f = with_error(j, "CERT_E_WRONG_USAGE");
  ASSERT_FALSE(f.is_null()) << j.dump(2);
  EXPECT_EQ(f["severity"], "error");
}

TEST_F(DllCheckSigned, ExpiredCertificateWithoutTimestampIsExpired) {
  auto old = wt::make_cert(
      tmp_.path(), "old",
      {.cn = "wslplug expired signer", .start = "20200101000000Z", .end = "20210101000000Z"});
  ASSERT_FALSE(old.cert.empty());
  auto copy = wt::copy_to(good_, tmp_.path(), "expired.dll");
  auto r = wt::wslplug({"sign", copy.string(), "--cert", old.cert.string(), "--key",
                        old.key.string(), "--in-place", "--time", "1590000000"});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto j = doctor(copy, old.cert);
  auto f = with_error(j, "CERT_E_EXPIRED");
  ASSERT_FALSE(f.is_null()) << j.dump(2);
}

TEST_F(DllCheckSigned, SignatureFindingsComeBeforePeFindings) {
  auto mangled = wt::build_dll(
      {.name = "doctor-mangled",
       .source = "#include <windows.h>\n__declspec(dllexport) HRESULT "
                 "WSLPluginAPIV1_EntryPoint(const void* a, void* h) { (void)a; (void)h; return "
                 "S_OK; }\n",
       .cplusplus = true,
       .flags = {"-static-libgcc", "-static-libstdc++"}});
  ASSERT_FALSE(mangled.empty());
  auto j = doctor(wt::copy_to(mangled, tmp_.path(), "mangled.dll"), cert_);
  ASSERT_EQ(j["findings"].size(), 2u) << j.dump(2);
  EXPECT_EQ(j["findings"][0]["wsl_error"], "TRUST_E_NOSIGNATURE");
  EXPECT_EQ(j["findings"][1]["wsl_error"], "ERROR_PROC_NOT_FOUND");
  // Signed with a trusted root only the export problem is left.
  auto signed_mangled = sign(mangled, cert_, key_, "mangled-signed.dll");
  j = doctor(signed_mangled, cert_);
  ASSERT_EQ(j["findings"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["findings"][0]["id"], "entry-point-mangled");
}

TEST_F(DllCheckSigned, NotAPeSkipsTheSignatureCheck) {
  const auto text = tmp_ / "notes.dll";
  wt::write_text(text, "MZ but nothing else\n");
  auto j = doctor(text, cert_);
  ASSERT_EQ(j["findings"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["findings"][0]["id"], "not-pe");
}

// Data hidden after the PKCS#7 inside the WIN_CERTIFICATE entry (the CVE-2013-3900 pattern):
// reported as the error a machine with EnableCertPaddingCheck gives (the DLL counts as unsigned).
// A certificate table that runs past the end of the file is unreadable (exit 1, not 2).
TEST_F(DllCheckSigned, UnsignedDataInTheCertificateEntryAndBrokenTable) {
  auto dll = sign(good_, cert_, key_, "payload.dll");
  auto bytes = wt::read_bytes(dll);
  auto img = wslplug::pe::Image::open(dll);
  ASSERT_TRUE(img);
  const auto table = img->layout().cert_table;
  const auto dir = *img->layout().cert_dir_offset;
  const std::uint32_t extra = 4096;
  bytes.insert(bytes.end(), extra, std::byte{0x90});
  wslplug::pe::put_le32(bytes.data() + table.address,
                        wslplug::pe::le32(bytes.data() + table.address) + extra);
  wslplug::pe::put_le32(bytes.data() + dir + 4, table.size + extra);
  wt::write_bytes(dll, bytes);
  auto j = doctor(dll, cert_);
  auto f = with_error(j, "TRUST_E_NOSIGNATURE");
  ASSERT_FALSE(f.is_null()) << j.dump(2);
  EXPECT_EQ(f["id"], "signature-unsigned-data") << j.dump(2);
  EXPECT_NE(f["message"].get<std::string>().find("EnableCertPaddingCheck"), std::string::npos);

  wslplug::pe::put_le32(bytes.data() + dir + 4, table.size + extra + 64);
  wt::write_bytes(dll, bytes);
  auto k = doctor(dll, cert_);
  auto g = with_error(k, "TRUST_E_NOSIGNATURE");
  ASSERT_FALSE(g.is_null()) << k.dump(2);
  EXPECT_EQ(g["id"], "signature-unreadable") << k.dump(2);
}
