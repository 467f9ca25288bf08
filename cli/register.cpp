// `wslplug register --emit-reg` and `wslplug unregister --emit-reg`: write the .reg files (and
// optionally an elevated PowerShell script) that add or remove a WSL plugin's REG_SZ value under
// HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss\Plugins. wslplug runs on Linux, so it
// never writes the registry itself.
#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "common.hpp"
#include "findings_view.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/doctor/dll.hpp"
#include "wslplug/registry/registration.hpp"
#include "wslplug/registry/winpath.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

namespace fs = std::filesystem;

struct PlannedOutput {
  fs::path path;
  std::vector<std::byte> bytes;
  std::string what;
};

// Opens every output first (so an existing file refuses the whole set before anything is
// written), then writes and commits them.
int write_outputs(const std::vector<PlannedOutput>& outputs, bool force) {
  std::vector<AtomicOutput> opened;
  for (const auto& o : outputs) {
    auto out = AtomicOutput::create(o.path, OutputOptions{.overwrite = force});
    if (!out) return report(out.error());
    opened.push_back(std::move(*out));
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (auto st = opened[i].write(outputs[i].bytes); !st) return report(st.error());
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (auto st = opened[i].commit(); !st) return report(st.error());
    fmt::print("wrote {}: {}\n", outputs[i].path.string(), outputs[i].what);
  }
  return kExitOk;
}

Result<reg::Encoding> parse_encoding(const std::string& s) {
  if (s == "utf16" || s == "utf-16" || s == "utf16le") return reg::Encoding::kUtf16le;
  if (s == "utf8" || s == "utf-8" || s == "ascii") return reg::Encoding::kUtf8;
  return input_error(fmt::format("unknown encoding \"{}\"", s), {}, "--encoding",
                     "use utf16 (default, what regedit writes) or utf8 (ASCII text only)");
}

int no_emit_reg(const std::string& command) {
  return report(Error{ErrorKind::kInput,
                      "writing the Windows registry directly needs Windows (and an elevated "
                      "prompt); wslplug only writes .reg files",
                      {},
                      "--emit-reg",
                      fmt::format("pass --emit-reg to write the .reg file, then import it on "
                                  "Windows from an elevated prompt: reg.exe import FILE.reg "
                                  "/reg:64 (wslplug {} --help shows examples)",
                                  command)});
}

fs::path with_suffix(const fs::path& reg_path, const std::string& suffix) {
  std::string file = reg_path.filename().string();
  if (file.size() > 4 && iends_with(file, ".reg")) file.resize(file.size() - 4);
  return reg_path.parent_path() / (file + suffix);
}

// When DLL_PATH is a WSL mount path that exists here, the image and export checks of doctor --dll
// on it: problems that would make WSL fail to load it are warnings (the registration file itself
// is still right). A file that cannot be read is a warning too.
void warn_about_local_dll(const fs::path& file) {
  auto checked = doctor::check_pe_file(file);
  if (!checked) {
    warn(fmt::format("cannot check {}: {}", file.string(), checked.error().describe()));
    return;
  }
  warn_findings(checked->findings);
  if (has_errors(checked->findings))
    warn(fmt::format("run wslplug doctor --dll {} for the whole check (signature included)",
                     file.string()));
}

// ------------------------------------------------------------------------------- register

struct RegisterArgs {
  bool emit_reg = false;
  std::string name;
  bool name_given = false;  // --name was passed (possibly empty, which is refused)
  std::string output;
  bool no_unregister = false;
  std::string encoding = "utf16";
  std::string automount_root = "/mnt/";
  bool ps1 = false;
  std::string trust_cert;
  bool force = false;
  std::string dll;
};

