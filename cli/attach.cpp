// `wslplug attach`: embed a detached signature (from `sign --detached-out` on a signing host)
// into the PE file it was made for, after checking that its digest matches the file.
#include <fmt/format.h>

#include "command.hpp"
#include "common.hpp"
#include "output_flags.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct AttachArgs {
  std::string file, signature;
  OutputFlags out;
};

int run_attach(const AttachArgs& a) {
  auto out = resolve_output(a.out, OutputStyle::kOutOrInPlace, a.file, "signed");
  if (!out) return report(out.error());
  auto der = signing::read_signature_file(a.signature);
  if (!der) return report(der.error());
  if (auto st = signing::attach_signature(a.file, out->path, *der, a.signature, out->options); !st)
    return report(st.error());
  fmt::print("attached {} ({} bytes, digest matches) -> {}\n", a.signature, der->size(),
             out->path.string());
  return kExitOk;
}

const Registrar kRegistrar{
    {"attach", [](CLI::App& root) -> Runner {
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
       set_usage(cmd, "FILE --signature FILE (-o FILE | --in-place) [OPTIONS]");
       set_examples(cmd, {"wslplug attach plugin.dll --signature plugin.p7 -o signed/plugin.dll",
                          "wslplug attach plugin.dll --signature plugin.p7 --in-place",
                          "# on the signing host: wslplug sign plugin.dll --pfx signer.pfx "
                          "--pfx-password-env PFXPASS --detached-out plugin.p7"});
       return [a] { return run_attach(*a); };
     }}};

}  // namespace
}  // namespace wslplug::cli
