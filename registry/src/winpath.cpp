// Windows paths for plugin registration (see wslplug/registry/winpath.hpp).
#include "wslplug/registry/winpath.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "wslplug/core/text.hpp"
#include "wslplug/core/utf8.hpp"
#include "wslplug/registry/regfile.hpp"

namespace wslplug::registry {

namespace {

constexpr std::string_view kWhere = "DLL_PATH";
constexpr std::size_t kMaxComponent = 255;  // UTF-16 code units in one NTFS/ReFS/FAT name

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A short, printable form of user input for messages (control characters as \xNN).
std::string shown(std::string_view s) {
  std::string out = printable(s);
  if (out.size() > 200) out = out.substr(0, 200) + "...";
  return out;
}

std::unexpected<Error> path_error(std::string_view input, std::string reason, std::string fix) {
  return input_error(fmt::format("cannot register \"{}\": {}", shown(input), reason), {},
                     std::string(kWhere), std::move(fix));
}

// First control character (C0, DEL or C1 U+0080..U+009F) or bidi control, as a description.
std::string find_control(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto cp = next_utf8(s, i);
    if (!cp) continue;  // not UTF-8: the caller refuses that first
    if (*cp < 0x20 || *cp == 0x7f) return fmt::format("the control character 0x{:02x}", +*cp);
    if (*cp >= 0x80 && *cp <= 0x9f) return fmt::format("the control character U+{:04X}", +*cp);
    // U+202A..U+202E and U+2066..U+2069: bidi controls.
    if ((*cp >= 0x202a && *cp <= 0x202e) || (*cp >= 0x2066 && *cp <= 0x2069))
      return fmt::format("the invisible text-direction character U+{:04X}", +*cp);
  }
  return {};
}

}  // namespace

bool has_env_var(std::string_view s) {
  std::size_t pos = 0;
  while ((pos = s.find('%', pos)) != std::string_view::npos) {
    auto end = s.find('%', pos + 1);
    if (end == std::string_view::npos) return false;
    std::string_view inner = s.substr(pos + 1, end - pos - 1);
    if (!inner.empty() && inner.find_first_of("\\/ ") == std::string_view::npos) return true;
    pos = end;
  }
  return false;
}

