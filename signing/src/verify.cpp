// verify_file: every WIN_CERTIFICATE entry and every nested signature; the image digests for
// all algorithms in use and the PE checksum come from one streaming pass (the reader thread
// sums the checksum while this thread hashes).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "authenticode.hpp"
#include "image.hpp"
#include "wslplug/signing/nested.hpp"
#include "wslplug/signing/timestamp.hpp"

namespace wslplug::signing {

std::vector<std::string_view> verdict_names(Verdict v) {
  std::vector<std::string_view> out;
  for (const auto& info : kVerdicts)
    if (has(v, info.bit)) out.push_back(info.name);
  return out;
}

namespace {

// ---------------------------------------------------------------- chain
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

// Runs X509_verify_cert collecting every error: its result, or -1 (with a problem) when the
// store context cannot be set up.
int build_chain(X509* leaf, STACK_OF(X509) * untrusted, X509_STORE* store, std::int64_t at_time,
                ossl::StoreCtxPtr& ctx, ErrorList& list, ChainCheck& r) {
  ctx.reset(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store, leaf, untrusted) != 1 ||
      X509_STORE_CTX_set_app_data(ctx.get(), &list) != 1) {
    r.verdict |= Verdict::kChainIncomplete;
    r.problems.push_back("cannot set up the certificate chain check: " + ossl::take_errors());
    return -1;
  }
  X509_STORE_CTX_set_verify_cb(ctx.get(), collect_errors);
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), static_cast<time_t>(at_time));
  const int rc = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (rc < 0) {
    r.verdict |= Verdict::kChainIncomplete;
    r.problems.push_back("the certificate chain check could not run");
  }
  return rc;
}

// Maps the collected verification errors to verdict bits and sentences.
void classify_chain_errors(int rc, const ErrorList& list, X509* top, bool top_self_signed,
                           bool system_store, ChainCheck& r) {
  bool trust_ok = rc == 1 || !list.errors.empty();
  r.validity_ok = true;
  for (auto [err, depth] : list.errors) {
    switch (err) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        r.verdict |= Verdict::kExpired;
        r.validity_ok = false;
        break;
      case X509_V_ERR_CERT_NOT_YET_VALID:
        r.verdict |= Verdict::kNotYetValid;
        r.validity_ok = false;
        break;
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_CERT_UNTRUSTED:
        r.verdict |= Verdict::kUntrustedRoot;
        trust_ok = false;
        break;
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        r.verdict |= top_self_signed ? Verdict::kUntrustedRoot : Verdict::kChainIncomplete;
        trust_ok = false;
        break;
      case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        r.verdict |= Verdict::kBadSignature;
        trust_ok = false;
        break;
      default:
        r.verdict |= Verdict::kChainIncomplete;
        trust_ok = false;
        break;
    }
    if (err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
        err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) {
      r.problems.push_back(fmt::format("the chain ends in \"{}\", which is not a trusted root ({})",
                                       cert_label(top),
                                       system_store ? "not in the system store; pass it with --ca"
                                                    : "not among the --ca files"));
    } else {
      r.problems.push_back(
          fmt::format("certificate at depth {}: {}", depth, X509_verify_cert_error_string(err)));
    }
  }
  r.chain_ok = trust_ok;
}

// Usage: the leaf needs the codeSigning (timeStamping) EKU when it has an EKU extension, and
// digitalSignature when it has KeyUsage; a CA in the chain with an EKU must allow it too.
void check_usage(STACK_OF(X509) * chain, X509* leaf, Purpose purpose, ChainCheck& r) {
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
  if (!r.eku_ok) r.verdict |= Verdict::kWrongUsage;
}

// Leaf validity, also when the chain could not be built far.
void check_leaf_validity(X509* leaf, std::int64_t at_time, ChainCheck& r) {
  time_t t = static_cast<time_t>(at_time);
  if (X509_cmp_time(X509_get0_notAfter(leaf), &t) < 0 && !has(r.verdict, Verdict::kExpired)) {
    r.verdict |= Verdict::kExpired;
    r.validity_ok = false;
    r.problems.push_back(fmt::format("\"{}\" expired", cert_label(leaf)));
  }
  if (X509_cmp_time(X509_get0_notBefore(leaf), &t) > 0 && !has(r.verdict, Verdict::kNotYetValid)) {
    r.verdict |= Verdict::kNotYetValid;
    r.validity_ok = false;
    r.problems.push_back(fmt::format("\"{}\" is not yet valid", cert_label(leaf)));
  }
}

}  // namespace

