// Making a new plugin project (`wslplug new`): the spec vocabulary (plugin names, hooks, WSL
// version requirements and capabilities), the manifest a spec means, the project's files rendered
// from the embedded templates (wslplug/templates/templates.hpp), writing them into a new folder
// (`new`) or adding what is missing to an existing one (`init`), and the project's git repository.
// Nothing here touches the file system except write_project(), init_project() and init_vcs().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/abi/wsl_plugin_abi.hpp"
#include "wslplug/core/error.hpp"
#include "wslplug/project/manifest.hpp"

namespace wslplug::project {

namespace fs = std::filesystem;

// ---- hooks -------------------------------------------------------------------------------------
// The hooks (kVmStarted ... kWslcVmStopping), in ABI order, from wslplug/abi (the ABI's one
// statement). The WSL Containers (WSLC) hooks: only the C++ template has them.
using Hook = abi::HookKey;
namespace detail {
template <bool Wslc>
constexpr auto hooks_of_family() {
  constexpr std::size_t n = [] {
    std::size_t count = 0;
    for (const abi::Hook& h : abi::kHooks) count += h.wslc() == Wslc;
    return count;
  }();
  std::array<Hook, n> out{};
  std::size_t i = 0;
  for (const abi::Hook& h : abi::kHooks)
    if (h.wslc() == Wslc) out[i++] = h.key;
  return out;
}
}  // namespace detail
// The WSL hooks ("all"), in ABI order.
inline constexpr auto kAllHooks = detail::hooks_of_family<false>();
// The WSLC hooks ("wslc"), in ABI order.
inline constexpr auto kWslcHooks = detail::hooks_of_family<true>();
bool is_wslc(Hook hook);
std::string_view hook_name(Hook hook);  // "vm-started"
// "vm-started,distribution-started" (also '_' for '-'), "all" (the WSL hooks), "wslc" (the WSLC
// hooks), "none" or "", combinable ("all,wslc"). Duplicates are ignored; the result is in ABI
// order. An unknown name is an input error naming --hooks.
Result<std::vector<Hook>> parse_hooks(std::string_view list);
// The hooks `new` uses without --hooks: the base hooks (no capability needed).
std::vector<Hook> default_hooks();

// ---- requirement -------------------------------------------------------------------------------
using Version = abi::Version;

// wslplugins-rs WSLVersionCapability values (name as in the crate) and their minimum WSL version,
// from wslplug/abi.
using Capability = abi::CapabilityKey;
std::string_view capability_name(Capability c);  // "DistributionRegisteredHook"
Version capability_version(Capability c);        // 2.1.2

// What the plugin requires of the host: nothing, a version, or capabilities.
struct Requirement {
  std::optional<Version> version;
  std::vector<Capability> capabilities;  // sorted, unique
  [[nodiscard]] bool empty() const { return !version && capabilities.empty(); }
  // The minimum WSL version this requirement means (0.0.0 when empty).
  [[nodiscard]] Version min_version() const;
};
// "2.1.3", "2.1" (revision 0), or capability names separated by ',' or '|'
// ("DistributionFlavor", "distribution-flavor", "WSLVersionCapability::DistributionFlavor").
Result<Requirement> parse_requirement(std::string_view text);
// The requirement with the capabilities the hooks need added (registration hooks need 2.1.2).
// A version requirement is raised to the capabilities' version when lower.
Requirement with_hook_capabilities(Requirement requirement, std::span<const Hook> hooks);

// ---- names -------------------------------------------------------------------------------------
// Cargo's crate naming rules plus what a registry value and a file name need: ASCII letter first,
// then letters, digits, '-' or '_', at most 64 characters, not a reserved Cargo or Windows
// device name, and for Rust not a Rust keyword. Path separators and ".." get their own message.
Status validate_name(std::string_view name, Language language);

// ---- the project -------------------------------------------------------------------------------
struct ProjectSpec {
  std::string name;
  Language language = Language::kRust;
  std::vector<Hook> hooks;
  Requirement requirement;  // as given with --require (hook capabilities are added by render)
  // C++: the WslPluginApi.h the CMake project compiles against (WSLPLUG_SDK): empty (the
  // project's include/), "nuget" / "nuget:VERSION", or an absolute path to a .nupkg or folder.
  std::string sdk;
  std::string sdk_sha256;  // the pinned SHA-256 of the .nupkg (nuget; optional for a file)
  bool ci = true;          // also the GitHub Actions workflow .github/workflows/plugin.yml
};
// Checks --sdk: nuget[:VERSION], or an existing .nupkg file or folder (made absolute). Input error
// naming --sdk otherwise.
Result<std::string> parse_sdk(std::string_view text);

struct RenderedFile {
  std::string path;  // relative to the project directory, '/'-separated: ".cargo/config.toml"
  std::string content;
};

// The manifest `new` writes for a spec.
Manifest project_manifest(const ProjectSpec& spec);
// Every file of the project, wslplug.json included. Validates the name; a Rust project with a
// WSLC hook is an input error naming --hooks (wslplugins-rs 0.1.0-beta.4 has none).
Result<std::vector<RenderedFile>> render_project(const ProjectSpec& spec);

// Writes the files into `dir`. A missing `dir` is created whole (rendered into a temp directory
// beside it, then renamed, so a failure leaves nothing behind). An existing non-empty `dir` is
// refused unless `force`; with `force` the files are written one by one (atomically each),
// replacing files of the same name and keeping others.
Status write_project(const fs::path& dir, const std::vector<RenderedFile>& files, bool force);

// ---- an existing folder (init) -----------------------------------------------------------------
// What init_project() did with each file of the project ('/'-separated paths, in the files' order).
struct InitOutcome {
  std::vector<std::string> added;     // did not exist: written
  std::vector<std::string> extended;  // .gitignore: the patterns it lacked appended at its end
  std::vector<std::string> kept;      // existed: left byte for byte
};
// Makes `dir` a project the way `cargo init` does: writes each file that does not exist yet
// (atomically), appends to an existing .gitignore the patterns of the project's own that it lacks
// (keys, certificates and build output stay out of the repository; its lines are kept as they
// are), and never replaces or changes any other file. A missing `dir` is created with its
// parents. A folder that already has wslplug.json is refused (input error): it is a project.
Result<InitOutcome> init_project(const fs::path& dir, const std::vector<RenderedFile>& files);

// ---- version control ---------------------------------------------------------------------------
// As cargo's --vcs: git (the default) or none.
enum class Vcs { kGit, kNone };
// "git" or "none"; anything else is an input error naming --vcs.
Result<Vcs> parse_vcs(std::string_view text);
std::string_view vcs_name(Vcs vcs);
enum class VcsOutcome {
  kCreated,           // `git init` made `dir` a repository
  kInsideRepository,  // `dir` is inside a git work tree already: nothing done
  kNone,              // --vcs none
};
// Checks that what `vcs` needs is there (git on PATH for kGit), so that a caller can refuse
// before writing anything. An I/O error naming --vcs otherwise.
Status check_vcs(Vcs vcs);
// Makes `dir` a git repository (`git init`) unless vcs is kNone or `dir` is inside a git work
// tree already (the project of a larger repository). git's failure is an I/O error.
Result<VcsOutcome> init_vcs(const fs::path& dir, Vcs vcs);

}  // namespace wslplug::project
