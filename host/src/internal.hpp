// Shared between the driver's source files (not public).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/host/run.hpp"

namespace wslplug::host {

// The environment wine processes of a run get (prefix, WINEDEBUG=-all, no mono/gecko prompts).
std::map<std::string, std::string> wine_environment(const Environment& e);
// A program wslplug ships beside its binary: $ENV_VAR, else beside the running binary, else in
// <bin>/../libexec/wslplug/; the error says `missing` with `fix`.
Result<fs::path> find_companion(const std::string& file_name, const char* env_var,
                                const std::string& missing, const std::string& fix);
// The whole environment of the plugin host: an allow-list (what wine or Windows interop needs:
// the wine variables, HOME, USER, LOGNAME, LANG, a fixed PATH), nothing else of the caller's.
std::vector<std::string> host_environment(const Environment& e);
// Starts a persistent wineserver for the prefix (detached, stdio on /dev/null) unless one runs.
void keep_wineserver_warm(const Environment& e);

// The first DLL the plugin imports that the wine prefix does not have (imports.cpp), to explain
// a LoadLibrary that failed with ERROR_MOD_NOT_FOUND; nullopt when every import is there or the
// host is not wine.
struct MissingImport {
  std::string dll;
  bool wine_lacks_system_dll = false;  // Windows has it: the failure is the harness's
  std::string explanation, fix;
};
std::optional<MissingImport> missing_import(const fs::path& dll, const Environment& e);

// The signature check official WSL builds make before LoadLibrary (trust.cpp), once per run.
struct TrustCheck {
  nlohmann::json report;                    // the document's "signature" (docs/run-json.md)
  std::optional<std::uint32_t> refused_hr;  // the WinVerifyTrust error WSL records; nullopt: load
  std::string explanation, fix;             // for the load's "wsl" block when refused
  std::optional<std::string> warning;       // an unsigned DLL run with --allow-unsigned
  std::optional<Error> error;               // the DLL or a trusted root cannot be read
};
TrustCheck check_trust(const Options& o);

inline std::string trim_line(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.remove_suffix(1);
  return std::string(s);
}

}  // namespace wslplug::host
