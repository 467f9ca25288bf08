// verify_file: every WIN_CERTIFICATE entry and every nested signature; the image digests for
// all algorithms in use and the PE checksum come from one streaming pass.
#include <fmt/format.h>

#include <ctime>

#include "authenticode.hpp"

namespace wslplug::signing {

namespace {

constexpr std::string_view kOidSpcIndirectData = "1.3.6.1.4.1.311.2.1.4";
constexpr std::string_view kOidNestedSignature = "1.3.6.1.4.1.311.2.4.1";
constexpr std::uint64_t kMaxSignatureSize = 64u << 20;

std::string obj_text(const ASN1_OBJECT* obj) {
  char buf[128];
  OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return buf;
}

struct IndirectData {
  DigestAlgorithm alg;
  std::vector<std::uint8_t> digest;
  std::span<const std::uint8_t> value;  // the SEQUENCE's content bytes (messageDigest input)
};

// Parses SpcIndirectDataContent from the SignedData's contentInfo. Error text on failure.
std::expected<IndirectData, std::string> indirect_data(PKCS7* p7) {
  if (!p7 || !PKCS7_type_is_signed(p7) || !p7->d.sign || !p7->d.sign->contents)
    return std::unexpected("not a PKCS#7 SignedData");
  PKCS7* inner = p7->d.sign->contents;
  if (!inner->type || obj_text(inner->type) != kOidSpcIndirectData)
    return std::unexpected(
        "the content type is not SpcIndirectDataContent (1.3.6.1.4.1.311.2.1.4)");
  ASN1_TYPE* t = inner->d.other;
  if (!t || t->type != V_ASN1_SEQUENCE || !t->value.sequence)
    return std::unexpected("SpcIndirectDataContent is missing or not a SEQUENCE");
  std::span<const std::uint8_t> bytes(t->value.sequence->data,
                                      static_cast<std::size_t>(t->value.sequence->length));
  auto top = der::read_all(bytes);
  if (!top || top->tag != der::kSequence)
    return std::unexpected("SpcIndirectDataContent is malformed");
  auto rest = top->content;
  auto data = der::read(rest);
  auto digest_info = der::read(rest);
  if (!data || !digest_info || digest_info->tag != der::kSequence)
    return std::unexpected("SpcIndirectDataContent has no DigestInfo");
  auto di = digest_info->content;
  auto alg_id = der::read(di);
  auto octets = der::read(di);
  if (!alg_id || !octets || octets->tag != der::kOctetString || alg_id->tag != der::kSequence)
    return std::unexpected("the DigestInfo of SpcIndirectDataContent is malformed");
  auto ai = alg_id->content;
  auto oid = der::read(ai);
  if (!oid || oid->tag != der::kOid) return std::unexpected("the digest algorithm is malformed");
  const std::string text = der::oid_text(oid->content);
  std::optional<DigestAlgorithm> alg;
  for (auto a : {DigestAlgorithm::kSha1, DigestAlgorithm::kSha256, DigestAlgorithm::kSha384,
                 DigestAlgorithm::kSha512})
    if (digest_oid(a) == text) alg = a;
  if (!alg) return std::unexpected("unsupported digest algorithm " + text);
  return IndirectData{*alg, {octets->content.begin(), octets->content.end()}, top->content};
}

struct ErrorList {
  std::vector<std::pair<int, int>> errors;  // (error, depth)
};

int collect_errors(int ok, X509_STORE_CTX* ctx) {
  if (!ok) {
    auto* list = static_cast<ErrorList*>(X509_STORE_CTX_get_app_data(ctx));
    if (list)
      list->errors.emplace_back(X509_STORE_CTX_get_error(ctx), X509_STORE_CTX_get_error_depth(ctx));
  }
  return 1;  // keep going: we want every problem, not just the first
}

std::string cert_label(X509* c) { return ossl::name_string(X509_get_subject_name(c)); }

}  // namespace

TimestampHook& timestamp_hook() {
  static TimestampHook hook = default_timestamp_hook();  // timestamp_hook.cpp (issue 3)
  return hook;
}

ChainCheck check_chain(X509* leaf, STACK_OF(X509) * untrusted,
                       const std::vector<fs::path>& ca_files, std::int64_t at_time,
                       Purpose purpose) {
  ChainCheck r;
  ossl::StorePtr store(X509_STORE_new());
  if (ca_files.empty()) {
    X509_STORE_set_default_paths(store.get());
  } else {
    for (const auto& f : ca_files) {
      auto certs = load_certs(f, "--ca");
      if (!certs) {
        r.verdict |= kVerdictUntrustedRoot;
        r.problems.push_back(certs.error().describe());
        continue;
      }
      for (auto& c : *certs) X509_STORE_add_cert(store.get(), c.get());
    }
  }
  ERR_clear_error();
  ossl::StoreCtxPtr ctx(X509_STORE_CTX_new());
  ErrorList list;
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted);
  X509_STORE_CTX_set_app_data(ctx.get(), &list);
  X509_STORE_CTX_set_verify_cb(ctx.get(), collect_errors);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at_time));
  const int rc = X509_verify_cert(ctx.get());
  ERR_clear_error();
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  X509* top = chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, sk_X509_num(chain) - 1) : leaf;
  const bool top_self_signed = (X509_get_extension_flags(top) & EXFLAG_SS) != 0;

  bool trust_ok = rc == 1 || !list.errors.empty();
  r.validity_ok = true;
  for (auto [err, depth] : list.errors) {
    const std::string what =
        fmt::format("certificate at depth {}: {}", depth, X509_verify_cert_error_string(err));
    switch (err) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        r.verdict |= kVerdictExpired;
        r.validity_ok = false;
        break;
      case X509_V_ERR_CERT_NOT_YET_VALID:
        r.verdict |= kVerdictNotYetValid;
        r.validity_ok = false;
        break;
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_CERT_UNTRUSTED:
        r.verdict |= kVerdictUntrustedRoot;
        trust_ok = false;
        break;
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        r.verdict |= top_self_signed ? kVerdictUntrustedRoot : kVerdictChainIncomplete;
        trust_ok = false;
        break;
      case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        r.verdict |= kVerdictBadSignature;
        trust_ok = false;
        break;
      default:
        r.verdict |= kVerdictChainIncomplete;
        trust_ok = false;
        break;
    }
    if (err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
        err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) {
      r.problems.push_back(
          fmt::format("the chain ends in \"{}\", which is not a trusted root ({})", cert_label(top),
                      ca_files.empty() ? "not in the system store; pass it with --ca"
                                       : "not among the --ca files"));
    } else {
      r.problems.push_back(what);
    }
  }
  r.chain_ok = trust_ok;

  // Usage: the leaf needs the codeSigning (timeStamping) EKU when it has an EKU extension, and
  // digitalSignature when it has KeyUsage; a CA in the chain with an EKU must allow it too.
  const std::uint32_t want = purpose == Purpose::kCodeSigning ? XKU_CODE_SIGN : XKU_TIMESTAMP;
  const char* want_name = purpose == Purpose::kCodeSigning ? "codeSigning" : "timeStamping";
  r.eku_ok = true;
  const int n = chain ? sk_X509_num(chain) : 1;
  for (int i = 0; i < n; ++i) {
    X509* c = chain ? sk_X509_value(chain, i) : leaf;
    const std::uint32_t flags = X509_get_extension_flags(c);
    if ((flags & EXFLAG_XKUSAGE) && !(X509_get_extended_key_usage(c) & (want | XKU_ANYEKU))) {
      r.eku_ok = false;
      r.problems.push_back(
          fmt::format("\"{}\" has an extended key usage without {}", cert_label(c), want_name));
    }
    if (i == 0 && (flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(c) & KU_DIGITAL_SIGNATURE)) {
      r.eku_ok = false;
      r.problems.push_back(
          fmt::format("\"{}\" has a key usage without digitalSignature", cert_label(c)));
    }
  }
  if (!r.eku_ok) r.verdict |= kVerdictWrongUsage;
  // Leaf validity, also when the chain could not be built far.
  const time_t t = static_cast<time_t>(at_time);
  if (X509_cmp_time(X509_get0_notAfter(leaf), const_cast<time_t*>(&t)) < 0 &&
      !(r.verdict & kVerdictExpired)) {
    r.verdict |= kVerdictExpired;
    r.validity_ok = false;
    r.problems.push_back(fmt::format("\"{}\" expired", cert_label(leaf)));
  }
  if (X509_cmp_time(X509_get0_notBefore(leaf), const_cast<time_t*>(&t)) > 0 &&
      !(r.verdict & kVerdictNotYetValid)) {
    r.verdict |= kVerdictNotYetValid;
    r.validity_ok = false;
    r.problems.push_back(fmt::format("\"{}\" is not yet valid", cert_label(leaf)));
  }
  return r;
}

