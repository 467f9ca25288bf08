// Help and parsing metadata of the command tree (see common.hpp): usage lines, value choices,
// exit-code details, hidden aliases and the --json usage-error document.
#include <fmt/format.h>

#include <map>
#include <set>

#include "common.hpp"

namespace wslplug::cli {

namespace {

struct Metadata {
  std::map<const CLI::App*, std::string> usage;
  std::map<const CLI::Option*, std::vector<std::string>> choices;
  std::map<const CLI::App*, std::vector<std::pair<int, std::string>>> exit_details;
  std::map<const CLI::App*, JsonErrorShape> json_error_shapes;
  std::map<const CLI::Option*, std::string> implicit_values;
  std::set<const CLI::Option*> value_optional;
};

Metadata& metadata() {
  static Metadata m;
  return m;
}

// "--output" for an option with a long name, else "-o"; positionals by their name.
std::string primary_name(const CLI::Option* opt) {
  if (!opt->get_lnames().empty()) return "--" + opt->get_lnames().front();
  if (!opt->get_snames().empty()) return "-" + opt->get_snames().front();
  return opt->get_name();
}

bool takes_many(const CLI::Option* opt) { return opt->get_items_expected_max() > 1; }

}  // namespace

std::string command_path(const CLI::App* cmd) {
  std::string path;
  for (const CLI::App* a = cmd; a != nullptr; a = a->get_parent())
    path = a->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

CLI::Option* set_value_optional(CLI::Option* opt) {
  metadata().value_optional.insert(opt);
  return opt;
}

bool value_optional(const CLI::Option* opt) { return metadata().value_optional.contains(opt); }

void set_usage(CLI::App* cmd, std::string after_path) {
  metadata().usage[cmd] = std::move(after_path);
}

std::string usage_line(const CLI::App* cmd) {
  const std::string path = command_path(cmd);
  if (auto it = metadata().usage.find(cmd); it != metadata().usage.end())
    return path + " " + it->second;
  std::string line = path;
  bool has_options = false;
  std::string required;
  for (const CLI::Option* opt : cmd->get_options()) {
    if (opt->get_positional() || opt->get_group().empty()) continue;
    if (opt == cmd->get_help_ptr()) continue;
    if (opt->get_required()) {
      required += " " + primary_name(opt);
      if (!opt->get_option_text().empty()) required += " " + opt->get_option_text();
    } else {
      has_options = true;
    }
  }
  if (!cmd->get_subcommands({}).empty()) {
    if (has_options) line += " [OPTIONS]";
    return line + " COMMAND";
  }
  for (const CLI::Option* opt : cmd->get_options()) {
    if (!opt->get_positional()) continue;
    std::string p = opt->get_name() + (takes_many(opt) ? "..." : "");
    line += " " + (opt->get_required() ? p : "[" + p + "]");
  }
  line += required;
  if (has_options) line += " [OPTIONS]";
  return line;
}

CLI::Option* set_choices(CLI::Option* opt, std::vector<std::string> values) {
  std::string text;
  for (const auto& v : values) text += (text.empty() ? "" : "|") + v;
  opt->option_text(text);
  metadata().choices[opt] = std::move(values);
  return opt;
}

CLI::Option* set_implicit_value(CLI::Option* opt, std::string value) {
  metadata().implicit_values[opt] = std::move(value);
  return opt;
}

const std::string* implicit_value_of(const CLI::Option* opt) {
  auto it = metadata().implicit_values.find(opt);
  return it == metadata().implicit_values.end() ? nullptr : &it->second;
}

const std::vector<std::string>& choices_of(const CLI::Option* opt) {
  static const std::vector<std::string> none;
  auto it = metadata().choices.find(opt);
  return it == metadata().choices.end() ? none : it->second;
}

void set_exit_codes(CLI::App* cmd, std::vector<std::pair<int, std::string>> details) {
  metadata().exit_details[cmd] = std::move(details);
}

std::string_view exit_code_meaning(int code) {
  switch (code) {
    case 0:
      return "success";
    case 1:
      return "the checked thing is bad";
    case 2:
      return "usage or input error";
    default:
      return "I/O or internal error";
  }
}

std::string exit_code_footer(const CLI::App* cmd) {
  std::string text = "Exit codes (docs/exit-codes.md):\n";
  const auto it = metadata().exit_details.find(cmd);
  for (int code = 0; code <= 3; ++code) {
    std::string line = fmt::format("  {}  {}", code, exit_code_meaning(code));
    if (it != metadata().exit_details.end()) {
      for (const auto& [c, detail] : it->second)
        if (c == code) line += ": " + detail;
    }
    text += line + "\n";
  }
  return text;
}

CLI::Option* add_alias(CLI::App* cmd, const std::string& alias, std::string& variable,
                       const std::string& current, bool deprecated) {
  auto* opt = cmd->add_option(alias, variable, "Old spelling of " + current);
  opt->group("");
  if (deprecated) {
    opt->each([alias, current](const std::string&) {
      warn(fmt::format("{} is deprecated; use {} (same values)", alias, current));
    });
  }
  return opt;
}

void set_json_error_shape(CLI::App* cmd, JsonErrorShape shape) {
  metadata().json_error_shapes[cmd] = std::move(shape);
}

nlohmann::json json_error_document(const CLI::App* cmd, const Error& error) {
  nlohmann::json doc = {{"schema", 1},
                        {"command", nullptr},
                        {"ok", false},
                        {"exit_code", exit_code(error.kind)},
                        {"error", error_json(error)}};
  if (cmd != nullptr && cmd->get_parent() != nullptr) {
    const std::string path = command_path(cmd);
    doc["command"] = path.substr(path.find(' ') + 1);
  }
  for (const CLI::App* a = cmd; a != nullptr; a = a->get_parent()) {
    if (auto it = metadata().json_error_shapes.find(a); it != metadata().json_error_shapes.end())
      return it->second(std::move(doc));
  }
  return doc;
}

}  // namespace wslplug::cli
