// `wslplug sign`: Authenticode-sign PE files (several files in parallel).
#include <fmt/format.h>

#include <mutex>
#include <optional>

#include "command.hpp"
#include "common.hpp"
#include "output_flags.hpp"
#include "parallel.hpp"
#include "secret_flags.hpp"
#include "timestamp_flags.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/nested.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct SignArgs {
  std::vector<std::string> files;
  std::string cert, key, pfx;
  std::vector<std::string> chain;
  OutputFlags out;
  std::string hash = "sha256";
  std::string name, url;
  bool commercial = false;
  std::optional<std::int64_t> time;
  SecretFlags key_password, pfx_password;
  TimestampFlags ts;
  bool append = false;
  std::string detached_out;
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

// Passwords: --*-password-env, --*-password-file, else a prompt on the terminal (never argv).
Result<signing::Credentials> load_credentials(const SignArgs& a) {
  std::vector<fs::path> chain(a.chain.begin(), a.chain.end());
  if (!a.pfx.empty()) {
    if (!a.cert.empty() || !a.key.empty())
      return input_error("--pfx cannot be combined with --cert/--key", {}, "--pfx",
                         "use either --pfx FILE or --cert CERT.pem --key KEY.pem");
    return load_pfx(a, chain);
  }
  if (a.cert.empty() || a.key.empty())
    return input_error("a certificate and a key are needed", {}, "--cert/--key",
                       "pass --cert cert.pem --key key.pem (from `wslplug cert new`) or --pfx");
  auto pw = secret_from_flags(a.key_password);
  if (!pw) return std::unexpected(pw.error());
  if (!*pw && key_is_encrypted_pem(a.key)) {
    pw = prompt_secret(a.key_password, a.key);
    if (!pw) return std::unexpected(pw.error());
  }
  return signing::Credentials::from_pem(a.cert, a.key, chain, *pw ? &**pw : nullptr);
}

// --append: the signature of `in` the new one is nested into (none when `in` is unsigned),
// and the index the new signature gets.
Status add_nesting(const fs::path& in, signing::SignOptions& opts, std::size_t& nested_index) {
  nested_index = 0;
  auto img = pe::Image::open(in);
  if (!img) return std::unexpected(img.error());
  if (!img->layout().has_cert_table()) return {};
  auto sig = signing::embedded_signature(in);
  if (!sig) return std::unexpected(sig.error());
  auto all = signing::all_pkcs7(*sig, in.string());
  if (!all) return std::unexpected(all.error());
  nested_index = all->size();
  opts.nest_into = std::move(*sig);
  return {};
}

std::string sign_extras(const SignArgs& a, std::size_t nested_index) {
  std::string s;
  if (!a.ts.url.empty()) s += fmt::format(", timestamped by {}", a.ts.url);
  if (nested_index > 0) s += fmt::format(", nested as signature {}", nested_index);
  return s;
}

