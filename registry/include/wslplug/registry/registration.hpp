// WSL plugin registration: the .reg documents that add and remove a plugin's REG_SZ value under
// HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss\Plugins, and the PowerShell script
// behind `wslplug register --ps1` (registry/src/script.cpp). The checker behind
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

namespace wslplug::reg {

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

struct ScriptOptions {
  std::string name;          // plugin (value) name, checked
  std::string windows_path;  // checked
  // The certificate to trust machine-wide first (DER, e.g. signing::load_trust_cert) and its
  // SHA-1 thumbprint (upper-case hex) the script checks; empty: no trust step.
  std::span<const std::byte> trust_der;
  std::string trust_thumbprint;
  std::string generator;  // "wslplug 0.1.0", for the header comment
};
// An elevated PowerShell script (#Requires -RunAsAdministrator): optionally trusts the
// certificate in Cert:\LocalMachine\Root (with a loud warning), writes the REG_SZ value in the
// 64-bit registry view, restarts wslservice, starts WSL so the plugins load, and prints the
// result. Returned as text with CRLF line ends; write it with ps1_bytes.
std::string powershell_script(const ScriptOptions& options);
// UTF-8 with BOM (Windows PowerShell 5.1 reads BOM-less scripts in the ANSI code page).
std::vector<std::byte> ps1_bytes(std::string_view script);
// A PowerShell single-quoted string literal: ' and its typographic variants (U+2018..U+201B,
// which PowerShell also treats as quotes) are doubled.
std::string ps_quote(std::string_view s);

}  // namespace wslplug::reg
