// WSL plugin error codes: a knowledge base of every code a WSL plugin can run into (what it
// means, where it arises, ranked causes, checks and fixes), a parser for every form a user pastes
// (`Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f`, `Error code: ...`, symbolic names,
// hex, signed/unsigned decimal, bare Win32 codes), HRESULT decoding with the complete Win32 and
// HRESULT name tables generated from MinGW's winerror.h at build time, and "did you mean".
// All tables are static data: no file I/O, no allocation at lookup.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::doctor {

// Where a code arises (bit set).
enum Stage : unsigned {
  kStageLoad = 1u << 0,                 // service start: signature check, LoadLibrary, entry point
  kStageVmStarted = 1u << 1,            // the plugin's OnVMStarted hook returned it
  kStageDistributionStarted = 1u << 2,  // the plugin's OnDistributionStarted hook returned it
  kStageApiCall = 1u << 3,              // returned to the plugin by a WSL API call
  kStageHost = 1u << 4,                 // out-of-process plugin host (wslpluginhost.exe)
  kStageRegistration = 1u << 5,         // caused by the registry value that registers the plugin
};
inline constexpr unsigned kAllStages = 0x3f;
// "load", "vm-started", "distribution-started", "api-call", "host", "registration".
std::string_view stage_name(Stage stage);
// The names of the bits set in `mask`, in the order above.
std::vector<std::string_view> stage_names(unsigned mask);

// Up to six lines of text; unused slots are empty.
using Lines = std::array<std::string_view, 6>;
// The non-empty lines.
std::vector<std::string_view> lines(const Lines& l);

// One code of the knowledge base.
struct KnownError {
  std::string_view symbol;                  // the name WSL and winerror.h use
  std::array<std::string_view, 2> aliases;  // other names of the same HRESULT (may be empty)
  std::uint32_t hresult = 0;
  unsigned stages = 0;              // Stage bits
  std::string_view step;            // for load-time codes: the load step that fails
  std::string_view wsl_name_since;  // WSL prints the name since this release; empty: always hex
  std::string_view summary;         // one sentence
  Lines causes;                     // ranked, most likely first
  Lines checks;                     // PowerShell commands and wslplug commands
  Lines fixes;
  Lines notes;  // disagreements between sources, version notes
};

// The whole knowledge base (every code of the WSL plugin error table).
std::span<const KnownError> knowledge_base();
const KnownError* find_known(std::uint32_t hresult);
// Case-insensitive, symbols and aliases.
const KnownError* find_known_symbol(std::string_view name);

// ------------------------------------------------------------------ HRESULT decoding
struct HresultParts {
  bool failure = false;    // severity bit (31)
  bool customer = false;   // customer bit (29)
  bool nt_status = false;  // N bit (28): an NTSTATUS mapped with HRESULT_FROM_NT
  unsigned facility = 0;   // bits 16..26
  unsigned code = 0;       // bits 0..15
};
HresultParts split_hresult(std::uint32_t hr);
constexpr std::uint32_t hresult_from_win32(std::uint32_t code) {
  return code == 0 ? 0u : ((code & 0xffffu) | (7u << 16) | 0x80000000u);
}
// "FACILITY_WIN32", or nullopt for an unknown facility number.
std::optional<std::string_view> facility_name(unsigned facility);
// Win32 error name ("ERROR_MOD_NOT_FOUND") of a Win32 code; nullopt when unknown.
std::optional<std::string_view> win32_name(std::uint32_t code);
// NTSTATUS name ("STATUS_ACCESS_VIOLATION") of an NTSTATUS value (exception codes of crashes,
// 0xC...). nullopt when unknown.
std::optional<std::string_view> ntstatus_name(std::uint32_t status);
// The NTSTATUS an HRESULT stands for: the value itself when its top two bits are set (an
// NTSTATUS error pasted as is), or the value without the N bit for HRESULT_FROM_NT. nullopt
// otherwise.
std::optional<std::uint32_t> as_ntstatus(std::uint32_t hr);
// The best symbolic name of an HRESULT: knowledge base, then winerror.h's HRESULT names, then
// (for FACILITY_WIN32) the Win32 name, then the NTSTATUS name. nullopt when none is known.
std::optional<std::string> hresult_symbol(std::uint32_t hr);
// "0x8007007E" (uppercase, 8 digits).
std::string hresult_hex(std::uint32_t hr);
// How wsl.exe prints the code after "Error code: ...": the symbolic name when WSL's own table has
// it (as of current WSL master), else "0x" + lowercase hex without padding.
std::string wsl_code_string(std::uint32_t hr);
// The value of a symbolic name (knowledge base and winerror.h: Win32 names are returned as
// HRESULT_FROM_WIN32). Case-insensitive.
std::optional<std::uint32_t> symbol_value(std::string_view name);
// Known names (knowledge base, winerror.h HRESULT and Win32 names) closest to `name` by edit
// distance, best first; only plausible near misses.
std::vector<std::string> did_you_mean(std::string_view name, std::size_t max = 3);

