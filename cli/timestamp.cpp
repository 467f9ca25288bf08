// `wslplug timestamp`: add an RFC 3161 timestamp to the existing signature of a PE file, so it
// keeps verifying after the signing certificate expires.
#include "wslplug/signing/timestamp.hpp"

#include <fmt/format.h>

#include <ctime>

#include "command.hpp"
#include "common.hpp"
#include "timestamp_flags.hpp"
#include "wslplug/signing/detached.hpp"
#include "wslplug/core/pe.hpp"

namespace wslplug::cli {
namespace {

struct TimestampArgs {
  std::string file, output;
  bool in_place = false;
  bool force = false;
  std::size_t index = 0;
  TimestampFlags ts;
};

int run_timestamp(const TimestampArgs& a) {
  if (a.in_place == !a.output.empty())
    return report(Error{ErrorKind::kInput,
                        "say where the timestamped file goes",
                        {},
                        "-o/--in-place",
                        "give exactly one of -o OUT or --in-place"});
  auto options = timestamp_options(a.ts);
  if (!options) return report(options.error());
  OutputOptions oo;
  oo.overwrite = a.in_place || a.force;
  oo.keep_mode_of_existing = a.in_place;
  const fs::path out = a.in_place ? fs::path(a.file) : fs::path(a.output);
  // Refuse an existing output before asking the server (the atomic write checks again).
  if (!oo.overwrite && fs::exists(out))
    return report(Error{ErrorKind::kInput, "the output file exists", out.string(), "-o",
                        "choose another name, or pass --force to overwrite it"});
  auto img = pe::Image::open(a.file);
  if (!img) return report(img.error());
  auto sig = signing::embedded_signature(*img);
  if (!sig) return report(sig.error());
  auto stamped = signing::timestamp_pkcs7(*sig, *options, a.file, a.index);
  if (!stamped) return report(stamped.error());
  if (auto st = signing::write_signed_image(*img, out, *stamped, oo); !st)
    return report(st.error());
  std::string when;
  if (auto gen = a.index ? std::nullopt : signing::pkcs7_timestamp_time(*stamped)) {
    when = fmt::format(" at {}", iso_utc(*gen));
  }
  fmt::print("timestamped signature {} of {}{} by {} -> {}\n", a.index, a.file, when, a.ts.url,
             out.string());
  return kExitOk;
}

const Registrar kRegistrar{
    {"timestamp", [](CLI::App& root) -> Runner {
       auto a = std::make_shared<TimestampArgs>();
       auto* cmd = root.add_subcommand(
           "timestamp",
           "Add an RFC 3161 timestamp to the signature of a signed PE file (replacing an old one)");
       cmd->add_option("FILE", a->file, "Signed PE file")->required()->check(CLI::ExistingFile);
       cmd->add_option("-o,--output", a->output, "Write the timestamped file here");
       cmd->add_flag("--in-place", a->in_place, "Replace FILE");
       cmd->add_flag("--force", a->force, "Overwrite an existing -o file");
       cmd->add_option("--index", a->index,
                       "Which signature: 0 the primary, 1.. a nested one (as `verify` numbers "
                       "them)")
           ->capture_default_str();
       add_timestamp_flags(cmd, a->ts, /*required=*/true);
       set_examples(
           cmd,
           {"wslplug timestamp plugin.dll --timestamp http://timestamp.digicert.com --in-place",
            "wslplug timestamp plugin.dll --timestamp http://tsa.example/ --timestamp-retries 3 "
            "-o stamped.dll",
            "wslplug verify stamped.dll --ca cert.pem --tsa-ca tsa-root.pem"});
       return [a] { return run_timestamp(*a); };
     }}};

}  // namespace
}  // namespace wslplug::cli
