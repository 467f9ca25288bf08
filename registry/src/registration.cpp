#include "wslplug/registry/registration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>

#include "wslplug/core/io.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/registry/winpath.hpp"

namespace wslplug::reg {

namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

Finding make(std::string id, Severity sev, std::string wsl_error, std::string message,
             std::string fix) {
  return Finding{std::move(id), sev, std::move(wsl_error), std::move(message), std::move(fix)};
}

}  // namespace

Document registration_document(std::string_view name, std::string_view windows_path) {
  Document doc;
  Key key;
  key.path = std::string(kPluginsKey);
  Value v;
  v.name = std::string(name);
  v.kind = ValueKind::kString;
  v.text = std::string(windows_path);
  key.values.push_back(std::move(v));
  doc.keys.push_back(std::move(key));
  return doc;
}

Document removal_document(std::string_view name) {
  Document doc;
  Key key;
  key.path = std::string(kPluginsKey);
  Value v;
  v.name = std::string(name);
  v.kind = ValueKind::kDelete;
  key.values.push_back(std::move(v));
  doc.keys.push_back(std::move(key));
  return doc;
}

// -------------------------------------------------------------------------------- the checker

namespace {

// Findings about a REG_SZ plugin path.
void check_path(const std::string& at, const std::string& path, std::vector<Finding>& out) {
  const std::string fix_bare =
      "store the bare absolute path, e.g. \"C:\\\\Plugins\\\\my_plugin.dll\"";
  if (path.empty()) {
    out.push_back(make("path-empty", Severity::kError, "ERROR_PATH_NOT_FOUND",
                       at + ": the path is empty", fix_bare));
    return;
  }
  if (has_control(path)) {
    out.push_back(
        make("path-control-character", Severity::kError, "ERROR_INVALID_NAME",
             fmt::format("{}: the path \"{}\" contains control characters", at, printable(path)),
             fix_bare));
  }
  if (path.find('"') != std::string::npos) {
    out.push_back(make("path-quotes", Severity::kError, "ERROR_INVALID_NAME",
                       fmt::format("{}: the path {} contains double quotes; WSL passes the value "
                                   "to CreateFileW as is",
                                   at, printable(path)),
                       "remove the quotes: the value is the bare path, even with spaces in it"));
  }
  if (has_env_var(path)) {
    out.push_back(make("path-env-var", Severity::kError, "ERROR_PATH_NOT_FOUND",
                       fmt::format("{}: the path \"{}\" contains an environment variable; WSL "
                                   "never expands it",
                                   at, printable(path)),
                       "write the expanded path, e.g. C:\\\\Program Files\\\\... instead of "
                       "%ProgramFiles%\\\\..."));
  }
  std::string norm = path;
  std::replace(norm.begin(), norm.end(), '/', '\\');
  const std::string lnorm = lower_ascii(norm);
  const bool unc = lnorm.starts_with("\\\\");
  const bool drive = norm.size() >= 3 && std::isalpha(static_cast<unsigned char>(norm[0])) &&
                     norm[1] == ':' && norm[2] == '\\';
  if (unc && (lnorm.starts_with("\\\\wsl$\\") || lnorm.starts_with("\\\\wsl.localhost\\") ||
              lnorm == "\\\\wsl$" || lnorm == "\\\\wsl.localhost")) {
    out.push_back(make("path-in-distribution", Severity::kError, "",
                       fmt::format("{}: \"{}\" is a file inside a WSL distribution; the service "
                                   "loads plugins when it starts, before any distribution runs, "
                                   "and cannot read it",
                                   at, printable(path)),
                       "copy the DLL to a Windows folder (e.g. C:\\\\Plugins\\\\) and register "
                       "that path"));
  } else if (unc) {
    out.push_back(make("path-unc", Severity::kWarning, "ERROR_ACCESS_DENIED",
                       fmt::format("{}: \"{}\" is on a network share; the service runs as "
                                   "LocalSystem and reaches it as the computer account, at boot, "
                                   "possibly before the network is up",
                                   at, printable(path)),
                       "copy the DLL to a local folder (e.g. C:\\\\Plugins\\\\)"));
  } else if (path.front() == '/') {
    std::string fix = "register the Windows path of the DLL, e.g. C:\\\\Plugins\\\\my_plugin.dll";
    if (auto w = to_windows_path(path); w) fix = fmt::format("write \"{}\"", escape(w->path));
    out.push_back(make("path-linux", Severity::kError, "ERROR_PATH_NOT_FOUND",
                       fmt::format("{}: \"{}\" is a Linux path; Windows reads it as a folder on "
                                   "the current drive",
                                   at, printable(path)),
                       fix));
  } else if (!drive) {
    const bool has_dir = norm.find('\\') != std::string::npos;
    out.push_back(make("path-relative", Severity::kError,
                       has_dir ? "ERROR_PATH_NOT_FOUND" : "ERROR_FILE_NOT_FOUND",
                       fmt::format("{}: \"{}\" is not an absolute path; the service resolves it "
                                   "against its own folder",
                                   at, printable(path)),
                       fix_bare));
  }
  if (drive || unc) {
    const std::string rest = norm.substr(drive ? 2 : 2);
    if (auto bad = rest.find_first_of("<>|?*:"); bad != std::string::npos) {
      out.push_back(make("path-invalid-character", Severity::kError, "ERROR_INVALID_NAME",
                         fmt::format("{}: the path \"{}\" contains '{}', which Windows does not "
                                     "allow in file names",
                                     at, printable(path), rest[bad]),
                         "fix the path"));
    }
  }
  if (drive && path.find('/') != std::string::npos) {
    out.push_back(make("path-forward-slashes", Severity::kWarning, "",
                       fmt::format("{}: the path \"{}\" uses '/'; LoadLibrary documents only "
                                   "'\\' as the separator",
                                   at, printable(path)),
                       "write backslashes (doubled in a .reg file: C:\\\\Plugins\\\\p.dll)"));
  }
  if (!lnorm.ends_with(".dll")) {
    out.push_back(make("path-not-dll", Severity::kWarning, "",
                       fmt::format("{}: the path \"{}\" does not end in .dll", at, printable(path)),
                       "register the plugin DLL itself"));
  }
}

}  // namespace

