// Running external programs (cargo, cmake, rustc, compilers) without a shell: their output is
// streamed to a file descriptor as it comes (or stdout captured), and programs are located on
// PATH. Never prints by itself; failures to start are errors that name the program.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/core/fd.hpp"

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

// A long-running child started by spawn(): poll pidfd for its end (POLLIN), reap it with waitpid.
struct Child {
  pid_t pid = -1;
  Fd pidfd;
};

struct SpawnOptions {
  fs::path cwd;  // empty: the current directory
  // The child's whole environment ("NAME=value"); nullopt: this process's, with `env` added or
  // replaced and `unset_env` removed.
  std::optional<std::vector<std::string>> environment;
  std::map<std::string, std::string> env;
  std::vector<std::string> unset_env;
  // The child's descriptors: child fd -> a descriptor of this process. 0, 1 and 2 not named are
  // /dev/null; no other descriptor is inherited.
  std::map<int, int> fds;
  bool new_session = false;  // setsid(): own session and process group, no controlling terminal
  // The program to execute with argv as given (argv[0] need not name it); empty: argv[0], looked
  // up on PATH unless it contains '/'.
  fs::path program = {};
  // When the program cannot be started: set to the errno of the failed exec (ENOENT, EACCES,
  // ENOEXEC, ...) for callers that answer with it.
  int* exec_errno = nullptr;
};

// Starts argv (argv[0] looked up on PATH unless it contains '/') and returns at once. An error when
// it cannot be started (not found, not executable, the cwd cannot be entered).
Result<Child> spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

// The first executable `name` on `search_path` (default: $PATH). A name containing '/' is
// checked as is.
std::optional<fs::path> find_program(std::string_view name, const char* search_path = nullptr);

// argv as a shell-quoted command line, for messages ("cargo build --release ...").
std::string command_line(const std::vector<std::string>& argv);

}  // namespace wslplug::process