namespace {

constexpr std::string_view kFixAbsolute =
    "give an absolute Windows path (C:\\Program Files\\WSL Plugins\\my_plugin\\my_plugin.dll) "
    "or a WSL mount path (/mnt/c/Program Files/WSL Plugins/my_plugin/my_plugin.dll)";

// Refuses text that can never be a registered path: empty, invalid UTF-8, control characters,
// quotes, %VARS%.
Status check_path_text(std::string_view input) {
  if (input.empty()) return path_error(input, "the path is empty", std::string(kFixAbsolute));
  if (!valid_utf8(input)) {
    return path_error(input, "the path is not valid UTF-8", "pass the path as UTF-8 text");
  }
  if (auto c = find_control(input); !c.empty()) {
    return path_error(input, "the path contains " + c,
                      "remove control characters; check for a stray tab or line break");
  }
  if (input.find('"') != std::string_view::npos) {
    return path_error(input,
                      "the path contains a double quote; WSL would pass it to CreateFileW and fail "
                      "with ERROR_INVALID_NAME",
                      "pass the bare path: shell quotes are not part of the value");
  }
  if (has_env_var(input)) {
    return path_error(input,
                      "the path contains an environment variable (%NAME%); WSL reads only REG_SZ "
                      "values and never expands it (ERROR_PATH_NOT_FOUND)",
                      "write the expanded path, e.g. C:\\Program Files\\... instead of "
                      "%ProgramFiles%\\...");
  }
  return {};
}

char drive_letter(char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }

// A Linux path (starting with one '/'): a WSL mount path becomes "X:rest" (with '/'), anything
// else is refused.
Result<std::string> from_mount_path(std::string_view input, const std::string& p,
                                    const PathOptions& options) {
  std::string root = options.automount_root.empty() ? "/mnt/" : options.automount_root;
  if (root.front() != '/') root.insert(root.begin(), '/');
  if (root.back() != '/') root.push_back('/');
  const bool under_root = p.starts_with(root) && p.size() > root.size() &&
                          is_letter(p[root.size()]) &&
                          (p.size() == root.size() + 1 || p[root.size() + 1] == '/');
  if (!under_root) {
    return path_error(
        input,
        fmt::format("this is a Linux path outside the Windows drives mounted under {}; the WSL "
                    "service runs on Windows and cannot load a DLL from inside a distribution",
                    root),
        fmt::format("copy the DLL to a Windows folder (e.g. {}c/Plugins/) and register that "
                    "path; if your drives are mounted elsewhere, pass --automount-root",
                    root));
  }
  std::string rest = p.substr(root.size() + 1);
  return std::string(1, drive_letter(p[root.size()])) + ":" + (rest.empty() ? "\\" : rest);
}

// The root of a path with '\' separators ("C:" or "\\server\share") and what follows it.
struct Rooted {
  WindowsPath::Kind kind = WindowsPath::Kind::kDrive;
  std::string prefix;
  std::string rest;
};

Result<Rooted> unc_root(std::string_view input, const std::string& p) {
  if (p.starts_with("\\\\?\\") || p.starts_with("\\\\.\\")) {
    return path_error(input,
                      "device and extended-length paths (\\\\?\\, \\\\.\\) are not supported",
                      "write the plain path, e.g. C:\\Plugins\\my_plugin.dll");
  }
  auto server_end = p.find('\\', 2);
  std::string server =
      p.substr(2, server_end == std::string::npos ? std::string::npos : server_end - 2);
  if (iequals(server, "wsl$") || iequals(server, "wsl.localhost")) {
    return path_error(input,
                      "\\\\wsl$\\ and \\\\wsl.localhost\\ paths point inside a distribution; the "
                      "WSL service loads plugins when it starts, before any distribution runs, "
                      "and cannot read them",
                      "copy the DLL to a Windows folder (e.g. C:\\Plugins\\) and register that "
                      "path");
  }
  auto share_end =
      server_end == std::string::npos ? std::string::npos : p.find('\\', server_end + 1);
  std::string share =
      server_end == std::string::npos
          ? std::string()
          : p.substr(server_end + 1, share_end == std::string::npos ? std::string::npos
                                                                    : share_end - server_end - 1);
  if (server.empty() || share.empty()) {
    return path_error(input, "a UNC path needs a server and a share (\\\\server\\share\\file.dll)",
                      "write \\\\server\\share\\folder\\my_plugin.dll");
  }
  return Rooted{WindowsPath::Kind::kUnc, "\\\\" + server + "\\" + share,
                share_end == std::string::npos ? std::string() : p.substr(share_end)};
}

Result<Rooted> split_root(std::string_view input, const std::string& p) {
  if (p.starts_with("\\\\")) return unc_root(input, p);
  if (p.size() >= 2 && is_letter(p[0]) && p[1] == ':') {
    if (p.size() == 2 || p[2] != '\\') {
      return path_error(input,
                        "a drive-relative path (C:file.dll) depends on the current folder of the "
                        "WSL service",
                        std::string(kFixAbsolute));
    }
    return Rooted{WindowsPath::Kind::kDrive, std::string(1, drive_letter(p[0])) + ":", p.substr(2)};
  }
  if (p.starts_with("\\")) {
    return path_error(input, "the path has no drive letter; it would depend on the service's drive",
                      std::string(kFixAbsolute));
  }
  return path_error(input,
                    "the path is relative; the WSL service resolves it against its own folder, "
                    "not yours",
                    std::string(kFixAbsolute));
}

}  // namespace

