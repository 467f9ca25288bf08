// The WSL plugin ABI as wslplug's libraries see it, generated from wsl_plugin_abi.def (the one
// place the ABI is stated): the versions that changed it, every table's fields with offsets, sizes
// and the version that added each, the hooks with what they are passed, and the wslplugins-rs
// capabilities. Header-only, no dependencies: every library may include it.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace wslplug::abi {

// A WSL package version, e.g. 2.4.4 (`wsl --version`'s first line; WSLVersion in the ABI).
struct Version {
  std::uint32_t major = 0, minor = 0, revision = 0;
  auto operator<=>(const Version&) const = default;
  [[nodiscard]] std::string text() const {  // "2.4.4"
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(revision);
  }
};

// The one parser of WSL versions as people write them (--wsl-version, --require, wslplug.json):
// "MAJOR.MINOR.REVISION" or "MAJOR.MINOR", which means MAJOR.MINOR.0; each part 1 to 4 decimal
// digits, nothing else. nullopt otherwise. Version::text() is the canonical form to report.
constexpr std::optional<Version> parse_version(std::string_view text) {
  Version v;
  std::uint32_t* parts[3] = {&v.major, &v.minor, &v.revision};
  int count = 0;
  std::size_t digits = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      if (digits == 0) return std::nullopt;
      if (++count == 3 && i < text.size()) return std::nullopt;  // a fourth part
      digits = 0;
      continue;
    }
    if (text[i] < '0' || text[i] > '9' || ++digits > 4) return std::nullopt;
    *parts[count] = *parts[count] * 10 + static_cast<std::uint32_t>(text[i] - '0');
  }
  if (count < 2) return std::nullopt;
  return v;
}
// What parse_version accepts, for the fix of an error about it.
inline constexpr std::string_view kVersionForms =
    "MAJOR.MINOR.REVISION, or MAJOR.MINOR for MAJOR.MINOR.0";

// The versions that changed the ABI (versions::Base: the API as first released), oldest first.
namespace versions {
#define WSLPLUG_ABI_VERSION(id, major, minor, revision) \
  inline constexpr Version id{major, minor, revision};
#include "wslplug/abi/wsl_plugin_abi.def"
}  // namespace versions
inline constexpr std::array kVersions{
#define WSLPLUG_ABI_VERSION(id, major, minor, revision) versions::id,
#include "wslplug/abi/wsl_plugin_abi.def"
};
// The newest version the ABI knows.
inline constexpr Version kNewest = kVersions.back();

// A table or struct the host passes: WSL's struct name, wslplug-host.exe's name for it, and its
// x64 alignment (its size at a version is rounded up to it).
struct Table {
  std::string_view name;
  std::string_view host_name;
  unsigned alignment = 8;
};
inline constexpr std::array kTables{
#define WSLPLUG_ABI_TABLE(id, host_name, alignment) Table{#id, #host_name, alignment},
#include "wslplug/abi/wsl_plugin_abi.def"
};
inline constexpr std::string_view kApiTable = "WSLPluginAPIV1";
inline constexpr std::string_view kHookTable = "WSLPluginHooksV1";

