// The install script of `register --ps1`: PowerShell quoting (the certificate it trusts is
// loaded by the signing library: tests/signing/trust_cert_test.cpp).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "support.hpp"
#include "wslplug/registry/interop.hpp"
#include "wslplug/registry/registration.hpp"

namespace wt = wslplug::test;
namespace reg = wslplug::registry;

TEST(RegistryScript, QuotesPowerShellStrings) {
  EXPECT_EQ(reg::ps_quote("plain"), "'plain'");
  EXPECT_EQ(reg::ps_quote("it's"), "'it''s'");
  EXPECT_EQ(reg::ps_quote("$(calc) `n \"x\""), "'$(calc) `n \"x\"'");
  EXPECT_EQ(reg::ps_quote("a\u2019b\u2018c\u201bd"), "'a\u2019\u2019b\u2018\u2018c\u201b\u201bd'");
  EXPECT_EQ(reg::ps_quote("\u201c"), "'\u201c'");  // a double quote variant is not special
}

namespace {

// Structural checks on PowerShell text that need no PowerShell: every line ends in CRLF, and
// braces, parentheses and brackets balance outside single-quoted strings and comments (a
// truncated or mis-spliced script fails this).
void expect_well_formed(const std::string& script) {
  for (std::size_t i = 0; i < script.size(); ++i)
    if (script[i] == '\n') {
      ASSERT_TRUE(i > 0 && script[i - 1] == '\r') << "bare LF at " << i;
    }
  std::vector<char> stack;
  bool in_single = false, in_double = false, in_comment = false;
  for (std::size_t i = 0; i < script.size(); ++i) {
    const char c = script[i];
    if (in_comment) {
      if (c == '\n') in_comment = false;
      continue;
    }
    if (in_single) {
      if (c == '\'') {
        if (i + 1 < script.size() && script[i + 1] == '\'')
          ++i;
        else
          in_single = false;
      }
      continue;
    }
    if (in_double) {
      if (c == '`')
        ++i;
      else if (c == '"')
        in_double = false;
      continue;
    }
    if (c == '#')
      in_comment = true;
    else if (c == '\'')
      in_single = true;
    else if (c == '"')
      in_double = true;
    else if (c == '{' || c == '(' || c == '[')
      stack.push_back(c);
    else if (c == '}' || c == ')' || c == ']') {
      ASSERT_FALSE(stack.empty()) << "unbalanced " << c << " at " << i;
      const char open = stack.back();
      stack.pop_back();
      ASSERT_EQ(open, c == '}' ? '{' : c == ')' ? '(' : '[') << "mismatched " << c << " at " << i;
    }
  }
  EXPECT_TRUE(stack.empty()) << stack.size() << " unclosed";
  EXPECT_FALSE(in_single || in_double) << "unterminated string";
}

std::size_t at(const std::string& s, const std::string& what) {
  const auto pos = s.find(what);
  EXPECT_NE(pos, std::string::npos) << "missing: " << what;
  return pos;
}

// The body of `function NAME { ... }` (up to the next function or the main part).
std::string function_body(const std::string& s, const std::string& name) {
  const auto start = s.find("function " + name);
  if (start == std::string::npos) return {};
  auto end = s.find("\r\nfunction ", start + 1);
  if (end == std::string::npos) end = s.find("\r\ntry {", start);
  return s.substr(start, end - start);
}

}  // namespace

