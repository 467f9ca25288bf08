// `wslplug register` and `wslplug unregister`: write the .reg files (and optionally the elevated
// PowerShell install and uninstall scripts) that add or remove a WSL plugin's REG_SZ value under
// HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss\Plugins. wslplug never writes the registry
// itself; from inside WSL, --install runs the install script elevated through Windows interop.
#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "commands/commands.hpp"
#include "common.hpp"
#include "render/console.hpp"
#include "render/findings_view.hpp"
#include "render/json_report.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/process.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/doctor/dll.hpp"
#include "wslplug/doctor/reg.hpp"
#include "wslplug/project/layout.hpp"
#include "wslplug/project/manifest.hpp"
#include "wslplug/registry/interop.hpp"
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
  std::string role;  // register, unregister, install-script, uninstall-script (--json)
};

// What one run reports: the --json document, or text on stderr. Data (the files) is the
// command's product, so without --json nothing goes to stdout.
class Reporter {
 public:
  Reporter(bool json, nlohmann::json doc) : json_(json), doc_(std::move(doc)) {
    doc_["ok"] = false;
    doc_["files"] = nlohmann::json::array();
    doc_["warnings"] = nlohmann::json::array();
    doc_["next_steps"] = nlohmann::json::array();
  }
  nlohmann::json& doc() { return doc_; }
  int fail(const Error& e) { return json_ ? print_json_failure(doc_, e) : report(e); }
  void warning(const std::string& message) {
    warn(message);
    doc_["warnings"].push_back(message);
  }
  void findings(const std::vector<doctor::Finding>& findings) {
    warn_findings(findings);
    for (const auto& f : findings)
      if (f.severity != doctor::Severity::kInfo) doc_["warnings"].push_back(f.message);
  }
  void wrote(const PlannedOutput& o) {
    status(fmt::format("wrote {}: {}", o.path.string(), o.what));
    doc_["files"].push_back(
        {{"role", o.role}, {"path", json_path(o.path)}, {"size", o.bytes.size()}});
  }
  // The steps left to do on Windows, one per line (the first line is their heading in text).
  void next_steps(const std::string& heading, const std::vector<std::string>& steps) {
    status(heading);
    for (const auto& step : steps) {
      status("  " + step);
      doc_["next_steps"].push_back(step);
    }
  }
  int succeed() {
    doc_["ok"] = true;
    if (json_) print_json(doc_);
    return kExitOk;
  }

 private:
  bool json_;
  nlohmann::json doc_;
};

// Opens every output first (so an existing file refuses the whole set before anything is
// written), then writes and commits them. Returns the exit code of a failure, or nullopt.
std::optional<int> write_outputs(const std::vector<PlannedOutput>& outputs, bool force,
                                 Reporter& rep) {
  std::vector<AtomicOutput> opened;
  for (const auto& o : outputs) {
    auto out = AtomicOutput::create(o.path, OutputOptions{.overwrite = force});
    if (!out) return rep.fail(out.error());
    opened.push_back(std::move(*out));
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (auto st = opened[i].write(outputs[i].bytes); !st) return rep.fail(st.error());
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (auto st = opened[i].commit(); !st) return rep.fail(st.error());
    rep.wrote(outputs[i]);
  }
  return std::nullopt;
}

Result<registry::Encoding> parse_encoding(const std::string& s) {
  if (s == "utf16" || s == "utf-16" || s == "utf16le") return registry::Encoding::kUtf16le;
  if (s == "utf8" || s == "utf-8" || s == "ascii") return registry::Encoding::kUtf8;
  return input_error(fmt::format("unknown encoding \"{}\"", s), {}, "--encoding",
                     "use utf16 (default, what regedit writes) or utf8 (ASCII text only)");
}

fs::path with_suffix(const fs::path& reg_path, const std::string& suffix) {
  std::string file = reg_path.filename().string();
  if (file.size() > 4 && iends_with(file, ".reg")) file.resize(file.size() - 4);
  return reg_path.parent_path() / (file + suffix);
}

