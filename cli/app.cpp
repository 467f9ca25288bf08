// The command tree (see app.hpp): building it, the help formatter, and parsing with one error
// format. CLI11 parses; a scan of the arguments before it gives the precise errors CLI11 would
// word vaguely or not at all (unknown command or option with a suggestion, a missing value, a
// value option given twice, a flag's value that is neither true nor false), gives bare options
// their implicit value (`--color`) and makes `--` end options in every command. `wslplug` alone
// prints a short help; whatever ran, a failed write to stdout is an I/O error (exit 3).
#include "app.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <string_view>

#include "build_info.hpp"
#include "common.hpp"
#include "render/console.hpp"
#include "wslplug/core/suggest.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/core/version.hpp"

namespace wslplug::cli {

namespace {

namespace fs = std::filesystem;

// ------------------------------------------------------------------------- help formatter

class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter() { column_width(34); }

  std::string make_usage(const CLI::App* app, std::string) const override {
    return "Usage: " + usage_line(app) + "\n";
  }

  std::string make_option_name(const CLI::Option* opt, bool is_positional) const override {
    if (is_positional)
      return opt->get_name(true, false) + (opt->get_items_expected_max() > 1 ? "..." : "");
    return opt->get_name(false, true);
  }

  // The metavar only ("--cert FILE"), never CLI11's type names and validator descriptions.
  std::string make_option_opts(const CLI::Option* opt) const override {
    if (opt->get_positional() || opt->get_option_text().empty()) return {};
    return " " + opt->get_option_text();
  }

  std::string make_option_desc(const CLI::Option* opt) const override {
    std::string desc = opt->get_description();
    const std::string def = opt->get_default_str();
    if (!def.empty() && desc.find("default") == std::string::npos)
      desc += fmt::format(" (default: {})", def);
    if (opt->get_required() && !opt->get_positional()) desc += " (required)";
    return desc;
  }

  std::string make_footer(const CLI::App* app) const override {
    std::string footer = app->get_footer();
    footer.erase(0, footer.find_first_not_of('\n'));
    if (!footer.empty()) footer += footer.back() == '\n' ? "\n" : "\n\n";
    return footer + exit_code_footer(app);
  }
};

// A metavar for an option that did not name one, from CLI11's type name ("TEXT:FILE" -> FILE).
std::string fallback_metavar(const CLI::Option* opt) {
  const std::string type = opt->get_type_name();
  const auto colon = type.find(':');
  const std::string base = type.substr(0, colon);
  const std::string check = colon == std::string::npos ? "" : type.substr(colon + 1);
  if (check.starts_with("FILE")) return "FILE";
  if (check.starts_with("DIR")) return "DIR";
  if (check.starts_with("PATH")) return "PATH";
  if (base == "INT" || base == "UINT") return "N";
  if (base == "FLOAT") return "NUMBER";
  return "VALUE";
}

bool takes_value(const CLI::Option* opt) { return opt->get_items_expected_max() > 0; }

void finish(CLI::App& app, const std::shared_ptr<CLI::FormatterBase>& formatter) {
  app.formatter(formatter);
  for (CLI::Option* opt : app.get_options([](const CLI::Option*) { return true; })) {
    if (opt->get_positional()) {
      // Every positional wants at least one item, so that after `--` CLI11 keeps the rest of
      // the arguments in this command (it hands them to the parent when nothing is still
      // wanted). Not required ones may still be left out.
      if (opt->get_items_expected_max() > 1)
        opt->expected(1, CLI::detail::expected_max_vector_size);
      continue;
    }
    if (!takes_value(opt)) continue;
    // One value per occurrence: repeat the flag for more.
    opt->allow_extra_args(false);
    if (opt->get_option_text().empty()) opt->option_text(fallback_metavar(opt));
  }
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    finish(*sub, formatter);
}

// --------------------------------------------------------------------------- suggestions

std::vector<std::string> command_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app->get_subcommands({})) {
    if (sub->get_name().empty() || sub->get_group().empty()) continue;
    names.push_back(sub->get_name());
  }
  return names;
}

