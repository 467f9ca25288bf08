// `wslplug unsign`: remove the certificate table. An unsigned input is left alone (in place) or
// copied unchanged in content (-o), with a note: the result is unsigned either way.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "common.hpp"
#include "flags/output_flags.hpp"
#include "render/console.hpp"
#include "render/json_report.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct UnsignArgs {
  std::string file;
  OutputFlags out;
  bool json = false;
};

int run_unsign(const UnsignArgs& a) {
  nlohmann::json doc = {{"ok", false},           {"file", json_path(a.file)},
                        {"output", nullptr},     {"in_place", a.out.in_place},
                        {"was_signed", nullptr}, {"written", false},
                        {"size", nullptr},       {"checksum", nullptr}};
  auto fail = [&](const Error& e) { return a.json ? print_json_failure(doc, e) : report(e); };
  auto out = resolve_output(a.out, OutputStyle::kOutOrInPlace, a.file, "unsigned");
  if (!out) return fail(out.error());
  doc["output"] = json_path(out->path);
  if (auto st = refuse_input_as_output(a.file, *out); !st) return fail(st.error());
  auto img = pe::Image::open(a.file);
  if (!img) return fail(img.error());
  const bool was_signed = img->layout().has_cert_table();
  doc["was_signed"] = was_signed;
  if (!was_signed && out->in_place) {
    doc["ok"] = true;
    doc["size"] = img->layout().file_size;
    doc["checksum"] = fmt::format("0x{:08X}", img->layout().stored_checksum);
    if (a.json)
      print_json(doc);
    else
      status(fmt::format("{} has no signature: nothing to remove, the file is unchanged", a.file));
    return kExitOk;
  }
  if (was_signed) {
    if (auto st = signing::unsign_file(a.file, out->path, out->options); !st)
      return fail(st.error());
  } else {
    // Nothing to remove: -o gets the file as it is (what was asked for, an unsigned file).
    auto bytes = read_file(a.file, img->layout().file_size);
    if (!bytes) return fail(bytes.error());
    if (auto st = write_file_atomic(out->path, *bytes, out->options); !st) return fail(st.error());
  }
  doc["written"] = true;
  if (auto written = pe::Image::open(out->path)) {
    doc["size"] = written->layout().file_size;
    doc["checksum"] = fmt::format("0x{:08X}", written->layout().stored_checksum);
  }
  doc["ok"] = true;
  if (a.json) {
    print_json(doc);
  } else if (was_signed) {
    status(fmt::format("removed the signature: {} -> {}", a.file, out->path.string()));
  } else {
    status(
        fmt::format("{} has no signature: wrote an unsigned copy {}", a.file, out->path.string()));
  }
  return kExitOk;
}

}  // namespace

Runner setup_unsign(CLI::App& root) {
  auto a = std::make_shared<UnsignArgs>();
  auto* cmd = root.add_subcommand(
      "unsign",
      "Remove the Authenticode signature (certificate table), fix the header and checksum");
  cmd->add_option("FILE", a->file, "Signed PE file")->required();
  add_output_flags(cmd, a->out, OutputStyle::kOutOrInPlace,
                   {.output = "Write the unsigned file here",
                    .in_place = "Replace FILE",
                    .force = "Overwrite an existing -o file"});
  cmd->add_flag("--json", a->json,
                "Print one JSON document on stdout (schema: docs/output-json.md)");
  set_usage(cmd, "FILE (-o FILE | --in-place) [OPTIONS]");
  set_examples(
      cmd, {"wslplug unsign plugin.dll --in-place", "wslplug unsign plugin.dll -o unsigned.dll", "",
            "Exit codes: 0 unsigned (also: FILE had no signature, nothing to do),",
            "2 not a PE file or bad flags, 3 the output cannot be written."});
  return [a] { return run_unsign(*a); };
}

}  // namespace wslplug::cli
