// wslplug run checks the signature before loading, as official WSL builds do (WinVerifyTrust
// before LoadLibrary; PluginManager::LoadPlugin): a DLL WSL would refuse fails every version's
// load at step WinVerifyTrust with the code WSL records and the message wsl.exe prints at the
// next VM start ("A fatal error was returned by plugin 'NAME'", Wsl/Service/CreateInstance/
// CreateVm/Plugin/<code>); no hook runs, exit 1. Trusted roots: --ca and the project's
// .wslplug/cert.pem. --allow-unsigned runs an unsigned DLL with one warning. The DLL signed by
// osslsigncode with a certificate of the test PKI (signed_dll.hpp).
#include <gtest/gtest.h>

#include <fstream>

#include "run_support.hpp"
#include "signed_dll.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

constexpr const char* kName = "trust-test";

// Every version's load refused at WinVerifyTrust with `symbol` (`hresult`), as WSL reports it.
void expect_refused(const wt::RunReport& r, const std::string& symbol, const std::string& hresult) {
  EXPECT_EQ(r.result.rc, 1) << r.context();
  EXPECT_FALSE(r.doc["ok"].get<bool>()) << r.context();
  EXPECT_EQ(r.doc["signature"]["status"], "refused") << r.context();
  EXPECT_EQ(r.doc["signature"]["symbol"], symbol) << r.context();
  ASSERT_EQ(r.doc["runs"].size(), 2u) << r.context();
  for (const auto& run : r.doc["runs"]) {
    EXPECT_EQ(run["outcome"], "load-failed") << r.context();
    EXPECT_EQ(run["load"]["step"], "WinVerifyTrust") << r.context();
    EXPECT_EQ(run["load"]["hresult"], hresult) << r.context();
    EXPECT_EQ(run["load"]["symbol"], symbol) << r.context();
    const json& wsl = run["load"]["wsl"];
    ASSERT_TRUE(wsl.is_object()) << r.context();
    EXPECT_EQ(wsl["fails"], true);
    EXPECT_EQ(wsl["message"], "A fatal error was returned by plugin 'trust-test'");
    EXPECT_EQ(wsl["error_code"], "Wsl/Service/CreateInstance/CreateVm/Plugin/" + symbol);
    EXPECT_TRUE(run["events"].empty()) << r.context();
    EXPECT_TRUE(run["hooks_set"].empty()) << r.context();
    EXPECT_TRUE(run["output"].get<std::string>().empty()) << r.context();
    EXPECT_TRUE(wt::has_problem(run, "load-failed")) << r.context();
  }
}

std::vector<std::string> args(const wt::fs::path& dll, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {dll.string(), "--name",        kName,  "--wsl-version",
                                "2.4.4",      "--wsl-version", "2.0.5"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class RunTrust : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new wt::TempDir();
    dll_ = new wt::SignedDll(wt::make_signed_dll(dir_->path(), {.signer_cn = "wslplug run trust"}));
  }
  static void TearDownTestSuite() {
    delete dll_;
    delete dir_;
  }
  static wt::TempDir* dir_;
  static wt::SignedDll* dll_;
};
wt::TempDir* RunTrust::dir_ = nullptr;
wt::SignedDll* RunTrust::dll_ = nullptr;

TEST_F(RunTrust, UnsignedIsRefusedWithNoSignature) {
  auto r = wt::run_json(args(dll_->unsigned_dll), {}, {}, /*allow_unsigned=*/false);
  expect_refused(r, "TRUST_E_NOSIGNATURE", "0x800B0100");
  // The fix names every way out.
  const std::string fix = r.doc["runs"][0]["load"]["wsl"]["fix"].get<std::string>();
  for (const char* way : {"--allow-unsigned", "wslplug build --sign", "wslplug sign"})
    EXPECT_NE(fix.find(way), std::string::npos) << way << " in " << fix;
  EXPECT_EQ(r.doc["signature"]["finding"], "unsigned");
  // The transcript prints WSL's message and code.
  auto text =
      wt::wslplug({"run", dll_->unsigned_dll.string(), "--name", kName, "--wsl-version", "2.4.4"},
                  wt::run_env());
  EXPECT_EQ(text.rc, 1) << text.both();
  EXPECT_NE(text.out.find("A fatal error was returned by plugin 'trust-test'\n"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/"
                          "TRUST_E_NOSIGNATURE\n"),
            std::string::npos)
      << text.out;
}

TEST_F(RunTrust, SignedWithTrustedCaLoads) {
  auto r =
      wt::run_json(args(dll_->signed_dll, {"--ca", dll_->signer.cert.string()}), {}, {}, false);
  EXPECT_EQ(r.result.rc, 0) << r.context();
  EXPECT_EQ(r.doc["signature"]["status"], "trusted") << r.context();
  EXPECT_EQ(r.doc["signature"]["signer"], "CN=wslplug run trust") << r.context();
  EXPECT_EQ(r.doc["signature"]["trusted_roots"], json::array({dll_->signer.cert.string()}));
  EXPECT_TRUE(r.doc["signature"]["warning"].is_null());
  for (const auto& run : r.doc["runs"]) {
    EXPECT_EQ(run["outcome"], "ok") << r.context();
    EXPECT_EQ(run["load"]["step"], "EntryPoint") << r.context();
  }
}

