// What commands share about projects: the options that describe a new project (`new` for a new
// folder, `init` for an existing one: language, hooks, requirement, SDK, CI workflow, version
// control), and the project's DLL as the default FILE of the commands that act on a plugin.
#pragma once

#include <filesystem>
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "wslplug/core/error.hpp"
#include "wslplug/project/manifest.hpp"
#include "wslplug/project/scaffold.hpp"

namespace wslplug::cli {

namespace fs = std::filesystem;

struct ProjectFlags {
  std::string lang = "rust";
  std::string hooks;
  bool hooks_given = false;
  std::string require;
  std::string sdk;
  std::string sdk_sha256;
  bool no_ci = false;
  std::string vcs;  // empty: git when git is installed, else none (with a note)
};

// Adds --lang, --hooks, --require, --sdk, --sdk-sha256, --no-ci and --vcs to `cmd`.
void add_project_flags(CLI::App* cmd, ProjectFlags& flags);

// The project the flags describe for `name` (the name checked for the chosen language); input
// errors name the flag.
Result<project::ProjectSpec> project_spec(const std::string& name, const ProjectFlags& flags);

// The version control the flags ask for. Without --vcs: git when it is installed, else none and
// `note` says why; --vcs git without git is an error (before anything is written).
Result<project::Vcs> chosen_vcs(const ProjectFlags& flags, std::string& note);

// "created", "inside-repository" or "none": how the JSON documents of new and init say it.
std::string_view vcs_outcome_name(project::VcsOutcome outcome);

// FILE for a command run without one (`verify`, `sign`): the project's built DLL inside a
// project; outside one the usage error "missing FILE" (where: FILE, so it ends with the
// command's help line), saying what FILE is for (`for_what`: "PE files to verify").
Result<fs::path> project_dll_or_missing(const std::optional<project::FoundProject>& project,
                                        std::string_view for_what);

}  // namespace wslplug::cli
