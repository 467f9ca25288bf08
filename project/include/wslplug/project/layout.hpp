// Where a plugin project keeps things, in one place: the build outputs the builders write (the
// CMake build tree per architecture and profile, cargo's target folder), the built DLL, the
// registry value name, the test certificate, the registration folder `build --emit-reg` and
// `register` write into, and the state `run` keeps between runs (per project, in the cache).
// Every command that defaults to "the project's DLL / name / certificate" asks here.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/project/manifest.hpp"

namespace wslplug::project {

namespace fs = std::filesystem;

// "release" or "debug".
std::string_view profile_name(bool debug);

// The Rust target triple for `arch` when building on this host (Linux: *-pc-windows-gnu).
std::string rust_triple(TargetArch arch);

// The project's build folder: DIR/<paths.build_dir> ("target" for cargo, "build" for CMake).
fs::path build_root(const Manifest& manifest, const fs::path& project_dir);

// The CMake build tree of one architecture and profile: DIR/build/x86_64-release.
fs::path cmake_build_dir(const Manifest& manifest, const fs::path& project_dir, TargetArch arch,
                         bool debug);

// Where the builder leaves the DLL for that architecture and profile: the CMake tree, or cargo's
// DIR/target/<triple>/<profile>/<dll>.
fs::path built_dll_path(const Manifest& manifest, const fs::path& project_dir, TargetArch arch,
                        bool debug);

// The project's most recently built DLL (manifest target, release or debug, CMake or cargo
// layout); an input error naming the project when nothing is built yet.
Result<fs::path> built_dll(const Manifest& manifest, const fs::path& project_dir);

// True when `file` has the file name of the project's DLL (ASCII case-insensitive, as Windows
// compares), so that the project's name and certificate apply to it.
bool is_project_dll(const Manifest& manifest, const fs::path& file);

// The REG_SZ value name under ...\Lxss\Plugins: registry_name, else the name.
std::string registry_name(const Manifest& manifest);

// DIR/<paths.cert_dir> (default .wslplug): the project's test certificate, cert.pem and key.pem.
fs::path cert_dir(const Manifest& manifest, const fs::path& project_dir);
fs::path cert_pem(const Manifest& manifest, const fs::path& project_dir);
fs::path key_pem(const Manifest& manifest, const fs::path& project_dir);
// cert.pem when it exists (the trust root of the project's own signatures), else nullopt.
std::optional<fs::path> existing_cert(const Manifest& manifest, const fs::path& project_dir);

// DIR/<paths.registration> (default .wslplug): the .reg files and install scripts.
fs::path registration_dir(const Manifest& manifest, const fs::path& project_dir);

// What `run` keeps between runs of one project: <cache>/runs/<name>-<hash>, the hash (12 hex
// digits) of the project's absolute root path, so two checkouts of one plugin never share it.
// <cache> is user_cache_dir() (wslplug/core/user_cache.hpp), whose error this passes on.
Result<fs::path> run_state_dir(const Manifest& manifest, const fs::path& project_dir);
// Outside a project: <cache>/runs/<plugin name> (file-safe).
Result<fs::path> run_state_dir_for_name(std::string_view plugin_name);

}  // namespace wslplug::project
