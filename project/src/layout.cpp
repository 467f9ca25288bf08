#include "wslplug/project/layout.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "wslplug/core/text.hpp"
#include "wslplug/core/user_cache.hpp"
#include "wslplug/project/builder.hpp"

namespace wslplug::project {

namespace {

// The manifest's paths default to .wslplug when empty.
fs::path state_dir(const fs::path& project_dir, const std::string& configured) {
  return project_dir / (configured.empty() ? ".wslplug" : configured);
}

// FNV-1a, 64 bits: a stable key for a path (not a secret, not a checksum).
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string_view profile_name(bool debug) { return debug ? "debug" : "release"; }

fs::path build_root(const Manifest& m, const fs::path& project_dir) {
  const std::string dir =
      m.build_dir.empty() ? (m.language == Language::kRust ? "target" : "build") : m.build_dir;
  return project_dir / dir;
}

fs::path cmake_build_dir(const Manifest& m, const fs::path& project_dir, TargetArch arch,
                         bool debug) {
  return build_root(m, project_dir) / fmt::format("{}-{}", arch_name(arch), profile_name(debug));
}

fs::path built_dll_path(const Manifest& m, const fs::path& project_dir, TargetArch arch,
                        bool debug) {
  if (m.language == Language::kRust)
    return build_root(m, project_dir) / rust_triple(arch) / profile_name(debug) / m.dll;
  return cmake_build_dir(m, project_dir, arch, debug) / m.dll;
}

Result<fs::path> built_dll(const Manifest& m, const fs::path& project_dir) {
  std::optional<fs::path> best;
  fs::file_time_type best_time{};
  std::error_code ec;
  for (bool debug : {false, true}) {
    const fs::path candidate = built_dll_path(m, project_dir, m.target, debug);
    if (!fs::is_regular_file(candidate, ec)) continue;
    const auto t = fs::last_write_time(candidate, ec);
    if (!best || t > best_time) {
      best = candidate;
      best_time = t;
    }
  }
  if (!best)
    return input_error(fmt::format("the project '{}' has no built DLL yet (looked for {})", m.name,
                                   built_dll_path(m, project_dir, m.target, false).string()),
                       project_dir.string(), {}, "build it first: wslplug build");
  return fs::absolute(*best).lexically_normal();
}

bool is_project_dll(const Manifest& m, const fs::path& file) {
  return !m.dll.empty() && iequals(file.filename().string(), m.dll);
}

std::string registry_name(const Manifest& m) {
  return m.registry_name.empty() ? m.name : m.registry_name;
}

fs::path cert_dir(const Manifest& m, const fs::path& project_dir) {
  return state_dir(project_dir, m.cert_dir);
}

fs::path cert_pem(const Manifest& m, const fs::path& project_dir) {
  return cert_dir(m, project_dir) / "cert.pem";
}

fs::path key_pem(const Manifest& m, const fs::path& project_dir) {
  return cert_dir(m, project_dir) / "key.pem";
}

std::optional<fs::path> existing_cert(const Manifest& m, const fs::path& project_dir) {
  std::error_code ec;
  const fs::path cert = cert_pem(m, project_dir);
  if (fs::is_regular_file(cert, ec)) return cert.lexically_normal();
  return std::nullopt;
}

fs::path registration_dir(const Manifest& m, const fs::path& project_dir) {
  return state_dir(project_dir, m.registration);
}

Result<fs::path> run_state_dir(const Manifest& m, const fs::path& project_dir) {
  auto cache = user_cache_dir();
  if (!cache) return std::unexpected(cache.error());
  std::error_code ec;
  const fs::path root = fs::absolute(project_dir, ec).lexically_normal();
  const std::string key = fmt::format("{:016x}", fnv1a(root.string())).substr(0, 12);
  return *cache / "runs" / fmt::format("{}-{}", safe_folder_name(m.name), key);
}

Result<fs::path> run_state_dir_for_name(std::string_view plugin_name) {
  auto cache = user_cache_dir();
  if (!cache) return std::unexpected(cache.error());
  return *cache / "runs" / safe_folder_name(plugin_name);
}

}  // namespace wslplug::project