std::string reserved_device_name(std::string_view component) {
  // The part before the first '.', without trailing spaces: "nul.dll" and "NUL .txt" are NUL.
  std::string_view stem = component.substr(0, component.find('.'));
  while (!stem.empty() && stem.back() == ' ') stem.remove_suffix(1);
  for (std::string_view name : {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"})
    if (iequals(stem, name)) return ascii_upper(stem);
  // COM0-COM9 and LPT0-LPT9, and with the superscript digits 1, 2, 3 (U+00B9, U+00B2, U+00B3).
  if (stem.size() >= 4 && (istarts_with(stem, "COM") || istarts_with(stem, "LPT"))) {
    const std::string_view digit = stem.substr(3);
    if ((digit.size() == 1 && digit[0] >= '0' && digit[0] <= '9') || digit == "\xc2\xb9" ||
        digit == "\xc2\xb2" || digit == "\xc2\xb3")
      return ascii_upper(stem.substr(0, 3)) + std::string(digit);
  }
  return {};
}

std::size_t utf16_length(std::string_view s) { return utf8_to_utf16le(s).size() / 2; }

namespace {

// The components after the root: empty ones and "." dropped, ".." resolved, each checked for
// characters Windows forbids or strips, reserved device names and the 255-character limit of a
// name; the last must name a .dll.
Result<std::vector<std::string>> components(std::string_view input, const std::string& rest) {
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (pos <= rest.size()) {
    auto next = rest.find('\\', pos);
    std::string part = rest.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    pos = next == std::string::npos ? rest.size() + 1 : next + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) {
        return path_error(input, "\"..\" goes above the root of the drive or share",
                          "write the path without \"..\"");
      }
      parts.pop_back();
      continue;
    }
    if (auto bad = part.find_first_of("<>|?*:"); bad != std::string::npos) {
      return path_error(input,
                        fmt::format("the name \"{}\" contains '{}', which Windows does not allow "
                                    "in file names (ERROR_INVALID_NAME)",
                                    part, part[bad]),
                        "rename the file or folder");
    }
    if (auto device = reserved_device_name(part); !device.empty()) {
      return path_error(input,
                        fmt::format("the name \"{}\" is the reserved device name {}: Windows opens "
                                    "the device, not a file, so the folder or DLL cannot exist "
                                    "(also with an extension: nul.dll is NUL)",
                                    shown(part), device),
                        "choose another name (with register, another --name or DLL file name)");
    }
    if (const std::size_t n = utf16_length(part); n > kMaxComponent) {
      return path_error(input,
                        fmt::format("the name \"{}\" is {} characters long; Windows file systems "
                                    "allow at most {} in one file or folder name",
                                    shown(part), n, kMaxComponent),
                        "choose a shorter name (with register, a shorter --name or DLL file name)");
    }
    if (part.back() == ' ' || part.back() == '.') {
      return path_error(input,
                        fmt::format("the name \"{}\" ends with a space or a dot, which Windows "
                                    "strips, so a different file would be opened",
                                    part),
                        "rename the file or folder");
    }
    parts.push_back(std::move(part));
  }
  if (parts.empty() || !iends_with(parts.back(), ".dll") || parts.back().size() <= 4) {
    return path_error(input, "the path does not name a .dll file",
                      "register the plugin DLL itself, e.g. C:\\Plugins\\my_plugin.dll");
  }
  return parts;
}

}  // namespace

Result<WindowsPath> to_windows_path(std::string_view input, const PathOptions& options) {
  if (auto st = check_path_text(input); !st) return std::unexpected(st.error());
  WindowsPath out;
  std::string p(input);
  if (p.size() >= 1 && p[0] == '/' && !(p.size() >= 2 && p[1] == '/')) {
    auto windows = from_mount_path(input, p, options);
    if (!windows) return std::unexpected(windows.error());
    p = std::move(*windows);
    out.from_wsl_mount = true;
  }
  std::replace(p.begin(), p.end(), '/', '\\');
  auto root = split_root(input, p);
  if (!root) return std::unexpected(root.error());
  auto parts = components(input, root->rest);
  if (!parts) return std::unexpected(parts.error());
  out.kind = root->kind;
  out.path = root->prefix;
  for (const auto& part : *parts) out.path += "\\" + part;
  return out;
}

std::string windows_stem(std::string_view windows_path) {
  auto slash = windows_path.find_last_of("\\/");
  std::string_view file =
      slash == std::string_view::npos ? windows_path : windows_path.substr(slash + 1);
  if (iends_with(file, ".dll")) file.remove_suffix(4);
  return std::string(file);
}

