// The output option group (see output_flags.hpp).
#include "flags/output_flags.hpp"

#include <fmt/format.h>

namespace wslplug::cli {

namespace fs = std::filesystem;

void add_output_flags(CLI::App* cmd, OutputFlags& flags, OutputStyle style,
                      const OutputHelp& help) {
  switch (style) {
    case OutputStyle::kOutOrInPlace:
      cmd->add_option("-o,--output", flags.output, help.output)->option_text("FILE");
      cmd->add_flag("--in-place", flags.in_place, help.in_place);
      break;
    case OutputStyle::kOutRequired:
      cmd->add_option("-o,--output", flags.output, help.output)->option_text("FILE")->required();
      break;
    case OutputStyle::kForceOnly:
      break;
  }
  cmd->add_flag("--force", flags.force, help.force);
}

Result<OutputTarget> resolve_output(const OutputFlags& flags, OutputStyle style,
                                    const fs::path& input, std::string_view what, bool dir_ok) {
  OutputTarget t;
  switch (style) {
    case OutputStyle::kOutOrInPlace:
      if (flags.in_place && !flags.output.empty())
        return input_error(
            fmt::format("-o {} and --in-place cannot be used together", flags.output), {},
            "-o/--in-place",
            fmt::format("give one: --in-place replaces FILE with the {} file, -o OUT writes it to "
                        "OUT and leaves FILE as it is",
                        what));
      if (!flags.in_place && flags.output.empty())
        return input_error(fmt::format("say where the {} file goes", what), {}, "-o/--in-place",
                           "give -o OUT (a new file) or --in-place (replace FILE)");
      if (flags.output == "-")
        return input_error(fmt::format("the {} PE file cannot be written to stdout", what), {},
                           "-o -", "give -o OUT.dll, or --in-place");
      t.in_place = flags.in_place;
      break;
    case OutputStyle::kOutRequired:
      t.to_stdout = flags.output == "-";
      break;
    case OutputStyle::kForceOnly:
      break;
  }
  t.path = t.in_place ? input : fs::path(flags.output);
  std::error_code ec;
  if (dir_ok && !t.in_place && fs::is_directory(t.path, ec)) t.path /= input.filename();
  t.options.overwrite = t.in_place || flags.force;
  t.options.keep_mode_of_existing = t.in_place;
  return t;
}

Status refuse_existing(const OutputTarget& target, std::string_view flag, std::string_view fix) {
  std::error_code ec;
  if (target.to_stdout || target.options.overwrite || !fs::exists(target.path, ec)) return {};
  return input_error("the output file exists", target.path.string(), std::string(flag),
                     std::string(fix));
}

Status refuse_input_as_output(const fs::path& input, const OutputTarget& target) {
  if (target.in_place) return {};
  std::error_code ec;
  if (fs::exists(target.path, ec) && fs::equivalent(input, target.path, ec))
    return input_error("the output is the input file", target.path.string(), "-o",
                       "use --in-place to sign the file where it is");
  return {};
}

}  // namespace wslplug::cli
