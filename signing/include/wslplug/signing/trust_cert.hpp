// Certificates to trust (register --ps1 --trust-cert).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::signing {

namespace fs = std::filesystem;

// A certificate to trust (register --ps1 --trust-cert): DER bytes re-encoded by OpenSSL (never
// the input file's bytes, so nothing else, like a private key, can be carried along), its
// subject and SHA-1 thumbprint (what Windows shows).
struct TrustCert {
  std::vector<std::byte> der;
  std::string subject;     // the library's one name format ("CN=..., O=...")
  std::string thumbprint;  // SHA-1, upper-case hex, as certlm.msc and PowerShell show it
  std::string source;      // the file it came from
};
// Reads a .cer (DER) or PEM certificate. Refuses private keys and PKCS#12 with a fix; errors
// name the --trust-cert option.
Result<TrustCert> load_trust_cert(const fs::path& path);

}  // namespace wslplug::signing
