// Public API of the Authenticode signing library (wslplug_signing): credentials, signing
// (embedded, detached, attach, unsign), the embedded signatures and the image digest, signature
// files, verification with its verdict table, test certificates and certificates to trust.
// Everything in bytes is std::byte. Nested signatures and RFC 3161 timestamps at the PKCS#7
// level are in nested.hpp and timestamp.hpp; OIDs in oids.hpp.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/secret.hpp"

namespace wslplug::signing {

namespace fs = std::filesystem;

enum class DigestAlgorithm { kSha1, kSha256, kSha384, kSha512 };
std::string_view digest_name(DigestAlgorithm alg);                   // "sha256"
std::optional<DigestAlgorithm> parse_digest(std::string_view name);  // "sha256", "SHA-256", ...

// ---------------------------------------------------------------- credentials
// A signing certificate, its private key and extra chain certificates (intermediates). Opaque:
// the OpenSSL objects stay inside the library, in RAII handles.
class Credentials {
 public:
  // PEM certificate + PEM (or DER) key; `key_password` for an encrypted key (nullptr: the key
  // must be unencrypted, else an input error says which option supplies the password).
  static Result<Credentials> from_pem(const fs::path& cert, const fs::path& key,
                                      const std::vector<fs::path>& chain,
                                      const SecretString* key_password);
  // PKCS#12 (.pfx): the first certificate matching the key is the signer, the rest the chain.
  static Result<Credentials> from_pkcs12(const fs::path& pfx, const SecretString& password,
                                         const std::vector<fs::path>& chain);
  Credentials(Credentials&&) noexcept;
  Credentials& operator=(Credentials&&) noexcept;
  ~Credentials();
  struct Impl;
  // For the other key locations (signer.hpp): wraps credentials built inside the library.
  static Credentials adopt(std::unique_ptr<Impl> impl);
  [[nodiscard]] const Impl& impl() const { return *impl_; }
  [[nodiscard]] std::string subject() const;  // "CN=..., O=..."
  // The signer certificate's SHA-1 thumbprint, uppercase hex (as Windows shows it).
  [[nodiscard]] std::string thumbprint_sha1() const;

