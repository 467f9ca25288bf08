// Internals of the Authenticode engine shared by signing, verification and the timestamp code:
// credentials, the PKCS#7 SignedData encoder, the one SpcIndirectDataContent decoder, and the
// certificate chain check.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "der.hpp"
#include "ossl.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::signing {

// ---------------------------------------------------------------- credentials
struct Credentials::Impl {
  ossl::X509Ptr cert;
  ossl::PkeyPtr key;
  std::vector<ossl::X509Ptr> chain;  // extra certificates (intermediates), signer excluded
};

// ---------------------------------------------------------------- PKCS#7 encoding
// SpcIndirectDataContent for a PE image digest, exactly as osslsigncode writes it (flags
// BIT STRING 07 80, <<<Obsolete>>> file link, DigestInfo with NULL parameters).
der::Bytes spc_indirect_data(DigestAlgorithm alg, std::span<const std::byte> digest);

// The complete DER ContentInfo(SignedData) for an image digest (no timestamp, not nested).
Result<der::Bytes> build_signed_data(const Credentials& creds, const SignOptions& options,
                                     std::span<const std::byte> image_digest);

// ---------------------------------------------------------------- SpcIndirectDataContent
struct IndirectData {
  DigestAlgorithm alg = DigestAlgorithm::kSha256;
  std::vector<std::byte> digest;     // messageDigest.digest
  std::span<const std::byte> value;  // the SEQUENCE's content bytes (the messageDigest input)
};
struct IndirectDataError {
  bool unsupported_digest = false;  // well-formed, but the digest algorithm is not supported
  std::string message;
  std::string where;  // the field, e.g. "contentInfo.contentType"
};
// Decodes the SpcIndirectDataContent of an Authenticode SignedData's contentInfo. `value`
// points into p7, which must outlive the result.
std::expected<IndirectData, IndirectDataError> decode_indirect_data(PKCS7* p7);

// ---------------------------------------------------------------- integrity
// What can be checked of an Authenticode SignedData without the image and without trust
// anchors: exactly one SignerInfo, the signer certificate included, the messageDigest attribute
// over the SpcIndirectDataContent, the signature over the signed attributes with the signer's
// public key, and the code-signing usage (EKU, KeyUsage) of the signer certificate. One
// sentence per failed check; empty when all hold.
std::vector<std::string> integrity_problems(PKCS7* p7);

// ---------------------------------------------------------------- certificate chains
// The result of building and checking a certificate chain at a given time.
struct ChainCheck {
  bool chain_ok = false;     // a chain to a trusted root was built (ignoring time errors)
  bool validity_ok = false;  // every certificate of the chain is valid at the time
  bool eku_ok = false;       // the leaf may be used for `purpose`
  Verdict verdict = Verdict::kOk;
  std::vector<std::string> problems;
};
enum class Purpose { kCodeSigning, kTimeStamping };
// Checks `leaf` against the trust anchors in `ca_files` (empty: the system store), with
// `untrusted` as intermediates, at unix time `at_time`, for `purpose`.
ChainCheck check_chain(X509* leaf, STACK_OF(X509) * untrusted,
                       const std::vector<fs::path>& ca_files, std::int64_t at_time,
                       Purpose purpose);

}  // namespace wslplug::signing
