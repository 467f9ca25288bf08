// Why LoadLibrary failed with ERROR_MOD_NOT_FOUND under wine: the first DLL the plugin imports
// that the prefix does not have, and whether that is the plugin's fault (a DLL Windows does not
// ship either) or wine's (a System32 DLL this wine lacks).
#include <fmt/format.h>

#include "internal.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/doctor/dll.hpp"

namespace wslplug::host {

namespace {

bool has_file(const fs::path& dir, std::string_view name) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (iequals(entry.path().filename().string(), name)) return true;
  return false;
}

}  // namespace

std::optional<MissingImport> missing_import(const fs::path& dll, const Environment& e) {
  // Through interop the real Windows loader answers: nothing to add.
  if (e.kind != "wine" || e.drive_c.empty()) return std::nullopt;
  auto image = pe::Image::open(dll);
  if (!image) return std::nullopt;
  auto imports = image->imports();
  if (!imports) return std::nullopt;
  const fs::path system32 = e.drive_c / "windows" / "system32";
  for (const auto& imp : *imports) {
    // Delay-loaded DLLs do not fail the load; API sets are resolved by wine's loader, not files.
    if (imp.delayed || istarts_with(imp.dll, "api-ms-win-") || istarts_with(imp.dll, "ext-ms-win-"))
      continue;
    // The search path of a LoadLibraryW(full path): the host program's folder, then System32.
    if (has_file(system32, imp.dll) || has_file(e.exe.parent_path(), imp.dll)) continue;
    MissingImport m;
    m.dll = imp.dll;
    if (doctor::classify_import(imp.dll) == doctor::ImportKind::kSystem) {
      m.wine_lacks_system_dll = true;
      m.explanation = fmt::format(
          "the plugin imports {}, which Windows 10 and later have in System32 but this wine{} "
          "lacks: WSL would load the plugin; this load failure is the harness's, not the "
          "plugin's",
          imp.dll, e.wine_version.empty() ? "" : " (" + e.wine_version + ")");
      m.fix = ascii_lower(imp.dll) == "bcryptprimitives.dll"
                  ? "install wslplug built with g++-mingw-w64-x86-64: it builds a stand-in "
                    "wine-dlls/bcryptprimitives.dll beside wslplug-host.exe and copies it into "
                    "the wine prefix"
                  : fmt::format(
                        "use a wine that has {}, or test the load on Windows (wslplug "
                        "doctor --dll checks the imports without loading the DLL)",
                        imp.dll);
      return m;
    }
    // A DLL Windows does not have either: doctor's finding for it says what to do.
    const auto findings = doctor::check_imports({imp}, dll.filename().string());
    m.explanation =
        findings.empty()
            ? fmt::format("the plugin imports {}, which is not on the DLL search path", imp.dll)
            : findings.front().message;
    m.fix = findings.empty() ? "link it statically or ship it in System32" : findings.front().fix;
    return m;
  }
  return std::nullopt;
}

}  // namespace wslplug::host
