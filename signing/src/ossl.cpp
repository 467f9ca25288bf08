// The OpenSSL vocabulary (see ossl.hpp) and the digest algorithm names.
#include "ossl.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>

#include <ctime>

#include "wslplug/signing/oids.hpp"

namespace wslplug::signing {

std::string_view digest_name(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha1:
      return "sha1";
    case DigestAlgorithm::kSha256:
      return "sha256";
    case DigestAlgorithm::kSha384:
      return "sha384";
    case DigestAlgorithm::kSha512:
      return "sha512";
  }
  return "sha256";
}

std::optional<DigestAlgorithm> parse_digest(std::string_view name) {
  std::string n;
  for (char c : name)
    if (c != '-' && c != '_') n += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (n == "sha1") return DigestAlgorithm::kSha1;
  if (n == "sha256" || n == "sha2") return DigestAlgorithm::kSha256;
  if (n == "sha384") return DigestAlgorithm::kSha384;
  if (n == "sha512") return DigestAlgorithm::kSha512;
  return std::nullopt;
}

}  // namespace wslplug::signing

namespace wslplug::signing::ossl {

namespace {
constexpr std::string_view kOpensslFix =
    "check the OpenSSL configuration (OPENSSL_CONF and its providers); the default provider "
    "must be available";
}  // namespace

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

std::span<const std::byte> bytes(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  return bytes(ASN1_STRING_get0_data(s), static_cast<std::size_t>(ASN1_STRING_length(s)));
}

std::string hex_upper(std::span<const std::byte> data, char sep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s;
  s.reserve(data.size() * 3);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const unsigned v = std::to_integer<unsigned>(data[i]);
    if (sep && i) s += sep;
    s += kHex[v >> 4];
    s += kHex[v & 15];
  }
  return s;
}

std::string name_string(const X509_NAME* name) {
  if (name == nullptr) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  constexpr unsigned long kFlags = (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) |
                                   XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_DN_REV | XN_FLAG_FN_SN |
                                   XN_FLAG_DUMP_UNKNOWN_FIELDS;
  if (X509_NAME_print_ex(bio.get(), name, 0, kFlags) < 0) {
    ERR_clear_error();
    return {};
  }
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &p);
  return n > 0 ? std::string(p, static_cast<std::size_t>(n)) : std::string{};
}

std::optional<std::int64_t> unix_time(const ASN1_TIME* t) {
  if (t == nullptr) return std::nullopt;
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return static_cast<std::int64_t>(timegm(&tm));
}

ObjPtr obj(const char* dotted) { return ObjPtr(OBJ_txt2obj(dotted, 1)); }

std::string obj_text(const ASN1_OBJECT* o) {
  char buf[128] = "";
  if (o != nullptr) OBJ_obj2txt(buf, sizeof buf, o, 1);
  return buf;
}

// ---------------------------------------------------------------- digests

const EVP_MD* evp_md(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha1:
      return EVP_sha1();
    case DigestAlgorithm::kSha256:
      return EVP_sha256();
    case DigestAlgorithm::kSha384:
      return EVP_sha384();
    case DigestAlgorithm::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

std::optional<DigestAlgorithm> digest_from_nid(int nid) {
  switch (nid) {
    case NID_sha1:
      return DigestAlgorithm::kSha1;
    case NID_sha256:
      return DigestAlgorithm::kSha256;
    case NID_sha384:
      return DigestAlgorithm::kSha384;
    case NID_sha512:
      return DigestAlgorithm::kSha512;
    default:
      return std::nullopt;
  }
}

std::string_view digest_oid(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha1:
      return oid::kSha1;
    case DigestAlgorithm::kSha256:
      return oid::kSha256;
    case DigestAlgorithm::kSha384:
      return oid::kSha384;
    case DigestAlgorithm::kSha512:
      return oid::kSha512;
  }
  return oid::kSha256;
}

std::optional<DigestAlgorithm> digest_from_oid(std::string_view dotted) {
  for (auto a : {DigestAlgorithm::kSha1, DigestAlgorithm::kSha256, DigestAlgorithm::kSha384,
                 DigestAlgorithm::kSha512})
    if (digest_oid(a) == dotted) return a;
  return std::nullopt;
}

