// `wslplug attach`: embed a detached signature (from `sign --detached-out` on a signing host)
// into the PE file it was made for, after checking that its digest matches the file.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "common.hpp"
#include "flags/output_flags.hpp"
#include "render/console.hpp"
#include "render/json_report.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct AttachArgs {
  std::string file, signature;
  OutputFlags out;
  bool json = false;
};

int run_attach(const AttachArgs& a) {
  nlohmann::json doc = {{"ok", false},
                        {"file", json_path(a.file)},
                        {"signature", json_path(a.signature)},
                        {"output", nullptr},
                        {"in_place", a.out.in_place},
                        {"digest", nullptr},
                        {"digest_algorithm", nullptr},
                        {"signature_size", nullptr},
                        {"size", nullptr},
                        {"checksum", nullptr}};
  auto fail = [&](const Error& e) { return a.json ? print_json_failure(doc, e) : report(e); };
  auto out = resolve_output(a.out, OutputStyle::kOutOrInPlace, a.file, "signed");
  if (!out) return fail(out.error());
  doc["output"] = json_path(out->path);
  if (auto st = refuse_input_as_output(a.file, *out); !st) return fail(st.error());
  auto der = signing::read_signature_file(a.signature);
  if (!der) return fail(der.error());
  doc["signature_size"] = der->size();
  auto r = signing::attach_signature(a.file, out->path, *der, a.signature, out->options);
  if (!r) return fail(r.error());
  // The digest the signature was checked against, computed in the same pass that wrote the file.
  doc["digest"] = r->digest_hex;
  doc["digest_algorithm"] = r->digest_algorithm
                                ? nlohmann::json(signing::digest_name(*r->digest_algorithm))
                                : nlohmann::json(nullptr);
  doc["size"] = r->output_size;
  doc["checksum"] = fmt::format("0x{:08X}", r->checksum);
  doc["ok"] = true;
  if (a.json) {
    print_json(doc);
    return kExitOk;
  }
  status(fmt::format("attached {} ({} bytes, digest matches) -> {}", a.signature, der->size(),
                     out->path.string()));
  return kExitOk;
}

}  // namespace

Runner setup_attach(CLI::App& root) {
  auto a = std::make_shared<AttachArgs>();
  auto* cmd = root.add_subcommand(
      "attach",
      "Embed a detached PKCS#7 signature into the PE file it signs (the digest is checked "
      "first; an existing signature is replaced)");
  cmd->add_option("FILE", a->file, "PE file the signature was made for")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--signature,-s", a->signature, "Detached signature (DER or PEM PKCS#7)")
      ->option_text("FILE")
      ->required()
      ->check(CLI::ExistingFile);
  add_output_flags(cmd, a->out, OutputStyle::kOutOrInPlace,
                   {.output = "Write the signed file here"});
  cmd->add_flag("--json", a->json,
                "Print one JSON document on stdout (schema: docs/output-json.md)");
  set_usage(cmd, "FILE --signature FILE (-o FILE | --in-place) [OPTIONS]");
  set_examples(cmd, {"wslplug attach plugin.dll --signature plugin.p7 -o signed/plugin.dll",
                     "wslplug attach plugin.dll --signature plugin.p7 --in-place",
                     "# on the signing host: wslplug sign plugin.dll --pfx signer.pfx "
                     "--pfx-password-env PFXPASS --detached-out plugin.p7"});
  return [a] { return run_attach(*a); };
}

}  // namespace wslplug::cli
