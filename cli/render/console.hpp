// The console conventions every command shares: data goes to stdout, everything else (status,
// progress, warnings, errors, a toolchain's output) to stderr. The global flags -q/--quiet
// (no status lines), -v/--verbose (more detail) and --color=never|auto|always are defined here
// once and added to the root and to every subcommand, so they work before or after the command
// name. Colour is used only on a terminal, never when NO_COLOR is set (unless --color=always).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <string_view>

namespace wslplug::cli {

struct ConsoleFlags {
  bool quiet = false;
  int verbose = 0;
  std::string color = "auto";
};

// The process-wide flags (set by the parser).
ConsoleFlags& console_flags();
// Adds -q/--quiet, -v/--verbose and --color to `app` (bound to console_flags()).
void add_console_flags(CLI::App* app);

[[nodiscard]] bool quiet();
[[nodiscard]] bool verbose();

// What a piece of text is, for colour.
enum class Tone { kError, kWarning, kGood, kBad, kEmphasis };
// Whether text written to `stream` (stdout or stderr) is coloured.
[[nodiscard]] bool colour_on(std::FILE* stream);
// `text` wrapped in the ANSI colour of `tone` when colour is on for `stream`.
[[nodiscard]] std::string paint(std::FILE* stream, Tone tone, std::string_view text);

// A status line on stderr ("signed a.dll -> b.dll"); silenced by -q.
void status(std::string_view message);
// A detail line on stderr, shown only with -v.
void detail(std::string_view message);

}  // namespace wslplug::cli
