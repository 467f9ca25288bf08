// wslplug doctor: explains WSL plugin error codes (every form a user pastes) and checks a plugin
// DLL before WSL does (--dll). Thin: parsing and decoding live in wslplug/errors.hpp, the checks
// in wslplug/preflight.hpp and wslplug/dll_check.hpp.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.hpp"
#include "common.hpp"
#include "wslplug/dll_check.hpp"
#include "wslplug/errors.hpp"
#include "wslplug/preflight.hpp"

namespace wslplug::cli {
namespace {

namespace er = wslplug::errors;
using nlohmann::json;

struct DoctorOptions {
  std::vector<std::string> codes;
  std::vector<std::string> dlls;
  std::vector<std::string> ca;
  bool json = false;
};

json string_list(const std::vector<std::string_view>& v) {
  json a = json::array();
  for (auto s : v) a.push_back(std::string(s));
  return a;
}

// Generic advice for a code the knowledge base does not have.
struct Generic {
  std::string summary;
  std::vector<std::string> causes, checks, fixes;
};

Generic generic_advice(const er::Diagnosis& d) {
  Generic g;
  const auto& p = d.parts;
  if (!p.failure) {
    g.summary = d.parsed.hresult == 0
                    ? "S_OK: success, not an error"
                    : fmt::format("A success code (severity bit clear): {}",
                                  d.symbol.empty() ? er::hresult_hex(d.parsed.hresult) : d.symbol);
    return g;
  }
  std::string what = d.symbol.empty() ? "an HRESULT wslplug has no name for" : d.symbol;
  if (d.win32_name)
    what = fmt::format("HRESULT_FROM_WIN32({}) (Win32 error {})", *d.win32_name, p.code);
  g.summary =
      fmt::format("Not a code WSL itself produces for plugins: {}, facility {} ({}), code {}", what,
                  d.facility.value_or("unknown"), p.facility, p.code);
  if (d.parsed.context.plugin) {
    g.causes.push_back(
        "The plugin's hook (or a Windows API it called) returned this code and WSL passed it "
        "through");
    g.checks.push_back("Read the text after \"Error message:\" and the plugin's own log");
    g.fixes.push_back("Look up the code in the plugin's documentation or source");
  }
  g.checks.push_back("wslplug doctor --dll plugin.dll");
  return g;
}

json diagnosis_json(const er::Diagnosis& d) {
  json j;
  j["input"] = d.parsed.input;
  j["hresult"] = er::hresult_hex(d.parsed.hresult);
  j["symbol"] = d.symbol.empty() ? json(nullptr) : json(d.symbol);
  j["known"] = d.known != nullptr;
  j["form"] = std::string(er::input_form_name(d.parsed.form));
  j["wsl_prints"] = d.wsl_prints;
  j["severity"] = d.parts.failure ? "error" : "success";
  j["facility"] = {{"number", d.parts.facility},
                   {"name", d.facility ? json(*d.facility) : json(nullptr)}};
  j["code"] = d.parts.code;
  j["win32_name"] = d.win32_name ? json(*d.win32_name) : json(nullptr);
  j["stages"] = string_list(er::stage_names(d.stages));
  if (d.known) {
    j["summary"] = std::string(d.known->summary);
    j["step"] = d.known->step.empty() ? json(nullptr) : json(std::string(d.known->step));
    j["causes"] = string_list(er::lines(d.known->causes));
    j["checks"] = string_list(er::lines(d.known->checks));
    j["fixes"] = string_list(er::lines(d.known->fixes));
    auto notes = er::lines(d.known->notes);
    std::vector<std::string> all(notes.begin(), notes.end());
    if (!d.known->wsl_name_since.empty())
      all.push_back(fmt::format("WSL prints this code by name since {}; older releases print {}.",
                                d.known->wsl_name_since, fmt::format("0x{:x}", d.parsed.hresult)));
    j["notes"] = all;
    if (!d.known->aliases[0].empty()) {
      json a = json::array();
      for (auto s : d.known->aliases)
        if (!s.empty()) a.push_back(std::string(s));
      j["aliases"] = a;
    }
  } else {
    auto g = generic_advice(d);
    j["summary"] = g.summary;
    j["step"] = nullptr;
    j["causes"] = g.causes;
    j["checks"] = g.checks;
    j["fixes"] = g.fixes;
    j["notes"] = json::array();
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

void print_diagnosis(const er::Diagnosis& d) {
  fmt::print("{}\n", d.parsed.input);
  std::string head = d.symbol.empty() ? "(no symbolic name)" : d.symbol;
  const bool show_win32 = d.win32_name && *d.win32_name != d.symbol;
  fmt::print("  {}  {}  {}, facility {} ({}), code {:#x} ({}){}\n", head,
             er::hresult_hex(d.parsed.hresult), d.parts.failure ? "error" : "success",
             d.facility.value_or("unknown"), d.parts.facility, d.parts.code, d.parts.code,
             show_win32 ? fmt::format(", Win32 {}", *d.win32_name) : "");
  if (d.known) {
    fmt::print("  {}\n", d.known->summary);
  } else {
    fmt::print("  {}\n", generic_advice(d).summary);
  }
  if (!d.context.failed.empty()) {
    fmt::print("  What failed: {}\n", d.context.failed);
    if (!d.context.wsl_action.empty()) fmt::print("  What WSL did: {}\n", d.context.wsl_action);
  }
  if (d.stages) {
    std::string st;
    for (auto s : er::stage_names(d.stages)) st += (st.empty() ? "" : ", ") + std::string(s);
    fmt::print("  Stages: {}\n", st);
  }
  if (d.known && !d.known->step.empty() && (d.stages & er::kStageLoad))
    fmt::print("  Load step: {}\n", d.known->step);
  fmt::print("  WSL prints it as: {}\n", d.wsl_prints);
  if (d.known) {
    print_list("Likely causes, most likely first", er::lines(d.known->causes), true);
    print_list("Checks", er::lines(d.known->checks), false);
    print_list("Fixes", er::lines(d.known->fixes), false);
    auto notes = er::lines(d.known->notes);
    std::vector<std::string> all(notes.begin(), notes.end());
    if (!d.known->wsl_name_since.empty())
      all.push_back(
          fmt::format("WSL prints this code by name since {}; older releases print 0x{:x}.",
                      d.known->wsl_name_since, d.parsed.hresult));
    print_list("Notes", all, false);
  } else {
    auto g = generic_advice(d);
    print_list("Possible causes", g.causes, true);
    print_list("Checks", g.checks, false);
    print_list("Fixes", g.fixes, false);
  }
}

int run_codes(const DoctorOptions& o) {
  int rc = kExitOk;
  json all = json::array();
  bool first = true;
  for (const auto& input : o.codes) {
    auto d = er::diagnose(input);
    if (!d) {
      rc = combine_exit(rc, exit_code(d.error().kind));
      if (o.json)
        all.push_back({{"input", input}, {"error", error_json(d.error())}});
      else
        report(d.error());
      continue;
    }
    if (o.json) {
      all.push_back(diagnosis_json(*d));
    } else {
      if (!first) fmt::print("\n");
      print_diagnosis(*d);
    }
    first = false;
  }
  if (o.json) print_json(all.size() == 1 ? all[0] : all);
  return rc;
}

json findings_json(const std::vector<Finding>& findings) {
  json a = json::array();
  for (const auto& f : findings)
    a.push_back({{"id", f.id},
                 {"severity", std::string(severity_name(f.severity))},
                 {"wsl_error", f.wsl_error.empty() ? json(nullptr) : json(f.wsl_error)},
                 {"message", f.message},
                 {"fix", f.fix}});
  return a;
}

int run_dlls(const DoctorOptions& o) {
  signing::VerifyOptions vo;
  for (const auto& c : o.ca) vo.ca_files.emplace_back(c);
  int rc = kExitOk;
  json all = json::array();
  for (const auto& path : o.dlls) {
    auto findings = signing::check_plugin_dll(path, vo);
    if (!findings) {
      rc = combine_exit(rc, exit_code(findings.error().kind));
      if (o.json)
        all.push_back({{"file", path}, {"ok", false}, {"error", error_json(findings.error())}});
      else
        report(findings.error());
      continue;
    }
    const bool bad = has_errors(*findings);
    rc = combine_exit(rc, bad ? kExitBad : kExitOk);
    if (o.json) {
      all.push_back({{"file", path}, {"ok", !bad}, {"findings", findings_json(*findings)}});
      continue;
    }
    if (findings->empty()) {
      fmt::print("{}: ok: no problems found that would stop WSL from loading it\n", path);
      continue;
    }
    fmt::print("{}: {}\n", path,
               bad ? "WSL would fail to load this plugin" : "loads, with warnings");
    for (const auto& f : *findings) {
      fmt::print("  {} [{}]{}\n", severity_name(f.severity), f.id,
                 f.wsl_error.empty() ? "" : fmt::format(" -> {}", f.wsl_error));
      fmt::print("    {}\n", f.message);
      if (!f.fix.empty()) fmt::print("    fix: {}\n", f.fix);
    }
  }
  if (o.json) print_json(all.size() == 1 ? all[0] : all);
  return rc;
}

bool looks_like_negative_number(const std::string& s) {
  if (s.size() < 2 || s[0] != '-') return false;
  for (std::size_t i = 1; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

Runner setup(CLI::App& root) {
  auto opts = std::make_shared<DoctorOptions>();
  auto* cmd = root.add_subcommand(
      "doctor",
      "Explain a WSL plugin error code (any form WSL prints), or check a plugin DLL for what "
      "would make WSL refuse it.");
  cmd->add_option("codes", opts->codes,
                  "Error codes as pasted: Wsl/Service/.../Plugin/0x8007007f, 'Error code: ...', "
                  "TRUST_E_NOSIGNATURE, 0x8007007E, 8007007e, -2147024770, 2147942526, 126");
  cmd->add_option("--dll", opts->dlls,
                  "Check a plugin DLL: signature, architecture, export, imports")
      ->check(CLI::ExistingFile);
  cmd->add_option("--ca", opts->ca, "Trusted root certificate (PEM) for the signature check")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--json", opts->json, "Print one JSON document (schema: docs/doctor.md)");
  cmd->allow_extras();  // negative decimal HRESULTs (-2147024770) look like options to CLI11
  set_examples(cmd, {"wslplug doctor Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f",
                     "wslplug doctor 'Error code: Wsl/Service/CreateInstance/Plugin/E_FAIL'",
                     "wslplug doctor trust_e_nosignature -2147024770 126",
                     "wslplug doctor --json 0x800B0109", "wslplug doctor --dll build/my_plugin.dll",
                     "wslplug doctor --dll my_plugin.dll --ca certs/cert.pem --json", "",
                     "Exit codes: 0 every code understood / no error findings, 1 the DLL has "
                     "error findings,",
                     "2 an input is not an error code (did-you-mean in the fix) or a usage "
                     "error, 3 I/O error."});
  return [opts, cmd]() -> int {
    for (const auto& extra : cmd->remaining()) {
      if (looks_like_negative_number(extra)) {
        opts->codes.push_back(extra);
      } else {
        return report(Error{ErrorKind::kInput, fmt::format("unknown option '{}'", extra), "",
                            "command line", "run wslplug doctor --help"});
      }
    }
    if (!opts->dlls.empty() && !opts->codes.empty())
      return report(Error{ErrorKind::kInput, "give either error codes or --dll, not both", "",
                          "command line", "run wslplug doctor twice"});
    if (opts->dlls.empty() && !opts->ca.empty())
      return report(Error{ErrorKind::kInput, "--ca only applies to --dll", "", "--ca",
                          "add --dll plugin.dll"});
    if (!opts->dlls.empty()) return run_dlls(*opts);
    if (opts->codes.empty())
      return report(Error{ErrorKind::kInput, "nothing to diagnose", "", "command line",
                          "pass an error code (wslplug doctor 0x8007007f) or --dll plugin.dll"});
    return run_codes(*opts);
  };
}

const Registrar kRegistrar{{"doctor", 90, setup}};

}  // namespace
}  // namespace wslplug::cli
