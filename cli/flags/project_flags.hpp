// The options that describe a new project, shared by `new` (a new folder) and `init` (an
// existing one): language, hooks, requirement, SDK, CI workflow and version control.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "wslplug/core/error.hpp"
#include "wslplug/project/scaffold.hpp"

namespace wslplug::cli {

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
Result<scaffold::ProjectSpec> project_spec(const std::string& name, const ProjectFlags& flags);

// The version control the flags ask for. Without --vcs: git when it is installed, else none and
// `note` says why; --vcs git without git is an error (before anything is written).
Result<scaffold::Vcs> chosen_vcs(const ProjectFlags& flags, std::string& note);

// "created", "inside-repository" or "none": how the JSON documents of new and init say it.
std::string_view vcs_outcome_name(scaffold::VcsOutcome outcome);

}  // namespace wslplug::cli
