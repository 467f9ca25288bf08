// A new project from its spec: the manifest, the files rendered from the embedded templates, and
// writing them into a fresh (or, with force, an existing) directory.
#include "wslplug/project/scaffold.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "wslplug/core/io.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/templates/templates.hpp"

namespace wslplug::project {

namespace {
// The Rust release the generated CI installs with rustup: the one the template is built and
// tested with (Debian 12's rustc-web); wslplugins-rs 0.1.0-beta.4 needs >= 1.85.
constexpr std::string_view kTemplateRustVersion = "1.96.0";
}  // namespace

Manifest project_manifest(const ProjectSpec& spec) {
  Manifest m;
  m.name = spec.name;
  m.registry_name = spec.name;
  m.language = spec.language;
  m.dll = spec.language == Language::kRust ? cargo_dll_name(spec.name) : spec.name + ".dll";
  m.build_dir = spec.language == Language::kRust ? "target" : "build";
  for (auto h : spec.hooks) m.hooks.emplace_back(hook_name(h));
  const Requirement req = spec.language == Language::kRust
                              ? with_hook_capabilities(spec.requirement, spec.hooks)
                              : spec.requirement;
  if (!req.empty()) m.requires_version = req.min_version().text();
  return m;
}

Result<std::vector<RenderedFile>> render_project(const ProjectSpec& spec) {
  if (auto ok = validate_name(spec.name, spec.language); !ok) return std::unexpected(ok.error());
  const Manifest manifest = project_manifest(spec);
  const bool rust = spec.language == Language::kRust;
  if (rust)
    for (auto h : spec.hooks)
      if (is_wslc(h))
        return input_error(
            fmt::format("the Rust template has no WSLC hooks ({} is one): wslplugins-rs "
                        "0.1.0-beta.4, the version it targets, does not generate them",
                        hook_name(h)),
            {}, "--hooks",
            fmt::format("write a WSL Containers plugin with the C++ template: wslplug new {} "
                        "--lang cpp --hooks {} (or drop the WSLC hooks from --hooks)",
                        spec.name, hook_name(h)));
  if (rust && !spec.sdk.empty())
    return input_error("--sdk is for C++ projects: the Rust template builds on wslplugins-rs", {},
                       "--sdk", "add --lang cpp, or drop --sdk");
  const Requirement req =
      rust ? with_hook_capabilities(spec.requirement, spec.hooks) : spec.requirement;
  const Version min = req.min_version();

  templates::Vars vars;
  vars["name"] = spec.name;
  vars["registry_name"] = manifest.registry_name;
  vars["dll_name"] = manifest.dll;
  vars["dll_stem"] = manifest.dll.substr(0, manifest.dll.size() - 4);
  vars["artifact_hint"] = rust ? "target/x86_64-pc-windows-gnu/release/" + manifest.dll
                               : "build/x86_64-release/" + manifest.dll;
  vars["req_version"] = min.text();
  vars["req_major"] = std::to_string(min.major);
  vars["req_minor"] = std::to_string(min.minor);
  vars["req_revision"] = std::to_string(min.revision);
  vars["requirement_text"] = req.empty() ? "any WSL with plugin support" : min.text();
  std::string requirement;  // the #[wsl_plugin_v1...] arguments
  if (req.version) {
    requirement = fmt::format("({}, {}, {})", min.major, min.minor, min.revision);
  } else if (!req.capabilities.empty()) {
    std::string list;
    for (auto c : req.capabilities)
      list +=
          (list.empty() ? "" : " | ") + fmt::format("WSLVersionCapability::{}", capability_name(c));
    requirement = "(" + list + ")";
  }
  vars["requirement"] = requirement;
  vars["sdk"] = spec.sdk;
  vars["sdk_sha256"] = spec.sdk_sha256;
  std::string hooks_text;
  for (auto h : spec.hooks)
    hooks_text += (hooks_text.empty() ? "" : ", ") + std::string(hook_name(h));
  vars["hooks_text"] = hooks_text.empty() ? "none" : hooks_text;
  // The CI workflow: GitHub's expression opener, and the Debian packages the build needs.
  vars["gh"] = "${{";
  // Rust: rustup brings rustc (a later step); Debian brings the MinGW-w64 linker, the host C
  // compiler build scripts link with, and libclang for bindgen in wslpluginapi-sys's build script.
  vars["toolchain_packages"] = rust ? "gcc libc6-dev gcc-mingw-w64-x86-64 libclang-dev"
                                    : "cmake ninja-build g++-mingw-w64-x86-64";
  vars["rust_version"] = std::string(kTemplateRustVersion);
  // wslplug's GitHub Action (action.yml), pinned to this version (set in project/CMakeLists.txt).
  vars["action"] = WSLPLUG_ACTION;

  templates::Flags flags;
  bool any_wslc = false;
  std::vector<Hook> every(std::begin(kAllHooks), std::end(kAllHooks));
  every.insert(every.end(), std::begin(kWslcHooks), std::end(kWslcHooks));
  for (auto h : every) {
    std::string key(hook_name(h));
    std::replace(key.begin(), key.end(), '-', '_');
    const bool chosen = std::find(spec.hooks.begin(), spec.hooks.end(), h) != spec.hooks.end();
    flags[key] = chosen;
    any_wslc = any_wslc || (chosen && is_wslc(h));
  }
  flags["registration_hooks"] =
      flags["distribution_registered"] || flags["distribution_unregistered"];
  flags["wslc_vm_hooks"] = flags["wslc_vm_started"] || flags["wslc_vm_stopping"];
  flags["wslc_hooks"] = flags["session_created"] || flags["session_stopping"] ||
                        flags["container_started"] || flags["container_stopping"] ||
                        flags["image_created"] || flags["image_deleted"];
  flags["versioned_hooks"] = flags["registration_hooks"] || any_wslc;
  flags["has_requirement"] = !req.empty();
  flags["has_capabilities"] = !req.version && !req.capabilities.empty();
  flags["rust"] = rust;

  const std::string prefix = rust ? "rust/" : "cpp/";
  std::vector<RenderedFile> files;
  for (const auto& tf : templates::embedded_files()) {
    const std::string folder = tf.path.starts_with(prefix)             ? prefix
                               : spec.ci && tf.path.starts_with("ci/") ? "ci/"
                                                                       : "";
    if (folder.empty()) continue;
    auto text = templates::render(tf.content, vars, flags, tf.path);
    if (!text) return std::unexpected(text.error());
    // "dot-gitignore" -> ".gitignore", "dot-cargo/config.toml" -> ".cargo/config.toml"
    files.push_back({templates::project_path(tf.path.substr(folder.size())), std::move(*text)});
  }
  if (files.empty()) return internal_error("no embedded templates for " + prefix);
  files.push_back({std::string(kManifestFile), manifest_to_json(manifest)});
  return files;
}

Result<std::string> parse_sdk(std::string_view text) {
  const std::string t = trim(text);
  if (t == "nuget") return t;
  if (t.starts_with("nuget:")) {
    const std::string v = t.substr(6);
    const bool ok = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.' || (c >= 'a' && c <= 'z') || c == '-';
    });
    if (!ok)
      return input_error(fmt::format("'{}' is not a NuGet version", v), {}, "--sdk",
                         "give nuget:2.9.3 (Microsoft.WSL.PluginApi's version)");
    return t;
  }
  std::error_code ec;
  const fs::path p(t);
  if (t.empty() || !fs::exists(p, ec))
    return input_error("no such file or folder", t, "--sdk",
                       "give nuget[:VERSION], a Microsoft.WSL.PluginApi .nupkg, or its folder");
  if (!fs::is_directory(p, ec) && !iends_with(t, ".nupkg") && !iends_with(t, ".zip"))
    return input_error("not a .nupkg or a folder", t, "--sdk",
                       "give the Microsoft.WSL.PluginApi .nupkg or the folder it was extracted to");
  return fs::absolute(p).lexically_normal().string();
}

