// RAII handles for the OpenSSL objects the signing library uses, and small helpers around the
// OpenSSL error queue. Internal to wslplug_signing.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

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

using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), free_x509_stack>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, Deleter<PKCS7, PKCS7_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, Deleter<PKCS12, PKCS12_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using TimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME, ASN1_TIME_free>>;
using IntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
using OsslBytes = std::unique_ptr<unsigned char, Deleter<unsigned char, free_openssl_mem>>;

// Drains the OpenSSL error queue into one line, "reason (detail); reason", each reason once;
// empty when the queue is empty.
std::string take_errors();

// DER of an object via its i2d function; empty on failure.
template <class T>
std::vector<std::uint8_t> to_der(const T* obj, int (*i2d)(const T*, unsigned char**)) {
  std::vector<std::uint8_t> out;
  if (!obj) return out;
  int n = i2d(obj, nullptr);
  if (n <= 0) return out;
  out.resize(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  i2d(obj, &p);
  return out;
}

std::string hex_upper(std::span<const std::uint8_t> data, char sep = 0);
// "CN=..., O=..." (RFC 2253-like, readable, UTF-8).
std::string name_string(const X509_NAME* name);
// Unix seconds of an ASN1_TIME (0 on failure).
std::int64_t time_to_unix(const ASN1_TIME* t);
std::vector<std::uint8_t> cert_digest(const X509* cert, const EVP_MD* md);

}  // namespace wslplug::signing::ossl
