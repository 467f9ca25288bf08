// Small ASCII text helpers shared by the libraries (locale-independent). Every library uses these
// instead of std::tolower/std::toupper or its own trim: names, digests, hex digits and registry
// keywords are ASCII, and the C locale functions are neither locale-free nor char-safe.
#pragma once

#include <string>
#include <string_view>

namespace wslplug {

// The characters trim, trim_view, trim_left and trim_right remove unless told otherwise.
inline constexpr std::string_view kBlank = " \t\r\n";

// ASCII lower/upper case of one character; other bytes unchanged.
constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char ascii_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}
constexpr bool ascii_is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// ASCII lower/upper case of a string; other bytes unchanged.
std::string ascii_lower(std::string_view s);
std::string ascii_upper(std::string_view s);

// Without leading and trailing spaces, tabs, CR and LF.
std::string trim(std::string_view s);
// Views without leading and/or trailing characters from `chars` (no copy).
std::string_view trim_view(std::string_view s, std::string_view chars = kBlank);
std::string_view trim_left(std::string_view s, std::string_view chars = kBlank);
std::string_view trim_right(std::string_view s, std::string_view chars = kBlank);

// Case-insensitive ASCII comparison.
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
bool iends_with(std::string_view s, std::string_view suffix);
// True when s has a control character (0x00-0x1f, 0x7f).
bool has_control(std::string_view s);
// User input made safe to show in a message: control characters as \xNN.
std::string printable(std::string_view s);

// True when every byte of s is ASCII (below 0x80). UTF-8 itself: wslplug/core/utf8.hpp.
bool is_ascii(std::string_view s);

}  // namespace wslplug
