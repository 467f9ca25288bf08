// Advice for a diagnosed code and the scanner of pasted wsl.exe output (see
// wslplug/doctor/advice.hpp).
#include "wslplug/doctor/advice.hpp"

#include <fmt/format.h>

#include "wslplug/core/text.hpp"

namespace wslplug::doctor {
namespace er = wslplug::errors;
namespace {

std::vector<std::string> strings(const er::Lines& l) {
  std::vector<std::string> out;
  for (auto line : er::lines(l)) out.emplace_back(line);
  return out;
}

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

// The knowledge base's notes plus how WSL's printing of the code changed across releases.
std::vector<std::string> notes_of(const er::Diagnosis& d) {
  auto all = strings(d.known->notes);
  if (!d.known->wsl_name_since.empty())
    all.push_back(fmt::format("WSL prints this code by name since {}; older releases print 0x{:x}.",
                              d.known->wsl_name_since, d.parsed.hresult));
  return all;
}

Advice known_advice(const er::Diagnosis& d) {
  Advice a;
  a.specific = true;
  a.summary = std::string(d.known->summary);
  a.causes = strings(d.known->causes);
  a.checks = personalized(d.known->checks, d);
  a.fixes = strings(d.known->fixes);
  a.notes = notes_of(d);
  return a;
}

// An NTSTATUS pasted as is: the exception code of a crash, or a loader status.
Advice ntstatus_advice(const er::Diagnosis& d) {
  Advice g;
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

// Generic advice for a code the knowledge base does not have.
Advice generic_advice(const er::Diagnosis& d) {
  Advice g;
  const auto& p = d.parts;
  if (!p.failure) {
    g.summary = d.parsed.hresult == 0
                    ? "S_OK: success, not an error"
                    : fmt::format("A success code (severity bit clear): {}",
                                  d.symbol.empty() ? er::hresult_hex(d.parsed.hresult) : d.symbol);
    return g;
  }
  if (is_ntstatus_error(d.parsed.hresult)) return ntstatus_advice(d);
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

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string line(text.substr(0, nl));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  return lines;
}

bool has_error_code(const std::string& line) {
  return ascii_lower(line).find("error code:") != std::string::npos;
}

}  // namespace

Advice advise(const er::Diagnosis& d) { return d.known ? known_advice(d) : generic_advice(d); }

Result<std::vector<std::string>> codes_in_pasted_text(std::string_view text,
                                                      const std::string& where) {
  if (text.size() > kMaxPastedText)
    return input_error(fmt::format("the pasted text is larger than {} MiB; doctor reads wsl.exe "
                                   "output, which is a few lines",
                                   kMaxPastedText >> 20),
                       where, "",
                       "paste only the lines that end with 'Error code: ...', or pass the codes "
                       "as arguments");
  const auto lines = split_lines(text);
  bool have_error_code = false;
  for (const auto& l : lines) have_error_code |= has_error_code(l);
  std::vector<std::string> out;
  std::string message;
  for (const auto& l : lines) {
    if (trim(l).empty()) continue;
    if (!have_error_code) {
      out.push_back(l);
    } else if (has_error_code(l)) {
      out.push_back(message.empty() ? l : message + "\n" + l);
      message.clear();
    } else {
      message = l;
    }
  }
  if (out.empty())
    return input_error("no error code on standard input", where, "",
                       "paste the wsl.exe output that ends with 'Error code: ...'");
  return out;
}

}  // namespace wslplug::doctor
