// Self-signed test certificates for code signing (wslplug cert new).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "wslplug/core/error.hpp"
#include "wslplug/core/secret.hpp"

namespace wslplug::signing {

namespace fs = std::filesystem;

enum class KeyType { kRsa2048, kRsa3072, kRsa4096, kEcdsaP256 };
std::optional<KeyType> parse_key_type(std::string_view name);  // "rsa3072", "ecdsa-p256"

struct CertRequest {
  std::string subject = "CN=wslplug test code signing";  // "CN=..., O=..." or "/CN=.../O=..."
  int days = 365;
  KeyType key = KeyType::kRsa3072;
};

struct CertInfo {
  std::string subject;
  std::int64_t not_before = 0;
  std::int64_t not_after = 0;
  std::string thumbprint_sha1;     // uppercase hex, no separators (as Windows shows it)
  std::string fingerprint_sha256;  // uppercase hex with ':' separators
};

struct CertFiles {
  fs::path key_pem, cert_pem, cert_cer;
  std::optional<fs::path> pfx;
};

// Generates a self-signed code-signing certificate and writes key.pem (0600), cert.pem,
// cert.cer (DER) and optionally cert.pfx into `dir` (created if missing). Refuses existing
// files unless `force`. Nothing is written if any step fails.
Result<std::pair<CertInfo, CertFiles>> create_test_certificate(const CertRequest& request,
                                                               const fs::path& dir, bool pfx,
                                                               const SecretString* pfx_password,
                                                               bool force);

}  // namespace wslplug::signing
