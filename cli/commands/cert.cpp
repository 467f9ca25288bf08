// `wslplug cert new`: a self-signed code-signing certificate for testing plugins.
#include <fmt/format.h>

#include <ctime>
#include <optional>

#include "commands/commands.hpp"
#include "common.hpp"
#include "flags/output_flags.hpp"
#include "flags/secret_flags.hpp"
#include "render/console.hpp"
#include "render/json_report.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct CertNewArgs {
  std::string out_dir = ".";
  std::string subject = "CN=wslplug test code signing";
  int days = 365;
  std::string key = "rsa3072";
  bool pfx = false;
  SecretFlags pfx_password;
  OutputFlags out;
  bool json = false;
};

int run_cert_new(const CertNewArgs& a) {
  nlohmann::json doc = {{"ok", false},
                        {"subject", nullptr},
                        {"key_type", a.key},
                        {"not_before", nullptr},
                        {"not_after", nullptr},
                        {"thumbprint_sha1", nullptr},
                        {"fingerprint_sha256", nullptr},
                        {"files", nullptr}};
  auto fail = [&](const Error& e) { return a.json ? print_json_failure(doc, e) : report(e); };
  auto key = signing::parse_key_type(a.key);
  if (!key) {
    return fail(Error{ErrorKind::kInput,
                      fmt::format("unknown key type \"{}\"", a.key),
                      {},
                      "--key-type",
                      "use rsa2048, rsa3072, rsa4096 or ecdsa-p256"});
  }
  if (a.pfx_password.given() && !a.pfx) {
    return fail(Error{ErrorKind::kInput,
                      "a --pfx password needs --pfx",
                      {},
                      "--pfx-password-env/--pfx-password-file",
                      "add --pfx"});
  }
  auto password = secret_from_flags(a.pfx_password);
  if (!password) return fail(password.error());
  if (!*password && a.pfx) {
    warn(
        "cert.pfx is protected by an EMPTY password; use --pfx-password-env VAR or "
        "--pfx-password-file FILE to set one");
  }
  signing::CertRequest req{a.subject, a.days, *key};
  auto r = signing::create_test_certificate(req, a.out_dir, a.pfx,
                                            *password ? &**password : nullptr, a.out.force);
  if (!r) return fail(r.error());
  const auto& [info, files] = *r;
  if (a.json) {
    doc["ok"] = true;
    doc["subject"] = info.subject;
    doc["not_before"] = iso_utc(info.not_before);
    doc["not_after"] = iso_utc(info.not_after);
    doc["thumbprint_sha1"] = info.thumbprint_sha1;
    doc["fingerprint_sha256"] = info.fingerprint_sha256;
    doc["files"] = {{"key", json_path(files.key_pem)},
                    {"cert", json_path(files.cert_pem)},
                    {"cer", json_path(files.cert_cer)},
                    {"pfx", files.pfx ? nlohmann::json(json_path(*files.pfx)) : nullptr}};
    print_json(doc);
    return kExitOk;
  }
  // Files are the command's product: what was made is status (stderr, silenced by -q); --json
  // has the same on stdout.
  if (quiet()) return kExitOk;
  fmt::print(stderr, "Subject:      {}\n", info.subject);
  fmt::print(stderr, "Valid from:   {}\n", human_utc(info.not_before));
  fmt::print(stderr, "Valid until:  {}\n", human_utc(info.not_after));
  fmt::print(stderr, "Thumbprint:   {}  (SHA-1, as Windows shows it)\n", info.thumbprint_sha1);
  fmt::print(stderr, "SHA-256:      {}\n", info.fingerprint_sha256);
  fmt::print(stderr, "Wrote:        {} (private key, mode 0600)\n", files.key_pem.string());
  fmt::print(stderr, "              {}\n", files.cert_pem.string());
  fmt::print(stderr, "              {} (DER, for Import-Certificate / certutil -addstore)\n",
             files.cert_cer.string());
  if (files.pfx) fmt::print(stderr, "              {} (PKCS#12)\n", files.pfx->string());
  status(
      fmt::format("Trust it on Windows (elevated PowerShell):\n"
                  "  Import-Certificate -FilePath {} -CertStoreLocation Cert:\\LocalMachine\\Root\n"
                  "  Import-Certificate -FilePath {} -CertStoreLocation "
                  "Cert:\\LocalMachine\\TrustedPublisher",
                  files.cert_cer.filename().string(), files.cert_cer.filename().string()));
  return kExitOk;
}

}  // namespace

Runner setup_cert(CLI::App& root) {
  auto* cert = root.add_subcommand("cert", "Create test code-signing certificates");
  cert->require_subcommand(1);
  auto args = std::make_shared<CertNewArgs>();
  auto* cmd = cert->add_subcommand(
      "new",
      "Create a self-signed code-signing certificate (X.509 v3, SHA-256, EKU codeSigning) and "
      "its "
      "private key: key.pem (0600), cert.pem, cert.cer (DER) and optionally cert.pfx");
  cmd->add_option("--out-dir", args->out_dir, "Directory for the files (created if missing)")
      ->option_text("DIR")
      ->capture_default_str();
  cmd->add_option("--subject", args->subject, "Subject, e.g. \"CN=My Company, O=My Org\"")
      ->option_text("DN")
      ->capture_default_str();
  cmd->add_option("--days", args->days, "Validity in days")
      ->option_text("N")
      ->capture_default_str();
  set_choices(
      cmd->add_option("--key-type", args->key, "Key type: rsa2048, rsa3072, rsa4096 or ecdsa-p256"),
      {"rsa2048", "rsa3072", "rsa4096", "ecdsa-p256"})
      ->capture_default_str();
  add_alias(cmd, "--key", args->key, "--key-type", /*deprecated=*/true);
  cmd->add_flag("--pfx", args->pfx, "Also write a PKCS#12 file cert.pfx");
  add_secret_flags(cmd, args->pfx_password, "pfx", "the cert.pfx password");
  add_output_flags(cmd, args->out, OutputStyle::kForceOnly, {.force = "Overwrite existing files"});
  cmd->add_flag("--json", args->json,
                "Print one JSON document on stdout (schema: docs/output-json.md)");
  set_examples(cmd, {"wslplug cert new --out-dir certs",
                     "wslplug cert new --out-dir certs --subject \"CN=Contoso, O=Contoso Ltd\" "
                     "--days 730 --key-type rsa4096",
                     "PFX_PASS=secret wslplug cert new --out-dir certs --pfx "
                     "--pfx-password-env PFX_PASS"});
  set_examples(cert, {"wslplug cert new --out-dir certs"});
  return [args, cmd] {
    if (cmd->parsed()) return run_cert_new(*args);
    return kExitUsage;
  };
}

}  // namespace wslplug::cli
