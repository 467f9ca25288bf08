// `wslplug help [COMMAND...]`: the help of a command (as `wslplug COMMAND --help`), or the
// top-level help.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "common.hpp"

namespace wslplug::cli {
namespace {}  // namespace

Runner setup_help(CLI::App& root) {
  auto words = std::make_shared<std::vector<std::string>>();
  auto* cmd = root.add_subcommand("help", "Show the help of a command (wslplug help sign)");
  cmd->add_option("COMMAND", *words, "The command, e.g. sign or cert new");
  set_usage(cmd, "[COMMAND...]");
  set_examples(cmd, {"wslplug help", "wslplug help sign", "wslplug help cert new"});
  return [words, root = &root]() -> int {
    const CLI::App* target = root;
    for (const auto& w : *words) {
      const CLI::App* next = nullptr;
      for (const CLI::App* sub : target->get_subcommands({}))
        if (!sub->get_name().empty() && sub->check_name(w)) next = sub;
      if (next == nullptr) {
        std::string names;
        for (const CLI::App* sub : target->get_subcommands({}))
          if (!sub->get_name().empty()) names += (names.empty() ? "" : ", ") + sub->get_name();
        return report(Error{ErrorKind::kInput,
                            fmt::format("'{}' is not a command of '{}'", w, command_path(target)),
                            {},
                            {},
                            names.empty() ? fmt::format("'{}' has no commands; see '{} --help'",
                                                        command_path(target), command_path(target))
                                          : fmt::format("the commands are: {}; see '{} --help'",
                                                        names, command_path(target))});
      }
      target = next;
    }
    // The formatter directly: App::help() of the root would show the chosen command's
    // help, and the chosen command is `help` itself.
    fmt::print("{}", target->get_formatter()->make_help(target, target->get_name(),
                                                        CLI::AppFormatMode::Normal));
    return kExitOk;
  };
}

}  // namespace wslplug::cli
