// The fields of the signing library's inputs, as its errors name them. A library does not know
// the command line: an Error's `where` is a field name ("timestamp_url"), and a message or fix
// refers to a field as "{timestamp_url}"; the CLI renders both as the flag that sets the field
// (--timestamp). Names are snake_case, one per input.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace wslplug::signing {

enum class Field {
  kCert,                   // the signer certificate file
  kChain,                  // extra chain certificate files
  kKey,                    // the private key (file or PKCS#11 URI)
  kKeyPasswordEnv,         // the key's password from an environment variable
  kKeyPasswordFile,        // the key's password from a file
  kPfx,                    // a PKCS#12 file
  kPkcs11Module,           // the PKCS#11 provider module
  kPinEnv,                 // the token PIN from an environment variable
  kPinFile,                // the token PIN from a file
  kExternalSigner,         // the external signer command
  kExternalSignerTimeout,  // its time limit
  kTimestampUrl,           // the RFC 3161 server
  kTimestampRetries,       // extra attempts
  kTimestampHash,          // the imprint digest
  kTsaCa,                  // the trusted roots a time-stamp token must chain to
  kTimestampTlsCa,         // the trust anchors of an https time-stamp server's TLS certificate
  kCa,                     // trust anchors for verification
  kCrl,                    // certificate revocation lists
  kIndex,                  // a signature's index in the one numbering
  kAppend,                 // nest into the existing signature
  kDetachedOut,            // write the signature alone
  kSubject,                // a test certificate's subject
  kDays,                   // a test certificate's validity
  kTrustCert,              // a certificate to trust
};

inline constexpr std::array<std::pair<Field, std::string_view>, 24> kFieldNames = {{
    {Field::kCert, "cert"},
    {Field::kChain, "chain"},
    {Field::kKey, "key"},
    {Field::kKeyPasswordEnv, "key_password_env"},
    {Field::kKeyPasswordFile, "key_password_file"},
    {Field::kPfx, "pfx"},
    {Field::kPkcs11Module, "pkcs11_module"},
    {Field::kPinEnv, "pin_env"},
    {Field::kPinFile, "pin_file"},
    {Field::kExternalSigner, "external_signer"},
    {Field::kExternalSignerTimeout, "external_signer_timeout"},
    {Field::kTimestampUrl, "timestamp_url"},
    {Field::kTimestampRetries, "timestamp_retries"},
    {Field::kTimestampHash, "timestamp_hash"},
    {Field::kTsaCa, "tsa_ca"},
    {Field::kTimestampTlsCa, "timestamp_tls_ca"},
    {Field::kCa, "ca"},
    {Field::kCrl, "crl"},
    {Field::kIndex, "index"},
    {Field::kAppend, "append"},
    {Field::kDetachedOut, "detached_out"},
    {Field::kSubject, "subject"},
    {Field::kDays, "days"},
    {Field::kTrustCert, "trust_cert"},
}};

// "timestamp_url": the `where` of an error about the field.
constexpr std::string_view field_name(Field f) {
  for (const auto& [field, name] : kFieldNames)
    if (field == f) return name;
  return {};
}
inline std::string field(Field f) { return std::string(field_name(f)); }
constexpr std::optional<Field> parse_field(std::string_view name) {
  for (const auto& [field, n] : kFieldNames)
    if (n == name) return field;
  return std::nullopt;
}

}  // namespace wslplug::signing