std::vector<Finding> check_registration(const Document& doc, const std::string& file) {
  std::vector<Finding> out;
  const std::string f = file.empty() ? std::string("(registration)") : file;
  if (doc.encoding == Encoding::kUtf8 && doc.had_bom) {
    out.push_back(make("encoding-utf8-bom", Severity::kWarning, "",
                       f + ": the file starts with a UTF-8 byte-order mark, which reg import "
                           "(Wine's, at least) refuses",
                       "save it as UTF-16 LE with BOM (wslplug register --emit-reg does)"));
  }
  if (doc.non_ascii_without_bom) {
    out.push_back(make("encoding-non-ascii", Severity::kWarning, "ERROR_FILE_NOT_FOUND",
                       f + ": the file has non-ASCII text but no byte-order mark; regedit and "
                           "reg.exe read it in the ANSI code page, so names and paths change",
                       "save it as UTF-16 LE with BOM (wslplug register --emit-reg does)"));
  }

  const std::string plugins = lower_ascii(kPluginsKey);
  std::map<std::string, int> names;  // lower-case name -> line (value names are case-insensitive)
  std::map<std::string, std::pair<std::string, int>> paths;  // lower-case path -> (name, line)
  bool any = false;
  for (const auto& key : doc.keys) {
    const std::string lk = lower_ascii(key.path);
    const std::string at_key = fmt::format("{}: line {}: key [{}{}]", f, key.line,
                                           key.remove ? "-" : "", printable(key.path));
    const bool is_plugins = lk == plugins;
    if (!is_plugins) {
      if (lk.find("wow6432node") != std::string::npos && lk.find("lxss") != std::string::npos) {
        out.push_back(make("key-wow6432node", Severity::kError, "",
                           at_key + " is in the 32-bit registry view (WOW6432Node); the 64-bit "
                                    "WSL service never reads it, so the plugin is not loaded",
                           fmt::format("use [{}] (and reg.exe import FILE /reg:64)", kPluginsKey)));
      } else if (lk.starts_with("hklm\\") && lk.substr(4) == plugins.substr(18)) {
        out.push_back(make("key-abbreviated", Severity::kError, "",
                           at_key + " abbreviates the hive; .reg files need the full name",
                           fmt::format("write [{}]", kPluginsKey)));
      } else if (lk.find("lxss") != std::string::npos) {
        out.push_back(make("key-wrong", Severity::kError, "",
                           at_key + " is not the key WSL reads plugins from",
                           fmt::format("write [{}]", kPluginsKey)));
      } else if (!key.values.empty()) {
        out.push_back(make("key-other", Severity::kInfo, "",
                           at_key + " is not the WSL plugins key; its values are not plugin "
                                    "registrations",
                           "keep registration files to the plugins key"));
      }
      continue;
    }
    if (key.remove) {
      out.push_back(make("key-deleted", Severity::kWarning, "",
                         at_key + " deletes the whole plugins key: every plugin registration on "
                                  "the machine is removed",
                         "remove single plugins with \"NAME\"=- lines instead"));
      continue;
    }
    for (const auto& v : key.values) {
      any = true;
      const std::string shown_name = v.is_default ? std::string("@ (default)") : printable(v.name);
      const std::string at = fmt::format("{}: line {}: value \"{}\"", f, v.line, shown_name);
      if (v.is_default) {
        out.push_back(make("name-default-value", Severity::kWarning, "",
                           at + " is the key's unnamed default value; the plugin would have an "
                                "empty name in WSL's error messages",
                           "use a named value: \"my-plugin\"=\"C:\\\\Plugins\\\\my_plugin.dll\""));
      } else if (v.name.empty() || has_control(v.name)) {
        out.push_back(make("name-invalid", Severity::kError, "",
                           at + ": the plugin name is empty or contains control characters",
                           "use a short descriptive name: users see it in WSL's error messages"));
      }
      if (!v.is_default) {
        const std::string ln = lower_ascii(v.name);
        if (auto it = names.find(ln); it != names.end()) {
          out.push_back(make("name-duplicate", Severity::kWarning, "",
                             fmt::format("{}: the name was already set on line {}; the later "
                                         "line wins",
                                         at, it->second),
                             "keep one line per plugin"));
        }
        names[ln] = v.line;
      }
      if (v.kind == ValueKind::kDelete) {
        out.push_back(make("value-removed", Severity::kInfo, "", at + " is removed (\"name\"=-)",
                           "nothing to do"));
        continue;
      }
      if (v.kind != ValueKind::kString) {
        std::string what = std::string(value_kind_name(v.kind));
        if (v.kind == ValueKind::kExpandString) what += " (hex(2))";
        std::string fix = "write it as a string value: \"NAME\"=\"C:\\\\Plugins\\\\my_plugin.dll\"";
        if (v.kind == ValueKind::kExpandString || v.kind == ValueKind::kMultiString) {
          fix = fmt::format("write it as a string value with the expanded path: \"{}\"=\"...\"",
                            escape(printable(v.name)));
          if (!v.text.empty()) fix += fmt::format(" (it holds \"{}\")", printable(v.text));
        }
        out.push_back(make("value-not-reg-sz", Severity::kError, "",
                           fmt::format("{} is {}; WSL loads only REG_SZ values and skips this one "
                                       "silently (no error, the plugin just never loads)",
                                       at, what),
                           fix));
        continue;
      }
      check_path(at, v.text, out);
      std::string lp = lower_ascii(v.text);
      std::replace(lp.begin(), lp.end(), '/', '\\');
      if (auto it = paths.find(lp); it != paths.end() && !v.text.empty()) {
        out.push_back(make("path-duplicate", Severity::kWarning, "",
                           fmt::format("{}: the same DLL is registered as \"{}\" on line {}; WSL "
                                       "loads it once, under the first name",
                                       at, printable(it->second.first), it->second.second),
                           "register each DLL once"));
      } else {
        paths[lp] = {shown_name, v.line};
      }
    }
  }
  if (!any) {
    out.push_back(
        make("no-registration", Severity::kWarning, "",
             fmt::format("{}: the file sets no value under [{}]", f, kPluginsKey),
             "generate one with: wslplug register --emit-reg C:\\Plugins\\my_plugin.dll"));
  }
  return out;
}

