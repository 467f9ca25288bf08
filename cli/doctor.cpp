// wslplug doctor: explains WSL plugin error codes (every form a user pastes) and checks a plugin
// DLL before WSL does (--dll). Thin: parsing and decoding live in wslplug/errors.hpp, the checks
// in wslplug/preflight.hpp and wslplug/dll_check.hpp.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.hpp"
#include "common.hpp"
#include "wslplug/doctor/dll_check.hpp"
#include "wslplug/doctor/errors.hpp"
#include "wslplug/doctor/preflight.hpp"
#include "wslplug/registry/registration.hpp"

namespace wslplug::cli {
namespace {

namespace er = wslplug::errors;
using nlohmann::json;

struct DoctorOptions {
  std::vector<std::string> codes;
  std::vector<std::string> dlls;
  std::vector<std::string> regs;
  std::vector<std::string> ca;
  bool json = false;
};

// Fills the "<name>" placeholder of checks with the plugin name when the pasted text had it.
std::vector<std::string> personalized(const er::Lines& l, const er::Diagnosis& d) {
  std::vector<std::string> out;
  for (auto line : er::lines(l)) {
    std::string s(line);
    if (!d.parsed.plugin.empty())
      for (auto at = s.find("<name>"); at != std::string::npos; at = s.find("<name>", at))
        s.replace(at, 6, "'" + d.parsed.plugin + "'");
    out.push_back(std::move(s));
  }
  return out;
}

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
  if ((d.parsed.hresult >> 30) == 3u) {
    g.summary = fmt::format(
        "An NTSTATUS{}: a status or exception code of Windows itself, not an HRESULT WSL prints; "
        "it appears as the \"Exception code\" of a crash (Application event log, Event ID 1000) "
        "or a loader failure",
        d.ntstatus ? " (" + *d.ntstatus + ")" : std::string());
    g.causes.push_back(
        "wslservice.exe crashed in a plugin (in-process plugins share its process): wsl.exe then "
        "shows RPC_S_CALL_FAILED or a similar RPC error");
    g.checks.push_back(
        "Get-WinEvent -FilterHashtable @{LogName='Application'; Id=1000} -MaxEvents 10 | "
        "Format-List TimeCreated, Message   (faulting module = the plugin?)");
    g.checks.push_back("wslplug doctor RPC_S_CALL_FAILED");
    g.fixes.push_back(
        "Remove the plugin's registry value to confirm, then debug the plugin (WER LocalDumps for "
        "wslservice.exe give a crash dump)");
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

// The knowledge base's notes plus how WSL's printing of the code changed across releases.
std::vector<std::string> notes_of(const er::Diagnosis& d) {
  auto notes = er::lines(d.known->notes);
  std::vector<std::string> all(notes.begin(), notes.end());
  if (!d.known->wsl_name_since.empty())
    all.push_back(fmt::format("WSL prints this code by name since {}; older releases print 0x{:x}.",
                              d.known->wsl_name_since, d.parsed.hresult));
  return all;
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
  j["ntstatus"] = d.ntstatus ? json(*d.ntstatus) : json(nullptr);
  j["stages"] = string_list(er::stage_names(d.stages));
  if (d.known) {
    j["summary"] = std::string(d.known->summary);
    j["step"] = d.known->step.empty() ? json(nullptr) : json(std::string(d.known->step));
    j["causes"] = string_list(er::lines(d.known->causes));
    j["checks"] = personalized(d.known->checks, d);
    j["fixes"] = string_list(er::lines(d.known->fixes));
    j["notes"] = notes_of(d);
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

void print_diagnosis(const er::Diagnosis& d) {
  fmt::print("{}\n", d.parsed.input);
  std::string head = d.symbol.empty() ? "(no symbolic name)" : d.symbol;
  const bool show_win32 = d.win32_name && *d.win32_name != d.symbol;
  if ((d.parsed.hresult >> 30) == 3u)
    fmt::print("  {}  {}  NTSTATUS error, facility {:#x}, code {:#x}\n", head,
               er::hresult_hex(d.parsed.hresult), (d.parsed.hresult >> 16) & 0xfffu, d.parts.code);
  else
    fmt::print("  {}  {}  {}, facility {} ({}), code {:#x} ({}){}\n", head,
               er::hresult_hex(d.parsed.hresult), d.parts.failure ? "error" : "success",
               d.facility.value_or("unknown"), d.parts.facility, d.parts.code, d.parts.code,
               show_win32 ? fmt::format(", Win32 {}", *d.win32_name) : "");
  if (d.known) {
    fmt::print("  {}\n", d.known->summary);
  } else {
    fmt::print("  {}\n", generic_advice(d).summary);
  }
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
    for (auto s : er::stage_names(d.stages)) st += (st.empty() ? "" : ", ") + std::string(s);
    fmt::print("  Stages: {}\n", st);
  }
  if (d.known && !d.known->step.empty() && (d.stages & er::kStageLoad))
    fmt::print("  Load step: {}\n", d.known->step);
  if ((d.parsed.hresult >> 30) != 3u) fmt::print("  WSL prints it as: {}\n", d.wsl_prints);
  if (d.known) {
    print_list("Likely causes, most likely first", er::lines(d.known->causes), true);
    print_list("Checks", personalized(d.known->checks, d), false);
    print_list("Fixes", er::lines(d.known->fixes), false);
    print_list("Notes", notes_of(d), false);
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

using CheckFn = std::function<Result<std::vector<Finding>>(const std::string& path)>;

struct CheckWording {
  const char* bad;  // headline when a finding has severity error
  const char* ok;   // headline when there is nothing to report
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
        all.push_back({{"file", path}, {"ok", false}, {"error", error_json(findings.error())}});
      else
        report(findings.error());
      continue;
    }
    const bool bad = has_errors(*findings);
    rc = combine_exit(rc, bad ? kExitBad : kExitOk);
    if (json_out) {
      all.push_back({{"file", path}, {"ok", !bad}, {"findings", findings_json(*findings)}});
      continue;
    }
    bool warnings = false;
    for (const auto& f : *findings) warnings |= f.severity == Severity::kWarning;
    fmt::print("{}: {}\n", path,
               bad        ? wording.bad
               : warnings ? "usable, with warnings"
                          : wording.ok);
    for (const auto& f : *findings) {
      fmt::print("  {} [{}]{}\n", severity_name(f.severity), f.id,
                 f.wsl_error.empty() ? "" : fmt::format(" -> {}", f.wsl_error));
      fmt::print("    {}\n", f.message);
      if (!f.fix.empty()) fmt::print("    fix: {}\n", f.fix);
    }
    std::string first_error;
    for (const auto& f : *findings)
      if (f.severity == Severity::kError && !f.wsl_error.empty() && first_error.empty())
        first_error = f.wsl_error;
    if (!first_error.empty()) fmt::print("  explain a code: wslplug doctor {}\n", first_error);
  }
  if (json_out) print_json(all.size() == 1 ? all[0] : all);
  return rc;
}

int run_dlls(const DoctorOptions& o) {
  signing::VerifyOptions vo;
  for (const auto& c : o.ca) vo.ca_files.emplace_back(c);
  return run_checks(o.dlls, o.json,
                    [&](const std::string& path) { return signing::check_plugin_dll(path, vo); },
                    {"WSL would fail to load this plugin",
                     "ok: no problems found that would stop WSL from loading it"});
}

int run_regs(const DoctorOptions& o) {
  return run_checks(
      o.regs, o.json, [](const std::string& path) { return reg::check_registration_file(path); },
      {"WSL would skip or fail to load this registration",
       "ok: WSL would load the plugin this file registers (REG_SZ, absolute path, right key)"});
}

// Codes in pasted text (stdin, "-"): each "Error code:" line together with the message line
// above it (which names the plugin), or, when there is no such line, every non-empty line.
std::vector<std::string> codes_from_text(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string line(text.substr(0, nl));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  auto upper = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  auto blank = [](const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; };
  bool have_error_code = false;
  for (const auto& l : lines) have_error_code |= upper(l).find("ERROR CODE:") != std::string::npos;
  std::vector<std::string> out;
  std::string message;
  for (const auto& l : lines) {
    if (blank(l)) continue;
    if (!have_error_code) {
      out.push_back(l);
    } else if (upper(l).find("ERROR CODE:") != std::string::npos) {
      out.push_back(message.empty() ? l : message + "\n" + l);
      message.clear();
    } else {
      message = l;
    }
  }
  return out;
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
  cmd->add_option(
      "codes", opts->codes,
      "Error codes as pasted: Wsl/Service/.../Plugin/0x8007007f, 'Error code: ...', "
      "TRUST_E_NOSIGNATURE, 0x8007007E, 8007007e, -2147024770, 2147942526, 126; - reads "
      "pasted text from stdin");
  cmd->add_option("--dll", opts->dlls,
                  "Check a plugin DLL: signature, architecture, export, imports")
      ->check(CLI::ExistingFile);
  cmd->add_option("--reg", opts->regs,
                  "Check a registration .reg file: value type, path, key, 64-bit view")
      ->check(CLI::ExistingFile);
  cmd->add_option("--ca", opts->ca, "Trusted root certificate (PEM) for the signature check")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--json", opts->json, "Print one JSON document (schema: docs/doctor.md)");
  cmd->allow_extras();  // negative decimal HRESULTs (-2147024770) look like options to CLI11
  set_examples(
      cmd,
      {"wslplug doctor Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f",
       "wslplug doctor 'Error code: Wsl/Service/CreateInstance/Plugin/E_FAIL'",
       "wslplug doctor trust_e_nosignature -2147024770 126", "wslplug doctor --json 0x800B0109",
       "wslplug doctor - < wsl-output.txt   (pasted wsl.exe output: every 'Error code:' line)",
       "wslplug doctor --dll build/my_plugin.dll",
       "wslplug doctor --dll my_plugin.dll --ca certs/cert.pem --json",
       "wslplug doctor --reg my-plugin.reg", "",
       "Exit codes: 0 every code understood / no error findings, 1 the DLL has "
       "error findings,",
       "2 an input is not an error code (did-you-mean in the fix) or a usage "
       "error, 3 I/O error."});
  return [opts, cmd]() -> int {
    for (const auto& extra : cmd->remaining()) {
      if (looks_like_negative_number(extra) || extra == "-") {
        opts->codes.push_back(extra);
      } else {
        return report(Error{ErrorKind::kInput, fmt::format("unknown option '{}'", extra), "",
                            "command line", "run wslplug doctor --help"});
      }
    }
    // "-": the pasted wsl.exe output comes on stdin.
    if (auto dash = std::find(opts->codes.begin(), opts->codes.end(), "-");
        dash != opts->codes.end()) {
      std::string text;
      char buf[65536];
      std::size_t n = 0;
      while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0 && text.size() < (4u << 20))
        text.append(buf, n);
      auto found = codes_from_text(text);
      if (found.empty())
        return report(Error{ErrorKind::kInput, "no error code on standard input", "<stdin>", "",
                            "paste the wsl.exe output that ends with 'Error code: ...'"});
      dash = opts->codes.erase(dash);
      opts->codes.insert(dash, found.begin(), found.end());
    }
    const int modes = !opts->dlls.empty() + !opts->codes.empty() + !opts->regs.empty();
    if (modes > 1)
      return report(Error{ErrorKind::kInput, "give one of: error codes, --dll, --reg", "",
                          "command line", "run wslplug doctor once for each"});
    if (opts->dlls.empty() && !opts->ca.empty())
      return report(Error{ErrorKind::kInput, "--ca only applies to --dll", "", "--ca",
                          "add --dll plugin.dll"});
    if (!opts->dlls.empty()) return run_dlls(*opts);
    if (!opts->regs.empty()) return run_regs(*opts);
    if (opts->codes.empty())
      return report(Error{ErrorKind::kInput, "nothing to diagnose", "", "command line",
                          "pass an error code (wslplug doctor 0x8007007f) or --dll plugin.dll"});
    return run_codes(*opts);
  };
}

const Registrar kRegistrar{{"doctor", setup}};

}  // namespace
}  // namespace wslplug::cli