std::optional<DigestAlgorithm> declared_digest(PKCS7* p7) {
  auto d = indirect_data(p7);
  if (!d) return std::nullopt;
  return d->alg;
}

std::vector<ossl::Pkcs7Ptr> nested_signatures(PKCS7* p7) {
  std::vector<ossl::Pkcs7Ptr> out;
  if (!p7 || !PKCS7_type_is_signed(p7)) return out;
  auto* infos = PKCS7_get_signer_info(p7);
  if (!infos || sk_PKCS7_SIGNER_INFO_num(infos) < 1) return out;
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(infos, 0);
  for (int i = 0; i < sk_X509_ATTRIBUTE_num(si->unauth_attr); ++i) {
    X509_ATTRIBUTE* attr = sk_X509_ATTRIBUTE_value(si->unauth_attr, i);
    if (obj_text(X509_ATTRIBUTE_get0_object(attr)) != kOidNestedSignature) continue;
    for (int j = 0; j < X509_ATTRIBUTE_count(attr); ++j) {
      ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(attr, j);
      PKCS7* nested = nullptr;
      if (t && t->type == V_ASN1_SEQUENCE && t->value.sequence) {
        const unsigned char* p = t->value.sequence->data;
        nested = d2i_PKCS7(nullptr, &p, t->value.sequence->length);
      }
      out.emplace_back(nested);  // null: unparsable, reported as malformed
    }
  }
  ERR_clear_error();
  return out;
}

