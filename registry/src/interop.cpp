// Installing from inside WSL through Windows interop (see wslplug/registry/interop.hpp).
#include "wslplug/registry/interop.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "wslplug/core/text.hpp"
#include "wslplug/registry/regfile.hpp"
#include "wslplug/registry/registration.hpp"
#include "wslplug/registry/winpath.hpp"

namespace wslplug::registry {

std::string base64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(4 * ((data.size() + 2) / 3));
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, data.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k)
      v = (v << 8) |
          (k < n ? static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + k])) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(v >> (18 - 6 * k)) & 0x3f] : '=';
  }
  return out;
}

namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

std::string kernel_release() {
  std::ifstream in("/proc/sys/kernel/osrelease");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<WslInterop> detect_wsl_interop(std::string_view where) {
  const char* override_file = std::getenv(std::string(kWslInteropFileOverride).c_str());
  const bool interop = override_file ? exists(override_file)
                                     : exists(std::string(kWslInteropFile)) ||
                                           exists(std::string(kWslInteropFile) + "-late");
  const std::string distro = env_or_empty("WSL_DISTRO_NAME");
  if (interop) return WslInterop{distro};
  // Without the override, the kernel release and WSL_DISTRO_NAME tell WSL without interop
  // apart from any other Linux.
  const bool looks_like_wsl =
      !override_file &&
      (!distro.empty() || ascii_lower(kernel_release()).find("microsoft") != std::string::npos);
  if (looks_like_wsl) {
    return input_error(
        fmt::format("{} needs Windows interop, which is disabled in this WSL distribution ({} "
                    "is missing)",
                    where, kWslInteropFile),
        {}, std::string(where),
        "enable it in /etc/wsl.conf ([interop] enabled=true), run wsl.exe --shutdown from "
        "Windows, or run the script on Windows yourself: wslplug register --ps1 writes it");
  }
  return input_error(
      fmt::format("{} runs the install script on Windows through WSL interop; this is not WSL "
                  "(no {})",
                  where, kWslInteropFile),
      {}, std::string(where),
      "run wslplug inside WSL on the Windows machine, or write the script with --ps1 (without "
      "--install), copy it there with the DLL, and run it from an elevated PowerShell");
}

Result<std::string> windows_path_of_local(const fs::path& file, const std::string& automount_root,
                                          const std::string& distro) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(file, ec).lexically_normal();
  if (ec) return io_error("cannot resolve the path: " + ec.message(), file.string());
  const std::string p = absolute.string();
  std::string root = automount_root.empty() ? "/mnt/" : automount_root;
  if (root.back() != '/') root.push_back('/');
  if (p.starts_with(root) && p.size() > root.size() + 1 && p[root.size() + 1] == '/' &&
      std::isalpha(static_cast<unsigned char>(p[root.size()]))) {
    std::string out = fmt::format(
        "{}:", static_cast<char>(std::toupper(static_cast<unsigned char>(p[root.size()]))));
    for (char c : p.substr(root.size() + 1)) out += c == '/' ? '\\' : c;
    return out;
  }
  if (distro.empty()) {
    return input_error(
        fmt::format("{} is inside the distribution and WSL_DISTRO_NAME is not set, so its "
                    "Windows path (\\\\wsl.localhost\\<distro>\\...) is unknown",
                    p),
        p, {},
        "run wslplug from a WSL shell (which sets WSL_DISTRO_NAME), or put the file under " + root +
            "c/");
  }
  std::string out = "\\\\wsl.localhost\\" + distro;
  for (char c : p) out += c == '/' ? '\\' : c;
  return out;
}

std::string elevated_run_command(const ElevatedRun& run) {
  std::string s;
  s += "$ErrorActionPreference = 'Stop'\n";
  s += "$ScriptFrom = " + ps_quote(run.script_windows_path) + "\n";
  s += "$SourceFrom = " + ps_quote(run.source_windows_path) + "\n";
  s += fmt::format("$Restart = ${}\n", run.restart ? "true" : "false");
  s +=
      R"PS($Stage = Join-Path ([System.IO.Path]::GetTempPath()) ('wslplug-' + [guid]::NewGuid().ToString('N'))
[System.IO.Directory]::CreateDirectory($Stage) | Out-Null
$Code = 1
try {
  $Script = Join-Path $Stage (Split-Path -Leaf $ScriptFrom)
  [System.IO.File]::Copy($ScriptFrom, $Script)
  $Log = Join-Path $Stage 'wslplug.log'
  $Arguments = '-NoProfile -ExecutionPolicy Bypass -File "{0}" -LogFile "{1}"' -f $Script, $Log
  if ($SourceFrom) {
    $Dll = Join-Path $Stage (Split-Path -Leaf $SourceFrom)
    [System.IO.File]::Copy($SourceFrom, $Dll)
    $Arguments += ' -Source "{0}"' -f $Dll
  }
  if ($Restart) { $Arguments += ' -Restart' }
  Write-Host 'Asking Windows for administrator rights (a UAC prompt) to run the script...'
  $Process = Start-Process -FilePath powershell.exe -Verb RunAs -Wait -PassThru -ArgumentList $Arguments
  if (Test-Path -LiteralPath $Log) { Get-Content -LiteralPath $Log | ForEach-Object { Write-Host $_ } }
  $Code = $Process.ExitCode
} catch {
  Write-Host ('FAILED: {0}' -f $_.Exception.Message)
} finally {
  Remove-Item -LiteralPath $Stage -Recurse -Force -ErrorAction SilentlyContinue
}
exit $Code
)PS";
  return s;
}

std::vector<std::string> powershell_arguments(std::string_view command) {
  const std::vector<std::uint8_t> utf16 = utf8_to_utf16le(command);
  return {"-NoProfile",
          "-NonInteractive",
          "-ExecutionPolicy",
          "Bypass",
          "-EncodedCommand",
          base64(std::string_view(reinterpret_cast<const char*>(utf16.data()), utf16.size()))};
}

}  // namespace wslplug::registry
