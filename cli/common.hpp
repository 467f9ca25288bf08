// Output conventions shared by all commands: errors and warnings go to stderr as
// "wslplug: error: FILE: WHERE: MESSAGE" plus an indented "fix:" line; --json output goes to
// stdout as one document; exit codes follow wslplug::exit_code().
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBad = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitIo = 3;

// What is being run: the command parse_and_run chose (set before its runner starts) and whether
// the command line asked for JSON (`--json`, `--json=true`; not `--json=false`).
struct Invocation {
  const CLI::App* command = nullptr;
  bool json = false;
};
Invocation& invocation();

// The line every usage error ends with, pointing to the help of `cmd`: "try: wslplug sign --help".
std::string help_hint(const CLI::App* cmd);
// A usage error (kind input) made in `cmd`: `fix` followed by the help_hint.
Error usage_error(const CLI::App* cmd, std::string message, std::string where = {},
                  std::string fix = {});
// An input error about the command line itself (`where` names an option or argument of the
// command being run, or is "command line") gets the help_hint at the end of its fix; other
// errors are returned as they are. report() and error_json() apply it.
Error with_help_hint(Error error);

// An error that stops the command before it has a result: with --json the error document
// (json_error_document) on stdout, else report(). Returns its exit code.
int report_failure(const Error& error);

// Prints the error (and its fix) to stderr; returns its exit code. The help_hint of a usage
// error is a line of its own ("  try: wslplug sign --help").
// Libraries name fields, not flags (wslplug/signing/field.hpp): `where` "timestamp_url" and
// "{timestamp_url}" in a message or fix become the flag that sets it (--timestamp). report and
// error_json render errors through this.
Error with_flags(Error error);
std::string with_flags(std::string_view text);
int report(const Error& error);
void warn(std::string_view message);
void note(std::string_view message);  // status line on stderr (silenced by -q; console.hpp)
// Error as JSON: {"kind": "input"|"bad"|"io"|"internal", "message", "file", "where", "fix"}.
// (The fix of a usage error ends with its help_hint.)
nlohmann::json error_json(const Error& error);
// Prints a JSON document on stdout (pretty, 2 spaces, trailing newline). Strings that are not
// valid UTF-8 are printed with U+FFFD for each invalid sequence (docs/json.md), never an error.
void print_json(const nlohmann::json& doc);
// The "Examples:" section of a command's --help (the help footer also lists the exit codes).
void set_examples(CLI::App* cmd, const std::vector<std::string>& examples);

// ---- Help and parsing metadata of the command tree. The help formatter, the parser's error
// messages and the completion and man page generators read these (cli/app.hpp builds the tree).

// The command path as typed: "wslplug", "wslplug sign", "wslplug cert new".
std::string command_path(const CLI::App* cmd);
// The usage line without "Usage: ", e.g. "wslplug sign FILE... (-o OUT | --in-place) [OPTIONS]".
// `set_usage` gives what follows the command path; without it the line is made of the
// positionals, the required options and "[OPTIONS]".
void set_usage(CLI::App* cmd, std::string after_path);
// An option whose value may be left out (doctor --dll: the project's DLL): given alone, the
// command sees it with the value "".
CLI::Option* set_value_optional(CLI::Option* opt);
bool value_optional(const CLI::Option* opt);
std::string usage_line(const CLI::App* cmd);
// The values an option accepts, shown as its metavar ("rust|cpp") and completed by the shells;
// the command still validates the value itself (with a fix). Returns `opt`.
CLI::Option* set_choices(CLI::Option* opt, std::vector<std::string> values);
const std::vector<std::string>& choices_of(const CLI::Option* opt);
// The value an option with choices takes when it is given bare (`--color` is `--color=always`):
// a following word is its value only when it is one of the choices. Returns `opt`.
CLI::Option* set_implicit_value(CLI::Option* opt, std::string value);
const std::string* implicit_value_of(const CLI::Option* opt);
// What an exit code means for this command where it says more than docs/exit-codes.md
// ({1, "the DLL has error findings"}); the help footer lists all four codes.
void set_exit_codes(CLI::App* cmd, std::vector<std::pair<int, std::string>> details);
// The shared exit-code footer of `cmd`'s --help (docs/exit-codes.md is the source).
std::string exit_code_footer(const CLI::App* cmd);
// The general meaning of exit code 0..3, as docs/exit-codes.md words it.
std::string_view exit_code_meaning(int code);
// A hidden second spelling of an option (kept for old command lines): `alias` ("--key") sets
// the same variable as `current` ("--key-type"). With `deprecated`, using it prints a note on
// stderr naming the current spelling. Hidden aliases are in no help group (group "").
CLI::Option* add_alias(CLI::App* cmd, const std::string& alias, std::string& variable,
                       const std::string& current, bool deprecated);

// Usage errors in --json mode: the document printed on stdout instead of the stderr lines.
// Default: {"schema": 1, "command": "sign", "ok": false, "exit_code": 2, "error": {...}}
// (docs/errors.md). A command whose --json document has more members sets its own shape.
using JsonErrorShape = std::function<nlohmann::json(nlohmann::json generic)>;
void set_json_error_shape(CLI::App* cmd, JsonErrorShape shape);
nlohmann::json json_error_document(const CLI::App* cmd, const Error& error);
// A unix time as UTC text: ISO 8601 ("2026-11-21T09:40:33Z", for JSON and machine-readable
// lines) or for people ("2026-11-21 09:40:33 UTC").
std::string iso_utc(std::int64_t unix_seconds);
std::string human_utc(std::int64_t unix_seconds);
// Combines exit codes of several items: the most severe wins (3 > 2 > 1 > 0).
int combine_exit(int a, int b);

}  // namespace wslplug::cli
