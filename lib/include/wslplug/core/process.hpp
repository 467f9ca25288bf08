// Running external programs (cargo, cmake, rustc, compilers) without a shell: their output is
// streamed to a file descriptor as it comes (or stdout captured), and programs are located on
// PATH. Never prints by itself; failures to start are errors that name the program.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::process {

namespace fs = std::filesystem;

struct Options {
  fs::path cwd;                            // empty: the current directory
  std::map<std::string, std::string> env;  // set in the child (added or replaced)
  std::vector<std::string> unset_env;      // removed in the child
  int output_fd = 2;                       // the child's stdout and stderr go here
  bool capture_stdout = false;             // capture stdout instead (stderr still streamed)
};

struct Outcome {
  int exit_code = -1;    // exit status, or 128 + signal number
  std::string captured;  // stdout when capture_stdout
  [[nodiscard]] bool ok() const { return exit_code == 0; }
};

// Runs argv (argv[0] looked up on PATH unless it contains '/'), stdin from /dev/null. An error
// only when the program cannot be started (not found, not executable); a non-zero exit is an
// Outcome.
Result<Outcome> run(const std::vector<std::string>& argv, const Options& options = {});

// The first executable `name` on `search_path` (default: $PATH). A name containing '/' is
// checked as is.
std::optional<fs::path> find_program(std::string_view name, const char* search_path = nullptr);

// argv as a shell-quoted command line, for messages ("cargo build --release ...").
std::string command_line(const std::vector<std::string>& argv);

}  // namespace wslplug::process
