// The PKCS#7 SignedData encoder, written as explicit DER so the output is exactly what
// osslsigncode produces for the same inputs (see docs/signing.md, "The PKCS#7 we emit"), and
// the one SpcIndirectDataContent decoder.
#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "authenticode.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/core/utf8.hpp"
#include "wslplug/signing/oids.hpp"

namespace wslplug::signing {

namespace {

der::Bytes algorithm_id(DigestAlgorithm alg) {
  return der::seq({der::oid(ossl::digest_oid(alg)), der::null()});
}

// SpcString: [1] IMPLICIT IA5String for ASCII text (as osslsigncode writes it), else
// [0] IMPLICIT BMPString (UTF-16BE).
der::Bytes spc_string(std::string_view text) {
  if (is_ascii(text)) {
    return der::tlv(der::ctx_prim(1), der::text(text));
  }
  der::Bytes bmp;
  for (std::size_t i = 0; i < text.size();) {
    // One UTF-16 unit per character: the BMP only, others (and bytes that are not UTF-8) become
    // U+FFFD.
    char32_t cp = next_utf8(text, i).value_or(kReplacementCharacter);
    if (cp > 0xffff) cp = kReplacementCharacter;
    bmp.push_back(static_cast<std::byte>(cp >> 8));
    bmp.push_back(static_cast<std::byte>(cp & 0xff));
  }
  return der::tlv(der::ctx_prim(0), bmp);
}

der::Bytes attribute(std::string_view type, const der::Bytes& value) {
  return der::seq({der::oid(type), der::set_of({value})});
}

}  // namespace

der::Bytes spc_indirect_data(DigestAlgorithm alg, std::span<const std::byte> digest) {
  static constexpr std::string_view kObsolete = "<<<Obsolete>>>";
  der::Bytes bmp;
  for (char c : kObsolete) {
    bmp.push_back(std::byte{0});
    bmp.push_back(static_cast<std::byte>(c));
  }
  const der::Bytes flags = {std::byte{der::kBitString}, std::byte{0x02}, std::byte{0x07},
                            std::byte{0x80}};
  const der::Bytes link =
      der::tlv(der::ctx_cons(0), der::tlv(der::ctx_cons(2), der::tlv(der::ctx_prim(0), bmp)));
  const der::Bytes pe_image = der::seq({flags, link});
  const der::Bytes data = der::seq({der::oid(oid::kSpcPeImageData), pe_image});
  const der::Bytes digest_info = der::seq({algorithm_id(alg), der::octets(digest)});
  return der::seq({data, digest_info});
}

Result<SignedAttributes> signed_attributes(const SignOptions& options,
                                           std::span<const std::byte> image_digest) {
  const der::Bytes idc = spc_indirect_data(options.digest, image_digest);
  auto idc_el = der::read_all(idc);
  if (!idc_el) return internal_error("cannot re-read the SpcIndirectDataContent we built");

  // messageDigest: over the SpcIndirectDataContent value bytes (no outer tag/length).
  auto content_digest = ossl::digest_of(idc_el->content, options.digest);
  if (!content_digest) return std::unexpected(content_digest.error());

  std::vector<der::Bytes> attrs;
  attrs.push_back(attribute(oid::kContentType, der::oid(oid::kSpcIndirectData)));
  {
    const std::int64_t t =
        options.signing_time ? *options.signing_time : static_cast<std::int64_t>(::time(nullptr));
    ossl::TimePtr at(ASN1_TIME_set(nullptr, static_cast<time_t>(t)));
    if (!at) return internal_error("cannot encode the signing time " + std::to_string(t));
    attrs.push_back(attribute(oid::kSigningTime, ossl::to_der(at.get(), i2d_ASN1_TIME)));
  }
  attrs.push_back(attribute(
      oid::kSpcStatementType,
      der::seq({der::oid(options.commercial ? oid::kSpcCommercial : oid::kSpcIndividual)})));
  attrs.push_back(attribute(oid::kMessageDigest, der::octets(*content_digest)));
  if (!options.description.empty() || !options.url.empty()) {
    der::Bytes fields;
    if (!options.description.empty()) {
      auto f = der::tlv(der::ctx_cons(0), spc_string(options.description));
      fields.insert(fields.end(), f.begin(), f.end());
    }
    if (!options.url.empty()) {
      // moreInfo SpcLink: [0] IMPLICIT IA5String url.
      auto f = der::tlv(der::ctx_cons(1), der::tlv(der::ctx_prim(0), der::text(options.url)));
      fields.insert(fields.end(), f.begin(), f.end());
    }
    attrs.push_back(attribute(oid::kSpcSpOpusInfo, der::tlv(der::kSequence, fields)));
  }
  if (options.sequence_number)
    attrs.push_back(attribute(oid::kSequenceNumber,
                              der::integer_small(static_cast<unsigned>(*options.sequence_number))));
  SignedAttributes out;
  out.attributes = der::set_of(std::move(attrs));
  // The signature covers the DER SET OF (tag 0x31); inside SignerInfo it is [0] IMPLICIT.
  auto to_sign = ossl::digest_of(out.attributes, options.digest);
  if (!to_sign) return std::unexpected(to_sign.error());
  out.to_sign = std::move(*to_sign);
  return out;
}

Result<der::Bytes> assemble_signed_data(const X509* cert, const std::vector<const X509*>& chain,
                                        DigestAlgorithm digest,
                                        std::span<const std::byte> image_digest,
                                        const SignedAttributes& attrs,
                                        std::span<const std::byte> signature,
                                        const std::string& signer) {
  auto kind = cert_key_kind(cert, {});
  if (!kind) return std::unexpected(kind.error());
  const std::string subject = ossl::name_string(X509_get_subject_name(cert));
  const std::string thumb = ossl::hex_upper(ossl::cert_digest(cert, EVP_sha1()));
  if (signature.empty())
    return input_error(fmt::format("{} returned no signature", signer), {}, "signature",
                       "the signer must write the raw signature bytes of the digest");
  if (!signature_matches(cert, digest, attrs.to_sign, signature))
    return input_error(
        fmt::format("the signature from {} ({} bytes) does not verify against the certificate "
                    "{} (SHA-1 {}): another key signed it, or it is not a raw {} signature of "
                    "the {} digest",
                    signer, signature.size(), subject, thumb,
                    *kind == KeyKind::kRsa ? "PKCS#1 v1.5" : "DER ECDSA", digest_name(digest)),
        {}, "signature",
        "sign with the private key of this certificate, output the raw binary signature "
        "(decode base64 output first), and sign the digest, not a hash of it");

  der::Bytes signed_attrs = attrs.attributes;
  signed_attrs[0] = std::byte{der::ctx_cons(0)};

  der::Bytes sig_alg;
  if (*kind == KeyKind::kEcdsa) {
    std::string_view ec_oid = oid::kEcdsaWithSha256;
    switch (digest) {
      case DigestAlgorithm::kSha1:
        ec_oid = oid::kEcdsaWithSha1;
        break;
      case DigestAlgorithm::kSha256:
        break;
      case DigestAlgorithm::kSha384:
        ec_oid = oid::kEcdsaWithSha384;
        break;
      case DigestAlgorithm::kSha512:
        ec_oid = oid::kEcdsaWithSha512;
        break;
    }
    sig_alg = der::seq({der::oid(ec_oid)});
  } else {
    sig_alg = der::seq({der::oid(oid::kRsaEncryption), der::null()});
  }

  const auto issuer = ossl::to_der(X509_get_issuer_name(cert), i2d_X509_NAME);
  const auto serial = ossl::to_der(X509_get0_serialNumber(cert), i2d_ASN1_INTEGER);
  if (issuer.empty() || serial.empty()) {
    return internal_error("cannot encode the signer's issuer and serial number: " +
                          ossl::take_errors());
  }
  const der::Bytes signer_info =
      der::seq({der::integer_small(1), der::seq({issuer, serial}), algorithm_id(digest),
                signed_attrs, sig_alg, der::octets(signature)});

  // Certificates: signer + chain, duplicates removed, sorted by DER (as a SET OF).
  std::vector<der::Bytes> certs;
  auto add_cert = [&](const X509* c) {
    auto d = ossl::to_der(c, i2d_X509);
    if (!d.empty() && std::find(certs.begin(), certs.end(), d) == certs.end()) certs.push_back(d);
  };
  add_cert(cert);
  for (const X509* c : chain) add_cert(c);
  der::Bytes cert_set = der::set_of(std::move(certs));
  cert_set[0] = std::byte{der::ctx_cons(0)};

  const der::Bytes idc = spc_indirect_data(digest, image_digest);
  const der::Bytes content_info =
      der::seq({der::oid(oid::kSpcIndirectData), der::tlv(der::ctx_cons(0), idc)});
  const der::Bytes signed_data =
      der::seq({der::integer_small(1), der::set_of({algorithm_id(digest)}), content_info, cert_set,
                der::set_of({signer_info})});
  return der::seq({der::oid(oid::kSignedData), der::tlv(der::ctx_cons(0), signed_data)});
}

Result<der::Bytes> build_signed_data(const Credentials& creds, const SignOptions& options,
                                     std::span<const std::byte> image_digest) {
  const auto& impl = creds.impl();
  if (!impl.signer) return internal_error("the credentials have no signer");
  auto attrs = signed_attributes(options, image_digest);
  if (!attrs) return std::unexpected(attrs.error());
  auto sig = impl.signer->sign(options.digest, attrs->to_sign);
  if (!sig) return std::unexpected(sig.error());
  std::vector<const X509*> chain;
  for (const auto& c : impl.chain) chain.push_back(c.get());
  return assemble_signed_data(impl.cert.get(), chain, options.digest, image_digest, *attrs, *sig,
                              impl.signer->describe());
}

std::expected<IndirectData, IndirectDataError> decode_indirect_data(PKCS7* p7) {
  auto bad = [](std::string message, std::string where) {
    return std::unexpected(IndirectDataError{false, std::move(message), std::move(where)});
  };
  if (!p7 || !PKCS7_type_is_signed(p7) || !p7->d.sign || !p7->d.sign->contents)
    return bad("not a PKCS#7 SignedData", "contentType");
  PKCS7* inner = p7->d.sign->contents;
  const std::string type = ossl::obj_text(inner->type);
  if (type != oid::kSpcIndirectData)
    return bad(fmt::format("the content type is {}, not SpcIndirectDataContent ({})",
                           type.empty() ? "missing" : type, oid::kSpcIndirectData),
               "contentInfo.contentType");
  const ASN1_TYPE* t = inner->d.other;
  if (!t || t->type != V_ASN1_SEQUENCE || !t->value.sequence)
    return bad("SpcIndirectDataContent is missing or not a SEQUENCE", "contentInfo.content");
  constexpr const char* kDigestField = "SpcIndirectDataContent.messageDigest";
  auto top = der::read_all(ossl::bytes(t->value.sequence));
  if (!top || top->tag != der::kSequence)
    return bad("SpcIndirectDataContent is malformed", kDigestField);
  auto rest = top->content;
  auto data = der::read(rest);  // SpcAttributeTypeAndOptionalValue, not needed here
  auto digest_info = der::read(rest);
  if (!data || !digest_info || digest_info->tag != der::kSequence)
    return bad("SpcIndirectDataContent has no DigestInfo", kDigestField);
  auto di = digest_info->content;
  auto alg_id = der::read(di);
  auto octets = der::read(di);
  if (!alg_id || !octets || octets->tag != der::kOctetString || alg_id->tag != der::kSequence)
    return bad("the DigestInfo of SpcIndirectDataContent is malformed", kDigestField);
  auto ai = alg_id->content;
  auto algo = der::read(ai);
  if (!algo || algo->tag != der::kOid)
    return bad("the digest algorithm is malformed",
               "SpcIndirectDataContent.messageDigest.digestAlgorithm");
  const std::string text = der::oid_text(algo->content);
  auto alg = ossl::digest_from_oid(text);
  if (!alg)
    return std::unexpected(
        IndirectDataError{true, "unsupported digest algorithm " + text,
                          "SpcIndirectDataContent.messageDigest.digestAlgorithm"});
  return IndirectData{*alg, ossl::copy(octets->content), top->content};
}

}  // namespace wslplug::signing
