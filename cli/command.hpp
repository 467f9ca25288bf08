// Command registry: each cli/<command>.cpp registers itself with one static Registrar named
// kRegistrar. setup() adds the subcommand (flags, help, examples) and returns the function main()
// runs when that subcommand was given; it returns the process exit code. The order of the commands
// in --help is the one list kHelpOrder in app.cpp (add the new command's name there).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace wslplug::cli {

using Runner = std::function<int()>;

struct CommandSpec {
  std::string name;  // the subcommand name, e.g. "sign" or "cert"
  std::function<Runner(CLI::App& root)> setup;
};

std::vector<CommandSpec>& command_registry();

struct Registrar {
  explicit Registrar(CommandSpec spec) { command_registry().push_back(std::move(spec)); }
};

}  // namespace wslplug::cli
