// The signature model: one parse of a DER SignedData and everything read from it, and the one
// walker of nested signatures.
#include <fmt/format.h>

#include "authenticode.hpp"
#include "der.hpp"
#include "signed_data_impl.hpp"
#include "wslplug/signing/oids.hpp"

namespace wslplug::signing {

namespace {

std::vector<SignerAttribute> attributes(const STACK_OF(X509_ATTRIBUTE) * attrs) {
  std::vector<SignerAttribute> out;
  for (int i = 0; attrs != nullptr && i < sk_X509_ATTRIBUTE_num(attrs); ++i) {
    X509_ATTRIBUTE* a = sk_X509_ATTRIBUTE_value(attrs, i);
    SignerAttribute attr{ossl::obj_text(X509_ATTRIBUTE_get0_object(a)), {}};
    for (int v = 0; v < X509_ATTRIBUTE_count(a); ++v)
      attr.values.push_back(ossl::to_der(X509_ATTRIBUTE_get0_type(a, v), i2d_ASN1_TYPE));
    out.push_back(std::move(attr));
  }
  return out;
}

Result<SignedData> parse_at(std::span<const std::byte> der, const std::string& file, int depth) {
  auto p7 = ossl::parse_signed_data(der, file);
  if (!p7) return std::unexpected(p7.error());
  auto impl = std::make_shared<SignedData::Impl>();
  impl->p7 = std::move(*p7);
  impl->der = ossl::copy(der::first(der).value_or(der));
  impl->file = file;
  PKCS7_SIGNER_INFO* si = impl->signer();
  impl->authenticated = attributes(si->auth_attr);
  impl->unauthenticated = attributes(si->unauth_attr);
  const STACK_OF(X509)* certs = impl->p7->d.sign->cert;
  for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i) {
    const X509* c = sk_X509_value(certs, i);
    impl->certificates.push_back({ossl::to_der(const_cast<X509*>(c), i2d_X509),
                                  ossl::name_string(X509_get_subject_name(c)),
                                  ossl::name_string(X509_get_issuer_name(c))});
  }
  auto list = nested_signatures(si);
  if (!list) {
    impl->nested_error = std::move(list.error()).in_file(file);
  } else if (!list->empty() && depth >= kMaxNestingDepth) {
    impl->too_deep = true;
    impl->nested_error =
        input_error(fmt::format("signatures are nested more than {} levels deep", kMaxNestingDepth),
                    file, "nested signature", "re-sign the file (it is malformed)")
            .error();
  } else {
    for (auto& value : *list) {
      NestedSignature n;
      auto parsed = parse_at(value, file, depth + 1);
      if (parsed)
        n.signature = std::move(*parsed);
      else
        n.error = std::move(parsed.error());
      n.der = std::move(value);
      impl->nested.push_back(std::move(n));
    }
  }
  return SignedData(std::move(impl));
}

void walk(const SignedData& sd, std::size_t self, std::vector<NestedStep>& out) {
  const auto& impl = sd.impl();
  if (impl.nested_error) {
    out.push_back({self, nullptr, &*impl.nested_error, impl.too_deep});
    return;
  }
  for (const auto& n : impl.nested) {
    out.push_back({self, &n, n.error ? &*n.error : nullptr, false});
    if (n.signature) walk(*n.signature, out.size(), out);
  }
}

}  // namespace

