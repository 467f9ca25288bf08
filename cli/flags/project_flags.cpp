#include "flags/project_flags.hpp"

#include <fmt/format.h>

#include "common.hpp"
#include "wslplug/core/process.hpp"
#include "wslplug/core/suggest.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/project/layout.hpp"

namespace wslplug::cli {

void add_project_flags(CLI::App* cmd, ProjectFlags& flags) {
  set_choices(cmd->add_option("--lang", flags.lang, "Language: rust (default) or cpp"),
              {"rust", "cpp"});
  cmd->add_option("--hooks", flags.hooks,
                  "Comma-separated hooks: vm-started, vm-stopping, distribution-started, "
                  "distribution-stopping, distribution-registered, distribution-unregistered; "
                  "WSL Containers (C++ only): session-created, session-stopping, "
                  "container-started, container-stopping, image-created, image-deleted, "
                  "wslc-vm-started, wslc-vm-stopping; or all (the six WSL hooks), wslc (the "
                  "eight WSLC hooks), none (default: the four VM and distribution start/stop "
                  "hooks)")
      ->option_text("HOOK,...")
      ->each([&flags](const std::string&) { flags.hooks_given = true; });
  cmd->add_option("--sdk", flags.sdk,
                  "C++: build against Microsoft's Microsoft.WSL.PluginApi header instead of "
                  "include/WslPluginApi.h: nuget[:VERSION] (downloaded by CMake, pinned with "
                  "--sdk-sha256), or a .nupkg or folder you have (checked for the same "
                  "layout when CMake configures)")
      ->option_text("nuget[:VERSION]|PATH");
  cmd->add_option("--sdk-sha256", flags.sdk_sha256,
                  "SHA-256 of the .nupkg CMake downloads for --sdk nuget[:VERSION]")
      ->option_text("HEX");
  cmd->add_option("--require", flags.require,
                  "Minimum WSL version X.Y.Z, or wslplugins-rs capabilities "
                  "(DistributionInitPid, DistributionRegisteredHook, "
                  "DistributionUnregisteredHook, ExecuteBinaryInDistribution, "
                  "DistributionFlavor, DistributionVersion; several with ','). Capabilities "
                  "the chosen hooks need are added for Rust")
      ->option_text("X.Y.Z|CAPABILITY,...");
  cmd->add_flag("--no-ci", flags.no_ci,
                "Leave out the GitHub Actions workflow .github/workflows/plugin.yml (build, "
                "sign with a certificate from repository secrets, timestamp, verify, run, "
                "upload)");
  set_choices(cmd->add_option("--vcs", flags.vcs,
                              "Version control: git (git init, unless the folder is inside a "
                              "git work tree already; the default when git is installed) or "
                              "none"),
              {"git", "none"});
}

Result<project::ProjectSpec> project_spec(const std::string& name, const ProjectFlags& f) {
  project::ProjectSpec spec;
  spec.name = name;
  auto lang = project::parse_language(f.lang);
  if (!lang) {
    const std::vector<std::string> languages = {"rust", "cpp"};
    const std::string near = suggest(f.lang, languages);
    return std::unexpected(Error{ErrorKind::kInput,
                                 fmt::format("unknown language '{}'", printable(f.lang)),
                                 {},
                                 "--lang",
                                 near.empty() ? "use --lang rust or --lang cpp" : near});
  }
  if (auto ok = project::validate_name(name, *lang); !ok) return std::unexpected(ok.error());
  spec.language = *lang;
  if (f.hooks_given) {
    auto hooks = project::parse_hooks(f.hooks);
    if (!hooks) return std::unexpected(hooks.error());
    spec.hooks = *hooks;
  } else {
    spec.hooks = project::default_hooks();
  }
  auto req = project::parse_requirement(f.require);
  if (!req) return std::unexpected(req.error());
  spec.requirement = *req;
  if (!f.sdk.empty()) {
    auto sdk = project::parse_sdk(f.sdk);
    if (!sdk) return std::unexpected(sdk.error());
    spec.sdk = *sdk;
  }
  if (!f.sdk_sha256.empty()) {
    const bool hex = f.sdk_sha256.size() == 64 &&
                     f.sdk_sha256.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
    if (!hex || f.sdk.empty())
      return std::unexpected(
          Error{ErrorKind::kInput,
                hex ? "--sdk-sha256 needs --sdk" : "not a SHA-256 (64 hex digits)",
                {},
                "--sdk-sha256",
                "pin the .nupkg: --sdk nuget:2.9.3 --sdk-sha256 $(sha256sum FILE)"});
    spec.sdk_sha256 = ascii_lower(f.sdk_sha256);
  }
  spec.ci = !f.no_ci;
  return spec;
}

Result<project::Vcs> chosen_vcs(const ProjectFlags& flags, std::string& note) {
  if (flags.vcs.empty()) {
    if (process::find_program("git")) return project::Vcs::kGit;
    note = "git is not installed: no repository made (install git, or pass --vcs none to say so)";
    return project::Vcs::kNone;
  }
  auto vcs = project::parse_vcs(flags.vcs);
  if (!vcs) return std::unexpected(vcs.error());
  if (auto ok = project::check_vcs(*vcs); !ok) return std::unexpected(ok.error());
  return *vcs;
}

std::string_view vcs_outcome_name(project::VcsOutcome outcome) {
  switch (outcome) {
    case project::VcsOutcome::kCreated:
      return "created";
    case project::VcsOutcome::kInsideRepository:
      return "inside-repository";
    case project::VcsOutcome::kNone:
      break;
  }
  return "none";
}

Result<fs::path> project_dll_or_missing(const std::optional<project::FoundProject>& project,
                                        std::string_view for_what) {
  if (!project)
    return std::unexpected(Error{ErrorKind::kInput,
                                 "missing FILE",
                                 {},
                                 "FILE",
                                 fmt::format("give FILE ({}), or run inside a project made by "
                                             "wslplug new or init (its built DLL)",
                                             for_what)});
  return project::built_dll(project->manifest, project->dir);
}

}  // namespace wslplug::cli
