// How commands show findings of the doctor checks (doctor --dll, doctor --reg, build, register):
// one JSON shape and one text layout, so every command that reports findings looks the same.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "wslplug/doctor/finding.hpp"

namespace wslplug::cli {

// {"id", "severity", "wsl_error" (null when none), "message", "fix"}.
nlohmann::json finding_json(const doctor::Finding& f);
// An array of finding_json.
nlohmann::json findings_json(const std::vector<doctor::Finding>& findings);

// On stdout, per finding:
//   error [entry-point-missing] -> ERROR_PROC_NOT_FOUND
//     <message>
//     fix: <fix>
void print_findings(const std::vector<doctor::Finding>& findings);

// "usable, with warnings" when there are warnings but no errors, else `bad` or `ok`.
std::string_view findings_headline(const std::vector<doctor::Finding>& findings,
                                   std::string_view bad, std::string_view ok);

// The WSL error of the first error finding (for "explain a code: wslplug doctor <it>"), or empty.
std::string_view first_wsl_error(const std::vector<doctor::Finding>& findings);

// As warnings on stderr (commands whose own output is something else, like register): each
// error and warning finding with the WSL error it would cause; info findings are left out.
void warn_findings(const std::vector<doctor::Finding>& findings);

}  // namespace wslplug::cli