std::vector<std::string> visible_long_options(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app->get_options()) {
    if (opt->get_group().empty()) continue;
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
  }
  return names;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : std::string(sep)) + i;
  return out;
}

// ------------------------------------------------------------------------------ the scan

// The value of a flag given as --flag=VALUE, read as CLI11 reads it: true, yes, on, 1...; false,
// no, off, 0...; nullopt for anything else.
std::optional<bool> flag_value(std::string_view value) {
  const std::string v = ascii_lower(value);
  for (std::string_view t : {"true", "t", "yes", "y", "on", "enable", "1", "+"})
    if (v == t) return true;
  for (std::string_view f : {"false", "f", "no", "n", "off", "disable", "0", "-"})
    if (v == f) return false;
  return std::nullopt;
}

bool is_choice(const CLI::Option* opt, const std::string& word) {
  const auto& choices = choices_of(opt);
  return std::find(choices.begin(), choices.end(), word) != choices.end();
}

struct Scan {
  const CLI::App* app = nullptr;  // the deepest command reached
  bool json = false;              // --json before any `--`
  bool help = false;              // -h/--help reached: help wins over other mistakes
  std::optional<Error> error;
  std::vector<std::string> args;  // the arguments as CLI11 gets them
};

const CLI::App* find_command(const CLI::App* app, const std::string& word) {
  for (const CLI::App* sub : app->get_subcommands({}))
    if (!sub->get_name().empty() && sub->check_name(word)) return sub;
  return nullptr;
}

const CLI::Option* find_long(const CLI::App* app, const std::string& name) {
  for (const CLI::Option* opt : app->get_options())
    if (!opt->get_positional() && opt->check_lname(name)) return opt;
  return nullptr;
}

const CLI::Option* find_short(const CLI::App* app, char c) {
  for (const CLI::Option* opt : app->get_options())
    if (!opt->get_positional() && opt->check_sname(std::string(1, c))) return opt;
  return nullptr;
}

bool has_positionals(const CLI::App* app) {
  return !app->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
}

// How many positional items `app` accepts in all (large for a list).
std::size_t positional_capacity(const CLI::App* app) {
  std::size_t n = 0;
  for (const CLI::Option* opt : app->get_options())
    if (opt->get_positional()) n += static_cast<std::size_t>(opt->get_items_expected_max());
  return n;
}

// A short option cluster ("-o", "-oFILE"), as CLI11 classifies it: a dash and a digit is a
// (negative) number unless the command has that short option.
bool is_short_option(const CLI::App* app, const std::string& t) {
  if (t.size() < 2 || t[0] != '-' || t[1] == '-') return false;
  if (t[1] >= '0' && t[1] <= '9') return find_short(app, t[1]) != nullptr;
  return true;
}

bool is_long_option(const std::string& t) { return t.size() > 2 && t.starts_with("--"); }

// A token that cannot be the value of the option before it: a long option, or one of this
// command's short options. Values that start with "--" are written --opt=VALUE.
bool looks_like_option(const CLI::App* app, const std::string& t) {
  if (is_long_option(t)) return true;
  return is_short_option(app, t) && find_short(app, t[1]) != nullptr;
}

std::string option_shown(const CLI::Option* opt, const std::string& as_typed) {
  return opt->get_option_text().empty() ? as_typed : as_typed + " " + opt->get_option_text();
}

