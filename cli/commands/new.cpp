// wslplug new NAME: scaffolds a WSL plugin project (Rust on wslplugins-rs, or C++ with CMake)
// with wslplug.json: parses the flags into a project spec, asks the project library to render and
// write it, and says what was made.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "common.hpp"
#include "render/console.hpp"
#include "render/json_report.hpp"
#include "wslplug/core/suggest.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/project/scaffold.hpp"

namespace wslplug::cli {
namespace {

namespace sc = wslplug::scaffold;

struct NewFlags {
  std::string name;
  std::string lang = "rust";
  std::string dir;
  std::string hooks;
  bool hooks_given = false;
  std::string require;
  std::string sdk;
  std::string sdk_sha256;
  bool force = false;
  bool no_ci = false;
  bool json = false;
};

int run_new(const NewFlags& f) {
  const fs::path dir = f.dir.empty() ? fs::path(f.name) : fs::path(f.dir);
  nlohmann::json doc = {{"ok", false},
                        {"name", f.name},
                        {"language", f.lang},
                        {"dir", json_path(dir)},
                        {"files", nullptr},
                        {"dll", nullptr},
                        {"registry_name", nullptr},
                        {"hooks", nullptr},
                        {"requires_version", nullptr},
                        {"ci", !f.no_ci}};
  auto report = [&](const Error& e) {
    return f.json ? print_json_failure(doc, e) : cli::report(e);
  };
  sc::ProjectSpec spec;
  spec.name = f.name;
  auto lang = parse_language(f.lang);
  if (!lang) {
    const std::vector<std::string> languages = {"rust", "cpp"};
    const std::string near = suggest(f.lang, languages);
    return report(Error{ErrorKind::kInput,
                        fmt::format("unknown language '{}'", printable(f.lang)),
                        {},
                        "--lang",
                        near.empty() ? "use --lang rust or --lang cpp" : near});
  }
  // Values are reported as the project records them ("c++" is cpp).
  doc["language"] = language_name(*lang);
  if (auto ok = sc::validate_name(f.name, *lang); !ok) return report(ok.error());
  spec.language = *lang;
  if (f.hooks_given) {
    auto hooks = sc::parse_hooks(f.hooks);
    if (!hooks) return report(hooks.error());
    spec.hooks = *hooks;
  } else {
    spec.hooks = sc::default_hooks();
  }
  auto req = sc::parse_requirement(f.require);
  if (!req) return report(req.error());
  spec.requirement = *req;
  if (!f.sdk.empty()) {
    auto sdk = sc::parse_sdk(f.sdk);
    if (!sdk) return report(sdk.error());
    spec.sdk = *sdk;
  }
  if (!f.sdk_sha256.empty()) {
    const bool hex = f.sdk_sha256.size() == 64 &&
                     f.sdk_sha256.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
    if (!hex || f.sdk.empty())
      return report(Error{ErrorKind::kInput,
                          hex ? "--sdk-sha256 needs --sdk" : "not a SHA-256 (64 hex digits)",
                          {},
                          "--sdk-sha256",
                          "pin the .nupkg: --sdk nuget:2.9.3 --sdk-sha256 $(sha256sum FILE)"});
    spec.sdk_sha256 = ascii_lower(f.sdk_sha256);
  }
  spec.ci = !f.no_ci;

  auto files = sc::render_project(spec);
  if (!files) return report(files.error());
  if (auto ok = sc::write_project(dir, *files, f.force); !ok) return report(ok.error());

  const Manifest m = sc::project_manifest(spec);
  if (f.json) {
    doc["ok"] = true;
    doc["files"] = nlohmann::json::array();
    for (const auto& file : *files) doc["files"].push_back(file.path);
    doc["dll"] = m.dll;
    doc["registry_name"] = m.registry_name;
    doc["hooks"] = m.hooks;
    doc["requires_version"] =
        m.requires_version.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.requires_version);
    print_json(doc);
    return kExitOk;
  }
  status(fmt::format("Created {} plugin '{}' in {} ({} files)", language_name(spec.language),
                     spec.name, dir.string(), files->size()));
  std::string hooks;
  for (const auto& h : m.hooks) hooks += (hooks.empty() ? "" : ", ") + h;
  status(fmt::format("  hooks: {}", hooks.empty() ? "none" : hooks));
  status(fmt::format("  requires WSL: {}", m.requires_version.empty()
                                               ? "any version with plugin support"
                                               : m.requires_version));
  status(fmt::format("  DLL: {}   registry value name: {}", m.dll, m.registry_name));
  if (spec.ci)
    status(
        "  CI: .github/workflows/plugin.yml (set the secrets WSLPLUG_PFX_BASE64 and "
        "WSLPLUG_PFX_PASSWORD to sign with your certificate; see its header)");
  status(fmt::format("Next: cd {} && wslplug build   (see README.md for signing and registering)",
                     dir.string()));
  return kExitOk;
}

}  // namespace

