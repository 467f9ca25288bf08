// PKCS#11 keys (signer.hpp) through libp11: the module, the token, the login and the key object,
// each step with its own error; the key comes back as an EVP_PKEY whose operations run on the
// token, so it signs through the same OpenSSL-key signer as a key file. RFC 7512 URIs.
#include <fmt/format.h>
#include <libp11.h>

#include <charconv>
#include <system_error>

#include "authenticode.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/signing/field.hpp"

namespace wslplug::signing {

namespace {

// PKCS#11 return values libp11 puts in the OpenSSL error queue (PKCS#11 2.40, section 11.1).
constexpr unsigned long kCkrPinIncorrect = 0xA0;
constexpr unsigned long kCkrPinInvalid = 0xA1;
constexpr unsigned long kCkrPinLenRange = 0xA2;
constexpr unsigned long kCkrPinExpired = 0xA3;
constexpr unsigned long kCkrPinLocked = 0xA4;

constexpr std::string_view kUriFix =
    "write the key as pkcs11:token=LABEL;object=KEYLABEL (RFC 7512; `pkcs11-tool --module LIB "
    "--list-objects` or `p11tool --list-all` shows the labels)";

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view s, std::string_view attr) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size())
      return input_error(fmt::format("the PKCS#11 URI attribute '{}' has a cut-off %-escape", attr),
                         {}, field(Field::kKey), std::string(kUriFix));
    const int hi = hexval(s[i + 1]);
    const int lo = hexval(s[i + 2]);
    if (hi < 0 || lo < 0)
      return input_error(fmt::format("the PKCS#11 URI attribute '{}' has a bad %-escape", attr), {},
                         field(Field::kKey),
                         "escape bytes as %XX with two hex digits, e.g. id=%01");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// The loaded module and its slots; released after every key taken from it.
struct Module {
  PKCS11_CTX* ctx = nullptr;
  PKCS11_SLOT* slots = nullptr;
  unsigned int nslots = 0;
  bool loaded = false;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  ~Module() {
    if (slots) PKCS11_release_all_slots(ctx, slots, nslots);
    if (loaded) PKCS11_CTX_unload(ctx);
    if (ctx) PKCS11_CTX_free(ctx);
  }
};

std::string token_name(const PKCS11_TOKEN* t) {
  return fmt::format("'{}' (serial {})", t->label ? t->label : "", t->serialnr ? t->serialnr : "");
}

bool matches(const std::optional<std::string>& want, const char* have) {
  return !want || (have && *want == trim_view(have));
}

// The CKR_ code libp11 left in the error queue (0 when none).
unsigned long ckr_code() {
  unsigned long code = 0;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error())
    if (ERR_GET_LIB(e) == ERR_get_CKR_code()) code = ERR_GET_REASON(e);
  return code;
}

}  // namespace

