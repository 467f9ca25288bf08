#include "ossl.hpp"

#include <fmt/format.h>

#include <ctime>

namespace wslplug::signing::ossl {

std::string take_errors() {
  std::string out;
  unsigned long e = 0;
  const char* data = nullptr;
  int flags = 0;
  while ((e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    std::string reason = ERR_reason_error_string(e) ? ERR_reason_error_string(e) : buf;
    if ((flags & ERR_TXT_STRING) && data != nullptr && *data != '\0')
      reason += fmt::format(" ({})", data);
    if (out.find(reason) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += reason;
  }
  return out;
}

std::string hex_upper(std::span<const std::uint8_t> data, char sep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s;
  s.reserve(data.size() * 3);
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (sep && i) s += sep;
    s += kHex[data[i] >> 4];
    s += kHex[data[i] & 15];
  }
  return s;
}

std::string name_string(const X509_NAME* name) {
  if (!name) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  std::string s(data, static_cast<std::size_t>(n > 0 ? n : 0));
  // RFC 2253 lists the most specific RDN first; Windows shows "CN=..., O=...": same order, with
  // ", " separators.
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ',' && (i == 0 || s[i - 1] != '\\')) {
      out += ", ";
    } else {
      out += s[i];
    }
  }
  return out;
}

std::int64_t time_to_unix(const ASN1_TIME* t) {
  if (!t) return 0;
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::vector<std::uint8_t> cert_digest(const X509* cert, const EVP_MD* md) {
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  if (X509_digest(cert, md, out.data(), &n) != 1) return {};
  out.resize(n);
  return out;
}

}  // namespace wslplug::signing::ossl
