// The whole command line as one CLI11 tree: build_app() makes the root app, lets every command
// of the table (cli/commands/commands.hpp) add its subcommand in the table's order, and
// normalises every option the same way (one value per occurrence, metavars instead of CLI11
// type names, the help formatter with the shared exit-code footer). main() parses with it; the
// completion and man page generators walk the same tree, so they cannot drift from the parser.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "commands/commands.hpp"

namespace wslplug::cli {

struct BuiltApp {
  std::unique_ptr<CLI::App> app;
  // The runner of each command that registered one, by its subcommand.
  std::vector<std::pair<CLI::App*, Runner>> runners;
  // -C DIR before the command: the folder the command runs in (as git -C).
  std::shared_ptr<std::string> directory = std::make_shared<std::string>();
};

BuiltApp build_app();

// Parses argv with the built app and runs the chosen command; returns the process exit code.
// Every usage error is reported in the one error format (common.hpp) and exits 2.
int parse_and_run(BuiltApp& built, int argc, const char* const* argv);

// The normalisation build_app() applies, exposed for the tests of the tree.
void finish_app(CLI::App& root);

}  // namespace wslplug::cli
