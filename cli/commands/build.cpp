// wslplug build: builds the plugin project in -C DIR (wslplug.json, or a detected Cargo.toml /
// CMakeLists.txt) into a Windows DLL with cargo or CMake, streaming the toolchain's output, and
// reports where the DLL is and the compiler's diagnostics; then runs the `doctor --dll` checks on
// it, optionally signs it as `sign` would by default (--sign: WSLPLUG_* variables, wslplug.json's
// "signing", else the project's test certificate) and writes the registration files
// (--emit-reg). -q keeps the toolchain's output unless the build fails, -v makes it verbose. The
// steps are the project library's (builder.hpp, workflow.hpp); this file parses the flags and
// renders each step as text or as one JSON document.
#include <fmt/format.h>
#include <unistd.h>

#include <optional>

#include "commands/commands.hpp"
#include "commands/run.hpp"
#include "common.hpp"
#include "render/console.hpp"
#include "render/findings_view.hpp"
#include "render/signing_settings.hpp"
#include "wslplug/doctor/finding.hpp"
#include "wslplug/project/builder.hpp"
#include "wslplug/project/manifest.hpp"
#include "wslplug/project/settings.hpp"
#include "wslplug/project/workflow.hpp"

namespace wslplug::cli {

namespace fs = std::filesystem;
namespace {

// Absolute, lexically normal, no trailing '/': how the report shows every path.
fs::path normal_path(const fs::path& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec).lexically_normal();
  if (a.has_relative_path() && a.filename().empty()) a = a.parent_path();
  return a;
}

struct BuildFlags {
  std::string dir = ".";
  std::string target;
  bool debug = false;
  bool json = false;
  std::string cargo;
  bool offline = false;
  bool sign = false;
  bool emit_reg = false;
  std::string windows_path;               // --windows-path: what the registration names
  std::string automount_root = "/mnt/";   // for a /mnt/c/... --windows-path
  bool run = false;                       // then `wslplug run` the built DLL
  std::vector<std::string> run_versions;  // --wsl-version for the run
  bool run_allow_unsigned = false;        // --allow-unsigned for the run
};

// One build, step by step: the JSON document is filled as the steps run, so a step that fails
// still reports what the earlier steps did.
class BuildRun {
 public:
  explicit BuildRun(const BuildFlags& flags) : f_(flags), project_(normal_path(flags.dir)) {
    // Absolute, normal paths in the report, whatever the caller's directory.
    doc_["ok"] = false;
    doc_["project"] = project_.string();
    doc_["artifact"] = nullptr;
    doc_["target"] = nullptr;
    doc_["signed"] = false;
    doc_["findings"] = nlohmann::json::array();
    doc_["diagnostics"] = nlohmann::json::array();
  }

  int run();

 private:
  int failed(const Error& e) {
    if (f_.json) {
      doc_["error"] = error_json(e);
      print_json(doc_);
      return exit_code(e.kind);
    }
    return report(e);
  }
  Result<project::BuildOptions> builder_options() const;
  Status detect(project::BuildOptions& options);
  Status build(const project::BuildOptions& options);
  Status sign();
  Status check();
  Status emit_registration();
  int run_built();
  void print_text() const;