TEST(RegistryScript, InstallScriptLocksTheFolderChecksTheSignatureAndRestartsOnlyOnRequest) {
  const std::string der = "not really DER";
  const std::string s =
      reg::powershell_script({.name = "it's \u2019mine",
                              .windows_path = "C:\\Program Files\\WSL Plugins\\mine\\mine.dll",
                              .default_source = "C:\\Users\\me\\build\\mine.dll",
                              .trust_der = std::as_bytes(std::span(der.data(), der.size())),
                              .trust_thumbprint = "ABCDEF0123456789ABCDEF0123456789ABCDEF01",
                              .generator = "wslplug test"});
  expect_well_formed(s);
  EXPECT_TRUE(s.starts_with("#Requires -RunAsAdministrator\r\n"));
  // param() is the first statement (only comments before it), with -Source, -Restart, -LogFile.
  const auto param = at(s, "\r\nparam(\r\n");
  for (std::size_t line = 0; line < param;) {
    EXPECT_EQ(s[line], '#') << s.substr(line, 40);
    line = s.find("\r\n", line) + 2;
  }
  at(s, "[string]$Source = ''");
  at(s, "[switch]$Restart");
  at(s, "[string]$LogFile = ''");
  // User text only as single-quoted literals in the header.
  at(s, "$PluginName = 'it''s \u2019\u2019mine'\r\n");
  at(s, "$PluginPath = 'C:\\Program Files\\WSL Plugins\\mine\\mine.dll'\r\n");
  at(s, "$PluginDir = 'C:\\Program Files\\WSL Plugins\\mine'\r\n");
  at(s, "$DefaultSource = 'C:\\Users\\me\\build\\mine.dll'\r\n");
  at(s, "$StatePath = 'SOFTWARE\\wslplug\\Installed\\it''s \u2019\u2019mine'");
  // The ACL: inheritance removed, write only for SYSTEM and Administrators by well-known SID,
  // owner Administrators, and a check of the result that refuses any other writer.
  at(s, "$SystemSid = 'S-1-5-18'");
  at(s, "$AdminsSid = 'S-1-5-32-544'");
  at(s, "$UsersSid = 'S-1-5-32-545'");
  const std::string acl = function_body(s, "Set-InstallFolderAcl");
  at(acl, "/inheritance:r");
  at(acl,
     "/grant:r ('*' + $SystemSid + ':(OI)(CI)F') ('*' + $AdminsSid + ':(OI)(CI)F') "
     "('*' + $UsersSid + ':(OI)(CI)RX')");
  at(acl, "/setowner ('*' + $AdminsSid)");
  EXPECT_LT(at(acl, "/reset /T"), at(acl, "/inheritance:r")) << "explicit rules must go first";
  const std::string check = function_body(s, "Assert-InstallFolderAcl");
  at(check, "AreAccessRulesProtected");
  at(check, "$Allowed = @($SystemSid, $AdminsSid)");
  at(check, "$WriteMask = 0x500D0156");
  EXPECT_EQ(0x500D0156u, 0x2u | 0x4u | 0x10u | 0x40u | 0x100u | 0x10000u | 0x40000u | 0x80000u |
                             0x10000000u | 0x40000000u);
  // No language-dependent account names anywhere.
  for (const char* name : {"Administrators:", "SYSTEM:", "Users:", "Everyone", "NT AUTHORITY"})
    EXPECT_EQ(s.find(name), std::string::npos) << name;
  // Reparse points refused on the way to the folder and at the DLL.
  const std::string folder = function_body(s, "New-InstallFolder");
  at(folder, "Test-ReparsePoint $Dir");
  at(folder, "holds other files");
  at(function_body(s, "Test-ReparsePoint"), "[System.IO.FileAttributes]::ReparsePoint");
  const std::string copy = function_body(s, "Install-PluginFile");
  at(copy, "Test-ReparsePoint $PluginPath");
  // The signature is checked on the copy inside the locked folder, before it takes the real
  // name; an invalid one deletes the copy and stops.
  EXPECT_LT(at(copy, "[System.IO.File]::Copy($From, $Staged)"),
            at(copy, "Get-AuthenticodeSignature -LiteralPath $Staged"));
  EXPECT_LT(at(copy, "if ($Signature.Status -ne 'Valid')"),
            at(copy, "[System.IO.File]::Move($Staged, $PluginPath)"));
  // The order of the main part: trust, folder, ACL, copy and check, register, record, restart.
  const std::string main = function_body(s, "Invoke-Install");
  const std::vector<std::string> order = {"Add-TrustedCertificate", "New-InstallFolder",
                                          "Set-InstallFolderAcl",   "Install-PluginFile $From",
                                          "Register-Plugin",        "Save-InstallRecord",
                                          "Test-PluginLoads"};
  for (std::size_t i = 1; i < order.size(); ++i)
    EXPECT_LT(at(main, order[i - 1]), at(main, order[i])) << order[i - 1] << " / " << order[i];
  // wslservice is stopped only inside `if ($Restart)`.
  std::size_t pos = 0;
  int stops = 0;
  while ((pos = main.find("Stop-WslService", pos)) != std::string::npos) {
    const auto guard = main.rfind("if ($Restart)", pos);
    ASSERT_NE(guard, std::string::npos);
    EXPECT_EQ(main.find('}', guard), main.find('}', pos)) << "Stop-WslService outside the guard";
    ++stops;
    ++pos;
  }
  EXPECT_GE(stops, 1);
  EXPECT_EQ(s.find("Restart-Service"), s.find("Restart-Service wslservice, to load it now"))
      << "the script must never restart the service on its own";
  // The trust step records whether it added the certificate (for the uninstall).
  const std::string trust = function_body(s, "Add-TrustedCertificate");
  at(trust, "if ($Cert.Thumbprint -ne $TrustThumbprint)");
  at(trust, "Test-Path -LiteralPath ('Cert:\\LocalMachine\\Root\\' + $Cert.Thumbprint)");
  at(trust, "return $Cert.Thumbprint");
  at(function_body(s, "Save-InstallRecord"), "'TrustedThumbprint'");
  at(s, "RegistryView]::Registry64");
  at(s, "RegistryValueKind]::String");

  // Without a certificate there is no trust step at all.
  const std::string plain =
      reg::powershell_script({.name = "p",
                              .windows_path = "C:\\Program Files\\WSL Plugins\\p\\p.dll",
                              .default_source = "",
                              .trust_der = {},
                              .trust_thumbprint = "",
                              .generator = ""});
  expect_well_formed(plain);
  EXPECT_EQ(plain.find("function Add-TrustedCertificate"), std::string::npos);
  EXPECT_EQ(plain.find("X509Store"), std::string::npos);
  at(plain, "$CertBase64 = ''");
}

