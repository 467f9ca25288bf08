// Building a plugin project into a Windows DLL: cargo (x86_64-pc-windows-gnu from Linux) or CMake
// with the project's MinGW toolchain file; the toolchain's output is streamed to a file
// descriptor (or only kept, for a quiet build) and its diagnostics are read back
// (diagnostics.hpp); the DLL is found from cargo's artifact messages or in the CMake build
// directory.
// A missing toolchain is an input error whose fix names the package or command that installs it;
// so is a Rust build whose crates cannot be resolved or downloaded (network or registry, with
// the ways to build offline).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/project/diagnostics.hpp"
#include "wslplug/project/manifest.hpp"

namespace wslplug::project {

namespace fs = std::filesystem;

struct BuildOptions {
  fs::path project_dir = ".";
  std::optional<TargetArch> target;  // overrides the manifest's target
  bool debug = false;                // debug profile instead of release
  std::string cargo;                 // --cargo; empty: $CARGO, then cargo on PATH
  int output_fd = 1;                 // where the toolchain's output is streamed
  bool offline = false;              // cargo --offline: use only crates already on this machine
  bool stream_output = true;         // false: the toolchain's output is only kept (BuildTranscript)
  bool verbose = false;  // the toolchain's verbose output: cargo -v, cmake --build --verbose
};

// What the toolchain said, for the caller to show or report, also when the build failed.
struct BuildTranscript {
  std::string output;                   // its output (stdout and stderr), the last 64-128 KiB
  std::vector<Diagnostic> diagnostics;  // read from `output`, in the compiler's order
};

struct BuildOutcome {
  fs::path artifact;  // the built DLL
  TargetArch target = TargetArch::kX86_64;
  std::string triple;                // "x86_64-pc-windows-gnu"
  std::string profile;               // "release" or "debug"
  std::vector<std::string> command;  // the build command that was run
  std::vector<std::string> notes;    // things worth telling the user (e.g. which rustc)
};

// Builds the project described by `manifest` in options.project_dir. `transcript`, when given,
// receives the toolchain's output and diagnostics whether or not the build succeeds.
Result<BuildOutcome> build_project(const Manifest& manifest, const BuildOptions& options,
                                   BuildTranscript* transcript = nullptr);

}  // namespace wslplug::project