// When DLL_PATH is a WSL mount path that exists here, the image and export checks of doctor --dll
// on it: problems that would make WSL fail to load it are warnings (the registration file itself
// is still right). A file that cannot be read is a warning too.
// Returns false when the DLL has errors (or cannot be read).
bool warn_about_local_dll(const fs::path& file, Reporter& rep) {
  auto checked = doctor::check_pe_file(file);
  if (!checked) {
    rep.warning(fmt::format("cannot check {}: {}", file.string(), checked.error().describe()));
    return false;
  }
  rep.findings(checked->findings);
  if (doctor::has_errors(checked->findings)) {
    rep.warning(fmt::format("run wslplug doctor --dll {} for the whole check (signature included)",
                            file.string()));
    return false;
  }
  return true;
}

// ------------------------------------------------------------------------------- register

struct RegisterArgs {
  bool emit_reg = false;  // accepted, no effect: writing the .reg files is what register does
  std::string name;
  bool name_given = false;  // --name was passed (possibly empty, which is refused)
  std::string output;
  bool no_unregister = false;
  std::string encoding = "utf16";
  std::string automount_root = "/mnt/";
  bool ps1 = false;
  std::string trust_cert;
  std::string source;
  bool install = false;
  bool restart = false;
  bool no_restart = false;
  bool force = false;
  bool json = false;
  std::string dll;
};

// What running a script elevated through interop needs: WSL with interop, and powershell.exe.
struct Interop {
  registry::WslInterop wsl;
  fs::path powershell;
};

Result<Interop> find_interop(const std::string& automount_root, std::string_view flag) {
  auto wsl = registry::detect_wsl_interop(flag);
  if (!wsl) return std::unexpected(wsl.error());
  auto powershell = process::find_program("powershell.exe");
  if (!powershell) {
    const fs::path fallback = fs::path(automount_root) / "c" / "Windows" / "System32" /
                              "WindowsPowerShell" / "v1.0" / "powershell.exe";
    std::error_code ec;
    if (fs::exists(fallback, ec)) powershell = fallback;
  }
  if (!powershell) {
    return input_error(
        "powershell.exe is not on PATH (nor in C:\\Windows\\System32\\WindowsPowerShell\\v1.0 "
        "under the automount root)",
        {}, std::string(flag),
        "let WSL add the Windows PATH ([interop] appendWindowsPath=true in /etc/wsl.conf), or "
        "run the script on Windows yourself");
  }
  return Interop{*wsl, *powershell};
}

// Runs the written script elevated on Windows through interop (powershell.exe, one UAC prompt).
// `source` is the DLL to install; empty for the uninstall script.
int run_elevated(const Interop& interop, const std::string& automount_root, const fs::path& script,
                 const std::string& source, bool restart, Reporter& rep) {
  const bool install = !source.empty();
  const char* done_key = install ? "installed" : "uninstalled";
  auto script_win = registry::windows_path_of_local(script, automount_root, interop.wsl.distro);
  if (!script_win) return rep.fail(script_win.error());
  registry::ElevatedRun run{
      .script_windows_path = *script_win, .source_windows_path = {}, .restart = restart};
  if (install) {
    auto source_win = registry::windows_path_of_local(source, automount_root, interop.wsl.distro);
    if (!source_win) return rep.fail(source_win.error());
    run.source_windows_path = *source_win;
  }
  if (restart) {
    rep.warning(
        "--restart: the script stops wslservice, which ends every running WSL session, this "
        "one included; wslplug may be cut off before it can show the result (the plugin loads "
        "when the service starts again, at the next wsl.exe)");
  } else if (install) {
    note(
        "wslservice is left running, so the plugin loads when it next starts (pass --restart to "
        "restart it now, which ends every running WSL session, this one included)");
  } else {
    note(
        "wslservice is left running: a plugin it has loaded cannot be deleted until it stops "
        "(pass --restart to stop it first, which ends every running WSL session, this one "
        "included)");
  }
  std::vector<std::string> argv{interop.powershell.string()};
  for (auto& arg : registry::powershell_arguments(registry::elevated_run_command(run)))
    argv.push_back(std::move(arg));
  note(fmt::format("running {} elevated through {} (Windows asks for administrator rights)",
                   *script_win, interop.powershell.string()));
  std::fflush(stdout);
  auto outcome =
      process::run(argv, process::Options{.cwd = {}, .env = {}, .unset_env = {}, .output_fd = 2});
  if (!outcome) return rep.fail(outcome.error());
  if (!outcome->ok()) {
    return rep.fail(Error{ErrorKind::kBad,
                          fmt::format("the {} script failed on Windows (powershell.exe exit code "
                                      "{}); its output is above",
                                      install ? "install" : "uninstall", outcome->exit_code),
                          script.string(),
                          {},
                          "fix what it reports and run the command again"});
  }
  status(fmt::format("{} on Windows by {}", done_key, *script_win));
  rep.doc()[done_key] = true;
  return rep.succeed();
}

