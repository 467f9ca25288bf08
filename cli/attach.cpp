// `wslplug attach`: embed a detached signature (from `sign --detached-out` on a signing host)
// into the PE file it was made for, after checking that its digest matches the file.
#include <fmt/format.h>

#include "command.hpp"
#include "common.hpp"
#include "wslplug/signing/detached.hpp"

namespace wslplug::cli {
namespace {

struct AttachArgs {
  std::string file, signature, output;
  bool in_place = false;
  bool force = false;
};

int run_attach(const AttachArgs& a) {
  if (a.in_place == !a.output.empty())
    return report(Error{ErrorKind::kInput,
                        "say where the signed file goes",
                        {},
                        "-o/--in-place",
                        "give exactly one of -o OUT or --in-place"});
  auto der = signing::read_signature_file(a.signature);
  if (!der) return report(der.error());
  OutputOptions oo;
  oo.overwrite = a.in_place || a.force;
  oo.keep_mode_of_existing = a.in_place;
  const fs::path out = a.in_place ? fs::path(a.file) : fs::path(a.output);
  if (auto st = signing::attach_signature(a.file, out, *der, a.signature, oo); !st)
    return report(st.error());
  fmt::print("attached {} ({} bytes, digest matches) -> {}\n", a.signature, der->size(),
             out.string());
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
           ->required()
           ->check(CLI::ExistingFile);
       cmd->add_option("-o,--output", a->output, "Write the signed file here");
       cmd->add_flag("--in-place", a->in_place, "Replace FILE");
       cmd->add_flag("--force", a->force, "Overwrite an existing -o file");
       set_examples(cmd, {"wslplug attach plugin.dll --signature plugin.p7 -o signed/plugin.dll",
                          "wslplug attach plugin.dll --signature plugin.p7 --in-place",
                          "# on the signing host: wslplug sign plugin.dll --pfx signer.pfx "
                          "--pfx-password-env PFXPASS --detached-out plugin.p7"});
       return [a] { return run_attach(*a); };
     }}};

}  // namespace
}  // namespace wslplug::cli
