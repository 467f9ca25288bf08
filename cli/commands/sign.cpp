// `wslplug sign`: Authenticode-sign PE files (several files in parallel).
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>

#include "commands/commands.hpp"
#include "common.hpp"
#include "flags/output_flags.hpp"
#include "flags/project_flags.hpp"
#include "flags/secret_flags.hpp"
#include "flags/timestamp_flags.hpp"
#include "parallel.hpp"
#include "render/console.hpp"
#include "render/json_report.hpp"
#include "render/signing_settings.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/project/layout.hpp"
#include "wslplug/project/manifest.hpp"
#include "wslplug/project/settings.hpp"
#include "wslplug/signing/signer.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct SignArgs {
  std::vector<std::string> files;
  std::string cert, key, pfx;
  std::vector<std::string> chain;
  OutputFlags out;
  std::string out_dir;  // --out-dir: -o DIR spelt as the other commands spell it
  std::string hash = "sha256";
  bool hash_given = false;  // --hash was on the command line (else: environment, manifest)
  const CLI::App* command = nullptr;  // for the usage error of a missing FILE
  std::string name, url;
  bool commercial = false;
  std::optional<std::int64_t> time;
  SecretFlags key_password, pfx_password;
  TimestampFlags ts;
  bool append = false;
  std::string detached_out;
  bool json = false;
  // Keys that stay in hardware or the cloud (signer.hpp).
  std::string external_signer;
  double external_timeout_seconds = 120;
  std::string pkcs11_module;
  SecretFlags pin;
};

// Where the signing key came from, for the report.
struct SignerSource {
  std::string kind;  // "cert", "pfx", "project", "external" or "pkcs11"
  std::string cert;  // the certificate (or .pfx) file
};

// True for a PEM private key that needs a password ("ENCRYPTED PRIVATE KEY" or a legacy
// "Proc-Type: 4,ENCRYPTED" header). Unreadable files are left to the library's error.
bool key_is_encrypted_pem(const std::string& path) {
  auto text = read_text_file(path, 1 << 20);
  return text && text->find("ENCRYPTED") != std::string::npos;
}

Result<signing::Credentials> load_pfx(const SignArgs& a, const std::vector<fs::path>& chain) {
  auto pw = secret_from_flags(a.pfx_password);
  if (!pw) return std::unexpected(pw.error());
  if (!*pw) {
    // No password option: try the empty password (wslplug cert new --pfx without one), then ask
    // on the terminal when there is one.
    auto creds = signing::Credentials::from_pkcs12(a.pfx, SecretString{}, chain);
    if (creds) return creds;
    auto asked = prompt_secret(a.pfx_password, a.pfx);
    if (!asked) return std::unexpected(asked.error());
    if (!*asked) return creds;
    pw = std::move(asked);
  }
  return signing::Credentials::from_pkcs12(a.pfx, **pw, chain);
}

// Inside a project (wslplug.json here or in a parent folder), no signer from the flags, the
// environment or the manifest means the project's test certificate, as `build --sign` uses it.
Result<SignArgs> with_project_cert(const SignArgs& a,
                                   const std::optional<project::FoundProject>& project) {
  if (!project)
    return input_error("a certificate and a key are needed", {}, "--cert/--key",
                       "pass --cert cert.pem --key key.pem (from `wslplug cert new`) or --pfx, or "
                       "set WSLPLUG_CERT and WSLPLUG_KEY (or WSLPLUG_PFX); inside a project made "
                       "by `wslplug new` the project's certificate is used");
  const fs::path& dir = project->dir;
  const fs::path cert = project::cert_pem(project->manifest, dir);
  const fs::path key = project::key_pem(project->manifest, dir);
  std::error_code ec;
  const bool have_cert = fs::exists(cert, ec), have_key = fs::exists(key, ec);
  if (!have_cert && !have_key)
    return input_error(
        fmt::format("no --cert/--key given and the project has no test certificate yet ({})",
                    cert.parent_path().string()),
        (dir / project::kManifestFile).string(), "paths.cert_dir",
        "run `wslplug build --sign` once (it creates the certificate), or pass --cert and --key");
  if (have_cert != have_key)
    return input_error(
        fmt::format("the project's {} is missing ({} is there)",
                    have_cert ? "private key" : "certificate", (have_cert ? cert : key).string()),
        (have_cert ? key : cert).string(), "paths.cert_dir",
        "restore the missing file, or remove both and run `wslplug build --sign` "
        "to create a new test certificate");
  SignArgs b = a;
  b.cert = cert.string();
  b.key = key.string();
  return b;
}

