// Signing and rewriting images: embedded and detached signatures, attach, unsign, the image
// digest and the embedded signatures.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/signing/credentials.hpp"
#include "wslplug/signing/digest.hpp"

namespace wslplug::signing {

namespace fs = std::filesystem;

// An RFC 3161 time-stamp server and how to talk to it (sign --timestamp, wslplug timestamp).
struct TimestampOptions {
  std::string url;  // --timestamp: http(s)://host[:port]/path (proxies from HTTPS_PROXY & co)
  DigestAlgorithm digest = DigestAlgorithm::kSha256;  // --timestamp-hash: the imprint algorithm
  int retries = 0;                                    // --timestamp-retries: extra attempts
  std::chrono::milliseconds timeout{30000};           // --timestamp-timeout: per attempt
  std::chrono::milliseconds backoff{1000};            // first retry delay; doubles per retry
  // --timestamp-tls-ca: the CA of an https server's TLS certificate; empty: the system store.
  std::vector<fs::path> tls_ca_files;
  // --tsa-ca: the trusted roots the returned token must chain to (the TSA's signature, checked at
  // its genTime, before the token is used); empty: the token is not checked against a root.
  std::vector<fs::path> tsa_ca_files;
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
  // With SignOptions::append on a signed input: the index of the new signature in the one
  // numbering (signatures.hpp); nullopt when nothing was nested.
  std::optional<std::size_t> nested_index;
};

struct DetachedSignature {
  std::vector<std::byte> der;               // the DER PKCS#7
  std::optional<std::size_t> nested_index;  // as SignResult::nested_index
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
Result<DetachedSignature> sign_detached(const fs::path& input, const Credentials& creds,
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

}  // namespace wslplug::signing
