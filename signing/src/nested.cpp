// Nested signatures (1.3.6.1.4.1.311.2.4.1), see wslplug/nested.hpp.
#include "wslplug/signing/nested.hpp"

#include <fmt/format.h>

#include "der.hpp"
#include "ossl.hpp"
#include "wslplug/signing/oids.hpp"

namespace wslplug::signing {

using namespace ossl;

Status add_nested_signature(PKCS7_SIGNER_INFO* si, std::span<const std::byte> nested_der) {
  if (si == nullptr) return internal_error("no SignerInfo to add a nested signature to");
  if (auto check = parse_signed_data(nested_der, "nested signature"); !check)
    return std::unexpected(check.error());
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
  auto outer = parse_signed_data(outer_der, file);
  if (!outer) return std::unexpected(outer.error());
  PKCS7_SIGNER_INFO* si = first_signer(outer->get());
  if (auto st = add_nested_signature(si, inner_der); !st) return std::unexpected(st.error());
  auto der = to_der(outer->get(), i2d_PKCS7);
  if (der.empty()) return internal_error("cannot encode the PKCS#7: " + ossl::take_errors(), file);
  return der;
}

namespace {

// Nested signatures at any depth, depth first (each followed by its own nested ones).
constexpr int kMaxNestingDepth = 32;
Status collect_nested(std::span<const std::byte> outer_der, const std::string& file, int depth,
                      std::vector<std::vector<std::byte>>& out) {
  auto outer = parse_signed_data(outer_der, file);
  if (!outer) return std::unexpected(outer.error());
  auto list = nested_signatures(first_signer(outer->get()));
  if (!list) return std::unexpected(std::move(list.error()).in_file(file));
  if (!list->empty() && depth >= kMaxNestingDepth)
    return input_error(
        fmt::format("signatures are nested more than {} levels deep", kMaxNestingDepth), file,
        "nested signature", "re-sign the file (it is malformed)");
  for (auto& der : *list) {
    const std::size_t index = out.size() + 1;
    if (auto check = parse_signed_data(der, file); !check) {
      auto e = check.error();
      e.where = fmt::format("nested signature {}", index);
      return std::unexpected(std::move(e));
    }
    const std::vector<std::byte> inner = der;  // `out` grows below
    out.push_back(std::move(der));
    if (auto st = collect_nested(inner, file, depth + 1, out); !st) return st;
  }
  return {};
}

}  // namespace

// Read at any depth (see collect_nested), so signatures nested inside nested ones are found.
Result<std::vector<std::vector<std::byte>>> nested_pkcs7(std::span<const std::byte> outer_der,
                                                         const std::string& file) {
  std::vector<std::vector<std::byte>> out;
  if (auto st = collect_nested(outer_der, file, 0, out); !st) return std::unexpected(st.error());
  return out;
}

Result<std::vector<std::vector<std::byte>>> all_pkcs7(std::span<const std::byte> outer_der,
                                                      const std::string& file) {
  auto nested = nested_pkcs7(outer_der, file);
  if (!nested) return std::unexpected(nested.error());
  std::vector<std::vector<std::byte>> out;
  out.push_back(copy(der::first(outer_der).value_or(outer_der)));
  for (auto& n : *nested) out.push_back(std::move(n));
  return out;
}

}  // namespace wslplug::signing
