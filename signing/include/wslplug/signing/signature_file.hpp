// Signature files: detached PKCS#7 signatures as DER or PEM, and the digest they sign.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/signing/digest.hpp"
#include "wslplug/signing/signed_data.hpp"

namespace wslplug::signing {

namespace fs = std::filesystem;

// The messageDigest of the SpcIndirectDataContent of a DER Authenticode PKCS#7. Errors name
// `file` and the field (contentType, messageDigest) with a fix.
Result<IndirectDigest> indirect_data_digest(std::span<const std::byte> pkcs7_der,
                                            const std::string& file = {});
// Reads a signature file (DER, or PEM "-----BEGIN PKCS7-----"), checks it is a PKCS#7
// SignedData with a SignerInfo, and returns its DER (trailing zero padding dropped).
Result<std::vector<std::byte>> read_signature_file(const fs::path& path);
// PEM text ("-----BEGIN PKCS7-----") of a DER PKCS#7.
Result<std::string> pkcs7_der_to_pem(std::span<const std::byte> der);

}  // namespace wslplug::signing
