// RFC 3161 client, token attachment and token verification (see wslplug/timestamp.hpp).
#include "wslplug/signing/timestamp.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <thread>

#include "der.hpp"
#include "ossl.hpp"
#include "signed_data_impl.hpp"
#include "timestamp_impl.hpp"
#include "wslplug/net/http.hpp"
#include "wslplug/signing/field.hpp"
#include "wslplug/signing/oids.hpp"

namespace wslplug::signing {

using namespace ossl;

namespace {

constexpr std::string_view kFix =
    "check the {timestamp_url} URL (an RFC 3161 server, e.g. http://timestamp.digicert.com); "
    "{timestamp_retries} N retries a flaky server";

constexpr std::string_view kNetFix =
    "check the {timestamp_url} URL and that the time-stamp server is reachable from this machine; "
    "{timestamp_retries} N retries flaky servers";
constexpr std::string_view kTlsFix =
    "for an https time-stamp server with a private TLS certificate pass its CA with "
    "{timestamp_tls_ca} CA.pem; public servers are checked against the system store "
    "(ca-certificates)";

std::unexpected<Error> tsa_error(std::string_view url, std::string cause, std::string fix = {}) {
  return fail(ErrorKind::kIo, fmt::format("time-stamp server {}: {}", url, cause), {},
              field(Field::kTimestampUrl), fix.empty() ? std::string(kFix) : std::move(fix));
}

std::string status_name(long status) {
  switch (status) {
    case 0:
      return "granted";
    case 1:
      return "grantedWithMods";
    case 2:
      return "rejection";
    case 3:
      return "waiting";
    case 4:
      return "revocationWarning";
    case 5:
      return "revocationNotification";
    default:
      return fmt::format("unknown status {}", status);
  }
}

std::string failure_bits(const ASN1_BIT_STRING* bits) {
  if (bits == nullptr) return {};
  static const std::pair<int, const char*> kNames[] = {{0, "badAlg"},
                                                       {2, "badRequest"},
                                                       {5, "badDataFormat"},
                                                       {14, "timeNotAvailable"},
                                                       {15, "unacceptedPolicy"},
                                                       {16, "unacceptedExtension"},
                                                       {17, "addInfoNotAvailable"},
                                                       {25, "systemFailure"}};
  std::string out;
  for (auto [bit, name] : kNames)
    if (ASN1_BIT_STRING_get_bit(bits, bit)) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

std::string printable_prefix(std::span<const std::byte> body) {
  std::string out;
  for (std::size_t i = 0; i < body.size() && i < 16; ++i)
    out += fmt::format("{}{:02x}", i ? " " : "", std::to_integer<unsigned>(body[i]));
  return out;
}

Result<std::vector<std::byte>> check_response(const TimestampRequest& request,
                                              std::span<const std::byte> response,
                                              std::string_view url, bool& retryable) {
  retryable = true;
  auto resp = from_der<TsRespPtr>(response, d2i_TS_RESP);
  if (!resp) {
    return tsa_error(
        url,
        fmt::format("the reply is not an RFC 3161 TimeStampResp ({} bytes{}{})", response.size(),
                    response.empty() ? "" : ", starting ", printable_prefix(response)),
        "check that the URL is an RFC 3161 time-stamp server (not a legacy "
        "Authenticode one or a web page)");
  }
  TS_STATUS_INFO* info = TS_RESP_get_status_info(resp.get());
  long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(info));
  if (status != 0 && status != 1) {
    retryable = status == 3;  // waiting
    std::string text;
    const auto* texts = TS_STATUS_INFO_get0_text(info);
    for (int i = 0; texts != nullptr && i < sk_ASN1_UTF8STRING_num(texts); ++i) {
      const ASN1_UTF8STRING* s = sk_ASN1_UTF8STRING_value(texts, i);
      text += (text.empty() ? "" : " ") + std::string(chars(bytes(s)));
    }
    std::string bits = failure_bits(TS_STATUS_INFO_get0_failure_info(info));
    return tsa_error(url,
                     fmt::format("the server refused the request: status {}{}{}",
                                 status_name(status), text.empty() ? "" : ", \"" + text + "\"",
                                 bits.empty() ? "" : ", failure " + bits),
                     "check {timestamp_hash} (the server may not support that digest) and the "
                     "server's policy; or use another time-stamp server");
  }
  PKCS7* token = TS_RESP_get_token(resp.get());
  TS_TST_INFO* tst = TS_RESP_get_tst_info(resp.get());
  if (token == nullptr || tst == nullptr)
    return tsa_error(url,
                     "the reply has status " + status_name(status) + " but no time-stamp token");

  // Nonce.
  BignumPtr bn(BN_bin2bn(uchars(request.nonce), static_cast<int>(request.nonce.size()), nullptr));
  IntegerPtr want(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  const ASN1_INTEGER* got = TS_TST_INFO_get_nonce(tst);
  if (!want) return internal_error("cannot rebuild the request nonce");
  if (got == nullptr)
    return tsa_error(url, "nonce mismatch: the token has no nonce (the request had one)");
  if (ASN1_INTEGER_cmp(want.get(), got) != 0) {
    BignumPtr gotbn(ASN1_INTEGER_to_BN(got, nullptr));
    char* gothex = gotbn ? BN_bn2hex(gotbn.get()) : nullptr;
    std::string got_text = gothex ? gothex : "?";
    OPENSSL_free(gothex);
    return tsa_error(url, fmt::format("nonce mismatch: sent {}, the token has {} (a replayed or "
                                      "foreign reply)",
                                      hex_upper(request.nonce), got_text));
  }
  // Message imprint.
  TS_MSG_IMPRINT* mi = TS_TST_INFO_get_msg_imprint(tst);
  const X509_ALGOR* alg = mi ? TS_MSG_IMPRINT_get_algo(mi) : nullptr;
  const ASN1_OCTET_STRING* msg = mi ? TS_MSG_IMPRINT_get_msg(mi) : nullptr;
  const int want_nid = EVP_MD_get_type(evp_md(request.digest));
  if (alg == nullptr || msg == nullptr || OBJ_obj2nid(alg->algorithm) != want_nid)
    return tsa_error(url, fmt::format("imprint mismatch: the token's imprint algorithm is not "
                                      "the requested {}",
                                      std::string(digest_name(request.digest))));
  auto got_imprint = copy(bytes(msg));
  if (got_imprint != request.imprint)
    return tsa_error(url, fmt::format("imprint mismatch: sent {}, the token covers {}",
                                      hex_upper(request.imprint), hex_upper(got_imprint)));
  auto der = to_der(token, i2d_PKCS7);
  if (der.empty())
    return internal_error("cannot encode the time-stamp token: " + ossl::take_errors());
  return der;
}

// An error of the HTTP client, its fields ("url", "tls_ca") named as the time-stamp options
// (the TLS trust anchors are {timestamp_tls_ca}, not the TSA's root {tsa_ca}).
Error from_net(Error e) {
  if (e.where == "url") {
    e.where = field(Field::kTimestampUrl);
    if (e.kind == ErrorKind::kIo) e.fix = std::string(kNetFix);
  } else if (e.where == "tls_ca") {
    e.where = field(Field::kTimestampTlsCa);
    if (e.kind == ErrorKind::kIo) e.fix = std::string(kTlsFix);
  }
  return e;
}

}  // namespace

Result<TimestampRequest> make_timestamp_request(std::span<const std::byte> data,
                                                DigestAlgorithm digest) {
  const EVP_MD* md = evp_md(digest);
  auto imprint = digest_of(data, digest);
  if (!imprint) return std::unexpected(imprint.error());
  TsReqPtr req(TS_REQ_new());
  TsMsgImprintPtr mi(TS_MSG_IMPRINT_new());
  AlgorPtr alg(X509_ALGOR_new());
  BignumPtr bn(BN_new());
  if (!req || !mi || !alg || !bn) return internal_error("out of memory building a TS request");
  X509_ALGOR_set0(alg.get(), OBJ_nid2obj(EVP_MD_get_type(md)), V_ASN1_NULL, nullptr);
  if (TS_REQ_set_version(req.get(), 1) != 1 || TS_MSG_IMPRINT_set_algo(mi.get(), alg.get()) != 1 ||
      TS_MSG_IMPRINT_set_msg(mi.get(), uchars(*imprint), static_cast<int>(imprint->size())) != 1 ||
      TS_REQ_set_msg_imprint(req.get(), mi.get()) != 1)
    return internal_error("cannot build the TS request: " + ossl::take_errors());
  // A 64-bit random nonce (top bit set so it always has 8 bytes).
  if (BN_rand(bn.get(), 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1)
    return internal_error("cannot draw a random nonce: " + ossl::take_errors());
  IntegerPtr nonce(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!nonce || TS_REQ_set_nonce(req.get(), nonce.get()) != 1 ||
      TS_REQ_set_cert_req(req.get(), 1) != 1)
    return internal_error("cannot set the TS request nonce: " + ossl::take_errors());
  TimestampRequest out;
  out.digest = digest;
  out.imprint = std::move(*imprint);
  out.nonce.resize(static_cast<std::size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), uchars(out.nonce));
  out.der = to_der(req.get(), i2d_TS_REQ);
  if (out.der.empty())
    return internal_error("cannot encode the TS request: " + ossl::take_errors());
  return out;
}

Result<std::vector<std::byte>> check_timestamp_response(const TimestampRequest& request,
                                                        std::span<const std::byte> response,
                                                        std::string_view url) {
  bool retryable = false;
  return check_response(request, response, url, retryable);
}

Result<std::vector<std::byte>> fetch_timestamp_token(std::span<const std::byte> data,
                                                     const TimestampOptions& options) {
  auto url = net::http::parse_url(options.url);
  if (!url) return std::unexpected(from_net(url.error()));
  url->peer = "time-stamp server";
  if (options.retries < 0)
    return input_error("{timestamp_retries} must be 0 or more", {}, field(Field::kTimestampRetries),
                       "give the number of extra attempts, e.g. {timestamp_retries} 3");
  const int attempts = 1 + options.retries;
  auto delay = options.backoff;
  Error last;
  int tried = 0;
  for (int i = 0; i < attempts; ++i) {
    if (i > 0) {
      std::this_thread::sleep_for(delay);
      delay *= 2;
    }
    ++tried;
    auto req = make_timestamp_request(data, options.digest);
    if (!req) return std::unexpected(req.error());
    net::http::PostOptions post_options;
    post_options.tls_ca_files = options.tls_ca_files;
    auto resp = net::http::post(*url, "application/timestamp-query", "application/timestamp-reply",
                                req->der, options.timeout, 4u << 20, post_options);
    if (!resp) {
      last = from_net(resp.error());
      continue;
    }
    if (resp->status != 200) {
      std::string body_text;
      for (auto b : resp->body) {
        char c = static_cast<char>(b);
        if (body_text.size() >= 120) break;
        body_text += (c >= 0x20 && c < 0x7f) ? c : ' ';
      }
      auto first = body_text.find_first_not_of(' ');
      body_text = first == std::string::npos ? "" : body_text.substr(first);
      while (!body_text.empty() && body_text.back() == ' ') body_text.pop_back();
      last = tsa_error(url->text, fmt::format("HTTP error {} {}{}", resp->status, resp->reason,
                                              body_text.empty() ? "" : " (\"" + body_text + "\")"))
                 .error();
      continue;
    }
    bool retryable = true;
    auto token = check_response(*req, resp->body, url->text, retryable);
    if (token) return token;
    last = token.error();
    if (!retryable) break;
  }
  if (tried > 1) last.message += fmt::format(" (after {} attempts)", tried);
  return std::unexpected(std::move(last));
}

Status attach_timestamp_token(PKCS7_SIGNER_INFO* si, std::span<const std::byte> token) {
  if (si == nullptr) return internal_error("no SignerInfo to timestamp");
  {
    if (!from_der<Pkcs7Ptr>(token, d2i_PKCS7)) {
      return input_error("the time-stamp token is not a DER PKCS#7 structure", {}, "token",
                         "attach the token of an RFC 3161 TimeStampResp");
    }
  }
  auto obj = ossl::obj(oid::kRfc3161Timestamp);
  if (!obj) return internal_error("cannot create the timestamp attribute OID");
  if (si->unauth_attr != nullptr) {
    int idx = 0;
    while ((idx = X509at_get_attr_by_OBJ(si->unauth_attr, obj.get(), -1)) >= 0)
      X509_ATTRIBUTE_free(X509at_delete_attr(si->unauth_attr, idx));
  }
  AttributePtr attr(X509_ATTRIBUTE_create_by_OBJ(nullptr, obj.get(), V_ASN1_SEQUENCE, uchars(token),
                                                 static_cast<int>(token.size())));
  if (!attr || X509at_add1_attr(&si->unauth_attr, attr.get()) == nullptr)
    return internal_error("cannot add the timestamp attribute: " + ossl::take_errors());
  return {};
}

Status timestamp_signer_info(PKCS7_SIGNER_INFO* si, const TimestampOptions& options) {
  if (si == nullptr || si->enc_digest == nullptr)
    return internal_error("the SignerInfo has no signature value to timestamp");
  // The TSA's roots are read before the server is asked, so a bad file costs no request.
  if (!options.tsa_ca_files.empty())
    if (auto store = load_trust_store(options.tsa_ca_files, field(Field::kTsaCa)); !store)
      return std::unexpected(store.error());
  auto sig = copy(bytes(si->enc_digest));
  auto token = fetch_timestamp_token(sig, options);
  if (!token) return std::unexpected(token.error());
  if (!options.tsa_ca_files.empty()) {
    const TimestampReport report = verify_timestamp_token(*token, sig, options.tsa_ca_files);
    if (!report.ok)
      return fail(
          ErrorKind::kBad,
          fmt::format("the token of time-stamp server {} does not verify against "
                      "{{tsa_ca}} (TSA {}): {}",
                      options.url,
                      report.tsa_subject.empty() ? "unnamed" : "'" + report.tsa_subject + "'",
                      report.problem),
          {}, field(Field::kTsaCa),
          "give {tsa_ca} the root CA of this time-stamp server's signing certificate "
          "(the server's operator publishes it), or leave {tsa_ca} out to take the token "
          "unchecked");
  }
  return attach_timestamp_token(si, *token);
}

TimestampReport verify_timestamp_token(std::span<const std::byte> token,
                                       std::span<const std::byte> signature_value,
                                       const std::vector<fs::path>& tsa_ca_files) {
  TimestampReport rep;
  auto p7 = from_der<Pkcs7Ptr>(token, d2i_PKCS7);
  if (!p7 || !PKCS7_type_is_signed(p7.get())) {
    rep.problem = "the RFC 3161 timestamp attribute does not hold a PKCS#7 SignedData token";
    return rep;
  }
  TsTstInfoPtr tst(PKCS7_to_TS_TST_INFO(p7.get()));
  if (!tst) {
    rep.problem = "the timestamp token does not contain a TSTInfo: " + ossl::take_errors();
    return rep;
  }
  rep.time = unix_time(TS_TST_INFO_get_time(tst.get())).value_or(0);
  if (STACK_OF(X509)* signers = PKCS7_get0_signers(p7.get(), nullptr, 0)) {
    if (sk_X509_num(signers) > 0)
      rep.tsa_subject = name_string(X509_get_subject_name(sk_X509_value(signers, 0)));
    sk_X509_free(signers);
  }
  ERR_clear_error();

  TS_MSG_IMPRINT* mi = TS_TST_INFO_get_msg_imprint(tst.get());
  const X509_ALGOR* alg = TS_MSG_IMPRINT_get_algo(mi);
  const ASN1_OCTET_STRING* msg = TS_MSG_IMPRINT_get_msg(mi);
  auto digest = alg ? digest_from_nid(OBJ_obj2nid(alg->algorithm)) : std::nullopt;
  if (!digest) {
    char buf[80] = "?";
    if (alg) OBJ_obj2txt(buf, sizeof buf, alg->algorithm, 0);
    rep.digest_algorithm = buf;
    rep.problem = fmt::format("the timestamp's imprint algorithm {} is not supported", buf);
    return rep;
  }
  rep.digest_algorithm = std::string(digest_name(*digest));
  auto want = digest_of(signature_value, *digest);
  if (!want || !std::ranges::equal(*want, bytes(msg))) {
    rep.problem =
        "the timestamp's message imprint does not match the signature value (the token was "
        "made for another signature)";
    return rep;
  }

  auto store = load_trust_store(tsa_ca_files, field(Field::kTsaCa));
  if (!store) {
    rep.problem = store.error().describe();
    return rep;
  }
  if (rep.time > 0) X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store->get()), rep.time);
  X509* signer = nullptr;
  int ok = TS_RESP_verify_signature(p7.get(), p7->d.sign->cert, store->get(), &signer);
  X509Ptr signer_guard(signer);
  if (ok != 1) {
    std::string why = ossl::take_errors();
    rep.problem =
        fmt::format("the timestamp's TSA signature or certificate chain does not verify{}{}",
                    why.empty() ? "" : ": ", why);
    return rep;
  }
  if (signer != nullptr) rep.tsa_subject = name_string(X509_get_subject_name(signer));
  rep.ok = true;
  return rep;
}

