// A project in an existing folder (`wslplug init`, as `cargo init`): the missing files added,
// nothing replaced; and the project's git repository (`--vcs`), made unless the folder is inside
// one already.
#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "wslplug/core/fd.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/process.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/project/scaffold.hpp"

namespace wslplug::project {

namespace {

constexpr std::string_view kGitignore = ".gitignore";

// The lines of a .gitignore that are patterns (not blank, not comments), trimmed.
std::set<std::string> ignore_patterns(std::string_view text) {
  std::set<std::string> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string line = trim(text.substr(at, end - at));
    if (!line.empty() && line[0] != '#') out.insert(std::move(line));
    at = end + 1;
  }
  return out;
}

// The existing .gitignore with the patterns of `ours` it lacks appended (empty: it lacks none).
std::string extended_gitignore(const std::string& existing, std::string_view ours) {
  const std::set<std::string> have = ignore_patterns(existing);
  std::string added;
  std::size_t at = 0;
  while (at < ours.size()) {
    std::size_t end = ours.find('\n', at);
    if (end == std::string_view::npos) end = ours.size();
    const std::string line = trim(ours.substr(at, end - at));
    if (!line.empty() && line[0] != '#' && !have.contains(line)) added += line + "\n";
    at = end + 1;
  }
  if (added.empty()) return {};
  std::string out = existing;
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out + (out.empty() ? "" : "\n") + "# Added by wslplug init\n" + added;
}

}  // namespace

Result<InitOutcome> init_project(const fs::path& dir, const std::vector<RenderedFile>& files) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    return input_error("exists and is not a directory", dir.string(), {},
                       "give the folder to make a project of");
  if (fs::exists(dir / kManifestFile, ec))
    return input_error(
        fmt::format("already a wslplug project ({} exists)", kManifestFile), dir.string(), {},
        "build it with wslplug build, or make a new project elsewhere with wslplug new NAME");
  fs::create_directories(dir, ec);
  if (ec)
    return io_error(fmt::format("cannot create the folder: {}", ec.message()), dir.string(),
                    "check the path and its permissions");

  InitOutcome outcome;
  for (const auto& f : files) {
    const fs::path target = dir / f.path;
    const fs::file_status st = fs::symlink_status(target, ec);
    if (fs::exists(st) && f.path == kGitignore && fs::is_regular_file(st)) {
      auto existing = read_text_file(target);
      if (!existing) return std::unexpected(existing.error());
      const std::string text = extended_gitignore(*existing, f.content);
      if (text.empty()) {
        outcome.kept.push_back(f.path);
        continue;
      }
      OutputOptions options;
      options.overwrite = true;
      options.keep_mode_of_existing = true;
      if (auto ok = write_file_atomic(target, text, options); !ok)
        return std::unexpected(ok.error());
      outcome.extended.push_back(f.path);
      continue;
    }
    if (fs::exists(st) || fs::is_symlink(st)) {
      outcome.kept.push_back(f.path);
      continue;
    }
    fs::create_directories(target.parent_path(), ec);
    if (ec)
      return io_error("cannot create directory: " + ec.message(), target.parent_path().string());
    // Never replaces: a file that appeared meanwhile is an error, not overwritten.
    if (auto ok = write_file_atomic(target, f.content); !ok) return std::unexpected(ok.error());
    outcome.added.push_back(f.path);
  }
  return outcome;
}

Result<Vcs> parse_vcs(std::string_view text) {
  const std::string t = ascii_lower(trim(text));
  if (t == "git") return Vcs::kGit;
  if (t == "none") return Vcs::kNone;
  return input_error(fmt::format("unknown version control '{}'", text), {}, "--vcs",
                     "use --vcs git (the default: git init) or --vcs none");
}

std::string_view vcs_name(Vcs vcs) { return vcs == Vcs::kGit ? "git" : "none"; }

Status check_vcs(Vcs vcs) {
  if (vcs == Vcs::kNone || process::find_program("git")) return {};
  return fail(ErrorKind::kIo, "git is not installed (not found on PATH)", {}, "--vcs",
              "install git (apt-get install git), or pass --vcs none to make no repository");
}

Result<VcsOutcome> init_vcs(const fs::path& dir, Vcs vcs) {
  if (vcs == Vcs::kNone) return VcsOutcome::kNone;
  if (auto ok = check_vcs(vcs); !ok) return std::unexpected(ok.error());
  // git's own answer, so that worktrees, submodules and GIT_CEILING_DIRECTORIES count; the
  // variables that would point git elsewhere are not passed on.
  process::Options options;
  options.cwd = dir;
  options.capture_stdout = true;
  options.unset_env = {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"};
  // "not a git repository" is the expected answer outside one: not shown.
  const Fd devnull(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  options.output_fd = devnull ? devnull.get() : 2;
  auto inside = process::run({"git", "rev-parse", "--is-inside-work-tree"}, options);
  if (!inside) return std::unexpected(inside.error());
  if (inside->ok() && trim(inside->captured) == "true") return VcsOutcome::kInsideRepository;
  options.output_fd = 2;  // git init's complaint, if any, is the user's to read
  auto made = process::run({"git", "init", "--quiet"}, options);
  if (!made) return std::unexpected(made.error());
  if (!made->ok())
    return io_error(fmt::format("git init failed (exit {})", made->exit_code), dir.string(),
                    "read git's message above, or pass --vcs none to make no repository");
  return VcsOutcome::kCreated;
}

}  // namespace wslplug::project
