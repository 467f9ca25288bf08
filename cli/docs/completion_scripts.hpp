// The shell completion scripts, generated from the command tree's model (completion_model.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "docs/completion_model.hpp"

namespace wslplug::cli {

// The completion script of `shell` (bash, zsh, fish or powershell) for the tree `root`; nullopt
// for any other shell.
std::optional<std::string> completion_script(std::string_view shell, const model::Command& root);

}  // namespace wslplug::cli