Scan scan(const CLI::App& root, const std::vector<std::string>& tokens) {
  Scan s;
  s.app = &root;
  for (const auto& t : tokens) {
    if (t == "--") break;
    if (t == "--json") s.json = true;
    if (t.starts_with("--json=")) s.json = flag_value(t.substr(7)).value_or(false);
  }
  std::vector<std::string> args = tokens;  // with bare options given their implicit value
  std::vector<std::string> out, positionals;
  std::vector<std::size_t> empty_values;  // where an optional value was left out (tokens index)
  std::map<const CLI::Option*, int> given;
  bool positional_only = false, saw_end_of_options = false;
  auto fail = [&](std::string message, std::string where, std::string fix) {
    s.error = usage_error(s.app, std::move(message), std::move(where), std::move(fix));
    return s;
  };
  // The value of `opt` (typed as `typed`) at tokens[i + 1]; false after setting the error.
  auto take_value = [&](const CLI::Option* opt, const std::string& typed, std::size_t& i) {
    const bool no_value = i + 1 >= tokens.size() || looks_like_option(s.app, tokens[i + 1]);
    // An option whose value may be left out (doctor --dll) gets "" for CLI11.
    if (no_value && value_optional(opt)) {
      out.push_back("");
      empty_values.push_back(i + 1);
      return true;
    }
    if (no_value) {
      fail(fmt::format("option '{}' needs a value", typed), typed,
           fmt::format("write {} (a value that starts with '--' as {}=VALUE)",
                       option_shown(opt, typed), typed));
      return false;
    }
    out.push_back(tokens[++i]);
    return true;
  };
  auto count_use = [&](const CLI::Option* opt, const std::string& typed) {
    if (!takes_value(opt) || opt->get_items_expected_max() > 1) return true;
    if (++given[opt] < 2) return true;
    fail(fmt::format("option '{}' was given more than once; it takes one value", typed), typed,
         fmt::format("give {} once", typed));
    return false;
  };

  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (positional_only) {
      positionals.push_back(t);
      continue;
    }
    if (t == "--") {
      positional_only = saw_end_of_options = true;
      continue;
    }
    if (is_long_option(t)) {
      const auto eq = t.find('=');
      const std::string name = t.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      const CLI::Option* opt = find_long(s.app, name);
      const std::string typed = "--" + name;
      if (opt == nullptr) {
        return fail(fmt::format("unknown option '{}' for '{}'", typed, command_path(s.app)), typed,
                    suggest(typed, visible_long_options(s.app)));
      }
      if (opt == s.app->get_help_ptr()) {
        s.help = true;
        return s;
      }
      out.push_back(t);
      if (!count_use(opt, typed)) return s;
      if (!takes_value(opt) && eq != std::string::npos && !flag_value(t.substr(eq + 1))) {
        return fail(
            fmt::format("'{}' is not a value of the flag {}", printable(t.substr(eq + 1)), typed),
            typed, fmt::format("write {} alone, or {}=true or {}=false", typed, typed, typed));
      }
      if (!takes_value(opt) || eq != std::string::npos) continue;
      if (const std::string* implicit = implicit_value_of(opt);
          implicit != nullptr && (i + 1 >= tokens.size() || !is_choice(opt, tokens[i + 1]))) {
        out.back() = args[i] = typed + "=" + *implicit;
        continue;
      }
      if (!take_value(opt, typed, i)) return s;
      continue;
    }
    if (is_short_option(s.app, t)) {
      out.push_back(t);
      for (std::size_t j = 1; j < t.size(); ++j) {
        const CLI::Option* opt = find_short(s.app, t[j]);
        const std::string typed = fmt::format("-{}", t[j]);
        if (opt == nullptr)
          return fail(fmt::format("unknown option '{}' for '{}'", typed, command_path(s.app)),
                      typed, "");
        if (opt == s.app->get_help_ptr()) {
          s.help = true;
          return s;
        }
        if (!count_use(opt, typed)) return s;
        if (takes_value(opt)) {
          if (j + 1 == t.size() && !take_value(opt, typed, i)) return s;
          break;  // the rest of the token is the value
        }
      }
      continue;
    }
    if (!s.app->get_subcommands({}).empty()) {
      if (const CLI::App* sub = find_command(s.app, t)) {
        out.push_back(t);
        s.app = sub;
        given.clear();
        continue;
      }
      if (!has_positionals(s.app)) {
        const auto names = command_names(s.app);
        const std::string near = suggest(t, names);
        const std::string what = s.app->get_parent() == nullptr
                                     ? "a wslplug command"
                                     : fmt::format("a '{}' command", command_path(s.app));
        return fail(fmt::format("'{}' is not {}", printable(t), what), {},
                    !near.empty() ? near : fmt::format("the commands are: {}", join(names, ", ")));
      }
    }
    positionals.push_back(t);
  }
  if (positionals.size() > positional_capacity(s.app)) {
    const std::string& extra = positionals[positional_capacity(s.app)];
    const std::size_t cap = positional_capacity(s.app);
    return fail(fmt::format("unexpected argument '{}'", printable(extra)), {},
                cap == 0 ? fmt::format("'{}' takes no arguments", command_path(s.app))
                         : fmt::format("'{}' takes at most {} argument{}", command_path(s.app), cap,
                                       cap == 1 ? "" : "s"));
  }
  if (saw_end_of_options) {
    // CLI11 keeps what follows `--` in the command only while a positional still wants an
    // item, so all positionals go after one `--`, in the order given.
    if (!positionals.empty()) out.push_back("--");
    out.insert(out.end(), positionals.begin(), positionals.end());
    s.args = std::move(out);
  } else {
    // The arguments with bare options given their implicit value, and "" where an optional
    // value was left out.
    s.args.clear();
    std::size_t next = 0;
    for (std::size_t i = 0; i <= args.size(); ++i) {
      while (next < empty_values.size() && empty_values[next] == i) {
        s.args.emplace_back();
        ++next;
      }
      if (i < args.size()) s.args.push_back(std::move(args[i]));
    }
  }
  return s;
}

