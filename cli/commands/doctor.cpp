// wslplug doctor: explains WSL plugin error codes (every form a user pastes) and checks a plugin
// DLL (--dll) or a registration file (--reg) before WSL does. Thin: flags and rendering only;
// decoding and advice live in wslplug/doctor/errors.hpp and advice.hpp, the checks in
// wslplug/doctor/dll.hpp and reg.hpp, findings are shown with findings_view.hpp.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/commands.hpp"
#include "common.hpp"
#include "render/console.hpp"
#include "render/findings_view.hpp"
#include "render/json_report.hpp"
#include "wslplug/doctor/advice.hpp"
#include "wslplug/doctor/dll.hpp"
#include "wslplug/doctor/errors.hpp"
#include "wslplug/doctor/reg.hpp"
#include "wslplug/project/layout.hpp"
#include "wslplug/project/manifest.hpp"

namespace wslplug::cli {
namespace {

using nlohmann::json;

struct DoctorOptions {
  std::vector<std::string> codes;
  std::vector<doctor::PastedCode> pasted;  // the codes and the pasted ones, with counts
  std::vector<std::string> dlls;
  std::vector<std::string> regs;
  std::vector<std::string> ca;
  bool json = false;
};

json string_list(const std::vector<std::string_view>& v) {
  json a = json::array();
  for (auto s : v) a.push_back(std::string(s));
  return a;
}

// The plain statement for a code no table names.
std::string unknown_summary(const doctor::Diagnosis& d) {
  return fmt::format(
      "unknown code: {} has no name in any table wslplug knows (WSL plugin knowledge base, "
      "winerror.h HRESULTs, Win32 errors, NTSTATUS); only its structure (severity, facility, code) "
      "is decoded. Check "
      "that it was copied completely",
      doctor::hresult_hex(d.parsed.hresult));
}

json diagnosis_json(const doctor::Diagnosis& d) {
  json j;
  j["input"] = d.parsed.input;
  j["hresult"] = doctor::hresult_hex(d.parsed.hresult);
  j["symbol"] = d.symbol.empty() ? json(nullptr) : json(d.symbol);
  j["known"] = d.known != nullptr;
  j["form"] = std::string(doctor::input_form_name(d.parsed.form));
  j["wsl_prints"] = d.wsl_prints;
  j["severity"] = d.parts.failure ? "error" : "success";
  j["facility"] = {{"number", d.parts.facility},
                   {"name", d.facility ? json(*d.facility) : json(nullptr)}};
  j["code"] = d.parts.code;
  j["win32_name"] = d.win32_name ? json(*d.win32_name) : json(nullptr);
  j["ntstatus"] = d.ntstatus ? json(*d.ntstatus) : json(nullptr);
  j["stages"] = string_list(doctor::stage_names(d.stages));
  const bool named = doctor::is_named(d);
  j["named"] = named;
  const std::string reading = doctor::bare_number_reading(d.parsed);
  j["reading"] = reading.empty() ? json(nullptr) : json(reading);
  j["step"] = d.known && !d.known->step.empty() ? json(std::string(d.known->step)) : json(nullptr);
  if (named) {
    const auto advice = doctor::advise(d);
    j["summary"] = advice.summary;
    j["causes"] = advice.causes;
    j["checks"] = advice.checks;
    j["fixes"] = advice.fixes;
    j["notes"] = advice.notes;
  } else {
    // Nothing is known about the code beyond its structure: no guessed advice.
    j["summary"] = unknown_summary(d);
    j["causes"] = json::array();
    j["checks"] = json::array();
    j["fixes"] = json::array();
    j["notes"] = json::array();
  }
  if (d.known && !d.known->aliases[0].empty()) {
    json a = json::array();
    for (auto s : d.known->aliases)
      if (!s.empty()) a.push_back(std::string(s));
    j["aliases"] = a;
  }
  json ctx;
  ctx["components"] = d.parsed.context.components;
  ctx["plugin"] = d.parsed.context.plugin;
  ctx["create_vm"] = d.parsed.context.create_vm;
  ctx["create_instance"] = d.parsed.context.create_instance;
  ctx["wslc"] = d.parsed.context.wslc;
  ctx["unknown"] = d.parsed.context.unknown;
  ctx["failed"] = d.context.failed.empty() ? json(nullptr) : json(d.context.failed);
  ctx["wsl_action"] = d.context.wsl_action.empty() ? json(nullptr) : json(d.context.wsl_action);
  ctx["message"] = d.context.message.empty() ? json(nullptr) : json(d.context.message);
  j["plugin"] = d.parsed.plugin.empty() ? json(nullptr) : json(d.parsed.plugin);
  j["plugin_message"] =
      d.parsed.plugin_message.empty() ? json(nullptr) : json(d.parsed.plugin_message);
  j["context"] = ctx;
  return j;
}

template <class List>
void print_list(std::string_view title, const List& items, bool numbered) {
  if (items.empty()) return;
  fmt::print("  {}:\n", title);
  std::size_t n = 0;
  for (const auto& item : items) {
    ++n;
    if (numbered)
      fmt::print("    {}. {}\n", n, item);
    else
      fmt::print("    - {}\n", item);
  }
}

void print_diagnosis(const doctor::Diagnosis& d, std::size_t count) {
  fmt::print("{}\n", d.parsed.input);
  if (count > 1) fmt::print("  (seen {} times)\n", count);
  const bool named = doctor::is_named(d);
  std::string head = named ? d.symbol : paint(stdout, Tone::kBad, "UNKNOWN CODE");
  if (head.empty()) head = "(no symbolic name)";
  const bool show_win32 = d.win32_name && *d.win32_name != d.symbol;
  const bool ntstatus = doctor::is_ntstatus_error(d.parsed.hresult);
  if (ntstatus)
    fmt::print("  {}  {}  NTSTATUS error, facility {:#x}, code {:#x}\n", head,
               doctor::hresult_hex(d.parsed.hresult), (d.parsed.hresult >> 16) & 0xfffu,
               d.parts.code);
  else
    fmt::print("  {}  {}  {}, facility {} ({}), code {:#x} ({}){}\n", head,
               doctor::hresult_hex(d.parsed.hresult), d.parts.failure ? "error" : "success",
               d.facility.value_or("unknown"), d.parts.facility, d.parts.code, d.parts.code,
               show_win32 ? fmt::format(", Win32 {}", *d.win32_name) : "");
  if (auto reading = doctor::bare_number_reading(d.parsed); !reading.empty())
    fmt::print("  Read as: {}\n", reading);
  if (!named) {
    fmt::print("  {}\n", unknown_summary(d));
    if (!d.parsed.plugin.empty())
      fmt::print("  Plugin: {} (the registry value name)\n", d.parsed.plugin);
    if (!d.parsed.plugin_message.empty())
      fmt::print("  The plugin said: {}\n", d.parsed.plugin_message);
    if (!ntstatus) fmt::print("  WSL prints it as: {}\n", d.wsl_prints);
    return;
  }
  const auto advice = doctor::advise(d);
  fmt::print("  {}\n", advice.summary);
  if (!d.parsed.plugin.empty())
    fmt::print("  Plugin: {} (the registry value name)\n", d.parsed.plugin);
  if (!d.parsed.plugin_message.empty())
    fmt::print("  The plugin said: {}\n", d.parsed.plugin_message);
  if (!d.context.failed.empty()) {
    fmt::print("  What failed: {}\n", d.context.failed);
    if (!d.context.wsl_action.empty()) fmt::print("  What WSL did: {}\n", d.context.wsl_action);
    if (!d.context.message.empty()) fmt::print("  WSL showed: {}\n", d.context.message);
  }
  if (d.stages) {
    std::string st;
    for (auto s : doctor::stage_names(d.stages)) st += (st.empty() ? "" : ", ") + std::string(s);
    fmt::print("  Stages: {}\n", st);
  }
  if (d.known && !d.known->step.empty() && (d.stages & doctor::kStageLoad))
    fmt::print("  Load step: {}\n", d.known->step);
  if (!ntstatus) fmt::print("  WSL prints it as: {}\n", d.wsl_prints);
  print_list(advice.specific ? "Likely causes, most likely first" : "Possible causes",
             advice.causes, true);
  print_list("Checks", advice.checks, false);
  print_list("Fixes", advice.fixes, false);
  print_list("Notes", advice.notes, false);
}

// The codes to explain, identical ones merged (first occurrence order) with how often each
// was given or pasted.
std::vector<doctor::PastedCode> merged_codes(const DoctorOptions& o) {
  std::vector<doctor::PastedCode> out;
  std::unordered_map<std::string_view, std::size_t> seen;
  for (const auto& c : o.pasted) {
    auto [it, inserted] = seen.try_emplace(c.text, out.size());
    if (inserted) out.push_back({c.text, 0});
    out[it->second].count += c.count;
  }
  return out;
}

int run_codes(const DoctorOptions& o) {
  int rc = kExitOk;
  json all = json::array();
  bool first = true;
  std::size_t not_codes = 0;  // inputs that were not codes: the did-you-mean budget
  for (const auto& [input, count] : merged_codes(o)) {
    auto d = doctor::diagnose(input, not_codes < doctor::kMaxSuggestions);
    if (!d) {
      if (++not_codes == doctor::kMaxSuggestions + 1 && !o.json)
        note(
            fmt::format("(\"did you mean\" is shown for the first {} inputs that are not error "
                        "codes only)",
                        doctor::kMaxSuggestions));
      rc = combine_exit(rc, exit_code(d.error().kind));
      if (o.json) {
        all.push_back({{"input", input}, {"count", count}, {"error", error_json(d.error())}});
      } else {
        report(d.error());
        if (count > 1) note(fmt::format("  (seen {} times)", count));
      }
      continue;
    }
    // A code no table names is not understood: exit 1 (the help promises 0 only otherwise).
    if (!doctor::is_named(*d)) rc = combine_exit(rc, kExitBad);
    if (o.json) {
      auto j = diagnosis_json(*d);
      j["count"] = count;
      all.push_back(std::move(j));
    } else {
      if (!first) fmt::print("\n");
      print_diagnosis(*d, count);
    }
    first = false;
  }
  if (o.json) print_json({{"ok", rc == kExitOk}, {"codes", all}});
  return rc;
}

using CheckFn = std::function<Result<std::vector<doctor::Finding>>(const std::string& path)>;

struct CheckWording {
  const char* bad;  // headline when a finding has severity error
  const char* ok;   // headline when there is nothing to report
  // Shown under each file's findings in text mode (what the static check cannot see); may be null.
  const char* next = nullptr;
};

// Runs a static check (--dll, --reg) on each path and prints its findings (text or JSON).
int run_checks(const std::vector<std::string>& paths, bool json_out, const CheckFn& check,
               const CheckWording& wording) {
  int rc = kExitOk;
  json all = json::array();
  for (const auto& path : paths) {
    auto findings = check(path);
    if (!findings) {
      rc = combine_exit(rc, exit_code(findings.error().kind));
      if (json_out)
        all.push_back(
            {{"file", json_path(path)}, {"ok", false}, {"error", error_json(findings.error())}});
      else
        report(findings.error());
      continue;
    }
    const bool bad = doctor::has_errors(*findings);
    rc = combine_exit(rc, bad ? kExitBad : kExitOk);
    if (json_out) {
      all.push_back(
          {{"file", json_path(path)}, {"ok", !bad}, {"findings", findings_json(*findings)}});
      continue;
    }
    fmt::print("{}: {}\n", path,
               paint(stdout, bad ? Tone::kBad : Tone::kGood,
                     findings_headline(*findings, wording.bad, wording.ok)));
    print_findings(*findings);
    if (auto code = first_wsl_error(*findings); !code.empty())
      fmt::print("  explain a code: wslplug doctor {}\n", code);
    if (wording.next != nullptr)
      fmt::print("  {}\n", fmt::format(fmt::runtime(wording.next), path));
  }
  if (json_out) print_json({{"ok", rc == kExitOk}, {"files", all}});
  return rc;
}

int run_dlls(const DoctorOptions& given) {
  DoctorOptions o = given;
  // Inside a project: a bare --dll is its built DLL, and its test certificate is the trusted
  // root when no --ca is given (as build checks it).
  auto project = project::find_project(fs::current_path());
  if (!project) return report(project.error());
  for (auto& dll : o.dlls) {
    if (!dll.empty()) continue;
    if (!*project)
      return report(Error{ErrorKind::kInput,
                          "--dll without a FILE needs a project here or in a parent folder",
                          {},
                          "--dll",
                          "give the DLL (--dll build/my_plugin.dll), or run inside a project "
                          "made by wslplug new (or pass -C DIR)"});
    auto built = project::built_dll((*project)->manifest, (*project)->dir);
    if (!built) return report(built.error());
    dll = built->string();
  }
  if (o.ca.empty() && *project)
    if (auto cert = project::existing_cert((*project)->manifest, (*project)->dir)) {
      o.ca.push_back(cert->string());
      note(fmt::format("trusting the project's certificate {} (pass --ca to choose others)",
                       cert->string()));
    }
  signing::VerifyOptions vo;
  for (const auto& c : o.ca) vo.ca_files.emplace_back(c);
  return run_checks(o.dlls, o.json,
                    [&](const std::string& path) { return doctor::check_plugin_dll(path, vo); },
                    {"WSL would fail to load this plugin",
                     "ok: no problems found that would stop WSL from loading it",
                     "static checks only: `wslplug run {}` loads it as WSL does and drives its "
                     "hooks (dependencies, crashes, ABI misuse)"});
}

int run_regs(const DoctorOptions& o) {
  return run_checks(
      o.regs, o.json, [](const std::string& path) { return doctor::check_registration_file(path); },
      {"WSL would skip or fail to load this registration",
       "ok: WSL would load the plugin this file registers (REG_SZ, absolute path, right key)"});
}

// The codes with counts into o.pasted: "-" stands for the codes in the pasted text on stdin
// (read once). Reads one byte more than doctor accepts, so that larger input is refused (exit
// 2) instead of cut.
Status read_pasted_codes(DoctorOptions& o) {
  std::optional<std::vector<doctor::PastedCode>> stdin_codes;
  for (const auto& code : o.codes) {
    if (code != "-") {
      o.pasted.push_back({code, 1});
      continue;
    }
    if (stdin_codes) continue;
    std::string text;
    char buf[65536];
    std::size_t n = 0;
    while (text.size() <= doctor::kMaxPastedText && (n = std::fread(buf, 1, sizeof buf, stdin)) > 0)
      text.append(buf, n);
    if (std::ferror(stdin)) return io_error("cannot read standard input", "<stdin>");
    auto found = doctor::pasted_codes(text, "<stdin>");
    if (!found) return std::unexpected(found.error());
    stdin_codes = std::move(*found);
    o.pasted.insert(o.pasted.end(), stdin_codes->begin(), stdin_codes->end());
  }
  return {};
}

}  // namespace

Runner setup_doctor(CLI::App& root) {
  auto opts = std::make_shared<DoctorOptions>();
  auto* cmd = root.add_subcommand(
      "doctor",
      "Explain a WSL plugin error code (any form WSL prints), or check a plugin DLL for what "
      "would make WSL refuse it.");
  cmd->add_option(
      "CODE", opts->codes,
      "Error codes as pasted: Wsl/Service/.../Plugin/0x8007007f, 'Error code: ...', "
      "TRUST_E_NOSIGNATURE, 0x8007007E, 8007007e, -2147024770, 2147942526, 126; - reads "
      "pasted wsl.exe output from stdin (at most 4 MiB)");
  // A bare --dll (no FILE) is the project's built DLL.
  set_value_optional(
      cmd->add_option("--dll", opts->dlls,
                      "Check a plugin DLL: signature, architecture, export, imports (no FILE "
                      "inside a project: its built DLL)")
          ->option_text("FILE")
          ->check(CLI::Validator(
              [](std::string& file) {
                return file.empty() ? std::string() : CLI::ExistingFile(file);
              },
              "FILE")));
  cmd->add_option("--reg", opts->regs,
                  "Check a registration .reg file: value type, path, key, 64-bit view")
      ->option_text("FILE")
      ->check(CLI::ExistingFile);
  cmd->add_option("--ca", opts->ca,
                  "Trusted root certificate (PEM) for the signature check (default inside a "
                  "project: its .wslplug/cert.pem)")
      ->option_text("FILE")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--json", opts->json, "Print one JSON document (schema: docs/doctor.md)");
  set_examples(
      cmd,
      {"wslplug doctor Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f",
       "wslplug doctor 'Error code: Wsl/Service/CreateInstance/Plugin/E_FAIL'",
       "wslplug doctor trust_e_nosignature -2147024770 126", "wslplug doctor --json 0x800B0109",
       "wslplug doctor - < wsl-output.txt   (pasted wsl.exe output: every 'Error code:' line)",
       "wslplug doctor --dll build/my_plugin.dll",
       "wslplug doctor --dll                 # in a project: its built DLL and certificate",
       "wslplug doctor --dll my_plugin.dll --ca certs/cert.pem --json",
       "wslplug doctor --reg my-plugin.reg", "",
       "A bare number: up to 65535 is a decimal Win32 code, from 2147483648 a decimal HRESULT,",
       "other numbers of up to 8 digits are hex (the output says which reading was used).",
       "JSON (--json): always {\"ok\", \"codes\"|\"files\": [...]}"});
  set_usage(cmd, "(CODE... | - | --dll FILE... | --reg FILE...) [OPTIONS]");
  set_exit_codes(cmd, {{0, "every code understood / no error findings"},
                       {1,
                        "a code no table names (unknown), or the DLL or .reg file has error "
                        "findings"},
                       {2, "an input is not an error code (did-you-mean in the fix)"}});
  // Negative decimal HRESULTs (-2147024770) and "-" are positionals (CLI11 reads a dash and a
  // digit as a number); `--` ends the options for anything else that starts with a dash.
  return [opts]() -> int {
    if (auto st = read_pasted_codes(*opts); !st) return report_failure(st.error());
    const int modes = !opts->dlls.empty() + !opts->codes.empty() + !opts->regs.empty();
    if (modes > 1)
      return report_failure(Error{ErrorKind::kInput, "give one of: error codes, --dll, --reg", "",
                                  "command line", "run wslplug doctor once for each"});
    if (opts->dlls.empty() && !opts->ca.empty())
      return report_failure(Error{ErrorKind::kInput, "--ca only applies to --dll", "", "--ca",
                                  "add --dll plugin.dll"});
    if (!opts->dlls.empty()) return run_dlls(*opts);
    if (!opts->regs.empty()) return run_regs(*opts);
    if (opts->codes.empty())
      return report_failure(
          Error{ErrorKind::kInput, "nothing to diagnose", "", "command line",
                "pass an error code (wslplug doctor 0x8007007f) or --dll plugin.dll"});
    return run_codes(*opts);
  };
}
}  // namespace wslplug::cli
