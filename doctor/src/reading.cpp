// How a pasted code was read: whether any table names it, and which base a bare number was read
// in (see errors.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "wslplug/doctor/errors.hpp"

namespace wslplug::doctor {

bool is_named(const Diagnosis& d) {
  return d.known != nullptr || !d.symbol.empty() || d.win32_name.has_value() ||
         d.ntstatus.has_value();
}

namespace {

// The other reading of the digits, as the input that forces it; empty when there is none.
std::string as_hex_input(std::string_view digits) {
  if (digits.size() > 8) return {};
  return fmt::format("0x{}", digits);
}

std::string as_decimal_input(std::string_view digits) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, 10);
  if (ec != std::errc{} || p != digits.data() + digits.size() || v > 0xffffffffull) return {};
  // Only called for values above 65535, which 0x... reads as an HRESULT, not a Win32 code.
  return fmt::format("0x{:X}", v);
}

}  // namespace

std::string bare_number_reading(const ParsedCode& parsed) {
  const std::string_view digits = parsed.code;
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return {};
  switch (parsed.form) {
    case InputForm::kWin32Decimal: {
      const std::string hex = as_hex_input(digits);
      return fmt::format(
          "{} was read as the decimal Win32 error code {} (HRESULT_FROM_WIN32: {}){}", digits,
          digits, hresult_hex(parsed.hresult),
          hex.empty() ? "" : fmt::format("; to read it as hex, write {}", hex));
    }
    case InputForm::kDecimal: {
      const std::string hex = as_hex_input(digits);
      return fmt::format("{} was read as decimal ({}){}", digits, hresult_hex(parsed.hresult),
                         hex.empty() ? "" : fmt::format("; to read it as hex, write {}", hex));
    }
    case InputForm::kHex: {
      const std::string dec = as_decimal_input(digits);
      return fmt::format(
          "{} was read as hex {}: as a decimal number it is neither a Win32 code (at most 65535) "
          "nor an error HRESULT (at least 2147483648){}",
          digits, hresult_hex(parsed.hresult),
          dec.empty() ? "" : fmt::format("; to read it as decimal {}, write {}", digits, dec));
    }
    default:
      return {};
  }
}

}  // namespace wslplug::doctor
