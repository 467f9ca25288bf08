// The registration check behind `wslplug doctor --reg` (see wslplug/doctor/reg.hpp): what would
// make WSL skip or refuse the plugin a .reg file registers. WSL reads REG_SZ values under
// HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss\Plugins (64-bit view) and passes each
// value to LoadLibrary as is.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "wslplug/core/text.hpp"
#include "wslplug/doctor/reg.hpp"
#include "wslplug/registry/registration.hpp"
#include "wslplug/registry/winpath.hpp"

namespace wslplug::doctor {

using namespace registry;  // the .reg document model

namespace {

constexpr std::string_view kFixBare =
    "store the bare absolute path, e.g. "
    "\"C:\\\\Program Files\\\\WSL Plugins\\\\my_plugin\\\\my_plugin.dll\"";

// A REG_SZ plugin path as the path checks see it: `norm` is the path with backslash separators,
// `drive` and `unc` what it starts with.
struct PathSubject {
  const std::string& at;  // "FILE: line N: value \"NAME\"", the start of every message
  const std::string& path;
  std::string norm;
  bool drive = false;
  bool unc = false;
};

// Characters a registered path must not have: control characters, quotes, %VARS%.
void check_path_text(const PathSubject& p, std::vector<Finding>& out) {
  const std::string& at = p.at;
  const std::string& path = p.path;
  if (has_control(path)) {
    out.push_back(make_finding(
        kPathControlCharacter,
        fmt::format("{}: the path \"{}\" contains control characters", at, printable(path)),
        std::string(kFixBare)));
  }
  if (path.find('"') != std::string::npos) {
    out.push_back(
        make_finding(kPathQuotes,
                     fmt::format("{}: the path {} contains double quotes; WSL passes the value "
                                 "to CreateFileW as is",
                                 at, printable(path)),
                     "remove the quotes: the value is the bare path, even with spaces in it"));
  }
  if (has_env_var(path)) {
    out.push_back(
        make_finding(kPathEnvVar,
                     fmt::format("{}: the path \"{}\" contains an environment variable; WSL "
                                 "never expands it",
                                 at, printable(path)),
                     "write the expanded path, e.g. C:\\\\Program Files\\\\... instead of "
                     "%ProgramFiles%\\\\..."));
  }
}

// What kind of path it is: inside a distribution, a share, a Linux path, relative.
void check_path_root(const PathSubject& p, std::vector<Finding>& out) {
  const auto& [at, path, norm, drive, unc] = p;
  const std::string lnorm = ascii_lower(norm);
  if (unc && (lnorm.starts_with("\\\\wsl$\\") || lnorm.starts_with("\\\\wsl.localhost\\") ||
              lnorm == "\\\\wsl$" || lnorm == "\\\\wsl.localhost")) {
    out.push_back(
        make_finding(kPathInDistribution,
                     fmt::format("{}: \"{}\" is a file inside a WSL distribution; the service "
                                 "loads plugins when it starts, before any distribution runs, "
                                 "and cannot read it",
                                 at, printable(path)),
                     "copy the DLL to a Windows folder (e.g. C:\\\\Program Files\\\\WSL "
                     "Plugins\\\\NAME\\\\) and register "
                     "that path"));
  } else if (unc) {
    out.push_back(
        make_finding(kPathUnc,
                     fmt::format("{}: \"{}\" is on a network share; the service runs as "
                                 "LocalSystem and reaches it as the computer account, at boot, "
                                 "possibly before the network is up, and whoever can write the "
                                 "share can replace the DLL that LocalSystem loads",
                                 at, printable(path)),
                     "copy the DLL to a local folder only administrators can write (e.g. "
                     "C:\\\\Program Files\\\\WSL Plugins\\\\NAME\\\\)"));
  } else if (path.front() == '/') {
    std::string fix =
        "register the Windows path of the DLL, e.g. C:\\\\Program Files\\\\WSL "
        "Plugins\\\\my_plugin\\\\my_plugin.dll";
    if (auto w = to_windows_path(path); w) fix = fmt::format("write \"{}\"", escape(w->path));
    out.push_back(
        make_finding(kPathLinux,
                     fmt::format("{}: \"{}\" is a Linux path; Windows reads it as a folder on "
                                 "the current drive",
                                 at, printable(path)),
                     fix));
  } else if (!drive) {
    const bool has_dir = norm.find('\\') != std::string::npos;
    Finding f = make_finding(kPathRelative,
                             fmt::format("{}: \"{}\" is not an absolute path; the service "
                                         "resolves it against its own folder",
                                         at, printable(path)),
                             std::string(kFixBare));
    if (!has_dir) f.wsl_error = "ERROR_FILE_NOT_FOUND";  // a bare file name
    out.push_back(std::move(f));
  }
}

// Names no file or folder can have: reserved device names and names over 255 characters, in a
// drive or UNC path (`rest`: after the drive "X:" or the UNC prefix; a share's server and share
// names are not file names and are skipped).
void check_names(const PathSubject& p, std::vector<Finding>& out) {
  if (!p.drive && !p.unc) return;
  const std::string& at = p.at;
  const std::string& path = p.path;
  const std::string_view rest = std::string_view(p.norm).substr(2);
  const bool unc = p.unc;
  std::size_t skip = unc ? 2 : 0;
  std::size_t pos = 0;
  while (pos <= rest.size()) {
    const std::size_t next = std::min(rest.find('\\', pos), rest.size());
    const std::string_view part = rest.substr(pos, next - pos);
    pos = next + 1;
    if (part.empty() || part == "." || part == "..") continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    if (auto device = reserved_device_name(part); !device.empty()) {
      out.push_back(make_finding(
          kPathReservedName,
          fmt::format("{}: the path \"{}\" has the component \"{}\", the reserved device name {}: "
                      "Windows opens the device, not a file, so the DLL cannot be there",
                      at, printable(path), printable(part), device),
          "rename the folder or file (a device name stays reserved with an extension: nul.dll "
          "is NUL)"));
      return;
    }
    if (const std::size_t n = utf16_length(part); n > 255) {
      out.push_back(make_finding(
          kPathNameTooLong,
          fmt::format("{}: the path \"{}\" has a {}-character component; Windows file systems "
                      "allow at most 255 in one name, so the DLL cannot be there",
                      at, printable(path).substr(0, 300), n),
          "use shorter folder and file names"));
      return;
    }
  }
}

// A drive path (or the WSL mount path of one) in a folder ordinary users can write. Shares are
// path-unc's.
void check_location(const PathSubject& p, std::vector<Finding>& out) {
  const auto& [at, path, norm, drive, unc] = p;
  const bool mount = path.front() == '/';
  if (!drive && !mount) return;
  auto windows = to_windows_path(path);
  if (!windows || windows->kind != WindowsPath::Kind::kDrive) return;
  const LocationRisk risk = writable_location(windows->path);
  if (risk.kind == WritableLocation::kNone) return;
  std::string message = fmt::format("{}: {}", at, risk.reason);
  if (mount)
    message += fmt::format(" (\"{}\" is the WSL mount path of {})", printable(path), windows->path);
  out.push_back(make_finding(
      kPathUserWritable, std::move(message),
      fmt::format("install the DLL where only administrators can write, e.g. \"{}\" (wslplug "
                  "register --ps1 writes a script that copies it there and locks the folder)",
                  escape(default_install_path(windows_stem(windows->path),
                                              windows_stem(windows->path) + ".dll")))));
}

void check_empty(const PathSubject& p, std::vector<Finding>& out) {
  if (p.path.empty())
    out.push_back(make_finding(kPathEmpty, p.at + ": the path is empty", std::string(kFixBare)));
}

void check_characters(const PathSubject& p, std::vector<Finding>& out) {
  if (!p.drive && !p.unc) return;
  const std::string rest = p.norm.substr(2);
  if (auto bad = rest.find_first_of("<>|?*:"); bad != std::string::npos) {
    out.push_back(make_finding(kPathInvalidCharacter,
                               fmt::format("{}: the path \"{}\" contains '{}', which Windows does "
                                           "not allow in file names",
                                           p.at, printable(p.path), rest[bad]),
                               "fix the path"));
  }
}

void check_separators(const PathSubject& p, std::vector<Finding>& out) {
  if (p.drive && p.path.find('/') != std::string::npos) {
    out.push_back(
        make_finding(kPathForwardSlashes,
                     fmt::format("{}: the path \"{}\" uses '/'; LoadLibrary documents only "
                                 "'\\' as the separator",
                                 p.at, printable(p.path)),
                     "write backslashes (doubled in a .reg file: C:\\\\Program Files\\\\WSL "
                     "Plugins\\\\p\\\\p.dll)"));
  }
}

void check_extension(const PathSubject& p, std::vector<Finding>& out) {
  if (!ascii_lower(p.norm).ends_with(".dll")) {
    out.push_back(make_finding(
        kPathNotDll,
        fmt::format("{}: the path \"{}\" does not end in .dll", p.at, printable(p.path)),
        "register the plugin DLL itself"));
  }
}

// One check of a plugin path. A `stop` row that finds something ends the path's checks (the
// rows after it assume what it checks).
struct PathCheck {
  std::string_view name;
  bool stop;
  void (*run)(const PathSubject& p, std::vector<Finding>& out);
};

// In the order findings are reported: a new path check is one function and one row.
constexpr PathCheck kPathChecks[] = {
    {"empty", true, check_empty},
    {"text", false, check_path_text},
    {"root", false, check_path_root},
    {"characters", false, check_characters},
    {"names", false, check_names},
    {"location", false, check_location},
    {"separators", false, check_separators},
    {"extension", false, check_extension},
};

// Findings about a REG_SZ plugin path: the rows of kPathChecks in order.
void check_path(const std::string& at, const std::string& path, std::vector<Finding>& out) {
  PathSubject p{.at = at, .path = path, .norm = path};
  std::replace(p.norm.begin(), p.norm.end(), '/', '\\');
  p.unc = ascii_lower(p.norm).starts_with("\\\\");
  p.drive = p.norm.size() >= 3 && std::isalpha(static_cast<unsigned char>(p.norm[0])) &&
            p.norm[1] == ':' && p.norm[2] == '\\';
  for (const PathCheck& check : kPathChecks) {
    const std::size_t before = out.size();
    check.run(p, out);
    if (check.stop && out.size() != before) return;
  }
}

void check_encoding(const Document& doc, const std::string& f, std::vector<Finding>& out) {
  if (doc.encoding == Encoding::kUtf8 && doc.had_bom) {
    out.push_back(make_finding(kEncodingUtf8Bom,
                               f + ": the file starts with a UTF-8 byte-order mark, which reg "
                                   "import (Wine's, at least) refuses",
                               "save it as UTF-16 LE with BOM (wslplug register --emit-reg does)"));
  }
  if (doc.non_ascii_without_bom) {
    out.push_back(make_finding(kEncodingNonAscii,
                               f + ": the file has non-ASCII text but no byte-order mark; regedit "
                                   "and reg.exe read it in the ANSI code page, so names and paths "
                                   "change",
                               "save it as UTF-16 LE with BOM (wslplug register --emit-reg does)"));
  }
}

// A key other than the plugins key (`lk`: its path in lower case).
void check_other_key(const Key& key, const std::string& lk, const std::string& at_key,
                     std::vector<Finding>& out) {
  const std::string plugins = ascii_lower(kPluginsKey);
  if (lk.find("wow6432node") != std::string::npos && lk.find("lxss") != std::string::npos) {
    out.push_back(
        make_finding(kKeyWow6432Node,
                     at_key + " is in the 32-bit registry view (WOW6432Node); the "
                              "64-bit WSL service never reads it, so the plugin is not "
                              "loaded",
                     fmt::format("use [{}] (and reg.exe import FILE /reg:64)", kPluginsKey)));
  } else if (lk.starts_with("hklm\\") && lk.substr(4) == plugins.substr(18)) {
    out.push_back(make_finding(kKeyAbbreviated,
                               at_key + " abbreviates the hive; .reg files need the full name",
                               fmt::format("write [{}]", kPluginsKey)));
  } else if (lk.find("lxss") != std::string::npos) {
    out.push_back(make_finding(kKeyWrong, at_key + " is not the key WSL reads plugins from",
                               fmt::format("write [{}]", kPluginsKey)));
  } else if (!key.values.empty()) {
    out.push_back(make_finding(kKeyOther,
                               at_key + " is not the WSL plugins key; its values are not plugin "
                                        "registrations",
                               "keep registration files to the plugins key"));
  }
}

// What the values under the plugins key have set so far (for duplicates).
struct Seen {
  std::map<std::string, int> names;  // lower-case name -> line (value names are case-insensitive)
  std::map<std::string, std::pair<std::string, int>> paths;  // lower-case path -> (name, line)
};

void check_name(const Value& v, const std::string& at, Seen& seen, std::vector<Finding>& out) {
  if (v.is_default) {
    out.push_back(make_finding(
        kNameDefaultValue,
        at + " is the key's unnamed default value; the plugin would have "
             "an empty name in WSL's error messages",
        "use a named value: "
        "\"my-plugin\"=\"C:\\\\Program Files\\\\WSL Plugins\\\\my_plugin\\\\my_plugin.dll\""));
    return;
  }
  if (v.name.empty() || has_control(v.name)) {
    out.push_back(make_finding(kNameInvalid,
                               at + ": the plugin name is empty or contains control characters",
                               "use a short descriptive name: users see it in WSL's error "
                               "messages"));
  }
  const std::string ln = ascii_lower(v.name);
  if (auto it = seen.names.find(ln); it != seen.names.end()) {
    out.push_back(make_finding(kNameDuplicate,
                               fmt::format("{}: the name was already set on line {}; the later "
                                           "line wins",
                                           at, it->second),
                               "keep one line per plugin"));
  }
  seen.names[ln] = v.line;
}

// A value that is not REG_SZ: WSL skips it.
Finding not_reg_sz(const Value& v, const std::string& at) {
  std::string what = std::string(value_kind_name(v.kind));
  if (v.kind == ValueKind::kExpandString) what += " (hex(2))";
  std::string fix =
      "write it as a string value: \"NAME\"=\"C:\\\\Program Files\\\\WSL "
      "Plugins\\\\my_plugin\\\\my_plugin.dll\"";
  if (v.kind == ValueKind::kExpandString || v.kind == ValueKind::kMultiString) {
    fix = fmt::format("write it as a string value with the expanded path: \"{}\"=\"...\"",
                      escape(printable(v.name)));
    if (!v.text.empty()) fix += fmt::format(" (it holds \"{}\")", printable(v.text));
  }
  return make_finding(kValueNotRegSz,
                      fmt::format("{} is {}; WSL loads only REG_SZ values and skips this one "
                                  "silently (no error, the plugin just never loads)",
                                  at, what),
                      fix);
}

// One value under the plugins key: its name, its type, then its path.
void check_value(const Value& v, const std::string& f, Seen& seen, std::vector<Finding>& out) {
  const std::string shown_name = v.is_default ? std::string("@ (default)") : printable(v.name);
  const std::string at = fmt::format("{}: line {}: value \"{}\"", f, v.line, shown_name);
  check_name(v, at, seen, out);
  if (v.kind == ValueKind::kDelete) {
    out.push_back(make_finding(kValueRemoved, at + " is removed (\"name\"=-)", "nothing to do"));
    return;
  }
  if (v.kind != ValueKind::kString) {
    out.push_back(not_reg_sz(v, at));
    return;
  }
  check_path(at, v.text, out);
  std::string lp = ascii_lower(v.text);
  std::replace(lp.begin(), lp.end(), '/', '\\');
  if (auto it = seen.paths.find(lp); it != seen.paths.end() && !v.text.empty()) {
    out.push_back(make_finding(kPathDuplicate,
                               fmt::format("{}: the same DLL is registered as \"{}\" on line {}; "
                                           "WSL loads it once, under the first name",
                                           at, printable(it->second.first), it->second.second),
                               "register each DLL once"));
  } else {
    seen.paths[lp] = {shown_name, v.line};
  }
}

}  // namespace

std::vector<Finding> check_registration(const Document& doc, const std::string& file) {
  std::vector<Finding> out;
  const std::string f = file.empty() ? std::string("(registration)") : file;
  check_encoding(doc, f, out);
  const std::string plugins = ascii_lower(kPluginsKey);
  Seen seen;
  bool any = false;
  for (const auto& key : doc.keys) {
    const std::string lk = ascii_lower(key.path);
    const std::string at_key = fmt::format("{}: line {}: key [{}{}]", f, key.line,
                                           key.remove ? "-" : "", printable(key.path));
    if (lk != plugins) {
      check_other_key(key, lk, at_key, out);
    } else if (key.remove) {
      out.push_back(make_finding(kKeyDeleted,
                                 at_key + " deletes the whole plugins key: every plugin "
                                          "registration on the machine is removed",
                                 "remove single plugins with \"NAME\"=- lines instead"));
    } else {
      for (const auto& v : key.values) {
        any = true;
        check_value(v, f, seen, out);
      }
    }
  }
  if (!any) {
    out.push_back(make_finding(kNoRegistration,
                               fmt::format("{}: the file sets no value under [{}]", f, kPluginsKey),
                               "generate one with: wslplug register 'C:\\Program Files\\WSL "
                               "Plugins\\my_plugin\\my_plugin.dll'"));
  }
  return out;
}

std::vector<Finding> registered_location_findings(const WindowsPath& path, std::string_view input) {
  const LocationRisk risk = writable_location(path.path);
  if (risk.kind == WritableLocation::kNone) return {};
  std::string message = risk.reason;
  if (path.from_wsl_mount) message += fmt::format(" (given as its WSL mount path {})", input);
  const std::string stem = windows_stem(path.path);
  return {make_finding(
      kPathUserWritable, std::move(message),
      fmt::format("register it where only administrators can write, e.g. '{}' (wslplug register "
                  "--ps1 writes a script that copies it there and locks the folder)",
                  default_install_path(stem, stem)))};
}

Result<std::vector<Finding>> check_registration_file(const std::filesystem::path& path) {
  auto doc = parse_file(path);
  if (!doc) return std::unexpected(doc.error());
  return check_registration(*doc, path.string());
}

}  // namespace wslplug::doctor
