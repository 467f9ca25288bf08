// Test support: run real programs (the wslplug binary, osslsigncode, openssl, MinGW, wine),
// temp directories, and PE fixtures built at test time with MinGW-w64 / clang and cached in the
// build tree (so each is compiled once per build directory, not once per test).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wslplug::test {

namespace fs = std::filesystem;

struct RunResult {
  int rc = -1;  // exit status, or 128+signal
  std::string out;
  std::string err;
  [[nodiscard]] std::string both() const { return out + err; }
};

// Runs argv[0] (looked up on PATH) without a shell. env entries are added to (or, with an empty
// value, kept in) the current environment. stdin gets `input` (empty: /dev/null).
RunResult run(const std::vector<std::string>& argv,
              const std::map<std::string, std::string>& env = {}, std::string_view input = {},
              const fs::path& cwd = {});
// Runs `wslplug ARGS...`.
RunResult wslplug(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env = {}, std::string_view input = {},
                  const fs::path& cwd = {});
// Runs a command line through /bin/sh -c (for pipelines in tests; prefer run()).
RunResult sh(const std::string& command);

// The command names listed under "Subcommands:" in a help text, in order; nullopt when the text
// has no such section (a command without subcommands).
std::optional<std::vector<std::string>> subcommands_section(const std::string& help);
// The subcommands `wslplug COMMAND... --help` lists (the top level's without `command`), in order.
// Fails the calling test, showing the help text, when the help does not exit 0 or has no
// Subcommands section or an empty one, so that a broken help text cannot give an empty list that
// a test then passes over.
std::vector<std::string> subcommands(const std::vector<std::string>& command = {});

// The command's stdout as one JSON document; fails the calling test (and returns null) when it
// is not one.
nlohmann::json stdout_json(const RunResult& r);
// The bytes of a text, for parsers that take bytes.
std::vector<std::byte> bytes_of(std::string_view s);

std::string wslplug_bin();
fs::path source_dir();
fs::path fixture_dir();  // <build>/test-fixtures, shared by all test processes of a build

// True when `tool` is on PATH. Tests call require_tool() and fail (not skip) when it is
// missing: scripts/setup installs everything the suite needs.
bool have_tool(const std::string& tool);
#define WSLPLUG_REQUIRE_TOOL(tool) \
  ASSERT_TRUE(::wslplug::test::have_tool(tool)) << tool << " is missing: run scripts/setup"

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

std::vector<std::byte> read_bytes(const fs::path& path);
void write_bytes(const fs::path& path, const std::vector<std::byte>& data);
std::string read_text(const fs::path& path);
void write_text(const fs::path& path, std::string_view text);
std::string sha256_file(const fs::path& path);  // lowercase hex, via OpenSSL
// The PE checksum as pefile (Debian python3-pefile, the independent oracle) computes it, and
// the value stored in the file.
struct PefileChecksum {
  std::uint32_t computed = 0;
  std::uint32_t stored = 0;
};
PefileChecksum pefile_checksum(const fs::path& path);
// Files in `dir` whose names start with '.' and end with ".tmp" (stray temp outputs).
std::vector<fs::path> stray_temp_files(const fs::path& dir);

// ---- the --json documents' schemas ----------------------------------------------------------
// Checks `document` (JSON text) against docs/schema/NAME.json ("run", "verify", "usage", ...) with
// tests/cli/validate_json.py and Debian's python3-jsonschema. rc 0: valid; 1: it breaks the schema
// (each violation, with its JSON path, in err); 2: not JSON, no such schema, or no validator.
RunResult validate_json(const std::string& name, std::string_view document);

// ---- PE fixtures ----------------------------------------------------------------------------
enum class Arch { kX64, kX86, kArm64 };

struct DllSpec {
  std::string name;  // cache key and file stem: unique per distinct fixture
  Arch arch = Arch::kX64;
  std::string source = {};              // C or C++ source text; empty: good_plugin_c_source()
  bool cplusplus = false;               // compile as C++
  std::vector<std::string> flags = {};  // extra compiler/linker flags (e.g. "-static-libstdc++")
  std::size_t overlay = 0;  // bytes of overlay data appended after the image (deterministic)
  bool odd_size = false;    // pad the file (before overlay) so its size is odd
};

// A plugin source that exports WSLPluginAPIV1_EntryPoint with C linkage and returns S_OK.
std::string good_plugin_c_source();
// Builds (or returns the cached) DLL. Fails the calling test via ADD_FAILURE on build errors
// and returns an empty path.
fs::path build_dll(const DllSpec& spec);
// Copies a cached fixture into `dir` (tests must never modify cached fixtures).
fs::path copy_to(const fs::path& fixture, const fs::path& dir, const std::string& name = {});

// ---- wine ------------------------------------------------------------------------------------
// Environment for running wine headless with a prefix shared by this build's tests
// (WINEDEBUG=-all, WINEPREFIX=<build>/test-fixtures/wineprefix).
std::map<std::string, std::string> wine_env();
// Starts a lingering wineserver and boots the prefix once per process (wine() calls it); the
// creation and boot of the shared prefix are serialised across test processes with a flock.
// Returns the result of the boot command.
const RunResult& wine_warm_up();
// Runs `wine ARGS...` in that prefix.
RunResult wine(const std::vector<std::string>& args, const fs::path& cwd = {});

}  // namespace wslplug::test
