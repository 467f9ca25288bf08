// Self-signed code-signing test certificates (`wslplug cert new`).
#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <ctime>

#include "authenticode.hpp"
#include "wslplug/signing/field.hpp"

namespace wslplug::signing {

std::optional<KeyType> parse_key_type(std::string_view name) {
  if (name == "rsa2048") return KeyType::kRsa2048;
  if (name == "rsa3072") return KeyType::kRsa3072;
  if (name == "rsa4096") return KeyType::kRsa4096;
  if (name == "ecdsa-p256" || name == "p256" || name == "ecdsa") return KeyType::kEcdsaP256;
  return std::nullopt;
}

namespace {

// "CN=a, O=b" (Windows / RFC 2253 order: most specific first, so the DER holds O then CN and
// Windows shows "CN=a, O=b") or "/CN=a/O=b" (OpenSSL order: DER order as written).
Result<ossl::NamePtr> parse_subject(std::string_view text) {
  ossl::NamePtr name(X509_NAME_new());
  std::vector<std::string> parts;
  std::string cur;
  const bool slash = !text.empty() && text.front() == '/';
  const char sep = slash ? '/' : ',';
  for (std::size_t i = slash ? 1 : 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      cur += text[++i];
    } else if (text[i] == sep) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += text[i];
    }
  }
  parts.push_back(cur);
  for (auto& p : parts) {
    auto b = p.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    p = p.substr(b);
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return input_error(fmt::format("subject part \"{}\" is not KEY=VALUE", p), {},
                         field(Field::kSubject),
                         "write the subject as \"CN=My Company, O=My Org\"");
    }
    std::string key = p.substr(0, eq);
    while (!key.empty() && key.back() == ' ') key.pop_back();
    const std::string value = p.substr(eq + 1);
    if (X509_NAME_add_entry_by_txt(name.get(), key.c_str(), MBSTRING_UTF8,
                                   ossl::uchars(as_bytes(value)), static_cast<int>(value.size()),
                                   slash ? -1 : 0, 0) != 1) {
      ossl::take_errors();
      return input_error(fmt::format("unknown subject attribute \"{}\"", key), {},
                         field(Field::kSubject), "use CN, O, OU, L, ST, C or emailAddress");
    }
  }
  if (X509_NAME_entry_count(name.get()) == 0) {
    return input_error("the subject is empty", {}, field(Field::kSubject), "give at least CN=...");
  }
  return name;
}

Result<ossl::PkeyPtr> generate_key(KeyType type) {
  EVP_PKEY* k = nullptr;
  switch (type) {
    case KeyType::kRsa2048:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
      break;
    case KeyType::kRsa3072:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072));
      break;
    case KeyType::kRsa4096:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(4096));
      break;
    case KeyType::kEcdsaP256:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
  }
  if (!k) return internal_error("key generation failed: " + ossl::take_errors());
  return ossl::PkeyPtr(k);
}

Status add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ossl::ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return internal_error(
        fmt::format("cannot add extension {}: {}", OBJ_nid2sn(nid), ossl::take_errors()));
  }
  return {};
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n > 0 ? n : 0));
}

}  // namespace

