// wslplug entry point: builds the CLI from the command registry, parses, runs one command.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <iterator>
#include <string_view>
#include <utility>

#include "command.hpp"
#include "common.hpp"
#include "console.hpp"
#include "wslplug/core/version.hpp"

namespace wslplug::cli {

std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> registry;
  return registry;
}

namespace {

// The commands in the order --help lists them: making a project, signing, registering,
// diagnosing. A registered command missing here is listed after these, by name.
constexpr std::string_view kHelpOrder[] = {
    "new",    "build",     "run",    "cert",    "sign",     "prepare",    "finish", "verify",
    "unsign", "timestamp", "attach", "extract", "register", "unregister", "doctor",
};

std::size_t help_position(const std::string& name) {
  const auto it = std::find(std::begin(kHelpOrder), std::end(kHelpOrder), name);
  return static_cast<std::size_t>(it - std::begin(kHelpOrder));
}

}  // namespace
}  // namespace wslplug::cli

int main(int argc, char** argv) {
  using namespace wslplug::cli;
  CLI::App app{
      "wslplug: build, sign, register and diagnose Windows Subsystem for Linux plugins, from any "
      "machine.",
      "wslplug"};
  app.set_version_flag("--version", fmt::format("wslplug {}", wslplug::kVersion));
  app.require_subcommand(1);
  app.fallthrough(false);
  set_examples(&app,
               {"wslplug new my-plugin && cd my-plugin && wslplug build --sign",
                "wslplug cert new --out-dir certs",
                "wslplug sign plugin.dll --cert certs/cert.pem --key certs/key.pem --in-place",
                "wslplug verify plugin.dll --ca certs/cert.pem",
                "wslplug doctor Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f",
                "wslplug register --ps1 --source build/my_plugin.dll", "",
                "Exit codes: 0 success, 1 the checked thing is bad, 2 usage or input error,",
                "3 I/O or internal error."});

  auto& registry = command_registry();
  std::sort(registry.begin(), registry.end(), [](const CommandSpec& a, const CommandSpec& b) {
    return std::pair{help_position(a.name), a.name} < std::pair{help_position(b.name), b.name};
  });
  std::vector<std::pair<std::string, Runner>> runners;
  for (auto& spec : registry) runners.emplace_back(spec.name, spec.setup(app));
  // -q, -v and --color work before and after the command name, at every level.
  std::function<void(CLI::App*)> add_console = [&](CLI::App* a) {
    add_console_flags(a);
    for (auto* sub : a->get_subcommands({})) add_console(sub);
  };
  add_console(&app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // `run --json` promises one JSON document whatever the mistake (also a flag CLI11 rejects).
    const bool run_json = argc > 1 && std::string_view(argv[1]) == "run" &&
                          std::any_of(argv + 2, argv + argc, [](const char* a) {
                            return std::string_view(a) == "--json";
                          });
    if (run_json) {
      wslplug::Error error{wslplug::ErrorKind::kInput, e.what(), {}, {}, "see wslplug run --help"};
      print_json({{"schema", 1},
                  {"ok", false},
                  {"exit_code", kExitUsage},
                  {"error", error_json(error)},
                  {"plugin", nullptr},
                  {"host", nullptr},
                  {"options", nullptr},
                  {"distributions", nlohmann::json::array()},
                  {"runs", nlohmann::json::array()}});
      return kExitUsage;
    }
    app.exit(e);  // prints the message and a "Run with --help" hint
    return kExitUsage;
  }
  for (auto& [name, run] : runners) {
    if (app.got_subcommand(name)) {
      try {
        return run();
      } catch (const std::exception& e) {
        fmt::print(stderr, "wslplug: internal error: {}\n", e.what());
        return kExitIo;
      }
    }
  }
  return kExitUsage;
}