int run_register(const RegisterArgs& a) {
  if (!a.emit_reg) return no_emit_reg("register");
  if (!a.trust_cert.empty() && !a.ps1) {
    return report(Error{ErrorKind::kInput,
                        "--trust-cert needs --ps1: only the PowerShell script "
                        "can import a certificate",
                        {},
                        "--trust-cert",
                        "add --ps1"});
  }
  auto encoding = parse_encoding(a.encoding);
  if (!encoding) return report(encoding.error());
  auto path = reg::to_windows_path(a.dll, reg::PathOptions{.automount_root = a.automount_root});
  if (!path) return report(path.error());
  const std::string name = a.name_given ? a.name : reg::windows_stem(path->path);
  if (auto st = reg::validate_plugin_name(name); !st) return report(st.error());

  std::optional<signing::TrustCert> cert;
  if (!a.trust_cert.empty()) {
    auto c = signing::load_trust_cert(a.trust_cert);
    if (!c) return report(c.error());
    cert = std::move(*c);
  }

  const fs::path reg_path =
      a.output.empty() ? fs::path(reg::file_safe_name(name) + ".reg") : fs::path(a.output);
  std::vector<PlannedOutput> outputs;
  auto add = reg::serialize(reg::registration_document(name, path->path), *encoding);
  if (!add) return report(add.error());
  outputs.push_back({reg_path, std::move(*add),
                     fmt::format("registers plugin \"{}\" = {} (REG_SZ, {})", name, path->path,
                                 reg::encoding_name(*encoding))});
  if (!a.no_unregister) {
    auto del = reg::serialize(reg::removal_document(name), *encoding);
    if (!del) return report(del.error());
    outputs.push_back({with_suffix(reg_path, ".unregister.reg"), std::move(*del),
                       fmt::format("removes plugin \"{}\"", name)});
  }
  if (a.ps1) {
    reg::ScriptOptions so{
        .name = name,
        .windows_path = path->path,
        .trust_der = cert ? std::span<const std::byte>(cert->der) : std::span<const std::byte>(),
        .trust_thumbprint = cert ? cert->thumbprint : std::string(),
        .generator = "wslplug"};
    outputs.push_back({with_suffix(reg_path, ".ps1"), reg::ps1_bytes(reg::powershell_script(so)),
                       cert
                           ? fmt::format("elevated PowerShell script: trusts certificate {} "
                                         "machine-wide, registers, restarts wslservice, starts WSL",
                                         cert->thumbprint)
                           : std::string("elevated PowerShell script: registers, restarts "
                                         "wslservice, starts WSL and prints the result")});
  }
  if (path->from_wsl_mount) {
    std::error_code ec;
    if (!fs::is_regular_file(fs::path(a.dll), ec)) {
      warn(fmt::format("{} does not exist here; the registration points at {} anyway", a.dll,
                       path->path));
    } else {
      warn_about_local_dll(a.dll);
    }
  }
  if (path->kind == reg::WindowsPath::Kind::kUnc) {
    warn(
        fmt::format("{} is on a network share: the WSL service runs as LocalSystem and reaches "
                    "it as the computer account when it starts; a local folder is safer",
                    path->path));
  }
  if (cert) {
    warn(
        fmt::format("the script will add certificate \"{}\" (SHA-1 {}) to "
                    "Cert:\\LocalMachine\\Root: the whole machine will trust it",
                    cert->subject, cert->thumbprint));
  }
  if (int rc = write_outputs(outputs, a.force); rc != kExitOk) return rc;
  fmt::print("next, on Windows, from an elevated prompt:\n");
  if (a.ps1) {
    fmt::print("  powershell.exe -NoProfile -ExecutionPolicy Bypass -File {}\n",
               outputs.back().path.filename().string());
  } else {
    fmt::print("  reg.exe import {} /reg:64\n", reg_path.filename().string());
    fmt::print("  sc.exe stop wslservice\n");
    fmt::print("  wsl.exe --exec /bin/true   (plugins load when the service starts)\n");
  }
  return kExitOk;
}

