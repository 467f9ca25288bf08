// wslplug init [DIR]: makes an existing folder a WSL plugin project, as `cargo init` does: the
// project's files that are missing are added, none is replaced (an existing .gitignore gets the
// patterns it lacks appended), and the folder becomes a git repository unless it is inside one.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "common.hpp"
#include "flags/project_flags.hpp"
#include "render/console.hpp"
#include "render/json_report.hpp"
#include "wslplug/project/scaffold.hpp"

namespace wslplug::cli {

namespace fs = std::filesystem;
namespace {

struct InitFlags {
  std::string dir = ".";
  std::string name;
  ProjectFlags project;
  bool json = false;
};

nlohmann::json path_list(const std::vector<std::string>& paths) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : paths) out.push_back(p);
  return out;
}

int run_init(const InitFlags& f) {
  const fs::path dir = f.dir.empty() ? fs::path(".") : fs::path(f.dir);
  // The project is named after its folder unless --name says otherwise.
  std::error_code ec;
  const fs::path absolute = fs::absolute(dir, ec).lexically_normal();
  std::string name = f.name;
  if (name.empty()) {
    name = absolute.filename().string();
    if (name.empty()) name = absolute.parent_path().filename().string();  // "dir/" ends in '/'
  }
  nlohmann::json doc = {{"ok", false},           {"name", name},     {"language", f.project.lang},
                        {"dir", json_path(dir)}, {"added", nullptr}, {"extended", nullptr},
                        {"kept", nullptr},       {"vcs", nullptr}};
  auto report = [&](Error e) {
    // A folder name that is not a plugin name: --name is the way out.
    if (e.where == "NAME") {
      e.where = "--name";
      if (f.name.empty())
        e.fix = fmt::format("{}; the folder's name is used unless you pass --name NAME", e.fix);
    }
    return f.json ? print_json_failure(doc, e) : cli::report(e);
  };
  // Values are reported as the project records them ("c++" is cpp), also in a refusal.
  if (auto known = project::parse_language(f.project.lang))
    doc["language"] = project::language_name(*known);
  auto spec = project_spec(name, f.project);
  if (!spec) return report(spec.error());
  doc["language"] = project::language_name(spec->language);
  std::string vcs_note;
  auto vcs = chosen_vcs(f.project, vcs_note);
  if (!vcs) return report(vcs.error());
  auto files = project::render_project(*spec);
  if (!files) return report(files.error());
  auto outcome = project::init_project(dir, *files);
  if (!outcome) return report(outcome.error());
  auto made = project::init_vcs(dir, *vcs);
  if (!made) return report(made.error());

  if (f.json) {
    doc["ok"] = true;
    doc["added"] = path_list(outcome->added);
    doc["extended"] = path_list(outcome->extended);
    doc["kept"] = path_list(outcome->kept);
    doc["vcs"] = vcs_outcome_name(*made);
    print_json(doc);
    return kExitOk;
  }
  status(fmt::format("Made {} a {} plugin project '{}': {} file{} added", dir.string(),
                     project::language_name(spec->language), name, outcome->added.size(),
                     outcome->added.size() == 1 ? "" : "s"));
  for (const auto& p : outcome->extended)
    status(fmt::format("  {}: the project's patterns it lacked appended", p));
  for (const auto& p : outcome->kept) status(fmt::format("  {}: kept as it was", p));
  if (*made == project::VcsOutcome::kCreated) status("  git: a new repository (git init)");
  if (!vcs_note.empty()) warn(vcs_note);
  status(fmt::format("Next: wslplug -C {} build", dir.string()));
  return kExitOk;
}

}  // namespace

Runner setup_init(CLI::App& root) {
  auto flags = std::make_shared<InitFlags>();
  auto* cmd = root.add_subcommand(
      "init",
      "Make an existing folder a WSL plugin project (as cargo init): adds the project's files "
      "that are missing, never replaces one, and runs git init unless the folder is in a "
      "repository.");
  cmd->add_option("DIR", flags->dir, "The folder (default: the current one; created if missing)");
  cmd->add_option("--name", flags->name,
                  "Plugin name (default: the folder's name): letters, digits, '-', '_'; starts "
                  "with a letter")
      ->option_text("NAME");
  add_project_flags(cmd, flags->project);
  cmd->add_flag("--json", flags->json,
                "Print one JSON document on stdout: the files added, extended and kept "
                "(schema: docs/schema/init.json)");
  set_examples(cmd, {"wslplug init", "wslplug init plugins/audit --name audit --lang cpp",
                     "wslplug init --vcs none --no-ci"});
  set_exit_codes(cmd, {{0, "the folder is a project (nothing was replaced)"},
                       {2, "already a project, a bad name or flag"},
                       {3, "a file or the repository could not be written"}});
  return [flags] { return run_init(*flags); };
}

}  // namespace wslplug::cli