namespace {

Status write_files(const fs::path& dir, const std::vector<RenderedFile>& files, bool overwrite) {
  for (const auto& f : files) {
    const fs::path target = dir / f.path;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec)
      return io_error("cannot create directory: " + ec.message(), target.parent_path().string());
    OutputOptions options;
    options.overwrite = overwrite;
    if (auto ok = write_file_atomic(target, f.content, options); !ok)
      return std::unexpected(ok.error());
  }
  return {};
}

}  // namespace

Status write_project(const fs::path& dir, const std::vector<RenderedFile>& files, bool force) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec))
      return input_error("exists and is not a directory", dir.string(), {},
                         "choose another --dir or remove the file");
    const bool empty = fs::directory_iterator(dir, ec) == fs::directory_iterator();
    if (ec) return io_error("cannot read directory: " + ec.message(), dir.string());
    if (!empty && !force)
      return input_error("directory exists and is not empty", dir.string(), {},
                         "choose another --dir, or pass --force to write the project into it "
                         "(files of the same name are replaced)");
    return write_files(dir, files, true);
  }
  // A fresh directory: render into a temp directory beside it, then rename it into place.
  // A fresh directory: missing parents are created (as mkdir -p), and removed again if the
  // project cannot be written.
  fs::path absolute = fs::absolute(dir, ec).lexically_normal();
  if (absolute.filename().empty()) absolute = absolute.parent_path();
  const fs::path parent = absolute.parent_path();
  fs::path created_top;  // the outermost parent this call creates
  for (fs::path p = parent; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    created_top = p;
    if (p == p.parent_path()) break;
  }
  if (!created_top.empty()) {
    fs::create_directories(parent, ec);
    if (ec)
      return io_error(fmt::format("cannot create the parent directory: {}", ec.message()),
                      parent.string(),
                      "check the path and its permissions, or choose another --dir");
  }
  if (!fs::is_directory(parent, ec))
    return input_error("a parent of the project directory is not a directory", parent.string(), {},
                       "choose another --dir");
  std::string temp;
  for (int attempt = 0; attempt < 100 && temp.empty(); ++attempt) {
    std::string candidate =
        (parent / fmt::format(".{}.{}.{}.tmp", absolute.filename().string(), getpid(), attempt))
            .string();
    if (::mkdir(candidate.c_str(), 0755) == 0) temp = candidate;
  }
  if (temp.empty()) {
    if (!created_top.empty()) fs::remove_all(created_top, ec);
    return io_error("cannot create a temporary directory", parent.string());
  }
  auto cleanup = [&] {
    fs::remove_all(temp, ec);
    if (!created_top.empty()) fs::remove_all(created_top, ec);
  };
  if (auto ok = write_files(temp, files, false); !ok) {
    cleanup();
    return ok;
  }
  if (::rename(temp.c_str(), absolute.c_str()) != 0) {
    const int err = errno;
    cleanup();
    return io_error(fmt::format("cannot rename the new project into place: {}", strerror(err)),
                    absolute.string());
  }
  return {};
}

}  // namespace wslplug::project
