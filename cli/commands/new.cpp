// wslplug new NAME: scaffolds a WSL plugin project (Rust on wslplugins-rs, or C++ with CMake)
// with wslplug.json: parses the flags into a project spec, asks the project library to render and
// write it, and says what was made.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "common.hpp"
#include "flags/project_flags.hpp"
#include "render/console.hpp"
#include "render/json_report.hpp"
#include "wslplug/project/scaffold.hpp"

namespace wslplug::cli {
namespace {

struct NewFlags {
  std::string name;
  std::string dir;
  ProjectFlags project;
  bool force = false;
  bool json = false;
};

int run_new(const NewFlags& f) {
  const fs::path dir = f.dir.empty() ? fs::path(f.name) : fs::path(f.dir);
  nlohmann::json doc = {{"ok", false},
                        {"name", f.name},
                        {"language", f.project.lang},
                        {"dir", json_path(dir)},
                        {"files", nullptr},
                        {"dll", nullptr},
                        {"registry_name", nullptr},
                        {"hooks", nullptr},
                        {"requires_version", nullptr},
                        {"ci", !f.project.no_ci},
                        {"vcs", nullptr}};
  auto report = [&](const Error& e) {
    return f.json ? print_json_failure(doc, e) : cli::report(e);
  };
  // Values are reported as the project records them ("c++" is cpp), also in a refusal.
  if (auto known = project::parse_language(f.project.lang))
    doc["language"] = project::language_name(*known);
  auto spec_or = project_spec(f.name, f.project);
  if (!spec_or) return report(spec_or.error());
  const project::ProjectSpec& spec = *spec_or;
  // Values are reported as the project records them ("c++" is cpp).
  doc["language"] = project::language_name(spec.language);
  std::string vcs_note;
  auto vcs = chosen_vcs(f.project, vcs_note);
  if (!vcs) return report(vcs.error());

  auto files = project::render_project(spec);
  if (!files) return report(files.error());
  if (auto ok = project::write_project(dir, *files, f.force); !ok) return report(ok.error());
  auto made = project::init_vcs(dir, *vcs);
  if (!made) return report(made.error());
  doc["vcs"] = vcs_outcome_name(*made);

  const project::Manifest m = project::project_manifest(spec);
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
  status(fmt::format("Created {} plugin '{}' in {} ({} files)",
                     project::language_name(spec.language), spec.name, dir.string(),
                     files->size()));
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
  if (*made == project::VcsOutcome::kCreated) status("  git: a new repository (git init)");
  if (!vcs_note.empty()) warn(vcs_note);
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
  cmd->add_option("--dir,--out-dir", flags->dir,
                  "Directory to create, with its parents (default: ./NAME)")
      ->option_text("DIR");
  add_project_flags(cmd, flags->project);
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
            "wslplug new my-plugin --no-ci   # without .github/workflows/plugin.yml",
            "wslplug new my-plugin --vcs none   # no git init"});
  set_exit_codes(cmd, {{0, "created"}, {2, "bad name or flag, or the directory is not empty"}});
  return [flags] { return run_new(*flags); };
}

}  // namespace wslplug::cli
