// Advice for a diagnosed code and the scanner of pasted wsl.exe output (see
// wslplug/doctor/advice.hpp).
#include "wslplug/doctor/advice.hpp"

#include <fmt/format.h>

#include <unordered_map>

#include "wslplug/core/text.hpp"
#include "wslplug/core/utf16.hpp"
#include "wslplug/core/utf8.hpp"

namespace wslplug::doctor {
namespace {

std::vector<std::string> strings(const Lines& l) {
  std::vector<std::string> out;
  for (auto line : lines(l)) out.emplace_back(line);
  return out;
}

// Fills the "<name>" placeholder of checks with the plugin name when the pasted text had it.
std::vector<std::string> personalized(const Lines& l, const Diagnosis& d) {
  std::vector<std::string> out;
  for (auto line : lines(l)) {
    std::string s(line);
    if (!d.parsed.plugin.empty())
      for (auto at = s.find("<name>"); at != std::string::npos; at = s.find("<name>", at))
        s.replace(at, 6, "'" + d.parsed.plugin + "'");
    out.push_back(std::move(s));
  }
  return out;
}

// The knowledge base's notes plus how WSL's printing of the code changed across releases.
std::vector<std::string> notes_of(const Diagnosis& d) {
  auto all = strings(d.known->notes);
  if (!d.known->wsl_name_since.empty())
    all.push_back(fmt::format("WSL prints this code by name since {}; older releases print 0x{:x}.",
                              d.known->wsl_name_since, d.parsed.hresult));
  return all;
}

Advice known_advice(const Diagnosis& d) {
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
Advice ntstatus_advice(const Diagnosis& d) {
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
Advice generic_advice(const Diagnosis& d) {
  Advice g;
  const auto& p = d.parts;
  if (!p.failure) {
    g.summary = d.parsed.hresult == 0
                    ? "S_OK: success, not an error"
                    : fmt::format("A success code (severity bit clear): {}",
                                  d.symbol.empty() ? hresult_hex(d.parsed.hresult) : d.symbol);
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

// True when `line` has "error code:" (any case). Looks at each ':' (rare in wsl.exe output)
// instead of lower-casing the line, so the scan costs about one memchr per line.
bool has_error_code(std::string_view line) {
  constexpr std::string_view kMarker = "error code";  // followed by ':'
  for (std::size_t colon = line.find(':'); colon != std::string_view::npos;
       colon = line.find(':', colon + 1))
    if (colon >= kMarker.size() &&
        iequals(line.substr(colon - kMarker.size(), kMarker.size()), kMarker))
      return true;
  return false;
}

// A line without its line ending (LF or CRLF) and surrounding blanks.
std::string_view line_at(std::string_view text, std::size_t& pos) {
  const std::size_t nl = text.find('\n', pos);
  const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
  std::string_view line = text.substr(pos, end - pos);
  pos = nl == std::string_view::npos ? text.size() : nl + 1;
  return trim_view(line);
}

// Text without any "Error code:" line is read line by line as codes; when not one line is a
// code, that is one error for the whole text (not one "not an error code" per line).
Status no_code_in_lines(std::string_view text, const std::string& where) {
  std::size_t lines = 0;
  std::string_view first;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::string_view line = line_at(text, pos);
    if (line.empty()) continue;
    if (parse_code(line, false)) return {};
    if (lines++ == 0) first = line;
  }
  if (lines == 0) return {};  // empty text: the caller's "no error code" error
  return input_error(
      fmt::format("no error code in the pasted text: none of its {} line{} has 'Error code:' or "
                  "is a code (first line: \"{}\")",
                  lines, lines == 1 ? "" : "s", printable(utf8_prefix(first, 80))),
      where, "",
      "paste the wsl.exe output that ends with 'Error code: ...', or pass a code as an "
      "argument (wslplug doctor 0x8007007e)");
}

}  // namespace

Advice advise(const Diagnosis& d) { return d.known ? known_advice(d) : generic_advice(d); }

Result<std::vector<PastedCode>> pasted_codes(std::string_view raw, const std::string& where) {
  if (raw.size() > kMaxPastedText)
    return input_error(fmt::format("the pasted text is larger than {} MiB; doctor reads wsl.exe "
                                   "output, which is a few lines",
                                   kMaxPastedText >> 20),
                       where, "",
                       "paste only the lines that end with 'Error code: ...', or pass the codes "
                       "as arguments");
  // wsl.exe writes UTF-16LE to a pipe or a file; a paste from a terminal is UTF-8.
  auto decoded = text_as_utf8(raw, where);
  if (!decoded) return std::unexpected(decoded.error());
  const std::string_view text = *decoded;
  bool have_error_code = false;
  for (std::size_t pos = 0; pos < text.size() && !have_error_code;)
    have_error_code = has_error_code(line_at(text, pos));
  if (!have_error_code) {
    if (auto none = no_code_in_lines(text, where); !none) return std::unexpected(none.error());
  }
  std::vector<PastedCode> out;
  std::unordered_map<std::string, std::size_t> seen;  // entry text -> index in out
  auto add = [&](std::string entry) {
    auto [it, inserted] = seen.try_emplace(std::move(entry), out.size());
    if (inserted) out.push_back({it->first, 0});
    ++out[it->second].count;
  };
  std::string_view message;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::string_view line = line_at(text, pos);
    if (line.empty()) continue;
    if (!have_error_code) {
      add(std::string(line));
    } else if (has_error_code(line)) {
      std::string entry;
      if (!message.empty()) {
        entry.reserve(message.size() + 1 + line.size());
        entry.append(message).push_back('\n');
      }
      entry.append(line);
      add(std::move(entry));
      message = {};
    } else {
      message = line;
    }
  }
  if (out.empty())
    return input_error("no error code on standard input", where, "",
                       "paste the wsl.exe output that ends with 'Error code: ...'");
  return out;
}

Result<std::vector<std::string>> codes_in_pasted_text(std::string_view text,
                                                      const std::string& where) {
  auto codes = pasted_codes(text, where);
  if (!codes) return std::unexpected(codes.error());
  std::vector<std::string> out;
  out.reserve(codes->size());
  for (auto& c : *codes) out.push_back(std::move(c.text));
  return out;
}

}  // namespace wslplug::doctor
