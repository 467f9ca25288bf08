// The parsed model of one Authenticode signature: a PKCS#7 SignedData read once from DER with its
// first SignerInfo (the signer), the certificates it carries, its authenticated and
// unauthenticated attributes, the SpcIndirectDataContent digest it signs, its RFC 3161
// timestamp and the signatures nested in it (1.3.6.1.4.1.311.2.4.1, at any depth), each parsed
// with it. The OpenSSL objects stay inside the library; a SignedData is immutable and cheap to
// copy (copies share the parsed objects).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/signing/digest.hpp"

namespace wslplug::signing {

// SpcIndirectDataContent.messageDigest: what a signature says the image digest is.
struct IndirectDigest {
  DigestAlgorithm algorithm = DigestAlgorithm::kSha256;
  std::vector<std::byte> digest;  // SpcIndirectDataContent.messageDigest.digest
};

// One attribute of the SignerInfo: its OID and the DER of each value.
struct SignerAttribute {
  std::string oid;  // dotted
  std::vector<std::vector<std::byte>> values;
};

// A certificate carried by the SignedData.
struct CarriedCertificate {
  std::vector<std::byte> der;
  std::string subject;  // the library's one name format ("CN=..., O=...")
  std::string issuer;
};

struct NestedSignature;

class SignedData {
 public:
  // Parses a DER ContentInfo that must be SignedData with at least one SignerInfo; the whole
  // input must be consumed except zero padding. Nested signatures are parsed too (up to 32 levels
  // deep); one that cannot be read is kept with its error (nested(), nested_error()), not an
  // error of the parse. `file` names the input in errors.
  static Result<SignedData> parse(std::span<const std::byte> der, const std::string& file = {});

  // The DER ContentInfo as given, without trailing padding.
  [[nodiscard]] const std::vector<std::byte>& der() const;
  [[nodiscard]] const std::string& file() const;

  // The first SignerInfo: its issuer and serial (hex) as named in issuerAndSerialNumber, the
  // digest algorithm, and the signature value (encryptedDigest: what identifies a signature
  // across re-encodings, and what a timestamp's imprint covers).
  [[nodiscard]] std::string signer_issuer() const;
  [[nodiscard]] std::string signer_serial() const;
  [[nodiscard]] std::optional<DigestAlgorithm> signer_digest() const;
  [[nodiscard]] std::span<const std::byte> signature_value() const;
  [[nodiscard]] const std::vector<SignerAttribute>& authenticated_attributes() const;
  [[nodiscard]] const std::vector<SignerAttribute>& unauthenticated_attributes() const;
  [[nodiscard]] const std::vector<CarriedCertificate>& certificates() const;

  // The SpcIndirectDataContent digest; errors name the file and the field with a fix.
  [[nodiscard]] Result<IndirectDigest> indirect_digest() const;
  // The DER token of the RFC 3161 timestamp (1.3.6.1.4.1.311.3.3.1, first value): nullopt when
  // there is none, empty when present but unusable.
  [[nodiscard]] std::optional<std::vector<std::byte>> timestamp_token() const;
  // The genTime (unix seconds) of that timestamp, nothing verified; nullopt when unreadable.
  [[nodiscard]] std::optional<std::int64_t> timestamp_time() const;

  // The signatures nested directly in this one, in stored order.
  [[nodiscard]] const std::vector<NestedSignature>& nested() const;
  // Why the nested signatures could not be listed (the attribute is malformed, or they are
  // nested too deep); nullopt when they could.
  [[nodiscard]] const std::optional<Error>& nested_error() const;

  // A new signature: this one with `inner` appended to its nested signatures.
  [[nodiscard]] Result<SignedData> with_nested(const SignedData& inner) const;

  struct Impl;
  [[nodiscard]] const Impl& impl() const { return *impl_; }
  explicit SignedData(std::shared_ptr<const Impl> impl);

 private:
  std::shared_ptr<const Impl> impl_;
};

// A signature nested in another: its DER as stored and the parsed model, or why it cannot be
// read.
struct NestedSignature {
  std::vector<std::byte> der;
  std::optional<SignedData> signature;
  std::optional<Error> error;
};

// One step of the walk over the signatures nested in a signature (walk_nested): depth first,
// each nested signature followed at once by its own nested ones.
struct NestedStep {
  // The signature it is nested in: 0 the root, k the signature of step k (1-based).
  std::size_t parent = 0;
  // The nested signature (its position in the walk is this step's position, 1-based); nullptr
  // when this step reports that the nested signatures of `parent` cannot be listed (`error`).
  const NestedSignature* signature = nullptr;
  const Error* error = nullptr;  // the step's signature cannot be read, or the listing failed
  bool too_deep = false;         // the listing failed because of the depth limit
};
// The one walker of nested signatures.
std::vector<NestedStep> walk_nested(const SignedData& root);

}  // namespace wslplug::signing