Status validate_plugin_name(std::string_view name) {
  constexpr std::string_view kFix =
      "pass a short descriptive name with --name, e.g. --name my-plugin (users see it in WSL's "
      "error messages)";
  if (name.empty()) {
    return input_error("the plugin name is empty", {}, "--name", std::string(kFix));
  }
  if (!valid_utf8(name)) {
    return input_error("the plugin name is not valid UTF-8", {}, "--name", std::string(kFix));
  }
  if (auto c = find_control(name); !c.empty()) {
    return input_error(fmt::format("the plugin name \"{}\" contains {}", shown(name), c), {},
                       "--name", std::string(kFix));
  }
  if (utf8_to_utf16le(name).size() / 2 > 16383) {
    return input_error("the plugin name is longer than 16383 characters, the registry's limit", {},
                       "--name", std::string(kFix));
  }
  return {};
}

std::string file_safe_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f ||
        std::string_view("/\\:*?\"<>|").find(c) != std::string_view::npos) {
      out.push_back('_');
    } else {
      out.push_back(c);
    }
  }
  if (out.empty() || out == "." || out == "..") out = "plugin";
  return out;
}

}  // namespace wslplug::registry

namespace wslplug::registry {

std::string default_install_path(std::string_view plugin_name, std::string_view dll_file_name) {
  std::string file = file_safe_name(dll_file_name);
  if (!iends_with(file, ".dll")) file += ".dll";
  return fmt::format("{}\\{}\\{}", kDefaultInstallRoot, file_safe_name(plugin_name), file);
}

std::string windows_parent(std::string_view windows_path) {
  auto slash = windows_path.find_last_of('\\');
  if (slash == std::string_view::npos) return {};
  // "C:\p.dll" -> "C:\" (the root keeps its separator).
  if (slash == 2 && windows_path.size() > 1 && windows_path[1] == ':')
    return std::string(windows_path.substr(0, 3));
  return std::string(windows_path.substr(0, slash));
}

namespace {

std::vector<std::string_view> split_backslash(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    auto next = s.find('\\', pos);
    auto part = s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
    if (!part.empty()) out.push_back(part);
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

constexpr std::string_view kWhyAdmins =
    "anyone who can replace the DLL runs code as LocalSystem when wslservice loads it";

}  // namespace

namespace {

// Folders under X:\Windows that ordinary users can create files in on a default install (the
// well-known AppLocker path-rule bypass folders), as paths below Windows\. A path at or under
// one of them is user-writable.
constexpr std::string_view kWritableWindowsFolders[] = {
    "Tasks",
    "tracing",
    "Registration\\CRMLog",
    "debug\\WIA",
    "PLA\\Reports",
    "PLA\\Rules",
    "PLA\\Templates",
    "System32\\FxsTmp",
    "System32\\com\\dmp",
    "System32\\Microsoft\\Crypto\\RSA\\MachineKeys",
    "System32\\spool\\PRINTERS",
    "System32\\spool\\SERVERS",
    "System32\\spool\\drivers\\color",
    "System32\\Tasks",
    "System32\\Tasks_Migrated",
    "SysWOW64\\FxsTmp",
    "SysWOW64\\com\\dmp",
    "SysWOW64\\Tasks",
};

// The writable folder under `windows_parts` (the components after "Windows", the file last),
// or empty.
std::string_view writable_windows_folder(const std::vector<std::string_view>& windows_parts) {
  for (std::string_view folder : kWritableWindowsFolders) {
    const auto want = split_backslash(folder);
    if (windows_parts.size() <= want.size()) continue;  // the file must be at or under it
    bool match = true;
    for (std::size_t i = 0; match && i < want.size(); ++i)
      match = iequals(windows_parts[i], want[i]);
    if (match) return folder;
  }
  return {};
}

}  // namespace

LocationRisk writable_location(std::string_view path) {
  LocationRisk out;
  if (path.starts_with("\\\\")) {
    const auto parts = split_backslash(path.substr(2));
    if (parts.empty() || iequals(parts[0], "wsl$") || iequals(parts[0], "wsl.localhost"))
      return out;
    const std::string share = parts.size() >= 2 ? fmt::format("\\\\{}\\{}", parts[0], parts[1])
                                                : fmt::format("\\\\{}", parts[0]);
    out.kind = WritableLocation::kNetworkShare;
    out.reason = fmt::format(
        "{} is on the network share {}: whoever can write that share (or its server) can "
        "replace it, and {}",
        path, share, kWhyAdmins);
    return out;
  }
  if (path.size() < 3 || path[1] != ':' || path[2] != '\\') return out;
  const std::string drive(path.substr(0, 2));
  const auto parts = split_backslash(path.substr(3));
  // parts: folders..., file.
  if (parts.size() >= 2 && iequals(parts[0], "Users")) {
    out.kind = WritableLocation::kUserProfile;
    out.reason = fmt::format(
        "{} is under {}\\Users\\, where user profiles (and Users\\Public, writable by every "
        "user) live: its owner and programs they run can replace it, and {}",
        path, drive, kWhyAdmins);
    return out;
  }
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (iequals(parts[i], "Temp") || iequals(parts[i], "Tmp")) {
      std::string folder = drive;
      for (std::size_t k = 0; k <= i; ++k) folder += "\\" + std::string(parts[k]);
      out.kind = WritableLocation::kTemp;
      out.reason = fmt::format(
          "{} is in the temporary folder {}, where ordinary users can create and often "
          "replace files, and {}",
          path, folder, kWhyAdmins);
      return out;
    }
  }
  if (parts.size() >= 2 && iequals(parts[0], "Windows")) {
    const std::vector<std::string_view> below(parts.begin() + 1, parts.end());
    if (auto folder = writable_windows_folder(below); !folder.empty()) {
      out.kind = WritableLocation::kWindowsWritable;
      out.reason = fmt::format(
          "{} is under {}\\Windows\\{}, one of the folders under Windows where ordinary users "
          "can create files (the well-known AppLocker bypass folders): a user can plant or "
          "replace the DLL, and {}",
          path, drive, folder, kWhyAdmins);
      return out;
    }
  }
  if (parts.size() >= 2 && iequals(parts[0], "ProgramData")) {
    out.kind = WritableLocation::kProgramData;
    out.reason = fmt::format(
        "{} is under {}\\ProgramData\\, where every user may create files and folders (a "
        "user can plant the DLL before it is installed, or own the folder it is in), and {}",
        path, drive, kWhyAdmins);
    return out;
  }
  const bool protected_root = parts.size() >= 2 && (iequals(parts[0], "Program Files") ||
                                                    iequals(parts[0], "Program Files (x86)") ||
                                                    iequals(parts[0], "Windows"));
  if (!protected_root) {
    const std::string where =
        parts.size() >= 2
            ? fmt::format("the folder {}\\{} at the top of drive {}", drive, parts[0], drive)
            : fmt::format("the root of drive {}", drive);
    out.kind = WritableLocation::kDriveTopLevel;
    out.reason = fmt::format(
        "{} is in {}: on a default Windows install, files and folders created there inherit "
        "write access for Authenticated Users from the root of the drive, and {}",
        path, where, kWhyAdmins);
  }
  return out;
}

}  // namespace wslplug::registry

