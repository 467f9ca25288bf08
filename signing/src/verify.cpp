// verify_file: every WIN_CERTIFICATE entry and every nested signature; the image digests for
// all algorithms in use and the PE checksum come from one streaming pass (the reader thread
// sums the checksum while this thread hashes).
#include <fmt/format.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "authenticode.hpp"
#include "image.hpp"
#include "numbering.hpp"
#include "signed_data_impl.hpp"
#include "timestamp_impl.hpp"
#include "wslplug/signing/field.hpp"
#include "wslplug/signing/oids.hpp"

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
      case X509_V_ERR_CERT_REVOKED:
      case X509_V_ERR_UNABLE_TO_GET_CRL:
      case X509_V_ERR_CRL_HAS_EXPIRED:
      case X509_V_ERR_CRL_NOT_YET_VALID:
      case X509_V_ERR_CRL_SIGNATURE_FAILURE:
      case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
        // With --crl: revoked, or its revocation status unknown (no usable CRL for it).
        r.verdict |= Verdict::kRevoked;
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
                                       system_store ? "not in the system store; pass it with {ca}"
                                                    : "not among the {ca} files"));
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

// Adds the CRLs of `files` (PEM with one or more, or one DER) to `store` and turns on the
// revocation check of every certificate of the chain. A problem sentence on failure.
std::string add_crls(X509_STORE* store, const std::vector<fs::path>& files) {
  for (const auto& f : files) {
    auto bytes = read_file(f, 64u << 20);
    if (!bytes) return bytes.error().describe();
    std::vector<ossl::CrlPtr> crls;
    ossl::BioPtr bio(BIO_new_mem_buf(bytes->data(), static_cast<int>(bytes->size())));
    while (X509_CRL* c =
               bio ? PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr) : nullptr)
      crls.emplace_back(c);
    if (crls.empty()) {
      const auto* p = reinterpret_cast<const unsigned char*>(bytes->data());
      if (X509_CRL* c = d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes->size())))
        crls.emplace_back(c);
    }
    ERR_clear_error();
    if (crls.empty())
      return fmt::format("{{crl}} {}: no certificate revocation list (PEM or DER) in the file",
                         f.string());
    for (auto& c : crls)
      if (X509_STORE_add_crl(store, c.get()) != 1)
        return fmt::format("{{crl}} {}: cannot use the CRL: {}", f.string(), ossl::take_errors());
  }
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  return {};
}

}  // namespace

