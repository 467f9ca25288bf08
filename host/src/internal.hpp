// Shared between the driver's source files (not public).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/host/run.hpp"

namespace wslplug::host {

// The environment wine processes of a run get (prefix, WINEDEBUG=-all, no mono/gecko prompts).
std::map<std::string, std::string> wine_environment(const Environment& e);
// The whole environment of the plugin host: an allow-list (what wine or Windows interop needs:
// the wine variables, HOME, USER, LOGNAME, LANG, a fixed PATH), nothing else of the caller's.
std::vector<std::string> host_environment(const Environment& e);
// Starts a persistent wineserver for the prefix (detached, stdio on /dev/null) unless one runs.
void keep_wineserver_warm(const Environment& e);

inline std::string trim_line(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.remove_suffix(1);
  return std::string(s);
}

}  // namespace wslplug::host
