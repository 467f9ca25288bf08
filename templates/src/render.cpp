#include "wslplug/templates/scaffold.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "wslplug/core/io.hpp"
#include "wslplug/core/text.hpp"

namespace wslplug::templates {

namespace {

// Hook name with '-' as separator, as the flag and the templates' flags use it.
constexpr std::array<std::pair<Hook, std::string_view>, 6> kHookNames = {{
    {Hook::kVmStarted, "vm-started"},
    {Hook::kVmStopping, "vm-stopping"},
    {Hook::kDistributionStarted, "distribution-started"},
    {Hook::kDistributionStopping, "distribution-stopping"},
    {Hook::kDistributionRegistered, "distribution-registered"},
    {Hook::kDistributionUnregistered, "distribution-unregistered"},
}};

struct CapabilityInfo {
  Capability capability;
  std::string_view name;
  Version version;
};
constexpr std::array<CapabilityInfo, 6> kCapabilities = {{
    {Capability::kDistributionInitPid, "DistributionInitPid", {2, 0, 5}},
    {Capability::kDistributionRegisteredHook, "DistributionRegisteredHook", {2, 1, 2}},
    {Capability::kDistributionUnregisteredHook, "DistributionUnregisteredHook", {2, 1, 2}},
    {Capability::kExecuteBinaryInDistribution, "ExecuteBinaryInDistribution", {2, 1, 2}},
    {Capability::kDistributionFlavor, "DistributionFlavor", {2, 4, 4}},
    {Capability::kDistributionVersion, "DistributionVersion", {2, 4, 4}},
}};

// "distribution-init-pid" / "DistributionInitPid" / "distribution_init_pid" ->
// "distributioninitpid"
std::string squash(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '-' && c != '_')
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

std::string capability_list() {
  std::string out;
  for (const auto& c : kCapabilities) out += (out.empty() ? "" : ", ") + std::string(c.name);
  return out;
}

bool parse_uint(std::string_view s, std::uint32_t& out) {
  if (s.empty() || s.size() > 6) return false;
  std::uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  out = v;
  return true;
}

constexpr std::array<std::string_view, 51> kRustKeywords = {
    "as",    "async",  "await",    "break",   "const", "continue", "crate", "dyn",    "else",
    "enum",  "extern", "false",    "fn",      "for",   "if",       "impl",  "in",     "let",
    "loop",  "match",  "mod",      "move",    "mut",   "pub",      "ref",   "return", "self",
    "Self",  "static", "struct",   "super",   "trait", "true",     "type",  "unsafe", "use",
    "where", "while",  "abstract", "become",  "box",   "do",       "final", "macro",  "override",
    "priv",  "typeof", "unsized",  "virtual", "yield", "try"};

// Names Cargo refuses for a package, and Windows device names that cannot be file names.
constexpr std::array<std::string_view, 31> kReservedNames = {
    "test",     "core",        "std",  "alloc", "proc_macro", "proc-macro", "deps", "build",
    "examples", "incremental", "con",  "prn",   "aux",        "nul",        "com1", "com2",
    "com3",     "com4",        "com5", "com6",  "com7",       "com8",       "com9", "lpt1",
    "lpt2",     "lpt3",        "lpt4", "lpt5",  "lpt6",       "lpt7",       "lpt8"};

}  // namespace

std::string_view hook_name(Hook hook) {
  for (const auto& [h, n] : kHookNames)
    if (h == hook) return n;
  return "?";
}

std::vector<Hook> default_hooks() {
  return {Hook::kVmStarted, Hook::kVmStopping, Hook::kDistributionStarted,
          Hook::kDistributionStopping};
}

Result<std::vector<Hook>> parse_hooks(std::string_view list) {
  std::set<Hook> chosen;
  const std::string all = trim(list);
  if (ascii_lower(all) == "all")
    return std::vector<Hook>(std::begin(kAllHooks), std::end(kAllHooks));
  if (all.empty() || ascii_lower(all) == "none") return std::vector<Hook>{};
  std::size_t pos = 0;
  while (pos <= all.size()) {
    auto comma = all.find(',', pos);
    if (comma == std::string::npos) comma = all.size();
    std::string item = ascii_lower(trim(std::string_view(all).substr(pos, comma - pos)));
    pos = comma + 1;
    std::replace(item.begin(), item.end(), '_', '-');
    if (item.starts_with("on-")) item = item.substr(3);
    if (item.empty()) continue;
    bool found = false;
    for (const auto& [h, n] : kHookNames)
      if (n == item) {
        chosen.insert(h);
        found = true;
      }
    if (!found) {
      std::string names;
      for (const auto& [h, n] : kHookNames) names += (names.empty() ? "" : ", ") + std::string(n);
      return input_error(fmt::format("unknown hook '{}'", item), {}, "--hooks",
                         "use a comma-separated list of: " + names + " (or all, none)");
    }
  }
  return std::vector<Hook>(chosen.begin(), chosen.end());
}

std::string Version::str() const { return fmt::format("{}.{}.{}", major, minor, revision); }

std::string_view capability_name(Capability c) {
  for (const auto& info : kCapabilities)
    if (info.capability == c) return info.name;
  return "?";
}

Version capability_version(Capability c) {
  for (const auto& info : kCapabilities)
    if (info.capability == c) return info.version;
  return {};
}

Version Requirement::min_version() const {
  Version v = version.value_or(Version{});
  for (auto c : capabilities) v = std::max(v, capability_version(c));
  return v;
}

Result<Requirement> parse_requirement(std::string_view text) {
  const std::string t = trim(text);
  Requirement req;
  if (t.empty()) return req;
  if (std::isdigit(static_cast<unsigned char>(t[0]))) {
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (true) {
      auto dot = t.find('.', pos);
      parts.push_back(t.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
      if (dot == std::string::npos) break;
      pos = dot + 1;
    }
    Version v;
    if ((parts.size() != 2 && parts.size() != 3) || !parse_uint(parts[0], v.major) ||
        !parse_uint(parts[1], v.minor) || (parts.size() == 3 && !parse_uint(parts[2], v.revision)))
      return input_error(
          fmt::format("'{}' is not a WSL version", t), {}, "--require",
          "give MAJOR.MINOR.REVISION (e.g. 2.1.3) or a capability: " + capability_list());
    req.version = v;
    return req;
  }
  std::set<Capability> caps;
  std::size_t pos = 0;
  while (pos <= t.size()) {
    auto sep = t.find_first_of(",|", pos);
    if (sep == std::string::npos) sep = t.size();
    std::string item = trim(std::string_view(t).substr(pos, sep - pos));
    pos = sep + 1;
    if (item.starts_with("WSLVersionCapability::")) item = item.substr(22);
    if (item.empty()) continue;
    bool found = false;
    for (const auto& info : kCapabilities)
      if (squash(info.name) == squash(item)) {
        caps.insert(info.capability);
        found = true;
      }
    if (!found) {
      std::string fix = "use a version (e.g. 2.1.3) or capabilities: " + capability_list();
      if (squash(item) == "wslc")
        fix = "WSLC is not in wslplugins-rs 0.1.0-beta.4; require its version instead: 2.9.0";
      return input_error(fmt::format("unknown capability '{}'", item), {}, "--require", fix);
    }
  }
  req.capabilities.assign(caps.begin(), caps.end());
  return req;
}

Requirement with_hook_capabilities(Requirement requirement, std::span<const Hook> hooks) {
  std::set<Capability> needed;
  for (auto h : hooks) {
    if (h == Hook::kDistributionRegistered) needed.insert(Capability::kDistributionRegisteredHook);
    if (h == Hook::kDistributionUnregistered)
      needed.insert(Capability::kDistributionUnregisteredHook);
  }
  if (needed.empty()) return requirement;
  if (requirement.version) {
    for (auto c : needed)
      requirement.version = std::max(*requirement.version, capability_version(c));
    return requirement;
  }
  needed.insert(requirement.capabilities.begin(), requirement.capabilities.end());
  requirement.capabilities.assign(needed.begin(), needed.end());
  return requirement;
}

Status validate_name(std::string_view name) {
  const std::string n(name);
  const std::string where = "NAME";
  const std::string rule =
      "use an ASCII letter followed by letters, digits, '-' or '_' (at most 64), e.g. my-plugin";
  if (n.empty()) return input_error("the plugin name is empty", {}, where, rule);
  if (n.find('/') != std::string::npos || n.find('\\') != std::string::npos)
    return input_error(fmt::format("'{}' contains a path separator", n), {}, where,
                       "give a plain name and choose the directory with --dir");
  if (n.find("..") != std::string::npos)
    return input_error(fmt::format("'{}' contains '..'", n), {}, where, rule);
  if (n.size() > 64)
    return input_error(fmt::format("the name is {} characters long", n.size()), {}, where, rule);
  if (!std::isalpha(static_cast<unsigned char>(n[0])) || static_cast<unsigned char>(n[0]) > 127)
    return input_error(fmt::format("'{}' does not start with an ASCII letter", n), {}, where, rule);
  for (std::size_t i = 0; i < n.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(n[i]);
    if (c > 127 || !(std::isalnum(c) || c == '-' || c == '_'))
      return input_error(fmt::format("'{}' contains the character '{}' at position {}", n,
                                     std::string(1, static_cast<char>(c)), i + 1),
                         {}, where, rule);
  }
  for (auto k : kRustKeywords)
    if (n == k)
      return input_error(fmt::format("'{}' is a Rust keyword", n), {}, where,
                         "choose another name, e.g. " + n + "-plugin");
  for (auto r : kReservedNames)
    if (ascii_lower(n) == r || ascii_lower(n) == "lpt9")
      return input_error(fmt::format("'{}' is a reserved name (Cargo or Windows)", n), {}, where,
                         "choose another name, e.g. " + n + "-plugin");
  return {};
}

Result<std::string> render(std::string_view text, const Vars& vars, const Flags& flags,
                           std::string_view template_name) {
  std::string out;
  // Stack of (flag name, lines kept) for open sections.
  std::vector<std::pair<std::string, bool>> stack;
  auto active = [&] {
    return std::all_of(stack.begin(), stack.end(), [](const auto& s) { return s.second; });
  };
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    const bool has_nl = nl != std::string_view::npos;
    if (!has_nl) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    const std::string where = fmt::format("line {}", line_no);
    const std::string t = trim(line);
    if (t.size() > 5 && t.starts_with("{{") && t.ends_with("}}") &&
        (t[2] == '#' || t[2] == '^' || t[2] == '/') && t.find("}}") == t.size() - 2) {
      const std::string flag = t.substr(3, t.size() - 5);
      if (t[2] == '/') {
        if (stack.empty() || stack.back().first != flag)
          return internal_error(
              fmt::format("template {}: {}: unbalanced {{{{/{}}}}}", template_name, where, flag));
        stack.pop_back();
        continue;
      }
      auto it = flags.find(flag);
      if (it == flags.end())
        return internal_error(
            fmt::format("template {}: {}: unknown flag '{}'", template_name, where, flag));
      stack.emplace_back(flag, t[2] == '#' ? it->second : !it->second);
      continue;
    }
    if (!active()) continue;
    std::size_t p = 0;
    while (true) {
      auto open = line.find("{{", p);
      if (open == std::string_view::npos) {
        out.append(line.substr(p));
        break;
      }
      auto close = line.find("}}", open + 2);
      if (close == std::string_view::npos)
        return internal_error(
            fmt::format("template {}: {}: unterminated {{{{", template_name, where));
      out.append(line.substr(p, open - p));
      const std::string_view var = line.substr(open + 2, close - open - 2);
      auto it = vars.find(var);
      if (it == vars.end())
        return internal_error(
            fmt::format("template {}: {}: unknown variable '{}'", template_name, where, var));
      out += it->second;
      p = close + 2;
    }
    if (has_nl) out.push_back('\n');
  }
  if (!stack.empty())
    return internal_error(
        fmt::format("template {}: section '{}' is not closed", template_name, stack.back().first));
  return out;
}

Manifest project_manifest(const ProjectSpec& spec) {
  Manifest m;
  m.name = spec.name;
  m.registry_name = spec.name;
  m.language = spec.language;
  m.dll = spec.language == Language::kRust ? cargo_dll_name(spec.name) : spec.name + ".dll";
  m.build_dir = spec.language == Language::kRust ? "target" : "build";
  for (auto h : spec.hooks) m.hooks.emplace_back(hook_name(h));
  const Requirement req = spec.language == Language::kRust
                              ? with_hook_capabilities(spec.requirement, spec.hooks)
                              : spec.requirement;
  if (!req.empty()) m.requires_version = req.min_version().str();
  return m;
}

Result<std::vector<RenderedFile>> render_project(const ProjectSpec& spec) {
  if (auto ok = validate_name(spec.name); !ok) return std::unexpected(ok.error());
  const Manifest manifest = project_manifest(spec);
  const bool rust = spec.language == Language::kRust;
  const Requirement req =
      rust ? with_hook_capabilities(spec.requirement, spec.hooks) : spec.requirement;
  const Version min = req.min_version();

  Vars vars;
  vars["name"] = spec.name;
  vars["registry_name"] = manifest.registry_name;
  vars["dll_name"] = manifest.dll;
  vars["dll_stem"] = manifest.dll.substr(0, manifest.dll.size() - 4);
  vars["artifact_hint"] = rust ? "target/x86_64-pc-windows-gnu/release/" + manifest.dll
                               : "build/x86_64-release/" + manifest.dll;
  vars["req_version"] = min.str();
  vars["req_major"] = std::to_string(min.major);
  vars["req_minor"] = std::to_string(min.minor);
  vars["req_revision"] = std::to_string(min.revision);
  vars["requirement_text"] = req.empty() ? "any WSL with plugin support" : min.str();
  std::string requirement;  // the #[wsl_plugin_v1...] arguments
  if (req.version) {
    requirement = fmt::format("({}, {}, {})", min.major, min.minor, min.revision);
  } else if (!req.capabilities.empty()) {
    std::string list;
    for (auto c : req.capabilities)
      list +=
          (list.empty() ? "" : " | ") + fmt::format("WSLVersionCapability::{}", capability_name(c));
    requirement = "(" + list + ")";
  }
  vars["requirement"] = requirement;
  std::string hooks_text;
  for (auto h : spec.hooks)
    hooks_text += (hooks_text.empty() ? "" : ", ") + std::string(hook_name(h));
  vars["hooks_text"] = hooks_text.empty() ? "none" : hooks_text;

  Flags flags;
  for (auto h : kAllHooks) {
    std::string key(hook_name(h));
    std::replace(key.begin(), key.end(), '-', '_');
    flags[key] = std::find(spec.hooks.begin(), spec.hooks.end(), h) != spec.hooks.end();
  }
  flags["registration_hooks"] =
      flags["distribution_registered"] || flags["distribution_unregistered"];
  flags["has_requirement"] = !req.empty();

  const std::string prefix = rust ? "rust/" : "cpp/";
  std::vector<RenderedFile> files;
  for (const auto& tf : embedded_files()) {
    if (!tf.path.starts_with(prefix)) continue;
    auto text = render(tf.content, vars, flags, tf.path);
    if (!text) return std::unexpected(text.error());
    // "dot-gitignore" -> ".gitignore", "dot-cargo/config.toml" -> ".cargo/config.toml"
    std::string rel(tf.path.substr(prefix.size()));
    std::string path;
    std::size_t pos = 0;
    while (pos <= rel.size()) {
      auto slash = rel.find('/', pos);
      if (slash == std::string::npos) slash = rel.size();
      std::string part = rel.substr(pos, slash - pos);
      if (part.starts_with("dot-")) part = "." + part.substr(4);
      path += (path.empty() ? "" : "/") + part;
      pos = slash + 1;
    }
    files.push_back({path, std::move(*text)});
  }
  if (files.empty()) return internal_error("no embedded templates for " + prefix);
  files.push_back({std::string(kManifestFile), manifest_to_json(manifest)});
  return files;
}

namespace {

Status write_files(const fs::path& dir, const std::vector<RenderedFile>& files, bool overwrite) {
  for (const auto& f : files) {
    const fs::path target = dir / f.path;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec)
      return io_error("cannot create directory: " + ec.message(), target.parent_path().string());
    OutputOptions options;
    options.overwrite = overwrite;
    if (auto ok = write_file_atomic(target, f.content, options); !ok)
      return std::unexpected(ok.error());
  }
  return {};
}

}  // namespace

