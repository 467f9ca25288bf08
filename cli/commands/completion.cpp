// wslplug completion SHELL: prints the shell completion script for bash, zsh, fish or PowerShell,
// generated from the live command tree (docs/completion_scripts.hpp), so it lists exactly the
// commands, options and values this binary has. The build runs it to install the scripts.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "common.hpp"
#include "docs/completion_model.hpp"
#include "docs/completion_scripts.hpp"
#include "wslplug/core/suggest.hpp"
#include "wslplug/core/text.hpp"

namespace wslplug::cli {
namespace {

struct CompletionFlags {
  std::string shell;
};

int run_completion(const CLI::App& root, const CompletionFlags& f) {
  const model::Command tree = model::read_tree(root);
  const auto script = completion_script(f.shell, tree);
  if (!script) {
    const std::vector<std::string> shells = {"bash", "zsh", "fish", "powershell"};
    const std::string near = suggest(f.shell, shells);
    return report(Error{ErrorKind::kInput,
                        fmt::format("no completion for the shell '{}'", printable(f.shell)),
                        {},
                        "SHELL",
                        near.empty() ? "use one of: bash, zsh, fish, powershell" : near});
  }
  if (const auto missing = model::undecided(tree); !missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
    warn(fmt::format(
        "no completion decided for {}: they complete to nothing (add them to the table in "
        "cli/docs/completion_model.cpp)",
        names));
  }
  fmt::print("{}", *script);
  return kExitOk;
}

}  // namespace

Runner setup_completion(CLI::App& root) {
  auto flags = std::make_shared<CompletionFlags>();
  auto* cmd = root.add_subcommand(
      "completion",
      "Print the shell completion script for bash, zsh, fish or PowerShell (commands, options "
      "and their values, from this binary's command definitions).");
  cmd->add_option("SHELL", flags->shell, "bash, zsh, fish or powershell")->required();
  set_examples(cmd, {"source <(wslplug completion bash)          # this bash session",
                     "wslplug completion zsh > ~/.zfunc/_wslplug   # ~/.zfunc in $fpath",
                     "wslplug completion fish > ~/.config/fish/completions/wslplug.fish",
                     "wslplug completion powershell | Out-String | Invoke-Expression", "",
                     "Installed packages (cmake --install, the .deb) already put the scripts "
                     "where bash-completion, zsh and fish look.",
                     "", "Exit codes: 0 printed, 2 unknown shell, 3 I/O error."});
  const CLI::App* app = &root;
  return [app, flags] { return run_completion(*app, *flags); };
}

}  // namespace wslplug::cli
