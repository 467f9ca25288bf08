// Detached signing helpers: the Authenticode digest a PKCS#7 signature claims (for `attach` to
// check it against the file), signature files in DER or PEM, the signature embedded in a PE
// image (for `extract`), and writing an image with a given signature as its certificate table.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::signing {

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
Result<std::vector<std::byte>> read_signature_file(const std::filesystem::path& path);

// PEM text ("-----BEGIN PKCS7-----") of a DER PKCS#7.
Result<std::string> pkcs7_der_to_pem(std::span<const std::byte> der);

// The DER PKCS#7 of the image's certificate table (the first WIN_CERTIFICATE of revision 2.0 and
// type PKCS_SIGNED_DATA), without the 8-byte alignment padding. An unsigned image is an input
// error naming the file and the fix.
Result<std::vector<std::byte>> embedded_signature(const pe::Image& image);

// Writes `input` to `output` with `pkcs7_der` as its only certificate-table entry: the bytes
// before the old table (or the whole file, zero-padded to 8 bytes, when unsigned), a
// WIN_CERTIFICATE (revision 2.0, PKCS_SIGNED_DATA, dwLength rounded up to 8), the security
// directory entry pointing at it and a fresh PE checksum. Streaming, atomic; the input is never
// modified (output may equal input with out.overwrite).
Status write_signed_image(const pe::Image& input, const std::filesystem::path& output,
                          std::span<const std::byte> pkcs7_der, const OutputOptions& out);

// ---------------------------------------------------------------- detached signing (engine)
// The Authenticode digest of an image as signing computes it: [0, certificate table or end of
// file) without the CheckSum field and the certificate directory entry, plus the zero padding
// to 8 bytes that signing appends to an unsigned image.
Result<std::vector<std::byte>> image_digest(const pe::Image& image, DigestAlgorithm alg);

// Signs `input` without writing it: returns the DER PKCS#7 (options.transform applied) that
// sign_file would embed with the same options, for `sign --detached-out`.
Result<std::vector<std::byte>> sign_detached(const std::filesystem::path& input,
                                             const Credentials& creds, const SignOptions& options);

// Embeds a detached signature: checks that the signature's SpcIndirectDataContent digest equals
// the image digest of `input` (an input error naming both otherwise; nothing is written), then
// write_signed_image. For `wslplug attach`.
Status attach_signature(const std::filesystem::path& input, const std::filesystem::path& output,
                        std::span<const std::byte> pkcs7_der, const std::string& signature_file,
                        const OutputOptions& out);

}  // namespace wslplug::signing
