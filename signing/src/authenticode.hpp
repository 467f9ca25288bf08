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
#include "wslplug/signing/signer.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::signing {

// ---------------------------------------------------------------- credentials
struct Credentials::Impl {
  ossl::X509Ptr cert;
  std::vector<ossl::X509Ptr> chain;  // extra certificates (intermediates), signer excluded
  std::unique_ptr<Signer> signer;    // where the private key is (signer.hpp)
};

// A Signer over an OpenSSL key (a key file, or a PKCS#11 key through libp11): EVP_PKEY_sign of
// the digest, serialised when `serialise` (a token session is not thread-safe). `keep` holds
// whatever the key depends on (the PKCS#11 module) and is released after the key.
std::unique_ptr<Signer> pkey_signer(ossl::PkeyPtr key, std::string description,
                                    bool serialise = false, std::shared_ptr<void> keep = nullptr);

// The kind of key of a certificate (RSA or EC); an input error for other keys.
Result<KeyKind> cert_key_kind(const X509* cert, const std::string& file);
// An ECDSA signature given as raw r||s (IEEE P1363, as Azure Key Vault returns it) as DER;
// anything else is returned unchanged.
std::vector<std::byte> ecdsa_to_der(const X509* cert, std::vector<std::byte> sig);
// Checks a raw signature of `digest` against the certificate's public key.
bool signature_matches(const X509* cert, DigestAlgorithm alg, std::span<const std::byte> digest,
                       std::span<const std::byte> signature);

// ---------------------------------------------------------------- PKCS#7 encoding
// SpcIndirectDataContent for a PE image digest, exactly as osslsigncode writes it (flags
// BIT STRING 07 80, <<<Obsolete>>> file link, DigestInfo with NULL parameters).
der::Bytes spc_indirect_data(DigestAlgorithm alg, std::span<const std::byte> digest);

// The authenticated attributes for an image digest and what the key must sign.
struct SignedAttributes {
  der::Bytes attributes;           // DER SET OF (tag 0x31)
  std::vector<std::byte> to_sign;  // H(attributes)
};
Result<SignedAttributes> signed_attributes(const SignOptions& options,
                                           std::span<const std::byte> image_digest);
// The complete DER ContentInfo(SignedData) from the attributes and their signature. The
// signature is checked against `cert` first (an input error naming `signer` when it does not
// verify).
Result<der::Bytes> assemble_signed_data(const X509* cert, const std::vector<const X509*>& chain,
                                        DigestAlgorithm digest,
                                        std::span<const std::byte> image_digest,
                                        const SignedAttributes& attrs,
                                        std::span<const std::byte> signature,
                                        const std::string& signer);

// The complete DER ContentInfo(SignedData) for an image digest (no timestamp, not nested):
// signed_attributes, the credentials' signer, assemble_signed_data.
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
// `untrusted` as intermediates, at unix time `at_time`, for `purpose`. With `crl_files`, every
// certificate of the chain is checked against those CRLs (`revoked` when it is listed or has
// no valid CRL there); without, revocation is not checked.
ChainCheck check_chain(X509* leaf, STACK_OF(X509) * untrusted,
                       const std::vector<fs::path>& ca_files, std::int64_t at_time, Purpose purpose,
                       const std::vector<fs::path>& crl_files = {});

}  // namespace wslplug::signing
