// The .reg model's names and the UTF-8 / UTF-16LE conversions of the registry library (see
// wslplug/registry/regfile.hpp). The writer is regfile_writer.cpp, the parser regfile_parser.cpp.
#include "wslplug/registry/regfile.hpp"

#include <algorithm>

#include "wslplug/core/utf8.hpp"

namespace wslplug::registry {

std::string_view encoding_name(Encoding e) { return e == Encoding::kUtf16le ? "utf16" : "utf8"; }

std::string_view value_kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::kString:
      return "REG_SZ";
    case ValueKind::kDelete:
      return "deletion";
    case ValueKind::kDword:
      return "REG_DWORD";
    case ValueKind::kBinary:
      return "REG_BINARY";
    case ValueKind::kExpandString:
      return "REG_EXPAND_SZ";
    case ValueKind::kMultiString:
      return "REG_MULTI_SZ";
    case ValueKind::kQword:
      return "REG_QWORD";
    case ValueKind::kOtherHex:
      return "other (hex)";
  }
  return "unknown";
}

std::string utf16le_to_utf8(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() / 2);
  const std::size_t n = bytes.size() / 2;
  for (std::size_t i = 0; i < n; ++i) {
    char32_t u = bytes[2 * i] | (static_cast<char32_t>(bytes[2 * i + 1]) << 8);
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < n) {
      char32_t lo = bytes[2 * i + 2] | (static_cast<char32_t>(bytes[2 * i + 3]) << 8);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        append_utf8(out, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
        ++i;
        continue;
      }
    }
    append_utf8(out, u);  // an unpaired surrogate becomes U+FFFD
  }
  return out;
}

std::vector<std::uint8_t> utf8_to_utf16le(std::string_view s) {
  std::vector<std::uint8_t> out;
  out.reserve(s.size() * 2);
  auto put = [&](char32_t u) {
    out.push_back(static_cast<std::uint8_t>(u & 0xff));
    out.push_back(static_cast<std::uint8_t>(u >> 8));
  };
  std::size_t i = 0;
  while (i < s.size()) {
    char32_t cp = next_utf8(s, i).value_or(kReplacementCharacter);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(0xd800 + (cp >> 10));
      put(0xdc00 + (cp & 0x3ff));
    } else {
      put(cp);
    }
  }
  return out;
}

}  // namespace wslplug::registry