std::optional<TimestampReport> verify_signature_timestamp(
    const SignedData& sd, const std::vector<fs::path>& tsa_ca_files) {
  auto token = sd.timestamp_token();
  if (!token) return std::nullopt;
  return verify_timestamp_token(*token, sd.signature_value(), tsa_ca_files);
}

Result<SignedData> timestamp_signature(const SignedData& sd, const TimestampOptions& options,
                                       std::size_t index) {
  const std::string& file = sd.file();
  auto copy = sd.impl().edit();
  if (!copy) return std::unexpected(copy.error());
  PKCS7_SIGNER_INFO* si = first_signer(copy->get());
  if (index == 0) {
    if (auto st = timestamp_signer_info(si, options); !st) return std::unexpected(st.error());
  } else {
    if (sd.nested_error()) return std::unexpected(*sd.nested_error());
    const auto& nested = sd.nested();
    if (index > nested.size())
      return input_error(fmt::format("there is no signature with index {} (the file has {})", index,
                                     nested.size() + 1),
                         file, field(Field::kIndex),
                         fmt::format("use an index from 0 (primary) to {}", nested.size()));
    std::vector<std::vector<std::byte>> values;
    for (std::size_t i = 0; i < nested.size(); ++i) {
      if (!nested[i].signature) return std::unexpected(*nested[i].error);
      if (i + 1 != index) {
        values.push_back(nested[i].der);
        continue;
      }
      auto stamped = timestamp_signature(*nested[i].signature, options, 0);
      if (!stamped) return std::unexpected(stamped.error());
      values.push_back(stamped->der());
    }
    auto obj = ossl::obj(oid::kNestedSignature);
    int idx = 0;
    while ((idx = X509at_get_attr_by_OBJ(si->unauth_attr, obj.get(), -1)) >= 0)
      X509_ATTRIBUTE_free(X509at_delete_attr(si->unauth_attr, idx));
    for (const auto& n : values)
      if (auto st = add_nested_signature(si, n); !st) return std::unexpected(st.error());
  }
  return reencode(copy->get(), file, "the timestamped PKCS#7");
}

Result<std::vector<std::byte>> timestamp_pkcs7(std::span<const std::byte> pkcs7_der,
                                               const TimestampOptions& options,
                                               const std::string& file, std::size_t index) {
  auto sd = SignedData::parse(pkcs7_der, file);
  if (!sd) return std::unexpected(sd.error());
  auto stamped = timestamp_signature(*sd, options, index);
  if (!stamped) return std::unexpected(stamped.error());
  return stamped->der();
}

std::optional<std::int64_t> pkcs7_timestamp_time(std::span<const std::byte> pkcs7_der) {
  auto sd = SignedData::parse(pkcs7_der, {});
  if (!sd) return std::nullopt;
  return sd->timestamp_time();
}

Result<std::optional<TimestampReport>> verify_pkcs7_timestamp(
    std::span<const std::byte> pkcs7_der, const std::vector<fs::path>& tsa_ca_files,
    const std::string& file) {
  auto sd = SignedData::parse(pkcs7_der, file);
  if (!sd) return std::unexpected(sd.error());
  return verify_signature_timestamp(*sd, tsa_ca_files);
}

}  // namespace wslplug::signing
