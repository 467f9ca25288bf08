// The wslplug(1) manual page, generated from the command tree's model (completion_model.hpp).
#pragma once

#include <string>

#include "docs/completion_model.hpp"

namespace wslplug::cli {

// wslplug(1) in roff for the tree `root`.
std::string man_page(const model::Command& root);

}  // namespace wslplug::cli