  const BuildFlags& f_;
  fs::path project_;
  nlohmann::json doc_;
  project::Manifest manifest_;
  project::BuildOutcome built_;
  project::BuildTranscript transcript_;
  std::vector<doctor::Finding> findings_;
  std::vector<fs::path> trusted_;  // the signer's certificate from the environment or manifest
  std::optional<project::Registration> registration_;
};

Result<project::BuildOptions> BuildRun::builder_options() const {
  project::BuildOptions options;
  options.project_dir = project_;
  options.debug = f_.debug;
  options.cargo = f_.cargo;
  options.offline = f_.offline;
  // The toolchain's output is progress, not data: on stderr; with -q only when the build fails.
  options.output_fd = STDERR_FILENO;
  options.stream_output = !quiet();
  options.verbose = verbose();
  if (!f_.target.empty()) {
    auto arch = project::parse_arch(f_.target);
    if (!arch)
      return std::unexpected(Error{ErrorKind::kInput,
                                   fmt::format("unknown target '{}'", f_.target),
                                   {},
                                   "--target",
                                   "use --target x86_64 or --target arm64"});
    options.target = *arch;
  }
  return options;
}

Status BuildRun::detect(project::BuildOptions& options) {
  // The project is the nearest folder with wslplug.json, here or above (as cargo and git).
  auto found = project::locate_project(project_);
  if (!found) return std::unexpected(found.error());
  if (found->dir != project_) detail(fmt::format("project: {}", found->dir.string()));
  project_ = found->dir;
  options.project_dir = project_;
  doc_["project"] = project_.string();
  manifest_ = std::move(found->manifest);
  const std::string_view arch = project::arch_name(options.target.value_or(manifest_.target));
  doc_["name"] = manifest_.name;
  doc_["language"] = project::language_name(manifest_.language);
  doc_["target"] = arch;
  if (!f_.json)
    note(fmt::format("Building {} plugin '{}' ({}{})", project::language_name(manifest_.language),
                     manifest_.name, arch, f_.debug ? ", debug" : ""));
  return {};
}

Status BuildRun::build(const project::BuildOptions& options) {
  // Make sure our own messages come before the toolchain's output.
  std::fflush(stdout);
  std::fflush(stderr);
  auto built = project::build_project(manifest_, options, &transcript_);
  for (const auto& d : transcript_.diagnostics) {
    nlohmann::json j = {
        {"file", d.file}, {"line", d.line}, {"severity", d.severity}, {"message", d.message}};
    if (d.column) j["column"] = *d.column;
    if (!d.code.empty()) j["code"] = d.code;
    doc_["diagnostics"].push_back(std::move(j));
  }
  if (!built) {
    // A quiet build shows what the toolchain said only now that it failed.
    if (!options.stream_output && !transcript_.output.empty()) {
      std::fwrite(transcript_.output.data(), 1, transcript_.output.size(), stderr);
      if (transcript_.output.back() != '\n') std::fputc('\n', stderr);
    }
    const std::string summary = project::diagnostics_summary(transcript_.diagnostics);
    if (!f_.json && !summary.empty()) fmt::print(stderr, "{}\n", summary);
    return std::unexpected(built.error());
  }
  built_ = std::move(*built);
  built_.artifact = normal_path(built_.artifact);
  doc_["artifact"] = built_.artifact.string();
  doc_["triple"] = built_.triple;
  doc_["profile"] = built_.profile;
  return {};
}

// The signer and timestamp server of `sign`'s defaults (settings.hpp), no flag naming them.
Status BuildRun::sign() {
  auto resolved = project::resolve_signing(project::SigningFlags{}, &manifest_, project_);
  if (!resolved) return std::unexpected(resolved.error());
  doc_["settings"] = signing_settings_json(*resolved);
  if (!f_.json) detail_signing_settings(*resolved);
  auto signed_with = project::sign_built_dll(manifest_, project_, built_.artifact, *resolved);
  if (!signed_with) return std::unexpected(signed_with.error());
  const fs::path file = normal_path(signed_with->cert_pem);
  if (signed_with->source != "project" && !resolved->pfx) trusted_.push_back(file);
  doc_["signed"] = true;
  doc_["certificate"] = file.string();
  doc_["signer"] = {{"subject", signed_with->subject},
                    {"thumbprint_sha1", signed_with->thumbprint_sha1},
                    {"source", signed_with->source},
                    {"file", file.string()}};
  if (f_.json) return {};
  if (signed_with->created)
    note(
        fmt::format("Created the project's test certificate {} ({}); trust it on the Windows "
                    "machine: import {} into LocalMachine\\Root (never commit these files)",
                    signed_with->cert_pem.string(), signed_with->subject,
                    (signed_with->cert_pem.parent_path() / "cert.cer").string()));
  const std::string from = signed_with->source == "project"
                               ? "the project's test certificate"
                               : (resolved->pfx ? resolved->pfx : resolved->cert)->origin;
  note(fmt::format("Signed {} with {} ({}, from {}){}", built_.artifact.string(),
                   signed_with->subject, file.string(), from,
                   signed_with->timestamped
                       ? fmt::format(", timestamped by {}", resolved->timestamp_url->value)
                       : ""));
  return {};
}

Status BuildRun::check() {
  // A DLL signed by an earlier build --sign with the signer of the environment or the manifest is
  // checked against that certificate too (a setting that does not resolve is --sign's to report).
  if (!f_.sign)
    if (auto resolved = project::resolve_signing(project::SigningFlags{}, &manifest_, project_);
        resolved && resolved->cert && !resolved->pfx)
      trusted_.push_back(normal_path(resolved->cert->value));
  auto checked = project::check_built_dll(
      manifest_, project_, built_.artifact,
      project::CheckOptions{.signing_requested = f_.sign, .trusted = trusted_});
  if (!checked) return std::unexpected(checked.error());
  findings_ = std::move(*checked);
  for (const auto& finding : findings_) doc_["findings"].push_back(finding_json(finding));
  return {};
}

Status BuildRun::emit_registration() {
  auto r =
      project::emit_registration(manifest_, project_, built_.artifact,
                                 project::RegistrationOptions{.windows_path = f_.windows_path,
                                                              .automount_root = f_.automount_root});
  if (!r) return std::unexpected(r.error());
  registration_ = std::move(*r);
  for (const auto& finding : registration_->location) {
    findings_.push_back(finding);
    doc_["findings"].push_back(finding_json(finding));
  }
  doc_["registration"] = {{"name", registration_->name},
                          {"windows_path", registration_->windows_path},
                          {"default_path", registration_->default_path},
                          {"file", normal_path(registration_->add_file).string()},
                          {"unregister_file", normal_path(registration_->remove_file).string()}};
  return {};
}

void BuildRun::print_text() const {
  for (const auto& n : built_.notes) note(n);
  fmt::print("Built {}\n", built_.artifact.string());
  print_findings(findings_);
  if (has_errors(findings_))
    fmt::print("{}\n", paint(stdout, Tone::kBad, "WSL would fail to load this plugin (see above)"));
  if (!registration_) return;
  note(fmt::format("Wrote {} (\"{}\" = {}) and {}", registration_->add_file.string(),
                   registration_->name, registration_->windows_path,
                   registration_->remove_file.string()));
  note(fmt::format(
      "on Windows, elevated: copy the DLL to {}, reg.exe import {} /reg:64, then sc.exe stop "
      "wslservice; or let a script do it safely: wslplug register --ps1 --source {}",
      registration_->windows_path, registration_->add_file.filename().string(),
      built_.artifact.string()));
}

int BuildRun::run() {
  auto options = builder_options();
  if (!options) return failed(options.error());
  if (auto ok = detect(*options); !ok) return failed(ok.error());
  if (auto ok = build(*options); !ok) return failed(ok.error());
  if (f_.sign)
    if (auto ok = sign(); !ok) return failed(ok.error());
  if (auto ok = check(); !ok) return failed(ok.error());
  const int rc = has_errors(findings_) ? kExitBad : kExitOk;
  if (f_.emit_reg || !f_.windows_path.empty())
    if (auto ok = emit_registration(); !ok) return failed(ok.error());
  doc_["ok"] = rc == kExitOk;
  if (f_.run) return combine_exit(rc, run_built());
  if (f_.json) {
    print_json(doc_);
    return rc;
  }
  print_text();
  return rc;
}

// `wslplug run` of the built DLL under the project's plugin name. With --json one document:
// run's, with the build's report under "build".
int BuildRun::run_built() {
  RunFlags rf;
  rf.dll = built_.artifact.string();
  rf.versions = f_.run_versions;
  rf.dir = project_.string();  // the project's certificate is a trusted root
  for (const auto& trusted : trusted_) rf.cas.push_back(trusted.string());  // and the signer's
  rf.allow_unsigned = f_.run_allow_unsigned;
  rf.name = manifest_.registry_name.empty() ? manifest_.name : manifest_.registry_name;
  rf.json = f_.json;
  if (f_.json) {
    const nlohmann::json extra = {{"build", doc_}};
    return run_plugin(rf, &extra);
  }
  print_text();
  std::fflush(stdout);
  return run_plugin(rf);
}

int run_build(const BuildFlags& f) { return BuildRun(f).run(); }

}  // namespace

