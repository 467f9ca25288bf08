// Where the private key lives: the seam between the PKCS#7 encoder and the key. A Signer signs
// the digest of the authenticated attributes; the encoder builds everything else, so a key file,
// a PKCS#11 token key and an external command (a cloud KMS CLI) produce the same bytes for the
// same key. Credentials made here carry the signer's certificate and chain like the file-key
// ones of signing.hpp, and sign_file / sign_detached take them unchanged.
//
// The two-step flow (prepare a request, sign its digest anywhere, finish) is at the end.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/secret.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::signing {

enum class KeyKind { kRsa, kEcdsa };
std::string_view key_kind_name(KeyKind kind);  // "rsa", "ecdsa"

// Signs a digest. `digest` is H_alg(DER of the authenticated attributes, SET tag 0x31). The
// result is the raw signature: PKCS#1 v1.5 (RSA: EMSA-PKCS1-v1_5 over DigestInfo(alg, digest),
// as `openssl pkeyutl -sign -pkeyopt digest:sha256` makes it) or a DER ECDSA-Sig-Value. The
// encoder checks every signature against the certificate before it is used.
class Signer {
 public:
  virtual ~Signer() = default;
  virtual Result<std::vector<std::byte>> sign(DigestAlgorithm alg,
                                              std::span<const std::byte> digest) const = 0;
  // The key for messages: "the external signer `...`", "PKCS#11 object ... on token ...".
  [[nodiscard]] virtual std::string describe() const = 0;
};

// ---------------------------------------------------------------- external command
struct ExternalSignerOptions {
  std::string command;  // run with /bin/sh -c
  std::chrono::milliseconds timeout{120000};
};
// The certificate file holds the signer first (then, optionally, chain certificates). The command
// reads the raw digest on stdin and writes the raw signature on stdout; its stderr goes to ours.
// Environment: WSLPLUG_DIGEST_ALGORITHM (sha256|sha384|sha512), WSLPLUG_DIGEST_HEX,
// WSLPLUG_DIGEST_BASE64, WSLPLUG_KEY_TYPE (rsa|ecdsa), WSLPLUG_CERT_THUMBPRINT (SHA-1,
// uppercase hex, as Windows shows it), WSLPLUG_CERT_SHA256. An ECDSA signature may also be raw
// r||s (IEEE P1363, what Azure Key Vault returns): it is converted to DER.
// Errors: the command cannot start, exits non-zero, is killed or times out: kIo (exit 3);
// it writes nothing or a signature that does not verify against the certificate: kInput (2).
Result<Credentials> external_credentials(const fs::path& cert, const std::vector<fs::path>& chain,
                                         const ExternalSignerOptions& options);

// ---------------------------------------------------------------- PKCS#11
struct Pkcs11Options {
  fs::path module;  // the PKCS#11 provider (.so), e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string uri;  // RFC 7512: pkcs11:token=...;object=...[;id=%01][;type=private][?pin-value=]
  // The user PIN; nullptr: none was given (a token that needs a login is then an input error
  // naming --pin-env/--pin-file). A pin-value/pin-source in the URI is refused (it would be argv).
  const SecretString* pin = nullptr;
  std::optional<fs::path> cert;  // --cert; nullopt: the certificate stored with the key
  std::vector<fs::path> chain;
};
// Loads the module, finds the token (token, manufacturer, model, serial, slot-id attributes)
// and the private key (object = CKA_LABEL, id = CKA_ID), logs in, and takes the certificate
// from --cert (one matching the key) or from the token (same CKA_ID, else the one matching the
// key). Errors name the module, the token and the object: missing module, no matching token,
// wrong PIN, locked PIN, missing object, certificate not matching the key.
Result<Credentials> pkcs11_credentials(const Pkcs11Options& options);

// An RFC 7512 PKCS#11 URI, decoded (percent-escapes resolved).
struct Pkcs11Uri {
  std::optional<std::string> token, manufacturer, model, serial, object, type;
  std::optional<std::vector<std::byte>> id;
  std::optional<unsigned long> slot_id;
  bool has_pin = false;  // pin-value or pin-source present (refused by pkcs11_credentials)
};
Result<Pkcs11Uri> parse_pkcs11_uri(std::string_view uri);

// ---------------------------------------------------------------- prepare / finish
// A signing request: everything needed to sign an image elsewhere and finish later. The JSON
// format is documented in docs/signing.md ("wslplug prepare").
struct SigningRequest {
  std::string file;             // the image it was made for (informational)
  std::uint64_t file_size = 0;  // informational
  DigestAlgorithm digest = DigestAlgorithm::kSha256;
  std::vector<std::byte> image_digest;        // the Authenticode digest of the image
  std::vector<std::byte> attributes;          // DER SET OF the authenticated attributes (0x31)
  std::vector<std::byte> to_sign;             // H_digest(attributes)
  std::vector<std::vector<std::byte>> certs;  // DER: [0] the signer, then the chain
  KeyKind key = KeyKind::kRsa;
  std::string thumbprint;  // SHA-1 of certs[0], uppercase hex
  std::string subject;     // of certs[0]
  std::int64_t signing_time = 0;
  std::string description, url;  // --name, --url (informational; in attributes)
  bool commercial = false;
};
// Builds the request for `input` (options: digest, name, url, commercial, signing_time; without
// a time the current one is fixed now). The certificate file holds the signer first.
Result<SigningRequest> prepare_request(const fs::path& input, const fs::path& cert,
                                       const std::vector<fs::path>& chain,
                                       const SignOptions& options);
std::string request_to_json(const SigningRequest& request);
// `file` names the request in errors.
Result<SigningRequest> request_from_json(std::string_view text, const std::string& file);

// Signs `input` into `output` with `signature` (the raw signature of request.to_sign): the image
// digest of `input` must equal the request's, the attributes must hash to request.to_sign and
// the signature must verify against the request's signer certificate (input errors, nothing
// written otherwise). options.timestamp and options.nest_into apply as in sign_file; the other
// fields come from the request.
Result<SignResult> finish_request(const fs::path& input, const fs::path& output,
                                  const SigningRequest& request,
                                  std::span<const std::byte> signature, const SignOptions& options,
                                  const OutputOptions& out, const std::string& signature_file);

}  // namespace wslplug::signing