SignedData::SignedData(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Result<SignedData> SignedData::parse(std::span<const std::byte> der, const std::string& file) {
  return parse_at(der, file, 0);
}

const std::vector<std::byte>& SignedData::der() const { return impl_->der; }
const std::string& SignedData::file() const { return impl_->file; }

std::string SignedData::signer_issuer() const {
  const auto* ias = impl_->signer()->issuer_and_serial;
  return ias ? ossl::name_string(ias->issuer) : std::string();
}

std::string SignedData::signer_serial() const {
  const auto* ias = impl_->signer()->issuer_and_serial;
  return ias ? ossl::hex_upper(ossl::bytes(ias->serial)) : std::string();
}

std::optional<DigestAlgorithm> SignedData::signer_digest() const {
  const X509_ALGOR* alg = impl_->signer()->digest_alg;
  if (alg == nullptr) return std::nullopt;
  return ossl::digest_from_oid(ossl::obj_text(alg->algorithm));
}

std::span<const std::byte> SignedData::signature_value() const {
  return ossl::bytes(impl_->signer()->enc_digest);
}

const std::vector<SignerAttribute>& SignedData::authenticated_attributes() const {
  return impl_->authenticated;
}
const std::vector<SignerAttribute>& SignedData::unauthenticated_attributes() const {
  return impl_->unauthenticated;
}
const std::vector<CarriedCertificate>& SignedData::certificates() const {
  return impl_->certificates;
}

Result<IndirectDigest> SignedData::indirect_digest() const {
  const std::string& file = impl_->file;
  auto idc = decode_indirect_data(impl_->pkcs7());
  if (!idc) {
    const auto& e = idc.error();
    if (e.unsupported_digest)
      return input_error(e.message, file, e.where, "sign with sha1, sha256, sha384 or sha512");
    if (e.where == "contentInfo.contentType" || e.where == "contentInfo.content")
      return input_error(e.message, file, e.where, "give an Authenticode signature of a PE file");
    return input_error("malformed SpcIndirectDataContent: " + e.message, file, e.where,
                       "re-create the signature (it is damaged)");
  }
  return IndirectDigest{idc->alg, std::move(idc->digest)};
}

std::optional<std::vector<std::byte>> SignedData::timestamp_token() const {
  const PKCS7_SIGNER_INFO* si = impl_->signer();
  if (si->unauth_attr == nullptr) return std::nullopt;
  auto obj = ossl::obj(oid::kRfc3161Timestamp);
  const int idx = X509at_get_attr_by_OBJ(si->unauth_attr, obj.get(), -1);
  if (idx < 0) return std::nullopt;
  X509_ATTRIBUTE* attr = X509at_get_attr(si->unauth_attr, idx);
  ASN1_TYPE* t = attr ? X509_ATTRIBUTE_get0_type(attr, 0) : nullptr;
  if (t == nullptr || t->type != V_ASN1_SEQUENCE || t->value.sequence == nullptr)
    return std::vector<std::byte>{};  // present but unusable: verification reports it
  return ossl::copy(ossl::bytes(t->value.sequence));
}

std::optional<std::int64_t> SignedData::timestamp_time() const {
  auto token = timestamp_token();
  if (!token || token->empty()) return std::nullopt;
  auto t = ossl::from_der<ossl::Pkcs7Ptr>(*token, d2i_PKCS7);
  ossl::TsTstInfoPtr tst(t ? PKCS7_to_TS_TST_INFO(t.get()) : nullptr);
  ERR_clear_error();
  if (!tst) return std::nullopt;
  return ossl::unix_time(TS_TST_INFO_get_time(tst.get()));
}

const std::vector<NestedSignature>& SignedData::nested() const { return impl_->nested; }
const std::optional<Error>& SignedData::nested_error() const { return impl_->nested_error; }

Result<SignedData> SignedData::with_nested(const SignedData& inner) const {
  auto copy = impl_->edit();
  if (!copy) return std::unexpected(copy.error());
  if (auto st = add_nested_signature(ossl::first_signer(copy->get()), inner.der()); !st)
    return std::unexpected(st.error());
  return reencode(copy->get(), impl_->file, "the PKCS#7");
}

Result<ossl::Pkcs7Ptr> SignedData::Impl::edit() const {
  ossl::Pkcs7Ptr copy(PKCS7_dup(p7.get()));
  if (!copy) return internal_error("cannot copy the PKCS#7: " + ossl::take_errors(), file);
  return copy;
}

Result<SignedData> reencode(PKCS7* edited, const std::string& file, std::string_view what) {
  auto der = ossl::to_der(edited, i2d_PKCS7);
  if (der.empty())
    return internal_error(fmt::format("cannot encode {}: {}", what, ossl::take_errors()), file);
  return SignedData::parse(der, file);
}

std::vector<NestedStep> walk_nested(const SignedData& root) {
  std::vector<NestedStep> out;
  walk(root, 0, out);
  return out;
}

}  // namespace wslplug::signing