// --external-signer CMD: the key is wherever CMD reaches (a KMS, an HSM, another machine).
Result<signing::Credentials> load_external(const SignArgs& a, const std::vector<fs::path>& chain) {
  if (!a.key.empty() || !a.pfx.empty() || !a.pkcs11_module.empty())
    return input_error("--external-signer cannot be combined with --key, --pfx or --pkcs11-module",
                       {}, "--external-signer",
                       "the command holds the key: give only --cert (and --chain)");
  signing::ExternalSignerOptions o;
  o.command = a.external_signer;
  o.timeout = std::chrono::milliseconds(static_cast<long long>(a.external_timeout_seconds * 1000));
  return signing::external_credentials(a.cert, chain, o);
}

// --pkcs11-module LIB --key pkcs11:...: the PIN from --pin-env/--pin-file, else the terminal.
Result<signing::Credentials> load_pkcs11(const SignArgs& a, const std::vector<fs::path>& chain) {
  if (!a.pfx.empty())
    return input_error("--pfx cannot be combined with a PKCS#11 key", {}, "--pfx",
                       "use either --pfx FILE or --pkcs11-module LIB --key pkcs11:...");
  if (!istarts_with(a.key, "pkcs11:"))
    return input_error("--pkcs11-module needs --key as a PKCS#11 URI", {}, "--key",
                       "name the key as pkcs11:token=LABEL;object=KEYLABEL (RFC 7512)");
  auto pin = secret_from_flags(a.pin);
  if (!pin) return std::unexpected(pin.error());
  if (!*pin) {
    pin = prompt_secret_text(a.pin, "PIN for " + a.key + ": ");
    if (!pin) return std::unexpected(pin.error());
  }
  signing::Pkcs11Options o;
  o.module = a.pkcs11_module;
  o.uri = a.key;
  o.pin = *pin ? &**pin : nullptr;
  if (!a.cert.empty()) o.cert = a.cert;
  o.chain = chain;
  return signing::pkcs11_credentials(o);
}

// Passwords: --*-password-env, --*-password-file, else a prompt on the terminal (never argv).
Result<signing::Credentials> load_credentials(const SignArgs& a) {
  std::vector<fs::path> chain(a.chain.begin(), a.chain.end());
  if (!a.external_signer.empty()) return load_external(a, chain);
  if (!a.pkcs11_module.empty() || istarts_with(a.key, "pkcs11:")) {
    if (a.pkcs11_module.empty())
      return input_error("a PKCS#11 key needs the provider module", {}, "--pkcs11-module",
                         "pass --pkcs11-module LIB.so (e.g. /usr/lib/softhsm/libsofthsm2.so)");
    return load_pkcs11(a, chain);
  }
  if (!a.pfx.empty()) {
    if (!a.cert.empty() || !a.key.empty())
      return input_error("--pfx cannot be combined with --cert/--key", {}, "--pfx",
                         "use either --pfx FILE or --cert CERT.pem --key KEY.pem");
    return load_pfx(a, chain);
  }
  if (a.cert.empty() && !a.key.empty())
    return input_error(fmt::format("--key {} is given without its certificate", a.key), {},
                       "--cert", "add --cert CERT.pem (the certificate of that key)");
  if (!a.cert.empty() && a.key.empty())
    return input_error(fmt::format("--cert {} is given without its private key", a.cert), {},
                       "--key", "add --key KEY.pem (the private key of that certificate)");
  auto pw = secret_from_flags(a.key_password);
  if (!pw) return std::unexpected(pw.error());
  if (!*pw && key_is_encrypted_pem(a.key)) {
    pw = prompt_secret(a.key_password, a.key);
    if (!pw) return std::unexpected(pw.error());
  }
  return signing::Credentials::from_pem(a.cert, a.key, chain, *pw ? &**pw : nullptr);
}