TEST_F(RunTrust, AppendedByteIsNoSignatureAsInWslsInvalidPluginSignatureTest) {
  // WSL's PluginTests InvalidPluginSignature appends one byte and expects TRUST_E_NOSIGNATURE.
  const auto tampered = wt::copy_to(dll_->signed_dll, dir_->path(), "appended.dll");
  std::ofstream(tampered, std::ios::binary | std::ios::app).put('\0');
  auto r = wt::run_json(args(tampered, {"--ca", dll_->signer.cert.string()}), {}, {}, false);
  expect_refused(r, "TRUST_E_NOSIGNATURE", "0x800B0100");
  EXPECT_EQ(r.doc["signature"]["finding"], "signature-unreadable") << r.context();
  // --allow-unsigned is for DLLs without a signature, not for broken ones.
  auto allowed = wt::run_json(args(tampered, {"--ca", dll_->signer.cert.string()}));
  expect_refused(allowed, "TRUST_E_NOSIGNATURE", "0x800B0100");
}

TEST_F(RunTrust, ChangedByteIsBadDigest) {
  const auto tampered = wt::copy_to(dll_->signed_dll, dir_->path(), "patched.dll");
  {
    // A byte of the DOS stub ("This program cannot be run in DOS mode"): hashed, never run.
    std::fstream f(tampered, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(0x50);
    f.put('X');
  }
  auto r = wt::run_json(args(tampered, {"--ca", dll_->signer.cert.string()}), {}, {}, false);
  expect_refused(r, "TRUST_E_BAD_DIGEST", "0x80096010");
  EXPECT_EQ(r.doc["signature"]["finding"], "digest-mismatch") << r.context();
}

TEST_F(RunTrust, UntrustedRootIsRefused) {
  // Against this system's trust store, and against another --ca root.
  auto r = wt::run_json(args(dll_->signed_dll), {}, {}, false);
  expect_refused(r, "CERT_E_UNTRUSTEDROOT", "0x800B0109");
  EXPECT_NE(r.doc["runs"][0]["load"]["wsl"]["fix"].get<std::string>().find("--ca"),
            std::string::npos)
      << r.context();
  const auto other = wt::make_cert(dir_->path(), "other", {.cn = "someone else"});
  auto r2 = wt::run_json(args(dll_->signed_dll, {"--ca", other.cert.string()}), {}, {}, false);
  expect_refused(r2, "CERT_E_UNTRUSTEDROOT", "0x800B0109");
}

TEST_F(RunTrust, AllowUnsignedGoesOnWithOneWarning) {
  auto r = wt::run_json(args(dll_->unsigned_dll));
  EXPECT_EQ(r.result.rc, 0) << r.context();
  const json& s = r.doc["signature"];
  EXPECT_EQ(s["status"], "unsigned-allowed") << r.context();
  EXPECT_EQ(s["allow_unsigned"], true);
  ASSERT_TRUE(s["warning"].is_object()) << r.context();
  EXPECT_EQ(s["warning"]["id"], "unsigned-allowed");
  EXPECT_NE(s["warning"]["message"].get<std::string>().find("TRUST_E_NOSIGNATURE"),
            std::string::npos);
  for (const auto& run : r.doc["runs"]) {
    EXPECT_EQ(run["outcome"], "ok") << r.context();
    EXPECT_TRUE(run["problems"].empty()) << r.context();
  }
  EXPECT_EQ(count(r.result.err, "is not signed"), 1u) << r.result.err;
  // The transcript: one warning in the report, one status line, for two versions.
  auto text = wt::wslplug({"run", dll_->unsigned_dll.string(), "--name", kName, "--wsl-version",
                           "2.4.4", "--wsl-version", "2.0.5", "--allow-unsigned"},
                          wt::run_env());
  EXPECT_EQ(text.rc, 0) << text.both();
  EXPECT_EQ(count(text.out, "is not signed"), 1u) << text.out;
  EXPECT_EQ(count(text.err, "is not signed"), 1u) << text.err;
}

TEST_F(RunTrust, ProjectCertificateIsTrustedInTheProject) {
  wt::TempDir tmp;
  auto n = wt::wslplug({"new", "trusted", "--lang", "cpp"}, {}, {}, tmp.path());
  ASSERT_EQ(n.rc, 0) << n.both();
  const auto project = tmp / "trusted";
  wt::fs::create_directories(project / ".wslplug");
  wt::fs::copy_file(dll_->signer.cert, project / ".wslplug/cert.pem");
  auto r = wt::run_json(args(dll_->signed_dll), {}, project, false);
  EXPECT_EQ(r.result.rc, 0) << r.context();
  EXPECT_EQ(r.doc["signature"]["status"], "trusted") << r.context();
  EXPECT_EQ(r.doc["signature"]["trusted_roots"],
            json::array({(project / ".wslplug/cert.pem").string()}));
}

TEST_F(RunTrust, MissingCaFileIsAUsageError) {
  auto r = wt::run_json(args(dll_->signed_dll, {"--ca", (dir_->path() / "none.pem").string()}), {},
                        {}, false);
  EXPECT_EQ(r.result.rc, 2) << r.context();
  EXPECT_EQ(r.doc["error"]["where"], "--ca") << r.context();
  EXPECT_TRUE(r.doc["signature"].is_null()) << r.context();
  // A file that holds no certificate is refused the same way, not read as the DLL's problem.
  auto k = wt::run_json(args(dll_->signed_dll, {"--ca", dll_->signer.key.string()}), {}, {}, false);
  EXPECT_EQ(k.result.rc, 2) << k.context();
  EXPECT_EQ(k.doc["error"]["where"], "--ca") << k.context();
}

}  // namespace
