// The inside of the signature model (wslplug/signing/signed_data.hpp): the parsed OpenSSL
// objects, for the code of the library that works at the PKCS#7 level (verification, the
// timestamp client, nesting). Internal.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ossl.hpp"
#include "wslplug/signing/signed_data.hpp"

namespace wslplug::signing {

// Signatures nested deeper than this are refused (a malformed or hostile file).
inline constexpr int kMaxNestingDepth = 32;

struct SignedData::Impl {
  ossl::Pkcs7Ptr p7;  // never modified after the parse
  std::vector<std::byte> der;
  std::string file;
  std::vector<SignerAttribute> authenticated, unauthenticated;
  std::vector<CarriedCertificate> certificates;
  std::vector<NestedSignature> nested;
  std::optional<Error> nested_error;
  bool too_deep = false;

  [[nodiscard]] PKCS7* pkcs7() const { return p7.get(); }
  [[nodiscard]] PKCS7_SIGNER_INFO* signer() const { return ossl::first_signer(p7.get()); }
  // A private copy of the PKCS#7 to edit (a new signature is then parsed from its encoding).
  [[nodiscard]] Result<ossl::Pkcs7Ptr> edit() const;
};

// The model of an edited copy (see Impl::edit): its encoding, parsed. `what` names the edit in
// errors.
Result<SignedData> reencode(PKCS7* edited, const std::string& file, std::string_view what);

// The DER of the signatures walk_nested visits in `outer`; the first that cannot be read is the
// error (its `where` names it: "nested signature N").
Result<std::vector<std::vector<std::byte>>> nested_ders(const SignedData& outer);

// SignerInfo-level pieces of the 1.3.6.1.4.1.311.2.4.1 attribute (nested.cpp).
// Appends `nested_der` (a DER ContentInfo SignedData) as a new value of si's nested-signature
// attribute, creating the attribute when missing.
Status add_nested_signature(PKCS7_SIGNER_INFO* si, std::span<const std::byte> nested_der);
// The DER values of si's nested-signature attribute(s), in order (empty when none).
Result<std::vector<std::vector<std::byte>>> nested_signatures(const PKCS7_SIGNER_INFO* si);
// Adds the signed attribute PKCS#9 sequenceNumber (1.2.840.113549.1.9.25.4) = `number` to a
// SignerInfo that is not signed yet (osslsigncode numbers nested signatures 1, 2, ...).
Status add_sequence_number(PKCS7_SIGNER_INFO* si, long number);

}  // namespace wslplug::signing
