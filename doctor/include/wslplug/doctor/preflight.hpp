// Static, PE-level preflight of a WSL plugin DLL: is it a PE DLL for x64/ARM64, does it export
// WSLPluginAPIV1_EntryPoint under that exact name, and will Windows find every DLL it imports when
// wslservice loads it. Each finding names the WSL error the problem would cause. Signature checks
// live in the signing library (wslplug/dll_check.hpp), which combines both.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/doctor/finding.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/pe.hpp"

namespace wslplug::preflight {

inline constexpr std::string_view kEntryPoint = "WSLPluginAPIV1_EntryPoint";

// The outcome of the PE-level checks. is_pe is false when the file is not a (valid) PE image;
// then the findings say so and the signature cannot be checked either.
struct PeCheck {
  std::vector<Finding> findings;
  bool is_pe = false;
};

// Opens `path` and runs every PE-level check. A file that is not a PE or is malformed is a
// finding ("not-pe", "malformed-pe"), not an error; errors are for files that cannot be read.
Result<PeCheck> check_pe_file(const fs::path& path);
// The checks on an opened image (headers, exports, imports).
std::vector<Finding> check_image(const pe::Image& image);

// Individual checks, for callers that already hold the data.
std::vector<Finding> check_machine(const pe::Layout& layout, const std::string& file);
std::vector<Finding> check_exports(const std::vector<pe::Export>& exports, const std::string& file);
std::vector<Finding> check_imports(const std::vector<pe::Import>& imports, const std::string& file);

// How Windows will resolve an imported DLL when wslservice loads the plugin.
enum class ImportKind {
  kSystem,        // ships in System32 (or is an API set): found
  kMingwRuntime,  // libstdc++-6, libgcc_s_*, libwinpthread-1, ...: not found
  kVcRuntime,  // VCRUNTIME140, MSVCP140, ...: found only if the VC++ Redistributable is installed
  kDebugRuntime,  // VCRUNTIME140D, ucrtbased, ...: never on end-user machines
  kOther,         // anything else: not found (the plugin's folder is not searched)
};
ImportKind classify_import(std::string_view dll);

}  // namespace wslplug::preflight