std::string sign_extras(const SignArgs& a, std::size_t nested_index) {
  std::string s;
  if (!a.ts.url.empty()) s += fmt::format(", timestamped by {}", a.ts.url);
  if (nested_index > 0) s += fmt::format(", nested as signature {}", nested_index);
  return s;
}

nlohmann::json signer_json(const signing::Credentials& creds, const SignerSource& source) {
  return {{"subject", creds.subject()},
          {"thumbprint_sha1", creds.thumbprint_sha1()},
          {"source", source.kind},
          {"file", json_path(source.cert)}};
}

// sign --detached-out: the PKCS#7 is written, the PE file is not touched.
int run_detached(const SignArgs& a, signing::SignOptions opts, nlohmann::json& doc,
                 const SignerSource& source) {
  auto fail = [&](const Error& e) { return a.json ? print_json_failure(doc, e) : report(e); };
  if (a.files.size() != 1 || a.out.in_place || !a.out.output.empty()) {
    return fail(Error{ErrorKind::kInput,
                      "--detached-out signs exactly one file and writes "
                      "only the signature",
                      {},
                      "--detached-out",
                      "drop -o/--in-place and give one FILE; embed it later with "
                      "`wslplug attach FILE --signature SIG.p7`"});
  }
  const fs::path in = a.files[0];
  OutputTarget target{a.detached_out, OutputOptions{.overwrite = a.out.force}, false};
  if (auto st = refuse_existing(target, "--detached-out", "choose another name, or pass --force");
      !st)
    return fail(st.error());
  auto creds = load_credentials(a);
  if (!creds) return fail(creds.error());
  doc["signer"] = signer_json(*creds, source);
  opts.append = a.append;
  auto sig = signing::sign_detached(in, *creds, opts);
  if (!sig) return fail(sig.error());
  const auto& der = sig->der;
  const std::size_t nested_index = sig->nested_index.value_or(0);
  if (auto st = write_file_atomic(target.path, der, target.options); !st) return fail(st.error());
  doc["ok"] = true;
  doc["files"].push_back({{"file", json_path(in)},
                          {"ok", true},
                          {"output", nullptr},
                          {"in_place", false},
                          {"detached_signature", json_path(target.path)},
                          {"signature_size", der.size()},
                          {"digest_algorithm", signing::digest_name(opts.digest)},
                          {"nested_index", nested_index},
                          {"timestamped", !a.ts.url.empty()}});
  if (a.json) {
    print_json(doc);
    return kExitOk;
  }
  status(fmt::format("signed {} -> detached signature {} ({} bytes{}); {} is unchanged",
                     in.string(), target.path.string(), der.size(), sign_extras(a, nested_index),
                     in.string()));
  return kExitOk;
}

