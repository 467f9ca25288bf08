// Loading the signer's certificate, private key and chain (PEM/DER key, PKCS#12).
#include <fmt/format.h>
#include <openssl/decoder.h>
#include <openssl/pem.h>

#include "authenticode.hpp"
#include "wslplug/signing/field.hpp"

namespace wslplug::signing {

Credentials::Credentials(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Credentials::Credentials(Credentials&&) noexcept = default;
Credentials& Credentials::operator=(Credentials&&) noexcept = default;
Credentials::~Credentials() = default;
Credentials Credentials::adopt(std::unique_ptr<Impl> impl) { return Credentials(std::move(impl)); }

std::string Credentials::subject() const {
  return ossl::name_string(X509_get_subject_name(impl_->cert.get()));
}

std::string Credentials::thumbprint_sha1() const {
  return ossl::hex_upper(ossl::cert_digest(impl_->cert.get(), EVP_sha1()));
}

namespace {

Result<ossl::PkeyPtr> load_key(const fs::path& path, const SecretString* password) {
  auto data = read_file(path);
  if (!data) return std::unexpected(data.error());
  const std::string_view text = ossl::chars(*data);
  const bool encrypted_pem = text.find("ENCRYPTED") != std::string_view::npos;
  if (encrypted_pem && !password) {
    return input_error("the private key is encrypted and no password was given", path.string(),
                       field(Field::kKey),
                       "supply the password with {key_password_env} VAR or {key_password_file} "
                       "FILE");
  }
  EVP_PKEY* pkey = nullptr;
  ossl::DecoderCtxPtr dctx(OSSL_DECODER_CTX_new_for_pkey(&pkey, nullptr, nullptr, nullptr,
                                                         EVP_PKEY_KEYPAIR, nullptr, nullptr));
  if (!dctx) return internal_error("cannot create a key decoder: " + ossl::take_errors());
  if (password) {
    const std::string& pw = password->value();
    OSSL_DECODER_CTX_set_passphrase(dctx.get(), ossl::uchars(as_bytes(pw)), pw.size());
  }
  const unsigned char* p = ossl::uchars(*data);
  std::size_t len = data->size();
  if (OSSL_DECODER_from_data(dctx.get(), &p, &len) != 1 || !pkey) {
    ossl::take_errors();
    if (password) {
      return input_error("cannot read the private key: wrong password or not a private key",
                         path.string(), field(Field::kKey),
                         "check the password, or pass the key.pem written by `wslplug cert new`");
    }
    return input_error(
        "cannot read the private key (not a PEM/DER private key, or it is encrypted)",
        path.string(), field(Field::kKey),
        "pass an unencrypted key.pem, or supply the password with {key_password_env} VAR");
  }
  return ossl::PkeyPtr(pkey);
}

Result<std::unique_ptr<Credentials::Impl>> finish(ossl::PkeyPtr key,
                                                  std::vector<ossl::X509Ptr> certs,
                                                  const std::vector<fs::path>& chain,
                                                  const std::string& cert_file,
                                                  const std::string& key_file) {
  auto impl = std::make_unique<Credentials::Impl>();
  for (auto& c : certs) {
    if (!impl->cert && X509_check_private_key(c.get(), key.get()) == 1) {
      impl->cert = std::move(c);
    } else {
      impl->chain.push_back(std::move(c));
    }
  }
  ERR_clear_error();
  if (!impl->cert) {
    return input_error(fmt::format("the private key {} does not match the certificate", key_file),
                       cert_file, field(Field::kCert),
                       "use the key.pem that was generated together with this cert.pem");
  }
  for (const auto& path : chain) {
    auto more = ossl::load_certs(path, field(Field::kChain));
    if (!more) return std::unexpected(more.error());
    for (auto& c : *more) impl->chain.push_back(std::move(c));
  }
  impl->signer = pkey_signer(std::move(key), "the key " + key_file);
  return impl;
}

}  // namespace

Result<Credentials> Credentials::from_pem(const fs::path& cert, const fs::path& key,
                                          const std::vector<fs::path>& chain,
                                          const SecretString* key_password) {
  auto certs = ossl::load_certs(cert, field(Field::kCert));
  if (!certs) return std::unexpected(certs.error());
  auto pkey = load_key(key, key_password);
  if (!pkey) return std::unexpected(pkey.error());
  auto impl = finish(std::move(*pkey), std::move(*certs), chain, cert.string(), key.string());
  if (!impl) return std::unexpected(impl.error());
  return Credentials(std::move(*impl));
}

Result<Credentials> Credentials::from_pkcs12(const fs::path& pfx, const SecretString& password,
                                             const std::vector<fs::path>& chain) {
  auto data = read_file(pfx);
  if (!data) return std::unexpected(data.error());
  auto p12 = ossl::from_der<ossl::Pkcs12Ptr>(*data, d2i_PKCS12);
  if (!p12) {
    return input_error("not a PKCS#12 (.pfx) file", pfx.string(), field(Field::kPfx),
                       "pass the cert.pfx written by `wslplug cert new {pfx}`");
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  if (PKCS12_parse(p12.get(), password.value().c_str(), &key, &cert, &ca) != 1) {
    ossl::take_errors();
    return input_error("cannot open the PKCS#12 file: wrong password or unsupported encryption",
                       pfx.string(), field(Field::kPfx), "check the password variable");
  }
  ossl::PkeyPtr pkey(key);
  ossl::X509StackPtr extra(ca);
  std::vector<ossl::X509Ptr> certs;
  if (cert) certs.emplace_back(cert);
  while (extra && sk_X509_num(extra.get()) > 0) certs.emplace_back(sk_X509_shift(extra.get()));
  if (!pkey || certs.empty()) {
    return input_error("the PKCS#12 file has no private key or no certificate", pfx.string(),
                       field(Field::kPfx), "export the certificate together with its private key");
  }
  auto impl = finish(std::move(pkey), std::move(certs), chain, pfx.string(), pfx.string());
  if (!impl) return std::unexpected(impl.error());
  return Credentials(std::move(*impl));
}

}  // namespace wslplug::signing
