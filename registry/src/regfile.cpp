// The .reg model's names and the UTF-8 / UTF-16LE conversions of the registry library (see
// wslplug/registry/regfile.hpp). The writer is regfile_writer.cpp, the parser regfile_parser.cpp.
#include "wslplug/registry/regfile.hpp"

#include <algorithm>

#include "utf8.hpp"

namespace wslplug::reg {

namespace detail {

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

char32_t next_utf8(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xe0) == 0xc0) {
    len = 2, cp = b0 & 0x1f, min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3, cp = b0 & 0x0f, min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return kBadUtf8;
  }
  if (i + static_cast<std::size_t>(len) > s.size()) {
    ++i;
    return kBadUtf8;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xc0) != 0x80) {
      ++i;
      return kBadUtf8;
    }
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    ++i;
    return kBadUtf8;
  }
  i += static_cast<std::size_t>(len);
  return cp;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace detail

using detail::append_utf8;
using detail::next_utf8;

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

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (next_utf8(s, i) == detail::kBadUtf8) return false;
  }
  return true;
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
    if (u >= 0xd800 && u <= 0xdfff) u = 0xfffd;
    append_utf8(out, u);
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
    char32_t cp = next_utf8(s, i);
    if (cp == detail::kBadUtf8) cp = 0xfffd;
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

}  // namespace wslplug::reg
