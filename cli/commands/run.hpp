// `wslplug run`, shared with `wslplug build --run`.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace wslplug::cli {

struct RunFlags {
  std::string dll;  // empty: the project's built DLL
  std::string dir = ".";
  std::vector<std::string> versions;
  std::vector<std::string> distros;
  std::string scenario;
  int repeat = 1;
  bool concurrent_distributions = false;  // --concurrent-distributions
  bool no_exec = false;
  bool null_strings = false;
  bool no_sandbox = false;
  bool no_network = false;
  int max_processes = 1024;
  int hook_timeout = 30;
  std::string name;
  std::vector<std::string> cas;  // --ca: trusted roots for the signature check
  bool allow_unsigned = false;
  bool fresh_prefix = false;  // --fresh-prefix: clear the state earlier runs kept
  bool json = false;
};

// Runs the plugin and prints the transcript (or the JSON document, with `extra` merged into it
// when given); returns the exit code.
int run_plugin(const RunFlags& flags, const nlohmann::json* extra = nullptr);

}  // namespace wslplug::cli
