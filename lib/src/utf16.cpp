#include "wslplug/core/utf16.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "wslplug/core/utf8.hpp"

namespace wslplug {

namespace {

constexpr std::size_t kSniffBytes = 4096;  // how much of the input detection looks at

std::uint32_t unit_at(std::string_view bytes, std::size_t i) {
  return static_cast<unsigned char>(bytes[i]) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8);
}

bool is_high_surrogate(std::uint32_t u) { return u >= 0xd800 && u <= 0xdbff; }
bool is_low_surrogate(std::uint32_t u) { return u >= 0xdc00 && u <= 0xdfff; }

}  // namespace

TextEncoding detect_text_encoding(std::string_view bytes) {
  if (bytes.size() >= 2 && bytes[0] == '\xff' && bytes[1] == '\xfe') return TextEncoding::kUtf16le;
  const std::size_t units = std::min(bytes.size(), kSniffBytes) / 2;
  if (units == 0) return TextEncoding::kUtf8;
  std::size_t ascii = 0;  // units that are an ASCII character (not NUL) followed by NUL
  for (std::size_t i = 0; i < units; ++i) {
    const auto lo = static_cast<unsigned char>(bytes[2 * i]);
    if (lo != 0 && lo < 0x80 && bytes[2 * i + 1] == '\0') ++ascii;
  }
  return ascii * 2 >= units ? TextEncoding::kUtf16leNoBom : TextEncoding::kUtf8;
}

Result<std::string> utf16le_to_utf8(std::string_view bytes, std::uint64_t base_offset) {
  if (bytes.size() % 2 != 0)
    return input_error(
        fmt::format("UTF-16LE text has an odd number of bytes ({}): the last character is cut "
                    "short",
                    base_offset + bytes.size()),
        {}, offset_str(base_offset + bytes.size() - 1),
        "save or capture the whole output again (UTF-16LE has two bytes per character)");
  std::string out;
  out.reserve(bytes.size() / 2);
  for (std::size_t i = 0; i < bytes.size(); i += 2) {
    const std::uint32_t u = unit_at(bytes, i);
    if (is_low_surrogate(u))
      return input_error(
          fmt::format("UTF-16LE text has a low surrogate {:#06x} without the high surrogate "
                      "that must come before it",
                      u),
          {}, offset_str(base_offset + i), "the text is damaged: capture it again");
    if (!is_high_surrogate(u)) {
      append_utf8(out, u);
      continue;
    }
    const std::uint32_t low = i + 3 < bytes.size() ? unit_at(bytes, i + 2) : 0;
    if (!is_low_surrogate(low))
      return input_error(
          fmt::format("UTF-16LE text has a high surrogate {:#06x} not followed by a low "
                      "surrogate",
                      u),
          {}, offset_str(base_offset + i), "the text is damaged: capture it again");
    append_utf8(out, 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00));
    i += 2;
  }
  return out;
}

Result<std::string> text_as_utf8(std::string_view bytes, const std::string& file) {
  Result<std::string> out;
  switch (detect_text_encoding(bytes)) {
    case TextEncoding::kUtf8:
      if (bytes.starts_with("\xef\xbb\xbf")) bytes.remove_prefix(3);
      return std::string(bytes);
    case TextEncoding::kUtf16le:
      out = utf16le_to_utf8(bytes.substr(2), 2);
      break;
    case TextEncoding::kUtf16leNoBom:
      out = utf16le_to_utf8(bytes);
      break;
  }
  if (!out) out.error().in_file(file);
  return out;
}

}  // namespace wslplug