SignatureReport verify_signed_data(PKCS7* p7, const ComputedDigests& digests,
                                   const VerifyOptions& options, std::int64_t at_time) {
  SignatureReport r;
  auto malformed = [&](std::string why) {
    r.verdict |= kVerdictMalformed;
    r.problems.push_back(std::move(why));
    return r;
  };
  if (!p7) return malformed("the signature is not a parsable PKCS#7 SignedData");
  auto idc = indirect_data(p7);
  if (!idc) {
    if (idc.error().starts_with("unsupported digest")) {
      r.verdict |= kVerdictUnsupportedDigest;
      r.problems.push_back(idc.error());
      return r;
    }
    return malformed(idc.error());
  }
  r.digest_algorithm = std::string(digest_name(idc->alg));
  r.embedded_digest = ossl::hex_upper(idc->digest);
  if (const auto* computed = digests.find(idc->alg)) {
    r.computed_digest = ossl::hex_upper(*computed);
    r.digest_ok = *computed == idc->digest;
  }
  if (!r.digest_ok) {
    r.verdict |= kVerdictBadDigest;
    r.problems.push_back(fmt::format(
        "the file's {} Authenticode digest {} does not match the signed digest {}: the file was "
        "changed after signing",
        r.digest_algorithm, r.computed_digest, r.embedded_digest));
  }

  auto* infos = PKCS7_get_signer_info(p7);
  if (!infos || sk_PKCS7_SIGNER_INFO_num(infos) != 1)
    return malformed("the SignedData must have exactly one SignerInfo");
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(infos, 0);
  const int si_nid = OBJ_obj2nid(si->digest_alg->algorithm);
  if (digest_from_nid(si_nid) != idc->alg) {
    return malformed(
        fmt::format("the SignerInfo digest algorithm ({}) differs from the "
                    "SpcIndirectDataContent's ({})",
                    OBJ_nid2sn(si_nid), r.digest_algorithm));
  }
  STACK_OF(X509)* certs = p7->d.sign->cert;
  X509* signer = X509_find_by_issuer_and_serial(certs, si->issuer_and_serial->issuer,
                                                si->issuer_and_serial->serial);
  if (!signer) {
    r.verdict |= kVerdictChainIncomplete;
    r.problems.push_back("the signer's certificate is not included in the signature");
    return r;
  }
  r.signer_subject = ossl::name_string(X509_get_subject_name(signer));
  r.signer_issuer = ossl::name_string(X509_get_issuer_name(signer));
  r.signer_thumbprint_sha1 = ossl::hex_upper(ossl::cert_digest(signer, EVP_sha1()));
  r.signer_fingerprint_sha256 = ossl::hex_upper(ossl::cert_digest(signer, EVP_sha256()), ':');
  r.signer_not_before = ossl::time_to_unix(X509_get0_notBefore(signer));
  r.signer_not_after = ossl::time_to_unix(X509_get0_notAfter(signer));
  r.self_signed = (X509_get_extension_flags(signer) & EXFLAG_SS) != 0;
  if (ASN1_TYPE* st = PKCS7_get_signed_attribute(si, NID_pkcs9_signingTime)) {
    if (st->type == V_ASN1_UTCTIME || st->type == V_ASN1_GENERALIZEDTIME)
      r.signing_time = ossl::time_to_unix(st->value.utctime);
  }

  // PKCS#7 signature: messageDigest over the SpcIndirectDataContent value bytes, then the
  // signature over the DER SET OF signed attributes.
  const EVP_MD* md = evp_md(idc->alg);
  bool sig_ok = true;
  if (sk_X509_ATTRIBUTE_num(si->auth_attr) <= 0) {
    sig_ok = false;
    r.verdict |= kVerdictMalformed;
    r.problems.push_back("the SignerInfo has no authenticated attributes");
  } else {
    ASN1_OCTET_STRING* message_digest = PKCS7_digest_from_attributes(si->auth_attr);
    std::vector<std::uint8_t> content_digest(EVP_MAX_MD_SIZE);
    unsigned int n = 0;
    EVP_Digest(idc->value.data(), idc->value.size(), content_digest.data(), &n, md, nullptr);
    content_digest.resize(n);
    if (!message_digest ||
        std::span<const std::uint8_t>(message_digest->data,
                                      static_cast<std::size_t>(message_digest->length))
                .size() != n ||
        std::memcmp(message_digest->data, content_digest.data(), n) != 0) {
      sig_ok = false;
      r.problems.push_back("the messageDigest attribute does not match the SpcIndirectDataContent");
    }
    unsigned char* attrs = nullptr;
    const int alen = ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(si->auth_attr), &attrs,
                                   ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
    ossl::OsslBytes attrs_owner(attrs);
    ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_PKEY* pub = X509_get0_pubkey(signer);
    if (alen <= 0 || !pub || !ctx ||
        EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pub) != 1 ||
        EVP_DigestVerify(ctx.get(), si->enc_digest->data,
                         static_cast<std::size_t>(si->enc_digest->length), attrs,
                         static_cast<std::size_t>(alen)) != 1) {
      sig_ok = false;
      r.problems.push_back("the PKCS#7 signature does not verify with the signer's public key");
    }
    ERR_clear_error();
  }
  r.signature_ok = sig_ok;
  if (!sig_ok) r.verdict |= kVerdictBadSignature;

  // Timestamp (when the timestamp module is linked in) moves the validity time.
  std::int64_t chain_time = at_time;
  if (auto& hook = timestamp_hook()) {
    r.timestamp = hook(p7, si, options);
    if (r.timestamp) {
      if (r.timestamp->ok) {
        chain_time = r.timestamp->time;
      } else {
        r.verdict |= kVerdictBadTimestamp;
        r.problems.push_back("timestamp: " + r.timestamp->problem);
      }
    }
  }
  ChainCheck chain =
      check_chain(signer, certs, options.ca_files, chain_time, Purpose::kCodeSigning);
  r.chain_ok = chain.chain_ok;
  r.eku_ok = chain.eku_ok;
  r.validity_ok = chain.validity_ok;
  r.verdict |= chain.verdict;
  for (auto& p : chain.problems) r.problems.push_back(std::move(p));
  return r;
}

