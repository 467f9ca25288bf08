// The static check of a WSL plugin registration .reg file (doctor --reg). Checks: the key (exact
// Plugins key; WOW6432Node, HKCU and abbreviations flagged), the value type (only REG_SZ is
// loaded; hex(2)/REG_EXPAND_SZ and others are skipped silently by WSL), the path (absolute, no
// quotes, no %VARS%, no \\wsl$, a .dll, Windows characters), the name, duplicates, the file's
// encoding. Every finding is a catalogue kind (wslplug/doctor/finding.hpp) and carries the WSL
// error it would cause where one applies.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/doctor/finding.hpp"
#include "wslplug/registry/regfile.hpp"
#include "wslplug/registry/winpath.hpp"

namespace wslplug::doctor {

// Parses and checks a .reg file. Parse errors are returned as errors (input, naming the file and
// line); everything else is a finding.
Result<std::vector<Finding>> check_registration_file(const std::filesystem::path& path);
// The same on a parsed document; `file` names the file in messages.
std::vector<Finding> check_registration(const registry::Document& doc, const std::string& file);

// A path about to be registered (register, build --emit-reg) in a folder ordinary users can
// write: one path-user-writable finding (warning) naming why, else none. `input` is what the user
// typed (named when it was a WSL mount path).
std::vector<Finding> registered_location_findings(const registry::WindowsPath& path,
                                                  std::string_view input);

}  // namespace wslplug::doctor
