// `wslplug finish`: the second half of two-step signing. Embeds the signature of a request from
// `wslplug prepare` after checking that the file is the one the request was made for and that
// the signature verifies against the request's certificate.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "common.hpp"
#include "flags/output_flags.hpp"
#include "flags/timestamp_flags.hpp"
#include "render/console.hpp"
#include "render/json_report.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/signing/signer.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct FinishArgs {
  std::string file, request, signature;
  OutputFlags out;
  TimestampFlags ts;
  bool json = false;
};

int run_finish(const FinishArgs& a) {
  nlohmann::json doc = {{"ok", false},
                        {"file", json_path(a.file)},
                        {"request", json_path(a.request)},
                        {"signature", json_path(a.signature)},
                        {"output", nullptr},
                        {"in_place", a.out.in_place},
                        {"digest_algorithm", nullptr},
                        {"digest", nullptr},
                        {"checksum", nullptr},
                        {"size", nullptr},
                        {"timestamped", false}};
  auto report = [&](const Error& e) {
    return a.json ? print_json_failure(doc, e) : cli::report(e);
  };
  auto target = resolve_output(a.out, OutputStyle::kOutOrInPlace, a.file, "signed");
  if (!target) return report(target.error());
  if (auto st = refuse_input_as_output(a.file, *target); !st) return report(st.error());
  auto text = read_text_file(a.request, 16u << 20);
  if (!text) return report(text.error());
  auto req = signing::request_from_json(*text, a.request);
  if (!req) return report(req.error());
  auto sig = read_file(a.signature, 1u << 20);
  if (!sig) return report(sig.error());
  signing::SignOptions opts;
  if (!a.ts.url.empty()) {
    auto t = timestamp_options(a.ts);
    if (!t) return report(t.error());
    opts.timestamp = std::move(*t);
  }
  auto r =
      signing::finish_request(a.file, target->path, *req, *sig, opts, target->options, a.signature);
  if (!r) return report(r.error());
  if (a.json) {
    doc["ok"] = true;
    doc["output"] = json_path(target->path);
    doc["digest_algorithm"] = signing::digest_name(req->digest);
    doc["digest"] = r->digest_hex;
    doc["checksum"] = fmt::format("0x{:08X}", r->checksum);
    doc["size"] = r->output_size;
    doc["timestamped"] = !a.ts.url.empty();
    print_json(doc);
    return kExitOk;
  }
  status(fmt::format("signed {} -> {} ({} digest {}, checksum 0x{:08X}, {} bytes{})", a.file,
                     target->path.string(), signing::digest_name(req->digest), r->digest_hex,
                     r->checksum, r->output_size,
                     a.ts.url.empty() ? "" : fmt::format(", timestamped by {}", a.ts.url)));
  return kExitOk;
}

}  // namespace

Runner setup_finish(CLI::App& root) {
  auto a = std::make_shared<FinishArgs>();
  auto* cmd = root.add_subcommand(
      "finish",
      "Two-step signing, step 2: embed the signature of a `wslplug prepare` request (the "
      "file must still match the request; the signature is checked against the "
      "certificate before anything is written)");
  cmd->add_option("FILE", a->file, "The PE file the request was prepared for")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--request", a->request, "The signing request from `wslplug prepare`")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--signature", a->signature,
                  "The raw signature of the request's digest (binary: PKCS#1 v1.5 for RSA, "
                  "DER or r||s for ECDSA)")
      ->required()
      ->check(CLI::ExistingFile);
  add_output_flags(cmd, a->out, OutputStyle::kOutOrInPlace,
                   {.output = "Write the signed file here"});
  add_timestamp_flags(cmd, a->ts, /*required=*/false);
  cmd->add_flag("--json", a->json,
                "Print one JSON document on stdout (schema: docs/output-json.md)");
  set_examples(cmd, {"wslplug finish plugin.dll --request plugin.req.json --signature "
                     "plugin.sig -o plugin.signed.dll",
                     "wslplug finish plugin.dll --request plugin.req.json --signature "
                     "plugin.sig --in-place --timestamp http://timestamp.digicert.com"});
  return [a] { return run_finish(*a); };
}

}  // namespace wslplug::cli
