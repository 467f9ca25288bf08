// The command tree as plain data, read from the live CLI11 app after every command registered:
// commands, their options (names, whether they take a value, help text) and positionals, plus
// what each value completes to (a choice list, files by extension, directories, environment
// variables, or free text). The shell completions (`wslplug completion SHELL`) and the man page
// (`wslplug manpage`) are generated from this model, so they follow the flag definitions.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace wslplug::cli::model {

// What a value (of an option or a positional) completes to.
struct Values {
  enum class Kind {
    kNone,     // free text: nothing to offer
    kChoices,  // one of `words`
    kList,     // comma-separated words (`--hooks vm-started,distribution-started`)
    kFiles,    // files; `extensions` (without the dot) narrows them, empty means any file
    kDirs,     // directories
    kEnvVar,   // the name of an environment variable
  };
  Kind kind = Kind::kNone;
  bool decided = false;            // false: nobody said what this value is (undecided() lists it)
  std::vector<std::string> words;  // kChoices, kList
  std::vector<std::string> extensions;  // kFiles
};

struct Option {
  std::vector<std::string> longs;   // "--out-dir", "--dir" (aliases after the first)
  std::vector<std::string> shorts;  // "-C"
  bool takes_value = false;
  bool repeatable = false;
  std::string value_name;  // "VALUE", "FILE", "DIR", ... for the man page
  std::string description;
  Values values;
};

struct Positional {
  std::string name;  // "FILE", "PLUGIN.dll"
  std::string description;
  bool required = false;
  bool repeatable = false;
  Values values;
};

struct Command {
  std::vector<std::string> path;  // {} for wslplug itself, {"cert", "new"}
  std::string name;               // last element of path ("wslplug" for the root)
  std::string description;
  std::string footer;  // the --help footer: examples and exit codes
  std::vector<Option> options;
  std::vector<Positional> positionals;
  std::vector<Command> subcommands;  // in --help order
  bool requires_subcommand = false;
  [[nodiscard]] std::string path_text() const;  // "cert new", "" for the root
};

// The visible commands and options of `app` (hidden ones, with an empty group, are left out).
Command read_tree(const CLI::App& app);

// Every command in the tree, depth first, the root first.
std::vector<const Command*> flatten(const Command& root);

// The value options and positionals of the tree that have no completion decided for them
// ("sign --foo", "run PLUGIN.dll"): a new flag must say what it completes to. Empty when all do.
std::vector<std::string> undecided(const Command& root);

}  // namespace wslplug::cli::model
