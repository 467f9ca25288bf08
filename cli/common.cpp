#include "common.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>

#include "render/console.hpp"
#include "wslplug/core/json.hpp"

namespace wslplug::cli {

int report(const Error& error) {
  fmt::print(stderr, "wslplug: {} {}\n", paint(stderr, Tone::kError, "error:"), error.describe());
  if (!error.fix.empty()) fmt::print(stderr, "  fix: {}\n", error.fix);
  return exit_code(error.kind);
}

void warn(std::string_view message) {
  fmt::print(stderr, "wslplug: {} {}\n", paint(stderr, Tone::kWarning, "warning:"), message);
}
void note(std::string_view message) { status(message); }

nlohmann::json error_json(const Error& error) {
  const char* kind = "internal";
  switch (error.kind) {
    case ErrorKind::kBad:
      kind = "bad";
      break;
    case ErrorKind::kInput:
      kind = "input";
      break;
    case ErrorKind::kIo:
      kind = "io";
      break;
  }
  return {{"kind", kind},
          {"message", error.message},
          {"file", error.file},
          {"where", error.where},
          {"fix", error.fix}};
}

void print_json(const nlohmann::json& doc) { fmt::print("{}\n", json_text(doc, 2)); }

void set_examples(CLI::App* cmd, const std::vector<std::string>& examples) {
  std::string text = "\nExamples:\n";
  for (const auto& e : examples) text += "  " + e + "\n";
  cmd->footer(text);
}

namespace {
std::string format_utc(std::int64_t t, const char* format) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}
}  // namespace

std::string iso_utc(std::int64_t t) { return format_utc(t, "%Y-%m-%dT%H:%M:%SZ"); }
std::string human_utc(std::int64_t t) { return format_utc(t, "%Y-%m-%d %H:%M:%S UTC"); }

int combine_exit(int a, int b) { return a > b ? a : b; }

}  // namespace wslplug::cli
