// The DLL checks in one ordered table (see wslplug/doctor/dll.hpp): check_plugin_dll,
// check_pe_file and check_image run the rows of kDllChecks whose needs are met, in table order,
// and report the findings in that order. A new check is one function and one row.
#include <fmt/format.h>

#include <optional>
#include <string_view>

#include "wslplug/doctor/dll.hpp"

namespace wslplug::doctor {
namespace {

// What a check needs. A row runs only when everything it needs is there: a file that is not a
// (valid) PE image has no image, so its image rows are skipped (the not-pe or malformed-pe
// finding says why); check_pe_file and check_image run only the rows that need nothing beyond
// the image.
enum Need : unsigned {
  kImage = 1u << 0,  // the parsed PE image (headers, exports, imports)
  // The whole plugin check (check_plugin_dll): the trust roots for the signature and the file as
  // it would be registered (its path and where it is).
  kPluginCheck = 1u << 1,
};

// What the checks look at. `image` is null when the file is not a (valid) PE; `options` is null
// outside check_plugin_dll.
struct Subject {
  const fs::path& path;
  const pe::Image* image = nullptr;
  const signing::VerifyOptions* options = nullptr;
};

// A check appends its findings to `out`; an error is for a file that cannot be read (I/O) and
// ends the whole check. Rows that need only the image read nothing but the image and never fail.
struct DllCheck {
  std::string_view name;
  unsigned needs;
  Status (*run)(const Subject& s, std::vector<Finding>& out);
};

void append(std::vector<Finding>& out, std::vector<Finding> more) {
  out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}

// A directory the loader reads that cannot be parsed is one finding ("malformed-exports", ...).
Finding malformed(const FindingKind& kind, const Error& e) {
  return make_finding(kind, e.describe(), e.fix.empty() ? "rebuild the DLL" : e.fix);
}

Status run_signature(const Subject& s, std::vector<Finding>& out) {
  auto signature = check_signature(s.path, *s.options);
  if (!signature) return std::unexpected(signature.error());
  append(out, std::move(signature->findings));
  return {};
}

Status run_machine(const Subject& s, std::vector<Finding>& out) {
  append(out, check_machine(s.image->layout(), s.image->path()));
  return {};
}

Status run_exports(const Subject& s, std::vector<Finding>& out) {
  auto exports = s.image->exports();
  if (!exports)
    out.push_back(malformed(kMalformedExports, exports.error()));
  else
    append(out, check_exports(*exports, s.image->path()));
  return {};
}

Status run_imports(const Subject& s, std::vector<Finding>& out) {
  auto imports = s.image->imports();
  if (!imports)
    out.push_back(malformed(kMalformedImports, imports.error()));
  else
    append(out, check_imports(*imports, s.image->path()));
  return {};
}

Status run_location(const Subject& s, std::vector<Finding>& out) {
  append(out, location_findings(s.path));
  return {};
}

// In the order an official WSL build meets the problems: WinVerifyTrust, then LoadLibrary (the
// machine and DLL flag, the export WSL looks up, the imports the loader resolves), then where
// the file is (what registering it there would mean).
constexpr DllCheck kDllChecks[] = {
    {"signature", kImage | kPluginCheck, run_signature},
    {"machine", kImage, run_machine},
    {"exports", kImage, run_exports},
    {"imports", kImage, run_imports},
    {"location", kPluginCheck, run_location},
};

Status run_checks(const Subject& s, std::vector<Finding>& out) {
  const unsigned have =
      (s.image != nullptr ? kImage : 0u) | (s.options != nullptr ? kPluginCheck : 0u);
  for (const DllCheck& check : kDllChecks) {
    if ((check.needs & ~have) != 0) continue;
    if (auto st = check.run(s, out); !st) return st;
  }
  return {};
}

// The opened image of `path`, or the finding that says why the file is not one (not-pe,
// malformed-pe). Errors: the file cannot be read.
struct Opened {
  std::optional<pe::Image> image;
  std::vector<Finding> findings;
};

Result<Opened> open_image(const fs::path& path) {
  auto file = InputFile::open(path);
  if (!file) return std::unexpected(file.error());
  Opened out;
  auto image = pe::Image::from_file(std::move(*file));
  if (image) {
    out.image.emplace(std::move(*image));
    return out;
  }
  const Error& e = image.error();
  if (e.kind != ErrorKind::kInput) return std::unexpected(e);
  const bool not_pe = e.message.starts_with("not a PE image");
  out.findings.push_back(
      not_pe ? make_finding(kNotPe,
                            fmt::format("{} (official WSL builds fail the signature check with "
                                        "TRUST_E_SUBJECT_FORM_UNKNOWN; builds without it fail "
                                        "LoadLibrary with ERROR_BAD_EXE_FORMAT)",
                                        e.describe()),
                            "register the plugin DLL itself (not an import library, object or "
                            "Linux .so)")
             : make_finding(
                   kMalformedPe,
                   fmt::format("{} (LoadLibrary fails with ERROR_BAD_EXE_FORMAT)", e.describe()),
                   e.fix.empty() ? "rebuild the DLL" : e.fix));
  return out;
}

}  // namespace

std::vector<Finding> check_image(const pe::Image& image) {
  const fs::path path = image.path();
  std::vector<Finding> out;
  // Only rows that need nothing beyond the image run here, and they never fail.
  (void)run_checks(Subject{.path = path, .image = &image}, out);
  return out;
}

Result<PeCheck> check_pe_file(const fs::path& path) {
  auto opened = open_image(path);
  if (!opened) return std::unexpected(opened.error());
  PeCheck out;
  out.is_pe = opened->image.has_value();
  out.findings = out.is_pe ? check_image(*opened->image) : std::move(opened->findings);
  return out;
}

Result<std::vector<Finding>> check_plugin_dll(const fs::path& path,
                                              const signing::VerifyOptions& options) {
  auto opened = open_image(path);
  if (!opened) return std::unexpected(opened.error());
  std::vector<Finding> out = std::move(opened->findings);
  const pe::Image* image = opened->image ? &*opened->image : nullptr;
  if (auto st = run_checks(Subject{.path = path, .image = image, .options = &options}, out); !st)
    return std::unexpected(st.error());
  return out;
}

}  // namespace wslplug::doctor
