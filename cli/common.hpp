// Output conventions shared by all commands: errors and warnings go to stderr as
// "wslplug: error: FILE: WHERE: MESSAGE" plus an indented "fix:" line; --json output goes to
// stdout as one document; exit codes follow wslplug::exit_code().
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBad = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitIo = 3;

// Prints the error (and its fix) to stderr; returns its exit code.
int report(const Error& error);
void warn(std::string_view message);
void note(std::string_view message);  // status line on stderr (silenced by -q; console.hpp)
// Error as JSON: {"kind": "input"|"bad"|"io"|"internal", "message", "file", "where", "fix"}.
nlohmann::json error_json(const Error& error);
// Prints a JSON document on stdout (pretty, 2 spaces, trailing newline). Strings that are not
// valid UTF-8 are printed with U+FFFD for each invalid sequence (docs/json.md), never an error.
void print_json(const nlohmann::json& doc);
// Appends an "Examples:" section to a command's --help.
void set_examples(CLI::App* cmd, const std::vector<std::string>& examples);
// A unix time as UTC text: ISO 8601 ("2026-11-21T09:40:33Z", for JSON and machine-readable
// lines) or for people ("2026-11-21 09:40:33 UTC").
std::string iso_utc(std::int64_t unix_seconds);
std::string human_utc(std::int64_t unix_seconds);
// Combines exit codes of several items: the most severe wins (3 > 2 > 1 > 0).
int combine_exit(int a, int b);

}  // namespace wslplug::cli
