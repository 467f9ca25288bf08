// Installing a plugin from inside WSL: detecting WSL and its Windows interop, turning Linux paths
// into the Windows paths powershell.exe sees, and the PowerShell command that runs the install or
// uninstall script elevated (UAC prompt) through interop. Nothing here starts a process; the
// caller runs the argv it is given.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::registry {

namespace fs = std::filesystem;

// The file whose presence means "WSL with Windows interop enabled". Tests point
// WSLPLUG_WSL_INTEROP_FILE at a file of their own instead (set and missing: not WSL).
inline constexpr std::string_view kWslInteropFile = "/proc/sys/fs/binfmt_misc/WSLInterop";
inline constexpr std::string_view kWslInteropFileOverride = "WSLPLUG_WSL_INTEROP_FILE";

struct WslInterop {
  std::string distro;  // $WSL_DISTRO_NAME (may be empty)
};
// WSL with interop: the interop file (or WSLInterop-late, newer WSL) exists. Otherwise an input
// error: "not running inside WSL" or, when the kernel release names Microsoft or
// WSL_DISTRO_NAME is set, "WSL interop is disabled" with the wsl.conf fix. `where` names the
// flag that asked (e.g. "--install").
Result<WslInterop> detect_wsl_interop(std::string_view where);

// The Windows path of a local file as Windows programs see it: under the automount root
// (/mnt/c/x -> C:\x), else \\wsl.localhost\<distro>\path (needs a distro name).
Result<std::string> windows_path_of_local(const fs::path& file, const std::string& automount_root,
                                          const std::string& distro);

struct ElevatedRun {
  std::string script_windows_path;  // the .ps1 to run, as Windows sees it
  std::string source_windows_path;  // install: the DLL to install; empty for uninstall
  bool restart = false;             // pass -Restart
};
// The PowerShell text run (not elevated) by powershell.exe: copies the script (and the DLL) into
// a fresh folder under the user's %TEMP%, runs the script with Start-Process -Verb RunAs -Wait
// (one UAC prompt) and -LogFile, prints the log, removes the folder and exits with the
// script's exit code.
std::string elevated_run_command(const ElevatedRun& run);
// The arguments after powershell.exe: -NoProfile -NonInteractive -ExecutionPolicy Bypass
// -EncodedCommand <base64 of the UTF-16LE text> (no quoting survives the trip through interop
// otherwise).
std::vector<std::string> powershell_arguments(std::string_view command);

// Base64 (RFC 4648, with padding).
std::string base64(std::string_view bytes);

}  // namespace wslplug::registry
