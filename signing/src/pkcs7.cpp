// The PKCS#7 SignedData encoder. Written as explicit DER so the output is exactly what
// osslsigncode produces for the same inputs (see docs/signing.md, "The PKCS#7 we emit").
#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "authenticode.hpp"

namespace wslplug::signing {

namespace {

constexpr std::string_view kOidSignedData = "1.2.840.113549.1.7.2";
constexpr std::string_view kOidSpcIndirectData = "1.3.6.1.4.1.311.2.1.4";
constexpr std::string_view kOidSpcPeImageData = "1.3.6.1.4.1.311.2.1.15";
constexpr std::string_view kOidContentType = "1.2.840.113549.1.9.3";
constexpr std::string_view kOidMessageDigest = "1.2.840.113549.1.9.4";
constexpr std::string_view kOidSigningTime = "1.2.840.113549.1.9.5";
constexpr std::string_view kOidStatementType = "1.3.6.1.4.1.311.2.1.11";
constexpr std::string_view kOidOpusInfo = "1.3.6.1.4.1.311.2.1.12";
constexpr std::string_view kOidIndividual = "1.3.6.1.4.1.311.2.1.21";
constexpr std::string_view kOidCommercial = "1.3.6.1.4.1.311.2.1.22";
constexpr std::string_view kOidRsaEncryption = "1.2.840.113549.1.1.1";

der::Bytes algorithm_id(DigestAlgorithm alg) {
  return der::seq({der::oid(digest_oid(alg)), der::null()});
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// SpcString: [1] IMPLICIT IA5String for ASCII text (as osslsigncode writes it), else
// [0] IMPLICIT BMPString (UTF-16BE).
der::Bytes spc_string(std::string_view text) {
  if (is_ascii(text)) {
    return der::tlv(der::ctx_prim(1),
                    std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  der::Bytes bmp;
  for (std::size_t i = 0; i < text.size();) {
    // UTF-8 decode (BMP only; others become U+FFFD).
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::uint32_t cp = 0xfffd;
    std::size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 6 && i + 1 < text.size()) {
      cp = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3fu);
      len = 2;
    } else if ((c >> 4) == 14 && i + 2 < text.size()) {
      cp = ((c & 0x0fu) << 12) | ((static_cast<unsigned char>(text[i + 1]) & 0x3fu) << 6) |
           (static_cast<unsigned char>(text[i + 2]) & 0x3fu);
      len = 3;
    } else if ((c >> 3) == 30) {
      len = 4;
    }
    i += len;
    bmp.push_back(static_cast<std::uint8_t>(cp >> 8));
    bmp.push_back(static_cast<std::uint8_t>(cp & 0xff));
  }
  return der::tlv(der::ctx_prim(0), bmp);
}

der::Bytes attribute(std::string_view type, const der::Bytes& value) {
  return der::seq({der::oid(type), der::set_of({value})});
}

}  // namespace

der::Bytes spc_indirect_data(DigestAlgorithm alg, std::span<const std::uint8_t> digest) {
  static constexpr std::string_view kObsolete = "<<<Obsolete>>>";
  der::Bytes bmp;
  for (char c : kObsolete) {
    bmp.push_back(0);
    bmp.push_back(static_cast<std::uint8_t>(c));
  }
  const der::Bytes flags = {der::kBitString, 0x02, 0x07, 0x80};
  const der::Bytes link =
      der::tlv(der::ctx_cons(0), der::tlv(der::ctx_cons(2), der::tlv(der::ctx_prim(0), bmp)));
  const der::Bytes pe_image = der::seq({flags, link});
  const der::Bytes data = der::seq({der::oid(kOidSpcPeImageData), pe_image});
  const der::Bytes digest_info = der::seq({algorithm_id(alg), der::octets(digest)});
  return der::seq({data, digest_info});
}

Result<der::Bytes> build_signed_data(const Credentials& creds, const SignOptions& options,
                                     std::span<const std::uint8_t> image_digest) {
  const auto& impl = creds.impl();
  const EVP_MD* md = evp_md(options.digest);
  const der::Bytes idc = spc_indirect_data(options.digest, image_digest);
  auto idc_el = der::read_all(idc);
  if (!idc_el) return internal_error("cannot re-read the SpcIndirectDataContent we built");

  // messageDigest: over the SpcIndirectDataContent value bytes (no outer tag/length).
  std::vector<std::uint8_t> content_digest(EVP_MAX_MD_SIZE);
  unsigned int cdlen = 0;
  if (EVP_Digest(idc_el->content.data(), idc_el->content.size(), content_digest.data(), &cdlen, md,
                 nullptr) != 1) {
    return internal_error("digest of the SpcIndirectDataContent failed: " + ossl::take_errors());
  }
  content_digest.resize(cdlen);

  std::vector<der::Bytes> attrs;
  attrs.push_back(attribute(kOidContentType, der::oid(kOidSpcIndirectData)));
  {
    const std::int64_t t =
        options.signing_time ? *options.signing_time : static_cast<std::int64_t>(::time(nullptr));
    ossl::TimePtr at(ASN1_TIME_set(nullptr, static_cast<time_t>(t)));
    if (!at) return internal_error("cannot encode the signing time " + std::to_string(t));
    attrs.push_back(attribute(kOidSigningTime, ossl::to_der<ASN1_TIME>(at.get(), i2d_ASN1_TIME)));
  }
  attrs.push_back(
      attribute(kOidStatementType,
                der::seq({der::oid(options.commercial ? kOidCommercial : kOidIndividual)})));
  attrs.push_back(attribute(kOidMessageDigest, der::octets(content_digest)));
  if (!options.description.empty() || !options.url.empty()) {
    der::Bytes fields;
    if (!options.description.empty()) {
      auto f = der::tlv(der::ctx_cons(0), spc_string(options.description));
      fields.insert(fields.end(), f.begin(), f.end());
    }
    if (!options.url.empty()) {
      // moreInfo SpcLink: [0] IMPLICIT IA5String url.
      auto f =
          der::tlv(der::ctx_cons(1),
                   der::tlv(der::ctx_prim(0),
                            std::span(reinterpret_cast<const std::uint8_t*>(options.url.data()),
                                      options.url.size())));
      fields.insert(fields.end(), f.begin(), f.end());
    }
    attrs.push_back(attribute(kOidOpusInfo, der::tlv(der::kSequence, fields)));
  }
  der::Bytes signed_attrs = der::set_of(std::move(attrs));

  // The signature covers the DER SET OF (tag 0x31); inside SignerInfo it is [0] IMPLICIT.
  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t siglen = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, impl.key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &siglen, signed_attrs.data(), signed_attrs.size()) != 1) {
    return internal_error("cannot start the signature: " + ossl::take_errors());
  }
  std::vector<std::uint8_t> sig(siglen);
  if (EVP_DigestSign(ctx.get(), sig.data(), &siglen, signed_attrs.data(), signed_attrs.size()) !=
      1) {
    return internal_error("signing failed: " + ossl::take_errors());
  }
  sig.resize(siglen);
  signed_attrs[0] = der::ctx_cons(0);