Result<std::pair<CertInfo, CertFiles>> create_test_certificate(const CertRequest& request,
                                                               const fs::path& dir, bool pfx,
                                                               const SecretString* pfx_password,
                                                               bool force) {
  if (request.days < 1 || request.days > 36500) {
    return input_error(fmt::format("{{days}} {} is out of range", request.days), {},
                       field(Field::kDays), "give a number of days between 1 and 36500");
  }
  auto name = parse_subject(request.subject);
  if (!name) return std::unexpected(name.error());

  // Refuse existing outputs before doing any work.
  CertFiles files{dir / "key.pem", dir / "cert.pem", dir / "cert.cer", std::nullopt};
  if (pfx) files.pfx = dir / "cert.pfx";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return io_error("cannot create the directory: " + ec.message(), dir.string());

  auto key = generate_key(request.key);
  if (!key) return std::unexpected(key.error());

  ossl::X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  {
    std::array<unsigned char, 16> serial{};
    if (RAND_bytes(serial.data(), serial.size()) != 1)
      return internal_error("no randomness for the serial number");
    serial[0] &= 0x7f;  // positive
    serial[0] |= 0x40;  // exactly 16 bytes, no leading zero
    ossl::BignumPtr bn(BN_bin2bn(serial.data(), serial.size(), nullptr));
    BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  }
  X509_set_subject_name(cert.get(), name->get());
  X509_set_issuer_name(cert.get(), name->get());
  std::time_t now = std::time(nullptr);
  // Valid from 10 minutes ago (clock skew), as New-SelfSignedCertificate does.
  X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -600, &now);
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), request.days, 0, &now);
  X509_set_pubkey(cert.get(), key->get());
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : std::initializer_list<std::pair<int, const char*>>{
           {NID_basic_constraints, "critical,CA:FALSE"},
           {NID_key_usage, "critical,digitalSignature"},
           {NID_ext_key_usage, "codeSigning"},
           {NID_subject_key_identifier, "hash"},
           {NID_authority_key_identifier, "keyid:always"}}) {
    if (auto st = add_ext(cert.get(), &ctx, nid, value); !st) return std::unexpected(st.error());
  }
  if (X509_sign(cert.get(), key->get(), EVP_sha256()) <= 0) {
    return internal_error("cannot self-sign the certificate: " + ossl::take_errors());
  }

  // Encode everything before writing anything.
  ossl::BioPtr key_bio(BIO_new(BIO_s_mem()));
  ossl::BioPtr cert_bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(key_bio.get(), key->get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1) {
    return internal_error("cannot encode the key or certificate: " + ossl::take_errors());
  }
  const std::string key_pem = bio_string(key_bio.get());
  const std::string cert_pem = bio_string(cert_bio.get());
  const auto cert_der = ossl::to_der(cert.get(), i2d_X509);
  std::vector<std::byte> pfx_der;
  if (pfx) {
    const char* pass = pfx_password ? pfx_password->value().c_str() : "";
    // AES-256-CBC + SHA-256 MAC: what current Windows imports.
    ossl::Pkcs12Ptr p12(PKCS12_create_ex(pass, "wslplug code signing", key->get(), cert.get(),
                                         nullptr, NID_aes_256_cbc, NID_aes_256_cbc, 0, 0, 0,
                                         nullptr, nullptr));
    if (!p12) return internal_error("cannot create the PKCS#12 file: " + ossl::take_errors());
    if (PKCS12_set_mac(p12.get(), pass, -1, nullptr, 0, 2048, EVP_sha256()) != 1)
      return internal_error("cannot set the PKCS#12 MAC: " + ossl::take_errors());
    pfx_der = ossl::to_der(p12.get(), i2d_PKCS12);
  }

  OutputOptions normal{.overwrite = force};
  OutputOptions secret{.overwrite = force, .mode = 0600};
  auto key_out = AtomicOutput::create(files.key_pem, secret);
  if (!key_out) return std::unexpected(key_out.error());
  auto cert_out = AtomicOutput::create(files.cert_pem, normal);
  if (!cert_out) return std::unexpected(cert_out.error());
  auto cer_out = AtomicOutput::create(files.cert_cer, normal);
  if (!cer_out) return std::unexpected(cer_out.error());
  std::optional<AtomicOutput> pfx_out;
  if (pfx) {
    auto o = AtomicOutput::create(*files.pfx, secret);
    if (!o) return std::unexpected(o.error());
    pfx_out.emplace(std::move(*o));
  }
  for (auto st : {key_out->write(key_pem), cert_out->write(cert_pem), cer_out->write(cert_der),
                  pfx_out ? pfx_out->write(pfx_der) : Status{}}) {
    if (!st) return std::unexpected(st.error());
  }
  for (AtomicOutput* o : {&*key_out, &*cert_out, &*cer_out, pfx_out ? &*pfx_out : nullptr}) {
    if (!o) continue;
    if (auto st = o->commit(); !st) return std::unexpected(st.error());
  }

  CertInfo info;
  info.subject = ossl::name_string(X509_get_subject_name(cert.get()));
  info.not_before = ossl::unix_time(X509_get0_notBefore(cert.get())).value_or(0);
  info.not_after = ossl::unix_time(X509_get0_notAfter(cert.get())).value_or(0);
  info.thumbprint_sha1 = ossl::hex_upper(ossl::cert_digest(cert.get(), EVP_sha1()));
  info.fingerprint_sha256 = ossl::hex_upper(ossl::cert_digest(cert.get(), EVP_sha256()), ':');
  return std::pair{std::move(info), std::move(files)};
}

}  // namespace wslplug::signing