namespace wslplug::registry {

Status check_install_folder(std::string_view windows_path) {
  const std::string folder = windows_parent(windows_path);
  std::string_view rest = folder;
  std::size_t root_parts = 0;
  if (rest.starts_with("\\\\")) {
    rest.remove_prefix(2);
    root_parts = 2;  // server, share
  } else if (rest.size() >= 2 && rest[1] == ':') {
    rest.remove_prefix(2);
  }
  const auto parts = split_backslash(rest);
  std::string why;
  if (parts.size() <= root_parts) {
    why = "is the root of a drive or share";
  } else if (parts.size() == root_parts + 1 ||
             (parts.size() == root_parts + 2 && (iequals(parts[root_parts], "Windows")))) {
    for (std::string_view owned :
         {"Windows", "Program Files", "Program Files (x86)", "ProgramData", "Users", "System32"}) {
      if (iequals(parts.back(), owned)) why = "is a folder Windows owns";
    }
  }
  if (folder.size() == kDefaultInstallRoot.size() && iequals(folder, kDefaultInstallRoot))
    why = "is the folder of all wslplug-installed plugins";
  if (why.empty()) return {};
  return input_error(
      fmt::format("cannot install into {}: it {}, and the install script resets the permissions "
                  "of the DLL's folder",
                  folder.empty() ? std::string(windows_path) : folder, why),
      {}, "DLL_PATH",
      "give the plugin a folder of its own, e.g. " +
          default_install_path(windows_stem(windows_path), windows_stem(windows_path)));
}

}  // namespace wslplug::registry
