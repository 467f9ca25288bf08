// UTF-8, the one implementation every library uses: decoding one character (strictly: no
// overlong forms, no UTF-16 surrogates, nothing past U+10FFFF, no cut sequences), encoding one,
// validation, and making any bytes valid UTF-8 (each invalid byte becomes U+FFFD). Bytes only;
// UTF-16 is wslplug/core/utf16.hpp, ASCII helpers wslplug/core/text.hpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace wslplug {

// U+FFFD REPLACEMENT CHARACTER, what stands for bytes that are not UTF-8.
inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// Decodes the character starting at s[i] (i < s.size()) and moves i past it. When no
// well-formed character starts there: nullopt, and i moves on by one byte (so a loop over the
// text sees each bad byte once).
std::optional<char32_t> next_utf8(std::string_view s, std::size_t& i);

// Appends the UTF-8 encoding of cp (1 to 4 bytes). A value that is no Unicode scalar value (a
// surrogate, or past U+10FFFF) is written as U+FFFD: the output is always valid UTF-8.
void append_utf8(std::string& out, char32_t cp);

// True when s is well-formed UTF-8.
bool valid_utf8(std::string_view s);

// s with every byte that does not belong to a well-formed character replaced by U+FFFD (valid
// text comes back unchanged).
std::string utf8_lossy(std::string_view s);

// The longest prefix of s of at most max_bytes that does not end inside a UTF-8 character (for
// cutting user text short in messages); bytes that are not UTF-8 count as one character each.
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);

}  // namespace wslplug
