// wslplug build: builds the plugin project in -C DIR (wslplug.json, or a detected Cargo.toml /
// CMakeLists.txt) into a Windows DLL with cargo or CMake, streaming the toolchain's output, and
// reports where the DLL is.
#include <fmt/format.h>
#include <unistd.h>

#include "command.hpp"
#include "common.hpp"
#include "wslplug/builder.hpp"
#include "wslplug/finding.hpp"
#include "wslplug/manifest.hpp"

namespace wslplug::cli {
namespace {

struct BuildFlags {
  std::string dir = ".";
  std::string target;
  bool debug = false;
  bool json = false;
  std::string cargo;
};

nlohmann::json finding_json(const Finding& f) {
  return {{"id", f.id},
          {"severity", severity_name(f.severity)},
          {"wsl_error", f.wsl_error},
          {"message", f.message},
          {"fix", f.fix}};
}

int run_build(const BuildFlags& f) {
  nlohmann::json doc;
  doc["project"] = f.dir;
  doc["artifact"] = nullptr;
  doc["target"] = nullptr;
  doc["signed"] = false;
  doc["findings"] = nlohmann::json::array();
  auto failed = [&](const Error& e) {
    if (f.json) {
      doc["error"] = error_json(e);
      print_json(doc);
      return exit_code(e.kind);
    }
    return report(e);
  };

  build::Options options;
  options.project_dir = f.dir;
  options.debug = f.debug;
  options.cargo = f.cargo;
  // Toolchain output: on stdout, or on stderr when stdout carries the JSON document.
  options.output_fd = f.json ? STDERR_FILENO : STDOUT_FILENO;
  if (!f.target.empty()) {
    auto arch = parse_arch(f.target);
    if (!arch)
      return failed(Error{ErrorKind::kInput,
                          fmt::format("unknown target '{}'", f.target),
                          {},
                          "--target",
                          "use --target x86_64 or --target arm64"});
    options.target = *arch;
  }
  auto manifest = detect_project(f.dir);
  if (!manifest) return failed(manifest.error());
  doc["name"] = manifest->name;
  doc["language"] = language_name(manifest->language);
  doc["target"] = arch_name(options.target.value_or(manifest->target));
  if (!f.json)
    note(fmt::format("Building {} plugin '{}' ({}{})", language_name(manifest->language),
                     manifest->name, arch_name(options.target.value_or(manifest->target)),
                     f.debug ? ", debug" : ""));
  // Make sure our own messages come before the toolchain's output.
  std::fflush(stdout);
  std::fflush(stderr);
  auto built = build::build_project(*manifest, options);
  if (!built) return failed(built.error());
  doc["artifact"] = built->artifact.string();
  doc["triple"] = built->triple;
  doc["profile"] = built->profile;
  std::vector<Finding> findings;
  for (const auto& finding : findings) doc["findings"].push_back(finding_json(finding));
  const int rc = has_errors(findings) ? kExitBad : kExitOk;
  if (f.json) {
    print_json(doc);
    return rc;
  }
  for (const auto& n : built->notes) note(n);
  fmt::print("Built {}\n", built->artifact.string());
  return rc;
}

const Registrar registrar{CommandSpec{
    "build", 20, [](CLI::App& root) -> Runner {
      auto flags = std::make_shared<BuildFlags>();
      auto* cmd = root.add_subcommand(
          "build",
          "Build the plugin project into a Windows DLL (cargo or CMake with MinGW-w64 on Linux) "
          "and report where the DLL is.");
      cmd->add_option("-C,--dir", flags->dir, "Project directory (default: .)");
      cmd->add_option("--target", flags->target,
                      "Architecture: x86_64 (default, or wslplug.json's target) or arm64");
      cmd->add_flag("--debug", flags->debug, "Build the debug profile instead of release");
      cmd->add_flag("--json", flags->json,
                    "Print a JSON report on stdout (artifact, target, signed, findings); the "
                    "toolchain's output goes to stderr");
      cmd->add_option("--cargo", flags->cargo,
                      "The cargo to run (default: $CARGO, then cargo on PATH); the rustc beside it "
                      "is used unless RUSTC is set");
      set_examples(cmd, {"wslplug build", "wslplug build -C my-plugin --json",
                         "wslplug build --cargo /usr/bin/cargo   # Debian's Rust with "
                         "libstd-rust-dev-windows",
                         "RUSTC=/usr/bin/rustc CARGO=/usr/bin/cargo wslplug build --debug", "",
                         "Exit codes: 0 built, 1 the build failed or the DLL has errors, 2 no "
                         "project or a toolchain is missing (the fix says what to install), 3 I/O "
                         "error."});
      return [flags] { return run_build(*flags); };
    }}};

}  // namespace
}  // namespace wslplug::cli