Result<std::vector<Finding>> check_registration_file(const fs::path& path) {
  auto doc = parse_file(path);
  if (!doc) return std::unexpected(doc.error());
  return check_registration(*doc, path.string());
}

// ------------------------------------------------------------------------------ the PS script

std::string ps_quote(std::string_view s) {
  std::string out = "'";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    // U+2018..U+201B are E2 80 98..9B in UTF-8; PowerShell treats them like '.
    if (u == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        static_cast<unsigned char>(s[i + 2]) >= 0x98 &&
        static_cast<unsigned char>(s[i + 2]) <= 0x9b) {
      out.append(s.substr(i, 3));
      out.append(s.substr(i, 3));
      i += 2;
      continue;
    }
    if (s[i] == '\'') out.push_back('\'');
    out.push_back(s[i]);
  }
  out += "'";
  return out;
}

namespace {

std::string base64(std::span<const std::byte> data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(4 * ((data.size() + 2) / 3));
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, data.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k)
      v = (v << 8) | (k < n ? std::to_integer<std::uint32_t>(data[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(v >> (18 - 6 * k)) & 0x3f] : '=';
  }
  return out;
}

}  // namespace

std::string powershell_script(const ScriptOptions& o) {
  std::vector<std::string> l;
  l.push_back("#Requires -RunAsAdministrator");
  l.push_back(fmt::format("# Registers the WSL plugin {} (generated by {}).", ps_quote(o.name),
                          o.generator.empty() ? "wslplug" : o.generator));
  l.push_back("# Run it in an elevated PowerShell on the Windows machine:");
  l.push_back("#   powershell.exe -NoProfile -ExecutionPolicy Bypass -File <this file>");
  l.push_back("$ErrorActionPreference = 'Stop'");
  l.push_back("$PluginName = " + ps_quote(o.name));
  l.push_back("$PluginPath = " + ps_quote(o.windows_path));
  l.push_back("$KeyPath = " + ps_quote(kPluginsSubkey));
  l.push_back("");
  if (!o.trust_der.empty()) {
    l.push_back("# ---- 1. Trust the signing certificate machine-wide (LocalMachine\\Root) ----");
    l.push_back("# The service runs as LocalSystem: only LocalMachine stores count.");
    l.push_back("$CertBase64 = " + ps_quote(base64(o.trust_der)));
    l.push_back(
        "$Cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new("
        "[byte[]][Convert]::FromBase64String($CertBase64))");
    l.push_back("if ($Cert.Thumbprint -ne " + ps_quote(o.trust_thumbprint) +
                ") { throw 'The embedded certificate is damaged; generate the script again.' }");
    l.push_back(
        "Write-Warning '*****************************************************************'");
    l.push_back(
        "Write-Warning ('TRUSTING A CERTIFICATE FOR THE WHOLE MACHINE: adding {0} (thumbprint {1}) "
        "to Cert:\\LocalMachine\\Root.' -f $Cert.Subject, $Cert.Thumbprint)");
    l.push_back(
        "Write-Warning 'Everything signed with its key will be trusted on this computer. Do this "
        "only on a test machine.'");
    l.push_back(
        "Write-Warning ('Undo it with: Remove-Item Cert:\\LocalMachine\\Root\\{0}' -f "
        "$Cert.Thumbprint)");
    l.push_back(
        "Write-Warning '*****************************************************************'");
    l.push_back(
        "$Store = [System.Security.Cryptography.X509Certificates.X509Store]::new("
        "[System.Security.Cryptography.X509Certificates.StoreName]::Root, "
        "[System.Security.Cryptography.X509Certificates.StoreLocation]::LocalMachine)");
    l.push_back(
        "$Store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]::ReadWrite)");
    l.push_back("try { $Store.Add($Cert) } finally { $Store.Close() }");
    l.push_back(
        "Write-Host ('Trusted certificate {0} in Cert:\\LocalMachine\\Root.' -f $Cert.Thumbprint) "
        "-ForegroundColor Yellow");
    l.push_back("");
  }
  l.push_back("# ---- Register the plugin: a REG_SZ value in the 64-bit registry view ----");
  l.push_back("if (-not (Test-Path -LiteralPath $PluginPath -PathType Leaf)) {");
  l.push_back(
      "  Write-Warning ('{0} does not exist on this computer; WSL will fail with "
      "ERROR_FILE_NOT_FOUND until it does.' -f $PluginPath)");
  l.push_back("}");
  l.push_back(
      "$Base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::"
      "LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)");
  l.push_back("try {");
  l.push_back("  $Key = $Base.CreateSubKey($KeyPath)");
  l.push_back(
      "  try { $Key.SetValue($PluginName, $PluginPath, "
      "[Microsoft.Win32.RegistryValueKind]::String) "
      "} finally { $Key.Close() }");
  l.push_back("} finally { $Base.Close() }");
  l.push_back(
      "Write-Host (\"Registered plugin '{0}' = {1} (REG_SZ in HKLM\\{2}, 64-bit view).\" -f "
      "$PluginName, $PluginPath, $KeyPath)");
  l.push_back("");
  l.push_back("# ---- Restart the WSL service: plugins are loaded only when it starts ----");
  l.push_back("$Service = Get-Service -Name wslservice -ErrorAction SilentlyContinue");
  l.push_back("if ($null -eq $Service) {");
  l.push_back(
      "  Write-Warning 'The wslservice service is not installed; install WSL (wsl.exe --install) "
      "and run this script again.'");
  l.push_back("  exit 1");
  l.push_back("}");
  l.push_back("if ($Service.Status -ne 'Stopped') {");
  l.push_back("  Write-Host 'Stopping wslservice...'");
  l.push_back("  Stop-Service -Name wslservice -Force");
  l.push_back("}");
  l.push_back("");
  l.push_back(
      "# ---- Start WSL: the service loads the plugins; a load failure is reported when the WSL 2 "
      "VM starts ----");
  l.push_back("$ErrorActionPreference = 'Continue'");
  l.push_back("$env:WSL_UTF8 = '1'");
  l.push_back("Write-Host 'Running: wsl.exe --exec /bin/true'");
  l.push_back("$Output = (& wsl.exe --exec /bin/true 2>&1 | Out-String).Trim()");
  l.push_back("$Code = $LASTEXITCODE");
  l.push_back("if ($Code -eq 0) {");
  l.push_back(
      "  Write-Host (\"OK: WSL started with plugin '{0}' registered; no plugin error was "
      "reported.\" -f $PluginName) -ForegroundColor Green");
  l.push_back("  exit 0");
  l.push_back("}");
  l.push_back("if ($Output) { Write-Host $Output }");
  l.push_back("if ($Output -match 'Error code:\\s*(\\S+)') {");
  l.push_back(
      "  Write-Host (\"FAILED: {0}. Diagnose it with: wslplug doctor {0}\" -f $Matches[1]) "
      "-ForegroundColor Red");
  l.push_back("} else {");
  l.push_back(
      "  Write-Host (\"FAILED: wsl.exe exited with code {0}.\" -f $Code) -ForegroundColor Red");
  l.push_back("}");
  l.push_back("exit 1");
  std::string out;
  for (const auto& line : l) out += line + "\r\n";
  return out;
}

std::vector<std::byte> ps1_bytes(std::string_view script) {
  std::vector<std::byte> out{std::byte{0xef}, std::byte{0xbb}, std::byte{0xbf}};
  for (char c : script) out.push_back(static_cast<std::byte>(c));
  return out;
}

}  // namespace wslplug::reg
