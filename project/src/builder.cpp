#include "wslplug/project/builder.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "wslplug/core/fd.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/process.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/project/layout.hpp"

namespace wslplug::project {

namespace {

constexpr const char* kMingwCompilerX64 = "x86_64-w64-mingw32-gcc";
constexpr const char* kMingwCxxCompilerX64 = "x86_64-w64-mingw32-g++";

// The oldest rustc that builds wslplugins-rs 0.1.0-beta.4 with its dependencies (edition 2024
// crates, windows-core 0.61, `&raw const`).
constexpr int kCrateRustMajor = 1, kCrateRustMinor = 85;

// How to get a Rust toolchain that builds the template, on any Linux and on Debian 12.
std::string install_rust_fix(const std::string& triple) {
  return fmt::format(
      "install Rust >= {}.{} with rustup (https://rustup.rs, then `rustup target add {}`), or on "
      "Debian 12 `apt-get install rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64` (Rust "
      "1.96 from bookworm-security) and build its Windows std once with scripts/rust-windows-std "
      "from wslplug's sources (docs/build.md)",
      kCrateRustMajor, kCrateRustMinor, triple);
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool on_windows() {
#ifdef _WIN32
  return true;
#else
  return false;
#endif
}

Error arm64_unsupported(const Manifest& m) {
  return Error{ErrorKind::kInput,
               fmt::format("cannot build an ARM64 {} plugin on this machine: Debian has no ARM64 "
                           "Windows MinGW toolchain or Rust standard library",
                           language_name(m.language)),
               {},
               "--target arm64",
               m.language == Language::kRust
                   ? "build on Windows (rustup target add aarch64-pc-windows-msvc), or use "
                     "--target x86_64"
                   : "build on Windows with MSVC (cmake -A ARM64), or use --target x86_64"};
}

// The .dll files of a cargo --message-format=json stream that belong to a cdylib target.
std::vector<fs::path> cargo_dlls(const std::string& messages) {
  std::vector<fs::path> out;
  std::size_t pos = 0;
  while (pos < messages.size()) {
    auto nl = messages.find('\n', pos);
    if (nl == std::string::npos) nl = messages.size();
    const std::string_view line(messages.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line[0] != '{') continue;
    auto msg = nlohmann::json::parse(line, nullptr, false);
    if (msg.is_discarded() || msg.value("reason", "") != "compiler-artifact") continue;
    bool cdylib = false;
    if (msg.contains("target") && msg["target"].contains("crate_types"))
      for (const auto& t : msg["target"]["crate_types"]) cdylib |= t == "cdylib";
    if (!cdylib || !msg.contains("filenames")) continue;
    for (const auto& f : msg["filenames"]) {
      if (!f.is_string()) continue;
      const std::string name = f.get<std::string>();
      if (name.size() > 4 && name.substr(name.size() - 4) == ".dll") out.emplace_back(name);
    }
  }
  return out;
}

// The cargo and rustc a Rust build uses, and how cargo is run.
struct RustToolchain {
  fs::path cargo;
  fs::path rustc;
  process::Options popt;  // cwd, output and environment for cargo
};

// cargo: --cargo, then $CARGO, then PATH; rustc: $RUSTC, else the rustc beside a cargo chosen
// with --cargo / CARGO, else PATH.
Result<RustToolchain> find_rust_toolchain(const BuildOptions& o, BuildOutcome& outcome,
                                          const std::string& install_rust) {
  // cargo: --cargo, then $CARGO, then PATH.
  std::string cargo_name = o.cargo;
  std::string cargo_source = "--cargo";
  if (cargo_name.empty()) {
    cargo_name = env_or_empty("CARGO");
    cargo_source = "CARGO";
  }
  if (cargo_name.empty()) {
    cargo_name = "cargo";
    cargo_source = "PATH";
  }
  const auto cargo = process::find_program(cargo_name);
  if (!cargo)
    return fail(ErrorKind::kInput,
                fmt::format("cargo not found ({}: {})", cargo_source, cargo_name), {},
                cargo_source == "PATH" ? "" : cargo_source, install_rust);

  // rustc: $RUSTC, else the rustc beside a cargo chosen with --cargo / CARGO, else PATH.
  process::Options popt;
  popt.cwd = o.project_dir;
  popt.output_fd = o.output_fd;
  std::string rustc_name = env_or_empty("RUSTC");
  if (rustc_name.empty() && cargo_source != "PATH") {
    const fs::path sibling = cargo->parent_path() / "rustc";
    if (process::find_program(sibling.string())) {
      rustc_name = sibling.string();
      popt.env["RUSTC"] = rustc_name;  // otherwise cargo would take rustc from PATH
      outcome.notes.push_back(fmt::format("using {} with {}", cargo->string(), rustc_name));
    }
  }
  if (rustc_name.empty()) rustc_name = "rustc";
  const auto rustc = process::find_program(rustc_name);
  if (!rustc)
    return fail(ErrorKind::kInput, fmt::format("rustc not found ({})", rustc_name), {}, "RUSTC",
                install_rust);
  return RustToolchain{*cargo, *rustc, std::move(popt)};
}

// rustc's release ("1.96.0") from `rustc -vV`, empty when it cannot be read.
std::string rustc_release(const fs::path& rustc, const BuildOptions& o) {
  process::Options q;
  q.capture_stdout = true;
  q.output_fd = o.output_fd;
  auto r = process::run({rustc.string(), "-vV"}, q);
  if (!r || !r->ok()) return {};
  const std::string_view out = r->captured;
  const auto at = out.find("\nrelease: ");
  if (at == std::string_view::npos) return {};
  const auto start = at + 10;
  return std::string(out.substr(start, out.find_first_of("\r\n", start) - start));
}

// True when "major.minor[.patch...]" is at least major.minor.
bool release_at_least(const std::string& release, int major, int minor) {
  int a = 0, b = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &a, &b) != 2) return true;  // unknown: let cargo try
  return a > major || (a == major && b >= minor);
}

// True when the project's Cargo.toml depends on wslplugins-rs.
bool uses_wslplugins(const BuildOptions& o) {
  auto text = read_text_file(o.project_dir / "Cargo.toml", 1u << 20);
  return text && text->find("wslplugins-rs") != std::string::npos;
}

// The rustc must be recent enough for the crate, the target's standard library must be installed
// for it, and (on Linux) the MinGW-w64 linker must be on PATH.
Status check_rust_target(const fs::path& rustc, const BuildOptions& o, BuildOutcome& outcome,
                         TargetArch arch) {
  process::Options q;
  q.capture_stdout = true;
  q.output_fd = o.output_fd;
  auto sysroot = process::run({rustc.string(), "--print", "sysroot"}, q);
  if (!sysroot) return std::unexpected(sysroot.error());
  const std::string root(trim_right(sysroot->captured, "\r\n"));
  std::error_code ec;
  const bool rustup =
      fs::exists(fs::path(root) / "lib" / "rustlib" / "multirust-channel-manifest.toml", ec) ||
      rustc.string().find(".cargo/bin") != std::string::npos ||
      root.find(".rustup") != std::string::npos;
  const std::string release = rustc_release(rustc, o);
  if (!release.empty())
    outcome.notes.push_back(fmt::format("rustc {} ({})", release, rustc.string()));
  if (!release.empty() && uses_wslplugins(o) &&
      !release_at_least(release, kCrateRustMajor, kCrateRustMinor))
    return fail(
        ErrorKind::kInput,
        fmt::format("{} is Rust {}, too old for wslplugins-rs: its dependencies need Rust >= "
                    "{}.{} (edition 2024 crates, windows-core 0.61)",
                    rustc.string(), release, kCrateRustMajor, kCrateRustMinor),
        {}, "rustc " + release,
        rustup ? fmt::format("rustup update stable (then `rustup target add {}`), or choose "
                             "another toolchain with --cargo PATH / CARGO and RUSTC",
                             outcome.triple)
               : install_rust_fix(outcome.triple) +
                     "; or choose another toolchain with --cargo PATH / CARGO and RUSTC");
  const fs::path std_dir = fs::path(root) / "lib" / "rustlib" / outcome.triple / "lib";
  if (!sysroot->ok() || !fs::is_directory(std_dir, ec)) {
    std::string fix =
        rustup ? fmt::format("rustup target add {}", outcome.triple)
               : fmt::format(
                     "build the {} std once from this rustc's sources: on Debian 12 with "
                     "rustc-web, `apt-get install rust-web-src` and run scripts/rust-windows-std "
                     "from wslplug's sources as root (docs/build.md); with Debian's own rustc "
                     "1.63 (too old for wslplugins-rs), apt-get install libstd-rust-dev-windows",
                     outcome.triple);
    fix += "; or choose another toolchain with --cargo PATH / CARGO and RUSTC";
    return fail(ErrorKind::kInput,
                fmt::format("{} has no standard library for {} (looked in {})", rustc.string(),
                            outcome.triple, std_dir.string()),
                {}, "target " + outcome.triple, fix);
  }
  if (!on_windows() && arch == TargetArch::kX86_64 && !process::find_program(kMingwCompilerX64))
    return fail(ErrorKind::kInput,
                fmt::format("the MinGW-w64 linker {} is not on PATH", kMingwCompilerX64), {},
                "linker for " + outcome.triple,
                "apt-get install gcc-mingw-w64-x86-64 (Debian/Ubuntu), or your distribution's "
                "mingw64-gcc package");
  return {};
}

// Streams a child's output to `fd` as it comes (fd < 0: nowhere) while keeping its last bytes,
// so that a failure can be classified and its diagnostics read after the fact. The child writes
// into write_fd(); finish() after the child exited returns what was kept.
class OutputTee {
 public:
  explicit OutputTee(int fd) : fd_(fd) {
    auto p = open_pipe();
    if (!p) return;
    pipe_ = std::move(*p);
    reader_ = std::thread([this] { pump(); });
  }
  OutputTee(const OutputTee&) = delete;
  OutputTee& operator=(const OutputTee&) = delete;
  ~OutputTee() { finish(); }

