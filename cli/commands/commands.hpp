// The commands of wslplug: one setup function per command (cli/commands/<command>.cpp) and one
// table (cli/commands/table.cpp) that lists them in the order --help shows them, each with its
// group. A setup function adds the subcommand to the root app (flags, help, examples) and returns
// the function main() runs when that subcommand was given; it returns the process exit code.
// A new command is one file here and one row in the table.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <span>
#include <string_view>

namespace wslplug::cli {

using Runner = std::function<int()>;

// What a command is for; the table lists the commands group by group.
enum class Group {
  kProject,   // make, build and run a plugin project
  kSigning,   // certificates and Authenticode signatures
  kRegister,  // register the plugin with WSL
  kDiagnose,  // explain errors and check files
  kMeta,      // help, version, man page, shell completion
};

struct Command {
  std::string_view name;  // the subcommand name, e.g. "sign" or "cert"
  Group group;
  Runner (*setup)(CLI::App& root);
};

// Every command, in the order --help lists them.
std::span<const Command> command_table();

Runner setup_new(CLI::App& root);
Runner setup_init(CLI::App& root);
Runner setup_build(CLI::App& root);
Runner setup_run(CLI::App& root);
Runner setup_cert(CLI::App& root);
Runner setup_sign(CLI::App& root);
Runner setup_prepare(CLI::App& root);
Runner setup_finish(CLI::App& root);
Runner setup_verify(CLI::App& root);
Runner setup_unsign(CLI::App& root);
Runner setup_timestamp(CLI::App& root);
Runner setup_attach(CLI::App& root);
Runner setup_extract(CLI::App& root);
Runner setup_register(CLI::App& root);
Runner setup_unregister(CLI::App& root);
Runner setup_doctor(CLI::App& root);
Runner setup_help(CLI::App& root);
Runner setup_version(CLI::App& root);
Runner setup_completion(CLI::App& root);
Runner setup_manpage(CLI::App& root);

}  // namespace wslplug::cli
