// The driver of `wslplug run`: runs a plugin DLL in wslplug-host.exe (a WSL plugin host built with
// MinGW-w64) under wine, or natively through WSL interop, through a scenario of WSL events, serves
// its ExecuteBinary calls with real Linux processes, and computes what WSL would do with every
// result. The report is the JSON document of docs/run-json.md. Never prints: progress goes to
// Options::progress.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/abi/wsl_plugin_abi.hpp"
#include "wslplug/core/error.hpp"

namespace wslplug::host {

namespace fs = std::filesystem;

// ------------------------------------------------------------------ WSL versions and the ABI
// The ABI itself (tables, fields, hooks, versions) is wslplug/abi/wsl_plugin_abi.hpp.
using WslVersion = abi::Version;
// abi::parse_version ("X.Y.Z", or "X.Y" for X.Y.0); an input error naming `where`, with an
// example, otherwise.
Result<WslVersion> parse_wsl_version(std::string_view text,
                                     std::string_view where = "--wsl-version");
// 2.0.5, 2.1.3, 2.4.4, 2.9.5.
std::vector<WslVersion> default_versions();

// One slot or field of a table the host passes, in ABI order (x64 offsets).
using AbiField = abi::Field;
// Tables by the names the host's reports use: "api", "hooks", or WSL's struct name
// ("WSLSessionInformation", "WSLVmCreationSettings", "WSLDistributionInformation",
// "WslOfflineDistributionInformation", "WSLCSessionInformation"). Empty for an unknown name.
std::span<const AbiField> abi_fields(std::string_view table);
// The table's size at `version` (what the host allocates before the guard page).
unsigned abi_size(std::string_view table, WslVersion version);
// The hook slot names that exist at `version`, in slot order.
std::vector<std::string_view> hook_slots(WslVersion version);

// ------------------------------------------------------------------ distributions and scenarios
struct Distribution {
  std::string name;
  std::string guid;                    // "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}", lowercase
  std::optional<std::string> package;  // PackageFamilyName; nullopt: not a Store package
  std::optional<std::string> flavor;   // os-release ID; nullopt: init did not report it
  std::optional<std::string> version;  // os-release VERSION_ID; nullopt: not reported
  // A root file system of its own: a folder or a tarball (`wsl --export`, `docker export`);
  // nullopt: a generated root (this machine's /usr read-only, its own /etc with os-release).
  std::optional<std::string> rootfs;
  // Used only without the VM (--no-sandbox); in the VM, InitPid and PidNamespace are the real ones.
  std::uint64_t pid_namespace = 4026532281;
  std::uint32_t init_pid = 1841;
};
// "Ubuntu" (os-release reported) and "bare" (nothing reported), both as `wsl --import` makes them.
std::vector<Distribution> default_distributions();
// Applies one --distro
// 'NAME[,package=PFN][,flavor=F|NULL][,version=V|NULL][,guid=G][,rootfs=PATH]': replaces the
// distribution of that name (case-insensitive) or adds one.
Status apply_distro_spec(std::vector<Distribution>& distributions, std::string_view spec);
// A GUID in any of the usual spellings, normalised to "{...}" lowercase; nullopt if malformed.
std::optional<std::string> normalize_guid(std::string_view text);

// A string field value: nullopt is NULL.
using FieldValue = std::optional<std::string>;

struct ScenarioEvent {
  std::string hook;          // OnVMStarted, ..., OnSessionCreated, ContainerStarted, ...
  std::string distribution;  // distribution hooks only
  int iteration = 1;
  std::optional<std::string> expect;         // "success" | "failure" | "any" | an HRESULT
  std::map<std::string, FieldValue> fields;  // exact struct field values for this call
  // WSLC container and image hooks: the LPCSTR argument (inspect JSON or id); nullopt: default.
  std::optional<FieldValue> argument;
  // 0: called alone on the host's main thread. Consecutive events with the same non-zero group
  // are called at the same time, each on its own service thread (distribution hooks only).
  int group = 0;
};

// The WSL Containers session the WSLC hooks carry (WSLCSessionInformation).
struct WslcSession {
  std::uint32_t id = 1;
  std::string display_name = "wslplug-session";
  std::uint32_t application_pid = 0;  // 0: the host process's own id
};
// WSLC hooks, in slot order, and which of them can veto.
bool is_wslc_hook(std::string_view hook);
// The default LPCSTR argument of a WSLC container/image hook (inspect JSON or id).
std::string default_wslc_argument(std::string_view hook);

struct CannedCommand {
  std::string path;
  std::optional<std::vector<std::string>> arguments;
  std::string stdout_text;
  std::optional<std::uint32_t> result;  // refuse with this HRESULT
};

struct Scenario {
  std::optional<std::vector<Distribution>> distributions;  // replaces the defaults
  int vm_flags = 0;  // WSLVmCreationSettings.CustomConfigurationFlags
  std::vector<ScenarioEvent> events;
  std::vector<CannedCommand> commands;
  std::optional<WslcSession> wslc_session;
};
// Parses a scenario file's text (docs/run.md). Errors name `file` and the JSON path.
Result<Scenario> parse_scenario(std::string_view text, const std::string& file);
// The default lifecycle over `distributions` with the start/stop pair `repeat` times, then the
// WSLC session's lifecycle (hooks the plugin or the version does not have are skipped).
// `concurrent`: each round starts all distributions at the same time, then stops them so.
std::vector<ScenarioEvent> default_events(const std::vector<Distribution>& distributions,
                                          int repeat, bool concurrent = false);

// ------------------------------------------------------------------ the run
struct Options {
  fs::path dll;
  std::string plugin_name;
  std::vector<WslVersion> versions;         // empty: default_versions()
  std::vector<Distribution> distributions;  // after defaults/scenario/--distro
  std::vector<ScenarioEvent> events;        // empty: default_events(distributions, repeat)
  std::vector<CannedCommand> commands;
  WslcSession wslc_session;
  int vm_flags = 0;
  int repeat = 1;
  // The default lifecycle starts (and stops) the distributions of each round at the same time,
  // on different service threads (--concurrent-distributions).
  bool concurrent_distributions = false;
  bool no_exec = false;
  bool null_strings = false;
  // The plugin host and every process of the run in a sandbox (docs/sandbox.md) whose Linux side
  // is a VM; false (--no-sandbox): the plugin runs with the caller's rights on this machine.
  bool sandbox = true;
  bool network = true;       // the VM's network (false: loopback only)
  int max_processes = 1024;  // every process of the run, Windows and Linux
  int hook_timeout_s = 30;
  std::string scenario_file;  // for the report only
  // The signature check before the load, as official WSL builds make it (WinVerifyTrust):
  // certificates (PEM or DER) the signature must chain to (--ca, the project's cert.pem); empty:
  // this system's trust store. An unsigned DLL is refused unless allow_unsigned (one warning).
  std::vector<fs::path> trusted_roots;
  bool allow_unsigned = false;
  std::function<void(std::string_view)> progress;  // status lines (stderr in the CLI)
  // What the run keeps between runs (the files the plugin wrote on C:\ in the last run of each
  // version; with own_prefix the wine prefix itself): a project's own folder
  // (<cache>/runs/<name>-<hash>); empty: <cache>/runs/<plugin name>.
  fs::path state_dir;
  bool own_prefix = false;  // prepare_environment was given state_dir/wine (the report says so)
  bool fresh = false;       // the state was cleared before this run (--fresh-prefix)
};

// Where and how the host runs.
struct Environment {
  std::string kind;  // "wine" | "windows"
  fs::path exe;      // wslplug-host.exe
  fs::path wine;     // wine64 loader (kind "wine")
  fs::path wineserver;
  std::string wine_version;
  fs::path prefix;   // WINEPREFIX (kind "wine")
  fs::path drive_c;  // the stand-in for C:\ (empty: not watched)
};

// Finds the host program ($WSLPLUG_HOST_EXE; beside the running binary;
// ../libexec/wslplug/), wine, and prepares the prefix (created on first use, with progress).
// Errors: kIo (exit 3) naming what to install. `warm_wineserver`: leave the prefix's wineserver
// running for 10 minutes for the next run (--no-sandbox runs share it); false: nothing of wine is
// left running (sandboxed runs start their own inside the sandbox).
// `prefix`: the wine prefix to prepare and run in (a project's own, for --no-sandbox runs);
// empty: the shared one, $WSLPLUG_WINEPREFIX or <cache>/wslplug/wine.
Result<Environment> prepare_environment(const std::function<void(std::string_view)>& progress,
                                        bool warm_wineserver = true, const fs::path& prefix = {});

// Clears what runs keep in `state_dir` (--fresh-prefix): stops the wineserver of its prefix, if
// one runs, and removes the folder. An I/O error names the folder.
Status reset_state(const fs::path& state_dir);

// Runs every version. The document of docs/run-json.md; exit code in doc["exit_code"].
// An Error only for input errors found before anything ran (the DLL is not a PE, ARM64, ...).
Result<nlohmann::json> run(const Options& options, const Environment& environment);

}  // namespace wslplug::host
