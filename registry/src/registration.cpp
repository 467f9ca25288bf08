// The registration documents of a WSL plugin (see wslplug/registry/registration.hpp) and the
// certificate the install script trusts. The script itself is script.cpp.
#include "wslplug/registry/registration.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <memory>

#include "wslplug/core/io.hpp"

namespace wslplug::reg {

Document registration_document(std::string_view name, std::string_view windows_path) {
  Document doc;
  Key key;
  key.path = std::string(kPluginsKey);
  Value v;
  v.name = std::string(name);
  v.kind = ValueKind::kString;
  v.text = std::string(windows_path);
  key.values.push_back(std::move(v));
  doc.keys.push_back(std::move(key));
  return doc;
}

Document removal_document(std::string_view name) {
  Document doc;
  Key key;
  key.path = std::string(kPluginsKey);
  Value v;
  v.name = std::string(name);
  v.kind = ValueKind::kDelete;
  key.values.push_back(std::move(v));
  doc.keys.push_back(std::move(key));
  return doc;
}

// ------------------------------------------------------------------------ certificate to trust

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct P12Free {
  void operator()(PKCS12* p) const { PKCS12_free(p); }
};

}  // namespace

Result<TrustCert> load_trust_cert(const fs::path& path) {
  auto bytes = read_file(path, 1u << 20);
  if (!bytes) return std::unexpected(bytes.error());
  const std::string where = "--trust-cert";
  std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  if (text.find("PRIVATE KEY-----") != std::string_view::npos) {
    return input_error(
        "the file contains a private key; the script must carry only the "
        "certificate",
        path.string(), where, "pass the certificate alone (cert.cer or cert.pem)");
  }
  std::unique_ptr<X509, X509Free> cert;
  if (text.find("-----BEGIN") != std::string_view::npos) {
    std::unique_ptr<BIO, BioFree> bio(
        BIO_new_mem_buf(bytes->data(), static_cast<int>(bytes->size())));
    if (!bio) return internal_error("BIO_new_mem_buf failed", path.string());
    cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes->data());
    cert.reset(d2i_X509(nullptr, &p, static_cast<long>(bytes->size())));
    if (!cert) {
      const auto* q = reinterpret_cast<const unsigned char*>(bytes->data());
      std::unique_ptr<PKCS12, P12Free> p12(
          d2i_PKCS12(nullptr, &q, static_cast<long>(bytes->size())));
      if (p12) {
        return input_error("the file is a PKCS#12 (.pfx) bundle, which holds a private key",
                           path.string(), where,
                           "pass the certificate alone: the cert.cer that wslplug cert new wrote");
      }
    }
  }
  if (!cert) {
    return input_error("not an X.509 certificate (DER .cer or PEM)", path.string(), where,
                       "pass the cert.cer or cert.pem that wslplug cert new wrote");
  }
  TrustCert out;
  out.source = path.string();
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  if (len <= 0 || der == nullptr) return internal_error("i2d_X509 failed", path.string());
  out.der.assign(der, der + len);
  OPENSSL_free(der);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(out.der.data(), out.der.size(), md, &md_len, EVP_sha1(), nullptr) != 1) {
    return internal_error("SHA-1 of the certificate failed", path.string());
  }
  for (unsigned i = 0; i < md_len; ++i) out.thumbprint += fmt::format("{:02X}", md[i]);
  std::unique_ptr<BIO, BioFree> mem(BIO_new(BIO_s_mem()));
  if (mem &&
      X509_NAME_print_ex(mem.get(), X509_get_subject_name(cert.get()), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    long n = BIO_get_mem_data(mem.get(), &data);
    if (n > 0 && data != nullptr) out.subject.assign(data, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace wslplug::reg
