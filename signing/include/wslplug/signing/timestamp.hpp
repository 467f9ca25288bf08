// RFC 3161 time-stamping for Authenticode signatures: the client (request, HTTP POST with
// retries, response checks), attaching the token to a SignerInfo as the Microsoft unauthenticated
// attribute 1.3.6.1.4.1.311.3.3.1, and verifying a token found in a SignerInfo (TSA signature and
// chain, message imprint = H(SignerInfo.encryptedDigest), genTime).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/signing/sign.hpp"
#include "wslplug/signing/signed_data.hpp"
#include "wslplug/signing/verify.hpp"

namespace wslplug::signing {

// TimestampOptions is in signing.hpp (SignOptions carries one).

// ---------------------------------------------------------------- client, step by step
struct TimestampRequest {
  std::vector<std::byte> der;      // TimeStampReq (v1, messageImprint, nonce, certReq TRUE)
  std::vector<std::byte> nonce;    // the nonce, big-endian magnitude
  std::vector<std::byte> imprint;  // H(data)
  DigestAlgorithm digest = DigestAlgorithm::kSha256;
};

// Builds a request over `data` (for Authenticode: the SignerInfo's encryptedDigest bytes) with a
// fresh random 64-bit nonce.
Result<TimestampRequest> make_timestamp_request(std::span<const std::byte> data,
                                                DigestAlgorithm digest);

// Checks a TimeStampResp against its request: PKIStatus granted or grantedWithMods (else the
// status, its text and failure bits), a token present, the nonce and the message imprint equal
// to the request's. Returns the token (DER ContentInfo SignedData over TSTInfo). `url` names the
// server in messages.
Result<std::vector<std::byte>> check_timestamp_response(const TimestampRequest& request,
                                                        std::span<const std::byte> response,
                                                        std::string_view url);

// make_timestamp_request + HTTP POST (application/timestamp-query) + check, with
// options.retries extra attempts (fresh nonce each, delays backoff, 2*backoff, ...) on network
// errors, HTTP errors and unusable replies; a PKIStatus rejection is not retried. The last
// error says how many attempts were made.
Result<std::vector<std::byte>> fetch_timestamp_token(std::span<const std::byte> data,
                                                     const TimestampOptions& options);

// Verifies `token` for a signature value: it is a SignedData over TSTInfo, the message imprint
// equals H_alg(signature_value) with the token's own algorithm, the TSA signature verifies and
// the TSA certificate chains to `tsa_ca_files` (PEM or DER files; empty: the system store) with
// the timeStamping purpose, checked at the token's genTime. Never fails: problems are reported
// in TimestampReport::problem (ok=false), with time/digest/tsa_subject filled as far as known.
// The token of a signature is SignedData::timestamp_token(), its value signature_value().
TimestampReport verify_timestamp_token(std::span<const std::byte> token,
                                       std::span<const std::byte> signature_value,
                                       const std::vector<fs::path>& tsa_ca_files);

// ---------------------------------------------------------------- on the signature model
// `sd` with a new timestamp (replacing an old one) on its signer, or with `index` > 0 on its
// nested signature `index` (1-based, in stored order; see timestamp_pkcs7). The genTime is then
// SignedData::timestamp_time().
Result<SignedData> timestamp_signature(const SignedData& sd, const TimestampOptions& options,
                                       std::size_t index = 0);

// ---------------------------------------------------------------- DER level
// Adds (or replaces) the timestamp of the first SignerInfo of a DER PKCS#7 SignedData
// (ContentInfo) and returns the re-encoded DER. `file` names the input in errors. `index` > 0
// timestamps nested signature `index` (1-based, in stored order) instead; note that the nested
// values are a DER SET OF, so the new encoding may move it to another position.
Result<std::vector<std::byte>> timestamp_pkcs7(std::span<const std::byte> pkcs7_der,
                                               const TimestampOptions& options,
                                               const std::string& file = {}, std::size_t index = 0);

// The genTime (unix seconds) of the timestamp of the first SignerInfo of a DER PKCS#7, without
// verifying anything; nullopt when there is none or it cannot be read.
std::optional<std::int64_t> pkcs7_timestamp_time(std::span<const std::byte> pkcs7_der);

// The timestamp reports of the first SignerInfo of a DER PKCS#7 (nullopt: not timestamped).
Result<std::optional<TimestampReport>> verify_pkcs7_timestamp(
    std::span<const std::byte> pkcs7_der, const std::vector<fs::path>& tsa_ca_files,
    const std::string& file = {});

}  // namespace wslplug::signing