Runner setup_new(CLI::App& root) {
  auto flags = std::make_shared<NewFlags>();
  auto* cmd = root.add_subcommand(
      "new",
      "Create a WSL plugin project: a Rust cdylib on wslplugins-rs (default) or a C++ CMake "
      "project, with wslplug.json and a README of next steps.");
  cmd->add_option("NAME", flags->name,
                  "Plugin name: crate/project name and registry value name (letters, digits, "
                  "'-', '_'; starts with a letter)")
      ->required();
  set_choices(cmd->add_option("--lang", flags->lang, "Language: rust (default) or cpp"),
              {"rust", "cpp"});
  cmd->add_option("--dir,--out-dir", flags->dir,
                  "Directory to create, with its parents (default: ./NAME)")
      ->option_text("DIR");
  cmd->add_option("--hooks", flags->hooks,
                  "Comma-separated hooks: vm-started, vm-stopping, distribution-started, "
                  "distribution-stopping, distribution-registered, distribution-unregistered; "
                  "WSL Containers (C++ only): session-created, session-stopping, "
                  "container-started, container-stopping, image-created, image-deleted, "
                  "wslc-vm-started, wslc-vm-stopping; or all (the six WSL hooks), wslc (the "
                  "eight WSLC hooks), none (default: the four VM and distribution start/stop "
                  "hooks)")
      ->option_text("HOOK,...")
      ->each([flags](const std::string&) { flags->hooks_given = true; });
  cmd->add_option("--sdk", flags->sdk,
                  "C++: build against Microsoft's Microsoft.WSL.PluginApi header instead of "
                  "include/WslPluginApi.h: nuget[:VERSION] (downloaded by CMake, pinned with "
                  "--sdk-sha256), or a .nupkg or folder you have (checked for the same "
                  "layout when CMake configures)")
      ->option_text("nuget[:VERSION]|PATH");
  cmd->add_option("--sdk-sha256", flags->sdk_sha256,
                  "SHA-256 of the .nupkg CMake downloads for --sdk nuget[:VERSION]")
      ->option_text("HEX");
  cmd->add_option("--require", flags->require,
                  "Minimum WSL version X.Y.Z, or wslplugins-rs capabilities "
                  "(DistributionInitPid, DistributionRegisteredHook, "
                  "DistributionUnregisteredHook, ExecuteBinaryInDistribution, "
                  "DistributionFlavor, DistributionVersion; several with ','). Capabilities "
                  "the chosen hooks need are added for Rust")
      ->option_text("X.Y.Z|CAPABILITY,...");
  cmd->add_flag("--no-ci", flags->no_ci,
                "Leave out the GitHub Actions workflow .github/workflows/plugin.yml (build, "
                "sign with a certificate from repository secrets, timestamp, verify, run, "
                "upload)");
  cmd->add_flag("--force", flags->force,
                "Write into an existing non-empty directory (replaces files of the same name)");
  cmd->add_flag("--json", flags->json,
                "Print one JSON document on stdout: the files written, DLL name, hooks "
                "(schema: docs/output-json.md)");
  set_examples(
      cmd, {"wslplug new my-plugin", "wslplug new my-plugin --hooks all --require 2.1.3",
            "wslplug new audit --hooks distribution-started "
            "--require DistributionFlavor,DistributionVersion",
            "wslplug new my-cpp-plugin --lang cpp --dir plugins/cpp",
            "wslplug new containers --lang cpp --hooks container-started,wslc-vm-started",
            "wslplug new ms-sdk --lang cpp --sdk ~/Downloads/microsoft.wsl.pluginapi.2.9.3.nupkg",
            "wslplug new my-plugin --no-ci   # without .github/workflows/plugin.yml"});
  set_exit_codes(cmd, {{0, "created"}, {2, "bad name or flag, or the directory is not empty"}});
  return [flags] { return run_new(*flags); };
}

}  // namespace wslplug::cli
