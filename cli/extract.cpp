// `wslplug extract`: write the embedded Authenticode signature (PKCS#7) of a PE file out, e.g.
// to inspect it or to re-attach it later with `wslplug attach`.
#include <fmt/format.h>

#include "command.hpp"
#include "common.hpp"
#include "output_flags.hpp"
#include "wslplug/signing/nested.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct ExtractArgs {
  std::string file;
  OutputFlags out;
  bool pem = false;
  std::size_t index = 0;
};

int run_extract(const ExtractArgs& a) {
  auto out = resolve_output(a.out, OutputStyle::kOutRequired, a.file, "extracted");
  if (!out) return report(out.error());
  auto sig = signing::embedded_signature(a.file);
  if (!sig) return report(sig.error());
  std::vector<std::byte> der = std::move(*sig);
  if (a.index > 0) {
    auto all = signing::all_pkcs7(der, a.file);
    if (!all) return report(all.error());
    if (a.index >= all->size())
      return report(Error{ErrorKind::kInput,
                          fmt::format("there is no signature with index {} (the file has {})",
                                      a.index, all->size()),
                          a.file, "--index",
                          fmt::format("use an index from 0 (primary) to {}", all->size() - 1)});
    der = std::move((*all)[a.index]);
  }
  Status st;
  if (a.pem) {
    auto pem = signing::pkcs7_der_to_pem(der);
    if (!pem) return report(pem.error());
    st = write_file_atomic(out->path, *pem, out->options);
  } else {
    st = write_file_atomic(out->path, der, out->options);
  }
  if (!st) return report(st.error());
  fmt::print("extracted signature {} ({} bytes{}) of {} -> {}\n", a.index, der.size(),
             a.pem ? ", PEM" : ", DER", a.file, out->path.string());
  return kExitOk;
}

const Registrar kRegistrar{
    {"extract", [](CLI::App& root) -> Runner {
       auto a = std::make_shared<ExtractArgs>();
       auto* cmd = root.add_subcommand(
           "extract", "Write the embedded Authenticode signature (PKCS#7) of a PE file out");
       cmd->add_option("FILE", a->file, "Signed PE file")->required()->check(CLI::ExistingFile);
       add_output_flags(cmd, a->out, OutputStyle::kOutRequired,
                        {.output = "Signature file to write (DER unless --pem)",
                         .force = "Overwrite an existing output file"});
       cmd->add_flag("--pem", a->pem, "Write PEM (-----BEGIN PKCS7-----) instead of DER");
       cmd->add_option("--index", a->index,
                       "Which signature: 0 the primary (with its nested ones inside), 1.. a "
                       "nested signature on its own")
           ->option_text("N")
           ->capture_default_str();
       set_examples(cmd, {"wslplug extract plugin.dll -o plugin.p7",
                          "wslplug extract plugin.dll -o nested.pem --pem --index 1",
                          "openssl pkcs7 -inform DER -in plugin.p7 -print_certs -noout"});
       return [a] { return run_extract(*a); };
     }}};

}  // namespace
}  // namespace wslplug::cli