enum class FieldKind { kData, kCall, kHook };
// One field or slot of a table, in ABI order (x64 offsets and sizes).
struct Field {
  std::string_view table;
  std::string_view name;
  std::string_view ctype;  // the host's C type ("void*" for calls and hooks)
  unsigned offset = 0;
  unsigned size = 0;
  Version since;  // versions::Base: in the base API
  FieldKind kind = FieldKind::kData;
};
// Every field of every table, table after table.
inline constexpr std::array kFields{
#define WSLPLUG_ABI_FIELD(table, name, ctype, offset, size, since) \
  Field{#table, #name, #ctype, offset, size, versions::since, FieldKind::kData},
#define WSLPLUG_ABI_CALL(name, offset, since) \
  Field{kApiTable, #name, "void*", offset, 8, versions::since, FieldKind::kCall},
#define WSLPLUG_ABI_HOOK(name, key, flag, offset, since, params) \
  Field{kHookTable, #name, "void*", offset, 8, versions::since, FieldKind::kHook},
#include "wslplug/abi/wsl_plugin_abi.def"
};

// What a hook is passed: (session, VM settings), (session), (session, distribution),
// (session, offline distribution), (WSLC session), (WSLC session, LPCSTR argument).
enum class Params { kVm, kSession, kDistribution, kOffline, kWslc, kWslcArg };
// The hooks by wslplug's name for them (kVmStarted ...), in slot order.
enum class HookKey {
#define WSLPLUG_ABI_HOOK(name, key, flag, offset, since, params) k##key,
#include "wslplug/abi/wsl_plugin_abi.def"
};
struct Hook {
  HookKey key;
  std::string_view name;  // the slot's name: "OnVMStarted"
  std::string_view flag;  // `wslplug new --hooks` name: "vm-started"
  unsigned slot = 0;      // index in WSLPluginHooksV1
  Version since;
  Params params = Params::kSession;
  // A WSL Containers hook (passed a WSLCSessionInformation).
  [[nodiscard]] constexpr bool wslc() const {
    return params == Params::kWslc || params == Params::kWslcArg;
  }
};
inline constexpr std::array kHooks{
#define WSLPLUG_ABI_HOOK(name, key, flag, offset, since, params) \
  Hook{HookKey::k##key, #name, flag, (offset) / 8, versions::since, Params::k##params},
#include "wslplug/abi/wsl_plugin_abi.def"
};

// The fields of `table` (WSL's struct name) in ABI order; empty for an unknown name.
constexpr std::span<const Field> fields(std::string_view table) {
  std::size_t first = 0;
  while (first < kFields.size() && kFields[first].table != table) ++first;
  std::size_t end = first;
  while (end < kFields.size() && kFields[end].table == table) ++end;
  return std::span<const Field>(kFields).subspan(first, end - first);
}
constexpr const Table* find_table(std::string_view table) {
  for (const Table& t : kTables)
    if (t.name == table) return &t;
  return nullptr;
}
constexpr const Field* find_field(std::string_view table, std::string_view name) {
  for (const Field& f : fields(table))
    if (f.name == name) return &f;
  return nullptr;
}
// The table's size at `version`: the end of its last field that exists then, rounded up to the
// table's alignment. What the host allocates; 0 for an unknown table.
// (A loop over the tables, not find_table: GCC 12's UBSan instrumentation makes comparing that
// pointer with null non-constant, which would break the static_asserts below in sanitized builds.)
constexpr unsigned size_at(std::string_view table, Version version) {
  for (const Table& t : kTables) {
    if (t.name != table) continue;
    unsigned end = 0;
    for (const Field& f : fields(table))
      if (f.since <= version && f.offset + f.size > end) end = f.offset + f.size;
    return (end + t.alignment - 1) / t.alignment * t.alignment;
  }
  return 0;
}
constexpr const Hook* find_hook(std::string_view name) {
  for (const Hook& h : kHooks)
    if (h.name == name) return &h;
  return nullptr;
}
constexpr const Hook& hook(HookKey key) { return kHooks[static_cast<std::size_t>(key)]; }

// wslplugins-rs WSLVersionCapability values (name as in the crate) and the version of the field,
// call or hook each stands for.
enum class CapabilityKey {
#define WSLPLUG_ABI_CAPABILITY(name, table, member) k##name,
#include "wslplug/abi/wsl_plugin_abi.def"
};
struct Capability {
  CapabilityKey key;
  std::string_view name;    // "DistributionRegisteredHook"
  std::string_view table;   // WSLPluginHooksV1
  std::string_view member;  // OnDistributionRegistered
  Version since;
};
inline constexpr std::array kCapabilities{
#define WSLPLUG_ABI_CAPABILITY(name, table, member) \
  Capability{CapabilityKey::k##name, #name, #table, #member, find_field(#table, #member)->since},
#include "wslplug/abi/wsl_plugin_abi.def"
};
constexpr const Capability& capability(CapabilityKey key) {
  return kCapabilities[static_cast<std::size_t>(key)];
}

// The generated tables are consistent: hook slots are in order, fields do not overlap.
static_assert(kHooks.size() * 8 == size_at(kHookTable, kNewest));
static_assert([] {
  for (const Table& t : kTables) {
    unsigned end = 0;
    Version since = versions::Base;
    for (const Field& f : fields(t.name)) {
      if (f.offset < end || f.since < since) return false;  // overlap, or not grown at the end
      end = f.offset + f.size;
      since = f.since;
    }
  }
  return true;
}());

}  // namespace wslplug::abi
