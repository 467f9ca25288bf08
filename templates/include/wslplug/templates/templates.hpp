// The scaffold templates of `wslplug new`: the template files (templates/rust, templates/cpp,
// compiled into the binary by embed_templates.cmake) and the tiny template language they are
// written in. What a project is made of (names, hooks, the manifest) is the project library's
// business (wslplug/project/scaffold.hpp); this library knows files and text only.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>

#include "wslplug/core/error.hpp"

namespace wslplug::templates {

struct TemplateFile {
  std::string_view path;  // relative to templates/: "rust/src/lib.rs", "cpp/dot-gitignore"
  std::string_view content;
};
// Every embedded template file, sorted by path.
std::span<const TemplateFile> embedded_files();

// A tiny template language: {{var}} substitutes; a line holding only {{#flag}} ... {{/flag}}
// keeps the lines between when the flag is set, {{^flag}} ... {{/flag}} when it is not.
// Unknown variables or flags and unbalanced sections are errors naming the template.
using Vars = std::map<std::string, std::string, std::less<>>;
using Flags = std::map<std::string, bool, std::less<>>;
Result<std::string> render(std::string_view text, const Vars& vars, const Flags& flags,
                           std::string_view template_name);

// Where a template file goes in the project: every path part named "dot-X" becomes ".X"
// ("dot-cargo/config.toml" -> ".cargo/config.toml"), so dot files live in the source tree
// under visible names.
std::string project_path(std::string_view template_path);

}  // namespace wslplug::templates