// --restart and --no-restart: one of them, and --restart only with the flag that runs the script.
Status check_restart_flags(bool restart, bool no_restart, bool runs_script,
                           std::string_view run_flag) {
  if (restart && no_restart)
    return input_error("--restart and --no-restart contradict each other", {}, "--restart",
                       "pass one of them (--no-restart is the default)");
  if (restart && !runs_script)
    return input_error(
        fmt::format("--restart applies to {}; the script itself takes -Restart", run_flag), {},
        "--restart", fmt::format("add {}, or run the script with -Restart", run_flag));
  return {};
}

// Inside a project (wslplug.json here or in a parent folder), what was not given comes from it:
// the DLL (its built DLL with --ps1/--install, else its default install path), the registry
// value name (when the DLL is the project's), and the output folder (the registration folder
// `build --emit-reg` writes, whose files are build outputs and so replaced). Explicit arguments
// win. Returns the project folder, or nullopt outside a project.
Result<std::optional<fs::path>> apply_project_defaults(RegisterArgs& a) {
  auto project = project::find_project(fs::current_path());
  if (!project) return std::unexpected(project.error());
  if (!*project) return std::optional<fs::path>();
  const project::Manifest& m = (*project)->manifest;
  const fs::path& dir = (*project)->dir;
  const bool ps1 = a.ps1 || a.install;
  if (a.dll.empty() && a.source.empty()) {
    if (ps1) {
      auto built = project::built_dll(m, dir);
      if (!built) return std::unexpected(built.error());
      a.source = built->string();
    } else {
      a.dll = registry::default_install_path(project::registry_name(m), m.dll);
    }
  }
  // The DLL's file name (DLL_PATH is a Windows path: its stem is read the Windows way).
  const fs::path given =
      !a.source.empty() ? fs::path(a.source) : fs::path(registry::windows_stem(a.dll) + ".dll");
  if (!a.name_given && project::is_project_dll(m, given)) {
    a.name = project::registry_name(m);
    a.name_given = true;
  }
  if (a.output.empty()) {
    const std::string name =
        a.name_given ? a.name : registry::windows_stem(given.filename().string());
    const fs::path folder = project::registration_dir(m, dir);
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec)
      return io_error("cannot create the registration folder: " + ec.message(), folder.string());
    a.output = (folder / (registry::file_safe_name(name) + ".reg")).string();
    a.force = true;
  }
  return std::optional<fs::path>(dir);
}

