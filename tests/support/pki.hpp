// The one test PKI, made with the real openssl CLI (never committed): self-signed code-signing
// leaves, root/intermediate CAs, time-stamping leaves, leaves with other EKUs or past validity,
// encrypted keys. Every test that needs a certificate makes it here.
#pragma once

#include <filesystem>
#include <string>

namespace wslplug::test {

struct CertPair {
  std::filesystem::path cert;  // PEM
  std::filesystem::path key;   // PEM, unencrypted
};

struct CertSpec {
  std::string cn = "wslplug test signer";
  std::string org = {};              // O=...; the DER holds O before CN ("CN=x, O=y" shown)
  std::string key = "rsa2048";       // "rsa2048", "rsa3072", "ec-p256"
  bool ca = false;                   // CA:TRUE + keyCertSign (no EKU)
  std::string eku = "codeSigning";   // leaf EKU ("critical,timeStamping" for a TSA); empty: none
  std::string start = {};            // "YYYYMMDDHHMMSSZ"; empty: now - 1 day
  std::string end = {};              // empty: now + 365 days
  const CertPair* issuer = nullptr;  // nullptr: self-signed
  std::string san = {};              // subjectAltName ("IP:127.0.0.1,DNS:localhost"); empty: none
};

// Creates DIR/NAME.pem and DIR/NAME.key with `openssl req` + `openssl ca`. Fails the calling
// test (ADD_FAILURE) and returns empty paths when openssl fails.
CertPair make_cert(const std::filesystem::path& dir, const std::string& name,
                   const CertSpec& spec = {});
// Writes an AES-256 encrypted copy of `key` (PKCS#8) protected by `password`.
std::filesystem::path encrypt_key(const std::filesystem::path& key,
                                  const std::filesystem::path& out, const std::string& password);

}  // namespace wslplug::test
