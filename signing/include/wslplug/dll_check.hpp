// The combined static check of a WSL plugin DLL: PE-level preflight (wslplug/preflight.hpp) plus
// Authenticode findings from the signing engine, each mapped to the WSL error it would cause when
// an official WSL build loads the plugin (WinVerifyTrust, then LoadLibrary, then GetProcAddress).
// Used by `wslplug doctor --dll` and `wslplug build`.
#pragma once

#include <vector>

#include "wslplug/error.hpp"
#include "wslplug/finding.hpp"
#include "wslplug/signing.hpp"

namespace wslplug::signing {

// Findings for a verification report: unsigned (TRUST_E_NOSIGNATURE), digest mismatch
// (TRUST_E_BAD_DIGEST), no codeSigning usage (CERT_E_WRONG_USAGE), expired without timestamp
// (CERT_E_EXPIRED), untrusted or self-signed root (CERT_E_UNTRUSTEDROOT), ... A pure function of
// the report; `options` only tells whether a --ca was given (for the wording of fixes).
std::vector<Finding> signature_findings(const FileReport& report, const VerifyOptions& options);

}  // namespace wslplug::signing