int run_register(const RegisterArgs& given) {
  RegisterArgs a = given;
  auto project = apply_project_defaults(a);
  const bool ps1 = a.ps1 || a.install;
  Reporter rep(a.json, {{"name", nullptr},
                        {"project", project && *project ? nlohmann::json(json_path(**project))
                                                        : nlohmann::json(nullptr)},
                        {"windows_path", nullptr},
                        {"encoding", a.encoding},
                        {"source", a.source.empty() ? nlohmann::json(nullptr)
                                                    : nlohmann::json(json_path(a.source))},
                        {"trust_cert", nullptr},
                        {"installed", false},
                        {"restart", a.restart}});
  if (!project) return rep.fail(project.error());
  if (*project) detail(fmt::format("project: {}", (*project)->string()));
  if (!a.trust_cert.empty() && !ps1) {
    return rep.fail(Error{ErrorKind::kInput,
                          "--trust-cert needs --ps1: only the PowerShell script "
                          "can import a certificate",
                          {},
                          "--trust-cert",
                          "add --ps1"});
  }
  if (!a.source.empty() && !ps1) {
    return rep.fail(Error{ErrorKind::kInput,
                          "--source needs --ps1 or --install: only the script copies the DLL",
                          {},
                          "--source",
                          "add --ps1"});
  }
  if (auto st = check_restart_flags(a.restart, a.no_restart, a.install, "--install"); !st)
    return rep.fail(st.error());
  if (a.install && a.source.empty()) {
    return rep.fail(Error{ErrorKind::kInput,
                          "--install needs the DLL to install",
                          {},
                          "--source",
                          "add --source FILE (the built, signed DLL, e.g. "
                          "target/x86_64-pc-windows-gnu/release/my_plugin.dll)"});
  }
  if (a.dll.empty() && a.source.empty()) {
    return rep.fail(
        Error{ErrorKind::kInput,
              "no DLL_PATH given",
              {},
              "DLL_PATH",
              fmt::format("pass where Windows loads the DLL from, e.g. wslplug register "
                          "'{}', or --ps1 --source FILE to install it at the default "
                          "place",
                          registry::default_install_path("my_plugin", "my_plugin.dll"))});
  }
  auto encoding = parse_encoding(a.encoding);
  if (!encoding) return rep.fail(encoding.error());
  // Outside WSL --install is refused before anything is written.
  std::optional<Interop> interop;
  if (a.install) {
    auto found = find_interop(a.automount_root, "--install");
    if (!found) return rep.fail(found.error());
    interop = std::move(*found);
  }
  std::error_code ec;
  if (!a.source.empty() && !fs::is_regular_file(a.source, ec)) {
    return rep.fail(Error{ErrorKind::kInput, "the DLL to install does not exist", a.source,
                          "--source", "pass the built DLL, e.g. --source build/my_plugin.dll"});
  }
  // DLL_PATH defaults (with --source) to the per-plugin folder under Program Files.
  std::string dll_input = a.dll;
  if (dll_input.empty()) {
    const std::string file = fs::path(a.source).filename().string();
    dll_input =
        registry::default_install_path(a.name_given ? a.name : registry::windows_stem(file), file);
  }
  auto path = registry::to_windows_path(dll_input,
                                        registry::PathOptions{.automount_root = a.automount_root});
  if (!path) return rep.fail(path.error());
  const std::string name = a.name_given ? a.name : registry::windows_stem(path->path);
  rep.doc()["name"] = name;
  rep.doc()["windows_path"] = path->path;
  if (auto st = registry::validate_plugin_name(name); !st) return rep.fail(st.error());
  if (ps1)
    if (auto st = registry::check_install_folder(path->path); !st) return rep.fail(st.error());

  std::optional<signing::TrustCert> cert;
  if (!a.trust_cert.empty()) {
    auto c = signing::load_trust_cert(a.trust_cert);
    if (!c) return rep.fail(c.error());
    cert = std::move(*c);
    rep.doc()["trust_cert"] = {{"file", json_path(a.trust_cert)},
                               {"subject", cert->subject},
                               {"thumbprint_sha1", cert->thumbprint}};
  }

  const fs::path reg_path =
      a.output.empty() ? fs::path(registry::file_safe_name(name) + ".reg") : fs::path(a.output);
  std::vector<PlannedOutput> outputs;
  auto add = registry::serialize(registry::registration_document(name, path->path), *encoding);
  if (!add) return rep.fail(add.error());
  outputs.push_back({reg_path, std::move(*add),
                     fmt::format("registers plugin \"{}\" = {} (REG_SZ, {})", name, path->path,
                                 registry::encoding_name(*encoding)),
                     "register"});
  if (!a.no_unregister) {
    auto del = registry::serialize(registry::removal_document(name), *encoding);
    if (!del) return rep.fail(del.error());
    outputs.push_back({with_suffix(reg_path, ".unregister.reg"), std::move(*del),
                       fmt::format("removes plugin \"{}\"", name), "unregister"});
  }
  std::optional<fs::path> install_script;
  if (ps1) {
    // Without -Source the script copies from --source's Windows path when that is on a Windows
    // drive, else from the file of --source's name beside the script.
    std::string default_source;
    if (!a.source.empty()) {
      auto local =
          registry::to_windows_path(fs::absolute(a.source).lexically_normal().string(),
                                    registry::PathOptions{.automount_root = a.automount_root});
      default_source =
          local && local->from_wsl_mount ? local->path : fs::path(a.source).filename().string();
    }
    registry::ScriptOptions so{
        .name = name,
        .windows_path = path->path,
        .default_source = default_source,
        .trust_der = cert ? std::span<const std::byte>(cert->der) : std::span<const std::byte>(),
        .trust_thumbprint = cert ? cert->thumbprint : std::string(),
        .generator = "wslplug"};
    install_script = with_suffix(reg_path, ".ps1");
    outputs.push_back(
        {*install_script, registry::ps1_bytes(registry::powershell_script(so)),
         fmt::format("elevated install script: {}copies the DLL into {} (write access for SYSTEM "
                     "and Administrators only), checks its signature, registers it; -Restart "
                     "restarts wslservice",
                     cert ? fmt::format("trusts certificate {} machine-wide, ", cert->thumbprint)
                          : std::string(),
                     registry::windows_parent(path->path)),
         "install-script"});
    if (!a.no_unregister) {
      outputs.push_back(
          {with_suffix(reg_path, ".unregister.ps1"),
           registry::ps1_bytes(registry::uninstall_script({.name = name, .generator = "wslplug"})),
           "elevated uninstall script: undoes what the install script did", "uninstall-script"});
    }
  }
  if (path->from_wsl_mount) {
    if (!fs::is_regular_file(fs::path(dll_input), ec)) {
      rep.warning(fmt::format("{} does not exist here; the registration points at {} anyway",
                              dll_input, path->path));
    } else {
      warn_about_local_dll(dll_input, rep);
    }
  }
  if (!a.source.empty() && !warn_about_local_dll(a.source, rep) && a.install) {
    // A plugin that cannot load makes every WSL 2 start fail: never install one.
    return rep.fail(Error{ErrorKind::kBad,
                          "the DLL to install would not load (see the warnings above); nothing was "
                          "written or installed",
                          a.source, "--source", "fix the DLL, check it with wslplug doctor --dll"});
  }
  for (const auto& f : doctor::registered_location_findings(*path, dll_input)) {
    rep.warning(f.message);
    note("fix: " + f.fix);
  }
  if (path->kind == registry::WindowsPath::Kind::kUnc) {
    rep.warning(
        fmt::format("{} is on a network share: the WSL service runs as LocalSystem and reaches "
                    "it as the computer account when it starts; a local folder is safer",
                    path->path));
  }
  if (cert) {
    rep.warning(
        fmt::format("the script will add certificate \"{}\" (SHA-1 {}) to "
                    "Cert:\\LocalMachine\\Root: the whole machine will trust it (the uninstall "
                    "script removes it again)",
                    cert->subject, cert->thumbprint));
  }
  if (auto rc = write_outputs(outputs, a.force, rep)) return *rc;
  if (interop)
    return run_elevated(*interop, a.automount_root, *install_script, a.source, a.restart, rep);
  std::vector<std::string> steps;
  if (ps1) {
    steps.push_back(fmt::format("powershell.exe -NoProfile -ExecutionPolicy Bypass -File {}{}",
                                install_script->filename().string(),
                                a.source.empty()
                                    ? std::string(" -Source DLL")
                                    : fmt::format("   (the DLL {} beside it, or -Source DLL)",
                                                  fs::path(a.source).filename().string())));
    steps.push_back("add -Restart to restart wslservice now (ends every running WSL session)");
  } else {
    steps.push_back(fmt::format("copy the DLL to {} (as an administrator)", path->path));
    steps.push_back(fmt::format("reg.exe import {} /reg:64", reg_path.filename().string()));
    steps.push_back("sc.exe stop wslservice");
    steps.push_back("wsl.exe --exec /bin/true   (plugins load when the service starts)");
  }
  rep.next_steps("next, on Windows, from an elevated prompt:", steps);
  return rep.succeed();
}

}  // namespace

