// The pasted-text scanner of doctor (`wslplug doctor -`, wslplug/doctor/advice.hpp) on arbitrary
// text: finding the codes in wsl.exe output, then the diagnosis and advice for each.
#include <cstddef>
#include <cstdint>

#include "common.hpp"
#include "wslplug/doctor/advice.hpp"
#include "wslplug/doctor/errors.hpp"

namespace wf = wslplug::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = wf::text(data, size);
  auto codes = wslplug::doctor::codes_in_pasted_text(input, "<fuzz>");
  if (!codes) {
    WSLPLUG_FUZZ_CHECK(!codes.error().message.empty());
    return 0;
  }
  WSLPLUG_FUZZ_CHECK(!codes->empty());
  std::size_t n = 0;
  for (const auto& code : *codes) {
    if (++n > 64) break;  // each diagnosis is the errcode target's business
    if (auto d = wslplug::doctor::diagnose(code)) (void)wslplug::doctor::advise(*d);
  }
  return 0;
}