// One file of a (parallel) sign run; fills its JSON entry, prints its line or reports its error.
int sign_one(const SignArgs& a, const fs::path& in, const signing::Credentials& creds,
             signing::SignOptions opts, std::mutex& print_mutex, nlohmann::json& entry) {
  entry = {{"file", json_path(in)},
           {"ok", false},
           {"output", nullptr},
           {"in_place", a.out.in_place},
           {"digest_algorithm", signing::digest_name(opts.digest)},
           {"digest", nullptr},
           {"checksum", nullptr},
           {"size", nullptr},
           {"nested_index", nullptr},
           {"timestamped", !a.ts.url.empty()}};
  auto fail = [&](const Error& e) {
    if (a.json) {
      entry["error"] = error_json(e);
      return exit_code(e.kind);
    }
    std::lock_guard lock(print_mutex);
    return report(e);
  };
  auto target = resolve_output(a.out, OutputStyle::kOutOrInPlace, in, "signed", true);
  if (!target) return fail(target.error());
  entry["output"] = json_path(target->path);
  if (auto st = refuse_input_as_output(in, *target); !st) return fail(st.error());
  opts.append = a.append;
  auto r = signing::sign_file(in, target->path, creds, opts, target->options);
  if (!r) return fail(r.error());
  const std::size_t nested_index = r->nested_index.value_or(0);
  entry["ok"] = true;
  entry["digest"] = r->digest_hex;
  entry["checksum"] = fmt::format("0x{:08X}", r->checksum);
  entry["size"] = r->output_size;
  entry["nested_index"] = nested_index;
  if (a.json) return kExitOk;
  std::lock_guard lock(print_mutex);
  status(fmt::format("signed {} -> {} ({} digest {}, checksum 0x{:08X}, {} bytes{})", in.string(),
                     target->path.string(), signing::digest_name(opts.digest), r->digest_hex,
                     r->checksum, r->output_size, sign_extras(a, nested_index)));
  return kExitOk;
}

// --out-dir DIR: refused beside -o, --in-place or --detached-out; DIR is created, then it is
// -o DIR.
Status use_out_dir(SignArgs& a) {
  if (!a.out.output.empty() || a.out.in_place || !a.detached_out.empty()) {
    const std::string other = a.out.in_place            ? std::string("--in-place")
                              : !a.detached_out.empty() ? "--detached-out " + a.detached_out
                                                        : "-o " + a.out.output;
    return input_error(
        fmt::format("--out-dir {} and {} both say where the output goes", a.out_dir, other), {},
        "--out-dir", "keep one of them");
  }
  std::error_code ec;
  fs::create_directories(a.out_dir, ec);
  if (ec || !fs::is_directory(a.out_dir, ec)) {
    return std::unexpected(
        Error{ErrorKind::kIo,
              "cannot create the output directory" + (ec ? ": " + ec.message() : std::string()),
              a.out_dir, "--out-dir", "choose a directory you can write"});
  }
  a.out.output = a.out_dir;
  return {};
}

// Two inputs that would be written to one file (the same name into one directory, or one file
// given twice with --in-place) are refused before anything is written.
Status refuse_shared_outputs(const SignArgs& a) {
  if (a.files.size() < 2 || !a.detached_out.empty()) return {};
  std::error_code ec;
  const bool into_dir =
      !a.out_dir.empty() || (!a.out.output.empty() && fs::is_directory(a.out.output, ec));
  if (!a.out.in_place && !into_dir) return {};
  const std::string dir = !a.out_dir.empty() ? a.out_dir : a.out.output;
  std::map<std::string, const std::string*> seen;  // output -> the first input written there
  for (const auto& file : a.files) {
    const fs::path in(file);
    const std::string target = a.out.in_place ? fs::weakly_canonical(in, ec).string()
                                              : (fs::path(dir) / in.filename()).string();
    const auto [first, fresh] = seen.emplace(target, &file);
    if (fresh) continue;
    if (a.out.in_place)
      return input_error(
          fmt::format("{} is given twice (as {} and {})", target, *first->second, file), {},
          "--in-place", "give each file once");
    return input_error(
        fmt::format("{} and {} would both be written to {}", *first->second, file, target), {},
        a.out_dir.empty() ? "-o" : "--out-dir",
        "sign files of the same name into different directories (one run each), or rename one");
  }
  return {};
}

