// Nested signatures (1.3.6.1.4.1.311.2.4.1): the SignerInfo attribute (signed_data_impl.hpp) and
// the DER-level functions of wslplug/signing/nested.hpp, on the signature model.
#include "wslplug/signing/nested.hpp"

#include <fmt/format.h>

#include "signed_data_impl.hpp"
#include "wslplug/signing/oids.hpp"

namespace wslplug::signing {

using namespace ossl;

Status add_nested_signature(PKCS7_SIGNER_INFO* si, std::span<const std::byte> nested_der) {
  if (si == nullptr) return internal_error("no SignerInfo to add a nested signature to");
  auto obj = ossl::obj(oid::kNestedSignature);
  if (!obj) return internal_error("cannot create the nested-signature OID");
  const unsigned char* data = uchars(nested_der);
  const int len = static_cast<int>(nested_der.size());
  int idx = si->unauth_attr ? X509at_get_attr_by_OBJ(si->unauth_attr, obj.get(), -1) : -1;
  if (idx >= 0) {
    X509_ATTRIBUTE* attr = X509at_get_attr(si->unauth_attr, idx);
    if (attr == nullptr || X509_ATTRIBUTE_set1_data(attr, V_ASN1_SEQUENCE, data, len) != 1)
      return internal_error("cannot append a nested signature: " + ossl::take_errors());
    return {};
  }
  AttributePtr attr(X509_ATTRIBUTE_create_by_OBJ(nullptr, obj.get(), V_ASN1_SEQUENCE, data, len));
  if (!attr || X509at_add1_attr(&si->unauth_attr, attr.get()) == nullptr)
    return internal_error("cannot add the nested-signature attribute: " + ossl::take_errors());
  return {};
}

Result<std::vector<std::vector<std::byte>>> nested_signatures(const PKCS7_SIGNER_INFO* si) {
  std::vector<std::vector<std::byte>> out;
  if (si == nullptr || si->unauth_attr == nullptr) return out;
  auto obj = ossl::obj(oid::kNestedSignature);
  // Tolerate several attributes with this OID (osslsigncode < 2.0 wrote one per signature).
  for (int idx = X509at_get_attr_by_OBJ(si->unauth_attr, obj.get(), -1); idx >= 0;
       idx = X509at_get_attr_by_OBJ(si->unauth_attr, obj.get(), idx)) {
    X509_ATTRIBUTE* attr = X509at_get_attr(si->unauth_attr, idx);
    for (int i = 0; attr != nullptr && i < X509_ATTRIBUTE_count(attr); ++i) {
      ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(attr, i);
      if (t == nullptr || t->type != V_ASN1_SEQUENCE || t->value.sequence == nullptr)
        return input_error(fmt::format("nested signature value {} is not a SEQUENCE", i), {},
                           std::string("unauthenticated attribute ") + oid::kNestedSignature,
                           "re-sign the file (the nested signature is malformed)");
      out.push_back(copy(bytes(t->value.sequence)));
    }
  }
  return out;
}

Status add_sequence_number(PKCS7_SIGNER_INFO* si, long number) {
  if (si == nullptr || number < 0) return internal_error("bad sequence number request");
  IntegerPtr value(ASN1_INTEGER_new());
  if (!value || ASN1_INTEGER_set(value.get(), number) != 1)
    return internal_error("cannot build the sequence number");
  auto obj = ossl::obj(oid::kSequenceNumber);
  AttributePtr attr(X509_ATTRIBUTE_create_by_OBJ(nullptr, obj.get(), V_ASN1_INTEGER,
                                                 ASN1_STRING_get0_data(value.get()),
                                                 ASN1_STRING_length(value.get())));
  if (!attr || X509at_add1_attr(&si->auth_attr, attr.get()) == nullptr)
    return internal_error("cannot add the sequence number attribute: " + ossl::take_errors());
  return {};
}

Result<std::vector<std::byte>> nest_pkcs7(std::span<const std::byte> outer_der,
                                          std::span<const std::byte> inner_der,
                                          const std::string& file) {
  auto outer = SignedData::parse(outer_der, file);
  if (!outer) return std::unexpected(outer.error());
  auto inner = SignedData::parse(inner_der, "nested signature");
  if (!inner) return std::unexpected(inner.error());
  auto nested = outer->with_nested(*inner);
  if (!nested) return std::unexpected(nested.error());
  return nested->der();
}

Result<std::vector<std::vector<std::byte>>> nested_ders(const SignedData& outer) {
  std::vector<std::vector<std::byte>> out;
  for (const auto& step : walk_nested(outer)) {
    if (step.signature == nullptr) return std::unexpected(*step.error);
    if (step.error != nullptr) {
      auto e = *step.error;
      e.where = fmt::format("nested signature {}", out.size() + 1);
      return std::unexpected(std::move(e));
    }
    out.push_back(step.signature->der);
  }
  return out;
}

Result<std::vector<std::vector<std::byte>>> nested_pkcs7(std::span<const std::byte> outer_der,
                                                         const std::string& file) {
  auto outer = SignedData::parse(outer_der, file);
  if (!outer) return std::unexpected(outer.error());
  return nested_ders(*outer);
}

Result<std::vector<std::vector<std::byte>>> all_pkcs7(std::span<const std::byte> outer_der,
                                                      const std::string& file) {
  auto outer = SignedData::parse(outer_der, file);
  if (!outer) return std::unexpected(outer.error());
  auto nested = nested_ders(*outer);
  if (!nested) return std::unexpected(nested.error());
  std::vector<std::vector<std::byte>> out;
  out.push_back(outer->der());
  for (auto& n : *nested) out.push_back(std::move(n));
  return out;
}

}  // namespace wslplug::signing
