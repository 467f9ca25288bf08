// `wslplug sign`: Authenticode-sign PE files (several files in parallel).
#include <fmt/format.h>

#include <mutex>
#include <optional>

#include "command.hpp"
#include "common.hpp"
#include "parallel.hpp"
#include "wslplug/signing.hpp"

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
};

Result<signing::Credentials> load_credentials(const SignArgs& a) {
  std::vector<fs::path> chain(a.chain.begin(), a.chain.end());
  if (!a.pfx.empty()) {
    if (!a.cert.empty() || !a.key.empty()) {
      return input_error("--pfx cannot be combined with --cert/--key", {}, "--pfx",
                         "use either --pfx FILE or --cert CERT.pem --key KEY.pem");
    }
    SecretString pw;
    if (!a.pfx_password_env.empty()) {
      auto s = secret_from_env(a.pfx_password_env);
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
  }
  return signing::Credentials::from_pem(a.cert, a.key, chain, pw ? &*pw : nullptr);
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
    auto r = signing::sign_file(in, out, *creds, opts, oo);
    std::lock_guard lock(print_mutex);
    if (!r) {
      codes[i] = report(r.error());
      return;
    }
    fmt::print("signed {} -> {} ({} digest {}, checksum 0x{:08X}, {} bytes)\n", in.string(),
               out.string(), signing::digest_name(*digest), r->digest_hex, r->checksum,
               r->output_size);
  });
  int code = kExitOk;
  for (int c : codes) code = combine_exit(code, c);
  return code;
}

const Registrar kRegistrar{
    {"sign", 40, [](CLI::App& root) -> Runner {
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
       set_examples(
           cmd, {"wslplug sign plugin.dll --cert certs/cert.pem --key certs/key.pem -o "
                 "plugin.signed.dll",
                 "wslplug sign build/*.dll --cert certs/cert.pem --key certs/key.pem --in-place",
                 "wslplug sign plugin.dll --cert cert.pem --key key.pem --in-place --name \"My "
                 "plugin\" --url https://example.com --time 1700000000",
                 "KEYPASS=secret wslplug sign plugin.dll --cert cert.pem --key enc.pem "
                 "--key-password-env KEYPASS --in-place"});
       return [a] { return run_sign(*a); };
     }}};

}  // namespace
}  // namespace wslplug::cli
