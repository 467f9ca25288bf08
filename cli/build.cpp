// wslplug build: builds the plugin project in -C DIR (wslplug.json, or a detected Cargo.toml /
// CMakeLists.txt) into a Windows DLL with cargo or CMake, streaming the toolchain's output, and
// reports where the DLL is; then runs the `doctor --dll` checks on it, optionally signs it with
// the project's test certificate (--sign) and writes the registration files (--emit-reg).
#include <fmt/format.h>
#include <unistd.h>

#include "command.hpp"
#include "common.hpp"
#include "run_command.hpp"
#include "wslplug/project/builder.hpp"
#include "wslplug/doctor/dll.hpp"
#include "wslplug/doctor/finding.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/project/manifest.hpp"
#include "wslplug/registry/regfile.hpp"
#include "wslplug/registry/registration.hpp"
#include "wslplug/signing/signing.hpp"
#include "wslplug/registry/winpath.hpp"

namespace wslplug::cli {
namespace {

struct BuildFlags {
  std::string dir = ".";
  std::string target;
  bool debug = false;
  bool json = false;
  std::string cargo;
  bool sign = false;
  bool emit_reg = false;
  bool run = false;
  std::vector<std::string> run_versions;
};

struct Registration {
  std::string name;
  std::string windows_path;
  bool path_guessed = false;  // the DLL is not on a Windows drive: C:\Plugins\<dll> assumed
  fs::path add_file, remove_file;
};

// Writes DIR/<paths.registration>/<name>.reg (registers the plugin's REG_SZ value) and
// <name>.unregister.reg, UTF-16LE as regedit writes them. They are build outputs: replaced on
// every build.
Result<Registration> emit_registration(const Manifest& m, const fs::path& project_dir,
                                       const fs::path& dll) {
  Registration r;
  r.name = m.registry_name.empty() ? m.name : m.registry_name;
  if (auto ok = reg::validate_plugin_name(r.name); !ok) return std::unexpected(ok.error());
  // A DLL built on a Windows drive (WSL: /mnt/c/...) is registered where it is; otherwise at
  // C:\Plugins\<dll>, where the README says to copy it.
  if (auto path = reg::to_windows_path(fs::absolute(dll).lexically_normal().string())) {
    r.windows_path = path->path;
  } else {
    r.windows_path = "C:\\Plugins\\" + dll.filename().string();
    r.path_guessed = true;
  }
  const fs::path dir = project_dir / (m.registration.empty() ? ".wslplug" : m.registration);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return io_error("cannot create directory: " + ec.message(), dir.string());
  const std::string stem = reg::file_safe_name(r.name);
  r.add_file = dir / (stem + ".reg");
  r.remove_file = dir / (stem + ".unregister.reg");
  OutputOptions oo;
  oo.overwrite = true;
  for (const auto& [file, doc] :
       {std::pair{r.add_file, reg::registration_document(r.name, r.windows_path)},
        std::pair{r.remove_file, reg::removal_document(r.name)}}) {
    auto bytes = reg::serialize(doc, reg::Encoding::kUtf16le);
    if (!bytes) return std::unexpected(bytes.error());
    if (auto ok = write_file_atomic(file, *bytes, oo); !ok) return std::unexpected(ok.error());
  }
  return r;
}

struct SignedWith {
  fs::path cert_pem;
  bool created = false;
  std::string subject;
};

// Signs `dll` in place with the project's test certificate (DIR/<cert_dir>/cert.pem + key.pem),
// creating it on first use.
Result<SignedWith> sign_with_project_cert(const Manifest& m, const fs::path& project_dir,
                                          const fs::path& dll) {
  const fs::path dir = project_dir / (m.cert_dir.empty() ? ".wslplug" : m.cert_dir);
  const fs::path cert = dir / "cert.pem", key = dir / "key.pem";
  std::error_code ec;
  const bool have_cert = fs::exists(cert, ec), have_key = fs::exists(key, ec);
  SignedWith out{cert, false, {}};
  if (have_cert != have_key)
    return input_error(fmt::format("{} exists but {} does not", (have_cert ? cert : key).string(),
                                   (have_cert ? key : cert).string()),
                       dir.string(), "paths.cert_dir",
                       "restore the missing file, or remove both to let build --sign create a new "
                       "test certificate");
  if (!have_cert) {
    signing::CertRequest request;
    request.subject = fmt::format("CN={} test code signing", m.name);
    auto created = signing::create_test_certificate(request, dir, false, nullptr, false);
    if (!created) return std::unexpected(created.error());
    out.created = true;
  }
  auto creds = signing::Credentials::from_pem(cert, key, {}, nullptr);
  if (!creds) return std::unexpected(creds.error());
  out.subject = creds->subject();
  signing::SignOptions options;
  options.description = m.name;
  OutputOptions oo;
  oo.overwrite = true;
  oo.keep_mode_of_existing = true;
  auto signed_file = signing::sign_file(dll, dll, *creds, options, oo);
  if (!signed_file) return std::unexpected(signed_file.error());
  return out;
}

nlohmann::json finding_json(const Finding& f) {
  return {
      {"id", f.id},
      {"severity", severity_name(f.severity)},
      {"wsl_error", f.wsl_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.wsl_error)},
      {"message", f.message},
      {"fix", f.fix}};
}

int run_build(const BuildFlags& f) {
  nlohmann::json doc;
  // Absolute paths in the report, whatever the caller's directory.
  const fs::path project = fs::absolute(f.dir).lexically_normal();
  doc["project"] = project.string();
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
  options.project_dir = project;
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
  auto manifest = detect_project(project);
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
  if (f.sign) {
    auto signed_with = sign_with_project_cert(*manifest, project, built->artifact);
    if (!signed_with) return failed(signed_with.error());
    doc["signed"] = true;
    doc["certificate"] = signed_with->cert_pem.string();
    if (!f.json) {
      if (signed_with->created)
        note(
            fmt::format("Created the project's test certificate {} ({}); trust it on the Windows "
                        "machine: import {} into LocalMachine\\Root (never commit these files)",
                        signed_with->cert_pem.string(), signed_with->subject,
                        (signed_with->cert_pem.parent_path() / "cert.cer").string()));
      note(fmt::format("Signed {} with {}", built->artifact.string(), signed_with->subject));
    }
  }
  // The doctor --dll checks. A DLL signed with the project's certificate (by this or an earlier
  // build --sign) is verified against it: Windows will need it in LocalMachine\\Root, which the
  // --sign note says.
  signing::VerifyOptions vo;
  const fs::path project_cert =
      project / (manifest->cert_dir.empty() ? ".wslplug" : manifest->cert_dir) / "cert.pem";
  std::error_code ec;
  if (fs::exists(project_cert, ec)) vo.ca_files.push_back(project_cert);
  auto checked = doctor::check_plugin_dll(built->artifact, vo);
  if (!checked) return failed(checked.error());
  std::vector<Finding> findings = std::move(*checked);
  // Unsigned is the normal state of a fresh build: a warning here (an error for doctor).
  for (auto& finding : findings)
    if (!f.sign && finding.is(finding::kUnsigned)) finding.severity = Severity::kWarning;
  for (const auto& finding : findings) doc["findings"].push_back(finding_json(finding));
  const int rc = has_errors(findings) ? kExitBad : kExitOk;

  std::optional<Registration> registration;
  if (f.emit_reg) {
    auto r = emit_registration(*manifest, project, built->artifact);
    if (!r) return failed(r.error());
    registration = std::move(*r);
    doc["registration"] = {{"name", registration->name},
                           {"windows_path", registration->windows_path},
                           {"file", registration->add_file.string()},
                           {"unregister_file", registration->remove_file.string()}};
  }
  RunFlags rf;
  if (f.run) {
    rf.dll = built->artifact.string();
    rf.versions = f.run_versions;
    rf.name = manifest->registry_name.empty() ? manifest->name : manifest->registry_name;
    rf.json = f.json;
  }
  if (f.json) {
    if (f.run) {
      // One document: the run's, with the build's under "build".
      const nlohmann::json extra = {{"build", doc}};
      return combine_exit(rc, run_plugin(rf, &extra));
    }
    print_json(doc);
    return rc;
  }
  for (const auto& n : built->notes) note(n);
  fmt::print("Built {}\n", built->artifact.string());
  for (const auto& finding : findings) {
    fmt::print("  {} [{}]{}\n", severity_name(finding.severity), finding.id,
               finding.wsl_error.empty() ? "" : fmt::format(" -> {}", finding.wsl_error));
    fmt::print("    {}\n", finding.message);
    if (!finding.fix.empty()) fmt::print("    fix: {}\n", finding.fix);
  }
  if (has_errors(findings)) fmt::print("WSL would fail to load this plugin (see above)\n");
  if (registration) {
    fmt::print("Wrote {} (\"{}\" = {}) and {}\n", registration->add_file.string(),
               registration->name, registration->windows_path, registration->remove_file.string());
    if (registration->path_guessed)
      note(
          fmt::format("the DLL is not on a Windows drive: the registration assumes {}; copy it "
                      "there, or use wslplug register --emit-reg WINDOWS_PATH",
                      registration->windows_path));
    note(fmt::format("on Windows, elevated: reg.exe import {} /reg:64, then sc.exe stop wslservice",
                     registration->add_file.filename().string()));
  }
  if (f.run) {
    std::fflush(stdout);
    return combine_exit(rc, run_plugin(rf));
  }
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
      cmd->add_flag("--sign", flags->sign,
                    "Sign the DLL with the project's test certificate (.wslplug/cert.pem and "
                    "key.pem, created on first use)");
      cmd->add_flag("--emit-reg", flags->emit_reg,
                    "Write the registration files (.wslplug/NAME.reg and NAME.unregister.reg) for "
                    "the DLL: its own path when on a Windows drive (/mnt/c/...), else "
                    "C:\\Plugins\\<dll>");
      cmd->add_flag("--run", flags->run,
                    "Then run the built DLL through its lifecycle in the WSL plugin host (wslplug "
                    "run); with --json one document: run's, with build's under \"build\"");
      cmd->add_option("--wsl-version", flags->run_versions,
                      "With --run: WSL version to emulate (repeatable; default: run's matrix)")
          ->allow_extra_args(false);
      cmd->add_option("--cargo", flags->cargo,
                      "The cargo to run (default: $CARGO, then cargo on PATH); the rustc beside it "
                      "is used unless RUSTC is set");
      set_examples(cmd, {"wslplug build", "wslplug build -C my-plugin --json",
                         "wslplug build --cargo /usr/bin/cargo   # Debian's Rust with "
                         "libstd-rust-dev-windows",
                         "RUSTC=/usr/bin/rustc CARGO=/usr/bin/cargo wslplug build --debug",
                         "wslplug build --run --wsl-version 2.4.4   # build, then wslplug run", "",
                         "Exit codes: 0 built, 1 the build failed or the DLL has errors, 2 no "
                         "project or a toolchain is missing (the fix says what to install), 3 I/O "
                         "error."});
      return [flags] { return run_build(*flags); };
    }}};

}  // namespace
}  // namespace wslplug::cli
