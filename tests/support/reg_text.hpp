// Shared helpers of the .reg tests (registry parser and writer, doctor's registration checks):
// the golden files, parsing text that must parse, UTF-16LE files and the Plugins key header.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "support.hpp"
#include "wslplug/registry/regfile.hpp"
#include "wslplug/registry/registration.hpp"

namespace wslplug::test {

inline fs::path reg_golden(const std::string& name) {
  return source_dir() / "tests" / "golden" / "registry" / name;
}

// Parses .reg text that must parse (a failure fails the calling test; an empty document then).
inline registry::Document parse_reg_ok(std::string_view text) {
  auto d = registry::parse(bytes_of(text), "t.reg");
  EXPECT_TRUE(d) << (d ? "" : d.error().describe());
  return d ? *d : registry::Document{};
}

// The bytes regedit would write for `utf8`: UTF-16LE with BOM.
inline std::vector<std::byte> utf16_reg_file(std::string_view utf8) {
  auto b = registry::encode(utf8, registry::Encoding::kUtf16le);
  EXPECT_TRUE(b);
  return b ? *b : std::vector<std::byte>{};
}

inline const std::string kRegPluginsKey = std::string(registry::kPluginsKey);
// The header and the Plugins key line every registration file starts with.
inline const std::string kRegHead =
    "Windows Registry Editor Version 5.00\r\n\r\n[" + kRegPluginsKey + "]\r\n";

}  // namespace wslplug::test