  // Where the child should write: the pipe, or `fd` itself when no pipe could be made.
  [[nodiscard]] int write_fd() const { return pipe_.write ? pipe_.write.get() : fd_ < 0 ? 2 : fd_; }

  std::string finish() {
    pipe_.write.reset();
    if (reader_.joinable()) reader_.join();
    pipe_.read.reset();
    return kept_;
  }

 private:
  static constexpr std::size_t kKeep = 64 * 1024;
  void pump() {
    char buf[8192];
    for (;;) {
      const ssize_t n = ::read(pipe_.read.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      for (ssize_t done = 0; fd_ >= 0 && done < n;) {
        const ssize_t w = ::write(fd_, buf + done, static_cast<std::size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        done += w;
      }
      kept_.append(buf, static_cast<std::size_t>(n));
      if (kept_.size() > 2 * kKeep) kept_.erase(0, kept_.size() - kKeep);
    }
  }
  int fd_;     // borrowed: where the output goes
  Pipe pipe_;  // the child writes into pipe_.write; pump() reads pipe_.read
  std::string kept_;
  std::thread reader_;
};

// The crate cargo names in a dependency failure ("failed to get `wslplugins-rs` as a
// dependency", "no matching package named `x` found"); empty when none is named.
std::string named_crate(std::string_view output) {
  for (std::string_view lead : {"failed to get `", "no matching package named `",
                                "failed to select a version for the requirement `",
                                "failed to download `", "failed to load source for dependency `"}) {
    const auto at = output.find(lead);
    if (at == std::string_view::npos) continue;
    const auto start = at + lead.size();
    const auto end = output.find_first_of("` ", start);
    if (end != std::string_view::npos) return std::string(output.substr(start, end - start));
  }
  return {};
}

// True when cargo failed before compiling: it could not resolve or download the crates
// (no network, registry unreachable, offline without the crates).
bool is_dependency_failure(std::string_view output) {
  if (output.find("could not compile `") != std::string_view::npos) return false;
  for (std::string_view sign :
       {"failed to get `", "Could not resolve host", "failed to download", "download of ",
        "spurious network error", "failed to query replaced source registry",
        "unable to update registry", "you're using offline mode", "--offline was specified",
        "failed to load source for dependency", "no matching package named", "failed to fetch",
        "Couldn't resolve host", "failed to connect"})
    if (output.find(sign) != std::string_view::npos) return true;
  return false;
}

Error dependency_error(const BuildOptions& o, std::string_view output) {
  const std::string crate = named_crate(output);
  const bool offline = o.offline || output.find("offline") != std::string_view::npos;
  return Error{
      ErrorKind::kInput,
      fmt::format("cargo could not get the crates this project depends on{}: a network or "
                  "registry problem{}, not a compile error",
                  crate.empty() ? "" : fmt::format(" ({})", crate),
                  offline ? " (offline, and the crates are not on this machine)"
                          : " (crates.io or the configured registry is unreachable)"),
      (o.project_dir / "Cargo.toml").string(), "dependencies",
      "on a machine with network access run `cargo fetch` in the project (with Cargo.lock "
      "committed, so the versions are pinned) and copy ~/.cargo/registry (or CARGO_HOME) here; "
      "or run `cargo vendor` there and commit vendor/ with the [source] lines it prints in "
      ".cargo/config.toml; then build without network: wslplug build --offline"};
}

// Where a toolchain's output goes: `fd`, or nowhere when it is only kept.
int stream_fd(const BuildOptions& o) { return o.stream_output ? o.output_fd : -1; }

// Keeps a step's output and the diagnostics in it for the caller.
void keep(BuildTranscript& transcript, const std::string& output, std::vector<Diagnostic> found) {
  transcript.output += output;
  if (transcript.output.size() > 128 * 1024)
    transcript.output.erase(0, transcript.output.size() - 128 * 1024);
  for (auto& d : found) transcript.diagnostics.push_back(std::move(d));
}

// Runs cargo and finds the cdylib it built. cargo renders rustc's diagnostics as text (stderr,
// streamed and kept); they are read back from that text.
Status run_cargo(const Manifest& m, const BuildOptions& o, RustToolchain& tc, BuildOutcome& outcome,
                 BuildTranscript& transcript) {
  std::error_code ec;
  outcome.command = {tc.cargo.string(), "build", "--target", outcome.triple,
                     "--message-format=json-render-diagnostics"};
  if (!o.debug) outcome.command.insert(outcome.command.begin() + 2, "--release");
  if (o.offline) outcome.command.push_back("--offline");
  if (o.verbose) outcome.command.push_back("-v");
  tc.popt.capture_stdout = true;
  OutputTee tee(stream_fd(o));
  tc.popt.output_fd = tee.write_fd();
  auto run = process::run(outcome.command, tc.popt);
  const std::string output = tee.finish();
  keep(transcript, output, parse_rustc_diagnostics(output, o.project_dir, o.project_dir));
  if (!run) return std::unexpected(run.error());
  if (!run->ok()) {
    if (is_dependency_failure(output)) return std::unexpected(dependency_error(o, output));
    // The Windows std in the sysroot was built by another rustc (rustc upgraded since).
    if (output.find("compiled by an incompatible version of rustc") != std::string::npos)
      return fail(ErrorKind::kInput,
                  fmt::format("the {} standard library was built by another rustc than {}",
                              outcome.triple, tc.rustc.string()),
                  {}, "target " + outcome.triple,
                  fmt::format("rebuild it for this rustc: `rustup target add {}` (rustup), or "
                              "scripts/rust-windows-std --force from wslplug's sources (Debian "
                              "12 rustc-web, after an upgrade)",
                              outcome.triple));
    return fail(ErrorKind::kBad, fmt::format("cargo failed (exit {})", run->exit_code),
                o.project_dir.string(), {}, "see the compiler output above");
  }
  auto dlls = cargo_dlls(run->captured);
  if (dlls.empty())
    return fail(ErrorKind::kInput, "cargo built no cdylib (no DLL)",
                (o.project_dir / "Cargo.toml").string(), "[lib] crate-type",
                "add `[lib]` with `crate-type = [\"cdylib\"]` to Cargo.toml");
  outcome.artifact = dlls.front();
  for (const auto& d : dlls)
    if (d.filename() == m.dll) outcome.artifact = d;
  if (!fs::exists(outcome.artifact, ec))
    return io_error("cargo reported a DLL that does not exist", outcome.artifact.string());
  if (outcome.artifact.filename() != m.dll && !m.dll.empty())
    outcome.notes.push_back(fmt::format("the DLL is {}, not {} as wslplug.json says",
                                        outcome.artifact.filename().string(), m.dll));
  return {};
}

Result<BuildOutcome> build_rust(const Manifest& m, const BuildOptions& o, TargetArch arch,
                                BuildTranscript& transcript) {
  if (arch == TargetArch::kArm64 && !on_windows()) return std::unexpected(arm64_unsupported(m));
  BuildOutcome outcome;
  outcome.target = arch;
  outcome.triple = rust_triple(arch);
  outcome.profile = o.debug ? "debug" : "release";
  const std::string install_rust = install_rust_fix(outcome.triple);

  auto tc = find_rust_toolchain(o, outcome, install_rust);
  if (!tc) return std::unexpected(tc.error());
  if (auto ok = check_rust_target(tc->rustc, o, outcome, arch); !ok)
    return std::unexpected(ok.error());
  if (auto ok = run_cargo(m, o, *tc, outcome, transcript); !ok) return std::unexpected(ok.error());
  return outcome;
}

// Runs one CMake step, its output streamed (or not) and kept with the compiler's diagnostics
// (paths relative to the build tree, where the compiler runs).
Result<process::Outcome> run_cmake_step(const std::vector<std::string>& command,
                                        const BuildOptions& o, const fs::path& build_dir,
                                        BuildTranscript& transcript) {
  OutputTee tee(stream_fd(o));
  process::Options popt;
  popt.output_fd = tee.write_fd();
  auto run = process::run(command, popt);
  const std::string output = tee.finish();
  keep(transcript, output, parse_gcc_diagnostics(output, o.project_dir, build_dir));
  return run;
}

Result<BuildOutcome> build_cmake(const Manifest& m, const BuildOptions& o, TargetArch arch,
                                 BuildTranscript& transcript) {
  if (arch == TargetArch::kArm64 && !on_windows()) return std::unexpected(arm64_unsupported(m));
  BuildOutcome outcome;
  outcome.target = arch;
  outcome.profile = o.debug ? "debug" : "release";
  outcome.triple = on_windows() ? "msvc" : "x86_64-w64-mingw32";
  const auto cmake = process::find_program("cmake");
  if (!cmake)
    return fail(ErrorKind::kInput, "cmake not found on PATH", {}, {},
                "apt-get install cmake (Debian/Ubuntu), or https://cmake.org/download/");
  const std::string config = o.debug ? "Debug" : "Release";
  // Absolute, so the reported artifact path does not depend on the caller's directory (cargo's
  // artifact paths are absolute too).
  const fs::path build_dir =
      fs::absolute(cmake_build_dir(m, o.project_dir, arch, o.debug)).lexically_normal();
  std::vector<std::string> configure = {cmake->string(),        "-S",
                                        o.project_dir.string(), "-B",
                                        build_dir.string(),     "-DCMAKE_BUILD_TYPE=" + config};
  if (!on_windows()) {
    const fs::path toolchain = fs::absolute(o.project_dir / "cmake" / "mingw-w64-x86_64.cmake");
    std::error_code ec;
    if (!fs::exists(toolchain, ec))
      return fail(ErrorKind::kInput, "no MinGW toolchain file", toolchain.string(), {},
                  "add one (CMAKE_SYSTEM_NAME Windows, CMAKE_CXX_COMPILER "
                  "x86_64-w64-mingw32-g++), or regenerate the project with wslplug new --lang cpp");
    for (const char* tool : {kMingwCompilerX64, kMingwCxxCompilerX64})
      if (!process::find_program(tool))
        return fail(ErrorKind::kInput,
                    fmt::format("the MinGW-w64 compiler {} is not on PATH", tool), {},
                    "CMAKE_TOOLCHAIN_FILE",
                    "apt-get install gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 (Debian/Ubuntu)");
    configure.push_back("-DCMAKE_TOOLCHAIN_FILE=" + toolchain.string());
    if (process::find_program("ninja")) {
      configure.push_back("-G");
      configure.push_back("Ninja");
    }
  } else {
    configure.push_back("-A");
    configure.push_back(arch == TargetArch::kArm64 ? "ARM64" : "x64");
  }
  std::error_code ec;
  if (!fs::exists(build_dir / "CMakeCache.txt", ec)) {
    auto conf = run_cmake_step(configure, o, build_dir, transcript);
    if (!conf) return std::unexpected(conf.error());
    if (!conf->ok())
      return fail(ErrorKind::kBad, fmt::format("CMake configure failed (exit {})", conf->exit_code),
                  (o.project_dir / "CMakeLists.txt").string(), {},
                  "see the output above; remove " + build_dir.string() + " to start afresh");
  }
  outcome.command = {cmake->string(), "--build", build_dir.string(), "--config", config};
  if (o.verbose) outcome.command.push_back("--verbose");
  auto run = run_cmake_step(outcome.command, o, build_dir, transcript);
  if (!run) return std::unexpected(run.error());
  if (!run->ok())
    return fail(ErrorKind::kBad, fmt::format("the build failed (exit {})", run->exit_code),
                o.project_dir.string(), {}, "see the compiler output above");
  // The template's CMake records which WslPluginApi.h it compiled against (and WSLPLUG_SDK).
  if (auto header = read_text_file(build_dir / "wslplug-api-header.txt", 64 * 1024)) {
    const std::string text = *header;
    const std::string path = text.substr(0, text.find('\n'));
    const std::string rest =
        text.find('\n') == std::string::npos ? "" : text.substr(text.find('\n') + 1);
    const std::string sdk = rest.substr(0, rest.find('\n'));
    if (!path.empty())
      outcome.notes.push_back(fmt::format("compiled against {} ({})", path,
                                          sdk.empty()
                                              ? "the project's own header"
                                              : "Microsoft.WSL.PluginApi, WSLPLUG_SDK=" + sdk));
  }
  for (const fs::path& candidate : {build_dir / m.dll, build_dir / config / m.dll}) {
    if (fs::is_regular_file(candidate, ec)) {
      outcome.artifact = candidate;
      return outcome;
    }
  }
  // Not under the expected name: accept a single DLL in the build directory.
  std::vector<fs::path> found;
  for (const fs::path& dir : {build_dir, build_dir / config}) {
    if (!fs::is_directory(dir, ec)) continue;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_regular_file() && e.path().extension() == ".dll") found.push_back(e.path());
  }
  if (found.size() == 1) {
    outcome.artifact = found.front();
    outcome.notes.push_back(
        fmt::format("the DLL is {}, not {} as expected", found.front().filename().string(), m.dll));
    return outcome;
  }
  return fail(ErrorKind::kInput,
              found.empty()
                  ? fmt::format("the build produced no DLL named {}", m.dll)
                  : fmt::format("the build produced {} DLLs and none is {}", found.size(), m.dll),
              build_dir.string(), "paths.dll",
              "set paths.dll in wslplug.json to the DLL's file name (add_library(NAME SHARED) "
              "with PREFIX \"\")");
}

}  // namespace

std::string rust_triple(TargetArch arch) {
  const char* cpu = arch == TargetArch::kArm64 ? "aarch64" : "x86_64";
  return fmt::format("{}-pc-windows-{}", cpu, on_windows() ? "msvc" : "gnu");
}

Result<BuildOutcome> build_project(const Manifest& manifest, const BuildOptions& options,
                                   BuildTranscript* transcript) {
  const TargetArch arch = options.target.value_or(manifest.target);
  BuildTranscript unused;
  BuildTranscript& kept = transcript != nullptr ? *transcript : unused;
  return manifest.language == Language::kRust ? build_rust(manifest, options, arch, kept)
                                              : build_cmake(manifest, options, arch, kept);
}

}  // namespace wslplug::project
