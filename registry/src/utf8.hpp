// Internal to the registry library: UTF-8 code point helpers shared by the .reg writer, the
// parser and the UTF-16 conversions (regfile.cpp).
#pragma once

#include <string>
#include <string_view>

namespace wslplug::reg::detail {

// Appends the UTF-8 encoding of a code point.
void append_utf8(std::string& out, char32_t cp);
// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i, or returns
// kBadUtf8 (and advances by one byte) for an invalid sequence.
inline constexpr char32_t kBadUtf8 = 0xFFFFFFFF;
char32_t next_utf8(std::string_view s, std::size_t& i);
bool is_ascii(std::string_view s);

}  // namespace wslplug::reg::detail
