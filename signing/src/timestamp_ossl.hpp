// Internal helpers of the timestamp / nested / detached code: RAII handles for OpenSSL objects,
// the OpenSSL error queue as text, digest lookup, names and times.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "authenticode.hpp"  // evp_md, digest_name, digest_from_nid
#include "wslplug/core/error.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::signing::ts_detail {

// The general handles come from ossl.hpp (one RAII vocabulary for the library); these add the
// timestamp-specific types.
using ossl::BignumPtr;
using ossl::BioPtr;
using ossl::Handle;
using ossl::Pkcs7Ptr;
using ossl::X509Ptr;
using TsReqPtr = Handle<TS_REQ, TS_REQ_free>;
using TsRespPtr = Handle<TS_RESP, TS_RESP_free>;
using TsTstInfoPtr = Handle<TS_TST_INFO, TS_TST_INFO_free>;
using TsMsgImprintPtr = Handle<TS_MSG_IMPRINT, TS_MSG_IMPRINT_free>;
using X509AlgorPtr = Handle<X509_ALGOR, X509_ALGOR_free>;
using Asn1IntegerPtr = ossl::IntegerPtr;
using X509StorePtr = ossl::StorePtr;
using X509AttributePtr = Handle<X509_ATTRIBUTE, X509_ATTRIBUTE_free>;
using Asn1ObjectPtr = ossl::ObjPtr;
using X509SigPtr = Handle<X509_SIG, X509_SIG_free>;

std::vector<std::byte> to_bytes(const unsigned char* p, std::size_t n);
inline std::span<const unsigned char> uspan(std::span<const std::byte> s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}
std::string hex_upper(std::span<const std::byte> data);

// H_alg(data), or an internal error.
Result<std::vector<std::byte>> digest_of(std::span<const std::byte> data, const EVP_MD* md);

// "CN=x, O=y" (RFC 2253 escaping, forward order).
std::string name_to_string(const X509_NAME* name);
// ASN1_TIME / GeneralizedTime as unix seconds.
std::optional<std::int64_t> asn1_time_to_unix(const ASN1_TIME* t);

// An ASN1_OBJECT for a dotted OID (no NID needed).
Asn1ObjectPtr oid(const char* dotted);

// DER-encodes with an i2d function into a byte vector (empty on failure).
template <class T, class F>
std::vector<std::byte> i2d_bytes(T* obj, F i2d) {
  int len = i2d(obj, nullptr);
  if (len <= 0) return {};
  std::vector<std::byte> out(static_cast<std::size_t>(len));
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (i2d(obj, &p) != len) return {};
  return out;
}

// Parses a DER PKCS#7 ContentInfo that must be SignedData with at least one SignerInfo; the
// whole input must be consumed except zero padding.
Result<Pkcs7Ptr> parse_signed_data(std::span<const std::byte> der, const std::string& file);

// The length of the first DER object (header + definite-length content) in der; nullopt when
// it is not a well-formed definite-length TLV that fits.
std::optional<std::size_t> der_object_length(std::span<const std::byte> der);

// Loads certificates from PEM (several) or DER files into a store; empty list: system store.
Result<X509StorePtr> load_store(const std::vector<std::filesystem::path>& files,
                                const char* option);

}  // namespace wslplug::signing::ts_detail
