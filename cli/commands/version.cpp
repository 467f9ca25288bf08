// `wslplug version`: the version (as `wslplug --version`), or a JSON document with --json.
#include "wslplug/core/version.hpp"

#include <fmt/format.h>

#include "commands/commands.hpp"
#include "common.hpp"

namespace wslplug::cli {
namespace {}  // namespace

Runner setup_version(CLI::App& root) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = root.add_subcommand("version", "Show the version (as wslplug --version)");
  cmd->add_flag("--json", *json,
                "Print {\"schema\": 1, \"ok\": true, \"version\": \"X.Y.Z\"} on stdout");
  set_examples(cmd, {"wslplug version", "wslplug --version", "wslplug version --json"});
  return [json]() -> int {
    if (*json) {
      print_json({{"schema", 1}, {"ok", true}, {"version", std::string(kVersion)}});
    } else {
      fmt::print("wslplug {}\n", kVersion);
    }
    return kExitOk;
  };
}

}  // namespace wslplug::cli
