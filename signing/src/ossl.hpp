// The OpenSSL vocabulary of the signing library, one place for all of it: RAII handles (one
// alias block), the error queue as text, byte conversions at the OpenSSL boundary (the only
// casts between std::byte and unsigned char), DER encoding through i2d functions, hex, the one
// X.509 name formatter, ASN.1 time conversion, digests with checked calls, certificate files and
// the one trust-store loader. Internal to wslplug_signing.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::signing::ossl {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept {
    if (p) F(p);
  }
};
template <class T, void (*F)(T*)>
using Handle = std::unique_ptr<T, Deleter<T, F>>;

inline void free_x509_stack(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
inline void free_openssl_mem(unsigned char* p) { OPENSSL_free(p); }

using X509Ptr = Handle<X509, X509_free>;
using CrlPtr = Handle<X509_CRL, X509_CRL_free>;
using X509StackPtr = Handle<STACK_OF(X509), free_x509_stack>;
using PkeyPtr = Handle<EVP_PKEY, EVP_PKEY_free>;
using MdCtxPtr = Handle<EVP_MD_CTX, EVP_MD_CTX_free>;
using BioPtr = Handle<BIO, BIO_free_all>;
using Pkcs7Ptr = Handle<PKCS7, PKCS7_free>;
using Pkcs12Ptr = Handle<PKCS12, PKCS12_free>;
using StorePtr = Handle<X509_STORE, X509_STORE_free>;
using StoreCtxPtr = Handle<X509_STORE_CTX, X509_STORE_CTX_free>;
using TimePtr = Handle<ASN1_TIME, ASN1_TIME_free>;
using IntegerPtr = Handle<ASN1_INTEGER, ASN1_INTEGER_free>;
using BignumPtr = Handle<BIGNUM, BN_free>;
using NamePtr = Handle<X509_NAME, X509_NAME_free>;
using ExtPtr = Handle<X509_EXTENSION, X509_EXTENSION_free>;
using ObjPtr = Handle<ASN1_OBJECT, ASN1_OBJECT_free>;
using AttributePtr = Handle<X509_ATTRIBUTE, X509_ATTRIBUTE_free>;
using AlgorPtr = Handle<X509_ALGOR, X509_ALGOR_free>;
using DecoderCtxPtr = Handle<OSSL_DECODER_CTX, OSSL_DECODER_CTX_free>;
using TsReqPtr = Handle<TS_REQ, TS_REQ_free>;
using TsRespPtr = Handle<TS_RESP, TS_RESP_free>;
using TsTstInfoPtr = Handle<TS_TST_INFO, TS_TST_INFO_free>;
using TsMsgImprintPtr = Handle<TS_MSG_IMPRINT, TS_MSG_IMPRINT_free>;
using OsslBytes = Handle<unsigned char, free_openssl_mem>;

// Drains the OpenSSL error queue into one line, "reason (detail); reason", each reason once;
// empty when the queue is empty.
std::string take_errors();

// ---------------------------------------------------------------- bytes at the boundary
inline const unsigned char* uchars(std::span<const std::byte> s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
inline unsigned char* uchars(std::span<std::byte> s) {
  return reinterpret_cast<unsigned char*>(s.data());
}
inline unsigned char* uchars(std::vector<std::byte>& v) { return uchars(std::span(v)); }
inline std::span<const std::byte> bytes(const unsigned char* p, std::size_t n) {
  return {reinterpret_cast<const std::byte*>(p), n};
}
// The content of an ASN1_STRING (OCTET STRING, SEQUENCE value, ...); empty for nullptr.
std::span<const std::byte> bytes(const ASN1_STRING* s);
inline std::vector<std::byte> copy(std::span<const std::byte> s) { return {s.begin(), s.end()}; }
inline std::string_view chars(std::span<const std::byte> s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

// DER of an object via its i2d function; empty on failure.
template <class T, class F>
std::vector<std::byte> to_der(T* obj, F i2d) {
  if (!obj) return {};
  const int n = i2d(obj, nullptr);
  if (n <= 0) return {};
  std::vector<std::byte> out(static_cast<std::size_t>(n));
  unsigned char* p = uchars(out);
  if (i2d(obj, &p) != n) return {};
  return out;
}
// Decodes DER with a d2i function into a handle (empty on failure, error queue cleared).
template <class H, class F>
H from_der(std::span<const std::byte> der, F d2i) {
  const unsigned char* p = uchars(der);
  H h(der.empty() ? nullptr : d2i(nullptr, &p, static_cast<long>(der.size())));
  if (!h) ERR_clear_error();
  return h;
}

// ---------------------------------------------------------------- text
std::string hex_upper(std::span<const std::byte> data, char sep = 0);
// The one name format of the library, for signers, issuers, TSAs and certificates to trust:
// RFC 2253 order (most specific RDN first, as Windows shows "CN=..., O=..."), ", " between
// RDNs, " + " inside multi-valued RDNs, RFC 2253 escaping with UTF-8 kept readable.
std::string name_string(const X509_NAME* name);
// Unix seconds of an ASN1_TIME; nullopt when absent or unreadable.
std::optional<std::int64_t> unix_time(const ASN1_TIME* t);
// A dotted OID as an object (no NID needed); null on malformed text.
ObjPtr obj(const char* dotted);
// Dotted text of an object.
std::string obj_text(const ASN1_OBJECT* o);

// ---------------------------------------------------------------- digests
const EVP_MD* evp_md(DigestAlgorithm alg);
std::optional<DigestAlgorithm> digest_from_nid(int nid);
std::optional<DigestAlgorithm> digest_from_oid(std::string_view dotted);
std::string_view digest_oid(DigestAlgorithm alg);

// An incremental digest whose every OpenSSL call is checked: update() remembers the first
// failure and finish() reports it (an internal error), so a failed hash can never be taken for
// a digest.
class Hasher {
 public:
  static Result<Hasher> start(DigestAlgorithm alg);
  bool update(std::span<const std::byte> data);
  Result<std::vector<std::byte>> finish();
  [[nodiscard]] DigestAlgorithm algorithm() const { return alg_; }

 private:
  Hasher(DigestAlgorithm alg, MdCtxPtr ctx) : alg_(alg), ctx_(std::move(ctx)) {}
  DigestAlgorithm alg_;
  MdCtxPtr ctx_;
  bool failed_ = false;
};
// H(data) in one call.
Result<std::vector<std::byte>> digest_of(std::span<const std::byte> data, DigestAlgorithm alg);
// Digest of a certificate's DER (thumbprints); empty on failure.
std::vector<std::byte> cert_digest(const X509* cert, const EVP_MD* md);

// ---------------------------------------------------------------- certificates and PKCS#7
// All certificates of a PEM file (or one DER certificate); `option` names the field in errors
// (field.hpp).
Result<std::vector<X509Ptr>> load_certs(const std::filesystem::path& path, std::string_view option);
// A trust store with the certificates of `files` (PEM, several per file, or DER); an empty list
// means the system store. Every X509_STORE call is checked.
Result<StorePtr> load_trust_store(const std::vector<std::filesystem::path>& files,
                                  std::string_view option);
// Parses a DER PKCS#7 ContentInfo that must be SignedData with at least one SignerInfo; the
// whole input must be consumed except zero padding. `file` names the input in errors.
Result<Pkcs7Ptr> parse_signed_data(std::span<const std::byte> der, const std::string& file);
// The first SignerInfo of a parsed SignedData (parse_signed_data guarantees one).
PKCS7_SIGNER_INFO* first_signer(PKCS7* p7);

}  // namespace wslplug::signing::ossl
