#include "wslplug/project/diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace wslplug::project {

namespace {

// `text` without ANSI escape sequences (a compiler may colour its output).
std::string without_ansi(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    pos = nl + 1;
  }
  return out;
}

std::optional<int> number(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "path:line[:col]" split into its parts; nullopt when there is no line number.
struct Location {
  std::string_view file;
  int line = 0;
  std::optional<int> column;
};
std::optional<Location> split_location(std::string_view s) {
  auto last = s.rfind(':');
  if (last == std::string_view::npos) return std::nullopt;
  auto tail = number(s.substr(last + 1));
  if (!tail) return std::nullopt;
  const std::string_view rest = s.substr(0, last);
  auto before = rest.rfind(':');
  if (before != std::string_view::npos) {
    if (auto line = number(rest.substr(before + 1)); line && before > 0)
      return Location{rest.substr(0, before), *line, *tail};
  }
  if (rest.empty()) return std::nullopt;
  return Location{rest, *tail, std::nullopt};
}

// The path as the report shows it: relative to the project folder when inside it.
std::string shown_path(std::string_view file, const fs::path& project_dir, const fs::path& cwd) {
  fs::path p(file);
  if (p.is_relative()) p = cwd / p;
  p = p.lexically_normal();
  const fs::path root = project_dir.lexically_normal();
  const fs::path rel = p.lexically_relative(root);
  if (!rel.empty() && *rel.begin() != ".." && rel.is_relative()) return rel.generic_string();
  return p.generic_string();
}

}  // namespace

std::vector<Diagnostic> parse_gcc_diagnostics(std::string_view output, const fs::path& project_dir,
                                              const fs::path& cwd) {
  std::vector<Diagnostic> out;
  const std::string text = without_ansi(output);
  static constexpr std::pair<std::string_view, std::string_view> kSeverities[] = {
      {": fatal error: ", "error"},
      {": error: ", "error"},
      {": warning: ", "warning"},
      {": note: ", "note"}};
  for (std::string_view line : lines_of(text)) {
    // The first severity marker on the line ends the location (a message may contain another).
    std::size_t at = std::string_view::npos;
    const std::pair<std::string_view, std::string_view>* found = nullptr;
    for (const auto& s : kSeverities) {
      const auto p = line.find(s.first);
      if (p != std::string_view::npos && p < at) {
        at = p;
        found = &s;
      }
    }
    if (found == nullptr) continue;
    auto loc = split_location(line.substr(0, at));
    if (!loc) continue;
    Diagnostic d;
    d.file = shown_path(loc->file, project_dir, cwd);
    d.line = loc->line;
    d.column = loc->column;
    d.severity = std::string(found->second);
    d.message = std::string(line.substr(at + found->first.size()));
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<Diagnostic> parse_rustc_diagnostics(std::string_view output,
                                                const fs::path& project_dir, const fs::path& cwd) {
  std::vector<Diagnostic> out;
  const std::string text = without_ansi(output);
  const auto lines = lines_of(text);
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    const std::string_view line = lines[i];
    std::string severity;
    std::size_t rest = 0;
    for (std::string_view s : {"error", "warning", "note"}) {
      if (line.starts_with(s) && line.size() > s.size() &&
          (line[s.size()] == ':' || line[s.size()] == '[')) {
        severity = std::string(s);
        rest = s.size();
        break;
      }
    }
    if (severity.empty()) continue;
    std::string code;
    if (line[rest] == '[') {
      const auto close = line.find(']', rest);
      if (close == std::string_view::npos) continue;
      code = std::string(line.substr(rest + 1, close - rest - 1));
      rest = close + 1;
    }
    if (!line.substr(rest).starts_with(": ")) continue;
    // The location is on the next line: "  --> src/lib.rs:3:5".
    std::string_view next = lines[i + 1];
    const auto arrow = next.find("--> ");
    if (arrow == std::string_view::npos ||
        next.substr(0, arrow).find_first_not_of(' ') != std::string_view::npos)
      continue;
    auto loc = split_location(next.substr(arrow + 4));
    if (!loc) continue;
    Diagnostic d;
    d.file = shown_path(loc->file, project_dir, cwd);
    d.line = loc->line;
    d.column = loc->column;
    d.severity = severity;
    d.message = std::string(line.substr(rest + 2));
    d.code = std::move(code);
    out.push_back(std::move(d));
    ++i;
  }
  return out;
}

std::string diagnostics_summary(const std::vector<Diagnostic>& diagnostics) {
  std::size_t errors = 0, warnings = 0;
  const Diagnostic* first_error = nullptr;
  for (const auto& d : diagnostics) {
    if (d.severity == "error") {
      ++errors;
      if (first_error == nullptr) first_error = &d;
    } else if (d.severity == "warning") {
      ++warnings;
    }
  }
  if (errors == 0 && warnings == 0) return {};
  std::string s;
  if (errors > 0) s = fmt::format("{} error{}", errors, errors == 1 ? "" : "s");
  if (warnings > 0)
    s += fmt::format("{}{} warning{}", s.empty() ? "" : ", ", warnings, warnings == 1 ? "" : "s");
  if (first_error != nullptr)
    s += fmt::format("; first error at {}:{}", first_error->file, first_error->line);
  return s;
}

}  // namespace wslplug::project
