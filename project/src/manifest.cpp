#include "wslplug/project/manifest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "wslplug/abi/wsl_plugin_abi.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/text.hpp"

namespace wslplug::project {

namespace {

// The value of `key = "value"` in TOML section `section` (a minimal reader for Cargo.toml's
// [package] and [lib] names; inline tables and multi-line strings are not needed here).
std::optional<std::string> toml_string(std::string_view text, std::string_view section,
                                       std::string_view key) {
  std::string current;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      current = trim(std::string_view(line).substr(1, line.find(']') - 1));
      continue;
    }
    if (current != section) continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos || trim(std::string_view(line).substr(0, eq)) != key) continue;
    std::string value = trim(std::string_view(line).substr(eq + 1));
    if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'')) {
      const auto end = value.find(value[0], 1);
      if (end != std::string::npos) return value.substr(1, end - 1);
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// project(NAME ...) in a CMakeLists.txt.
std::optional<std::string> cmake_project_name(std::string_view text) {
  const std::string l = ascii_lower(text);
  std::size_t pos = 0;
  while ((pos = l.find("project", pos)) != std::string::npos) {
    const bool word_start =
        pos == 0 || !(std::isalnum(static_cast<unsigned char>(l[pos - 1])) || l[pos - 1] == '_');
    std::size_t p = pos + 7;
    while (p < l.size() && (l[p] == ' ' || l[p] == '\t')) ++p;
    if (word_start && p < l.size() && l[p] == '(') {
      ++p;
      while (p < text.size() && std::isspace(static_cast<unsigned char>(text[p]))) ++p;
      std::size_t e = p;
      while (e < text.size() && !std::isspace(static_cast<unsigned char>(text[e])) &&
             text[e] != ')')
        ++e;
      if (e > p) return std::string(text.substr(p, e - p));
    }
    pos += 7;
  }
  return std::nullopt;
}

}  // namespace

std::string_view language_name(Language language) {
  return language == Language::kCpp ? "cpp" : "rust";
}

std::optional<Language> parse_language(std::string_view name) {
  const std::string n = ascii_lower(name);
  if (n == "rust" || n == "rs") return Language::kRust;
  if (n == "cpp" || n == "c++" || n == "cxx") return Language::kCpp;
  return std::nullopt;
}

std::string_view arch_name(TargetArch arch) {
  return arch == TargetArch::kArm64 ? "arm64" : "x86_64";
}

std::optional<TargetArch> parse_arch(std::string_view name) {
  const std::string n = ascii_lower(name);
  if (n == "x86_64" || n == "x64" || n == "amd64") return TargetArch::kX86_64;
  if (n == "arm64" || n == "aarch64") return TargetArch::kArm64;
  return std::nullopt;
}

