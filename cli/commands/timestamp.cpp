// `wslplug timestamp`: add an RFC 3161 timestamp to the existing signature of a PE file, so it
// keeps verifying after the signing certificate expires.
#include "wslplug/signing/timestamp.hpp"

#include <fmt/format.h>

#include "commands/commands.hpp"
#include "common.hpp"
#include "flags/output_flags.hpp"
#include "flags/timestamp_flags.hpp"
#include "render/console.hpp"
#include "render/json_report.hpp"

namespace wslplug::cli {
namespace {

struct TimestampArgs {
  std::string file;
  OutputFlags out;
  std::size_t index = 0;
  TimestampFlags ts;
  bool json = false;
};

int run_timestamp(const TimestampArgs& a) {
  nlohmann::json doc = {{"ok", false},        {"file", json_path(a.file)},
                        {"output", nullptr},  {"in_place", a.out.in_place},
                        {"index", a.index},   {"url", a.ts.url},
                        {"time", nullptr},    {"size", nullptr},
                        {"checksum", nullptr}};
  auto fail = [&](const Error& e) { return a.json ? print_json_failure(doc, e) : report(e); };
  auto out = resolve_output(a.out, OutputStyle::kOutOrInPlace, a.file, "timestamped");
  if (!out) return fail(out.error());
  doc["output"] = json_path(out->path);
  if (auto st = refuse_input_as_output(a.file, *out); !st) return fail(st.error());
  auto options = timestamp_options(a.ts);
  if (!options) return fail(options.error());
  // Refuse an existing output before asking the server (the atomic write checks again).
  if (auto st = refuse_existing(*out, "-o", "choose another name, or pass --force to overwrite it");
      !st)
    return fail(st.error());
  // --index in verify's numbering: the entry holding it is re-stamped, the other entries kept.
  auto slot = signing::signature_at(a.file, a.index);
  if (!slot) return fail(slot.error());
  auto entry_sig = signing::signature_at(a.file, slot->index - slot->nested);
  if (!entry_sig) return fail(entry_sig.error());
  auto stamped = signing::timestamp_signature(*entry_sig->signature, *options, slot->nested);
  if (!stamped) return fail(stamped.error());
  auto written = signing::replace_entry_signature(a.file, out->path, slot->entry, stamped->der(),
                                                  out->options);
  if (!written) return fail(written.error());
  std::string when;
  if (auto gen = slot->nested ? std::nullopt : stamped->timestamp_time()) {
    when = fmt::format(" at {}", iso_utc(*gen));
    doc["time"] = iso_utc(*gen);
  }
  doc["size"] = written->output_size;
  doc["checksum"] = fmt::format("0x{:08X}", written->checksum);
  doc["ok"] = true;
  if (a.json) {
    print_json(doc);
    return kExitOk;
  }
  status(fmt::format("timestamped signature {} of {}{} by {} -> {}", a.index, a.file, when,
                     a.ts.url, out->path.string()));
  return kExitOk;
}

}  // namespace

Runner setup_timestamp(CLI::App& root) {
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
  cmd->add_flag("--json", a->json,
                "Print one JSON document on stdout (schema: docs/output-json.md)");
  set_usage(cmd, "FILE --timestamp URL (-o FILE | --in-place) [OPTIONS]");
  set_examples(
      cmd, {"wslplug timestamp plugin.dll --timestamp http://timestamp.digicert.com --in-place",
            "wslplug timestamp plugin.dll --timestamp http://tsa.example/ --timestamp-retries 3 "
            "-o stamped.dll",
            "wslplug verify stamped.dll --ca cert.pem --tsa-ca tsa-root.pem"});
  return [a] { return run_timestamp(*a); };
}

}  // namespace wslplug::cli
