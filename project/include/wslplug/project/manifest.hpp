// The project manifest wslplug.json, written by `wslplug new` and read by later commands
// (build, sign, register): the plugin name, its registry value name, the language, the target
// architecture and the project's paths. Projects without a manifest are detected from their
// Cargo.toml or CMakeLists.txt.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::project {

namespace fs = std::filesystem;

inline constexpr std::string_view kManifestFile = "wslplug.json";
inline constexpr int kManifestSchema = 1;

enum class Language { kRust, kCpp };
std::string_view language_name(Language language);  // "rust", "cpp"
std::optional<Language> parse_language(std::string_view name);

enum class TargetArch { kX86_64, kArm64 };
std::string_view arch_name(TargetArch arch);                  // "x86_64", "arm64"
std::optional<TargetArch> parse_arch(std::string_view name);  // also "x64", "amd64", "aarch64"

// The "signing" object of wslplug.json: defaults for `sign` (and `build --sign`) below the
// command line and the WSLPLUG_* environment variables (wslplug/project/settings.hpp). Paths are
// relative to the project folder, as written. Passwords never go here (refused when present).
struct SigningManifest {
  std::string cert, key, pfx;  // PEM certificate and key, or a PKCS#12 file
  std::string timestamp_url;   // RFC 3161 server
  std::string hash;            // sha256, sha384, sha512
  bool empty() const {
    return cert.empty() && key.empty() && pfx.empty() && timestamp_url.empty() && hash.empty();
  }
};

struct Manifest {
  int schema = kManifestSchema;
  std::string name;           // the plugin (crate / CMake project) name
  std::string registry_name;  // the REG_SZ value name under ...\Lxss\Plugins
  Language language = Language::kRust;
  TargetArch target = TargetArch::kX86_64;
  // Paths, relative to the project directory (forward slashes).
  std::string dll;                        // file name of the built DLL: "my_plugin.dll"
  std::string build_dir;                  // "target" (cargo) or "build" (CMake)
  std::string cert_dir = ".wslplug";      // the project's test certificate (build --sign)
  std::string registration = ".wslplug";  // where build --emit-reg writes .reg files
  std::vector<std::string> hooks;         // informational: hooks chosen at `new`
  std::string requires_version;           // informational: "2.1.2", or empty
  SigningManifest signing;                // "signing": defaults for sign
  bool from_file = false;                 // true when read from wslplug.json (false: detected)
};

// The DLL name Cargo gives a cdylib crate: '-' becomes '_' ("my-plugin" -> "my_plugin.dll").
std::string cargo_dll_name(std::string_view crate_name);

// Serialises the manifest (pretty JSON, trailing newline).
std::string manifest_to_json(const Manifest& manifest);
// Parses wslplug.json text; errors name `file` and the field ("field paths.dll").
Result<Manifest> parse_manifest(std::string_view text, const std::string& file);
// Reads DIR/wslplug.json.
Result<Manifest> load_manifest(const fs::path& project_dir);
// The nearest of `start` and its parents holding wslplug.json (searched as cargo and git look
// for theirs), absolute and normal; nullopt when there is none up to the root.
std::optional<fs::path> find_project_dir(const fs::path& start);

struct FoundProject {
  fs::path dir;  // absolute, normal, no trailing '/'
  Manifest manifest;
};
// The project `start` is in: wslplug.json in `start` or any parent, else a project detected in
// `start` itself (detect_project). The error of detect_project names `start`.
Result<FoundProject> locate_project(const fs::path& start);

// For commands whose project is optional (register, verify, sign, doctor --dll): the project
// `start` is in as locate_project finds it, nullopt when there is none; a wslplug.json that
// cannot be read or parsed is still an error (it names the file and the field).
Result<std::optional<FoundProject>> find_project(const fs::path& start);

// DIR/wslplug.json when present; else a manifest detected from DIR/Cargo.toml (package and lib
// names) or DIR/CMakeLists.txt (project name). An input error names what was looked for.
Result<Manifest> detect_project(const fs::path& project_dir);

}  // namespace wslplug::project
