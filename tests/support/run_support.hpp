// Test support for `wslplug run`: the defect fixtures of tests/fixtures/run built with MinGW (and
// the Rust one with Debian's cargo) at test time, the run command with a wine prefix shared by
// this build tree's tests, and lookups in its JSON report.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support.hpp"

namespace wslplug::test {

// Builds tests/fixtures/run/FILE (C or C++ against the template's WslPluginApi.h, statically
// linked) once per build tree; the cache key includes the source's digest, so an edited fixture
// is rebuilt. Empty path (and a test failure) when the build fails.
fs::path run_fixture(const std::string& file, const std::vector<std::string>& extra_flags = {});
// The Rust fixture tests/fixtures/run/rust-panic, built with /usr/bin/cargo for
// x86_64-pc-windows-gnu once per build tree (serialised between test processes).
fs::path rust_panic_fixture();

// Environment for `wslplug run` in tests: XDG_CACHE_HOME=<build>/test-fixtures/xdg (so the wine
// prefix is created once per build tree and shared), WINEDEBUG=-all.
std::map<std::string, std::string> run_env();
// The prefix's drive_c (the C:\ stand-in) under run_env().
fs::path run_drive_c();

struct RunReport {
  RunResult result;
  nlohmann::json doc;  // the parsed stdout; an empty object when it is not one JSON document
  // The run for `version`, or nullptr.
  [[nodiscard]] const nlohmann::json* run(const std::string& version) const;
  // Context for assertion messages: exit code, stderr and the document.
  [[nodiscard]] std::string context() const;
};

// Runs `wslplug run ARGS... --json` with run_env() (plus `env`); fails the test when stdout is not
// one JSON document. The fixtures are unsigned: --allow-unsigned is added unless `allow_unsigned`
// is false (tests of the signature check).
RunReport run_json(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env = {}, const fs::path& cwd = {},
                   bool allow_unsigned = true);

// The first event of `hook` (for `distribution` when given) in a RUN object, or nullptr.
const nlohmann::json* find_event(const nlohmann::json& run, const std::string& hook,
                                 const std::optional<std::string>& distribution = std::nullopt);
// Every API call of a RUN (load, events, late calls) named `call`.
std::vector<nlohmann::json> api_calls(const nlohmann::json& run, const std::string& call);
// True when a problem with this id is in the RUN's problems.
bool has_problem(const nlohmann::json& run, const std::string& id);

// Processes (pids) whose command line or memory maps contain `needle` (other than this one).
std::vector<int> processes_mentioning(const std::string& needle);

}  // namespace wslplug::test
