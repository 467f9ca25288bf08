// The compiler's diagnostics read back from a build's output, so a caller can report them as data
// (build --json's "diagnostics") and sum them up: GCC/MinGW's "path:line:col: error: message"
// (CMake builds) and rustc's text as cargo renders it ("error[E0425]: message" followed by
// " --> src/lib.rs:3:5"). Paths inside the project are made relative to its folder.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wslplug::project {

namespace fs = std::filesystem;

struct Diagnostic {
  std::string file;  // relative to the project folder when inside it, else absolute
  int line = 0;
  std::optional<int> column;
  std::string severity;  // "error", "warning" or "note"
  std::string message;
  std::string code;  // rustc's error code ("E0425"); empty for GCC and when rustc gives none
};

// GCC, Clang and MinGW: "path:line:col: error|fatal error|warning|note: message" (also without the
// column). A relative path is resolved against `cwd`, the compiler's working directory. Lines
// without a source location (the linker's, "collect2: error: ...") are not diagnostics here.
std::vector<Diagnostic> parse_gcc_diagnostics(std::string_view output, const fs::path& project_dir,
                                              const fs::path& cwd);

// rustc as cargo prints it: a header "error[E0425]: message", "warning: message" or
// "note: message" whose next line is " --> path:line:col". Headers without a location ("error:
// could not compile ...", "warning: `x` generated 1 warning") are not diagnostics here. A
// relative path is resolved against `cwd` (the workspace root cargo ran rustc in).
std::vector<Diagnostic> parse_rustc_diagnostics(std::string_view output,
                                                const fs::path& project_dir, const fs::path& cwd);

// One line summing up the diagnostics: "2 errors, 1 warning; first error at src/plugin.cpp:12";
// empty when there are none.
std::string diagnostics_summary(const std::vector<Diagnostic>& diagnostics);

}  // namespace wslplug::project