int run_sign(const SignArgs& given) {
  nlohmann::json doc = {{"ok", false},
                        {"signer", nullptr},
                        {"settings", nlohmann::json::object()},
                        {"files", nlohmann::json::array()}};
  auto fail = [&](const Error& e) { return given.json ? print_json_failure(doc, e) : report(e); };
  SignArgs a = given;
  auto project = project::find_project(fs::current_path());
  if (!project) return fail(project.error());
  // No FILE: the project's built DLL, signed in place unless told otherwise (as build --sign).
  if (a.files.empty()) {
    auto dll = project_dll_or_missing(*project, "PE files to sign");
    // Outside a project that is a usage error, reported as every command's.
    if (!dll) return *project ? fail(dll.error()) : report_failure(dll.error());
    a.files.push_back(dll->string());
    if (a.out.output.empty() && !a.out.in_place && a.out_dir.empty() && a.detached_out.empty())
      a.out.in_place = true;
    detail(fmt::format("signing the project's DLL {}", dll->string()));
  }
  if (auto st = refuse_shared_outputs(a); !st) return fail(st.error());
  if (!a.out_dir.empty())
    if (auto st = use_out_dir(a); !st) return fail(st.error());
  // Flags, then WSLPLUG_* variables, then wslplug.json's "signing", then the defaults.
  project::SigningFlags sf{a.cert,
                           a.key,
                           a.pfx,
                           a.ts.url,
                           a.hash_given ? a.hash : std::string(),
                           !a.cert.empty() || !a.key.empty() || !a.pfx.empty() ||
                               !a.external_signer.empty() || !a.pkcs11_module.empty()};
  auto resolved = project::resolve_signing(sf, *project ? &(*project)->manifest : nullptr,
                                           *project ? (*project)->dir : fs::path());
  if (!resolved) return fail(resolved.error());
  doc["settings"] = signing_settings_json(*resolved);
  if (resolved->cert) a.cert = resolved->cert->value;
  if (resolved->key) a.key = resolved->key->value;
  if (resolved->pfx) a.pfx = resolved->pfx->value;
  if (resolved->timestamp_url) a.ts.url = resolved->timestamp_url->value;
  a.hash = resolved->hash.value;
  detail_signing_settings(*resolved);
  const std::string_view from = project::signer_source(*resolved);
  const bool from_config = from == "environment" || from == "manifest";
  SignerSource source{"cert", a.cert};
  if (a.pfx.empty() && a.cert.empty() && a.key.empty()) {
    auto with_project = with_project_cert(a, *project);
    if (!with_project) return fail(with_project.error());
    a = std::move(*with_project);
    source = {"project", a.cert};
    detail(fmt::format("using the project's test certificate {}", a.cert));
  } else if (from_config) {
    source = {std::string(from), a.pfx.empty() ? a.cert : a.pfx};
  } else if (!a.pfx.empty()) {
    source = {"pfx", a.pfx};
  } else if (!a.external_signer.empty()) {
    source = {"external", a.cert};
  } else if (!a.pkcs11_module.empty()) {
    source = {"pkcs11", a.cert};
  }
  auto digest = signing::parse_digest(a.hash);
  if (!digest) {
    return fail(Error{ErrorKind::kInput,
                      fmt::format("unsupported --hash \"{}\"", a.hash),
                      {},
                      "--hash",
                      "use sha256 (default), sha384 or sha512"});
  }
  signing::SignOptions opts{*digest, a.name, a.url, a.commercial, a.time, {}, {}, {}, {}};
  if (!a.ts.url.empty()) {
    auto t = timestamp_options(a.ts);
    if (!t) return fail(t.error());
    opts.timestamp = std::move(*t);
  }
  if (!a.detached_out.empty()) return run_detached(a, std::move(opts), doc, source);
  if (auto t = resolve_output(a.out, OutputStyle::kOutOrInPlace, {}, "signed"); !t)
    return fail(t.error());
  std::error_code ec;
  const bool out_is_dir = !a.out.output.empty() && fs::is_directory(a.out.output, ec);
  if (a.files.size() > 1 && !a.out.in_place && !out_is_dir) {
    return fail(Error{ErrorKind::kInput, "several files need --in-place, --out-dir DIR or -o DIR",
                      a.out.output, "-o",
                      "use --in-place, --out-dir DIR, or -o with an existing directory"});
  }
  auto creds = load_credentials(a);
  if (!creds) return fail(creds.error());
  doc["signer"] = signer_json(*creds, source);

  std::vector<int> codes(a.files.size(), kExitOk);
  std::vector<nlohmann::json> entries(a.files.size());
  std::mutex print_mutex;
  parallel_for(a.files.size(), [&](std::size_t i) {
    codes[i] = sign_one(a, a.files[i], *creds, opts, print_mutex, entries[i]);
  });
  int code = kExitOk;
  for (int c : codes) code = combine_exit(code, c);
  if (a.json) {
    for (auto& e : entries) doc["files"].push_back(std::move(e));
    doc["ok"] = code == kExitOk;
    print_json(doc);
  }
  return code;
}

}  // namespace