Runner setup_build(CLI::App& root) {
  auto flags = std::make_shared<BuildFlags>();
  auto* cmd = root.add_subcommand(
      "build",
      "Build the plugin project into a Windows DLL (cargo or CMake with MinGW-w64 on Linux) "
      "and report where the DLL is.");
  cmd->add_option("-C,--dir", flags->dir, "Project directory (default: .)")->option_text("DIR");
  set_choices(cmd->add_option("--target", flags->target,
                              "Architecture: x86_64 (default, or wslplug.json's target) or "
                              "arm64"),
              {"x86_64", "arm64"});
  cmd->add_flag("--debug", flags->debug, "Build the debug profile instead of release");
  cmd->add_flag("--json", flags->json,
                "Print a JSON report on stdout (artifact, target, signed, findings, the "
                "compiler's diagnostics); the toolchain's output goes to stderr");
  cmd->add_flag("--sign", flags->sign,
                "Sign the DLL as `wslplug sign` would by default: $WSLPLUG_CERT/KEY or "
                "$WSLPLUG_PFX, then wslplug.json's signing, else the project's test certificate "
                "(.wslplug/cert.pem and key.pem, created on first use); timestamped when "
                "$WSLPLUG_TIMESTAMP_URL or signing.timestamp_url is set");
  cmd->add_flag("--emit-reg", flags->emit_reg,
                "Write the registration files (.wslplug/NAME.reg and NAME.unregister.reg) for "
                "the DLL installed at --windows-path, by default C:\\Program Files\\WSL "
                "Plugins\\NAME\\<dll>");
  cmd->add_option("--windows-path", flags->windows_path,
                  "With --emit-reg (implied): where Windows loads the DLL from, as register's "
                  "DLL_PATH (C:\\..., /mnt/c/..., \\\\server\\share\\...)");
  cmd->add_option("--automount-root", flags->automount_root,
                  "Where WSL mounts Windows drives (wsl.conf [automount] root), for a "
                  "/mnt/c/... --windows-path")
      ->capture_default_str();
  cmd->add_flag("--run", flags->run,
                "Then run the built DLL through its lifecycle in the WSL plugin host (wslplug "
                "run); with --json one document: run's, with build's under \"build\"");
  cmd->add_option(
         "--wsl-version", flags->run_versions,
         "With --run: WSL version to emulate, X.Y.Z (X.Y means X.Y.0); repeatable (default: "
         "run's matrix)")
      ->option_text("X.Y.Z")
      ->allow_extra_args(false);
  cmd->add_flag("--allow-unsigned", flags->run_allow_unsigned,
                "With --run: run the DLL even when it is not signed (without --sign), with a "
                "warning");
  cmd->add_option("--cargo", flags->cargo,
                  "The cargo to run (default: $CARGO, then cargo on PATH); the rustc beside it "
                  "is used unless RUSTC is set")
      ->option_text("PROGRAM");
  cmd->add_flag("--offline", flags->offline,
                "Rust: build with the crates already on this machine (cargo --offline; after "
                "`cargo fetch` or `cargo vendor`)");
  set_examples(cmd, {"wslplug build", "wslplug build -C my-plugin --json",
                     "wslplug build --cargo /usr/bin/cargo   # Debian 12's rustc-web (Rust "
                     "1.96), not rustup's",
                     "RUSTC=/usr/bin/rustc CARGO=/usr/bin/cargo wslplug build --debug",
                     "wslplug build --run --wsl-version 2.4.4   # build, then wslplug run",
                     "wslplug build -q   # the toolchain's output only if the build fails",
                     "WSLPLUG_CERT=release.pem WSLPLUG_KEY=release.key wslplug build --sign",
                     "wslplug build --windows-path '/mnt/c/Program Files/WSL Plugins/p/p.dll'"});
  set_exit_codes(cmd, {{0, "built"},
                       {1, "the build failed or the DLL has error findings"},
                       {2,
                        "no project, a toolchain is missing (the fix says what to install) "
                        "or cargo cannot get the crates (network or registry)"}});
  return [flags] { return run_build(*flags); };
}

}  // namespace wslplug::cli
