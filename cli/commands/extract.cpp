// `wslplug extract`: write the embedded Authenticode signature (PKCS#7) of a PE file out, e.g.
// to inspect it or to re-attach it later with `wslplug attach`.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "commands/commands.hpp"
#include "common.hpp"
#include "flags/output_flags.hpp"
#include "render/console.hpp"
#include "render/json_report.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct ExtractArgs {
  std::string file;
  OutputFlags out;
  bool pem = false;
  bool json = false;
  std::size_t index = 0;
};

// Writes all of `data` to stdout (binary-safe).
Status write_stdout(std::string_view data) {
  if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0)
    return io_error("cannot write the signature to standard output", "<stdout>");
  return {};
}

int run_extract(const ExtractArgs& a) {
  nlohmann::json doc = {
      {"ok", false},        {"file", json_path(a.file)},       {"output", nullptr},
      {"index", a.index},   {"format", a.pem ? "pem" : "der"}, {"size", nullptr},
      {"der_size", nullptr}};
  auto fail = [&](const Error& e) { return a.json ? print_json_failure(doc, e) : report(e); };
  auto out = resolve_output(a.out, OutputStyle::kOutRequired, a.file, "extracted");
  if (!out) return fail(out.error());
  if (out->to_stdout && a.json)
    return fail(Error{ErrorKind::kInput,
                      "-o - and --json both want stdout",
                      {},
                      "-o -",
                      "write the signature to a file (-o plugin.p7) to get the JSON report"});
  if (out->to_stdout && !a.pem && ::isatty(STDOUT_FILENO) == 1)
    return fail(Error{ErrorKind::kInput,
                      "refusing to write binary DER to a terminal",
                      {},
                      "-o -",
                      "redirect stdout (-o - > plugin.p7), or add --pem"});
  doc["output"] = out->to_stdout ? "-" : json_path(out->path);
  if (auto st = refuse_existing(*out, "-o", "choose another name, or pass --force"); !st)
    return fail(st.error());
  auto sig = signing::signature_at(a.file, a.index);  // verify's numbering
  if (!sig) return fail(sig.error());
  std::vector<std::byte> der = std::move(sig->der);
  std::string bytes;
  if (a.pem) {
    auto pem = signing::pkcs7_der_to_pem(der);
    if (!pem) return fail(pem.error());
    bytes = std::move(*pem);
  } else {
    bytes.assign(reinterpret_cast<const char*>(der.data()), der.size());
  }
  const Status st =
      out->to_stdout ? write_stdout(bytes) : write_file_atomic(out->path, bytes, out->options);
  if (!st) return fail(st.error());
  doc["size"] = bytes.size();
  doc["der_size"] = der.size();
  doc["ok"] = true;
  if (a.json) {
    print_json(doc);
    return kExitOk;
  }
  status(fmt::format("extracted signature {} ({} bytes{}) of {} -> {}", a.index, der.size(),
                     a.pem ? ", PEM" : ", DER", a.file,
                     out->to_stdout ? "standard output" : out->path.string()));
  return kExitOk;
}

}  // namespace

Runner setup_extract(CLI::App& root) {
  auto a = std::make_shared<ExtractArgs>();
  auto* cmd = root.add_subcommand(
      "extract", "Write the embedded Authenticode signature (PKCS#7) of a PE file out");
  cmd->add_option("FILE", a->file, "Signed PE file")->required()->check(CLI::ExistingFile);
  add_output_flags(cmd, a->out, OutputStyle::kOutRequired,
                   {.output = "Signature file to write (DER unless --pem); - writes it to stdout",
                    .force = "Overwrite an existing output file"});
  cmd->add_flag("--pem", a->pem, "Write PEM (-----BEGIN PKCS7-----) instead of DER");
  cmd->add_option("--index", a->index,
                  "Which signature, numbered as `verify` lists them: each certificate "
                  "entry (with its nested ones inside) followed by its nested ones, each "
                  "on its own")
      ->option_text("N")
      ->capture_default_str();
  cmd->add_flag("--json", a->json,
                "Print one JSON document on stdout (schema: docs/output-json.md)");
  set_examples(cmd, {"wslplug extract plugin.dll -o plugin.p7",
                     "wslplug extract plugin.dll -o - --pem | openssl pkcs7 -print_certs",
                     "wslplug extract plugin.dll -o nested.pem --pem --index 1",
                     "openssl pkcs7 -inform DER -in plugin.p7 -print_certs -noout"});
  return [a] { return run_extract(*a); };
}

}  // namespace wslplug::cli