ChainCheck check_chain(X509* leaf, STACK_OF(X509) * untrusted,
                       const std::vector<fs::path>& ca_files, std::int64_t at_time,
                       Purpose purpose) {
  ChainCheck r;
  auto store = ossl::load_trust_store(ca_files, "--ca");
  if (!store) {
    // Report it and check usage and validity anyway, against an empty store.
    r.verdict |= Verdict::kUntrustedRoot;
    r.problems.push_back(store.error().describe());
    store = ossl::StorePtr(X509_STORE_new());
    if (!*store) return r;
  }
  ossl::StoreCtxPtr ctx;
  ErrorList list;
  STACK_OF(X509)* chain = nullptr;
  const int rc = build_chain(leaf, untrusted, store->get(), at_time, ctx, list, r);
  if (rc >= 0) {
    chain = X509_STORE_CTX_get0_chain(ctx.get());
    X509* top =
        chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, sk_X509_num(chain) - 1) : leaf;
    const bool top_self_signed = (X509_get_extension_flags(top) & EXFLAG_SS) != 0;
    classify_chain_errors(rc, list, top, top_self_signed, ca_files.empty(), r);
  }
  check_usage(chain, leaf, purpose, r);
  check_leaf_validity(leaf, at_time, r);
  return r;
}

namespace {

// What the streaming pass computed, per digest algorithm.
struct ComputedDigests {
  std::vector<std::pair<DigestAlgorithm, std::vector<std::byte>>> values;
  [[nodiscard]] const std::vector<std::byte>* find(DigestAlgorithm alg) const {
    for (const auto& [a, v] : values)
      if (a == alg) return &v;
    return nullptr;
  }
};

// ---------------------------------------------------------------- one signature
// Nested signatures of the first SignerInfo at any depth (each followed by its own nested ones,
// up to kMaxNestingDepth levels); a null entry for one that does not parse.
constexpr int kMaxNestingDepth = 32;
std::vector<ossl::Pkcs7Ptr> nested_of(PKCS7* p7, int depth = 0) {
  std::vector<ossl::Pkcs7Ptr> out;
  auto list = nested_signatures(ossl::first_signer(p7));
  if (!list || depth >= kMaxNestingDepth) {
    out.emplace_back();  // reported as malformed
    return out;
  }
  for (const auto& der : *list) {
    out.push_back(ossl::from_der<ossl::Pkcs7Ptr>(der, d2i_PKCS7));
    if (!out.back() || !PKCS7_type_is_signed(out.back().get()) ||
        ossl::first_signer(out.back().get()) == nullptr)
      continue;
    for (auto& inner : nested_of(out.back().get(), depth + 1)) out.push_back(std::move(inner));
  }
  return out;
}

// The signer's identity fields of the report.
void describe_signer(X509* signer, PKCS7_SIGNER_INFO* si, SignatureReport& r) {
  r.signer_subject = ossl::name_string(X509_get_subject_name(signer));
  r.signer_issuer = ossl::name_string(X509_get_issuer_name(signer));
  r.signer_thumbprint_sha1 = ossl::hex_upper(ossl::cert_digest(signer, EVP_sha1()));
  r.signer_fingerprint_sha256 = ossl::hex_upper(ossl::cert_digest(signer, EVP_sha256()), ':');
  r.signer_not_before = ossl::unix_time(X509_get0_notBefore(signer)).value_or(0);
  r.signer_not_after = ossl::unix_time(X509_get0_notAfter(signer)).value_or(0);
  r.self_signed = (X509_get_extension_flags(signer) & EXFLAG_SS) != 0;
  if (ASN1_TYPE* st = PKCS7_get_signed_attribute(si, NID_pkcs9_signingTime)) {
    if (st->type == V_ASN1_UTCTIME || st->type == V_ASN1_GENERALIZEDTIME)
      r.signing_time = ossl::unix_time(st->value.utctime);
  }
}

// The PKCS#7 signature: messageDigest over the SpcIndirectDataContent value bytes, then the
// signature over the DER SET OF signed attributes.
bool check_pkcs7_signature(PKCS7_SIGNER_INFO* si, X509* signer, const IndirectData& idc,
                           SignatureReport& r) {
  if (sk_X509_ATTRIBUTE_num(si->auth_attr) <= 0) {
    r.verdict |= Verdict::kMalformed;
    r.problems.push_back("the SignerInfo has no authenticated attributes");
    return false;
  }
  bool ok = true;
  const ASN1_OCTET_STRING* message_digest = PKCS7_digest_from_attributes(si->auth_attr);
  auto content_digest = ossl::digest_of(idc.value, idc.alg);
  if (!content_digest || !message_digest ||
      !std::ranges::equal(ossl::bytes(message_digest), *content_digest)) {
    ok = false;
    r.problems.push_back("the messageDigest attribute does not match the SpcIndirectDataContent");
  }
  unsigned char* attrs = nullptr;
  const int alen = ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(si->auth_attr), &attrs,
                                 ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
  ossl::OsslBytes attrs_owner(attrs);
  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY* pub = X509_get0_pubkey(signer);
  if (alen <= 0 || !pub || !ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, ossl::evp_md(idc.alg), nullptr, pub) != 1 ||
      EVP_DigestVerify(ctx.get(), si->enc_digest->data,
                       static_cast<std::size_t>(si->enc_digest->length), attrs,
                       static_cast<std::size_t>(alen)) != 1) {
    ok = false;
    r.problems.push_back("the PKCS#7 signature does not verify with the signer's public key");
  }
  ERR_clear_error();
  return ok;
}