Status write_project(const fs::path& dir, const std::vector<RenderedFile>& files, bool force) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec))
      return input_error("exists and is not a directory", dir.string(), {},
                         "choose another --dir or remove the file");
    const bool empty = fs::directory_iterator(dir, ec) == fs::directory_iterator();
    if (ec) return io_error("cannot read directory: " + ec.message(), dir.string());
    if (!empty && !force)
      return input_error("directory exists and is not empty", dir.string(), {},
                         "choose another --dir, or pass --force to write the project into it "
                         "(files of the same name are replaced)");
    return write_files(dir, files, true);
  }
  // A fresh directory: render into a temp directory beside it, then rename it into place.
  const fs::path absolute = fs::absolute(dir, ec);
  const fs::path parent = absolute.parent_path();
  if (!fs::is_directory(parent, ec))
    return input_error("parent directory does not exist", parent.string(), {},
                       "create it first, or choose another --dir");
  std::string temp;
  for (int attempt = 0; attempt < 100 && temp.empty(); ++attempt) {
    std::string candidate =
        (parent / fmt::format(".{}.{}.{}.tmp", absolute.filename().string(), getpid(), attempt))
            .string();
    if (::mkdir(candidate.c_str(), 0755) == 0) temp = candidate;
  }
  if (temp.empty()) return io_error("cannot create a temporary directory", parent.string());
  auto cleanup = [&] { fs::remove_all(temp, ec); };
  if (auto ok = write_files(temp, files, false); !ok) {
    cleanup();
    return ok;
  }
  if (::rename(temp.c_str(), absolute.c_str()) != 0) {
    const int err = errno;
    cleanup();
    return io_error(fmt::format("cannot rename the new project into place: {}", strerror(err)),
                    absolute.string());
  }
  return {};
}

}  // namespace wslplug::templates
