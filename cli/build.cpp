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
#include "wslplug/signing.hpp"

namespace wslplug::cli {
namespace {

struct BuildFlags {
  std::string dir = ".";
  std::string target;
  bool debug = false;
  bool json = false;
  std::string cargo;
  bool sign = false;
};

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
  if (f.sign) {
    auto signed_with = sign_with_project_cert(*manifest, f.dir, built->artifact);
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
      cmd->add_flag("--sign", flags->sign,
                    "Sign the DLL with the project's test certificate (.wslplug/cert.pem and "
                    "key.pem, created on first use)");
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
