// The project manifest reader (wslplug/project/manifest.hpp) on arbitrary text: JSON parsing,
// every field's type and value checks; what parsed must serialise and parse back the same.
#include "wslplug/project/manifest.hpp"

#include <cstddef>
#include <cstdint>

#include "common.hpp"

namespace wf = wslplug::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = wslplug::project::parse_manifest(wf::text(data, size), "wslplug.json");
  if (!m) {
    WSLPLUG_FUZZ_CHECK(!m.error().message.empty());
    return 0;
  }
  const std::string json = wslplug::project::manifest_to_json(*m);
  auto again = wslplug::project::parse_manifest(json, "round-trip.json");
  WSLPLUG_FUZZ_CHECK(again.has_value());
  WSLPLUG_FUZZ_CHECK(again->name == m->name && again->registry_name == m->registry_name);
  WSLPLUG_FUZZ_CHECK(again->language == m->language && again->target == m->target);
  WSLPLUG_FUZZ_CHECK(again->dll == m->dll && again->build_dir == m->build_dir);
  WSLPLUG_FUZZ_CHECK(again->cert_dir == m->cert_dir && again->registration == m->registration);
  WSLPLUG_FUZZ_CHECK(again->hooks == m->hooks && again->requires_version == m->requires_version);
  (void)wslplug::project::cargo_dll_name(m->name);
  return 0;
}
