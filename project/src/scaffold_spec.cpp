// The vocabulary of a new project's spec: hook names, WSL versions and wslplugins-rs
// capabilities, requirements, and the rules for a plugin name.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "wslplug/core/suggest.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/project/scaffold.hpp"

namespace wslplug::project {

namespace {

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
  for (const auto& c : abi::kCapabilities) out += (out.empty() ? "" : ", ") + std::string(c.name);
  return out;
}

// "six": the size of a hook family, as the --hooks message words it.
std::string number_word(std::size_t n) {
  constexpr std::array<std::string_view, 13> kWords = {"zero", "one",    "two",   "three", "four",
                                                       "five", "six",    "seven", "eight", "nine",
                                                       "ten",  "eleven", "twelve"};
  return n < kWords.size() ? std::string(kWords[n]) : std::to_string(n);
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

std::string_view hook_name(Hook hook) { return abi::hook(hook).flag; }

bool is_wslc(Hook hook) { return abi::hook(hook).wslc(); }

std::vector<Hook> default_hooks() {
  std::vector<Hook> out;
  for (const abi::Hook& h : abi::kHooks)
    if (h.since == abi::versions::Base) out.push_back(h.key);
  return out;
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
    for (const abi::Hook& h : abi::kHooks)
      if (h.flag == item) {
        chosen.insert(h.key);
        found = true;
      }
    if (!found) {
      std::vector<std::string> words;
      for (const abi::Hook& h : abi::kHooks) words.emplace_back(h.flag);
      std::string names;
      for (const auto& w : words) names += (names.empty() ? "" : ", ") + w;
      words.insert(words.end(), {"all", "wslc", "none"});
      const std::string near = suggest(item, words);
      return input_error(
          fmt::format("unknown hook '{}'", printable(item)), {}, "--hooks",
          fmt::format("{}{}use a comma-separated list of: {} (or all: the {} WSL "
                      "hooks; wslc: the {} WSLC hooks; none)",
                      near, near.empty() ? "" : " ", names, number_word(kAllHooks.size()),
                      number_word(kWslcHooks.size())));
    }
  }
  return std::vector<Hook>(chosen.begin(), chosen.end());
}

std::string_view capability_name(Capability c) { return abi::capability(c).name; }

Version capability_version(Capability c) { return abi::capability(c).since; }

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
    const auto v = abi::parse_version(t);
    if (!v)
      return input_error(
          fmt::format("'{}' is not a WSL version", printable(t)), {}, "--require",
          fmt::format("give {} (e.g. --require 2.1.3 or --require 2.4) or a capability: {}",
                      abi::kVersionForms, capability_list()));
    req.version = *v;
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
    for (const auto& info : abi::kCapabilities)
      if (squash(info.name) == squash(item)) {
        caps.insert(info.key);
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
  // The capabilities that stand for a hook slot.
  for (auto h : hooks)
    for (const auto& info : abi::kCapabilities)
      if (info.table == abi::kHookTable && info.member == abi::hook(h).name)
        needed.insert(info.key);
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

Status validate_name(std::string_view name, Language language) {
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
  // The Rust template's crate name; the C++ template uses the name in CMake and strings only.
  if (language == Language::kRust)
    for (auto k : kRustKeywords)
      if (n == k)
        return input_error(fmt::format("'{}' is a Rust keyword", n), {}, where,
                           "choose another name, e.g. " + n + "-plugin (or --lang cpp)");
  for (auto r : kReservedNames)
    if (ascii_lower(n) == r || ascii_lower(n) == "lpt9")
      return input_error(fmt::format("'{}' is a reserved name (Cargo or Windows)", n), {}, where,
                         "choose another name, e.g. " + n + "-plugin");
  return {};
}

}  // namespace wslplug::project
