// The error-code parser of doctor (wslplug/doctor/errors.hpp) on arbitrary text: every pasted
// form (WSL's context string, "Error code: ...", symbols, hex, signed and unsigned decimal, Win32
// numbers), the diagnosis built on it, the advice, the symbol table and "did you mean".
#include <cstddef>
#include <cstdint>
#include <string>

#include "common.hpp"
#include "wslplug/doctor/advice.hpp"
#include "wslplug/doctor/errors.hpp"

namespace doctor = wslplug::doctor;
namespace wf = wslplug::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = wf::text(data, size);
  auto parsed = doctor::parse_code(input);
  auto diagnosis = doctor::diagnose(input);
  WSLPLUG_FUZZ_CHECK(parsed.has_value() == diagnosis.has_value());
  if (parsed) {
    const std::uint32_t hr = parsed->hresult;
    WSLPLUG_FUZZ_CHECK(diagnosis->parsed.hresult == hr);
    // The canonical spelling of the code parses back to the same code (small values such as
    // S_FALSE read back as Win32 codes, as a bare 0x7e does).
    const std::string hex = doctor::hresult_hex(hr);
    WSLPLUG_FUZZ_CHECK(hex.size() == 10);
    auto again = doctor::parse_code(hex);
    const std::uint32_t expect = hr != 0 && hr <= 0xffff ? doctor::hresult_from_win32(hr) : hr;
    WSLPLUG_FUZZ_CHECK(again.has_value() && again->hresult == expect);
    WSLPLUG_FUZZ_CHECK(!doctor::wsl_code_string(hr).empty());
    (void)wslplug::doctor::advise(*diagnosis);
    (void)doctor::explain_context(parsed->context, doctor::find_known(hr));
  } else {
    WSLPLUG_FUZZ_CHECK(!parsed.error().message.empty());
  }
  if (auto v = doctor::symbol_value(input)) (void)doctor::hresult_symbol(*v);
  (void)doctor::find_known_symbol(input);
  // parse_code already asks did_you_mean for what it cannot read; the direct call is kept to
  // short inputs, where near misses live (its cost grows with the length times every name).
  if (size <= 32) (void)doctor::did_you_mean(input);
  return 0;
}