Runner setup_register(CLI::App& root) {
  auto args = std::make_shared<RegisterArgs>();
  auto* cmd = root.add_subcommand(
      "register",
      "Write the .reg file that registers a WSL plugin (a REG_SZ value under "
      "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins), the matching removal "
      "file and optionally elevated PowerShell install and uninstall scripts; from inside WSL, "
      "--install runs the install script on Windows.");
  cmd->add_flag("--emit-reg", args->emit_reg,
                "Write the .reg files (what register always does; accepted for older scripts)");
  auto* name_opt =
      cmd->add_option("--name", args->name,
                      "Plugin name (the registry value name users see in WSL errors); default: "
                      "inside a project its registry_name (for its DLL), else the DLL's file "
                      "name without .dll")
          ->option_text("NAME");
  cmd->add_option("-o,--output", args->output,
                  "Registration file; default NAME.reg in the current folder, inside a project in "
                  "its registration folder (.wslplug/, replaced as build --emit-reg does). The "
                  "removal file (.unregister.reg) and the scripts (.ps1, .unregister.ps1) are "
                  "written beside it")
      ->option_text("FILE");
  cmd->add_flag("--no-unregister", args->no_unregister,
                "Do not write the removal file (nor the uninstall script)");
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
                "Also write elevated PowerShell scripts: NAME.ps1 copies the DLL into DLL_PATH's "
                "folder, locks that folder to SYSTEM and Administrators, checks the signature and "
                "registers it; NAME.unregister.ps1 undoes all of it");
  cmd->add_option("--source", args->source,
                  "With --ps1 or --install: the DLL file to install (a local path; default inside "
                  "a project: its built DLL); DLL_PATH then defaults to C:\\Program "
                  "Files\\WSL Plugins\\NAME\\<file>");
  cmd->add_option("--trust-cert", args->trust_cert,
                  "With --ps1: the certificate (.cer or PEM) the script first imports into "
                  "Cert:\\LocalMachine\\Root (machine-wide trust; test machines only; the "
                  "uninstall script removes it)")
      ->option_text("FILE");
  cmd->add_flag("--install", args->install,
                "Inside WSL: write the scripts, then run the install script elevated on Windows "
                "through powershell.exe (a UAC prompt); needs --source");
  cmd->add_flag("--restart", args->restart,
                "With --install: restart wslservice so the plugin loads now (ends every running "
                "WSL session, this one included)");
  cmd->add_flag("--no-restart", args->no_restart,
                "With --install: leave wslservice running (the default); the plugin loads when "
                "it next starts");
  cmd->add_flag("--force", args->force, "Replace existing output files");
  cmd->add_flag("--json", args->json,
                "Print one JSON document on stdout: the files written, warnings, next steps "
                "(schema: docs/register.md)");
  cmd->add_option("DLL_PATH", args->dll,
                  "Where Windows loads the DLL from: C:\\Program Files\\WSL Plugins\\p\\p.dll, "
                  "C:/Program Files/..., /mnt/c/Program Files/... or \\\\server\\share\\p.dll "
                  "(optional with --source, and inside a project: its default install path)");
  set_examples(
      cmd,
      {
          "wslplug register --ps1            # in a project: its built DLL, name and .wslplug/",
          "wslplug -C my-plugin register --install   # inside WSL, from anywhere",
          "wslplug register 'C:\\Program Files\\WSL Plugins\\my_plugin\\my_plugin.dll'",
          "wslplug register --ps1 --source build/my_plugin.dll --name my-plugin",
          "wslplug register --ps1 --trust-cert certs/cert.cer --source build/my_plugin.dll",
          "wslplug register --install --source build/my_plugin.dll   # inside WSL",
          "wslplug register --encoding utf8 --automount-root /win/ "
          "'/win/c/Program Files/WSL Plugins/p/p.dll'",
          "",
          "Then, on Windows (elevated): powershell.exe -NoProfile -ExecutionPolicy Bypass",
          "-File my_plugin.ps1 [-Restart]; or copy the DLL to its folder yourself and",
          "reg.exe import my_plugin.reg /reg:64; sc.exe stop wslservice. Check a file with",
          "wslplug doctor --reg my_plugin.reg.",
          "",
          "Exit codes: 0 written (and installed), 1 the install script failed on Windows,",
          "2 usage or input error (nothing written), 3 I/O error.",
      });
  return [args, name_opt] {
    args->name_given = name_opt->count() > 0;
    return run_register(*args);
  };
}

