// wslplug manpage: prints wslplug(1) in roff, generated from the live command tree
// (docs/manpage.hpp). Hidden from --help; the build runs it to install the page.
#include "docs/manpage.hpp"

#include <fmt/format.h>

#include "commands/commands.hpp"
#include "common.hpp"
#include "docs/completion_model.hpp"

namespace wslplug::cli {

Runner setup_manpage(CLI::App& root) {
  auto* cmd = root.add_subcommand("manpage", "Print the wslplug(1) manual page (roff)");
  cmd->group("");  // hidden: the build installs the page; `man wslplug` reads it
  const CLI::App* app = &root;
  return [app] {
    fmt::print("{}", man_page(model::read_tree(*app)));
    return kExitOk;
  };
}

}  // namespace wslplug::cli
