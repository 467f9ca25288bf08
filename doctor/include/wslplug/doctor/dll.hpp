// The static check of a WSL plugin DLL, in the order an official WSL build loads a plugin:
// signature (WinVerifyTrust), then the image (machine, DLL flag, imports: LoadLibrary), then the
// export (GetProcAddress of WSLPluginAPIV1_EntryPoint). Every finding is a catalogue kind
// (wslplug/doctor/finding.hpp) and names the WSL error the problem would cause. Used by
// `wslplug doctor --dll`, `build` and `register`. Nothing here modifies the input.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/doctor/finding.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::doctor {

// The export WSL looks up, exactly (GetProcAddress is case-sensitive).
inline constexpr std::string_view kEntryPoint = "WSLPluginAPIV1_EntryPoint";

// ---- the whole check --------------------------------------------------------------------------
// The checks are one ordered table (doctor/src/dll_checks.cpp: name, what each needs, function):
// a new check is one function and one row. Signature findings first, then PE findings, then
// where the file is. A file that is not a PE gives only the "not-pe"
// finding. Errors are for files that cannot be read (I/O). `options.ca_files` are the roots the
// signature is checked against (none: the system store).
Result<std::vector<Finding>> check_plugin_dll(const fs::path& path,
                                              const signing::VerifyOptions& options);

// ---- where the DLL is ---------------------------------------------------------------------------
// A DLL reached through a WSL mount path (absolute path under `automount_root`, e.g.
// /mnt/c/Users/me/p.dll) that sits in a folder ordinary Windows users can write gets one
// dll-user-writable finding (info): registering it there would let them replace what LocalSystem
// loads. Any other path: none. check_plugin_dll includes this.
std::vector<Finding> location_findings(const fs::path& path,
                                       std::string_view automount_root = "/mnt/");

// ---- the signature part -----------------------------------------------------------------------
// Findings for a verification report: unsigned, digest mismatch, wrong usage, expired without a
// timestamp, untrusted root, ... (problems of nested signatures as warnings). A pure function of
// the report; `options` only tells whether a --ca was given (for the wording of fixes).
std::vector<Finding> signature_findings(const signing::FileReport& report,
                                        const signing::VerifyOptions& options);

// The signature part of check_plugin_dll (what WinVerifyTrust decides, before LoadLibrary): the
// findings of signature_findings, or signature-unreadable when the certificate table cannot be
// read; `report` when it could be read. Errors are for files that cannot be read (I/O).
struct SignatureCheck {
  std::vector<Finding> findings;
  std::optional<signing::FileReport> report;
};
Result<SignatureCheck> check_signature(const fs::path& path, const signing::VerifyOptions& options);

// ---- the PE part (image and export) -----------------------------------------------------------
// The outcome of the PE-level checks. is_pe is false when the file is not a (valid) PE image;
// then the findings say so and the signature cannot be checked either.
struct PeCheck {
  std::vector<Finding> findings;
  bool is_pe = false;
};

// Opens `path` and runs every PE-level check. A file that is not a PE or is malformed is a
// finding ("not-pe", "malformed-pe"), not an error; errors are for files that cannot be read.
Result<PeCheck> check_pe_file(const fs::path& path);
// The checks on an opened image (headers, exports, imports): the rows of the table that need
// nothing beyond the image.
std::vector<Finding> check_image(const pe::Image& image);

// Individual checks, for callers that already hold the data.
std::vector<Finding> check_machine(const pe::Layout& layout, const std::string& file);
std::vector<Finding> check_exports(const std::vector<pe::Export>& exports, const std::string& file);
std::vector<Finding> check_imports(const std::vector<pe::Import>& imports, const std::string& file);

// How Windows will resolve an imported DLL when wslservice loads the plugin.
enum class ImportKind {
  kSystem,        // ships in System32 (or is an API set): found
  kMingwRuntime,  // libstdc++-6, libgcc_s_*, libwinpthread-1, ...: not found
  kVcRuntime,  // VCRUNTIME140, MSVCP140, ...: found only if the VC++ Redistributable is installed
  kDebugRuntime,  // VCRUNTIME140D, ucrtbased, ...: never on end-user machines
  kOther,         // anything else: not found (the plugin's folder is not searched)
};
ImportKind classify_import(std::string_view dll);

}  // namespace wslplug::doctor