// The embedded digest against the one the pass computed.
void check_digest(const IndirectData& idc, const ComputedDigests& digests, SignatureReport& r) {
  r.digest_algorithm = std::string(digest_name(idc.alg));
  r.embedded_digest = ossl::hex_upper(idc.digest);
  if (const auto* computed = digests.find(idc.alg)) {
    r.computed_digest = ossl::hex_upper(*computed);
    r.digest_ok = *computed == idc.digest;
  }
  if (!r.digest_ok) {
    r.verdict |= Verdict::kBadDigest;
    r.problems.push_back(fmt::format(
        "the file's {} Authenticode digest {} does not match the signed digest {}: the file was "
        "changed after signing",
        r.digest_algorithm, r.computed_digest, r.embedded_digest));
  }
}

// Verifies one Authenticode SignedData (digest, messageDigest, signature, timestamp, chain, EKU,
// validity). `at_time`: time for the chain when no valid timestamp applies.
SignatureReport verify_signed_data(PKCS7* p7, const ComputedDigests& digests,
                                   const VerifyOptions& options, std::int64_t at_time) {
  SignatureReport r;
  auto malformed = [&](std::string why) {
    r.verdict |= Verdict::kMalformed;
    r.problems.push_back(std::move(why));
    return r;
  };
  if (!p7) return malformed("the signature is not a parsable PKCS#7 SignedData");
  auto idc = decode_indirect_data(p7);
  if (!idc) {
    if (!idc.error().unsupported_digest) return malformed(idc.error().message);
    r.verdict |= Verdict::kUnsupportedDigest;
    r.problems.push_back(idc.error().message);
    return r;
  }
  check_digest(*idc, digests, r);

  auto* infos = PKCS7_get_signer_info(p7);
  if (!infos || sk_PKCS7_SIGNER_INFO_num(infos) != 1)
    return malformed("the SignedData must have exactly one SignerInfo");
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(infos, 0);
  const int si_nid = OBJ_obj2nid(si->digest_alg->algorithm);
  if (ossl::digest_from_nid(si_nid) != idc->alg)
    return malformed(fmt::format(
        "the SignerInfo digest algorithm ({}) differs from the SpcIndirectDataContent's ({})",
        OBJ_nid2sn(si_nid), r.digest_algorithm));
  STACK_OF(X509)* certs = p7->d.sign->cert;
  X509* signer = X509_find_by_issuer_and_serial(certs, si->issuer_and_serial->issuer,
                                                si->issuer_and_serial->serial);
  if (!signer) {
    r.verdict |= Verdict::kChainIncomplete;
    r.problems.push_back("the signer's certificate is not included in the signature");
    return r;
  }
  describe_signer(signer, si, r);
  r.signature_ok = check_pkcs7_signature(si, signer, *idc, r);
  if (!r.signature_ok) r.verdict |= Verdict::kBadSignature;

  // A valid timestamp moves the time the chain is checked at.
  std::int64_t chain_time = at_time;
  r.timestamp = verify_signer_timestamp(
      si, options.tsa_ca_files.empty() ? options.ca_files : options.tsa_ca_files);
  if (r.timestamp) {
    if (r.timestamp->ok) {
      chain_time = r.timestamp->time;
    } else {
      r.verdict |= Verdict::kBadTimestamp;
      r.problems.push_back("timestamp: " + r.timestamp->problem);
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

// ---------------------------------------------------------------- the file
struct Sig {
  ossl::Pkcs7Ptr p7;
  bool nested = false;
  std::string problem;  // set when the entry itself is unusable
};

// Phase 1: every signature (entries and their nested ones) parsed, in file order.
Result<std::vector<Sig>> parse_signatures(const pe::Image& img) {
  auto entries = image::signature_entries(img);
  if (!entries) return std::unexpected(entries.error());
  std::vector<Sig> sigs;
  for (const auto& e : *entries) {
    if (!e.problem.empty()) {
      sigs.push_back({nullptr, false, e.problem});
      continue;
    }
    auto p7 = ossl::from_der<ossl::Pkcs7Ptr>(e.der, d2i_PKCS7);
    if (!p7) {
      sigs.push_back({nullptr, false,
                      fmt::format("the PKCS#7 data of the WIN_CERTIFICATE at {} does not parse",
                                  offset_str(e.header.offset))});
      continue;
    }
    auto nested = nested_of(p7.get());
    sigs.push_back({std::move(p7), false, {}});
    for (auto& n : nested) {
      const bool ok = n != nullptr;
      sigs.push_back({std::move(n), true, ok ? "" : "a nested signature does not parse"});
    }
  }
  return sigs;
}

// Phase 2: one pass computing every digest in use and the checksum.
Result<ComputedDigests> compute_digests(const pe::Image& img, const std::vector<Sig>& sigs,
                                        FileReport& rep) {
  std::vector<ossl::Hasher> hashers;
  for (const auto& s : sigs) {
    if (!s.p7) continue;
    auto idc = decode_indirect_data(s.p7.get());
    if (!idc || std::ranges::any_of(hashers, [&](auto& h) { return h.algorithm() == idc->alg; }))
      continue;
    auto h = ossl::Hasher::start(idc->alg);
    if (!h) return std::unexpected(h.error().in_file(img.path()));
    hashers.push_back(std::move(*h));
  }
  const pe::Layout& layout = img.layout();
  pe::ChecksumAccumulator acc(layout.checksum_offset);
  image::Stages stages;
  stages.after_read = [&acc](std::uint64_t off, std::span<std::byte> data) -> Status {
    acc.add(off, data);
    return {};
  };
  if (auto st = image::stream_image(img.file(), image::hash_ranges(layout), layout.file_size,
                                    hashers, stages);
      !st)
    return std::unexpected(st.error());
  rep.computed_checksum = acc.finish(layout.file_size);
  rep.checksum_ok = rep.computed_checksum == rep.stored_checksum;
  ComputedDigests computed;
  for (auto& h : hashers) {
    auto d = h.finish();
    if (!d) return std::unexpected(d.error().in_file(img.path()));
    computed.values.emplace_back(h.algorithm(), std::move(*d));
  }
  return computed;
}

}  // namespace

Result<FileReport> verify_file(const fs::path& path, const VerifyOptions& options) {
  auto img = pe::Image::open(path);
  if (!img) return std::unexpected(img.error());
  FileReport rep;
  rep.file = path.string();
  rep.stored_checksum = img->layout().stored_checksum;
  auto sigs = parse_signatures(*img);
  if (!sigs) return std::unexpected(sigs.error());
  rep.is_signed = !sigs->empty();
  auto computed = compute_digests(*img, *sigs, rep);
  if (!computed) return std::unexpected(computed.error());

  const std::int64_t now =
      options.at_time ? *options.at_time : static_cast<std::int64_t>(::time(nullptr));
  bool all_ok = rep.is_signed;
  for (std::size_t i = 0; i < sigs->size(); ++i) {
    auto& s = (*sigs)[i];
    SignatureReport sr;
    if (!s.p7) {
      sr.verdict = Verdict::kMalformed;
      sr.problems.push_back(s.problem);
    } else {
      sr = verify_signed_data(s.p7.get(), *computed, options, now);
    }
    sr.index = i;
    sr.nested = s.nested;
    all_ok = all_ok && sr.ok();
    rep.signatures.push_back(std::move(sr));
  }
  rep.ok = all_ok && rep.checksum_ok;
  return rep;
}

}  // namespace wslplug::signing
