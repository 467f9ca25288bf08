// Command registry: each cli/<command>.cpp registers itself with a static Registrar, so adding a
// command never touches main.cpp. setup() adds the subcommand (flags, help, examples) and returns
// the function main() runs when that subcommand was given; it returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace wslplug::cli {

using Runner = std::function<int()>;

struct CommandSpec {
  std::string name;  // the subcommand name, e.g. "sign" or "cert"
  int order;         // position in --help
  std::function<Runner(CLI::App& root)> setup;
};

std::vector<CommandSpec>& command_registry();

struct Registrar {
  explicit Registrar(CommandSpec spec) { command_registry().push_back(std::move(spec)); }
};

}  // namespace wslplug::cli