  der::Bytes sig_alg;
  if (EVP_PKEY_get_base_id(impl.key.get()) == EVP_PKEY_EC) {
    std::string_view ec_oid = "1.2.840.10045.4.3.2";
    switch (options.digest) {
      case DigestAlgorithm::kSha1:
        ec_oid = "1.2.840.10045.4.1";
        break;
      case DigestAlgorithm::kSha256:
        break;
      case DigestAlgorithm::kSha384:
        ec_oid = "1.2.840.10045.4.3.3";
        break;
      case DigestAlgorithm::kSha512:
        ec_oid = "1.2.840.10045.4.3.4";
        break;
    }
    sig_alg = der::seq({der::oid(ec_oid)});
  } else {
    sig_alg = der::seq({der::oid(kOidRsaEncryption), der::null()});
  }

  const auto issuer = ossl::to_der<X509_NAME>(X509_get_issuer_name(impl.cert.get()), i2d_X509_NAME);
  const auto serial =
      ossl::to_der<ASN1_INTEGER>(X509_get0_serialNumber(impl.cert.get()), i2d_ASN1_INTEGER);
  if (issuer.empty() || serial.empty()) {
    return internal_error("cannot encode the signer's issuer and serial number: " +
                          ossl::take_errors());
  }
  const der::Bytes signer_info =
      der::seq({der::integer_small(1), der::seq({issuer, serial}), algorithm_id(options.digest),
                signed_attrs, sig_alg, der::octets(sig)});

  // Certificates: signer + chain, duplicates removed, sorted by DER (as a SET OF).
  std::vector<der::Bytes> certs;
  auto add_cert = [&](const X509* c) {
    auto d = ossl::to_der<X509>(c, i2d_X509);
    if (!d.empty() && std::find(certs.begin(), certs.end(), d) == certs.end()) certs.push_back(d);
  };
  add_cert(impl.cert.get());
  for (const auto& c : impl.chain) add_cert(c.get());
  der::Bytes cert_set = der::set_of(std::move(certs));
  cert_set[0] = der::ctx_cons(0);

  const der::Bytes content_info =
      der::seq({der::oid(kOidSpcIndirectData), der::tlv(der::ctx_cons(0), idc)});
  const der::Bytes signed_data =
      der::seq({der::integer_small(1), der::set_of({algorithm_id(options.digest)}), content_info,
                cert_set, der::set_of({signer_info})});
  return der::seq({der::oid(kOidSignedData), der::tlv(der::ctx_cons(0), signed_data)});
}

}  // namespace wslplug::signing
