// What to do about a diagnosed error code: the knowledge base's causes, checks, fixes and notes
// (checks named for the plugin when the pasted text named it, notes with how WSL's printing of
// the code changed), or generic advice for a code the knowledge base does not have (a success
// code, an NTSTATUS from a crash, a code a plugin passed through); and the scanner that finds the
// codes in pasted wsl.exe output (`wslplug doctor -`).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/doctor/errors.hpp"

namespace wslplug::doctor {

struct Advice {
  bool specific = false;  // from the knowledge base (else generic)
  std::string summary;
  std::vector<std::string> causes;  // most likely first
  std::vector<std::string> checks;  // PowerShell and wslplug commands
  std::vector<std::string> fixes;
  std::vector<std::string> notes;
};
Advice advise(const Diagnosis& d);

// True when the HRESULT is an NTSTATUS error pasted as is (top two bits set): an exception or
// status code of Windows itself, never printed by wsl.exe after "Error code:".
constexpr bool is_ntstatus_error(std::uint32_t hr) { return (hr >> 30) == 3u; }

// At most this much pasted text is read (wsl.exe output is a few lines).
inline constexpr std::size_t kMaxPastedText = std::size_t{4} << 20;

// The codes in pasted wsl.exe output: each "Error code:" line together with the message line
// above it (which names the plugin), or, when there is no such line, every non-empty line; each
// line without its line ending and surrounding blanks. Identical entries are merged: one
// PastedCode per distinct text, in the order of first occurrence, with how often it occurs.
// The text is UTF-8 or what wsl.exe writes to a pipe or a file, UTF-16LE with or without
// byte-order mark (wslplug/core/utf16.hpp tells them apart). Linear in the text
// (docs/doctor.md). Input errors: text longer than kMaxPastedText bytes (it is refused, never
// cut), UTF-16LE that does not decode (odd length, lone surrogate: the offset is named), no code
// at all (one error for the whole text when no line has "Error code:" and no line is a code).
// `where` names the source in errors ("<stdin>").
struct PastedCode {
  std::string text;
  std::size_t count = 0;
};
Result<std::vector<PastedCode>> pasted_codes(std::string_view raw, const std::string& where);
// The same, texts only.
Result<std::vector<std::string>> codes_in_pasted_text(std::string_view text,
                                                      const std::string& where);

}  // namespace wslplug::doctor