// ------------------------------------------------------------------ CLI11's own errors

const CLI::App* deepest_parsed(const CLI::App* app) {
  for (const CLI::App* sub : app->get_subcommands({}))
    if (sub->parsed() && !sub->get_name().empty()) return deepest_parsed(sub);
  return app;
}

// CLI11's message for what the scan cannot see (a missing required item, a value a validator
// refused), in the one error format.
Error from_parse_error(const CLI::App* app, const CLI::ParseError& e) {
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
    for (const CLI::Option* opt : app->get_options()) {
      if (!opt->get_required() || opt->count() > 0) continue;
      if (opt->get_positional()) {
        return usage_error(app, fmt::format("missing {}", opt->get_name()), {},
                           fmt::format("give {} ({})", opt->get_name(), opt->get_description()));
      }
      const std::string name = opt->get_name(false, false);
      return usage_error(app, fmt::format("missing option {}", name), name,
                         fmt::format("add {}", option_shown(opt, name)));
    }
    if (!app->get_subcommands({}).empty()) {
      return usage_error(app, fmt::format("'{}' needs a command", command_path(app)), {},
                         fmt::format("give one of: {}", join(command_names(app), ", ")));
    }
  }
  std::string message = e.what();
  if (!message.empty() && message.back() == '\n') message.pop_back();
  // "--dll: File does not exist: x.dll" (CLI::ExistingFile): the path is the error's file.
  if (dynamic_cast<const CLI::ValidationError*>(&e) != nullptr) {
    const auto colon = message.find(": ");
    const std::string name = message.substr(0, colon);
    const std::string rest = colon == std::string::npos ? "" : message.substr(colon + 2);
    struct FileCheck {
      std::string_view says, message, fix;
    };
    for (const FileCheck& c :
         {FileCheck{"File does not exist: ", "no such file", "check the path"},
          FileCheck{"File is actually a directory: ", "a directory, not a file",
                    "give the path of a file in it"}}) {
      if (!rest.starts_with(c.says)) continue;
      const bool option = name.starts_with("-");
      return Error{ErrorKind::kInput, std::string(c.message), rest.substr(c.says.size()),
                   option ? name : std::string(), std::string(c.fix)};
    }
  }
  // "Could not convert: --days = many"
  constexpr std::string_view kConvert = "Could not convert: ";
  if (const auto eq = message.find(" = ");
      message.starts_with(kConvert) && eq != std::string::npos) {
    const std::string name = message.substr(kConvert.size(), eq - kConvert.size());
    const std::string value = message.substr(eq + 3);
    const CLI::Option* opt = nullptr;
    for (const CLI::Option* o : app->get_options())
      if (o->get_name(false, false) == name || o->check_name(name)) opt = o;
    return usage_error(app, fmt::format("'{}' is not a valid value for {}", printable(value), name),
                       name,
                       opt != nullptr && !opt->get_option_text().empty()
                           ? fmt::format("give {} {}", name, opt->get_option_text())
                           : "");
  }
  return usage_error(app, message, {}, "");
}

