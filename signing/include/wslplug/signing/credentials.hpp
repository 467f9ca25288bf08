// Signing credentials: a certificate, where its private key is, and the chain.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/core/secret.hpp"

namespace wslplug::signing {

namespace fs = std::filesystem;

// A signing certificate, its private key and extra chain certificates (intermediates). Opaque:
// the OpenSSL objects stay inside the library, in RAII handles.
class Credentials {
 public:
  // PEM certificate + PEM (or DER) key; `key_password` for an encrypted key (nullptr: the key
  // must be unencrypted, else an input error says which option supplies the password).
  static Result<Credentials> from_pem(const fs::path& cert, const fs::path& key,
                                      const std::vector<fs::path>& chain,
                                      const SecretString* key_password);
  // PKCS#12 (.pfx): the first certificate matching the key is the signer, the rest the chain.
  static Result<Credentials> from_pkcs12(const fs::path& pfx, const SecretString& password,
                                         const std::vector<fs::path>& chain);
  Credentials(Credentials&&) noexcept;
  Credentials& operator=(Credentials&&) noexcept;
  ~Credentials();
  struct Impl;
  // For the other key locations (signer.hpp): wraps credentials built inside the library.
  static Credentials adopt(std::unique_ptr<Impl> impl);
  [[nodiscard]] const Impl& impl() const { return *impl_; }
  [[nodiscard]] std::string subject() const;  // "CN=..., O=..."
  // The signer certificate's SHA-1 thumbprint, uppercase hex (as Windows shows it).
  [[nodiscard]] std::string thumbprint_sha1() const;

 private:
  explicit Credentials(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wslplug::signing
