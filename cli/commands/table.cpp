// The one list of commands (see commands.hpp). Its order is the order of --help, the man page
// and the shell completions: making a project, signing, registering, diagnosing, then help,
// version and the generated documentation.
#include <cstddef>
#include <iterator>

#include "commands/commands.hpp"

namespace wslplug::cli {
namespace {

constexpr Command kCommands[] = {
    {"new", Group::kProject, setup_new},
    {"init", Group::kProject, setup_init},
    {"build", Group::kProject, setup_build},
    {"run", Group::kProject, setup_run},
    {"cert", Group::kSigning, setup_cert},
    {"sign", Group::kSigning, setup_sign},
    {"prepare", Group::kSigning, setup_prepare},
    {"finish", Group::kSigning, setup_finish},
    {"verify", Group::kSigning, setup_verify},
    {"unsign", Group::kSigning, setup_unsign},
    {"timestamp", Group::kSigning, setup_timestamp},
    {"attach", Group::kSigning, setup_attach},
    {"extract", Group::kSigning, setup_extract},
    {"register", Group::kRegister, setup_register},
    {"unregister", Group::kRegister, setup_unregister},
    {"doctor", Group::kDiagnose, setup_doctor},
    {"help", Group::kMeta, setup_help},
    {"version", Group::kMeta, setup_version},
    {"completion", Group::kMeta, setup_completion},
    {"manpage", Group::kMeta, setup_manpage},  // hidden from --help
};

// The table lists the commands group by group, in the order of the groups.
constexpr bool grouped() {
  for (std::size_t i = 1; i < std::size(kCommands); ++i)
    if (kCommands[i].group < kCommands[i - 1].group) return false;
  return true;
}
static_assert(grouped(), "keep each command next to the others of its group");

}  // namespace

std::span<const Command> command_table() { return kCommands; }

}  // namespace wslplug::cli