Result<Hasher> Hasher::start(DigestAlgorithm alg) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), evp_md(alg), nullptr) != 1)
    return fail(ErrorKind::kInternal,
                fmt::format("cannot initialise the {} digest: {}", digest_name(alg), take_errors()),
                {}, {}, std::string(kOpensslFix));
  return Hasher(alg, std::move(ctx));
}

bool Hasher::update(std::span<const std::byte> data) {
  if (failed_) return false;
  if (!data.empty() && EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) failed_ = true;
  return !failed_;
}

Result<std::vector<std::byte>> Hasher::finish() {
  std::vector<std::byte> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  if (failed_ || EVP_DigestFinal_ex(ctx_.get(), uchars(out), &n) != 1)
    return fail(ErrorKind::kInternal,
                fmt::format("computing the {} digest failed: {}", digest_name(alg_), take_errors()),
                {}, {}, std::string(kOpensslFix));
  out.resize(n);
  return out;
}

Result<std::vector<std::byte>> digest_of(std::span<const std::byte> data, DigestAlgorithm alg) {
  auto h = Hasher::start(alg);
  if (!h) return std::unexpected(h.error());
  h->update(data);
  return h->finish();
}

std::vector<std::byte> cert_digest(const X509* cert, const EVP_MD* md) {
  std::vector<std::byte> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  if (X509_digest(cert, md, uchars(out), &n) != 1) {
    ERR_clear_error();
    return {};
  }
  out.resize(n);
  return out;
}

// ---------------------------------------------------------------- certificates and PKCS#7

Result<std::vector<X509Ptr>> load_certs(const std::filesystem::path& path,
                                        std::string_view option) {
  auto data = read_file(path);
  if (!data) return std::unexpected(data.error());
  std::vector<X509Ptr> out;
  if (chars(*data).find("-----BEGIN") != std::string_view::npos) {
    BioPtr bio(BIO_new_mem_buf(data->data(), static_cast<int>(data->size())));
    while (X509* c = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr)
      out.emplace_back(c);
    ERR_clear_error();
  } else if (auto c = from_der<X509Ptr>(*data, d2i_X509)) {
    out.push_back(std::move(c));
  }
  if (out.empty())
    return input_error("no X.509 certificate found (expected PEM \"BEGIN CERTIFICATE\" or DER)",
                       path.string(), std::string(option),
                       "pass the certificate file written by `wslplug cert new` (cert.pem)");
  return out;
}

Result<StorePtr> load_trust_store(const std::vector<std::filesystem::path>& files,
                                  std::string_view option) {
  StorePtr store(X509_STORE_new());
  if (!store) return internal_error("cannot create a certificate store: " + take_errors());
  if (files.empty()) {
    if (X509_STORE_set_default_paths(store.get()) != 1)
      return fail(
          ErrorKind::kInternal, "cannot load the system certificate store: " + take_errors(), {},
          std::string(option), fmt::format("pass the trusted root with {{{}}} FILE", option));
    return store;
  }
  for (const auto& f : files) {
    auto certs = load_certs(f, option);
    if (!certs) return std::unexpected(certs.error());
    for (auto& c : *certs)
      if (X509_STORE_add_cert(store.get(), c.get()) != 1)
        return fail(ErrorKind::kInternal,
                    "cannot add a certificate to the trust store: " + take_errors(), f.string(),
                    std::string(option), std::string(kOpensslFix));
  }
  return store;
}

Result<Pkcs7Ptr> parse_signed_data(std::span<const std::byte> der, const std::string& file) {
  const unsigned char* p = uchars(der);
  Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (!p7)
    return input_error("not a DER PKCS#7 ContentInfo: " + take_errors(), file, "offset 0x0",
                       "give an Authenticode signature (DER PKCS#7 SignedData, e.g. from "
                       "'wslplug extract' or 'osslsigncode extract-signature')");
  const auto used = static_cast<std::size_t>(p - uchars(der));
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

PKCS7_SIGNER_INFO* first_signer(PKCS7* p7) {
  auto* infos = p7 ? PKCS7_get_signer_info(p7) : nullptr;
  return infos && sk_PKCS7_SIGNER_INFO_num(infos) > 0 ? sk_PKCS7_SIGNER_INFO_value(infos, 0)
                                                      : nullptr;
}

}  // namespace wslplug::signing::ossl