std::string cargo_dll_name(std::string_view crate_name) {
  std::string out(crate_name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out + ".dll";
}

std::string manifest_to_json(const Manifest& m) {
  nlohmann::ordered_json doc;
  doc["schema"] = m.schema;
  doc["name"] = m.name;
  doc["registry_name"] = m.registry_name;
  doc["language"] = language_name(m.language);
  doc["target"] = arch_name(m.target);
  doc["paths"] = {{"dll", m.dll},
                  {"build_dir", m.build_dir},
                  {"cert_dir", m.cert_dir},
                  {"registration", m.registration}};
  doc["hooks"] = m.hooks;
  doc["requires"] = m.requires_version;
  if (!m.signing.empty()) {
    nlohmann::ordered_json signing = nlohmann::ordered_json::object();
    for (const auto& [key, value] :
         {std::pair{"cert", &m.signing.cert}, std::pair{"key", &m.signing.key},
          std::pair{"pfx", &m.signing.pfx}, std::pair{"timestamp_url", &m.signing.timestamp_url},
          std::pair{"hash", &m.signing.hash}})
      if (!value->empty()) signing[key] = *value;
    doc["signing"] = signing;
  }
  return doc.dump(2) + "\n";
}

Result<Manifest> parse_manifest(std::string_view text, const std::string& file) {
  const std::string fix = "fix the field, or regenerate the file with `wslplug new NAME --force`";
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return input_error("not a JSON object", file, {},
                       "wslplug.json must be one JSON object; " + fix);
  Manifest m;
  m.from_file = true;
  auto get_string = [&](const nlohmann::json& obj, const char* key, const std::string& field,
                        bool required, std::string& out) -> Status {
    if (!obj.contains(key)) {
      if (required) return input_error("missing field", file, "field " + field, fix);
      return {};
    }
    if (!obj[key].is_string()) return input_error("must be a string", file, "field " + field, fix);
    out = obj[key].get<std::string>();
    if (required && out.empty())
      return input_error("must not be empty", file, "field " + field, fix);
    return {};
  };
  if (doc.contains("schema")) {
    if (!doc["schema"].is_number_integer())
      return input_error("must be an integer", file, "field schema", fix);
    m.schema = doc["schema"].get<int>();
    if (m.schema > kManifestSchema)
      return input_error(fmt::format("schema {} is newer than this wslplug understands ({})",
                                     m.schema, kManifestSchema),
                         file, "field schema", "update wslplug");
  }
  if (auto s = get_string(doc, "name", "name", true, m.name); !s) return std::unexpected(s.error());
  m.registry_name = m.name;
  if (auto s = get_string(doc, "registry_name", "registry_name", false, m.registry_name); !s)
    return std::unexpected(s.error());
  std::string lang = "rust";
  if (auto s = get_string(doc, "language", "language", false, lang); !s)
    return std::unexpected(s.error());
  auto language = parse_language(lang);
  if (!language)
    return input_error(fmt::format("unknown language '{}'", lang), file, "field language",
                       "use \"rust\" or \"cpp\"");
  m.language = *language;
  std::string target = "x86_64";
  if (auto s = get_string(doc, "target", "target", false, target); !s)
    return std::unexpected(s.error());
  auto arch = parse_arch(target);
  if (!arch)
    return input_error(fmt::format("unknown target '{}'", target), file, "field target",
                       "use \"x86_64\" or \"arm64\"");
  m.target = *arch;
  m.dll = m.language == Language::kRust ? cargo_dll_name(m.name) : m.name + ".dll";
  m.build_dir = m.language == Language::kRust ? "target" : "build";
  if (doc.contains("paths")) {
    const auto& paths = doc["paths"];
    if (!paths.is_object()) return input_error("must be an object", file, "field paths", fix);
    for (auto [key, out] :
         {std::pair{"dll", &m.dll}, std::pair{"build_dir", &m.build_dir},
          std::pair{"cert_dir", &m.cert_dir}, std::pair{"registration", &m.registration}}) {
      if (auto s = get_string(paths, key, std::string("paths.") + key, false, *out); !s)
        return std::unexpected(s.error());
    }
  }
  if (m.dll.find_first_of("/\\") != std::string::npos || !iends_with(m.dll, ".dll"))
    return input_error(fmt::format("'{}' is not a DLL file name", m.dll), file, "field paths.dll",
                       "give the file name only, ending in .dll");
  if (doc.contains("hooks") && doc["hooks"].is_array())
    for (const auto& h : doc["hooks"])
      if (h.is_string()) m.hooks.push_back(h.get<std::string>());
  if (doc.contains("requires") && doc["requires"].is_string()) {
    // The minimum WSL version, canonical (2.4 is 2.4.0), or empty for none.
    const std::string text = doc["requires"].get<std::string>();
    if (!text.empty()) {
      const auto v = abi::parse_version(text);
      if (!v)
        return input_error(fmt::format("'{}' is not a WSL version", printable(text)), file,
                           "field requires",
                           fmt::format("give {} (e.g. \"2.1.2\" or \"2.4\"), or \"\" for none",
                                       abi::kVersionForms));
      m.requires_version = v->text();
    }
  }
  if (doc.contains("signing")) {
    const auto& signing = doc["signing"];
    if (!signing.is_object()) return input_error("must be an object", file, "field signing", fix);
    const std::pair<const char*, std::string*> fields[] = {
        {"cert", &m.signing.cert},
        {"key", &m.signing.key},
        {"pfx", &m.signing.pfx},
        {"timestamp_url", &m.signing.timestamp_url},
        {"hash", &m.signing.hash}};
    for (const auto& [key, value] : signing.items()) {
      const std::string field = "signing." + key;
      const std::string lower = ascii_lower(key);
      if (lower.find("pass") != std::string::npos || lower.find("pin") != std::string::npos ||
          lower.find("secret") != std::string::npos)
        return input_error(
            "a secret does not belong in wslplug.json (it is committed with the "
            "project)",
            file, "field " + field,
            "remove it; give the password with --pfx-password-env VAR, "
            "--pfx-password-file FILE or at the prompt");
      auto known = std::find_if(std::begin(fields), std::end(fields),
                                [&](const auto& f) { return key == f.first; });
      if (known == std::end(fields))
        return input_error(fmt::format("unknown field '{}'", key), file, "field " + field,
                           "the signing fields are cert, key, pfx, timestamp_url and hash");
      if (auto s = get_string(signing, known->first, field, false, *known->second); !s)
        return std::unexpected(s.error());
    }
  }
  return m;
}

Result<Manifest> load_manifest(const fs::path& project_dir) {
  const fs::path path = project_dir / kManifestFile;
  auto text = read_text_file(path, 1 << 20);
  if (!text) return std::unexpected(text.error());
  return parse_manifest(*text, path.string());
}

Result<Manifest> detect_project(const fs::path& project_dir) {
  std::error_code ec;
  if (fs::exists(project_dir / kManifestFile, ec)) return load_manifest(project_dir);
  const fs::path cargo = project_dir / "Cargo.toml";
  const fs::path cmake = project_dir / "CMakeLists.txt";
  if (fs::exists(cargo, ec)) {
    auto text = read_text_file(cargo, 1 << 20);
    if (!text) return std::unexpected(text.error());
    auto name = toml_string(*text, "package", "name");
    if (!name)
      return input_error("no name in [package]", cargo.string(), "field package.name",
                         "add `name = \"my-plugin\"` under [package]");
    Manifest m;
    m.name = *name;
    m.registry_name = *name;
    m.language = Language::kRust;
    auto lib = toml_string(*text, "lib", "name");
    m.dll = cargo_dll_name(lib ? *lib : *name);
    m.build_dir = "target";
    return m;
  }
  if (fs::exists(cmake, ec)) {
    auto text = read_text_file(cmake, 1 << 20);
    if (!text) return std::unexpected(text.error());
    auto name = cmake_project_name(*text);
    if (!name)
      return input_error("no project() call", cmake.string(), {},
                         "add `project(my-plugin LANGUAGES CXX)`");
    Manifest m;
    m.name = *name;
    m.registry_name = *name;
    m.language = Language::kCpp;
    m.dll = *name + ".dll";  // a guess: build looks for any DLL when it is not there
    m.build_dir = "build";
    return m;
  }
  return input_error(
      "not in a plugin project: no wslplug.json here or in any parent folder, and no Cargo.toml "
      "or CMakeLists.txt here",
      project_dir.string(), {},
      "run it inside a project made by `wslplug new` (or a subfolder of one), or pass -C DIR");
}

namespace {
fs::path normal_absolute(const fs::path& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec).lexically_normal();
  if (a.has_relative_path() && a.filename().empty()) a = a.parent_path();
  return a;
}
}  // namespace

std::optional<fs::path> find_project_dir(const fs::path& start) {
  std::error_code ec;
  for (fs::path dir = normal_absolute(start);; dir = dir.parent_path()) {
    if (fs::is_regular_file(dir / kManifestFile, ec)) return dir;
    if (dir == dir.parent_path()) return std::nullopt;
  }
}

Result<FoundProject> locate_project(const fs::path& start) {
  const fs::path dir = find_project_dir(start).value_or(normal_absolute(start));
  auto manifest = detect_project(dir);
  if (!manifest) return std::unexpected(manifest.error());
  return FoundProject{dir, std::move(*manifest)};
}

Result<std::optional<FoundProject>> find_project(const fs::path& start) {
  if (find_project_dir(start)) {
    auto found = locate_project(start);
    if (!found) return std::unexpected(found.error());
    return std::optional<FoundProject>(std::move(*found));
  }
  // No manifest: a Cargo.toml or CMakeLists.txt in `start` itself is a project when it names
  // one; anything else (no such file, no name in it) is no project.
  auto found = locate_project(start);
  if (!found) return std::optional<FoundProject>();
  return std::optional<FoundProject>(std::move(*found));
}

}  // namespace wslplug::project
