// The output option group of commands that write a file: -o/--output, --in-place and --force,
// and how they resolve to a target path and AtomicOutput options. One definition for sign,
// unsign, timestamp, attach, extract and cert.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <string_view>

#include "wslplug/core/error.hpp"
#include "wslplug/core/io.hpp"

namespace wslplug::cli {

// Which flags a command offers and what no -o means.
enum class OutputStyle {
  kOutOrInPlace,  // -o OUT or --in-place, exactly one (sign, unsign, timestamp, attach)
  kOutRequired,   // -o OUT is required, nothing is changed in place; -o - is stdout (extract)
  kForceOnly,     // only --force (cert new: the outputs are named by the command)
};

struct OutputFlags {
  std::string output;
  bool in_place = false;
  bool force = false;
};

struct OutputHelp {
  std::string output = "Output file";
  std::string in_place = "Replace FILE";
  std::string force = "Overwrite an existing -o file";
};

// Adds the group's flags for `style` to `cmd`.
void add_output_flags(CLI::App* cmd, OutputFlags& flags, OutputStyle style,
                      const OutputHelp& help = {});

struct OutputTarget {
  std::filesystem::path path;
  OutputOptions options;  // overwrite with --in-place/--force; keeps FILE's mode in place
  bool in_place = false;
  bool to_stdout = false;  // -o - (kOutRequired only): the output is written to stdout
};

// The target for `input`. `what` completes "say where the ... file goes" ("signed",
// "timestamped"). Neither or both of -o and --in-place is an input error saying which; so is
// "-o -" for a PE file (only a stream, kOutRequired, can go to stdout). With `dir_ok`, an existing
// directory given to -o receives <dir>/<input file name> (sign with several files).
Result<OutputTarget> resolve_output(const OutputFlags& flags, OutputStyle style,
                                    const std::filesystem::path& input, std::string_view what,
                                    bool dir_ok = false);

// Refuses an existing target without --force before any slow work (AtomicOutput checks again
// when it writes). `flag` names the option that chose the path.
Status refuse_existing(const OutputTarget& target, std::string_view flag, std::string_view fix);

// Refuses -o naming the input file itself (use --in-place for that).
Status refuse_input_as_output(const std::filesystem::path& input, const OutputTarget& target);

}  // namespace wslplug::cli
