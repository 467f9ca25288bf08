// The build information of this binary, captured at build time by cmake/build_info.cmake (run at
// every build; the generated build_info.cpp is rewritten only when the commit changes).
#pragma once

#include <string>

namespace wslplug {
// The commit the binary was built from (short, "-dirty" with uncommitted changes) and its date
// (YYYY-MM-DD); "unknown" when the source was not a git checkout (a tarball).
const char* build_commit();
const char* build_date();
}  // namespace wslplug

namespace wslplug::cli {
// "wslplug 0.1.0 (1a2b3c4d5e6f 2026-12-02)": what --version and `version` print.
std::string version_line();
}  // namespace wslplug::cli
