// The shared text and JSON view of findings (see findings_view.hpp).
#include "render/findings_view.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common.hpp"

namespace wslplug::cli {

nlohmann::json finding_json(const doctor::Finding& f) {
  return {
      {"id", f.id},
      {"severity", std::string(doctor::severity_name(f.severity))},
      {"wsl_error", f.wsl_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.wsl_error)},
      {"message", with_flags(f.message)},
      {"fix", with_flags(f.fix)}};
}

nlohmann::json findings_json(const std::vector<doctor::Finding>& findings) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& f : findings) a.push_back(finding_json(f));
  return a;
}

void print_findings(const std::vector<doctor::Finding>& findings) {
  for (const auto& f : findings) {
    fmt::print("  {} [{}]{}\n", doctor::severity_name(f.severity), f.id,
               f.wsl_error.empty() ? "" : fmt::format(" -> {}", f.wsl_error));
    fmt::print("    {}\n", with_flags(f.message));
    if (!f.fix.empty()) fmt::print("    fix: {}\n", with_flags(f.fix));
  }
}

std::string_view findings_headline(const std::vector<doctor::Finding>& findings,
                                   std::string_view bad, std::string_view ok) {
  if (doctor::has_errors(findings)) return bad;
  const bool warnings = std::any_of(findings.begin(), findings.end(), [](const doctor::Finding& f) {
    return f.severity == doctor::Severity::kWarning;
  });
  return warnings ? "usable, with warnings" : ok;
}

std::string_view first_wsl_error(const std::vector<doctor::Finding>& findings) {
  for (const auto& f : findings)
    if (f.severity == doctor::Severity::kError && !f.wsl_error.empty()) return f.wsl_error;
  return {};
}

void warn_findings(const std::vector<doctor::Finding>& findings) {
  for (const auto& f : findings) {
    if (f.severity == doctor::Severity::kInfo) continue;
    warn(f.wsl_error.empty()
             ? with_flags(f.message)
             : fmt::format("{} (WSL would fail with {})", with_flags(f.message), f.wsl_error));
  }
}

}  // namespace wslplug::cli