// ------------------------------------------------------------------ parsing user input
// The context bits of WSL's error code string (`Wsl/Service/CreateInstance/CreateVm/Plugin/...`).
struct Context {
  std::vector<std::string> components;  // as given, e.g. {"Wsl","Service","CreateInstance"}
  bool create_instance = false;
  bool create_vm = false;
  bool plugin = false;
  bool wslc = false;
  std::vector<std::string> unknown;  // components that are not WSL context names we know
  [[nodiscard]] bool empty() const { return components.empty(); }
};

enum class InputForm {
  kSymbol,         // TRUST_E_NOSIGNATURE (any case)
  kHex,            // 0x8007007f, 8007007E
  kDecimal,        // 2147942526
  kSignedDecimal,  // -2147024770
  kWin32Decimal,   // 126, read as HRESULT_FROM_WIN32
  kWin32Hex,       // 0x7e, read as HRESULT_FROM_WIN32
};
std::string_view input_form_name(InputForm form);  // "symbol", "hex", ...

struct ParsedCode {
  std::string input;  // as given (trimmed)
  std::string code;   // the code part (after the context)
  std::uint32_t hresult = 0;
  InputForm form = InputForm::kHex;
  Context context;
  // From a pasted wsl.exe message: "A fatal error was returned by plugin 'NAME'. Error message:
  // 'TEXT'" / "The plugin 'NAME' requires a newer version of WSL". Empty when not pasted.
  std::string plugin;          // the registry value name of the plugin
  std::string plugin_message;  // the text the plugin passed to PluginError
};

// Parses one pasted code. An input that is not a code is an input error whose fix lists the
// "did you mean" candidates (with `suggest`; without, the general fix: callers bound the
// did-you-mean work of one input with kMaxSuggestions).
Result<ParsedCode> parse_code(std::string_view input, bool suggest = true);
// How many inputs that are not codes get "did you mean" candidates in one run of doctor (each
// lookup compares against every known name): the rest get the general fix, so a 4 MiB paste of
// unknown names costs about a second of CPU, not minutes.
inline constexpr std::size_t kMaxSuggestions = 256;

// What the context says about where the error came from.
struct ContextMeaning {
  unsigned stages = 0;     // stages consistent with the context (0: the context says nothing)
  std::string failed;      // which hook or load step failed
  std::string wsl_action;  // what WSL did about it
  std::string message;     // the message wsl.exe shows above "Error code:" (en-US)
};
// `known` (may be null) narrows the meaning (e.g. a load-only code under CreateVm/Plugin).
ContextMeaning explain_context(const Context& context, const KnownError* known);

// A complete explanation of one code.
struct Diagnosis {
  ParsedCode parsed;
  const KnownError* known = nullptr;  // null: not in the knowledge base (still decoded)
  std::string symbol;                 // best symbolic name; empty when none is known
  HresultParts parts;
  std::optional<std::string> facility;    // "FACILITY_WIN32"
  std::optional<std::string> win32_name;  // for FACILITY_WIN32
  std::optional<std::string> ntstatus;    // NTSTATUS name (crash exception codes, HRESULT_FROM_NT)
  unsigned stages = 0;                    // knowledge-base stages narrowed by the context
  ContextMeaning context;
  std::string wsl_prints;  // how wsl.exe prints this code
};
Result<Diagnosis> diagnose(std::string_view input, bool suggest = true);

// True when some table names the code (knowledge base, winerror.h HRESULTs, Win32 errors,
// NTSTATUS); false when only its structure (severity, facility, code) can be decoded.
bool is_named(const Diagnosis& d);

// For a code written as a bare number of decimal digits (no 0x, no sign), which base was used and
// how to write the other reading ("99999 was read as hex 0x00099999 ...; for decimal 99999 write
// 0x0001869F"); empty for every other form, which is unambiguous.
std::string bare_number_reading(const ParsedCode& parsed);

}  // namespace wslplug::doctor