TEST(RegistryScript, UninstallScriptUndoesTheRecordedInstall) {
  const std::string s = reg::uninstall_script({.name = "O'Brien", .generator = "wslplug"});
  expect_well_formed(s);
  EXPECT_TRUE(s.starts_with("#Requires -RunAsAdministrator\r\n"));
  EXPECT_EQ(s.find("$Source"), std::string::npos);
  at(s, "$PluginName = 'O''Brien'");
  at(s, "$StatePath = 'SOFTWARE\\wslplug\\Installed\\O''Brien'");
  const std::string main = function_body(s, "Invoke-Uninstall");
  // Removes the value, then what the record names: the certificate by its thumbprint (never by
  // subject or a wildcard), the DLL, the folders the install created (only when empty), the
  // record.
  const std::vector<std::string> order = {
      "$Key.DeleteValue($PluginName)",      "$Base.OpenSubKey($StatePath, $true)",
      "Remove-Item -LiteralPath $CertPath", "[System.IO.File]::Delete($File)",
      "Remove-Item -LiteralPath $Dir",      "$Base.DeleteSubKey($StatePath)"};
  for (std::size_t i = 1; i < order.size(); ++i)
    EXPECT_LT(at(main, order[i - 1]), at(main, order[i])) << order[i - 1] << " / " << order[i];
  at(main, "$CertPath = 'Cert:\\LocalMachine\\Root\\' + $Thumbprint");
  EXPECT_EQ(main.find("Subject"), std::string::npos);
  EXPECT_EQ(main.find("Cert:\\LocalMachine\\Root\\*"), std::string::npos);
  at(main, "if (Get-ChildItem -LiteralPath $Dir -Force)");
  at(main, "No install record");
  // wslservice is stopped only with -Restart.
  const auto stop = at(main, "Stop-WslService");
  EXPECT_EQ(main.rfind("if ($Restart)", stop) + std::string("if ($Restart) { ").size(), stop);
}

// From inside WSL: detection (through the documented test override), Linux -> Windows paths and
// the elevated command handed to powershell.exe.
TEST(RegistryInterop, DetectsWslConvertsPathsAndBuildsTheElevatedCommand) {
  wt::TempDir tmp;
  const std::string flag_file = (tmp / "WSLInterop").string();
  ::setenv("WSLPLUG_WSL_INTEROP_FILE", flag_file.c_str(), 1);
  ::setenv("WSL_DISTRO_NAME", "Debian Test", 1);
  auto missing = reg::detect_wsl_interop("--install");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().where, "--install");
  EXPECT_NE(missing.error().message.find("not WSL"), std::string::npos);
  wt::write_text(tmp / "WSLInterop", "enabled\n");
  auto found = reg::detect_wsl_interop("--install");
  ASSERT_TRUE(found) << found.error().describe();
  EXPECT_EQ(found->distro, "Debian Test");
  ::unsetenv("WSLPLUG_WSL_INTEROP_FILE");
  ::unsetenv("WSL_DISTRO_NAME");

  auto drive = reg::windows_path_of_local("/mnt/d/work/p.dll", "/mnt/", "Debian");
  ASSERT_TRUE(drive);
  EXPECT_EQ(*drive, "D:\\work\\p.dll");
  auto inside = reg::windows_path_of_local("/home/me/my plugin/p.ps1", "/mnt/", "Debian");
  ASSERT_TRUE(inside);
  EXPECT_EQ(*inside, "\\\\wsl.localhost\\Debian\\home\\me\\my plugin\\p.ps1");
  EXPECT_FALSE(reg::windows_path_of_local("/home/me/p.ps1", "/mnt/", ""));

  const std::string cmd = reg::elevated_run_command({.script_windows_path = "C:\\it's\\p.ps1",
                                                     .source_windows_path = "D:\\p.dll",
                                                     .restart = false});
  std::string crlf;
  for (char c : cmd) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  expect_well_formed(crlf);
  at(cmd, "$ScriptFrom = 'C:\\it''s\\p.ps1'");
  at(cmd, "$SourceFrom = 'D:\\p.dll'");
  at(cmd, "$Restart = $false");
  at(cmd, "Start-Process -FilePath powershell.exe -Verb RunAs -Wait -PassThru");
  at(cmd, "exit $Code");
  at(reg::elevated_run_command(
         {.script_windows_path = "C:\\p.ps1", .source_windows_path = "", .restart = true}),
     "$Restart = $true");

  // -EncodedCommand is base64 of UTF-16LE, decoded here by base64 and iconv.
  auto args = reg::powershell_arguments("Write-Host 'h\u00e9'");
  ASSERT_EQ(args.size(), 6u);
  EXPECT_EQ(args[4], "-EncodedCommand");
  wt::write_text(tmp / "b64", args[5]);
  auto decoded = wt::run(
      {"sh", "-c", "base64 -d " + (tmp / "b64").string() + " | iconv -f UTF-16LE -t UTF-8"});
  ASSERT_EQ(decoded.rc, 0) << decoded.both();
  EXPECT_EQ(decoded.out, "Write-Host 'h\u00e9'");
}
