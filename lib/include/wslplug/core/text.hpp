// Small ASCII text helpers shared by the libraries (locale-independent).
#pragma once

#include <string>
#include <string_view>

namespace wslplug {

// ASCII lower case; other bytes unchanged.
std::string ascii_lower(std::string_view s);
// Without leading and trailing spaces, tabs, CR and LF.
std::string trim(std::string_view s);
// Case-insensitive ASCII comparison.
bool iequals(std::string_view a, std::string_view b);
bool iends_with(std::string_view s, std::string_view suffix);
// True when s has a control character (0x00-0x1f, 0x7f).
bool has_control(std::string_view s);
// User input made safe to show in a message: control characters as \xNN.
std::string printable(std::string_view s);

}  // namespace wslplug
