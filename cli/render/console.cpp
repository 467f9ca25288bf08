// Global console flags, colour and status lines (see console.hpp).
#include "render/console.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "common.hpp"

namespace wslplug::cli {

ConsoleFlags& console_flags() {
  static ConsoleFlags flags;
  return flags;
}

void add_console_flags(CLI::App* app) {
  auto& f = console_flags();
  app->add_flag("-q,--quiet", f.quiet, "Print no status lines (data and errors only)");
  app->add_flag("-v,--verbose", f.verbose, "Print more detail on stderr");
  set_implicit_value(
      set_choices(app->add_option("--color", f.color,
                                  "Colour: never, auto (on a terminal, default) or always (also "
                                  "a bare --color)")
                      ->check(CLI::IsMember({"never", "auto", "always"})),
                  {"never", "auto", "always"}),
      "always");
}

bool quiet() { return console_flags().quiet; }
bool verbose() { return console_flags().verbose > 0 && !console_flags().quiet; }

bool colour_on(std::FILE* stream) {
  const auto& mode = console_flags().color;
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(::fileno(stream)) == 1;
}

std::string paint(std::FILE* stream, Tone tone, std::string_view text) {
  if (!colour_on(stream)) return std::string(text);
  const char* code = "1";
  switch (tone) {
    case Tone::kError:
      code = "1;31";
      break;
    case Tone::kWarning:
      code = "1;33";
      break;
    case Tone::kGood:
      code = "1;32";
      break;
    case Tone::kBad:
      code = "1;31";
      break;
    case Tone::kEmphasis:
      code = "1";
      break;
  }
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

void status(std::string_view message) {
  if (quiet()) return;
  fmt::print(stderr, "{}\n", message);
}

void detail(std::string_view message) {
  if (!verbose()) return;
  fmt::print(stderr, "{}\n", message);
}

}  // namespace wslplug::cli
