// The vocabulary of a new project's spec: hook names, WSL versions and wslplugins-rs
// capabilities, requirements, and the rules for a plugin name.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "wslplug/core/text.hpp"
#include "wslplug/project/scaffold.hpp"

namespace wslplug::scaffold {

namespace {

// Hook name with '-' as separator, as the flag and the templates' flags use it.
constexpr std::array<std::pair<Hook, std::string_view>, 14> kHookNames = {{
    {Hook::kVmStarted, "vm-started"},
    {Hook::kVmStopping, "vm-stopping"},
    {Hook::kDistributionStarted, "distribution-started"},
    {Hook::kDistributionStopping, "distribution-stopping"},
    {Hook::kDistributionRegistered, "distribution-registered"},
    {Hook::kDistributionUnregistered, "distribution-unregistered"},
    {Hook::kSessionCreated, "session-created"},
    {Hook::kSessionStopping, "session-stopping"},
    {Hook::kContainerStarted, "container-started"},
    {Hook::kContainerStopping, "container-stopping"},
    {Hook::kImageCreated, "image-created"},
    {Hook::kImageDeleted, "image-deleted"},
    {Hook::kWslcVmStarted, "wslc-vm-started"},
    {Hook::kWslcVmStopping, "wslc-vm-stopping"},
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
    if (c != '-' && c != '_') out.push_back(ascii_lower(c));
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

bool is_wslc(Hook hook) {
  return std::find(std::begin(kWslcHooks), std::end(kWslcHooks), hook) != std::end(kWslcHooks);
}

std::vector<Hook> default_hooks() {
  return {Hook::kVmStarted, Hook::kVmStopping, Hook::kDistributionStarted,
          Hook::kDistributionStopping};
}

Result<std::vector<Hook>> parse_hooks(std::string_view list) {
  std::set<Hook> chosen;
  const std::string all = trim(list);
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
    if (item == "all") {
      chosen.insert(std::begin(kAllHooks), std::end(kAllHooks));
      continue;
    }
    if (item == "wslc") {
      chosen.insert(std::begin(kWslcHooks), std::end(kWslcHooks));
      continue;
    }
    // Microsoft's slot names, as a user may write them.
    if (item == "wslcvmstarted" || item == "wslc-vmstarted") item = "wslc-vm-started";
    if (item == "wslcvmstopping" || item == "wslc-vmstopping") item = "wslc-vm-stopping";
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
                         "use a comma-separated list of: " + names +
                             " (or all: the six WSL hooks; wslc: the eight WSLC hooks; none)");
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
  if (!ascii_is_letter(n[0]))
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

}  // namespace wslplug::scaffold
