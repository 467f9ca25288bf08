// The combined static check of a WSL plugin DLL: PE-level preflight (wslplug/preflight.hpp) plus
// Authenticode findings from the signing engine, each mapped to the WSL error it would cause when
// an official WSL build loads the plugin (WinVerifyTrust, then LoadLibrary, then GetProcAddress).
// Used by `wslplug doctor --dll` and `wslplug build`.
#pragma once

#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/doctor/finding.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::signing {

// Findings for a verification report: unsigned (TRUST_E_NOSIGNATURE), digest mismatch
// (TRUST_E_BAD_DIGEST), no codeSigning usage (CERT_E_WRONG_USAGE), expired without timestamp
// (CERT_E_EXPIRED), untrusted or self-signed root (CERT_E_UNTRUSTEDROOT), ... A pure function of
// the report; `options` only tells whether a --ca was given (for the wording of fixes).
std::vector<Finding> signature_findings(const FileReport& report, const VerifyOptions& options);

// The whole static check of a plugin DLL, findings in the order WSL would hit them: signature
// (WinVerifyTrust), then PE (machine, DLL flag, imports: LoadLibrary), then the export
// (GetProcAddress). A file that is not a PE gives only the "not-pe" finding. Errors are for
// files that cannot be read (I/O). The input is never modified.
Result<std::vector<Finding>> check_plugin_dll(const fs::path& path, const VerifyOptions& options);

}  // namespace wslplug::signing