ChainCheck check_chain(X509* leaf, STACK_OF(X509) * untrusted,
                       const std::vector<fs::path>& ca_files, std::int64_t at_time, Purpose purpose,
                       const std::vector<fs::path>& crl_files) {
  ChainCheck r;
  auto store = ossl::load_trust_store(ca_files, field(Field::kCa));
  if (!store) {
    // Report it and check usage and validity anyway, against an empty store.
    r.verdict |= Verdict::kUntrustedRoot;
    r.problems.push_back(store.error().describe());
    store = ossl::StorePtr(X509_STORE_new());
    if (!*store) return r;
  }
  if (!crl_files.empty()) {
    if (auto problem = add_crls(store->get(), crl_files); !problem.empty()) {
      // Revocation was asked for and cannot be checked: the chain is not accepted.
      r.verdict |= Verdict::kRevoked;
      r.problems.push_back(problem);
      return r;
    }
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

// ---------------------------------------------------------------- fields no signature covers
// The SignedData fields outside the signed attributes, which a bit flip can change without
// breaking the signature: each must hold what the Authenticode specification fixes, so a file
// that WinVerifyTrust could read differently is refused. docs/signing.md lists the rules.

// An AlgorithmIdentifier's parameters: absent or NULL (RFC 5754 allows both for SHA-2; Windows
// writes NULL).
bool params_null_or_absent(const X509_ALGOR* a) {
  return a->parameter == nullptr || a->parameter->type == V_ASN1_NULL;
}

// The digestEncryptionAlgorithm OIDs Windows accepts for the signer's key: the key's algorithm
// (rsaEncryption, id-ecPublicKey) or a signature algorithm with the signer's digest.
std::string check_signature_algorithm(const X509_ALGOR* a, DigestAlgorithm alg, X509* signer) {
  const std::string text = ossl::obj_text(a->algorithm);
  const EVP_PKEY* key = X509_get0_pubkey(signer);
  const bool rsa = key && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
  const bool ec = key && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
  struct Combined {
    std::string_view oid;
    DigestAlgorithm alg;
    bool rsa;
  };
  static constexpr Combined kCombined[] = {
      {oid::kSha1WithRsa, DigestAlgorithm::kSha1, true},
      {oid::kSha256WithRsa, DigestAlgorithm::kSha256, true},
      {oid::kSha384WithRsa, DigestAlgorithm::kSha384, true},
      {oid::kSha512WithRsa, DigestAlgorithm::kSha512, true},
      {oid::kEcdsaWithSha1, DigestAlgorithm::kSha1, false},
      {oid::kEcdsaWithSha256, DigestAlgorithm::kSha256, false},
      {oid::kEcdsaWithSha384, DigestAlgorithm::kSha384, false},
      {oid::kEcdsaWithSha512, DigestAlgorithm::kSha512, false},
  };
  const std::string where = fmt::format("the SignerInfo's digestEncryptionAlgorithm ({})", text);
  if (text == oid::kRsaEncryption || text == oid::kEcPublicKey) {
    if ((text == oid::kRsaEncryption) != rsa || (text == oid::kEcPublicKey) != ec)
      return where + " is not the algorithm of the signer's key";
    if (!params_null_or_absent(a)) return where + " has parameters other than NULL";
    return {};
  }
  for (const auto& c : kCombined) {
    if (text != c.oid) continue;
    if (c.rsa != rsa || c.rsa == ec) return where + " is not the algorithm of the signer's key";
    if (c.alg != alg)
      return fmt::format("{} names another digest than the SignerInfo's ({})", where,
                         digest_name(alg));
    // RSA: NULL or absent (RFC 4055); ECDSA: absent (RFC 5758).
    if (c.rsa ? !params_null_or_absent(a) : a->parameter != nullptr)
      return where + " has parameters that must be absent";
    return {};
  }
  return where + " is not an RSA or ECDSA signature algorithm";
}

std::vector<std::string> structure_problems(PKCS7* p7, PKCS7_SIGNER_INFO* si, DigestAlgorithm alg,
                                            X509* signer) {
  std::vector<std::string> out;
  const PKCS7_SIGNED* sd = p7->d.sign;
  if (ASN1_INTEGER_get(sd->version) != 1)
    out.push_back(fmt::format("the SignedData version is {}, not 1 (Authenticode fixes it at 1)",
                              ASN1_INTEGER_get(sd->version)));
  if (ASN1_INTEGER_get(si->version) != 1)
    out.push_back(fmt::format(
        "the SignerInfo version is {}, not 1 (the version of an issuerAndSerialNumber signer)",
        ASN1_INTEGER_get(si->version)));
  const std::string want = std::string(ossl::digest_oid(alg));
  bool listed = false;
  for (int i = 0; i < sk_X509_ALGOR_num(sd->md_algs); ++i) {
    const X509_ALGOR* a = sk_X509_ALGOR_value(sd->md_algs, i);
    const std::string text = ossl::obj_text(a->algorithm);
    listed = listed || text == want;
    if (!params_null_or_absent(a))
      out.push_back(
          fmt::format("SignedData.digestAlgorithms entry {} has parameters other than NULL", text));
  }
  if (!listed)
    out.push_back(fmt::format(
        "SignedData.digestAlgorithms does not list the signer's digest algorithm {} ({})",
        digest_name(alg), want));
  if (!params_null_or_absent(si->digest_alg))
    out.push_back("the SignerInfo's digestAlgorithm has parameters other than NULL");
  if (auto p = check_signature_algorithm(si->digest_enc_alg, alg, signer); !p.empty())
    out.push_back(std::move(p));
  return out;
}

// Verifies one Authenticode SignedData (digest, messageDigest, signature, timestamp, chain, EKU,
// validity). `at_time`: time for the chain when no valid timestamp applies.
SignatureReport verify_signed_data(const SignedData* sd, const ComputedDigests& digests,
                                   const VerifyOptions& options, std::int64_t at_time) {
  SignatureReport r;
  PKCS7* p7 = sd ? sd->impl().pkcs7() : nullptr;
  auto malformed = [&](std::string what, std::string why) {
    r.verdict |= Verdict::kMalformed;
    r.unreadable = std::move(what);
    r.problems.push_back(std::move(why));
    return r;
  };
  if (!p7)
    return malformed("the PKCS#7 SignedData", "the signature is not a parsable PKCS#7 SignedData");
  auto idc = decode_indirect_data(p7);
  if (!idc) {
    if (!idc.error().unsupported_digest)
      return malformed("the SpcIndirectDataContent (" + idc.error().where + ")",
                       idc.error().message);
    r.verdict |= Verdict::kUnsupportedDigest;
    r.unreadable = "the digest algorithm (not supported)";
    r.problems.push_back(idc.error().message);
    return r;
  }
  check_digest(*idc, digests, r);
  r.digest_checked = true;

  auto* infos = PKCS7_get_signer_info(p7);
  if (!infos || sk_PKCS7_SIGNER_INFO_num(infos) != 1)
    return malformed("the SignerInfo", "the SignedData must have exactly one SignerInfo");
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(infos, 0);
  const int si_nid = OBJ_obj2nid(si->digest_alg->algorithm);
  if (ossl::digest_from_nid(si_nid) != idc->alg)
    return malformed(
        "the SignerInfo (its digest algorithm)",
        fmt::format(
            "the SignerInfo digest algorithm ({}) differs from the SpcIndirectDataContent's ({})",
            OBJ_nid2sn(si_nid), r.digest_algorithm));
  STACK_OF(X509)* certs = p7->d.sign->cert;
  X509* signer = X509_find_by_issuer_and_serial(certs, si->issuer_and_serial->issuer,
                                                si->issuer_and_serial->serial);
  if (!signer) {
    r.verdict |= Verdict::kChainIncomplete;
    r.unreadable = "the signer certificate (not included)";
    r.problems.push_back("the signer's certificate is not included in the signature");
    return r;
  }
  describe_signer(signer, si, r);
  if (auto problems = structure_problems(p7, si, idc->alg, signer); !problems.empty()) {
    r.verdict |= Verdict::kMalformed;
    for (auto& p : problems) r.problems.push_back(std::move(p));
  }
  r.signature_ok = check_pkcs7_signature(si, signer, *idc, r);
  r.signature_checked = true;
  if (!r.signature_ok) r.verdict |= Verdict::kBadSignature;

  // A valid timestamp moves the time the chain is checked at.
  std::int64_t chain_time = at_time;
  r.timestamp = verify_signature_timestamp(
      *sd, options.tsa_ca_files.empty() ? options.ca_files : options.tsa_ca_files);
  if (r.timestamp) {
    if (r.timestamp->ok) {
      chain_time = r.timestamp->time;
    } else {
      r.verdict |= Verdict::kBadTimestamp;
      r.problems.push_back("timestamp: " + r.timestamp->problem);
    }
  }
  ChainCheck chain = check_chain(signer, certs, options.ca_files, chain_time, Purpose::kCodeSigning,
                                 options.crl_files);
  r.chain_checked = true;
  r.chain_ok = chain.chain_ok;
  r.eku_ok = chain.eku_ok;
  r.validity_ok = chain.validity_ok;
  r.verdict |= chain.verdict;
  for (auto& p : chain.problems) r.problems.push_back(std::move(p));
  return r;
}

}  // namespace

std::vector<std::string> integrity_problems(PKCS7* p7) {
  SignatureReport r;
  auto idc = decode_indirect_data(p7);
  if (!idc) return {idc.error().message};
  auto* infos = PKCS7_get_signer_info(p7);
  if (!infos || sk_PKCS7_SIGNER_INFO_num(infos) != 1)
    return {"the SignedData must have exactly one SignerInfo"};
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(infos, 0);
  X509* signer = X509_find_by_issuer_and_serial(p7->d.sign->cert, si->issuer_and_serial->issuer,
                                                si->issuer_and_serial->serial);
  if (!signer) return {"the signer's certificate is not included in the signature"};
  check_pkcs7_signature(si, signer, *idc, r);
  ChainCheck usage;
  check_usage(nullptr, signer, Purpose::kCodeSigning, usage);
  for (auto& p : usage.problems) r.problems.push_back(std::move(p));
  return r.problems;
}

namespace {

// ---------------------------------------------------------------- the file
struct Sig {
  std::optional<SignedData> sd;
  std::size_t entry = 0;
  bool nested = false;
  std::string problem;        // set when the signature cannot be read
  std::string unreadable;     // what cannot be read (SignatureReport::unreadable)
  std::string unsigned_data;  // SignatureSlot::unsigned_data
};

// Phase 1: every signature (entries and their nested ones) parsed, in the one numbering.
Result<std::vector<Sig>> parse_signatures(const SignableImage& img) {
  auto slots = numbering::slots(img);
  if (!slots) return std::unexpected(slots.error());
  std::vector<Sig> sigs;
  for (auto& slot : *slots) {
    Sig sig{std::move(slot.signature), slot.entry, slot.nested != 0,
            std::move(slot.problem),   {},         std::move(slot.unsigned_data)};
    if (!sig.sd) {
      if (sig.problem.empty()) sig.problem = "the signature cannot be read";
      sig.unreadable = slot.nested != 0 ? "the nested signature's PKCS#7 SignedData"
                       : slot.type != pe::kWinCertTypePkcsSignedData
                           ? "the certificate table entry (not a PKCS#7 signature)"
                       : slot.revision != pe::kWinCertRevision2
                           ? "the certificate table entry (not WIN_CERTIFICATE revision 2.0)"
                           : "the PKCS#7 SignedData";
    }
    sigs.push_back(std::move(sig));
  }
  return sigs;
}

// Phase 2: one pass computing every digest in use and the checksum.
Result<ComputedDigests> compute_digests(const SignableImage& img, const std::vector<Sig>& sigs,
                                        FileReport& rep) {
  std::vector<ossl::Hasher> hashers;
  for (const auto& s : sigs) {
    if (!s.sd) continue;
    auto idc = decode_indirect_data(s.sd->impl().pkcs7());
    if (!idc || std::ranges::any_of(hashers, [&](auto& h) { return h.algorithm() == idc->alg; }))
      continue;
    auto h = ossl::Hasher::start(idc->alg);
    if (!h) return std::unexpected(h.error().in_file(img.path()));
    hashers.push_back(std::move(*h));
  }
  const SignableLayout& layout = img.layout();
  const auto checksum = img.start_checksum();
  Checksum& acc = *checksum;
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

namespace {

// A file whose certificate table cannot be read: signed (its directory says so) and failed, with
// the reason as the one signature's problem; the checksum over the whole file.
Result<FileReport> broken_table_report(const SignableImage& img, FileReport rep, Error why) {
  auto sum = pe::compute_checksum(img.file(), img.layout().checksum_offset);
  if (!sum) return std::unexpected(sum.error());
  rep.computed_checksum = *sum;
  rep.checksum_ok = rep.computed_checksum == rep.stored_checksum;
  rep.is_signed = true;
  SignatureReport sr;
  sr.verdict = Verdict::kMalformed;
  sr.unreadable = "the certificate table";
  sr.problems.push_back(fmt::format("the certificate table cannot be read: {} ({})", why.message,
                                    why.where.empty() ? "certificate table" : why.where));
  rep.signatures.push_back(std::move(sr));
  rep.table_error = std::move(why);
  rep.ok = false;
  return rep;
}

}  // namespace

Result<FileReport> verify_file(const fs::path& path, const VerifyOptions& options) {
  auto img = PeSignable::open(path);
  if (!img) return std::unexpected(img.error());
  FileReport rep;
  rep.file = path.string();
  rep.stored_checksum = img->layout().stored_checksum;
  auto sigs = parse_signatures(*img);
  if (!sigs && sigs.error().kind == ErrorKind::kInput)
    return broken_table_report(*img, std::move(rep), sigs.error().in_file(img->path()));
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
    if (!s.sd) {
      sr.verdict = Verdict::kMalformed;
      sr.unreadable = s.unreadable;
      sr.problems.push_back(s.problem);
    } else {
      sr = verify_signed_data(&*s.sd, *computed, options, now);
    }
    if (!s.unsigned_data.empty()) {
      sr.verdict |= Verdict::kUnsignedData;
      sr.problems.push_back(s.unsigned_data);
    }
    sr.index = i;
    sr.entry = s.entry;
    sr.nested = s.nested;
    all_ok = all_ok && sr.ok();
    rep.signatures.push_back(std::move(sr));
  }
  rep.ok = all_ok && rep.checksum_ok;
  return rep;
}

}  // namespace wslplug::signing