namespace {

// ------------------------------------------------------------------------------ unregister

struct UnregisterArgs {
  bool emit_reg = false;  // accepted, no effect
  std::string name;
  bool name_given = false;  // --name was passed (possibly empty, which is refused)
  std::string output;
  std::string encoding = "utf16";
  bool ps1 = false;
  bool install = false;  // run the uninstall script through interop
  bool restart = false;
  bool no_restart = false;
  std::string automount_root = "/mnt/";
  bool force = false;
  bool json = false;
};

int run_unregister(const UnregisterArgs& given) {
  UnregisterArgs a = given;
  // Inside a project: its registry value name, and its registration folder for the output.
  auto project = project::find_project(fs::current_path());
  if (project && *project) {
    const project::Manifest& m = (*project)->manifest;
    if (!a.name_given) a.name = project::registry_name(m);
    if (a.output.empty()) {
      const fs::path folder = project::registration_dir(m, (*project)->dir);
      std::error_code ec;
      fs::create_directories(folder, ec);
      a.output = (folder / (registry::file_safe_name(a.name) + ".unregister.reg")).string();
      a.force = true;  // the registration folder holds build outputs
    }
  }
  Reporter rep(
      a.json,
      {{"name", a.name}, {"encoding", a.encoding}, {"uninstalled", false}, {"restart", a.restart}});
  if (!project) return rep.fail(project.error());
  if (a.name.empty() && !a.name_given)
    return rep.fail(Error{ErrorKind::kInput,
                          "missing option --name",
                          {},
                          "--name",
                          "add --name NAME (the registry value name), or run inside a project "
                          "made by wslplug new (or pass -C DIR)"});
  if (auto st = check_restart_flags(a.restart, a.no_restart, a.install, "--uninstall"); !st)
    return rep.fail(st.error());
  auto encoding = parse_encoding(a.encoding);
  if (!encoding) return rep.fail(encoding.error());
  std::optional<Interop> interop;
  if (a.install) {
    auto found = find_interop(a.automount_root, "--uninstall");
    if (!found) return rep.fail(found.error());
    interop = std::move(*found);
  }
  if (auto st = registry::validate_plugin_name(a.name); !st) return rep.fail(st.error());
  const fs::path out = a.output.empty()
                           ? fs::path(registry::file_safe_name(a.name) + ".unregister.reg")
                           : fs::path(a.output);
  auto del = registry::serialize(registry::removal_document(a.name), *encoding);
  if (!del) return rep.fail(del.error());
  std::vector<PlannedOutput> outputs;
  outputs.push_back(
      {out, std::move(*del), fmt::format("removes plugin \"{}\"", a.name), "unregister"});
  if (a.ps1 || a.install) {
    outputs.push_back(
        {with_suffix(out, ".ps1"),
         registry::ps1_bytes(registry::uninstall_script({.name = a.name, .generator = "wslplug"})),
         "elevated uninstall script: removes the registration and what the install script "
         "recorded (DLL, folders, a certificate it added)",
         "uninstall-script"});
  }
  if (auto rc = write_outputs(outputs, a.force, rep)) return *rc;
  if (interop)
    return run_elevated(*interop, a.automount_root, outputs.back().path, {}, a.restart, rep);
  std::vector<std::string> steps;
  if (a.ps1) {
    steps.push_back(
        fmt::format("powershell.exe -NoProfile -ExecutionPolicy Bypass -File {} [-Restart]",
                    outputs.back().path.filename().string()));
  } else {
    steps.push_back(fmt::format("reg.exe import {} /reg:64", out.filename().string()));
    steps.push_back("sc.exe stop wslservice   (the service unloads plugins only when it stops)");
  }
  rep.next_steps("next, on Windows, from an elevated prompt:", steps);
  return rep.succeed();
}

}  // namespace

