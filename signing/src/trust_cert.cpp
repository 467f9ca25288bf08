// Certificates to trust (register --ps1 --trust-cert): read, refuse anything carrying a key,
// re-encode (see wslplug/signing/signing.hpp).
#include <openssl/pem.h>

#include "ossl.hpp"
#include "wslplug/signing/field.hpp"

namespace wslplug::signing {

Result<TrustCert> load_trust_cert(const fs::path& path) {
  auto bytes = read_file(path, 1u << 20);
  if (!bytes) return std::unexpected(bytes.error());
  const std::string where = field(Field::kTrustCert);
  const std::string_view text = ossl::chars(*bytes);
  if (text.find("PRIVATE KEY-----") != std::string_view::npos)
    return input_error(
        "the file contains a private key; the script must carry only the certificate",
        path.string(), where, "pass the certificate alone (cert.cer or cert.pem)");
  ossl::X509Ptr cert;
  if (text.find("-----BEGIN") != std::string_view::npos) {
    ossl::BioPtr bio(BIO_new_mem_buf(bytes->data(), static_cast<int>(bytes->size())));
    if (!bio) return internal_error("BIO_new_mem_buf failed", path.string());
    cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
  } else {
    cert = ossl::from_der<ossl::X509Ptr>(*bytes, d2i_X509);
    if (!cert && ossl::from_der<ossl::Pkcs12Ptr>(*bytes, d2i_PKCS12))
      return input_error("the file is a PKCS#12 (.pfx) bundle, which holds a private key",
                         path.string(), where,
                         "pass the certificate alone: the cert.cer that wslplug cert new wrote");
  }
  if (!cert)
    return input_error("not an X.509 certificate (DER .cer or PEM)", path.string(), where,
                       "pass the cert.cer or cert.pem that wslplug cert new wrote");
  TrustCert out;
  out.source = path.string();
  out.der = ossl::to_der(cert.get(), i2d_X509);
  if (out.der.empty()) return internal_error("cannot encode the certificate", path.string());
  const auto sha1 = ossl::cert_digest(cert.get(), EVP_sha1());
  if (sha1.empty()) return internal_error("SHA-1 of the certificate failed", path.string());
  out.thumbprint = ossl::hex_upper(sha1);
  out.subject = ossl::name_string(X509_get_subject_name(cert.get()));
  return out;
}

}  // namespace wslplug::signing