Runner setup_register(CLI::App& root) {
  auto args = std::make_shared<RegisterArgs>();
  auto* cmd = root.add_subcommand(
      "register",
      "Write the .reg file that registers a WSL plugin (a REG_SZ value under "
      "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins), the matching removal "
      "file and optionally an elevated PowerShell script.");
  cmd->add_flag("--emit-reg", args->emit_reg,
                "Write .reg files (required: wslplug runs on Linux and never writes the registry "
                "itself)");
  auto* name_opt =
      cmd->add_option("--name", args->name,
                      "Plugin name (the registry value name users see in WSL errors); default: the "
                      "DLL's file name without .dll")
          ->option_text("NAME");
  cmd->add_option("-o,--output", args->output,
                  "Registration file; default NAME.reg in the current folder. The removal file "
                  "(.unregister.reg) and the script (.ps1) are written beside it")
      ->option_text("FILE");
  cmd->add_flag("--no-unregister", args->no_unregister, "Do not write the removal file");
  set_choices(cmd->add_option("--encoding", args->encoding,
                              "utf16 (default: UTF-16LE with BOM and CRLF, what regedit writes) "
                              "or utf8 (CRLF, no BOM; ASCII names and paths only)"),
              {"utf16", "utf8"})
      ->capture_default_str();
  cmd->add_option("--automount-root", args->automount_root,
                  "Where WSL mounts Windows drives (wsl.conf [automount] root), for /mnt/c/... "
                  "style paths")
      ->option_text("DIR")
      ->capture_default_str();
  cmd->add_flag("--ps1", args->ps1,
                "Also write an elevated PowerShell script that sets the value in the 64-bit "
                "registry view, restarts wslservice, starts WSL and prints the result");
  cmd->add_option("--trust-cert", args->trust_cert,
                  "With --ps1: the certificate (.cer or PEM) the script first imports into "
                  "Cert:\\LocalMachine\\Root (machine-wide trust; test machines only)")
      ->option_text("FILE");
  cmd->add_flag("--force", args->force, "Replace existing output files");
  cmd->add_option("DLL_PATH", args->dll,
                  "The plugin DLL as Windows will see it: C:\\Plugins\\p.dll, C:/Plugins/p.dll, "
                  "/mnt/c/Plugins/p.dll or \\\\server\\share\\p.dll")
      ->required();
  set_examples(cmd, {
                        "wslplug register --emit-reg 'C:\\Plugins\\my_plugin.dll'",
                        "wslplug register --emit-reg /mnt/c/Plugins/my_plugin.dll --name "
                        "my-plugin -o dist/my-plugin.reg",
                        "wslplug register --emit-reg --ps1 --trust-cert certs/cert.cer "
                        "/mnt/c/Plugins/my_plugin.dll",
                        "wslplug register --emit-reg --encoding utf8 --automount-root /win/ "
                        "/win/d/plugins/p.dll",
                        "",
                        "Then, on Windows (elevated): reg.exe import my_plugin.reg /reg:64;",
                        "sc.exe stop wslservice; wsl.exe --exec /bin/true. Check a file with",
                        "wslplug doctor --reg my_plugin.reg.",
                    });
  return [args, name_opt] {
    args->name_given = name_opt->count() > 0;
    return run_register(*args);
  };
}

// ------------------------------------------------------------------------------ unregister

struct UnregisterArgs {
  bool emit_reg = false;
  std::string name;
  std::string output;
  std::string encoding = "utf16";
  bool force = false;
};

int run_unregister(const UnregisterArgs& a) {
  if (!a.emit_reg) return no_emit_reg("unregister");
  auto encoding = parse_encoding(a.encoding);
  if (!encoding) return report(encoding.error());
  if (auto st = reg::validate_plugin_name(a.name); !st) return report(st.error());
  const fs::path out = a.output.empty() ? fs::path(reg::file_safe_name(a.name) + ".unregister.reg")
                                        : fs::path(a.output);
  auto del = reg::serialize(reg::removal_document(a.name), *encoding);
  if (!del) return report(del.error());
  std::vector<PlannedOutput> outputs;
  outputs.push_back({out, std::move(*del), fmt::format("removes plugin \"{}\"", a.name)});
  if (int rc = write_outputs(outputs, a.force); rc != kExitOk) return rc;
  fmt::print("next, on Windows, from an elevated prompt:\n");
  fmt::print("  reg.exe import {} /reg:64\n", out.filename().string());
  fmt::print("  sc.exe stop wslservice   (the service unloads plugins only when it stops)\n");
  return kExitOk;
}

Runner setup_unregister(CLI::App& root) {
  auto args = std::make_shared<UnregisterArgs>();
  auto* cmd = root.add_subcommand(
      "unregister", "Write the .reg file that removes a WSL plugin's registration (\"NAME\"=-).");
  cmd->add_flag("--emit-reg", args->emit_reg,
                "Write a .reg file (required: wslplug never writes the registry itself)");
  cmd->add_option("--name", args->name, "Plugin name (the registry value name)")
      ->option_text("NAME")
      ->required();
  cmd->add_option("-o,--output", args->output, "Output file; default NAME.unregister.reg")
      ->option_text("FILE");
  set_choices(
      cmd->add_option("--encoding", args->encoding, "utf16 (default) or utf8 (ASCII names only)"),
      {"utf16", "utf8"})
      ->capture_default_str();
  cmd->add_flag("--force", args->force, "Replace an existing output file");
  set_examples(cmd,
               {"wslplug unregister --emit-reg --name my_plugin",
                "wslplug unregister --emit-reg --name my-plugin -o remove-my-plugin.reg", "",
                "Then, on Windows (elevated): reg.exe import my_plugin.unregister.reg /reg:64;",
                "sc.exe stop wslservice."});
  return [args] { return run_unregister(*args); };
}

const Registrar kRegistrar{{"register", setup_register}};
const Registrar kUnregisterRegistrar{{"unregister", setup_unregister}};

}  // namespace
}  // namespace wslplug::cli
