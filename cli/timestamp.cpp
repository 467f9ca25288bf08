// `wslplug timestamp`: add an RFC 3161 timestamp to the existing signature of a PE file, so it
// keeps verifying after the signing certificate expires.
#include "wslplug/signing/timestamp.hpp"

#include <fmt/format.h>

#include "command.hpp"
#include "common.hpp"
#include "output_flags.hpp"
#include "timestamp_flags.hpp"

namespace wslplug::cli {
namespace {

struct TimestampArgs {
  std::string file;
  OutputFlags out;
  std::size_t index = 0;
  TimestampFlags ts;
};

int run_timestamp(const TimestampArgs& a) {
  auto out = resolve_output(a.out, OutputStyle::kOutOrInPlace, a.file, "timestamped");
  if (!out) return report(out.error());
  auto options = timestamp_options(a.ts);
  if (!options) return report(options.error());
  // Refuse an existing output before asking the server (the atomic write checks again).
  if (auto st = refuse_existing(*out, "-o", "choose another name, or pass --force to overwrite it");
      !st)
    return report(st.error());
  auto sig = signing::embedded_signature(a.file);
  if (!sig) return report(sig.error());
  auto stamped = signing::timestamp_pkcs7(*sig, *options, a.file, a.index);
  if (!stamped) return report(stamped.error());
  if (auto st = signing::write_signature(a.file, out->path, *stamped, out->options); !st)
    return report(st.error());
  std::string when;
  if (auto gen = a.index ? std::nullopt : signing::pkcs7_timestamp_time(*stamped)) {
    when = fmt::format(" at {}", iso_utc(*gen));
  }
  fmt::print("timestamped signature {} of {}{} by {} -> {}\n", a.index, a.file, when, a.ts.url,
             out->path.string());
  return kExitOk;
}

const Registrar kRegistrar{
    {"timestamp", [](CLI::App& root) -> Runner {
       auto a = std::make_shared<TimestampArgs>();
       auto* cmd = root.add_subcommand(
           "timestamp",
           "Add an RFC 3161 timestamp to the signature of a signed PE file (replacing an old one)");
       cmd->add_option("FILE", a->file, "Signed PE file")->required()->check(CLI::ExistingFile);
       add_output_flags(cmd, a->out, OutputStyle::kOutOrInPlace,
                        {.output = "Write the timestamped file here"});
       cmd->add_option("--index", a->index,
                       "Which signature: 0 the primary, 1.. a nested one (as `verify` numbers "
                       "them)")
           ->option_text("N")
           ->capture_default_str();
       add_timestamp_flags(cmd, a->ts, /*required=*/true);
       set_usage(cmd, "FILE --timestamp URL (-o FILE | --in-place) [OPTIONS]");
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
