// The two-step flow (signer.hpp): a signing request carries the authenticated attributes and
// their digest out to wherever the key is, finish_request brings the signature back. Both ends
// use the encoder of pkcs7.cpp, so the result equals sign_file's for the same key and time.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "authenticode.hpp"
#include "image.hpp"
#include "signed_data_impl.hpp"
#include "timestamp_impl.hpp"
#include "wslplug/signing/field.hpp"

namespace wslplug::signing {

namespace {

constexpr std::string_view kFormat = "wslplug-signing-request";
constexpr int kVersion = 1;

std::string base64(std::span<const std::byte> data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), ossl::uchars(data),
                                static_cast<int>(data.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

std::optional<std::vector<std::byte>> unbase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::vector<std::byte> out(text.size() / 4 * 3 + 1);
  const int n =
      EVP_DecodeBlock(ossl::uchars(out), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the '=' padding as zero bytes.
  if (!text.empty() && text.back() == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::optional<std::vector<std::byte>> unhex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::vector<std::byte> out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    auto v = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = v(text[i]), lo = v(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::byte>(hi * 16 + lo));
  }
  return out;
}

SignOptions attribute_options(const SigningRequest& r) {
  SignOptions o;
  o.digest = r.digest;
  o.description = r.description;
  o.url = r.url;
  o.commercial = r.commercial;
  o.signing_time = r.signing_time;
  return o;
}

}  // namespace

Result<SigningRequest> prepare_request(const fs::path& input, const fs::path& cert,
                                       const std::vector<fs::path>& chain,
                                       const SignOptions& options) {
  auto certs = ossl::load_certs(cert, field(Field::kCert));
  if (!certs) return std::unexpected(certs.error());
  for (const auto& path : chain) {
    auto more = ossl::load_certs(path, field(Field::kChain));
    if (!more) return std::unexpected(more.error());
    for (auto& c : *more) certs->push_back(std::move(c));
  }
  auto kind = cert_key_kind((*certs)[0].get(), cert.string());
  if (!kind) return std::unexpected(kind.error());
  auto img = PeSignable::open(input);
  if (!img) return std::unexpected(img.error());
  auto digest = image::digest(*img, options.digest);
  if (!digest) return std::unexpected(digest.error());

  SigningRequest r;
  r.file = input.filename().string();
  r.file_size = img->layout().file_size;
  r.digest = options.digest;
  r.image_digest = std::move(*digest);
  r.key = *kind;
  r.signing_time =
      options.signing_time ? *options.signing_time : static_cast<std::int64_t>(::time(nullptr));
  r.description = options.description;
  r.url = options.url;
  r.commercial = options.commercial;
  auto attrs = signed_attributes(attribute_options(r), r.image_digest);
  if (!attrs) return std::unexpected(attrs.error());
  r.attributes = std::move(attrs->attributes);
  r.to_sign = std::move(attrs->to_sign);
  for (const auto& c : *certs) r.certs.push_back(ossl::to_der(c.get(), i2d_X509));
  r.thumbprint = ossl::hex_upper(ossl::cert_digest((*certs)[0].get(), EVP_sha1()));
  r.subject = ossl::name_string(X509_get_subject_name((*certs)[0].get()));
  return r;
}

std::string request_to_json(const SigningRequest& r) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["file"] = r.file;
  j["file_size"] = r.file_size;
  j["digest_algorithm"] = digest_name(r.digest);
  j["image_digest"] = ossl::hex_upper(r.image_digest);
  j["to_sign_hex"] = ossl::hex_upper(r.to_sign);
  j["to_sign_base64"] = base64(r.to_sign);
  j["key_type"] = key_kind_name(r.key);
  j["signature_format"] = r.key == KeyKind::kRsa
                              ? "raw RSA PKCS#1 v1.5 signature of the digest (DigestInfo padded)"
                              : "DER ECDSA-Sig-Value (or raw r||s) of the digest";
  j["signer_subject"] = r.subject;
  j["signer_thumbprint_sha1"] = r.thumbprint;
  j["signing_time"] = r.signing_time;
  j["name"] = r.description;
  j["url"] = r.url;
  j["commercial"] = r.commercial;
  j["authenticated_attributes"] = base64(r.attributes);
  auto certs = nlohmann::ordered_json::array();
  for (const auto& c : r.certs) certs.push_back(base64(c));
  j["certificates"] = certs;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<SigningRequest> request_from_json(std::string_view text, const std::string& file) {
  auto bad = [&](std::string what, std::string where) {
    return input_error("not a usable signing request: " + what, file, std::move(where),
                       "pass the file `wslplug prepare -o REQUEST` wrote, unchanged");
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object", "offset 0x0");
  auto str = [&](const char* key) -> std::optional<std::string> {
    if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
    return j[key].get<std::string>();
  };
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"] != kVersion)
    return bad(fmt::format("only version {} is understood", kVersion), "version");
  if (str("format").value_or("") != kFormat)
    return bad("\"format\" is not " + std::string(kFormat), "format");
  SigningRequest r;
  r.file = str("file").value_or("");
  if (j.contains("file_size") && j["file_size"].is_number_unsigned())
    r.file_size = j["file_size"].get<std::uint64_t>();
  auto alg = parse_digest(str("digest_algorithm").value_or(""));
  if (!alg) return bad("unknown \"digest_algorithm\"", "digest_algorithm");
  r.digest = *alg;
  auto img = unhex(str("image_digest").value_or("x"));
  if (!img) return bad("\"image_digest\" is not hex", "image_digest");
  r.image_digest = std::move(*img);
  auto to_sign = unhex(str("to_sign_hex").value_or("x"));
  if (!to_sign) return bad("\"to_sign_hex\" is not hex", "to_sign_hex");
  r.to_sign = std::move(*to_sign);
  auto attrs = unbase64(str("authenticated_attributes").value_or("x"));
  if (!attrs || attrs->empty())
    return bad("\"authenticated_attributes\" is not base64", "authenticated_attributes");
  r.attributes = std::move(*attrs);
  if (!j.contains("signing_time") || !j["signing_time"].is_number_integer())
    return bad("\"signing_time\" is missing", "signing_time");
  r.signing_time = j["signing_time"].get<std::int64_t>();
  r.description = str("name").value_or("");
  r.url = str("url").value_or("");
  r.commercial =
      j.contains("commercial") && j["commercial"].is_boolean() && j["commercial"].get<bool>();
  if (!j.contains("certificates") || !j["certificates"].is_array() || j["certificates"].empty())
    return bad("\"certificates\" is missing", "certificates");
  for (const auto& c : j["certificates"]) {
    auto der = c.is_string() ? unbase64(c.get<std::string>()) : std::nullopt;
    if (!der || !ossl::from_der<ossl::X509Ptr>(*der, d2i_X509))
      return bad("a certificate is not base64 DER", "certificates");
    r.certs.push_back(std::move(*der));
  }
  auto leaf = ossl::from_der<ossl::X509Ptr>(r.certs[0], d2i_X509);
  auto kind = cert_key_kind(leaf.get(), file);
  if (!kind) return std::unexpected(kind.error());
  r.key = *kind;
  r.thumbprint = ossl::hex_upper(ossl::cert_digest(leaf.get(), EVP_sha1()));
  r.subject = ossl::name_string(X509_get_subject_name(leaf.get()));
  return r;
}

Result<SignResult> finish_request(const fs::path& input, const fs::path& output,
                                  const SigningRequest& request,
                                  std::span<const std::byte> signature, const SignOptions& options,
                                  const OutputOptions& out, const std::string& signature_file) {
  // The attributes must be the ones these parameters give for this digest: nothing in the
  // request can be changed without the check below failing.
  auto attrs = signed_attributes(attribute_options(request), request.image_digest);
  if (!attrs) return std::unexpected(attrs.error());
  if (attrs->attributes != request.attributes || attrs->to_sign != request.to_sign)
    return input_error("the request's authenticated attributes do not match its other fields", {},
                       "authenticated_attributes",
                       "the request was edited or damaged: run `wslplug prepare` again");
  std::vector<ossl::X509Ptr> certs;
  for (const auto& d : request.certs) certs.push_back(ossl::from_der<ossl::X509Ptr>(d, d2i_X509));
  std::vector<const X509*> chain;
  for (std::size_t i = 1; i < certs.size(); ++i) chain.push_back(certs[i].get());
  const std::string signer = "the signature file " + signature_file;
  std::vector<std::byte> sig(signature.begin(), signature.end());
  if (request.key == KeyKind::kEcdsa) sig = ecdsa_to_der(certs[0].get(), std::move(sig));
  // Checked before the image is streamed, so a bad signature costs no pass over the file.
  auto der = assemble_signed_data(certs[0].get(), chain, request.digest, request.image_digest,
                                  *attrs, sig, signer);
  if (!der) return std::unexpected(std::move(der.error()).in_file(signature_file));
  auto img = PeSignable::open(input);
  if (!img) return std::unexpected(img.error());
  std::vector<std::byte> pkcs7 = std::move(*der);
  if (options.timestamp || options.nest_into) {
    auto sd = SignedData::parse(pkcs7, input.string());
    if (!sd) return std::unexpected(sd.error());
    if (options.timestamp) sd = timestamp_signature(*sd, *options.timestamp, 0);
    if (sd && options.nest_into) {
      auto outer = SignedData::parse(*options.nest_into, input.string());
      if (!outer) return std::unexpected(outer.error());
      sd = outer->with_nested(*sd);
    }
    if (!sd) return std::unexpected(sd.error());
    pkcs7 = sd->der();
  }
  const image::Rewrite how{
      request.digest, [&](std::span<const std::byte> actual) -> Result<std::vector<std::byte>> {
        if (std::ranges::equal(actual, request.image_digest)) return pkcs7;
        return input_error(
            fmt::format("the file changed since the request was prepared: its {} digest is {}, "
                        "the request's {}",
                        digest_name(request.digest), ossl::hex_upper(actual),
                        ossl::hex_upper(request.image_digest)),
            input.string(), "Authenticode digest",
            "finish with the exact file given to `wslplug prepare`, or prepare a new request");
      }};
  return image::rewrite(*img, output, how, out);
}

}  // namespace wslplug::signing