int report_usage(const CLI::App* app, const Error& error, bool json) {
  if (json) {
    print_json(json_error_document(app, error));
    return exit_code(error.kind);
  }
  // On stderr the message names the option already ("unknown option '--sing' for ...").
  Error shown = error;
  if (!shown.where.empty() && shown.message.find(shown.where) != std::string::npos)
    shown.where.clear();
  return report(shown);
}

}  // namespace

void finish_app(CLI::App& root) { finish(root, std::make_shared<HelpFormatter>()); }

BuiltApp build_app() {
  BuiltApp built;
  built.app = std::make_unique<CLI::App>(
      "wslplug: build, sign, register and diagnose Windows Subsystem for Linux plugins, from any "
      "machine.",
      "wslplug");
  CLI::App& app = *built.app;
  app.formatter(std::make_shared<HelpFormatter>());
  app.set_help_flag("-h,--help", "Show this help (also: wslplug help COMMAND)");
  app.set_version_flag("-V,--version", version_line(), "Show the version (also: wslplug version)");
  app.require_subcommand(1);
  app.fallthrough(false);
  app.add_option("-C", *built.directory,
                 "Run as if wslplug was started in DIR (as git -C): its project, relative paths "
                 "and outputs are DIR's")
      ->option_text("DIR");
  set_examples(&app, {"wslplug new my-plugin && cd my-plugin && wslplug build --sign",
                      "wslplug -C my-plugin register --ps1   # the project's DLL, name and folder",
                      "wslplug cert new --out-dir certs",
                      "wslplug sign plugin.dll --cert certs/cert.pem --key certs/key.pem "
                      "--in-place",
                      "wslplug verify plugin.dll --ca certs/cert.pem",
                      "wslplug doctor Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f",
                      "wslplug register --ps1 --source build/my_plugin.dll", "wslplug help sign"});

  for (const Command& command : command_table()) {
    Runner run = command.setup(app);
    built.runners.emplace_back(app.get_subcommand(std::string(command.name)), std::move(run));
  }
  // -q, -v and --color work before and after the command name, at every level.
  std::function<void(CLI::App*)> add_console = [&](CLI::App* a) {
    add_console_flags(a);
    for (auto* sub : a->get_subcommands({})) add_console(sub);
  };
  add_console(&app);
  finish_app(app);
  return built;
}