Runner setup_sign(CLI::App& root) {
  auto a = std::make_shared<SignArgs>();
  auto* cmd =
      root.add_subcommand("sign",
                          "Authenticode-sign PE files (DLL/EXE; x86, x64, ARM64). An existing "
                          "signature is replaced; "
                          "the PE checksum is updated; the input is untouched on failure");
  cmd->add_option("FILE", a->files,
                  "PE files to sign (default inside a project: its built DLL, signed in place)");
  cmd->add_option("--cert", a->cert,
                  "Signer certificate (PEM; more certificates = chain). Default: "
                  "$WSLPLUG_CERT, wslplug.json signing.cert, inside a project its test "
                  "certificate (.wslplug/cert.pem, as build --sign)")
      ->option_text("FILE");
  cmd->add_option("--key", a->key,
                  "Private key (PEM or DER), or a pkcs11: URI with --pkcs11-module (default: "
                  "$WSLPLUG_KEY, wslplug.json signing.key)")
      ->option_text("FILE|URI");
  cmd->add_option("--chain", a->chain, "Extra chain certificates (PEM), repeatable")
      ->option_text("FILE");
  cmd->add_option("--pfx", a->pfx,
                  "PKCS#12 file with key and certificate (instead of --cert/--key; default: "
                  "$WSLPLUG_PFX, wslplug.json signing.pfx)")
      ->option_text("FILE");
  add_secret_flags(cmd, a->pfx_password, "pfx", "the --pfx password");
  add_secret_flags(cmd, a->key_password, "key", "the password of an encrypted --key");
  add_output_flags(cmd, a->out, OutputStyle::kOutOrInPlace,
                   {.output = "Output file (or directory for several files)",
                    .in_place = "Replace the input file",
                    .force = "Overwrite an existing -o file"});
  cmd->add_option("--out-dir", a->out_dir,
                  "Directory for the signed files, each under its own name (created if "
                  "missing; the same as -o DIR)")
      ->option_text("DIR");
  auto* hash = set_choices(cmd->add_option("--hash", a->hash,
                                           "Digest: sha256, sha384 or sha512 (default: "
                                           "$WSLPLUG_HASH, wslplug.json signing.hash, sha256)"),
                           {"sha256", "sha384", "sha512"});
  cmd->add_option("--name", a->name, "Description (SpcSpOpusInfo programName)")
      ->option_text("DESCRIPTION");
  cmd->add_option("--url", a->url, "URL (SpcSpOpusInfo moreInfo)")->option_text("URL");
  cmd->add_flag("--commercial", a->commercial, "Commercial instead of individual statement type");
  cmd->add_option("--time", a->time, "Signing time as unix seconds (reproducible output)")
      ->option_text("UNIX_SECONDS");
  add_timestamp_flags(cmd, a->ts, /*required=*/false);
  cmd->add_flag("--append", a->append,
                "Add a nested signature (1.3.6.1.4.1.311.2.4.1) instead of replacing the "
                "existing one (dual signing)");
  cmd->add_option("--detached-out", a->detached_out,
                  "Write only the PKCS#7 signature (DER) to this file; the PE is not touched "
                  "(embed it with `wslplug attach`)")
      ->option_text("FILE");
  cmd->add_flag("--json", a->json,
                "Print one JSON document on stdout (schema: docs/output-json.md)");
  cmd->add_option("--external-signer", a->external_signer,
                  "Shell command that signs: reads the digest on stdin, writes the raw "
                  "signature on stdout (env: WSLPLUG_DIGEST_ALGORITHM, WSLPLUG_DIGEST_HEX, "
                  "WSLPLUG_DIGEST_BASE64, WSLPLUG_CERT_THUMBPRINT, ...); needs --cert")
      ->option_text("CMD");
  cmd->add_option("--external-signer-timeout", a->external_timeout_seconds,
                  "Seconds the external signer may take before it is stopped")
      ->option_text("SECONDS")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  cmd->add_option("--pkcs11-module", a->pkcs11_module,
                  "PKCS#11 provider library (.so); --key is then a pkcs11: URI (RFC 7512)")
      ->option_text("LIB");
  add_named_secret_flags(cmd, a->pin, "pin", "the PKCS#11 token's user PIN");
  set_usage(cmd,
            "[FILE... (-o FILE | --out-dir DIR | --in-place | --detached-out FILE)] [--cert FILE "
            "--key FILE | --pfx "
            "FILE | --cert FILE --external-signer CMD | --pkcs11-module LIB --key URI] "
            "[OPTIONS]");
  set_examples(
      cmd, {"wslplug sign                      # in a project: its built DLL, in place, "
            "with its certificate",
            "WSLPLUG_PFX=release.pfx WSLPLUG_TIMESTAMP_URL=http://ts.example wslplug sign "
            "--pfx-password-env PFXPASS   # defaults from the environment (docs/configuration.md)",
            "wslplug sign plugin.dll --cert certs/cert.pem --key certs/key.pem -o "
            "plugin.signed.dll",
            "wslplug sign build/*.dll --cert certs/cert.pem --key certs/key.pem --in-place",
            "wslplug sign build/*.dll --cert certs/cert.pem --key certs/key.pem --out-dir "
            "signed",
            "wslplug sign plugin.dll --cert cert.pem --key key.pem --in-place --name \"My "
            "plugin\" --url https://example.com --time 1700000000",
            "KEYPASS=secret wslplug sign plugin.dll --cert cert.pem --key enc.pem "
            "--key-password-env KEYPASS --in-place",
            "wslplug sign plugin.dll --pfx signer.pfx --pfx-password-file pass.txt "
            "--timestamp http://timestamp.digicert.com --timestamp-retries 3 --in-place",
            "wslplug sign plugin.dll --cert cert2.pem --key key2.pem --hash sha512 --append "
            "--in-place",
            "wslplug sign plugin.dll --pfx signer.pfx --pfx-password-env PFXPASS "
            "--detached-out plugin.p7   # then: wslplug attach plugin.dll --signature "
            "plugin.p7 --in-place",
            "TOKEN_PIN=1234 wslplug sign plugin.dll --pkcs11-module "
            "/usr/lib/softhsm/libsofthsm2.so --key 'pkcs11:token=release;object=signer' "
            "--pin-env TOKEN_PIN --in-place",
            "wslplug sign plugin.dll --cert cert.pem --external-signer 'openssl pkeyutl "
            "-sign -inkey key.pem -pkeyopt digest:sha256' --in-place"});
  a->command = cmd;
  return [a, hash] {
    a->hash_given = hash->count() > 0;
    return run_sign(*a);
  };
}

}  // namespace wslplug::cli