 private:
  explicit Credentials(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------- signing
// An RFC 3161 time-stamp server and how to talk to it (sign --timestamp, wslplug timestamp).
struct TimestampOptions {
  std::string url;  // --timestamp: http(s)://host[:port]/path (proxies from HTTPS_PROXY & co)
  DigestAlgorithm digest = DigestAlgorithm::kSha256;  // --timestamp-hash: the imprint algorithm
  int retries = 0;                                    // --timestamp-retries: extra attempts
  std::chrono::milliseconds timeout{30000};           // --timestamp-timeout: per attempt
  std::chrono::milliseconds backoff{1000};            // first retry delay; doubles per retry
  std::vector<fs::path> tls_ca_files;  // --tsa-ca: an https server's CA; empty: the system store
};

struct SignOptions {
  DigestAlgorithm digest = DigestAlgorithm::kSha256;
  std::string description;                   // --name: SpcSpOpusInfo programName
  std::string url;                           // --url: SpcSpOpusInfo moreInfo
  bool commercial = false;                   // --commercial: SpcStatementType commercial
  std::optional<std::int64_t> signing_time;  // --time (unix seconds); nullopt: now
  // --timestamp: the new signature gets an RFC 3161 timestamp before it is embedded.
  std::optional<TimestampOptions> timestamp;
  // The DER PKCS#7 the new signature is nested into (1.3.6.1.4.1.311.2.4.1); nullopt replaces
  // any old signature. Embedded signing replaces the whole certificate table with it.
  std::optional<std::vector<std::byte>> nest_into;
  // --append: nest into the input's primary signature (numbering::primary: the first readable
  // PKCS#7 entry) and keep every other WIN_CERTIFICATE entry of the file as it is, so no existing
  // signature is lost; an unsigned input is signed normally. Takes precedence over nest_into.
  bool append = false;
  // The signed attribute PKCS#9 sequenceNumber (1.2.840.113549.1.9.25.4) osslsigncode gives a
  // nested signature; sign_file sets it from nest_into when nullopt.
  std::optional<long> sequence_number;
};

struct SignResult {
  std::uint64_t output_size = 0;
  std::string digest_hex;  // the Authenticode digest that was signed (uppercase hex)
  std::optional<DigestAlgorithm> digest_algorithm;  // its algorithm (none when nothing was hashed)
  std::uint32_t checksum = 0;                       // the PE checksum written
};

// Every function that writes an image streams it once (read, hash, write on separate threads)
// into an AtomicOutput beside the target: the input is untouched on failure, no temp file
// survives, `output` may equal `input` with out.overwrite (--in-place). Images whose certificate
// table would not start and end below 4 GiB (PE offsets are 32-bit) are refused.

// Signs `input` into `output`, replacing any existing signature (or nesting into
// options.nest_into).
Result<SignResult> sign_file(const fs::path& input, const fs::path& output,
                             const Credentials& creds, const SignOptions& options,
                             const OutputOptions& out);

// Signs `input` without writing it: the DER PKCS#7 that sign_file would embed with the same
// options, for `sign --detached-out`.
Result<std::vector<std::byte>> sign_detached(const fs::path& input, const Credentials& creds,
                                             const SignOptions& options);

// Embeds a detached signature: the signature's SpcIndirectDataContent digest must equal the
// image digest of `input` (an input error naming both otherwise; nothing is written). The
// digest is computed during the same pass that writes the output. `signature_file` names the
// signature in messages. For `wslplug attach`.
Result<SignResult> attach_signature(const fs::path& input, const fs::path& output,
                                    std::span<const std::byte> pkcs7_der,
                                    const std::string& signature_file, const OutputOptions& out);

// Writes `input` with its certificate table replaced by one WIN_CERTIFICATE holding
// `pkcs7_der` (8-byte padding, directory entry and checksum exactly as sign_file writes them).
// The DER is not checked against the image: for a signature from elsewhere use
// attach_signature. For `wslplug timestamp`. digest_hex of the result is empty.
Result<SignResult> write_signature(const fs::path& input, const fs::path& output,
                                   std::span<const std::byte> pkcs7_der, const OutputOptions& out);

// Removes the certificate table, clears the directory entry, fixes the checksum.
Status unsign_file(const fs::path& input, const fs::path& output, const OutputOptions& out);

// The Authenticode digest sign_file would sign: [0, certificate table or end of file) without
// the CheckSum field and the certificate directory entry, plus the zero padding to 8 bytes that
// signing appends to an unsigned image. Streaming.
Result<std::vector<std::byte>> image_digest(const fs::path& path, DigestAlgorithm alg);

// The DER of every WIN_CERTIFICATE entry's PKCS#7, in file order (padding stripped); empty
// when unsigned.
Result<std::vector<std::vector<std::byte>>> embedded_signatures(const fs::path& path);
// The DER PKCS#7 of the image's first WIN_CERTIFICATE of revision 2.0 and type
// PKCS_SIGNED_DATA (the primary signature, its nested ones inside), checked to be SignedData.
// An unsigned image is an input error naming the file and the fix.
Result<std::vector<std::byte>> embedded_signature(const fs::path& path);

// ---------------------------------------------------------------- signature numbering
// The one numbering of an image's signatures, used by verify, extract --index, timestamp
// --index, sign --append and doctor (docs/signing.md): every WIN_CERTIFICATE entry in file
// order, each followed at once by the signatures nested in it. A dual-signed UEFI image (two
// entries, nothing nested) has 0 and 1; one entry with two nested signatures has 0, 1 and 2.
struct SignatureSlot {
  std::size_t index = 0;   // in the numbering
  std::size_t entry = 0;   // its WIN_CERTIFICATE entry (0-based, file order)
  std::size_t nested = 0;  // 0: the entry's own signature; n >= 1: the entry's nested signature n
  std::uint16_t revision = 0;  // of the entry
  std::uint16_t type = 0;      // of the entry (0x0002 PKCS_SIGNED_DATA)
  std::uint64_t offset = 0;    // file offset of the entry
  // The DER PKCS#7: an entry's own with its nested ones inside, a nested one on its own. Empty
  // when it cannot be read; `problem` says why.
  std::vector<std::byte> der;
  std::string problem;
  // An entry's own signature only: a sentence about bytes after the PKCS#7 inside the entry that
  // are not zero padding to 8 bytes (unsigned data; verify's `unsigned-data`); empty otherwise.
  std::string unsigned_data;
};
// Every signature of the file, numbered (empty when unsigned).
Result<std::vector<SignatureSlot>> signature_slots(const fs::path& path);
// Signature `index` of the numbering; an input error naming --index (and the range) when there
// is none, or when it cannot be read.
Result<SignatureSlot> signature_at(const fs::path& path, std::size_t index);
// Writes `input` with the PKCS#7 of WIN_CERTIFICATE entry `entry` replaced by `pkcs7_der`
// (revision 2.0, PKCS_SIGNED_DATA), every other entry kept byte for byte, directory entry and
// checksum fixed. Not checked against the image (for `wslplug timestamp`); digest_hex is empty.
Result<SignResult> replace_entry_signature(const fs::path& input, const fs::path& output,
                                           std::size_t entry, std::span<const std::byte> pkcs7_der,
                                           const OutputOptions& out);

// ---------------------------------------------------------------- signature files
struct IndirectDigest {
  DigestAlgorithm algorithm = DigestAlgorithm::kSha256;
  std::vector<std::byte> digest;  // SpcIndirectDataContent.messageDigest.digest
};
// The messageDigest of the SpcIndirectDataContent of a DER Authenticode PKCS#7. Errors name
// `file` and the field (contentType, messageDigest) with a fix.
Result<IndirectDigest> indirect_data_digest(std::span<const std::byte> pkcs7_der,
                                            const std::string& file = {});
// Reads a signature file (DER, or PEM "-----BEGIN PKCS7-----"), checks it is a PKCS#7
// SignedData with a SignerInfo, and returns its DER (trailing zero padding dropped).
Result<std::vector<std::byte>> read_signature_file(const fs::path& path);
// PEM text ("-----BEGIN PKCS7-----") of a DER PKCS#7.
Result<std::string> pkcs7_der_to_pem(std::span<const std::byte> der);

// ---------------------------------------------------------------- verification
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

// ---------------------------------------------------------------- certificates to trust
// A certificate to trust (register --ps1 --trust-cert): DER bytes re-encoded by OpenSSL (never
// the input file's bytes, so nothing else, like a private key, can be carried along), its
// subject and SHA-1 thumbprint (what Windows shows).
struct TrustCert {
  std::vector<std::byte> der;
  std::string subject;     // the library's one name format ("CN=..., O=...")
  std::string thumbprint;  // SHA-1, upper-case hex, as certlm.msc and PowerShell show it
  std::string source;      // the file it came from
};
// Reads a .cer (DER) or PEM certificate. Refuses private keys and PKCS#12 with a fix; errors
// name the --trust-cert option.
Result<TrustCert> load_trust_cert(const fs::path& path);

// ---------------------------------------------------------------- test certificates
enum class KeyType { kRsa2048, kRsa3072, kRsa4096, kEcdsaP256 };
std::optional<KeyType> parse_key_type(std::string_view name);  // "rsa3072", "ecdsa-p256"

struct CertRequest {
  std::string subject = "CN=wslplug test code signing";  // "CN=..., O=..." or "/CN=.../O=..."
  int days = 365;
  KeyType key = KeyType::kRsa3072;
};

struct CertInfo {
  std::string subject;
  std::int64_t not_before = 0;
  std::int64_t not_after = 0;
  std::string thumbprint_sha1;     // uppercase hex, no separators (as Windows shows it)
  std::string fingerprint_sha256;  // uppercase hex with ':' separators
};

struct CertFiles {
  fs::path key_pem, cert_pem, cert_cer;
  std::optional<fs::path> pfx;
};

// Generates a self-signed code-signing certificate and writes key.pem (0600), cert.pem,
// cert.cer (DER) and optionally cert.pfx into `dir` (created if missing). Refuses existing
// files unless `force`. Nothing is written if any step fails.
Result<std::pair<CertInfo, CertFiles>> create_test_certificate(const CertRequest& request,
                                                               const fs::path& dir, bool pfx,
                                                               const SecretString* pfx_password,
                                                               bool force);

}  // namespace wslplug::signing