// sign --detached-out: the PKCS#7 is written, the PE file is not touched.
int run_detached(const SignArgs& a, signing::SignOptions opts) {
  if (a.files.size() != 1 || a.out.in_place || !a.out.output.empty()) {
    return report(Error{ErrorKind::kInput,
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
    return report(st.error());
  auto creds = load_credentials(a);
  if (!creds) return report(creds.error());
  std::size_t nested_index = 0;
  if (a.append) {
    if (auto st = add_nesting(in, opts, nested_index); !st) return report(st.error());
  }
  auto der = signing::sign_detached(in, *creds, opts);
  if (!der) return report(der.error());
  if (auto st = write_file_atomic(target.path, *der, target.options); !st)
    return report(st.error());
  fmt::print("signed {} -> detached signature {} ({} bytes{}); {} is unchanged\n", in.string(),
             target.path.string(), der->size(), sign_extras(a, nested_index), in.string());
  return kExitOk;
}

// One file of a (parallel) sign run; prints its line or reports its error.
int sign_one(const SignArgs& a, const fs::path& in, const signing::Credentials& creds,
             signing::SignOptions opts, std::mutex& print_mutex) {
  auto fail = [&](const Error& e) {
    std::lock_guard lock(print_mutex);
    return report(e);
  };
  auto target = resolve_output(a.out, OutputStyle::kOutOrInPlace, in, "signed", true);
  if (!target) return fail(target.error());
  if (auto st = refuse_input_as_output(in, *target); !st) return fail(st.error());
  std::size_t nested_index = 0;
  if (a.append) {
    if (auto st = add_nesting(in, opts, nested_index); !st) return fail(st.error());
  }
  auto r = signing::sign_file(in, target->path, creds, opts, target->options);
  if (!r) return fail(r.error());
  std::lock_guard lock(print_mutex);
  fmt::print("signed {} -> {} ({} digest {}, checksum 0x{:08X}, {} bytes{})\n", in.string(),
             target->path.string(), signing::digest_name(opts.digest), r->digest_hex, r->checksum,
             r->output_size, sign_extras(a, nested_index));
  return kExitOk;
}

int run_sign(const SignArgs& a) {
  auto digest = signing::parse_digest(a.hash);
  if (!digest || *digest == signing::DigestAlgorithm::kSha1) {
    return report(Error{ErrorKind::kInput,
                        fmt::format("unsupported --hash \"{}\"", a.hash),
                        {},
                        "--hash",
                        "use sha256 (default), sha384 or sha512"});
  }
  signing::SignOptions opts{*digest, a.name, a.url, a.commercial, a.time, {}, {}};
  if (!a.ts.url.empty()) {
    auto t = timestamp_options(a.ts);
    if (!t) return report(t.error());
    opts.timestamp = std::move(*t);
  }
  if (!a.detached_out.empty()) return run_detached(a, std::move(opts));
  if (auto t = resolve_output(a.out, OutputStyle::kOutOrInPlace, {}, "signed"); !t)
    return report(t.error());
  std::error_code ec;
  const bool out_is_dir = !a.out.output.empty() && fs::is_directory(a.out.output, ec);
  if (a.files.size() > 1 && !a.out.in_place && !out_is_dir) {
    return report(Error{ErrorKind::kInput, "several files need --in-place or -o DIR", a.out.output,
                        "-o", "use --in-place, or -o with an existing directory"});
  }
  auto creds = load_credentials(a);
  if (!creds) return report(creds.error());

  std::vector<int> codes(a.files.size(), kExitOk);
  std::mutex print_mutex;
  parallel_for(a.files.size(), [&](std::size_t i) {
    codes[i] = sign_one(a, a.files[i], *creds, opts, print_mutex);
  });
  int code = kExitOk;
  for (int c : codes) code = combine_exit(code, c);
  return code;
}

const Registrar kRegistrar{
    {"sign", [](CLI::App& root) -> Runner {
       auto a = std::make_shared<SignArgs>();
       auto* cmd =
           root.add_subcommand("sign",
                               "Authenticode-sign PE files (DLL/EXE; x86, x64, ARM64). An existing "
                               "signature is replaced; "
                               "the PE checksum is updated; the input is untouched on failure");
       cmd->add_option("FILE", a->files, "PE files to sign")->required();
       cmd->add_option("--cert", a->cert, "Signer certificate (PEM; more certificates = chain)")
           ->option_text("FILE");
       cmd->add_option("--key", a->key, "Private key (PEM or DER)")->option_text("FILE");
       cmd->add_option("--chain", a->chain, "Extra chain certificates (PEM), repeatable")
           ->option_text("FILE");
       cmd->add_option("--pfx", a->pfx,
                       "PKCS#12 file with key and certificate (instead of --cert/--key)")
           ->option_text("FILE");
       add_secret_flags(cmd, a->pfx_password, "pfx", "the --pfx password");
       add_secret_flags(cmd, a->key_password, "key", "the password of an encrypted --key");
       add_output_flags(cmd, a->out, OutputStyle::kOutOrInPlace,
                        {.output = "Output file (or directory for several files)",
                         .in_place = "Replace the input file",
                         .force = "Overwrite an existing -o file"});
       set_choices(cmd->add_option("--hash", a->hash, "Digest: sha256, sha384 or sha512"),
                   {"sha256", "sha384", "sha512"})
           ->capture_default_str();
       cmd->add_option("--name", a->name, "Description (SpcSpOpusInfo programName)")
           ->option_text("DESCRIPTION");
       cmd->add_option("--url", a->url, "URL (SpcSpOpusInfo moreInfo)")->option_text("URL");
       cmd->add_flag("--commercial", a->commercial,
                     "Commercial instead of individual statement type");
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
       set_usage(cmd,
                 "FILE... (-o FILE | --in-place) (--cert FILE --key FILE | --pfx FILE) [OPTIONS]");
       set_examples(
           cmd, {"wslplug sign plugin.dll --cert certs/cert.pem --key certs/key.pem -o "
                 "plugin.signed.dll",
                 "wslplug sign build/*.dll --cert certs/cert.pem --key certs/key.pem --in-place",
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
                 "plugin.p7 --in-place"});
       return [a] { return run_sign(*a); };
     }}};

}  // namespace
}  // namespace wslplug::cli
