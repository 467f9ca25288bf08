// The timestamp client at the SignerInfo level and on the signature model, for the signing
// engine. Internal.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "ossl.hpp"
#include "wslplug/signing/signed_data.hpp"
#include "wslplug/signing/timestamp.hpp"

namespace wslplug::signing {

// Stores `token` as the value of unauthenticated attribute 1.3.6.1.4.1.311.3.3.1 of `si`,
// replacing an existing RFC 3161 timestamp attribute.
Status attach_timestamp_token(PKCS7_SIGNER_INFO* si, std::span<const std::byte> token);

// Fetches a token for si's encryptedDigest and attaches it.
Status timestamp_signer_info(PKCS7_SIGNER_INFO* si, const TimestampOptions& options);

// The timestamp of a signature verified (verify_timestamp_token); nullopt: not timestamped.
std::optional<TimestampReport> verify_signature_timestamp(
    const SignedData& sd, const std::vector<fs::path>& tsa_ca_files);

}  // namespace wslplug::signing
