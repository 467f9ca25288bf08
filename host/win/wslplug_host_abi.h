// The WSL plugin ABI as wslplug-host.exe lays it out (x64), generated from the one statement of
// the ABI (abi/include/wslplug/abi/wsl_plugin_abi.def), independently of any plugin header: one
// struct per table (WSL's name, with the host's name as an alias), the newest layout of each (a
// version's table is a prefix of it), the field facts, and each table's size at a version.
// static_asserts check every offset and size the .def states against what MinGW lays out.
// tests/host compiles this header and the C++ template's WslPluginApi.h with MinGW and checks
// both against independently written offsets. The .def is included by its path relative to
// this file, so the host builds (and the tests compile this header) with no include path.
#pragma once

#include <windows.h>

#include <cstddef>
#include <cstdint>

namespace wslplug_host_abi {

struct AbiVersion {
  uint32_t major, minor, revision;
};
// The versions that changed the ABI.
namespace versions {
#define WSLPLUG_ABI_VERSION(id, major, minor, revision) \
  inline constexpr AbiVersion id{major, minor, revision};
#include "../../abi/include/wslplug/abi/wsl_plugin_abi.def"
}  // namespace versions

// The structs.
#define WSLPLUG_ABI_TABLE(id, host_name, alignment) \
  struct id;                                        \
  using host_name = id;                             \
  struct id {
#define WSLPLUG_ABI_FIELD(table, name, ctype, offset, size, since) ctype name;
#define WSLPLUG_ABI_CALL(name, offset, since) void* name;
#define WSLPLUG_ABI_HOOK(name, key, flag, offset, since, params) void* name;
#define WSLPLUG_ABI_END(id) \
  }                         \
  ;
#include "../../abi/include/wslplug/abi/wsl_plugin_abi.def"
constexpr int kHookSlots = sizeof(HookTable) / sizeof(void*);

// The hook slots' names, in slot order.
inline constexpr const char* kAbiHookNames[] = {
#define WSLPLUG_ABI_HOOK(name, key, flag, offset, since, params) #name,
#include "../../abi/include/wslplug/abi/wsl_plugin_abi.def"
};
static_assert(sizeof(kAbiHookNames) / sizeof(kAbiHookNames[0]) == kHookSlots);

// Each table's fields: offset, size and the version that added it.
struct AbiField {
  uint32_t offset, size;
  AbiVersion since;
};
struct AbiTableFacts {
  const AbiField* fields;
  int count;
  uint32_t alignment;
};
namespace facts {
#define WSLPLUG_ABI_TABLE(id, host_name, alignment)     \
  inline constexpr uint32_t id##_alignment = alignment; \
  inline constexpr AbiField id[] = {
#define WSLPLUG_ABI_FIELD(table, name, ctype, offset, size, since) {offset, size, versions::since},
#define WSLPLUG_ABI_CALL(name, offset, since) {offset, 8, versions::since},
#define WSLPLUG_ABI_HOOK(name, key, flag, offset, since, params) {offset, 8, versions::since},
#define WSLPLUG_ABI_END(id) \
  }                         \
  ;
#include "../../abi/include/wslplug/abi/wsl_plugin_abi.def"
}  // namespace facts

constexpr bool AbiAtLeast(const WSLVersion& v, const AbiVersion& since) {
  if (v.Major != since.major) return v.Major > since.major;
  if (v.Minor != since.minor) return v.Minor > since.minor;
  return v.Revision >= since.revision;
}
// The table's size at `v`: the end of its last field that exists then, rounded up to its
// alignment.
template <size_t N>
constexpr size_t AbiSizeAt(const AbiField (&fields)[N], uint32_t alignment, const WSLVersion& v) {
  size_t end = 0;
  for (const AbiField& f : fields)
    if (AbiAtLeast(v, f.since) && f.offset + f.size > end) end = f.offset + f.size;
  return (end + alignment - 1) / alignment * alignment;
}
#define WSLPLUG_HOST_ABI_SIZE(table, version)                     \
  ::wslplug_host_abi::AbiSizeAt(::wslplug_host_abi::facts::table, \
                                ::wslplug_host_abi::facts::table##_alignment, version)

// What MinGW lays out is what the .def states: every offset and size, and each struct's size.
#define WSLPLUG_ABI_FIELD(table, name, ctype, offset, size, since)                                 \
  static_assert(offsetof(table, name) == (offset), #table "." #name " is not at offset " #offset); \
  static_assert(sizeof(table::name) == (size), #table "." #name " is not " #size " bytes");
#define WSLPLUG_ABI_CALL(name, offset, since) \
  static_assert(offsetof(WSLPluginAPIV1, name) == (offset), #name " is not at offset " #offset);
#define WSLPLUG_ABI_HOOK(name, key, flag, offset, since, params) \
  static_assert(offsetof(WSLPluginHooksV1, name) == (offset), #name " is not at offset " #offset);
#define WSLPLUG_ABI_END(id)                                                               \
  static_assert(sizeof(id) == WSLPLUG_HOST_ABI_SIZE(id, (WSLVersion{0xffffffffu, 0, 0})), \
                #id ": its size is not the end of its last field, aligned");
#include "../../abi/include/wslplug/abi/wsl_plugin_abi.def"

}  // namespace wslplug_host_abi
