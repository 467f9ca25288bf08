// Helpers for the --json documents of commands that write files (sign, unsign, timestamp,
// attach, extract, cert new): one document per run, "ok" plus what was written; on failure
// "ok": false and "error" (common.hpp's error_json), the other fields as far as known.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common.hpp"
#include "wslplug/core/error.hpp"

namespace wslplug::cli {

// A path as JSON shows it: lexically normal ("./a//b.dll" -> "a/b.dll"), no trailing '/'.
inline std::string json_path(const std::filesystem::path& p) {
  auto n = p.lexically_normal();
  if (n.has_relative_path() && n.filename().empty()) n = n.parent_path();
  return n.string();
}

// Prints `doc` with "ok": false and "error" set; returns the error's exit code.
inline int print_json_failure(nlohmann::json doc, const Error& e) {
  doc["ok"] = false;
  doc["error"] = error_json(e);
  print_json(doc);
  return exit_code(e.kind);
}

}  // namespace wslplug::cli
