// A finding of a static check (doctor --dll, doctor --reg, build): what is wrong, how severe,
// which WSL error it would cause when the plugin is loaded, and how to fix it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wslplug {

enum class Severity { kError, kWarning, kInfo };

inline std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "error";
}

struct Finding {
  std::string id;  // stable kebab-case identifier, e.g. "entry-point-missing"
  Severity severity = Severity::kError;
  std::string
      wsl_error;  // symbolic WSL error it would cause, e.g. "ERROR_PROC_NOT_FOUND"; may be empty
  std::string message;  // what is wrong, naming the file and the field
  std::string fix;      // how to fix it
};

// True when any finding has severity error.
inline bool has_errors(const std::vector<Finding>& findings) {
  for (const auto& f : findings)
    if (f.severity == Severity::kError) return true;
  return false;
}

}  // namespace wslplug
