// Public facade of the Authenticode signing library (wslplug_signing). Other libraries and
// commands (doctor --dll, build --sign) use only this header. Implementation headers may add
// more detail, but these names and fields are the contract.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
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
  [[nodiscard]] const Impl& impl() const { return *impl_; }
  [[nodiscard]] std::string subject() const;  // "CN=..., O=..."

 private:
  explicit Credentials(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------- signing
struct SignOptions {
  DigestAlgorithm digest = DigestAlgorithm::kSha256;
  std::string description;                   // --name: SpcSpOpusInfo programName
  std::string url;                           // --url: SpcSpOpusInfo moreInfo
  bool commercial = false;                   // --commercial: SpcStatementType commercial
  std::optional<std::int64_t> signing_time;  // --time (unix seconds); nullopt: now
  // Applied to the DER PKCS#7 just built, before it is embedded: returns the DER to embed.
  // sign --timestamp / --append use it (wslplug/timestamp.hpp, wslplug/nested.hpp).
  std::function<Result<std::vector<std::byte>>(std::vector<std::byte>)> transform;
};

struct SignResult {
  std::uint64_t output_size = 0;
  std::string digest_hex;      // the Authenticode digest that was signed (uppercase hex)
  std::uint32_t checksum = 0;  // the PE checksum written
};

// Signs `input` into `output` (same path allowed with out.overwrite for --in-place), replacing
// any existing signature. Streaming; the input is untouched on failure; no temp file survives.
Result<SignResult> sign_file(const fs::path& input, const fs::path& output,
                             const Credentials& creds, const SignOptions& options,
                             const OutputOptions& out);

// Removes the certificate table, clears the directory entry, fixes the checksum.
Status unsign_file(const fs::path& input, const fs::path& output, const OutputOptions& out);

// Writes `input` with its certificate table replaced by one WIN_CERTIFICATE holding
// `pkcs7_der` (8-byte padding, directory entry and checksum exactly as sign_file writes them).
// The DER is not checked against the image: verify the output (or compare image_digest) when it
// comes from elsewhere. For attach and timestamp. digest_hex of the result is empty.
Result<SignResult> write_signature(const fs::path& input, const fs::path& output,
                                   std::span<const std::uint8_t> pkcs7_der,
                                   const OutputOptions& out);
// The Authenticode digest sign_file would sign (an odd-sized unsigned image is hashed with the
// zero padding signing appends). Streaming.
Result<std::vector<std::uint8_t>> image_digest(const fs::path& path, DigestAlgorithm alg);
// The DER of every WIN_CERTIFICATE entry's PKCS#7, in file order (padding stripped); empty
// when unsigned. For extract and timestamp.
Result<std::vector<std::vector<std::uint8_t>>> read_signatures(const fs::path& path);

// ---------------------------------------------------------------- verification
// Why a signature does not verify, as bits (several can be set).
enum Verdict : std::uint32_t {
  kVerdictOk = 0,
  kVerdictBadDigest = 1u << 0,          // embedded digest != computed (TRUST_E_BAD_DIGEST)
  kVerdictBadSignature = 1u << 1,       // PKCS#7 signature invalid (TRUST_E_CERT_SIGNATURE)
  kVerdictUntrustedRoot = 1u << 2,      // chain ends in a root not trusted (CERT_E_UNTRUSTEDROOT)
  kVerdictChainIncomplete = 1u << 3,    // an intermediate is missing (CERT_E_CHAINING)
  kVerdictExpired = 1u << 4,            // signer expired at verification time, no valid timestamp
  kVerdictNotYetValid = 1u << 5,        // signer not yet valid
  kVerdictWrongUsage = 1u << 6,         // no codeSigning EKU / KeyUsage (CERT_E_WRONG_USAGE)
  kVerdictMalformed = 1u << 7,          // PKCS#7 or SpcIndirectDataContent malformed
  kVerdictUnsupportedDigest = 1u << 8,  // digest algorithm not supported
  kVerdictBadTimestamp = 1u << 9,       // timestamp present but invalid (TRUST_E_TIME_STAMP)
};

struct TimestampReport {
  bool ok = false;
  std::int64_t time = 0;         // unix seconds (genTime)
  std::string digest_algorithm;  // of the message imprint
  std::string tsa_subject;
  std::string problem;  // empty when ok
};

struct SignatureReport {
  std::size_t index = 0;  // 0 primary, 1.. nested (in file order)
  bool nested = false;
  std::string digest_algorithm;  // "sha256"
  std::string embedded_digest;   // uppercase hex
  std::string computed_digest;   // uppercase hex
  bool digest_ok = false;
  bool signature_ok = false;
  bool chain_ok = false;
  bool eku_ok = false;
  bool validity_ok = false;
  std::uint32_t verdict = kVerdictOk;
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
  [[nodiscard]] bool ok() const { return verdict == kVerdictOk; }
};

struct FileReport {
  std::string file;
  bool ok = false;  // signed, every signature ok, checksum ok
  bool is_signed = false;
  bool checksum_ok = false;
  std::uint32_t stored_checksum = 0;
  std::uint32_t computed_checksum = 0;
  std::vector<SignatureReport> signatures;
};

struct VerifyOptions {
  std::vector<fs::path> ca_files;       // --ca; empty: the system store
  std::vector<fs::path> tsa_ca_files;   // --tsa-ca; empty: same as ca_files / system store
  std::optional<std::int64_t> at_time;  // verify as of this time (default: now)
};

// A well-formed but unsigned or failing file is a FileReport with ok=false (not an error).
// Errors are for unreadable or structurally broken inputs.
Result<FileReport> verify_file(const fs::path& path, const VerifyOptions& options);

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
