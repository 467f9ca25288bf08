// Internal: the name tables generated from MinGW's winerror.h (doctor/gen/gen_winerror.py), sorted
// by value; several names can share a value (the header's first name comes first).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace wslplug::doctor::detail {

struct NamedCode {
  std::uint32_t value;
  std::string_view name;
};

std::span<const NamedCode> win32_names();     // ERROR_*, RPC_S_*, WSAE*: values up to 0xFFFF
std::span<const NamedCode> hresult_names();   // E_*, TRUST_E_*, CERT_E_*, ...
std::span<const NamedCode> facility_names();  // FACILITY_*
std::span<const NamedCode> ntstatus_names();  // STATUS_* (ntstatus.h)

}  // namespace wslplug::doctor::detail
