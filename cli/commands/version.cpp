// `wslplug version`: the version with the commit and date of the build (as `wslplug --version`),
// or a JSON document with --json.
#include "wslplug/core/version.hpp"

#include <fmt/format.h>

#include "build_info.hpp"
#include "commands/commands.hpp"
#include "common.hpp"

namespace wslplug::cli {

std::string version_line() {
  return fmt::format("wslplug {} ({} {})", kVersion, build_commit(), build_date());
}

Runner setup_version(CLI::App& root) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = root.add_subcommand("version", "Show the version (as wslplug --version)");
  cmd->add_flag("--json", *json,
                "Print {\"schema\": 1, \"ok\": true, \"version\": \"X.Y.Z\", \"commit\": ..., "
                "\"date\": ...} on stdout (commit and date \"unknown\" when not built from a git "
                "checkout)");
  set_examples(cmd, {"wslplug version", "wslplug --version", "wslplug version --json"});
  return [json]() -> int {
    if (*json) {
      print_json({{"schema", 1},
                  {"ok", true},
                  {"version", std::string(kVersion)},
                  {"commit", std::string(build_commit())},
                  {"date", std::string(build_date())}});
    } else {
      fmt::print("{}\n", version_line());
    }
    return kExitOk;
  };
}

}  // namespace wslplug::cli
