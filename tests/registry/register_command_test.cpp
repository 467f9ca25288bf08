// `wslplug register --emit-reg` / `unregister --emit-reg` through the real binary: golden files
// for every path spelling, refusals that leave nothing behind, --force, --ps1 and --trust-cert
// checked against openssl, and the real component: Wine's reg.exe imports the emitted files,
// `reg query` shows the REG_SZ value with the exact path, the removal file deletes it, and
// values Wine itself writes with other types are flagged by the doctor --reg checker.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "reg_text.hpp"
#include "support.hpp"
#include "wslplug/doctor/reg.hpp"
#include "wslplug/registry/regfile.hpp"
#include "wslplug/registry/registration.hpp"

namespace wt = wslplug::test;
namespace reg = wslplug::registry;

namespace {

const std::string kQueryKey = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins";

std::set<std::string> files_in(const wt::fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : wt::fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

void expect_same_file(const wt::fs::path& actual, const std::string& golden_name) {
  ASSERT_TRUE(wt::fs::exists(actual)) << actual;
  EXPECT_EQ(wt::read_bytes(actual), wt::read_bytes(wt::reg_golden(golden_name)))
      << actual << " differs from golden " << golden_name;
}

std::string unique(const std::string& tag) {
  return fmt::format("wslplug-test-{}-{}", getpid(), tag);
}

// Decodes a UTF-16 file with iconv (an oracle independent of wslplug's decoder).
std::string iconv_utf16(const wt::fs::path& file) {
  auto r = wt::run({"iconv", "-f", "UTF-16", "-t", "UTF-8", file.string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  return r.out;
}

}  // namespace

TEST(RegisterCommand, EveryPathSpellingGivesTheGoldenFiles) {
  const std::vector<std::vector<std::string>> variants = {
      {"C:\\Program Files\\WSL Plugins\\my_plugin\\my_plugin.dll"},
      {"C:/Program Files/WSL Plugins/my_plugin/my_plugin.dll"},
      {"c:\\\\Program Files\\WSL Plugins\\.\\my_plugin\\\\my_plugin.dll"},
      {"/mnt/c/Program Files/WSL Plugins/my_plugin/my_plugin.dll"},
      {"--automount-root", "/win/",
       "/win/c/Program Files/WSL Plugins/my_plugin/sub/../my_plugin.dll"},
      {"--name", "my_plugin", "C:\\Program Files\\WSL Plugins\\my_plugin\\my_plugin.dll"},
  };
  for (const auto& v : variants) {
    SCOPED_TRACE(v.back());
    wt::TempDir tmp;
    std::vector<std::string> args{"register", "--emit-reg"};
    args.insert(args.end(), v.begin(), v.end());
    auto r = wt::wslplug(args, {}, {}, tmp.path());
    ASSERT_EQ(r.rc, 0) << r.both();
    EXPECT_EQ(files_in(tmp.path()),
              (std::set<std::string>{"my_plugin.reg", "my_plugin.unregister.reg"}));
    expect_same_file(tmp / "my_plugin.reg", "my_plugin.reg");
    expect_same_file(tmp / "my_plugin.unregister.reg", "my_plugin.unregister.reg");
    // The next steps are status (stderr): the files are the product, stdout stays empty.
    EXPECT_NE(r.err.find("reg.exe import my_plugin.reg /reg:64"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(RegisterCommand, Utf8HostileNamesOutputPathsAndUnregister) {
  wt::TempDir tmp;
  auto r = wt::wslplug(
      {"register", "--emit-reg", "--encoding", "utf8",
       "/mnt/c/Program Files/WSL Plugins/my_plugin/my_plugin.dll", "-o", "out/plug.reg"},
      {}, {}, tmp.path());
  EXPECT_NE(r.rc, 0) << "writing into a missing folder must fail";
  wt::fs::create_directories(tmp / "out");
  r = wt::wslplug(
      {"register", "--emit-reg", "--encoding", "utf8",
       "/mnt/c/Program Files/WSL Plugins/my_plugin/my_plugin.dll", "-o", "out/plug.reg"},
      {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  expect_same_file(tmp / "out" / "plug.reg", "my_plugin.utf8.reg");
  expect_same_file(tmp / "out" / "plug.unregister.reg", "my_plugin.utf8.unregister.reg");
  EXPECT_TRUE(wt::stray_temp_files(tmp / "out").empty());

  const std::string name = "Contoso \"Quoted\" \\ Plug-in \u00fc\u00f1\u00ef \U0001F680";
  r = wt::wslplug(
      {"register", "--emit-reg", "--name", name,
       "C:/Program Files/Contoso \u00dcn\u00efcode/plug-in \U0001F680.dll", "-o", "hostile.reg"},
      {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  expect_same_file(tmp / "hostile.reg", "hostile.reg");
  expect_same_file(tmp / "hostile.unregister.reg", "hostile.unregister.reg");

  // Default file name of a name with path separators stays in the current folder.
  r = wt::wslplug({"register", "--emit-reg", "--no-unregister", "--name", "a/b:c", "C:\\p.dll"}, {},
                  {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(wt::fs::exists(tmp / "a_b_c.reg"));
  EXPECT_FALSE(wt::fs::exists(tmp / "a_b_c.unregister.reg"));

  r = wt::wslplug({"unregister", "--emit-reg", "--name", "my_plugin"}, {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  expect_same_file(tmp / "my_plugin.unregister.reg", "my_plugin.unregister.reg");
  r = wt::wslplug({"unregister", "--emit-reg", "--name", name, "-o", "rm.reg"}, {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  expect_same_file(tmp / "rm.reg", "hostile.unregister.reg");
  r = wt::wslplug(
      {"unregister", "--emit-reg", "--encoding", "utf8", "--name", "my_plugin", "-o", "rm8.reg"},
      {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  expect_same_file(tmp / "rm8.reg", "my_plugin.utf8.unregister.reg");
}

TEST(RegisterCommand, RefusesBadInputAndWritesNothing) {
  struct Case {
    std::vector<std::string> args;
    std::string expect;  // in stderr
  };
  const std::vector<Case> cases = {
      {{"register", "--ps1", "C:\\Program Files\\p.dll"}, "a folder Windows owns"},
      {{"register", "--ps1", "C:\\p.dll"}, "root of a drive"},
      {{"register", "--restart", "C:\\Program Files\\WSL Plugins\\p\\p.dll"}, "--install"},
      {{"register", "--source", "p.dll", "C:\\Program Files\\WSL Plugins\\p\\p.dll"}, "--ps1"},
      {{"register", "--ps1", "--source", "missing.dll"}, "does not exist"},
      {{"register"}, "DLL_PATH"},
      {{"register", "--emit-reg", "p.dll"}, "relative"},
      {{"register", "--emit-reg", "./build/p.dll"}, "relative"},
      {{"register", "--emit-reg", "/home/me/p.dll"}, "Linux path"},
      {{"register", "--emit-reg", "--automount-root", "/win", "/mnt/c/p.dll"}, "/win/"},
      {{"register", "--emit-reg", "\\\\wsl$\\Ubuntu\\p.dll"}, "inside a distribution"},
      {{"register", "--emit-reg", "\\\\wsl.localhost\\Ubuntu\\p.dll"}, "inside a distribution"},
      {{"register", "--emit-reg", "%LOCALAPPDATA%\\p.dll"}, "environment variable"},
      {{"register", "--emit-reg", "\"C:\\p.dll\""}, "double quote"},
      {{"register", "--emit-reg", "C:\\p\r.dll"}, "control character"},
      {{"register", "--emit-reg", "C:\\Plugins\\p.so"}, ".dll"},
      {{"register", "--emit-reg", "--name", "", "C:\\p.dll"}, "empty"},
      {{"register", "--emit-reg", "--name", "a\nb", "C:\\p.dll"}, "control character"},
      {{"unregister", "--emit-reg", "--name", "a\x1b[31mred"}, "control character"},
      {{"unregister", "--emit-reg", "--name", ""}, "empty"},
      {{"register", "--emit-reg", "--encoding", "utf8", "C:\\caf\u00e9\\p.dll"}, "utf16"},
      {{"register", "--emit-reg", "--encoding", "latin1", "C:\\p.dll"}, "unknown encoding"},
      {{"register", "--emit-reg", "--trust-cert", "c.cer", "C:\\p.dll"}, "--ps1"},
      {{"register", "--emit-reg", "--ps1", "--trust-cert", "missing.cer",
        "C:\\Program Files\\WSL Plugins\\p\\p.dll"},
       "missing.cer"},
  };
  for (const auto& c : cases) {
    wt::TempDir tmp;
    auto r = wt::wslplug(c.args, {}, {}, tmp.path());
    SCOPED_TRACE(c.args.back());
    EXPECT_EQ(r.rc, 2) << r.both();
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("fix:"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_TRUE(files_in(tmp.path()).empty()) << "a refused command left files behind";
  }
  // CLI usage errors (missing operands) are exit 2 as well.
  EXPECT_EQ(wt::wslplug({"register", "--emit-reg"}).rc, 2);
  EXPECT_EQ(wt::wslplug({"unregister", "--emit-reg"}).rc, 2);
  // Without --emit-reg (writing .reg files is what the commands do) the same files come out.
  wt::TempDir tmp;
  ASSERT_EQ(wt::wslplug({"register", "C:\\Program Files\\WSL Plugins\\my_plugin\\my_plugin.dll"},
                        {}, {}, tmp.path())
                .rc,
            0);
  expect_same_file(tmp / "my_plugin.reg", "my_plugin.reg");
  expect_same_file(tmp / "my_plugin.unregister.reg", "my_plugin.unregister.reg");
  ASSERT_EQ(
      wt::wslplug({"unregister", "--name", "my_plugin", "-o", "u.reg"}, {}, {}, tmp.path()).rc, 0);
  expect_same_file(tmp / "u.reg", "my_plugin.unregister.reg");
}

TEST(RegisterCommand, ExistingOutputsNeedForce) {
  wt::TempDir tmp;
  wt::write_text(tmp / "my_plugin.unregister.reg", "keep me");
  auto r = wt::wslplug(
      {"register", "--emit-reg", "C:\\Program Files\\WSL Plugins\\my_plugin\\my_plugin.dll"}, {},
      {}, tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("--force"), std::string::npos);
  EXPECT_EQ(wt::read_text(tmp / "my_plugin.unregister.reg"), "keep me");
  EXPECT_FALSE(wt::fs::exists(tmp / "my_plugin.reg")) << "one existing output must refuse all";
  EXPECT_TRUE(wt::stray_temp_files(tmp.path()).empty());
  r = wt::wslplug({"register", "--emit-reg", "--force",
                   "C:\\Program Files\\WSL Plugins\\my_plugin\\my_plugin.dll"},
                  {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  expect_same_file(tmp / "my_plugin.reg", "my_plugin.reg");
  expect_same_file(tmp / "my_plugin.unregister.reg", "my_plugin.unregister.reg");
  r = wt::wslplug({"unregister", "--emit-reg", "--name", "my_plugin"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2);
  r = wt::wslplug({"unregister", "--emit-reg", "--name", "my_plugin", "--force"}, {}, {},
                  tmp.path());
  EXPECT_EQ(r.rc, 0) << r.both();
}

TEST(RegisterCommand, PowerShellScriptAndTrustedCertificate) {
  WSLPLUG_REQUIRE_TOOL("openssl");
  wt::TempDir tmp;
  auto r = wt::wslplug(
      {"register", "--emit-reg", "--ps1", "--no-unregister", "--name", "O'Brien\u2019s plug-in",
       "C:\\Program Files\\O'Brien\\p.dll", "-o", "obrien.reg"},
      {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  expect_same_file(tmp / "obrien.ps1", "obrien.ps1");
  EXPECT_EQ(files_in(tmp.path()), (std::set<std::string>{"obrien.reg", "obrien.ps1"}));
  EXPECT_NE(r.err.find("-File obrien.ps1"), std::string::npos) << r.err;

  // A certificate made by openssl; the script must embed exactly its DER bytes.
  auto gen =
      wt::run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
               (tmp / "key.pem").string(), "-out", (tmp / "cert.pem").string(), "-days", "2",
               "-subj", "/CN=wslplug register test", "-addext", "extendedKeyUsage=codeSigning"});
  ASSERT_EQ(gen.rc, 0) << gen.both();
  ASSERT_EQ(wt::run({"openssl", "x509", "-in", (tmp / "cert.pem").string(), "-outform", "DER",
                     "-out", (tmp / "cert.cer").string()})
                .rc,
            0);
  auto b64 = wt::run({"openssl", "base64", "-A", "-in", (tmp / "cert.cer").string()});
  ASSERT_EQ(b64.rc, 0);
  auto fp = wt::run(
      {"openssl", "x509", "-in", (tmp / "cert.pem").string(), "-noout", "-fingerprint", "-sha1"});
  std::string thumb = fp.out.substr(fp.out.find('=') + 1);
  std::erase(thumb, ':');
  std::erase(thumb, '\n');
  ASSERT_EQ(thumb.size(), 40u);

  r = wt::wslplug({"register", "--emit-reg", "--ps1", "--trust-cert", "cert.cer",
                   "/mnt/c/Program Files/WSL Plugins/my_plugin/my_plugin.dll"},
                  {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.err.find("Cert:\\LocalMachine\\Root"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(thumb), std::string::npos) << r.err;
  const std::string ps1 = wt::read_text(tmp / "my_plugin.ps1");
  ASSERT_TRUE(ps1.starts_with("\xef\xbb\xbf#Requires -RunAsAdministrator\r\n"));
  // CRLF everywhere, no bare LF.
  for (std::size_t i = 0; i < ps1.size(); ++i)
    if (ps1[i] == '\n') {
      ASSERT_TRUE(i > 0 && ps1[i - 1] == '\r') << "bare LF at " << i;
    }
  EXPECT_NE(ps1.find("$CertBase64 = '" + b64.out + "'"), std::string::npos);
  EXPECT_NE(ps1.find("$TrustThumbprint = '" + thumb + "'\r\n"), std::string::npos);
  EXPECT_NE(ps1.find("if ($Cert.Thumbprint -ne $TrustThumbprint)"), std::string::npos);
  EXPECT_NE(ps1.find("StoreName]::Root"), std::string::npos);
  EXPECT_NE(ps1.find("StoreLocation]::LocalMachine"), std::string::npos);
  EXPECT_NE(ps1.find("TRUSTING A CERTIFICATE FOR THE WHOLE MACHINE"), std::string::npos);
  EXPECT_NE(ps1.find("$PluginPath = 'C:\\Program Files\\WSL Plugins\\my_plugin\\my_plugin.dll'"),
            std::string::npos);
  EXPECT_NE(ps1.find("RegistryView]::Registry64"), std::string::npos);
  EXPECT_NE(ps1.find("RegistryValueKind]::String"), std::string::npos);
  EXPECT_NE(ps1.find("Stop-Service -Name wslservice -Force"), std::string::npos);
  EXPECT_NE(ps1.find("& wsl.exe"), std::string::npos);
  EXPECT_NE(ps1.find("Get-AuthenticodeSignature"), std::string::npos);
  // The trust step comes before the registration (the order of the steps themselves is checked
  // in script_test); the uninstall script is written beside it.
  EXPECT_LT(ps1.find("$Store.Add($Cert)"), ps1.find("$Key.SetValue("));
  EXPECT_TRUE(wt::fs::exists(tmp / "my_plugin.unregister.ps1"));
  EXPECT_EQ(ps1.find("PRIVATE"), std::string::npos);
  EXPECT_EQ(ps1.find("BEGIN"), std::string::npos);

  // A private key or a PKCS#12 bundle is never embedded.
  ASSERT_EQ(wt::run({"openssl", "pkcs12", "-export", "-in", (tmp / "cert.pem").string(), "-inkey",
                     (tmp / "key.pem").string(), "-out", (tmp / "cert.pfx").string(), "-passout",
                     "pass:"})
                .rc,
            0);
  for (const char* bad : {"key.pem", "cert.pfx"}) {
    wt::TempDir out;
    r = wt::wslplug({"register", "--ps1", "--trust-cert", (tmp / bad).string(),
                     "C:\\Program Files\\WSL Plugins\\p\\p.dll"},
                    {}, {}, out.path());
    EXPECT_EQ(r.rc, 2) << bad << r.both();
    EXPECT_TRUE(files_in(out.path()).empty()) << bad;
  }
}

TEST(RegisterCommand, HelpHasExamples) {
  for (const char* cmd : {"register", "unregister"}) {
    auto r = wt::wslplug({cmd, "--help"});
    EXPECT_EQ(r.rc, 0);
    EXPECT_NE(r.out.find("Examples:"), std::string::npos) << cmd;
    EXPECT_NE(r.out.find(std::string("wslplug ") + cmd + " "), std::string::npos) << cmd;
    EXPECT_NE(r.out.find("Exit codes:"), std::string::npos) << cmd;
  }
}

// The real component: Wine's reg.exe and regedit.
TEST(RegisterWine, ImportQueryExportAndRemove) {
  WSLPLUG_REQUIRE_TOOL("wine");
  WSLPLUG_REQUIRE_TOOL("iconv");
  WSLPLUG_REQUIRE_TOOL("wineserver");
  // The shared prefix booted, with a lingering wineserver (tests/support: wine_warm_up).
  const auto& warm = wt::wine_warm_up();
  ASSERT_EQ(warm.rc, 0) << warm.both();
  wt::TempDir tmp;
  // 1. Plain names and paths, both encodings: reg import, reg query, removal.
  for (const std::string enc : {"utf16", "utf8"}) {
    SCOPED_TRACE(enc);
    const std::string name = unique(enc);
    const std::string path = "C:\\Program Files\\wslplug test\\" + name + ".dll";
    auto r = wt::wslplug({"register", "--emit-reg", "--encoding", enc, "--name", name,
                          "/mnt/c/Program Files/wslplug test/" + name + ".dll"},
                         {}, {}, tmp.path());
    ASSERT_EQ(r.rc, 0) << r.both();
    auto imp = wt::wine({"reg", "import", name + ".reg"}, tmp.path());
    ASSERT_EQ(imp.rc, 0) << imp.both();
    auto q = wt::wine({"reg", "query", kQueryKey, "/v", name});
    ASSERT_EQ(q.rc, 0) << q.both();
    EXPECT_NE(q.out.find("    " + name + "    REG_SZ    " + path + "\r\n"), std::string::npos)
        << q.out;
    auto del = wt::wine({"reg", "import", name + ".unregister.reg"}, tmp.path());
    ASSERT_EQ(del.rc, 0) << del.both();
    q = wt::wine({"reg", "query", kQueryKey, "/v", name});
    EXPECT_NE(q.rc, 0) << "value still present after the removal file:\n" << q.out;
  }

  // 2. Hostile name and path (quotes, backslash, non-ASCII, surrogate pair): import, then
  //    regedit's own export must contain our exact line, and read back as REG_SZ.
  const std::string name = "Contoso \"Q\" \\ \u00fc\u00f1\u00ef \U0001F680 " + unique("u");
  const std::string path = "C:\\Program Files\\Contoso \u00dcn\u00efcode\\plug-in \U0001F680.dll";
  auto r = wt::wslplug({"register", "--emit-reg", "--name", name, path, "-o", "hostile.reg"}, {},
                       {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  auto imp = wt::wine({"reg", "import", "hostile.reg"}, tmp.path());
  ASSERT_EQ(imp.rc, 0) << imp.both();
  auto exp = wt::wine({"reg", "export", kQueryKey, "export.reg", "/y"}, tmp.path());
  ASSERT_EQ(exp.rc, 0) << exp.both();
  const std::string line = "\"" + reg::escape(name) + "\"=\"" + reg::escape(path) + "\"\r\n";
  EXPECT_NE(iconv_utf16(tmp / "export.reg").find(line), std::string::npos)
      << "regedit's export lacks " << line;
  auto doc = reg::parse_file(tmp / "export.reg");
  ASSERT_TRUE(doc) << doc.error().describe();
  bool found = false;
  for (const auto& k : doc->keys)
    for (const auto& v : k.values)
      if (v.name == name) {
        found = true;
        EXPECT_EQ(v.kind, reg::ValueKind::kString);
        EXPECT_EQ(v.text, path);
      }
  EXPECT_TRUE(found);
  imp = wt::wine({"reg", "import", "hostile.unregister.reg"}, tmp.path());
  ASSERT_EQ(imp.rc, 0) << imp.both();
  exp = wt::wine({"reg", "export", kQueryKey, "export2.reg", "/y"}, tmp.path());
  ASSERT_EQ(exp.rc, 0) << exp.both();
  EXPECT_EQ(iconv_utf16(tmp / "export2.reg").find(reg::escape(name)), std::string::npos)
      << "the removal file did not delete the hostile value";

  // 3. Values Wine writes with other types (as a hand-made registration would): regedit's export
  //    uses hex(2)/hex(7)/dword with continuation lines; the checker must flag each.
  const std::string expand = unique("expand"), multi = unique("multi"), dword = unique("dword"),
                    good = unique("good");
  ASSERT_EQ(
      wt::wine({"reg", "add", kQueryKey, "/v", expand, "/t", "REG_EXPAND_SZ", "/d",
                "%SystemRoot%\\System32\\a-rather-long-folder-name\\so-that-it-wraps\\p.dll", "/f"})
          .rc,
      0);
  ASSERT_EQ(wt::wine({"reg", "add", kQueryKey, "/v", multi, "/t", "REG_MULTI_SZ", "/d", "C:\\p.dll",
                      "/f"})
                .rc,
            0);
  ASSERT_EQ(wt::wine({"reg", "add", kQueryKey, "/v", dword, "/t", "REG_DWORD", "/d", "1", "/f"}).rc,
            0);
  ASSERT_EQ(wt::wine({"reg", "add", kQueryKey, "/v", good, "/t", "REG_SZ", "/d",
                      "C:\\Plugins\\good.dll", "/f"})
                .rc,
            0);
  exp = wt::wine({"reg", "export", kQueryKey, "types.reg", "/y"}, tmp.path());
  ASSERT_EQ(exp.rc, 0) << exp.both();
  for (const auto& n : {expand, multi, dword, good})
    wt::wine({"reg", "delete", kQueryKey, "/v", n, "/f"});
  const std::string exported = iconv_utf16(tmp / "types.reg");
  EXPECT_NE(exported.find("\"" + expand + "\"=hex(2):"), std::string::npos) << exported;
  EXPECT_NE(exported.find(",\\\r\n  "), std::string::npos) << "no continuation line to parse";
  auto findings = wslplug::doctor::check_registration_file(tmp / "types.reg");
  ASSERT_TRUE(findings) << findings.error().describe();
  std::set<std::string> flagged;
  for (const auto& f : *findings) {
    if (f.id != "value-not-reg-sz") continue;
    for (const auto& n : {expand, multi, dword, good})
      if (f.message.find("\"" + n + "\"") != std::string::npos) flagged.insert(n);
    if (f.message.find(expand) != std::string::npos) {
      EXPECT_NE(f.message.find("REG_EXPAND_SZ"), std::string::npos);
      EXPECT_NE(f.fix.find("%SystemRoot%\\System32\\a-rather-long-folder-name\\so-that-it-wraps"),
                std::string::npos)
          << f.fix;
    }
  }
  EXPECT_EQ(flagged, (std::set<std::string>{expand, multi, dword}));
}

// A WSL mount path that exists here: the DLL is looked at and load problems are warned about.
// --automount-root points at a temp folder that plays /mnt.
TEST(RegisterCommand, WarnsAboutALocalDllThatWouldNotLoad) {
  wt::TempDir tmp;
  const auto drive = tmp / "mnt" / "c" / "Program Files" / "WSL Plugins" / "t";
  wt::fs::create_directories(drive);
  const std::string root = (tmp / "mnt").string() + "/";
  auto good = wt::build_dll({.name = "register-good"});
  auto noexport = wt::build_dll(
      {.name = "register-noexport",
       .source = "#include <windows.h>\n__declspec(dllexport) int Other(void) { return 1; }\n"});
  auto x86 = wt::build_dll({.name = "register-x86", .arch = wt::Arch::kX86});
  ASSERT_FALSE(good.empty() || noexport.empty() || x86.empty());
  wt::copy_to(good, drive, "good.dll");
  wt::copy_to(noexport, drive, "noexport.dll");
  wt::copy_to(x86, drive, "x86.dll");
  wt::write_text(drive / "text.dll", "not a PE file");
  struct Case {
    std::string file, warning;
  };
  for (const Case& c : std::vector<Case>{{"good.dll", ""},
                                         {"noexport.dll", "ERROR_PROC_NOT_FOUND"},
                                         {"x86.dll", "x86"},
                                         {"text.dll", "not a PE image"},
                                         {"missing.dll", "does not exist here"}}) {
    SCOPED_TRACE(c.file);
    wt::TempDir out;
    auto r =
        wt::wslplug({"register", "--emit-reg", "--automount-root", root, (drive / c.file).string()},
                    {}, {}, out.path());
    ASSERT_EQ(r.rc, 0) << r.both();
    if (c.warning.empty()) {
      EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
    } else {
      EXPECT_NE(r.err.find("warning"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(c.warning), std::string::npos) << r.err;
    }
    const std::string stem = c.file.substr(0, c.file.size() - 4);
    auto doc = reg::parse_file(out / (stem + ".reg"));
    ASSERT_TRUE(doc) << doc.error().describe();
    EXPECT_EQ(doc->keys.at(0).values.at(0).text, "C:\\Program Files\\WSL Plugins\\t\\" + c.file);
  }
}

// The registered path is judged for who can write it: a clear warning with the reason, and none
// for the default place under Program Files.
TEST(RegisterCommand, WarnsAboutUserWritableLocations) {
  struct Case {
    std::string path, reason;
  };
  for (const Case& c : std::vector<Case>{
           {"C:\\Users\\me\\plugins\\p.dll", "under C:\\Users\\"},
           {"/mnt/c/Users/me/p.dll", "given as its WSL mount path /mnt/c/Users/me/p.dll"},
           {"C:\\Windows\\Temp\\p.dll", "temporary folder C:\\Windows\\Temp"},
           {"C:\\Plugins\\p.dll", "the folder C:\\Plugins at the top of drive C:"},
           {"/mnt/d/p.dll", "the root of drive D:"},
           {"C:\\ProgramData\\p\\p.dll", "ProgramData"},
           {"\\\\server\\share\\p.dll", "network share \\\\server\\share"},
           {"C:\\Program Files\\WSL Plugins\\p\\p.dll", ""},
           {"C:\\Windows\\Tasks\\p.dll", "C:\\Windows\\Tasks"},
           {"/mnt/c/Windows/System32/spool/drivers/color/p.dll",
            "C:\\Windows\\System32\\spool\\drivers\\color"},
       }) {
    SCOPED_TRACE(c.path);
    wt::TempDir tmp;
    auto r = wt::wslplug({"register", c.path}, {}, {}, tmp.path());
    ASSERT_EQ(r.rc, 0) << r.both();
    if (c.reason.empty()) {
      EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
      continue;
    }
    EXPECT_NE(r.err.find("warning: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.reason), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("LocalSystem"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("C:\\Program Files\\WSL Plugins\\p\\p.dll"), std::string::npos) << r.err;
  }
}

// --install from inside WSL: a stand-in powershell.exe on PATH records its arguments; WSL is
// made detectable with WSLPLUG_WSL_INTEROP_FILE (documented for tests). Outside WSL the command
// is refused before anything is written.
TEST(RegisterCommand, InstallRunsTheScriptElevatedThroughInterop) {
  wt::TempDir tmp;
  wt::fs::create_directories(tmp / "bin");
  wt::write_text(tmp / "bin" / "powershell.exe",
                 "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$PS_RECORD\"\n"
                 "echo 'stand-in: Installed' >&2\nexit \"${PS_EXIT:-0}\"\n");
  wt::fs::permissions(tmp / "bin" / "powershell.exe", wt::fs::perms::owner_all);
  auto good = wt::build_dll({.name = "install-good"});
  ASSERT_FALSE(good.empty());
  wt::copy_to(good, tmp.path(), "good.dll");
  wt::write_text(tmp / "text.dll", "not a PE");
  const std::string path = (tmp / "bin").string() + ":" + std::getenv("PATH");
  const std::string record = (tmp / "args").string();
  std::map<std::string, std::string> env{{"PATH", path},
                                         {"PS_RECORD", record},
                                         {"WSL_DISTRO_NAME", "Debian"},
                                         {"WSLPLUG_WSL_INTEROP_FILE", (tmp / "interop").string()}};
  auto decoded_command = [&] {
    const std::string args = wt::read_text(record);
    const auto last = args.rfind('\n', args.size() - 2);
    wt::write_text(tmp / "b64", args.substr(last + 1));
    auto d = wt::run(
        {"sh", "-c", "base64 -d " + (tmp / "b64").string() + " | iconv -f UTF-16LE -t UTF-8"});
    EXPECT_EQ(d.rc, 0) << d.both();
    return std::pair{args, d.out};
  };

  // Not WSL (the interop file is missing): refused, nothing written, powershell.exe not run.
  wt::TempDir out1;
  auto r = wt::wslplug({"register", "--install", "--source", (tmp / "good.dll").string()}, env, {},
                       out1.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("not WSL"), std::string::npos) << r.err;
  EXPECT_TRUE(files_in(out1.path()).empty());
  EXPECT_FALSE(wt::fs::exists(record));

  wt::write_text(tmp / "interop", "enabled\n");
  // A DLL that would not load is never installed.
  r = wt::wslplug({"register", "--install", "--source", (tmp / "text.dll").string()}, env, {},
                  out1.path());
  EXPECT_EQ(r.rc, 1) << r.both();
  EXPECT_TRUE(files_in(out1.path()).empty());
  EXPECT_FALSE(wt::fs::exists(record));

  // Default: no restart, with the warning about what a restart would do.
  wt::TempDir out2;
  r = wt::wslplug({"register", "--install", "--source", (tmp / "good.dll").string()}, env, {},
                  out2.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(files_in(out2.path()), (std::set<std::string>{"good.reg", "good.unregister.reg",
                                                          "good.ps1", "good.unregister.ps1"}));
  EXPECT_NE(r.err.find("ends every running WSL session, this one included"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("stand-in: Installed"), std::string::npos) << r.err;
  auto [args, command] = decoded_command();
  EXPECT_TRUE(
      args.starts_with("-NoProfile\n-NonInteractive\n-ExecutionPolicy\nBypass\n"
                       "-EncodedCommand\n"))
      << args;
  const std::string distro_dir = "\\\\wsl.localhost\\Debian" + std::string(out2.path().string());
  std::string win_dir = distro_dir;
  std::replace(win_dir.begin(), win_dir.end(), '/', '\\');
  EXPECT_NE(command.find("$ScriptFrom = '" + win_dir + "\\good.ps1'"), std::string::npos)
      << command;
  std::string win_dll = "\\\\wsl.localhost\\Debian" + (tmp / "good.dll").string();
  std::replace(win_dll.begin(), win_dll.end(), '/', '\\');
  EXPECT_NE(command.find("$SourceFrom = '" + win_dll + "'"), std::string::npos) << command;
  EXPECT_NE(command.find("$Restart = $false"), std::string::npos);
  EXPECT_NE(command.find("Start-Process -FilePath powershell.exe -Verb RunAs -Wait"),
            std::string::npos);
  const std::string ps1 = wt::read_text(out2 / "good.ps1");
  EXPECT_NE(ps1.find("$PluginPath = 'C:\\Program Files\\WSL Plugins\\good\\good.dll'"),
            std::string::npos);

  // --restart: passed on, with the warning that it ends this session.
  wt::TempDir out3;
  r = wt::wslplug({"register", "--install", "--restart", "--source", (tmp / "good.dll").string()},
                  env, {}, out3.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.err.find("warning: --restart"), std::string::npos) << r.err;
  EXPECT_NE(decoded_command().second.find("$Restart = $true"), std::string::npos);

  // unregister --uninstall runs the uninstall script the same way (no DLL to copy).
  wt::TempDir out5;
  r = wt::wslplug({"unregister", "--name", "good", "--uninstall", "--restart"}, env, {},
                  out5.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(files_in(out5.path()),
            (std::set<std::string>{"good.unregister.reg", "good.unregister.ps1"}));
  {
    const std::string un = decoded_command().second;
    EXPECT_NE(un.find("good.unregister.ps1'"), std::string::npos) << un;
    EXPECT_NE(un.find("$SourceFrom = ''"), std::string::npos) << un;
    EXPECT_NE(un.find("$Restart = $true"), std::string::npos) << un;
  }
  // --json: the document alone on stdout (the script's output stays on stderr), "installed".
  wt::TempDir out6;
  r = wt::wslplug({"register", "--install", "--json", "--source", (tmp / "good.dll").string()}, env,
                  {}, out6.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  {
    auto doc = nlohmann::json::parse(r.out);
    EXPECT_TRUE(doc.at("ok").get<bool>());
    EXPECT_TRUE(doc.at("installed").get<bool>());
    EXPECT_EQ(doc.at("files").size(), 4u);
    EXPECT_TRUE(doc.at("next_steps").empty()) << doc.dump();
    EXPECT_NE(r.err.find("stand-in: Installed"), std::string::npos) << r.err;
  }
  // The script failing on Windows is exit 1.
  env["PS_EXIT"] = "1";
  wt::TempDir out4;
  r = wt::wslplug({"register", "--install", "--source", (tmp / "good.dll").string()}, env, {},
                  out4.path());
  EXPECT_EQ(r.rc, 1) << r.both();
  EXPECT_NE(r.err.find("failed on Windows"), std::string::npos) << r.err;
  // ... and in --json the document says so: not installed, the files that were written.
  wt::TempDir out7;
  r = wt::wslplug({"register", "--install", "--json", "--source", (tmp / "good.dll").string()}, env,
                  {}, out7.path());
  EXPECT_EQ(r.rc, 1) << r.both();
  {
    auto doc = nlohmann::json::parse(r.out);
    EXPECT_FALSE(doc.at("ok").get<bool>());
    EXPECT_FALSE(doc.at("installed").get<bool>());
    EXPECT_EQ(doc.at("error").at("kind"), "bad");
    EXPECT_EQ(doc.at("files").size(), 4u);
  }
}

// --json on register and unregister: one document on stdout whose files are the files on disk
// (path, role, size), with the location warnings and the next steps that text mode prints on
// stderr; a refusal is a document with "ok": false and nothing written.
TEST(RegisterCommand, JsonDocumentsListTheFilesWarningsAndNextSteps) {
  wt::TempDir tmp;
  auto r =
      wt::wslplug({"register", "--json", "--ps1", "C:\\Users\\bob\\p.dll"}, {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_TRUE(doc.at("ok").get<bool>());
  EXPECT_EQ(doc.at("name"), "p");
  EXPECT_EQ(doc.at("windows_path"), "C:\\Users\\bob\\p.dll");
  std::map<std::string, std::string> roles;
  for (const auto& f : doc.at("files")) {
    const std::string path = f.at("path").get<std::string>();
    roles[f.at("role").get<std::string>()] = path;
    EXPECT_EQ(f.at("size").get<std::uintmax_t>(), wt::fs::file_size(tmp / path)) << path;
  }
  EXPECT_EQ(roles, (std::map<std::string, std::string>{{"register", "p.reg"},
                                                       {"unregister", "p.unregister.reg"},
                                                       {"install-script", "p.ps1"},
                                                       {"uninstall-script", "p.unregister.ps1"}}));
  ASSERT_FALSE(doc.at("warnings").empty());
  EXPECT_NE(doc.at("warnings").at(0).get<std::string>().find("C:\\Users\\"), std::string::npos);
  EXPECT_NE(r.err.find("warning:"), std::string::npos) << r.err;
  ASSERT_FALSE(doc.at("next_steps").empty());
  EXPECT_NE(doc.at("next_steps").at(0).get<std::string>().find("-File p.ps1"), std::string::npos);
  EXPECT_FALSE(doc.at("installed").get<bool>());

  // Unregister, and -q: no status lines on stderr, the same document.
  r = wt::wslplug({"unregister", "-q", "--json", "--name", "p", "-o", "gone.reg"}, {}, {},
                  tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(r.err, "");
  doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc.at("files").size(), 1u);
  EXPECT_EQ(doc.at("files").at(0).at("path"), "gone.reg");
  EXPECT_EQ(doc.at("files").at(0).at("role"), "unregister");
  EXPECT_EQ(doc.at("next_steps").at(0), "reg.exe import gone.reg /reg:64");

  // A refusal: the error in the document, exit 2, nothing written.
  wt::TempDir empty;
  r = wt::wslplug({"register", "--json", "relative\\p.dll"}, {}, {}, empty.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  doc = nlohmann::json::parse(r.out);
  EXPECT_FALSE(doc.at("ok").get<bool>());
  EXPECT_EQ(doc.at("error").at("kind"), "input");
  EXPECT_EQ(doc.at("error").at("where"), "DLL_PATH");
  EXPECT_TRUE(doc.at("files").empty());
  EXPECT_TRUE(files_in(empty.path()).empty());
}

// `register --name con` (and nul.dll, com1) would install into a folder Windows cannot create:
// refused with the reason, nothing written; an over-long name likewise.
TEST(RegisterCommand, RefusesDeviceNamesAndOverlongNames) {
  for (const std::string& name :
       std::vector<std::string>{"con", "nul.dll", "COM1", "lpt9.txt", std::string(300, 'n')}) {
    SCOPED_TRACE(name.substr(0, 20));
    wt::TempDir tmp;
    wt::write_text(tmp / "p.dll", "not really a DLL");
    auto r =
        wt::wslplug({"register", "--ps1", "--source", "p.dll", "--name", name}, {}, {}, tmp.path());
    EXPECT_EQ(r.rc, 2) << r.both();
    EXPECT_TRUE(r.err.find("reserved device name") != std::string::npos ||
                r.err.find("characters long") != std::string::npos)
        << r.err;
    EXPECT_EQ(std::distance(wt::fs::directory_iterator(tmp.path()), {}), 1);  // only p.dll
  }
  wt::TempDir tmp;
  auto r = wt::wslplug({"register", "C:\\Plugins\\nul\\p.dll"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("NUL"), std::string::npos) << r.err;
}
