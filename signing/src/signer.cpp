// The signer seam (wslplug/signing/signer.hpp): the OpenSSL-key signer used by key files and
// PKCS#11 keys, and the checks every signature passes before it is embedded.
#include <fmt/format.h>
#include <openssl/ecdsa.h>

#include <mutex>

#include "authenticode.hpp"
#include "wslplug/signing/field.hpp"

namespace wslplug::signing {

namespace {

using PkeyCtxPtr = ossl::Handle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EcdsaSigPtr = ossl::Handle<ECDSA_SIG, ECDSA_SIG_free>;

class PkeySigner final : public Signer {
 public:
  PkeySigner(ossl::PkeyPtr key, std::string description, bool serialise, std::shared_ptr<void> keep)
      : keep_(std::move(keep)),
        key_(std::move(key)),
        description_(std::move(description)),
        serialise_(serialise) {}
  ~PkeySigner() override {
    key_.reset();  // before the module it may belong to
    keep_.reset();
  }

  Result<std::vector<std::byte>> sign(DigestAlgorithm alg,
                                      std::span<const std::byte> digest) const override {
    std::unique_lock<std::mutex> lock(mutex_, std::defer_lock);
    if (serialise_) lock.lock();
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
    std::size_t len = 0;
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), ossl::evp_md(alg)) != 1 ||
        EVP_PKEY_sign(ctx.get(), nullptr, &len, ossl::uchars(digest), digest.size()) != 1)
      return fail(ErrorKind::kIo,
                  fmt::format("{} cannot sign: {}", description_, ossl::take_errors()), {},
                  "signature", "check that the key can sign (CKA_SIGN) with this algorithm");
    std::vector<std::byte> sig(len);
    if (EVP_PKEY_sign(ctx.get(), ossl::uchars(sig), &len, ossl::uchars(digest), digest.size()) != 1)
      return fail(ErrorKind::kIo,
                  fmt::format("signing with {} failed: {}", description_, ossl::take_errors()), {},
                  "signature", "check the key and, for a token, that it is still connected");
    sig.resize(len);
    return sig;
  }
  [[nodiscard]] std::string describe() const override { return description_; }

 private:
  std::shared_ptr<void> keep_;
  ossl::PkeyPtr key_;
  std::string description_;
  bool serialise_;
  mutable std::mutex mutex_;
};

}  // namespace

// An ECDSA signature as raw r||s (IEEE P1363, Azure Key Vault) becomes DER; DER stays as is.
std::vector<std::byte> ecdsa_to_der(const X509* cert, std::vector<std::byte> sig) {
  const unsigned char* p = ossl::uchars(sig);
  if (EcdsaSigPtr parsed(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
      parsed && p == ossl::uchars(sig) + sig.size())
    return sig;
  ERR_clear_error();
  const EVP_PKEY* pub = X509_get0_pubkey(cert);
  const int bits = pub ? EVP_PKEY_get_bits(pub) : 0;
  const std::size_t n = static_cast<std::size_t>((bits + 7) / 8);
  if (n == 0 || sig.size() != 2 * n) return sig;
  BIGNUM* r = BN_bin2bn(ossl::uchars(sig), static_cast<int>(n), nullptr);
  BIGNUM* s = BN_bin2bn(ossl::uchars(sig) + n, static_cast<int>(n), nullptr);
  EcdsaSigPtr es(ECDSA_SIG_new());
  if (!r || !s || !es || ECDSA_SIG_set0(es.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ERR_clear_error();
    return sig;
  }
  auto der = ossl::to_der(es.get(), i2d_ECDSA_SIG);
  return der.empty() ? sig : der;
}

std::string_view key_kind_name(KeyKind kind) { return kind == KeyKind::kRsa ? "rsa" : "ecdsa"; }

std::unique_ptr<Signer> pkey_signer(ossl::PkeyPtr key, std::string description, bool serialise,
                                    std::shared_ptr<void> keep) {
  return std::make_unique<PkeySigner>(std::move(key), std::move(description), serialise,
                                      std::move(keep));
}

Result<KeyKind> cert_key_kind(const X509* cert, const std::string& file) {
  const EVP_PKEY* pub = cert ? X509_get0_pubkey(cert) : nullptr;
  const int id = pub ? EVP_PKEY_get_base_id(pub) : EVP_PKEY_NONE;
  if (id == EVP_PKEY_RSA) return KeyKind::kRsa;
  if (id == EVP_PKEY_EC) return KeyKind::kEcdsa;
  ERR_clear_error();
  return input_error("the signer certificate has neither an RSA nor an EC key", file,
                     field(Field::kCert),
                     "sign with an RSA (recommended) or ECDSA code-signing certificate");
}

bool signature_matches(const X509* cert, DigestAlgorithm alg, std::span<const std::byte> digest,
                       std::span<const std::byte> signature) {
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  PkeyCtxPtr ctx(pub ? EVP_PKEY_CTX_new(pub, nullptr) : nullptr);
  const bool ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
                  EVP_PKEY_CTX_set_signature_md(ctx.get(), ossl::evp_md(alg)) == 1 &&
                  EVP_PKEY_verify(ctx.get(), ossl::uchars(signature), signature.size(),
                                  ossl::uchars(digest), digest.size()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace wslplug::signing
