// `wslplug help [COMMAND...]`: the help of a command (as `wslplug COMMAND --help`), or the
// top-level help.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands/commands.hpp"
#include "common.hpp"
#include "wslplug/core/suggest.hpp"
#include "wslplug/core/text.hpp"

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
        std::vector<std::string> names;
        for (const CLI::App* sub : target->get_subcommands({}))
          if (!sub->get_name().empty() && !sub->get_group().empty())
            names.push_back(sub->get_name());
        std::string fix = suggest(w, names);
        if (fix.empty())
          fix = names.empty() ? fmt::format("'{}' has no commands", command_path(target))
                              : fmt::format("the commands are: {}", fmt::join(names, ", "));
        return report(usage_error(
            target,
            fmt::format("'{}' is not a command of '{}'", printable(w), command_path(target)), {},
            std::move(fix)));
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
