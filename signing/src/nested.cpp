// Nested signatures (1.3.6.1.4.1.311.2.4.1), see wslplug/nested.hpp.
#include "wslplug/signing/nested.hpp"

#include <fmt/format.h>

#include "timestamp_ossl.hpp"

namespace wslplug::signing {

using namespace ts_detail;

Status add_nested_signature(PKCS7_SIGNER_INFO* si, std::span<const std::byte> nested_der) {
  if (si == nullptr) return internal_error("no SignerInfo to add a nested signature to");
  if (auto check = parse_signed_data(nested_der, "nested signature"); !check)
    return std::unexpected(check.error());
  auto obj = oid(kOidNestedSignature);
  if (!obj) return internal_error("cannot create the nested-signature OID");
  const auto* data = reinterpret_cast<const unsigned char*>(nested_der.data());
  const int len = static_cast<int>(nested_der.size());
  int idx = si->unauth_attr ? X509at_get_attr_by_OBJ(si->unauth_attr, obj.get(), -1) : -1;
  if (idx >= 0) {
    X509_ATTRIBUTE* attr = X509at_get_attr(si->unauth_attr, idx);
    if (attr == nullptr || X509_ATTRIBUTE_set1_data(attr, V_ASN1_SEQUENCE, data, len) != 1)
      return internal_error("cannot append a nested signature: " + ossl::take_errors());
    return {};
  }
  X509AttributePtr attr(
      X509_ATTRIBUTE_create_by_OBJ(nullptr, obj.get(), V_ASN1_SEQUENCE, data, len));
  if (!attr || X509at_add1_attr(&si->unauth_attr, attr.get()) == nullptr)
    return internal_error("cannot add the nested-signature attribute: " + ossl::take_errors());
  return {};
}

Result<std::vector<std::vector<std::byte>>> nested_signatures(const PKCS7_SIGNER_INFO* si) {
  std::vector<std::vector<std::byte>> out;
  if (si == nullptr || si->unauth_attr == nullptr) return out;
  auto obj = oid(kOidNestedSignature);
  // Tolerate several attributes with this OID (osslsigncode < 2.0 wrote one per signature).
  for (int idx = X509at_get_attr_by_OBJ(si->unauth_attr, obj.get(), -1); idx >= 0;
       idx = X509at_get_attr_by_OBJ(si->unauth_attr, obj.get(), idx)) {
    X509_ATTRIBUTE* attr = X509at_get_attr(si->unauth_attr, idx);
    for (int i = 0; attr != nullptr && i < X509_ATTRIBUTE_count(attr); ++i) {
      ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(attr, i);
      if (t == nullptr || t->type != V_ASN1_SEQUENCE || t->value.sequence == nullptr)
        return input_error(fmt::format("nested signature value {} is not a SEQUENCE", i), {},
                           std::string("unauthenticated attribute ") + kOidNestedSignature,
                           "re-sign the file (the nested signature is malformed)");
      out.push_back(to_bytes(ASN1_STRING_get0_data(t->value.sequence),
                             static_cast<std::size_t>(ASN1_STRING_length(t->value.sequence))));
    }
  }
  return out;
}

Status add_sequence_number(PKCS7_SIGNER_INFO* si, long number) {
  if (si == nullptr || number < 0) return internal_error("bad sequence number request");
  Asn1IntegerPtr value(ASN1_INTEGER_new());
  if (!value || ASN1_INTEGER_set(value.get(), number) != 1)
    return internal_error("cannot build the sequence number");
  auto obj = oid(kOidSequenceNumber);
  X509AttributePtr attr(X509_ATTRIBUTE_create_by_OBJ(nullptr, obj.get(), V_ASN1_INTEGER,
                                                     ASN1_STRING_get0_data(value.get()),
                                                     ASN1_STRING_length(value.get())));
  if (!attr || X509at_add1_attr(&si->auth_attr, attr.get()) == nullptr)
    return internal_error("cannot add the sequence number attribute: " + ossl::take_errors());
  return {};
}

Result<std::vector<std::byte>> nest_pkcs7(std::span<const std::byte> outer_der,
                                          std::span<const std::byte> inner_der,
                                          const std::string& file) {
  auto outer = parse_signed_data(outer_der, file);
  if (!outer) return std::unexpected(outer.error());
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(outer->get()), 0);
  if (auto st = add_nested_signature(si, inner_der); !st) return std::unexpected(st.error());
  auto der = i2d_bytes(outer->get(), i2d_PKCS7);
  if (der.empty()) return internal_error("cannot encode the PKCS#7: " + ossl::take_errors(), file);
  return der;
}

Result<std::vector<std::vector<std::byte>>> nested_pkcs7(std::span<const std::byte> outer_der,
                                                         const std::string& file) {
  auto outer = parse_signed_data(outer_der, file);
  if (!outer) return std::unexpected(outer.error());
  const PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(outer->get()), 0);
  auto list = nested_signatures(si);
  if (!list) return std::unexpected(std::move(list.error()).in_file(file));
  for (std::size_t i = 0; i < list->size(); ++i)
    if (auto check = parse_signed_data((*list)[i], file); !check) {
      auto e = check.error();
      e.where = fmt::format("nested signature {}", i + 1);
      return std::unexpected(std::move(e));
    }
  return list;
}

Result<std::vector<std::vector<std::byte>>> all_pkcs7(std::span<const std::byte> outer_der,
                                                      const std::string& file) {
  auto nested = nested_pkcs7(outer_der, file);
  if (!nested) return std::unexpected(nested.error());
  std::vector<std::vector<std::byte>> out;
  auto len = der_object_length(outer_der).value_or(outer_der.size());
  out.emplace_back(outer_der.begin(), outer_der.begin() + static_cast<std::ptrdiff_t>(len));
  for (auto& n : *nested) out.push_back(std::move(n));
  return out;
}

}  // namespace wslplug::signing
