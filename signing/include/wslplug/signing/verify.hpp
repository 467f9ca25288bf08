// Verification: the verdict bits with the WinVerifyTrust error each means, and the reports of
// verify_file.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::signing {

namespace fs = std::filesystem;

// Why a signature does not verify, as bits (several can be set). kVerdicts below names each bit
// and gives the WinVerifyTrust error Windows (and so WSL) reports for it.
enum class Verdict : std::uint32_t {
  kOk = 0,
  kBadDigest = 1u << 0,          // embedded digest != computed
  kBadSignature = 1u << 1,       // PKCS#7 signature invalid
  kUntrustedRoot = 1u << 2,      // chain ends in a root that is not trusted
  kChainIncomplete = 1u << 3,    // an intermediate is missing
  kExpired = 1u << 4,            // signer expired at verification time, no valid timestamp
  kNotYetValid = 1u << 5,        // signer not yet valid
  kWrongUsage = 1u << 6,         // no codeSigning EKU / digitalSignature KeyUsage
  kMalformed = 1u << 7,          // PKCS#7 or SpcIndirectDataContent malformed
  kUnsupportedDigest = 1u << 8,  // digest algorithm not supported
  kBadTimestamp = 1u << 9,       // timestamp present but invalid
  kUnsignedData = 1u << 10,      // data after the PKCS#7 inside its WIN_CERTIFICATE entry
  kRevoked = 1u << 11,           // a certificate of the chain is revoked (verify --crl)
};
constexpr Verdict operator|(Verdict a, Verdict b) {
  return static_cast<Verdict>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
constexpr Verdict operator&(Verdict a, Verdict b) {
  return static_cast<Verdict>(static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b));
}
constexpr Verdict operator~(Verdict a) {
  return static_cast<Verdict>(~static_cast<std::uint32_t>(a));
}
constexpr Verdict& operator|=(Verdict& a, Verdict b) { return a = a | b; }
constexpr Verdict& operator&=(Verdict& a, Verdict b) { return a = a & b; }
// True when `v` has any of the bits of `bits`.
constexpr bool has(Verdict v, Verdict bits) { return (v & bits) != Verdict::kOk; }

struct VerdictInfo {
  Verdict bit;
  std::string_view name;       // verify --json "verdict" entries (docs/verify-json.md)
  std::string_view wsl_error;  // the WinVerifyTrust result WSL reports for it
};
inline constexpr std::array<VerdictInfo, 12> kVerdicts = {{
    {Verdict::kBadDigest, "bad-digest", "TRUST_E_BAD_DIGEST"},
    {Verdict::kBadSignature, "bad-signature", "TRUST_E_CERT_SIGNATURE"},
    {Verdict::kUntrustedRoot, "untrusted-root", "CERT_E_UNTRUSTEDROOT"},
    {Verdict::kChainIncomplete, "chain-incomplete", "CERT_E_CHAINING"},
    {Verdict::kExpired, "expired", "CERT_E_EXPIRED"},
    {Verdict::kNotYetValid, "not-yet-valid", "CERT_E_EXPIRED"},
    {Verdict::kWrongUsage, "wrong-usage", "CERT_E_WRONG_USAGE"},
    {Verdict::kMalformed, "malformed", "TRUST_E_NOSIGNATURE"},
    {Verdict::kUnsupportedDigest, "unsupported-digest", "NTE_BAD_ALGID"},
    {Verdict::kBadTimestamp, "bad-timestamp", "TRUST_E_TIME_STAMP"},
    // Refused only where EnableCertPaddingCheck is set: the file is then treated as unsigned.
    {Verdict::kUnsignedData, "unsigned-data", "TRUST_E_NOSIGNATURE"},
    {Verdict::kRevoked, "revoked", "CERT_E_REVOKED"},
}};
// The table row of one bit (nullptr for kOk or a combination).
constexpr const VerdictInfo* verdict_info(Verdict bit) {
  for (const auto& v : kVerdicts)
    if (v.bit == bit) return &v;
  return nullptr;
}
// The WinVerifyTrust error of one bit ("" for kOk or a combination).
constexpr std::string_view wsl_error(Verdict bit) {
  const auto* v = verdict_info(bit);
  return v ? v->wsl_error : std::string_view{};
}
// The names of the bits set in `v`, in table order.
std::vector<std::string_view> verdict_names(Verdict v);

