// The signature check of a WSL plugin DLL and the location of the file (see
// wslplug/doctor/dll.hpp; the order of all checks is the table in dll_checks.cpp). WSL (official
// builds) calls WinVerifyTrust(WINTRUST_ACTION_GENERIC_VERIFY_V2) as LocalSystem before
// LoadLibrary and passes its result through as the error code; only the primary signature counts.
#include <fmt/format.h>

#include "wslplug/doctor/dll.hpp"
#include "wslplug/registry/winpath.hpp"

namespace wslplug::doctor {

using namespace signing;  // the verification report and its verdict bits

namespace {

constexpr const char* kResign =
    "sign the DLL as the last build step: wslplug sign plugin.dll --cert cert.pem --key key.pem "
    "--in-place (or wslplug build --sign)";

std::string trust_fix(const SignatureReport& s, bool have_ca) {
  std::string fix = fmt::format(
      "on the Windows machine, trust the root of '{}' for LocalSystem (elevated PowerShell): "
      "Import-Certificate -FilePath cert.cer -CertStoreLocation Cert:\\LocalMachine\\Root "
      "(Cert:\\CurrentUser\\Root does not help: wslservice runs as LocalSystem)",
      s.signer_issuer.empty() ? s.signer_subject : s.signer_issuer);
  if (!have_ca)
    fix += "; to check here against that root: wslplug doctor --dll plugin.dll --ca cert.pem";
  return fix;
}

void add_signature_findings(const std::string& file, const SignatureReport& s, bool have_ca,
                            std::vector<Finding>& out) {
  const Verdict v = s.verdict;
  const std::string who = fmt::format("{}: signature #{} ({}{})", file, s.index,
                                      s.signer_subject.empty() ? "no signer" : s.signer_subject,
                                      s.nested ? ", nested" : "");
  auto detail = [&](std::string_view fallback) {
    return s.problems.empty() ? std::string(fallback) : s.problems.front();
  };
  if (has(v, Verdict::kMalformed))
    out.push_back(
        make_finding(kSignatureMalformed,
                     fmt::format("{}: the PKCS#7 signature or its SpcIndirectDataContent is "
                                 "malformed ({}); Windows cannot decode it",
                                 who, detail("malformed")),
                     kResign));
  if (has(v, Verdict::kBadDigest))
    out.push_back(make_finding(
        kDigestMismatch,
        fmt::format("{}: the file changed after signing: signed {} digest {}, computed {}", who,
                    s.digest_algorithm, s.embedded_digest.empty() ? "?" : s.embedded_digest,
                    s.computed_digest.empty() ? "?" : s.computed_digest),
        std::string(kResign) + "; do not modify the DLL after signing"));
  if (has(v, Verdict::kUnsupportedDigest))
    out.push_back(make_finding(
        kDigestUnsupported,
        fmt::format("{}: digest algorithm '{}' is not supported", who, s.digest_algorithm),
        "re-sign with SHA-256 (wslplug sign --hash sha256)"));
  if (has(v, Verdict::kBadSignature))
    out.push_back(make_finding(kSignatureInvalid,
                               fmt::format("{}: the signer's signature does not verify ({})", who,
                                           detail("bad signature")),
                               kResign));
  if (has(v, Verdict::kWrongUsage))
    out.push_back(make_finding(
        kCertWrongUsage,
        fmt::format("{}: the signing certificate lacks the Code Signing extended key usage "
                    "(1.3.6.1.5.5.7.3.3) or the digitalSignature key usage",
                    who),
        "create a code-signing certificate (wslplug cert new, or New-SelfSignedCertificate "
        "-Type CodeSigningCert) and re-sign"));
  if (has(v, Verdict::kExpired | Verdict::kNotYetValid)) {
    const bool expired = has(v, Verdict::kExpired);
    out.push_back(make_finding(
        expired ? kCertExpired : kCertNotYetValid,
        fmt::format("{}: the signing certificate is {} (valid from unix time {} to {}) and the "
                    "signature has no valid timestamp",
                    who, expired ? "expired" : "not yet valid", s.signer_not_before,
                    s.signer_not_after),
        expired ? "create a new certificate (wslplug cert new), re-sign and timestamp "
                  "(wslplug timestamp) so the signature outlives the certificate"
                : "check the signing machine's clock, or create a certificate valid from now"));
  }
  if (has(v, Verdict::kChainIncomplete))
    out.push_back(
        make_finding(kChainIncomplete,
                     fmt::format("{}: the certificate chain cannot be built: an intermediate "
                                 "certificate of '{}' is missing",
                                 who, s.signer_issuer),
                     "re-sign embedding the intermediates (wslplug sign --chain "
                     "intermediate.pem ...) or install them into Cert:\\LocalMachine\\CA"));
  if (has(v, Verdict::kUntrustedRoot))
    out.push_back(
        make_finding(kUntrustedRoot,
                     fmt::format("{}: the chain ends in {} that is not trusted{}", who,
                                 s.self_signed ? "a self-signed certificate" : "a root",
                                 have_ca ? " by the --ca roots" : " by this system's trust store"),
                     trust_fix(s, have_ca)));
  if (has(v, Verdict::kUnsignedData))
    out.push_back(make_finding(
        kSignatureUnsignedData,
        fmt::format("{}: {}. Windows ignores such data by default, but a machine with the "
                    "certificate padding check (EnableCertPaddingCheck=1 under "
                    "HKLM\\Software\\Microsoft\\Cryptography\\Wintrust\\Config, the "
                    "CVE-2013-3900 hardening) treats the DLL as unsigned and WSL refuses it",
                    who, detail("data after the PKCS#7 signature")),
        std::string(kResign) + "; do not append data to the signature"));
  if (has(v, Verdict::kRevoked))
    out.push_back(make_finding(kCertRevoked,
                               fmt::format("{}: a certificate of the chain is revoked, or its "
                                           "revocation status is unknown ({})",
                                           who, detail("revoked")),
                               "sign with a certificate that is not revoked"));
  if (has(v, Verdict::kBadTimestamp))
    out.push_back(make_finding(
        kTimestampInvalid,
        fmt::format("{}: the timestamp countersignature is invalid ({})", who,
                    s.timestamp && !s.timestamp->problem.empty() ? s.timestamp->problem
                                                                 : detail("invalid timestamp")),
        "re-sign and re-timestamp with a trusted TSA (wslplug timestamp plugin.dll --timestamp "
        "<tsa url> --in-place)"));
}

}  // namespace

std::vector<Finding> signature_findings(const FileReport& report, const VerifyOptions& options) {
  std::vector<Finding> out;
  const std::string& file = report.file;
  const bool have_ca = !options.ca_files.empty();
  if (report.table_error) {
    // A structurally broken certificate table: Windows cannot read the signature either.
    const Error& e = *report.table_error;
    out.push_back(
        make_finding(kSignatureUnreadable,
                     fmt::format("{}: the signature cannot be read: {}", file, e.describe()),
                     e.fix.empty() ? std::string(kResign) : e.fix));
    return out;
  }
  if (!report.is_signed || report.signatures.empty()) {
    out.push_back(make_finding(
        kUnsigned,
        fmt::format("{}: has no Authenticode signature (the certificate table is empty); "
                    "official WSL builds refuse to load unsigned plugins",
                    file),
        std::string(kResign) + ", and trust the certificate in Cert:\\LocalMachine\\Root"));
    return out;
  }
  // WinVerifyTrust checks the primary signature; problems of nested signatures do not stop WSL.
  for (const auto& s : report.signatures) {
    if (s.ok()) continue;
    const bool secondary = s.index != 0 || s.nested;
    std::vector<Finding> sig;
    add_signature_findings(file, s, have_ca, sig);
    if (sig.empty())
      sig.push_back(
          make_finding(kSignatureProblem,
                       fmt::format("{}: signature #{} does not verify: {}", file, s.index,
                                   s.problems.empty() ? "unknown problem" : s.problems.front()),
                       kResign));
    if (secondary) {
      for (auto& f : sig) {
        f.severity = Severity::kWarning;
        f.id = std::string(kNestedPrefix) + f.id;
        f.message += " (a nested signature: WinVerifyTrust checks only the primary one)";
      }
    }
    out.insert(out.end(), sig.begin(), sig.end());
  }
  if (!report.checksum_ok && report.stored_checksum != report.computed_checksum)
    out.push_back(
        make_finding(kChecksumMismatch,
                     fmt::format("{}: PE CheckSum is {:#010x}, computed {:#010x} (Windows does "
                                 "not check it for user-mode DLLs; signing tools update it)",
                                 file, report.stored_checksum, report.computed_checksum),
                     "re-sign with wslplug sign, which writes the correct checksum"));
  return out;
}

Result<SignatureCheck> check_signature(const fs::path& path, const VerifyOptions& options) {
  SignatureCheck out;
  auto report = verify_file(path, options);
  if (!report) {
    const Error& e = report.error();
    if (e.kind == ErrorKind::kIo || e.kind == ErrorKind::kInternal) return std::unexpected(e);
    // A structurally broken certificate table: Windows cannot read the signature either.
    out.findings.push_back(make_finding(
        kSignatureUnreadable,
        fmt::format("{}: the signature cannot be read: {}", path.string(), e.describe()),
        e.fix.empty() ? std::string(kResign) : e.fix));
  } else {
    out.findings = signature_findings(*report, options);
    out.report = std::move(*report);
  }
  return out;
}

std::vector<Finding> location_findings(const fs::path& path, std::string_view automount_root) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) return {};
  auto windows = registry::to_windows_path(
      absolute.lexically_normal().string(),
      registry::PathOptions{.automount_root = std::string(automount_root)});
  if (!windows || !windows->from_wsl_mount) return {};
  const registry::LocationRisk risk = registry::writable_location(windows->path);
  if (risk.kind == registry::WritableLocation::kNone) return {};
  return {make_finding(
      kDllUserWritable,
      fmt::format("{} is {} on Windows: {}", path.string(), windows->path, risk.reason),
      fmt::format("do not register it there: install it where only administrators can write, "
                  "e.g. with wslplug register --ps1 --source {} (default folder {}\\)",
                  path.string(), registry::kDefaultInstallRoot))};
}

}  // namespace wslplug::doctor
