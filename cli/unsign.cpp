// `wslplug unsign`: remove the certificate table.
#include <fmt/format.h>

#include "command.hpp"
#include "common.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct UnsignArgs {
  std::string file, output;
  bool force = false;
};

const Registrar kRegistrar{
    {"unsign", [](CLI::App& root) -> Runner {
       auto a = std::make_shared<UnsignArgs>();
       auto* cmd = root.add_subcommand(
           "unsign",
           "Remove the Authenticode signature (certificate table), fix the header and checksum");
       cmd->add_option("FILE", a->file, "Signed PE file")->required();
       cmd->add_option("-o,--output", a->output, "Output file (default: change FILE in place)");
       cmd->add_flag("--force", a->force, "Overwrite an existing -o file");
       set_examples(cmd,
                    {"wslplug unsign plugin.dll", "wslplug unsign plugin.dll -o unsigned.dll"});
       return [a] {
         const bool in_place = a->output.empty();
         OutputOptions oo;
         oo.overwrite = in_place || a->force;
         oo.keep_mode_of_existing = in_place;
         const fs::path out = in_place ? fs::path(a->file) : fs::path(a->output);
         if (auto st = signing::unsign_file(a->file, out, oo); !st) return report(st.error());
         fmt::print("removed the signature: {} -> {}\n", a->file, out.string());
         return kExitOk;
       };
     }}};

}  // namespace
}  // namespace wslplug::cli