Result<Pkcs11Uri> parse_pkcs11_uri(std::string_view text) {
  if (!istarts_with(text, "pkcs11:"))
    return input_error(fmt::format("'{}' is not a PKCS#11 URI", text), {}, field(Field::kKey),
                       std::string(kUriFix));
  Pkcs11Uri uri;
  std::string_view rest = text.substr(7);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  auto each = [](std::string_view list, char sep, auto&& fn) -> Status {
    while (!list.empty()) {
      auto cut = list.find(sep);
      std::string_view item = list.substr(0, cut);
      list = cut == std::string_view::npos ? std::string_view{} : list.substr(cut + 1);
      if (item.empty()) continue;
      auto eq = item.find('=');
      if (eq == std::string_view::npos)
        return input_error(fmt::format("the PKCS#11 URI attribute '{}' has no value", item), {},
                           field(Field::kKey), std::string(kUriFix));
      if (auto st = fn(item.substr(0, eq), item.substr(eq + 1)); !st) return st;
    }
    return {};
  };
  auto path_attr = [&](std::string_view name, std::string_view raw) -> Status {
    auto value = percent_decode(raw, name);
    if (!value) return std::unexpected(value.error());
    if (name == "token") {
      uri.token = *value;
    } else if (name == "manufacturer") {
      uri.manufacturer = *value;
    } else if (name == "model") {
      uri.model = *value;
    } else if (name == "serial") {
      uri.serial = *value;
    } else if (name == "object") {
      uri.object = *value;
    } else if (name == "type") {
      uri.type = *value;
    } else if (name == "id") {
      const auto b = std::as_bytes(std::span(*value));
      uri.id = std::vector<std::byte>(b.begin(), b.end());
    } else if (name == "slot-id") {
      unsigned long v = 0;
      auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), v);
      if (ec != std::errc{} || end != value->data() + value->size())
        return input_error(fmt::format("slot-id '{}' is not a number", *value), {},
                           field(Field::kKey), "slot-id is the decimal slot number");
      uri.slot_id = v;
    } else if (name == "library-manufacturer" || name == "library-description" ||
               name == "library-version" || name == "slot-description" ||
               name == "slot-manufacturer") {
      // Describe the module or slot; the module is chosen by --pkcs11-module.
    } else {
      return input_error(fmt::format("unknown PKCS#11 URI attribute '{}'", name), {},
                         field(Field::kKey),
                         "use token, manufacturer, model, serial, slot-id, object, id, type");
    }
    return {};
  };
  if (auto st = each(rest, ';', path_attr); !st) return std::unexpected(st.error());
  auto query_attr = [&](std::string_view name, std::string_view) -> Status {
    if (name == "pin-value" || name == "pin-source") uri.has_pin = true;
    return {};  // module-name/module-path and others: --pkcs11-module chooses the module
  };
  if (auto st = each(query, '&', query_attr); !st) return std::unexpected(st.error());
  return uri;
}