struct TimestampReport {
  bool ok = false;
  std::int64_t time = 0;         // unix seconds (genTime)
  std::string digest_algorithm;  // of the message imprint
  std::string tsa_subject;
  std::string problem;  // empty when ok
};

struct SignatureReport {
  std::size_t index = 0;  // the one numbering (SignatureSlot::index)
  std::size_t entry = 0;  // its WIN_CERTIFICATE entry
  bool nested = false;
  std::string digest_algorithm;  // "sha256"
  std::string embedded_digest;   // uppercase hex
  std::string computed_digest;   // uppercase hex
  bool digest_ok = false;
  bool signature_ok = false;
  bool chain_ok = false;
  bool eku_ok = false;
  bool validity_ok = false;
  // Which of the checks above ran. A check that could not run (the PKCS#7, its content or the
  // signer certificate could not be read) is "not checked": its *_ok is false but means nothing.
  bool digest_checked = false;
  bool signature_checked = false;
  bool chain_checked = false;  // also eku and validity: one chain check
  // What could not be read (the entry, the PKCS#7, its SpcIndirectDataContent, the signer
  // certificate); empty when everything was read. `problems` has the details.
  std::string unreadable;
  Verdict verdict = Verdict::kOk;
  std::string signer_subject;
  std::string signer_issuer;
  std::string signer_thumbprint_sha1;  // uppercase hex, as Windows shows it
  std::string signer_fingerprint_sha256;
  std::int64_t signer_not_before = 0;
  std::int64_t signer_not_after = 0;
  bool self_signed = false;
  std::optional<std::int64_t> signing_time;
  std::optional<TimestampReport> timestamp;
  std::vector<std::string> problems;  // one readable sentence per failed check
  [[nodiscard]] bool ok() const { return verdict == Verdict::kOk; }
};

struct FileReport {
  std::string file;
  bool ok = false;         // signed, every signature ok, checksum ok
  bool is_signed = false;  // the certificate table directory is set
  // Why the certificate table itself cannot be read (beyond the end of the file, overlapping the
  // headers or followed by data, entry lengths that overrun it, ...): the file is reported as a
  // failed signature (one malformed SignatureReport), not as an input error. nullopt otherwise.
  std::optional<Error> table_error;
  bool checksum_ok = false;
  std::uint32_t stored_checksum = 0;
  std::uint32_t computed_checksum = 0;
  std::vector<SignatureReport> signatures;
};

struct VerifyOptions {
  std::vector<fs::path> ca_files;       // --ca; empty: the system store
  std::vector<fs::path> tsa_ca_files;   // --tsa-ca; empty: same as ca_files / system store
  std::optional<std::int64_t> at_time;  // verify as of this time (default: now)
  // --crl: CRL files (PEM or DER). When given, every certificate of the signer's chain must have a
  // CRL from its issuer among them and must not be listed (`revoked`; a missing or expired CRL is
  // `chain-incomplete`). Empty: revocation is not checked (no CRL or OCSP fetching, ever).
  std::vector<fs::path> crl_files;
};

// A well-formed but unsigned or failing file is a FileReport with ok=false (not an error), and so
// is a PE whose certificate table is broken (FileReport::table_error). Errors are for inputs that
// are not PE images (or whose headers are broken) and for I/O failures.
Result<FileReport> verify_file(const fs::path& path, const VerifyOptions& options);

}  // namespace wslplug::signing
