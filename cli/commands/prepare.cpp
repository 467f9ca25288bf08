// `wslplug prepare`: the first half of two-step signing. Writes a signing request (the
// authenticated attributes, the digest to sign, the certificates) for a key that is elsewhere:
// an air-gapped machine, a separately approved KMS call. `wslplug finish` completes it.
#include <fmt/format.h>

#include <optional>

#include "commands/commands.hpp"
#include "common.hpp"
#include "flags/output_flags.hpp"
#include "render/console.hpp"
#include "render/json_report.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/signing/signer.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct PrepareArgs {
  std::string file, cert;
  std::vector<std::string> chain;
  OutputFlags out;
  std::string digest_out;
  std::string hash = "sha256";
  std::string name, url;
  bool commercial = false;
  std::optional<std::int64_t> time;
  bool json = false;
};

int run_prepare(const PrepareArgs& a) {
  nlohmann::json doc = {
      {"ok", false},
      {"file", json_path(a.file)},
      {"request", json_path(a.out.output)},
      {"digest_file",
       a.digest_out.empty() ? nlohmann::json(nullptr) : nlohmann::json(json_path(a.digest_out))},
      {"digest_algorithm", nullptr},
      {"digest", nullptr},
      {"key_type", nullptr},
      {"signer", nullptr}};
  auto report = [&](const Error& e) {
    return a.json ? print_json_failure(doc, e) : cli::report(e);
  };
  auto digest = signing::parse_digest(a.hash);
  if (!digest || *digest == signing::DigestAlgorithm::kSha1)
    return report(Error{ErrorKind::kInput,
                        fmt::format("unsupported --hash \"{}\"", a.hash),
                        {},
                        "--hash",
                        "use sha256 (default), sha384 or sha512"});
  OutputTarget target{a.out.output, OutputOptions{.overwrite = a.out.force}, false};
  if (auto st = refuse_existing(target, "-o", "choose another name, or pass --force"); !st)
    return report(st.error());
  std::optional<OutputTarget> digest_target;
  if (!a.digest_out.empty()) {
    digest_target = OutputTarget{a.digest_out, OutputOptions{.overwrite = a.out.force}, false};
    if (auto st =
            refuse_existing(*digest_target, "--digest-out", "choose another name, or pass --force");
        !st)
      return report(st.error());
  }
  signing::SignOptions opts;
  opts.digest = *digest;
  opts.description = a.name;
  opts.url = a.url;
  opts.commercial = a.commercial;
  opts.signing_time = a.time;
  std::vector<fs::path> chain(a.chain.begin(), a.chain.end());
  auto req = signing::prepare_request(a.file, a.cert, chain, opts);
  if (!req) return report(req.error());
  const std::string json = signing::request_to_json(*req);
  if (auto st = write_file_atomic(target.path, std::as_bytes(std::span(json)), target.options); !st)
    return report(st.error());
  if (digest_target)
    if (auto st = write_file_atomic(digest_target->path, req->to_sign, digest_target->options); !st)
      return report(st.error());
  // The digest is not secret: it is what the signer signs.
  std::string hex;
  for (auto b : req->to_sign) hex += fmt::format("{:02X}", std::to_integer<unsigned>(b));
  if (a.json) {
    doc["ok"] = true;
    doc["digest_algorithm"] = signing::digest_name(req->digest);
    doc["digest"] = hex;
    doc["key_type"] = signing::key_kind_name(req->key);
    doc["signer"] = {{"subject", req->subject}, {"thumbprint_sha1", req->thumbprint}};
    print_json(doc);
    return kExitOk;
  }
  status(fmt::format(
      "prepared {} -> {} ({} key, {} digest to sign {}{}{})", a.file, target.path.string(),
      signing::key_kind_name(req->key), signing::digest_name(req->digest), hex,
      digest_target ? ", raw digest in " : "", digest_target ? digest_target->path.string() : ""));
  note(
      fmt::format("sign the digest with the key of {} (SHA-1 {}), then: wslplug finish {} "
                  "--request {} --signature SIG -o OUT",
                  req->subject, req->thumbprint, a.file, target.path.string()));
  return kExitOk;
}

}  // namespace

Runner setup_prepare(CLI::App& root) {
  auto a = std::make_shared<PrepareArgs>();
  auto* cmd = root.add_subcommand(
      "prepare",
      "Two-step signing, step 1: write a signing request (the digest to sign, the "
      "authenticated attributes, the certificates) for a key that is elsewhere; complete "
      "it with `wslplug finish`. FILE is not changed");
  cmd->add_option("FILE", a->file, "PE file to sign")->required()->check(CLI::ExistingFile);
  cmd->add_option("--cert", a->cert, "Signer certificate (PEM; the signer first, then chain)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--chain", a->chain, "Extra chain certificates (PEM), repeatable");
  add_output_flags(cmd, a->out, OutputStyle::kOutRequired,
                   {.output = "The signing request (JSON) to write",
                    .force = "Overwrite existing output files"});
  cmd->add_option("--digest-out", a->digest_out,
                  "Also write the raw digest to sign to this file (for openssl pkeyutl -in, "
                  "aws kms sign --message fileb://...)");
  cmd->add_option("--hash", a->hash, "Digest: sha256, sha384 or sha512")->capture_default_str();
  cmd->add_option("--name", a->name, "Description (SpcSpOpusInfo programName)");
  cmd->add_option("--url", a->url, "URL (SpcSpOpusInfo moreInfo)");
  cmd->add_flag("--commercial", a->commercial, "Commercial instead of individual statement type");
  cmd->add_option("--time", a->time,
                  "Signing time as unix seconds (default: now, fixed in the request)");
  cmd->add_flag("--json", a->json,
                "Print one JSON document on stdout (schema: docs/output-json.md)");
  set_examples(cmd, {"wslplug prepare plugin.dll --cert cert.pem -o plugin.req.json --digest-out "
                     "plugin.digest",
                     "# on the signing machine: openssl pkeyutl -sign -inkey key.pem -pkeyopt "
                     "digest:sha256 -in plugin.digest -out plugin.sig",
                     "wslplug finish plugin.dll --request plugin.req.json --signature plugin.sig "
                     "-o plugin.signed.dll"});
  return [a] { return run_prepare(*a); };
}

}  // namespace wslplug::cli