Result<FileReport> verify_file(const fs::path& path, const VerifyOptions& options) {
  auto img = pe::Image::open(path);
  if (!img) return std::unexpected(img.error());
  const pe::Layout& layout = img->layout();
  FileReport rep;
  rep.file = path.string();
  rep.stored_checksum = layout.stored_checksum;

  std::vector<pe::CertificateEntry> entries;
  if (layout.cert_dir_offset) {
    auto e = img->checked_certificate_entries();
    if (!e) return std::unexpected(e.error());
    entries = std::move(*e);
  }
  rep.is_signed = !entries.empty();

  // Parse every signature first, so one pass computes every digest in use.
  struct Sig {
    ossl::Pkcs7Ptr p7;
    bool nested = false;
    std::string problem;  // set when the entry itself is unusable
  };
  std::vector<Sig> sigs;
  for (const auto& e : entries) {
    if (e.type != pe::kWinCertTypePkcsSignedData) {
      sigs.push_back({nullptr, false,
                      fmt::format("WIN_CERTIFICATE at {} has type {:#06x}, not "
                                  "WIN_CERT_TYPE_PKCS_SIGNED_DATA (0x0002)",
                                  offset_str(e.offset), e.type)});
      continue;
    }
    if (e.data_length() > kMaxSignatureSize) {
      sigs.push_back({nullptr, false,
                      fmt::format("WIN_CERTIFICATE at {} is {} bytes, too large for a signature",
                                  offset_str(e.offset), e.data_length())});
      continue;
    }
    auto data = img->file().read_vec(e.data_offset(), e.data_length());
    if (!data) return std::unexpected(data.error());
    const unsigned char* p = reinterpret_cast<const unsigned char*>(data->data());
    ossl::Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(data->size())));
    ERR_clear_error();
    if (!p7) {
      sigs.push_back({nullptr, false,
                      fmt::format("the PKCS#7 data of the WIN_CERTIFICATE at {} does not parse",
                                  offset_str(e.offset))});
      continue;
    }
    auto nested = nested_signatures(p7.get());
    sigs.push_back({std::move(p7), false, {}});
    for (auto& n : nested) {
      const bool ok = n != nullptr;
      sigs.push_back({std::move(n), true, ok ? "" : "a nested signature does not parse"});
    }
  }

  std::vector<DigestAlgorithm> algs;
  for (const auto& s : sigs) {
    if (!s.p7) continue;
    if (auto a = declared_digest(s.p7.get());
        a && std::find(algs.begin(), algs.end(), *a) == algs.end())
      algs.push_back(*a);
  }
  std::vector<ossl::MdCtxPtr> ctxs;
  std::vector<EVP_MD_CTX*> raw;
  for (auto a : algs) {
    ctxs.emplace_back(EVP_MD_CTX_new());
    EVP_DigestInit_ex(ctxs.back().get(), evp_md(a), nullptr);
    raw.push_back(ctxs.back().get());
  }
  pe::ChecksumAccumulator acc(layout.checksum_offset);
  // One thread: the checksum is cheap next to hashing, and a hand-off to a second thread costs
  // more than it saves when the CPUs are busy.
  auto st = stream_image(img->file(), hash_ranges(layout), layout.file_size, raw, {},
                         [&](std::uint64_t off, std::span<std::byte> data) -> Status {
                           acc.add(off, data);
                           return {};
                         });
  if (!st) return std::unexpected(st.error());
  rep.computed_checksum = acc.finish(layout.file_size);
  rep.checksum_ok = rep.computed_checksum == rep.stored_checksum;
  ComputedDigests computed;
  for (std::size_t i = 0; i < algs.size(); ++i) {
    std::vector<std::uint8_t> d(EVP_MAX_MD_SIZE);
    unsigned int n = 0;
    EVP_DigestFinal_ex(raw[i], d.data(), &n);
    d.resize(n);
    computed.values.emplace_back(algs[i], std::move(d));
  }

  const std::int64_t now =
      options.at_time ? *options.at_time : static_cast<std::int64_t>(::time(nullptr));
  bool all_ok = rep.is_signed;
  for (std::size_t i = 0; i < sigs.size(); ++i) {
    SignatureReport sr;
    if (!sigs[i].p7) {
      sr.verdict = kVerdictMalformed;
      sr.problems.push_back(sigs[i].problem);
    } else {
      sr = verify_signed_data(sigs[i].p7.get(), computed, options, now);
    }
    sr.index = i;
    sr.nested = sigs[i].nested;
    all_ok = all_ok && sr.ok();
    rep.signatures.push_back(std::move(sr));
  }
  rep.ok = all_ok && rep.checksum_ok;
  return rep;
}

}  // namespace wslplug::signing
