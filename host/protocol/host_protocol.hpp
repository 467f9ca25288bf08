// The line protocol between the driver (host/src, Linux) and the plugin host (host/win, built with
// MinGW-w64): one header compiled by both sides, so a token is encoded and read one way. The
// grammar of the lines is at the top of host/win/wslplug_host.cpp.
//
// A line is tokens separated by single spaces. A string token is "~" (NULL) or "=" followed by the
// bytes, each byte outside [A-Za-z0-9._/:-] written as %XX (upper-case hex): "=" alone is the
// empty string. Plain C++20 and the standard library only (the MinGW build links nothing else).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wslplug::host::protocol {

inline constexpr std::string_view kNull = "~";

// A byte that stands for itself in a string token.
constexpr bool plain(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '/' || c == ':' || c == '-';
}

inline std::string encode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "=";
  out.reserve(bytes.size() + 1);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (plain(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

constexpr int hex_digit(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

// Reads a string token; false when it is malformed (no leading '=' or '~', a bad %XX).
inline bool decode(std::string_view token, std::string* out, bool* is_null) {
  out->clear();
  *is_null = false;
  if (token == kNull) {
    *is_null = true;
    return true;
  }
  if (token.empty() || token[0] != '=') return false;
  for (std::size_t i = 1; i < token.size(); ++i) {
    if (token[i] != '%') {
      out->push_back(token[i]);
      continue;
    }
    if (i + 2 >= token.size()) return false;
    const int hi = hex_digit(token[i + 1]), lo = hex_digit(token[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// The tokens of a line (split on single spaces; an empty line has one empty token).
inline std::vector<std::string> split(std::string_view line) {
  std::vector<std::string> out;
  for (std::size_t i = 0;;) {
    const std::size_t j = line.find(' ', i);
    out.emplace_back(line.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) return out;
    i = j + 1;
  }
}

}  // namespace wslplug::host::protocol
