// Windows paths for plugin registration: turns what a user types on Linux or Windows into the
// absolute Windows path wslservice.exe (LocalSystem, 64-bit) can open, or refuses it with the
// reason and a fix. Pure string handling: nothing here touches the file system.
#pragma once

#include <string>
#include <string_view>

#include "wslplug/core/error.hpp"

namespace wslplug::registry {

struct PathOptions {
  // WSL's automount root (wsl.conf [automount] root); "/mnt/" by default. A trailing '/' is
  // optional.
  std::string automount_root = "/mnt/";
};

struct WindowsPath {
  enum class Kind { kDrive, kUnc };
  Kind kind = Kind::kDrive;
  std::string path;             // e.g. C:\Plugins\my_plugin.dll or \\server\share\p.dll
  bool from_wsl_mount = false;  // the input was a WSL mount path (/mnt/c/...)
};

// Converts and checks a DLL path:
//   C:\x\p.dll, C:/x/p.dll, c:\x\\p.dll  -> C:\x\p.dll (drive letter upper-cased, '/' -> '\',
//                                          repeated separators and "." collapsed, ".." resolved)
//   /mnt/c/x/p.dll (or <automount_root>c/x/p.dll) -> C:\x\p.dll
//   \\server\share\p.dll, //server/share/p.dll   -> \\server\share\p.dll
// Refused (input errors naming "DLL_PATH", with a fix): empty, relative (p.dll, .\p.dll, C:p.dll),
// Linux paths outside the automount root, \\wsl$\ and \\wsl.localhost\ paths, device paths
// (\\?\ and \\.\ prefixes), %VARS%, quotes, control characters, characters Windows forbids in file
// names
// (< > | ? * and ':' past the drive), reserved device names as a component (con, nul.dll,
// COM1, LPT3.txt: reserved_device_name), components longer than 255 UTF-16 characters, invalid
// UTF-8, and a last component not ending in ".dll".
Result<WindowsPath> to_windows_path(std::string_view input, const PathOptions& options = {});

// The DOS device name a file or folder name stands for ("NUL" for "nul.dll", "COM1" for "com1 ",
// "CONIN$"), or empty: CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0-9, LPT0-9 (and COM/LPT with the
// superscript digits 1-3), case-insensitive, also followed by an extension or trailing spaces.
std::string reserved_device_name(std::string_view component);
// The length of UTF-8 text in UTF-16 code units (what Windows' 255-character name limit counts).
std::size_t utf16_length(std::string_view s);

// The file name without ".dll" (case-insensitive) of a Windows path: C:\x\my_plugin.dll ->
// my_plugin.
std::string windows_stem(std::string_view windows_path);

// Checks a plugin (registry value) name: non-empty, valid UTF-8, no control characters (C0, DEL,
// C1), at most 16383 characters (the registry's limit for value names). Input errors name
// "--name".
Status validate_plugin_name(std::string_view name);

// A file-name-safe form of a plugin name for default output files: '/', '\', ':', '*', '?', '"',
// '<', '>', '|' and control characters become '_'; empty or "."/".." becomes "plugin".
std::string file_safe_name(std::string_view name);

// Where wslplug installs plugins by default: a folder under %ProgramFiles% (which on a default
// Windows install grants write access only to SYSTEM, Administrators and TrustedInstaller).
inline constexpr std::string_view kDefaultInstallRoot = "C:\\Program Files\\WSL Plugins";
// C:\Program Files\WSL Plugins\<file_safe_name(name)>\<dll_file_name> (".dll" appended when
// missing).
std::string default_install_path(std::string_view plugin_name, std::string_view dll_file_name);
// The folder part of a checked Windows path (everything before the last '\').
std::string windows_parent(std::string_view windows_path);

// Refuses a DLL path whose folder the install script must not take over (it resets that folder's
// permissions): the root of a drive or share, a folder Windows owns (Windows, Program Files,
// Program Files (x86), ProgramData, Users) or the WSL Plugins root itself. Input errors name
// "DLL_PATH".
Status check_install_folder(std::string_view windows_path);

// Why a Windows path is in a place ordinary (non-administrator) users can write on a default
// Windows install, judged from the path alone.
enum class WritableLocation {
  kNone,           // not known to be user-writable (Program Files, Windows, ...)
  kUserProfile,    // under X:\Users\ (profiles, Public)
  kTemp,           // a Temp or Tmp folder anywhere (X:\Windows\Temp, AppData\Local\Temp, X:\Temp)
  kProgramData,    // under X:\ProgramData\, where users may create files and folders
  kDriveTopLevel,  // the root of a drive or a folder created under it (X:\Plugins\p.dll)
  kNetworkShare,   // \\server\share\...: whoever can write the share
  // Under a folder of X:\Windows where users can create files (Tasks, tracing,
  // System32\spool\drivers\color, System32\Tasks, ...: the AppLocker bypass folders).
  kWindowsWritable,
};
struct LocationRisk {
  WritableLocation kind = WritableLocation::kNone;
  std::string reason;  // a sentence naming the folder and who can write it; empty for kNone
};
// Judges a Windows path as to_windows_path returns it (drive or UNC, '\' separators). Paths
// inside a distribution (\\wsl$\...) are kNone here: they are refused elsewhere.
LocationRisk writable_location(std::string_view windows_path);

// Detects %NAME% (a non-empty run without separators between two '%'): environment variables
// that WSL never expands (it reads only REG_SZ values).
bool has_env_var(std::string_view s);

}  // namespace wslplug::registry
