// `wslplug sign`: Authenticode-sign PE files (several files in parallel).
#include <fmt/format.h>
#include <unistd.h>

#include <mutex>
#include <optional>

#include "command.hpp"
#include "common.hpp"
#include "parallel.hpp"
#include "timestamp_flags.hpp"
#include "wslplug/signing/detached.hpp"
#include "wslplug/signing/nested.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/signing.hpp"
#include "wslplug/signing/timestamp.hpp"

namespace wslplug::cli {
namespace {

struct SignArgs {
  std::vector<std::string> files;
  std::string cert, key, pfx;
  std::vector<std::string> chain;
  std::string output;
  bool in_place = false;
  std::string hash = "sha256";
  std::string name, url;
  bool commercial = false;
  std::optional<std::int64_t> time;
  bool force = false;
  std::string key_password_env, key_password_file, pfx_password_env;
  // issue 3: timestamps, nesting, detached signing, PKCS#12 password file
  std::string pfx_password_file;
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

// Passwords: --*-password-env, --*-password-file, else a prompt on the terminal (never argv).
Result<signing::Credentials> load_credentials(const SignArgs& a) {
  std::vector<fs::path> chain(a.chain.begin(), a.chain.end());
  if (!a.pfx.empty()) {
    if (!a.cert.empty() || !a.key.empty()) {
      return input_error("--pfx cannot be combined with --cert/--key", {}, "--pfx",
                         "use either --pfx FILE or --cert CERT.pem --key KEY.pem");
    }
    SecretString pw;
    if (!a.pfx_password_env.empty() && !a.pfx_password_file.empty()) {
      return input_error("--pfx-password-env and --pfx-password-file are exclusive", {},
                         "--pfx-password-env", "give the password one way");
    }
    if (!a.pfx_password_env.empty()) {
      auto s = secret_from_env(a.pfx_password_env);
      if (!s) return std::unexpected(s.error());
      pw = std::move(*s);
    } else if (!a.pfx_password_file.empty()) {
      auto s = secret_from_file(a.pfx_password_file);
      if (!s) return std::unexpected(s.error());
      pw = std::move(*s);
    } else {
      // No password option: try the empty password (wslplug cert new --pfx without one), then
      // ask on the terminal when there is one.
      auto creds = signing::Credentials::from_pkcs12(a.pfx, pw, chain);
      if (creds || !::isatty(STDIN_FILENO)) return creds;
      auto s = secret_from_prompt(fmt::format("Password for {}: ", a.pfx),
                                  "--pfx-password-env VAR or --pfx-password-file FILE");
      if (!s) return std::unexpected(s.error());
      pw = std::move(*s);
    }
    return signing::Credentials::from_pkcs12(a.pfx, pw, chain);
  }
  if (a.cert.empty() || a.key.empty()) {
    return input_error("a certificate and a key are needed", {}, "--cert/--key",
                       "pass --cert cert.pem --key key.pem (from `wslplug cert new`) or --pfx");
  }
  std::optional<SecretString> pw;
  if (!a.key_password_env.empty()) {
    auto s = secret_from_env(a.key_password_env);
    if (!s) return std::unexpected(s.error());
    pw.emplace(std::move(*s));
  } else if (!a.key_password_file.empty()) {
    auto s = secret_from_file(a.key_password_file);
    if (!s) return std::unexpected(s.error());
    pw.emplace(std::move(*s));
  } else if (::isatty(STDIN_FILENO) && key_is_encrypted_pem(a.key)) {
    auto s = secret_from_prompt(fmt::format("Password for {}: ", a.key),
                                "--key-password-env VAR or --key-password-file FILE");
    if (!s) return std::unexpected(s.error());
    pw.emplace(std::move(*s));
  }
  return signing::Credentials::from_pem(a.cert, a.key, chain, pw ? &*pw : nullptr);
}

using Transform = std::function<Result<std::vector<std::byte>>(std::vector<std::byte>)>;

// --timestamp / --append: what happens to the freshly built PKCS#7 of `in` before it is
// embedded. `nested_index` is set to the new signature's index when it is nested.
Result<Transform> make_transform(const fs::path& in, const SignArgs& a,
                                 const std::optional<signing::TimestampOptions>& ts,
                                 std::size_t& nested_index) {
  std::optional<std::vector<std::byte>> existing;
  nested_index = 0;
  if (a.append) {
    auto img = pe::Image::open(in);
    if (!img) return std::unexpected(img.error());
    if (img->layout().has_cert_table()) {
      auto sig = signing::embedded_signature(*img);
      if (!sig) return std::unexpected(sig.error());
      auto all = signing::all_pkcs7(*sig, in.string());
      if (!all) return std::unexpected(all.error());
      nested_index = all->size();
      existing = std::move(*sig);
    }
  }
  if (!ts && !existing) return Transform{};
  return Transform{[ts, existing, file = in.string()](
                       std::vector<std::byte> der) -> Result<std::vector<std::byte>> {
    if (ts) {
      auto t = signing::timestamp_pkcs7(der, *ts, file);
      if (!t) return t;
      der = std::move(*t);
    }
    if (existing) return signing::nest_pkcs7(*existing, der, file);
    return der;
  }};
}

std::string sign_extras(const SignArgs& a, std::size_t nested_index) {
  std::string s;
  if (!a.ts.url.empty()) s += fmt::format(", timestamped by {}", a.ts.url);
  if (nested_index > 0) s += fmt::format(", nested as signature {}", nested_index);
  return s;
}

// sign --detached-out: the PKCS#7 is written, the PE file is not touched.
int run_detached(const SignArgs& a, const signing::SignOptions& base,
                 const std::optional<signing::TimestampOptions>& ts) {
  if (a.files.size() != 1 || a.in_place || !a.output.empty()) {
    return report(Error{ErrorKind::kInput,
                        "--detached-out signs exactly one file and writes "
                        "only the signature",
                        {},
                        "--detached-out",
                        "drop -o/--in-place and give one FILE; embed it later with "
                        "`wslplug attach FILE --signature SIG.p7`"});
  }
  const fs::path in = a.files[0];
  const fs::path out = a.detached_out;
  OutputOptions oo;
  oo.overwrite = a.force;
  if (!oo.overwrite && fs::exists(out)) {
    return report(Error{ErrorKind::kInput, "the output file exists", out.string(), "--detached-out",
                        "choose another name, or pass --force"});
  }
  auto creds = load_credentials(a);
  if (!creds) return report(creds.error());
  std::size_t nested_index = 0;
  auto transform = make_transform(in, a, ts, nested_index);
  if (!transform) return report(transform.error());
  signing::SignOptions opts = base;
  opts.transform = std::move(*transform);
  auto der = signing::sign_detached(in, *creds, opts);
  if (!der) return report(der.error());
  if (auto st = write_file_atomic(out, *der, oo); !st) return report(st.error());
  fmt::print("signed {} -> detached signature {} ({} bytes{}); {} is unchanged\n", in.string(),
             out.string(), der->size(), sign_extras(a, nested_index), in.string());
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
  std::optional<signing::TimestampOptions> ts;
  if (!a.ts.url.empty()) {
    auto t = timestamp_options(a.ts);
    if (!t) return report(t.error());
    ts = std::move(*t);
  }
  if (!a.detached_out.empty()) {
    return run_detached(a, signing::SignOptions{*digest, a.name, a.url, a.commercial, a.time}, ts);
  }
  if (a.in_place == !a.output.empty()) {
    return report(Error{ErrorKind::kInput,
                        "say where the signed file goes",
                        {},
                        "-o/--in-place",
                        "give exactly one of -o OUT or --in-place"});
  }
  const bool out_is_dir = !a.output.empty() && fs::is_directory(a.output);
  if (a.files.size() > 1 && !a.in_place && !out_is_dir) {
    return report(Error{ErrorKind::kInput, "several files need --in-place or -o DIR", a.output,
                        "-o", "use --in-place, or -o with an existing directory"});
  }
  auto creds = load_credentials(a);
  if (!creds) return report(creds.error());

  signing::SignOptions opts{*digest, a.name, a.url, a.commercial, a.time};
  std::vector<int> codes(a.files.size(), kExitOk);
  std::mutex print_mutex;
  parallel_for(a.files.size(), [&](std::size_t i) {
    const fs::path in = a.files[i];
    fs::path out = a.in_place ? in : fs::path(a.output);
    if (out_is_dir) out /= in.filename();
    OutputOptions oo;
    oo.overwrite = a.in_place || a.force;
    oo.keep_mode_of_existing = a.in_place;
    if (!a.in_place) {
      std::error_code ec;
      if (fs::exists(out, ec) && fs::equivalent(in, out, ec)) {
        std::lock_guard lock(print_mutex);
        codes[i] = report(Error{ErrorKind::kInput, "the output is the input file", out.string(),
                                "-o", "use --in-place to sign the file where it is"});
        return;
      }
    }
    std::size_t nested_index = 0;
    auto transform = make_transform(in, a, ts, nested_index);
    if (!transform) {
      std::lock_guard lock(print_mutex);
      codes[i] = report(transform.error());
      return;
    }
    signing::SignOptions file_opts = opts;
    file_opts.transform = std::move(*transform);
    auto r = signing::sign_file(in, out, *creds, file_opts, oo);
    std::lock_guard lock(print_mutex);
    if (!r) {
      codes[i] = report(r.error());
      return;
    }
    fmt::print("signed {} -> {} ({} digest {}, checksum 0x{:08X}, {} bytes{})\n", in.string(),
               out.string(), signing::digest_name(*digest), r->digest_hex, r->checksum,
               r->output_size, sign_extras(a, nested_index));
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
       cmd->add_option("--cert", a->cert, "Signer certificate (PEM; more certificates = chain)");
       cmd->add_option("--key", a->key, "Private key (PEM or DER)");
       cmd->add_option("--chain", a->chain, "Extra chain certificates (PEM), repeatable");
       cmd->add_option("--pfx", a->pfx,
                       "PKCS#12 file with key and certificate (instead of --cert/--key)");
       cmd->add_option("--pfx-password-env", a->pfx_password_env,
                       "Environment variable holding the --pfx password");
       cmd->add_option("--pfx-password-file", a->pfx_password_file,
                       "File whose first line is the --pfx password");
       cmd->add_option("--key-password-env", a->key_password_env,
                       "Environment variable holding the password of an encrypted --key");
       cmd->add_option("--key-password-file", a->key_password_file,
                       "File whose first line is the password of an encrypted --key");
       cmd->add_option("-o,--output", a->output, "Output file (or directory for several files)");
       cmd->add_flag("--in-place", a->in_place, "Replace the input file");
       cmd->add_option("--hash", a->hash, "Digest: sha256, sha384 or sha512")
           ->capture_default_str();
       cmd->add_option("--name", a->name, "Description (SpcSpOpusInfo programName)");
       cmd->add_option("--url", a->url, "URL (SpcSpOpusInfo moreInfo)");
       cmd->add_flag("--commercial", a->commercial,
                     "Commercial instead of individual statement type");
       cmd->add_option("--time", a->time, "Signing time as unix seconds (reproducible output)");
       cmd->add_flag("--force", a->force, "Overwrite an existing -o file");
       add_timestamp_flags(cmd, a->ts, /*required=*/false);
       cmd->add_flag("--append", a->append,
                     "Add a nested signature (1.3.6.1.4.1.311.2.4.1) instead of replacing the "
                     "existing one (dual signing)");
       cmd->add_option("--detached-out", a->detached_out,
                       "Write only the PKCS#7 signature (DER) to this file; the PE is not touched "
                       "(embed it with `wslplug attach`)");
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
