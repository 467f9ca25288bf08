// Nested (dual) Authenticode signatures at the PKCS#7 level: extra signatures live as values of
// the unauthenticated attribute 1.3.6.1.4.1.311.2.4.1 (SPC_NESTED_SIGNATURE) of the primary
// signature's first SignerInfo, each value a DER ContentInfo SignedData; several nested
// signatures are several values of that ONE attribute.
#pragma once

#include <openssl/pkcs7.h>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::signing {

// Appends `nested_der` (a DER ContentInfo SignedData, validated) as a new value of si's
// 1.3.6.1.4.1.311.2.4.1 attribute, creating the attribute when missing.
Status add_nested_signature(PKCS7_SIGNER_INFO* si, std::span<const std::byte> nested_der);

// The DER values of si's 1.3.6.1.4.1.311.2.4.1 attribute, in order (empty when none).
Result<std::vector<std::vector<std::byte>>> nested_signatures(const PKCS7_SIGNER_INFO* si);

// Adds the signed attribute PKCS#9 sequenceNumber (1.2.840.113549.1.9.25.4) = `number` to a
// SignerInfo that is not signed yet (osslsigncode numbers nested signatures 1, 2, ...).
Status add_sequence_number(PKCS7_SIGNER_INFO* si, long number);

// DER level, on ContentInfo SignedData blobs. `file` names the outer signature in errors.
// outer + inner -> outer with inner appended to its nested signatures.
Result<std::vector<std::byte>> nest_pkcs7(std::span<const std::byte> outer_der,
                                          std::span<const std::byte> inner_der,
                                          const std::string& file = {});
// The nested signatures of outer (not outer itself).
Result<std::vector<std::vector<std::byte>>> nested_pkcs7(std::span<const std::byte> outer_der,
                                                         const std::string& file = {});
// Every signature in file order: [0] the outer one as given (its nested signatures included),
// then the nested ones.
Result<std::vector<std::vector<std::byte>>> all_pkcs7(std::span<const std::byte> outer_der,
                                                      const std::string& file = {});

}  // namespace wslplug::signing
