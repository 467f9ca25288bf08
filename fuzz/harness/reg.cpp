// The .reg parser (wslplug/registry/regfile.hpp) on arbitrary bytes in every encoding it reads
// (UTF-16LE with BOM, UTF-8 with or without BOM, ANSI), then doctor's registration checks on
// what parsed; the writer's output must parse back to the same keys and values, and the UTF-8 /
// UTF-16 helpers must produce valid text for any input.
#include "wslplug/doctor/reg.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"
#include "wslplug/core/utf8.hpp"
#include "wslplug/registry/regfile.hpp"
#include "wslplug/registry/winpath.hpp"

namespace reg = wslplug::registry;
namespace wf = wslplug::fuzz;

namespace {

bool writable(const reg::Document& doc) {
  for (const auto& k : doc.keys)
    for (const auto& v : k.values)
      if (v.kind != reg::ValueKind::kString && v.kind != reg::ValueKind::kDelete) return false;
  return true;
}

void check_round_trip(const reg::Document& doc) {
  if (!writable(doc)) return;
  for (auto encoding : {reg::Encoding::kUtf16le, reg::Encoding::kUtf8}) {
    auto bytes = reg::serialize(doc, encoding);
    if (!bytes) continue;  // refused (e.g. non-ASCII text in the 8-bit encoding)
    auto again = reg::parse(*bytes, "round-trip.reg");
    WSLPLUG_FUZZ_CHECK(again.has_value());
    WSLPLUG_FUZZ_CHECK(again->keys.size() == doc.keys.size());
    for (std::size_t i = 0; i < doc.keys.size(); ++i) {
      const auto& a = doc.keys[i];
      const auto& b = again->keys[i];
      WSLPLUG_FUZZ_CHECK(a.path == b.path && a.remove == b.remove);
      WSLPLUG_FUZZ_CHECK(a.values.size() == b.values.size());
      for (std::size_t j = 0; j < a.values.size(); ++j) {
        const auto& x = a.values[j];
        const auto& y = b.values[j];
        WSLPLUG_FUZZ_CHECK(x.name == y.name && x.is_default == y.is_default);
        WSLPLUG_FUZZ_CHECK(x.kind == y.kind && x.text == y.text);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = wf::bytes(data, size);
  if (auto doc = reg::parse(bytes, "fuzz.reg")) {
    (void)wslplug::doctor::check_registration(*doc, "fuzz.reg");
    for (const auto& k : doc->keys) {
      WSLPLUG_FUZZ_CHECK(wslplug::valid_utf8(k.path));
      for (const auto& v : k.values) WSLPLUG_FUZZ_CHECK(wslplug::valid_utf8(v.name));
    }
    check_round_trip(*doc);
  } else {
    WSLPLUG_FUZZ_CHECK(!doc.error().message.empty());
  }

  // The text helpers: UTF-16LE decoding always yields valid UTF-8, and valid UTF-8 survives
  // a round trip through UTF-16LE unchanged.
  const std::string decoded = reg::utf16le_to_utf8(std::span(data, size - size % 2));
  WSLPLUG_FUZZ_CHECK(wslplug::valid_utf8(decoded));
  const auto as_text = wf::text(data, size);
  // The input as a DLL path: a path that is accepted has no device name and no over-long name
  // among its components, and is judged for its location.
  if (auto path = reg::to_windows_path(as_text)) {
    std::string_view rest = path->path;
    for (std::size_t pos = 0; pos <= rest.size();) {
      const std::size_t next = std::min(rest.find('\\', pos), rest.size());
      const auto part = rest.substr(pos, next - pos);
      if (pos > 2) {  // after "X:" or the UNC prefix
        WSLPLUG_FUZZ_CHECK(path->kind == reg::WindowsPath::Kind::kUnc ||
                           reg::reserved_device_name(part).empty());
        WSLPLUG_FUZZ_CHECK(reg::utf16_length(part) <= 255);
      }
      pos = next + 1;
    }
    (void)reg::writable_location(path->path);
  }
  if (wslplug::valid_utf8(as_text)) {
    const auto utf16 = reg::utf8_to_utf16le(as_text);
    WSLPLUG_FUZZ_CHECK(reg::utf16le_to_utf8(utf16) == as_text);
  }
  return 0;
}