Result<Credentials> pkcs11_credentials(const Pkcs11Options& options) {
  auto uri = parse_pkcs11_uri(options.uri);
  if (!uri) return std::unexpected(uri.error());
  if (uri->has_pin)
    return input_error("the PKCS#11 URI carries a PIN (pin-value/pin-source)", {},
                       field(Field::kKey),
                       "remove the PIN from the URI (it would be visible to every process); pass "
                       "it with {pin_env} VAR or {pin_file} FILE");
  if (uri->type && *uri->type != "private")
    return input_error(fmt::format("the PKCS#11 URI names a '{}' object; signing needs the "
                                   "private key",
                                   *uri->type),
                       {}, field(Field::kKey), "use type=private or leave type out");
  if (!uri->object && !uri->id)
    return input_error("the PKCS#11 URI names no key (object= or id=)", {}, field(Field::kKey),
                       std::string(kUriFix));
  const std::string module_path = options.module.string();
  std::error_code ec;
  if (module_path.empty())
    return input_error("a PKCS#11 key needs the provider module", {}, field(Field::kPkcs11Module),
                       "pass {pkcs11_module} LIB.so (e.g. /usr/lib/softhsm/libsofthsm2.so, "
                       "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so, or the vendor's module)");
  if (!fs::exists(options.module, ec))
    return input_error(fmt::format("the PKCS#11 module {} does not exist", module_path),
                       module_path, field(Field::kPkcs11Module),
                       "install the token's PKCS#11 provider and pass the path of its .so");

  auto mod = std::make_shared<Module>();
  mod->ctx = PKCS11_CTX_new();
  if (!mod->ctx) return internal_error("cannot create a libp11 context: " + ossl::take_errors());
  if (PKCS11_CTX_load(mod->ctx, module_path.c_str()) != 0)
    return input_error(
        fmt::format("cannot load the PKCS#11 module {}: {}", module_path, ossl::take_errors()),
        module_path, field(Field::kPkcs11Module),
        "pass a PKCS#11 provider library (.so) for this machine's architecture; its own "
        "configuration (e.g. SOFTHSM2_CONF) must be readable");
  mod->loaded = true;
  if (PKCS11_enumerate_slots(mod->ctx, &mod->slots, &mod->nslots) != 0)
    return fail(ErrorKind::kIo,
                fmt::format("the PKCS#11 module {} cannot list its slots: {}", module_path,
                            ossl::take_errors()),
                module_path, field(Field::kPkcs11Module), "check the module's configuration");

  // The token.
  std::vector<PKCS11_SLOT*> found;
  std::string present;
  for (unsigned int i = 0; i < mod->nslots; ++i) {
    PKCS11_SLOT* slot = &mod->slots[i];
    if (!slot->token || !slot->token->initialized) continue;
    const PKCS11_TOKEN* t = slot->token;
    present += (present.empty() ? "" : ", ") + token_name(t);
    if (matches(uri->token, t->label) && matches(uri->manufacturer, t->manufacturer) &&
        matches(uri->model, t->model) && matches(uri->serial, t->serialnr) &&
        (!uri->slot_id || *uri->slot_id == PKCS11_get_slotid_from_slot(slot)))
      found.push_back(slot);
  }
  if (found.empty())
    return input_error(
        fmt::format("no token matches {} in {} (present: {})", options.uri, module_path,
                    present.empty() ? "none" : present),
        module_path, field(Field::kKey),
        "check token= (the token label), that the token is plugged in, and the module");
  if (found.size() > 1)
    return input_error(fmt::format("{} tokens match {}: {}", found.size(), options.uri, present),
                       module_path, field(Field::kKey), "add serial= or token= to choose one");
  PKCS11_SLOT* slot = found[0];
  PKCS11_TOKEN* token = slot->token;
  const std::string tname = token_name(token);
  if (token->userPinLocked)
    return input_error(
        fmt::format("the user PIN of token {} is locked", tname), module_path,
        field(Field::kPinEnv),
        "the PIN was entered wrongly too often: unlock it with the SO PIN (the "
        "token's admin tool, e.g. `pkcs11-tool --init-pin --login --login-type so`)");

  // The login.
  if (token->loginRequired) {
    if (!options.pin)
      return input_error(fmt::format("token {} needs its user PIN", tname), module_path,
                         field(Field::kPinEnv),
                         "pass the PIN with {pin_env} VAR or {pin_file} FILE (never on the "
                         "command line), or run on a terminal to be asked");
    if (PKCS11_open_session(slot, 0) != 0 ||
        PKCS11_login(slot, 0, options.pin->value().c_str()) != 0) {
      const unsigned long ckr = ckr_code();
      ERR_clear_error();
      if (ckr == kCkrPinIncorrect || ckr == kCkrPinInvalid || ckr == kCkrPinLenRange)
        return input_error(fmt::format("wrong PIN for token {}", tname), module_path,
                           field(Field::kPinEnv),
                           "check the PIN variable or file; a few more wrong PINs lock the token");
      if (ckr == kCkrPinLocked)
        return input_error(fmt::format("the user PIN of token {} is locked", tname), module_path,
                           field(Field::kPinEnv),
                           "unlock it with the SO PIN (the token's admin tool)");
      if (ckr == kCkrPinExpired)
        return input_error(fmt::format("the user PIN of token {} has expired", tname), module_path,
                           field(Field::kPinEnv), "set a new PIN with the token's admin tool");
      return fail(ErrorKind::kIo,
                  fmt::format("cannot log in to token {} (PKCS#11 error 0x{:X})", tname, ckr),
                  module_path, field(Field::kPinEnv), "check the token and its module");
    }
  }

  // The key.
  PKCS11_KEY* keys = nullptr;
  unsigned int nkeys = 0;
  if (PKCS11_enumerate_keys(token, &keys, &nkeys) != 0)
    return fail(ErrorKind::kIo,
                fmt::format("cannot list the keys of token {}: {}", tname, ossl::take_errors()),
                module_path, field(Field::kKey), "check the token and its module");
  PKCS11_KEY* key = nullptr;
  std::string labels;
  for (unsigned int i = 0; i < nkeys; ++i) {
    PKCS11_KEY* k = &keys[i];
    if (!k->isPrivate) continue;
    labels += fmt::format("{}'{}'", labels.empty() ? "" : ", ", k->label ? k->label : "");
    const bool label_ok = !uri->object || (k->label && *uri->object == k->label);
    const bool id_ok = !uri->id || (k->id_len == uri->id->size() &&
                                    std::equal(uri->id->begin(), uri->id->end(),
                                               reinterpret_cast<const std::byte*>(k->id)));
    if (label_ok && id_ok && !key) key = k;
  }
  if (!key)
    return input_error(fmt::format("token {} has no private key {} (its private keys: {})", tname,
                                   uri->object ? "'" + *uri->object + "'" : "with that id",
                                   labels.empty() ? "none" : labels),
                       module_path, field(Field::kKey),
                       "check object= (the key's label) and id=; `pkcs11-tool --list-objects "
                       "--login` lists them");
  const std::string kname =
      fmt::format("PKCS#11 key '{}' on token {}", key->label ? key->label : "", tname);
  ossl::PkeyPtr pkey(PKCS11_get_private_key(key));
  if (!pkey)
    return fail(ErrorKind::kIo, fmt::format("cannot use {}: {}", kname, ossl::take_errors()),
                module_path, field(Field::kKey),
                "check that the object is an RSA or EC private key");

  // The certificate: --cert (the one matching the key), else the token's.
  auto impl = std::make_unique<Credentials::Impl>();
  if (options.cert) {
    auto certs = ossl::load_certs(*options.cert, field(Field::kCert));
    if (!certs) return std::unexpected(certs.error());
    for (auto& c : *certs) {
      if (!impl->cert && X509_check_private_key(c.get(), pkey.get()) == 1)
        impl->cert = std::move(c);
      else
        impl->chain.push_back(std::move(c));
    }
    ERR_clear_error();
    if (!impl->cert)
      return input_error(
          fmt::format("no certificate in {} matches {}", options.cert->string(), kname),
          options.cert->string(), field(Field::kCert),
          "pass the certificate issued for this token key");
  } else {
    const X509* cert = nullptr;
    if (PKCS11_CERT* c = PKCS11_find_certificate(key); c && c->x509) cert = c->x509;
    if (!cert) {
      PKCS11_CERT* certs = nullptr;
      unsigned int ncerts = 0;
      if (PKCS11_enumerate_certs(token, &certs, &ncerts) == 0)
        for (unsigned int i = 0; i < ncerts && !cert; ++i)
          if (certs[i].x509 && X509_check_private_key(certs[i].x509, pkey.get()) == 1)
            cert = certs[i].x509;
    }
    ERR_clear_error();
    if (!cert)
      return input_error(fmt::format("token {} holds no certificate for {}", tname, kname),
                         module_path, field(Field::kCert),
                         "pass the signer certificate with {cert} CERT.pem, or store it on the "
                         "token with the key's id");
    impl->cert.reset(X509_dup(const_cast<X509*>(cert)));
    if (!impl->cert) return internal_error("cannot copy the token's certificate");
  }
  for (const auto& path : options.chain) {
    auto more = ossl::load_certs(path, field(Field::kChain));
    if (!more) return std::unexpected(more.error());
    for (auto& c : *more) impl->chain.push_back(std::move(c));
  }
  if (auto kind = cert_key_kind(impl->cert.get(), module_path); !kind)
    return std::unexpected(kind.error());
  impl->signer = pkey_signer(std::move(pkey), kname, /*serialise=*/true, mod);
  return Credentials::adopt(std::move(impl));
}

}  // namespace wslplug::signing