namespace {

// The name of a group of commands in the short help.
std::string_view group_name(Group group) {
  switch (group) {
    case Group::kProject:
      return "project";
    case Group::kSigning:
      return "signing";
    case Group::kRegister:
      return "register";
    case Group::kDiagnose:
      return "diagnose";
    case Group::kMeta:
      return "more";
  }
  return "more";
}

// What `wslplug` alone prints: the usage, the commands by group and where the full help is.
std::string short_help(const CLI::App& app) {
  std::string text =
      fmt::format("{}\n\nUsage: {}\n\nCommands:\n", app.get_description(), usage_line(&app));
  std::vector<std::pair<Group, std::string>> lines;
  for (const Command& c : command_table()) {
    const CLI::App* sub = find_command(&app, std::string(c.name));
    if (sub == nullptr || sub->get_group().empty()) continue;  // hidden
    if (lines.empty() || lines.back().first != c.group) lines.emplace_back(c.group, std::string());
    lines.back().second += (lines.back().second.empty() ? "" : ", ") + std::string(c.name);
  }
  for (const auto& [group, names] : lines)
    text += fmt::format("  {:<10}{}\n", group_name(group), names);
  return text +
         "\nsee 'wslplug --help' for what each command does, 'wslplug help COMMAND' for one of "
         "them\n";
}

// Parses and runs; the stdout check is the caller's.
int parse_and_run_command(BuiltApp& built, int argc, const char* const* argv) {
  CLI::App& app = *built.app;
  std::vector<std::string> tokens(argv + std::min(argc, 1), argv + argc);
  if (tokens.empty()) {
    fmt::print("{}", short_help(app));
    return kExitOk;
  }
  Scan s = scan(app, tokens);
  invocation() = Invocation{s.app, s.json};
  if (s.error) return report_usage(s.app, *s.error, s.json);
  if (s.help) {
    fmt::print("{}", s.app->help());
    return kExitOk;
  }
  try {
    std::vector<std::string> reversed(s.args.rbegin(), s.args.rend());
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    fmt::print("{}", s.app->help());
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    fmt::print("{}", s.app->help());
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    fmt::print("{}\n", e.what());
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    const CLI::App* at = deepest_parsed(&app);
    if (at == &app) at = s.app;
    invocation().command = at;
    return report_usage(at, from_parse_error(at, e), s.json);
  }
  const CLI::App* chosen = deepest_parsed(&app);
  invocation().command = chosen;
  if (const CLI::Option* json = chosen->get_option_no_throw("--json"); json != nullptr)
    invocation().json = json->count() > 0 && json->as<bool>();
  if (!built.directory->empty()) {
    // -C DIR: everything after it happens in DIR, as if wslplug was started there.
    const std::string& dir = *built.directory;
    std::error_code ec;
    const bool exists = fs::exists(dir, ec);
    if (!exists || !fs::is_directory(dir, ec))
      return report_usage(
          chosen,
          Error{ErrorKind::kInput, exists ? "-C names a file, not a folder" : "no such folder", dir,
                "-C",
                "give an existing folder: wslplug -C DIR COMMAND runs COMMAND as "
                "if started in DIR"},
          s.json);
    fs::current_path(dir, ec);
    if (ec)
      return report_usage(chosen,
                          Error{ErrorKind::kIo, "cannot change into the folder: " + ec.message(),
                                dir, "-C", "check the folder's permissions"},
                          s.json);
  }
  for (auto& [cmd, run] : built.runners) {
    if (cmd != nullptr && cmd->parsed()) {
      try {
        return run();
      } catch (const std::exception& e) {
        // A write to stdout that failed is reported by the caller's stdout check.
        if (std::ferror(stdout)) return kExitIo;
        return report_usage(chosen,
                            Error{ErrorKind::kInternal,
                                  fmt::format("internal error: {}", e.what()),
                                  {},
                                  {},
                                  "please report this with the command line that caused it"},
                            s.json);
      }
    }
  }
  return report_usage(chosen, usage_error(chosen, "no command given"), s.json);
}

}  // namespace

int parse_and_run(BuiltApp& built, int argc, const char* const* argv) {
  int rc = kExitOk;
  try {
    rc = parse_and_run_command(built, argc, argv);
  } catch (const std::exception& e) {
    // fmt throws when stdout refuses a write (the check below reports it); anything else is
    // a bug.
    rc = kExitIo;
    if (!std::ferror(stdout))
      report(Error{ErrorKind::kInternal,
                   fmt::format("internal error: {}", e.what()),
                   {},
                   {},
                   "please report this with the command line that caused it"});
  }
  // Data that did not reach stdout (a full disk, a closed pipe or file) is a failed command.
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  const int flush_errno = errno;
  if (!flushed || std::ferror(stdout)) {
    const std::string cause =
        flush_errno != 0 ? std::string(": ") + std::strerror(flush_errno) : std::string();
    report(Error{ErrorKind::kIo,
                 "cannot write to standard output" + cause,
                 "<stdout>",
                 {},
                 "check where standard output goes (a full disk, a closed pipe)"});
    rc = combine_exit(rc, kExitIo);
  }
  return rc;
}

}  // namespace wslplug::cli
