#include "timestamp_ossl.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>

#include <ctime>

namespace wslplug::signing::ts_detail {

std::vector<std::byte> to_bytes(const unsigned char* p, std::size_t n) {
  const auto* b = reinterpret_cast<const std::byte*>(p);
  return {b, b + n};
}

std::string hex_upper(std::span<const std::byte> data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (auto b : data) out += fmt::format("{:02X}", std::to_integer<unsigned>(b));
  return out;
}

Result<std::vector<std::byte>> digest_of(std::span<const std::byte> data, const EVP_MD* md) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), buf, &len, md, nullptr) != 1)
    return internal_error("digest computation failed: " + ossl::take_errors());
  return to_bytes(buf, len);
}

std::string name_to_string(const X509_NAME* name) {
  if (name == nullptr) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  const unsigned long flags =
      (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) | XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN;
  X509_NAME_print_ex(bio.get(), name, 0, flags);
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  return n > 0 ? std::string(p, static_cast<std::size_t>(n)) : std::string{};
}

std::optional<std::int64_t> asn1_time_to_unix(const ASN1_TIME* t) {
  if (t == nullptr) return std::nullopt;
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

Asn1ObjectPtr oid(const char* dotted) { return Asn1ObjectPtr(OBJ_txt2obj(dotted, 1)); }

Result<Pkcs7Ptr> parse_signed_data(std::span<const std::byte> der, const std::string& file) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const auto* start = p;
  Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (!p7)
    return input_error("not a DER PKCS#7 ContentInfo: " + ossl::take_errors(), file, "offset 0x0",
                       "give an Authenticode signature (DER PKCS#7 SignedData, e.g. from "
                       "'wslplug extract' or 'osslsigncode extract-signature')");
  auto used = static_cast<std::size_t>(p - start);
  for (std::size_t i = used; i < der.size(); ++i)
    if (der[i] != std::byte{0})
      return input_error(
          fmt::format("{} unexpected bytes after the PKCS#7 structure", der.size() - used), file,
          offset_str(used), "the signature must be one DER PKCS#7 object");
  if (!PKCS7_type_is_signed(p7.get()) || p7->d.sign == nullptr)
    return input_error("the PKCS#7 structure is not SignedData", file, "contentType",
                       "give an Authenticode signature (PKCS#7 SignedData)");
  if (sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(p7.get())) < 1)
    return input_error("the PKCS#7 SignedData has no SignerInfo", file, "signerInfos",
                       "give a signed (not a detached-data) PKCS#7");
  return p7;
}

std::optional<std::size_t> der_object_length(std::span<const std::byte> der) {
  const auto* start = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = start;
  long len = 0;
  int tag = 0;
  int cls = 0;
  int r = ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(der.size()));
  if (r & 0x80) {
    ERR_clear_error();
    return std::nullopt;
  }
  if (r & 0x01) return std::nullopt;  // indefinite length (BER)
  auto total = static_cast<std::size_t>(p - start) + static_cast<std::size_t>(len);
  if (total > der.size()) return std::nullopt;
  return total;
}

Result<X509StorePtr> load_store(const std::vector<std::filesystem::path>& files,
                                const char* option) {
  X509StorePtr store(X509_STORE_new());
  if (!store) return internal_error("X509_STORE_new failed");
  if (files.empty()) {
    X509_STORE_set_default_paths(store.get());
    return store;
  }
  for (const auto& f : files) {
    BioPtr bio(BIO_new_file(f.c_str(), "rb"));
    if (!bio)
      return input_error("cannot read certificate file: " + ossl::take_errors(), f.string(), option,
                         "give an existing PEM or DER certificate file");
    int added = 0;
    using InfoStack = STACK_OF(X509_INFO);
    std::unique_ptr<InfoStack, void (*)(InfoStack*)> infos(
        PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr),
        [](InfoStack* s) { sk_X509_INFO_pop_free(s, X509_INFO_free); });
    if (infos) {
      for (int i = 0; i < sk_X509_INFO_num(infos.get()); ++i) {
        X509_INFO* info = sk_X509_INFO_value(infos.get(), i);
        if (info->x509 != nullptr && X509_STORE_add_cert(store.get(), info->x509) == 1) ++added;
      }
    }
    if (added == 0) {
      ERR_clear_error();
      BioPtr der(BIO_new_file(f.c_str(), "rb"));
      X509Ptr cert(der ? d2i_X509_bio(der.get(), nullptr) : nullptr);
      if (cert && X509_STORE_add_cert(store.get(), cert.get()) == 1) ++added;
    }
    ERR_clear_error();
    if (added == 0)
      return input_error("no certificate found (neither PEM nor DER)", f.string(), option,
                         "give the TSA root certificate as a PEM or DER file");
  }
  return store;
}

}  // namespace wslplug::signing::ts_detail
