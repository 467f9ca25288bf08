// Internals of the Authenticode engine shared by sign, verify, unsign and the timestamp code:
// digest mapping, credentials, the streaming image pass (read + hash + checksum + optional
// write), the PKCS#7 SignedData encoder and the per-SignerInfo verification step.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "der.hpp"
#include "ossl.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::signing {

// ---------------------------------------------------------------- digests
const EVP_MD* evp_md(DigestAlgorithm alg);
std::optional<DigestAlgorithm> digest_from_nid(int nid);
std::string_view digest_oid(DigestAlgorithm alg);

// ---------------------------------------------------------------- credentials
struct Credentials::Impl {
  ossl::X509Ptr cert;
  ossl::PkeyPtr key;
  std::vector<ossl::X509Ptr> chain;  // extra certificates (intermediates), signer excluded
};

// All certificates of a PEM file (or one DER certificate); `option` names the flag in errors.
Result<std::vector<ossl::X509Ptr>> load_certs(const fs::path& path, std::string_view option);

// ---------------------------------------------------------------- streaming pass
// The Authenticode hash covers [0, hash_end) minus the CheckSum field and the certificate
// directory entry. stream_image reads [0, read_end) once in ~1 MiB chunks, feeds the hash
// contexts (only bytes below hash_end), and hands every chunk, in order, to `sink` on a second
// thread (writing the output and/or summing the checksum), so hashing and writing overlap.
struct HashRanges {
  std::uint64_t checksum_offset = 0;
  std::optional<std::uint64_t> cert_dir_offset;
  std::uint64_t hash_end = 0;
};
HashRanges hash_ranges(const pe::Layout& layout);

// Called with (file offset, bytes) for consecutive chunks; a failure stops the pass.
using ChunkSink = std::function<Status(std::uint64_t, std::span<std::byte>)>;

// `inline_sink`, if set, runs after each chunk was hashed and before `sink` sees it: on the
// sink's thread with one consumer (keeping the hashing thread free), else on the hashing thread.
// With `consumers` > 1, that many threads run `sink` concurrently and out of order (for positional
// writes only).
Status stream_image(const InputFile& file, const HashRanges& ranges, std::uint64_t read_end,
                    std::span<EVP_MD_CTX* const> hashes, const ChunkSink& sink,
                    const ChunkSink& inline_sink = {}, unsigned consumers = 1);

// ---------------------------------------------------------------- PKCS#7 encoding
// SpcIndirectDataContent for a PE image digest, exactly as osslsigncode writes it (flags
// BIT STRING 07 80, <<<Obsolete>>> file link, DigestInfo with NULL parameters).
der::Bytes spc_indirect_data(DigestAlgorithm alg, std::span<const std::uint8_t> digest);

// The complete DER ContentInfo(SignedData) for an image digest.
Result<der::Bytes> build_signed_data(const Credentials& creds, const SignOptions& options,
                                     std::span<const std::uint8_t> image_digest);

// ---------------------------------------------------------------- verification
// The result of building and checking a certificate chain at a given time.
struct ChainCheck {
  bool chain_ok = false;     // a chain to a trusted root was built (ignoring time errors)
  bool validity_ok = false;  // every certificate of the chain is valid at the time
  bool eku_ok = false;       // the leaf may be used for `purpose`
  std::uint32_t verdict = kVerdictOk;
  std::vector<std::string> problems;
};
enum class Purpose { kCodeSigning, kTimeStamping };
// Checks `leaf` against the trust anchors in `ca_files` (empty: the system store), with
// `untrusted` as intermediates, at unix time `at_time`, for `purpose`.
ChainCheck check_chain(X509* leaf, STACK_OF(X509) * untrusted,
                       const std::vector<fs::path>& ca_files, std::int64_t at_time,
                       Purpose purpose);

// What the streaming pass computed, per digest algorithm.
struct ComputedDigests {
  std::vector<std::pair<DigestAlgorithm, std::vector<std::uint8_t>>> values;
  [[nodiscard]] const std::vector<std::uint8_t>* find(DigestAlgorithm alg) const {
    for (const auto& [a, v] : values)
      if (a == alg) return &v;
    return nullptr;
  }
};

// Timestamp seam: the timestamp module sets this hook (see timestamp_hook()). Given the
// SignerInfo of an Authenticode signature (with its SignedData), it returns nullopt when the
// SignerInfo carries no timestamp, else a report (ok=false with a problem when invalid). When
// a timestamp is ok, the signer's chain is checked at its time instead of now.
using TimestampHook = std::function<std::optional<TimestampReport>(
    PKCS7* signed_data, PKCS7_SIGNER_INFO* signer, const VerifyOptions& options)>;
TimestampHook& timestamp_hook();
// The RFC 3161 verifier (timestamp_hook.cpp): the token's TSA signature and chain against
// options.tsa_ca_files (empty: options.ca_files, then the system store), its imprint, genTime.
TimestampHook default_timestamp_hook();

// Verifies one Authenticode SignedData (digest, messageDigest, signature, chain, EKU,
// validity). `at_time`: time for the chain when no valid timestamp applies.
SignatureReport verify_signed_data(PKCS7* p7, const ComputedDigests& digests,
                                   const VerifyOptions& options, std::int64_t at_time);

// The digest algorithm an Authenticode SignedData declares (its SpcIndirectDataContent), so the
// streaming pass knows which digests to compute. nullopt when it cannot be read.
std::optional<DigestAlgorithm> declared_digest(PKCS7* p7);
// Nested signatures (1.3.6.1.4.1.311.2.4.1 values) of the first SignerInfo, in order.
std::vector<ossl::Pkcs7Ptr> nested_signatures(PKCS7* p7);

}  // namespace wslplug::signing