Runner setup_unregister(CLI::App& root) {
  auto args = std::make_shared<UnregisterArgs>();
  auto* cmd = root.add_subcommand(
      "unregister",
      "Write the .reg file that removes a WSL plugin's registration (\"NAME\"=-), and "
      "optionally the elevated script that undoes an install by register --ps1.");
  cmd->add_flag("--emit-reg", args->emit_reg,
                "Write the .reg file (what unregister always does; accepted for older scripts)");
  auto* name_opt = cmd->add_option("--name", args->name,
                                   "Plugin name (the registry value name; default inside a "
                                   "project: its registry_name)")
                       ->option_text("NAME");
  cmd->add_option("-o,--output", args->output,
                  "Output file; default NAME.unregister.reg (inside a project: in its "
                  "registration folder, .wslplug/)")
      ->option_text("FILE");
  set_choices(
      cmd->add_option("--encoding", args->encoding, "utf16 (default) or utf8 (ASCII names only)"),
      {"utf16", "utf8"})
      ->capture_default_str();
  cmd->add_flag("--ps1", args->ps1,
                "Also write the elevated uninstall script (beside the .reg file, .ps1): removes "
                "the registration, the installed DLL and folders and a certificate the install "
                "added");
  cmd->add_flag("--uninstall", args->install,
                "Inside WSL: write the uninstall script, then run it elevated on Windows through "
                "powershell.exe (a UAC prompt)");
  cmd->add_flag("--restart", args->restart,
                "With --uninstall: stop wslservice first so a loaded DLL can be deleted (ends "
                "every running WSL session, this one included)");
  cmd->add_flag("--no-restart", args->no_restart,
                "With --uninstall: leave wslservice running (the default)");
  cmd->add_option("--automount-root", args->automount_root,
                  "Where WSL mounts Windows drives (wsl.conf [automount] root)")
      ->capture_default_str();
  cmd->add_flag("--force", args->force, "Replace existing output files");
  cmd->add_flag("--json", args->json,
                "Print one JSON document on stdout: the files written, next steps (schema: "
                "docs/register.md)");
  set_examples(cmd,
               {"wslplug unregister --name my_plugin",
                "wslplug unregister --ps1          # in a project: its name, into .wslplug/",
                "wslplug unregister --name my_plugin --uninstall --restart   # inside WSL",
                "wslplug unregister --name my-plugin --ps1 -o remove-my-plugin.reg", "",
                "Then, on Windows (elevated): reg.exe import my_plugin.unregister.reg /reg:64;",
                "sc.exe stop wslservice. Or run the .ps1 (it stops wslservice with -Restart).", "",
                "Exit codes: 0 written, 2 usage or input error (nothing written), 3 I/O error."});
  return [args, name_opt] {
    args->name_given = name_opt->count() > 0;
    return run_unregister(*args);
  };
}
}  // namespace wslplug::cli
