// WSL plugin registration: the .reg documents that add and remove a plugin's REG_SZ value under
// HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss\Plugins, and the PowerShell install and
// uninstall scripts behind `wslplug register --ps1` (registry/src/script.cpp). The checker behind
// `wslplug doctor --reg` is in the doctor library (wslplug/doctor/reg.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/registry/regfile.hpp"

namespace wslplug::registry {

inline constexpr std::string_view kPluginsKey =
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins";
// The same key as reg.exe and PowerShell name it.
inline constexpr std::string_view kPluginsKeyShort =
    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins";
inline constexpr std::string_view kPluginsSubkey =
    "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins";

// [Plugins] "name"="path". The name and path must already be checked
// (validate_plugin_name, to_windows_path).
Document registration_document(std::string_view name, std::string_view windows_path);
// [Plugins] "name"=-
Document removal_document(std::string_view name);

// Where the install script records what it did (64-bit view of HKLM), one subkey per plugin
// (file_safe_name of its name), so the uninstall script undoes exactly that.
inline constexpr std::string_view kInstallStateSubkey = "SOFTWARE\\wslplug\\Installed";
// The well-known SIDs the install folder's ACL is written with (valid on Windows in any
// language): LocalSystem, BUILTIN\Administrators, BUILTIN\Users.
inline constexpr std::string_view kSidSystem = "S-1-5-18";
inline constexpr std::string_view kSidAdministrators = "S-1-5-32-544";
inline constexpr std::string_view kSidUsers = "S-1-5-32-545";

struct ScriptOptions {
  std::string name;          // plugin (value) name, checked
  std::string windows_path;  // where the DLL is installed and registered, checked
  // What the script copies the DLL from when run without -Source: a Windows path, or a bare file
  // name meaning beside the script; empty: windows_path's file name beside the script.
  std::string default_source;
  // The certificate to trust machine-wide first (DER, e.g. signing::load_trust_cert) and its
  // SHA-1 thumbprint (upper-case hex) the script checks; empty: no trust step.
  std::span<const std::byte> trust_der;
  std::string trust_thumbprint;
  std::string generator;  // "wslplug 0.1.0", for the header comment
};
// The elevated install script (#Requires -RunAsAdministrator; parameters -Source DLL, -Restart,
// -LogFile FILE). In order: optionally trusts the certificate in Cert:\LocalMachine\Root (with a
// loud warning); refuses a reparse point anywhere on the way to the install folder; creates the
// folder and gives it an ACL with inheritance off that grants write only to SYSTEM and
// Administrators (Users read), owned by Administrators, and checks the result; copies the DLL in
// under a temporary name, requires Get-AuthenticodeSignature's Status to be Valid on that copy,
// then moves it into place; writes the REG_SZ value in the 64-bit registry view; records what it
// did under kInstallStateSubkey; and only with -Restart stops wslservice, starts WSL and reports
// whether the plugin loaded. Returned as text with CRLF line ends; write it with ps1_bytes.
std::string powershell_script(const ScriptOptions& options);

struct UninstallScriptOptions {
  std::string name;  // plugin (value) name, checked
  std::string generator;
};
// The elevated uninstall script (parameters -Restart, -LogFile FILE): removes the REG_SZ value
// and, from the install record, the certificate the install added (by thumbprint: only that
// one), the DLL, the folders the install created (when empty) and the record itself. With
// -Restart it stops wslservice first, so a loaded DLL can be deleted.
std::string uninstall_script(const UninstallScriptOptions& options);
// UTF-8 with BOM (Windows PowerShell 5.1 reads BOM-less scripts in the ANSI code page).
std::vector<std::byte> ps1_bytes(std::string_view script);
// A PowerShell single-quoted string literal: ' and its typographic variants (U+2018..U+201B,
// which PowerShell also treats as quotes) are doubled.
std::string ps_quote(std::string_view s);

}  // namespace wslplug::registry
