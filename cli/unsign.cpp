// `wslplug unsign`: remove the certificate table.
#include <fmt/format.h>

#include "command.hpp"
#include "common.hpp"
#include "output_flags.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct UnsignArgs {
  std::string file;
  OutputFlags out;
};

const Registrar kRegistrar{
    {"unsign", [](CLI::App& root) -> Runner {
       auto a = std::make_shared<UnsignArgs>();
       auto* cmd = root.add_subcommand(
           "unsign",
           "Remove the Authenticode signature (certificate table), fix the header and checksum");
       cmd->add_option("FILE", a->file, "Signed PE file")->required();
       // Unlike sign/timestamp/attach, no -o means in place (docs/signing.md).
       add_output_flags(cmd, a->out, OutputStyle::kInPlaceUnlessOut,
                        {.output = "Output file (default: change FILE in place)"});
       set_examples(cmd,
                    {"wslplug unsign plugin.dll", "wslplug unsign plugin.dll -o unsigned.dll"});
       return [a] {
         auto out = resolve_output(a->out, OutputStyle::kInPlaceUnlessOut, a->file, "unsigned");
         if (!out) return report(out.error());
         if (auto st = signing::unsign_file(a->file, out->path, out->options); !st)
           return report(st.error());
         fmt::print("removed the signature: {} -> {}\n", a->file, out->path.string());
         return kExitOk;
       };
     }}};

}  // namespace
}  // namespace wslplug::cli
