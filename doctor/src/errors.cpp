// Error-code parsing, HRESULT decoding, context decoding and "did you mean" for wslplug doctor.
#include "wslplug/doctor/errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <unordered_map>

#include "errors_tables.hpp"
#include "wslplug/core/suggest.hpp"
#include "wslplug/core/text.hpp"

namespace wslplug::doctor {
namespace {

// Strips what surrounds a code when it is pasted: whitespace, quotes, backticks, brackets, and
// separators (',' ';' and a trailing '.'). Not a plain trim: those characters never belong to a
// code.
std::string_view strip_pasted(std::string_view s) {
  auto is_trim = [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '`' ||
           c == ',' || c == ';' || c == '(' || c == ')' || c == '[' || c == ']';
  };
  while (!s.empty() && is_trim(s.front())) s.remove_prefix(1);
  while (!s.empty() && (is_trim(s.back()) || s.back() == '.')) s.remove_suffix(1);
  return s;
}

const detail::NamedCode* first_with_value(std::span<const detail::NamedCode> table,
                                          std::uint32_t value) {
  auto it =
      std::lower_bound(table.begin(), table.end(), value,
                       [](const detail::NamedCode& n, std::uint32_t v) { return n.value < v; });
  if (it == table.end() || it->value != value) return nullptr;
  return &*it;
}

// Names did_you_mean measures (longer ones are skipped); the distance is core's (suggest.hpp).
constexpr std::size_t kMaxName = kMaxSuggestWord;

struct ContextName {
  std::string_view name;
  bool Context::*flag;
};

bool is_hex_digit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_dec_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

template <class Pred>
bool all_of(std::string_view s, Pred p) {
  return !s.empty() && std::all_of(s.begin(), s.end(), p);
}

Error not_a_code(std::string_view input, std::string_view /*code*/, std::string_view why) {
  Error e;
  e.kind = ErrorKind::kInput;
  const std::string shown =
      input.size() > 100 ? std::string(input.substr(0, 100)) + "..." : std::string(input);
  e.message = fmt::format("'{}' is not an error code: {}", shown, why);
  e.where = "code";
  e.fix =
      "paste the text after 'Error code:' (e.g. Wsl/Service/CreateInstance/CreateVm/Plugin/"
      "0x8007007f), a symbolic name (TRUST_E_NOSIGNATURE), an HRESULT in hex (0x8007007E) or "
      "decimal (-2147024770), or a Win32 error number (126)";
  return e;
}

// The "did you mean" candidates for a code that is not one, as the fix (the general fix stays
// when there are none).
void add_suggestions(Error& e, std::string_view code) {
  std::string normalized;
  for (char c : code) normalized.push_back(c == ' ' || c == '-' ? '_' : c);
  auto near = did_you_mean(normalized);
  if (near.empty()) return;
  std::string list;
  for (const auto& n : near) list += (list.empty() ? "" : ", ") + n;
  e.fix = fmt::format("did you mean {}?", list);
}

}  // namespace

std::string_view stage_name(Stage stage) {
  switch (stage) {
    case kStageLoad:
      return "load";
    case kStageVmStarted:
      return "vm-started";
    case kStageDistributionStarted:
      return "distribution-started";
    case kStageApiCall:
      return "api-call";
    case kStageHost:
      return "host";
    case kStageRegistration:
      return "registration";
  }
  return "unknown";
}

std::vector<std::string_view> stage_names(unsigned mask) {
  std::vector<std::string_view> out;
  for (unsigned bit = 1; bit <= kStageRegistration; bit <<= 1)
    if (mask & bit) out.push_back(stage_name(static_cast<Stage>(bit)));
  return out;
}

std::vector<std::string_view> lines(const Lines& l) {
  std::vector<std::string_view> out;
  for (auto s : l)
    if (!s.empty()) out.push_back(s);
  return out;
}

const KnownError* find_known(std::uint32_t hresult) {
  for (const auto& e : knowledge_base())
    if (e.hresult == hresult) return &e;
  return nullptr;
}

const KnownError* find_known_symbol(std::string_view name) {
  for (const auto& e : knowledge_base()) {
    if (iequals(e.symbol, name)) return &e;
    for (auto a : e.aliases)
      if (!a.empty() && iequals(a, name)) return &e;
  }
  return nullptr;
}

HresultParts split_hresult(std::uint32_t hr) {
  HresultParts p;
  p.failure = (hr >> 31) & 1u;
  p.customer = (hr >> 29) & 1u;
  p.nt_status = (hr >> 28) & 1u;
  p.facility = (hr >> 16) & 0x7ffu;
  p.code = hr & 0xffffu;
  return p;
}

std::optional<std::string_view> facility_name(unsigned facility) {
  if (const auto* n = first_with_value(detail::facility_names(), facility)) return n->name;
  return std::nullopt;
}

std::optional<std::string_view> win32_name(std::uint32_t code) {
  if (const auto* n = first_with_value(detail::win32_names(), code)) return n->name;
  // Names MinGW's header lacks but the knowledge base has (ERROR_INVALID_IMAGE_HASH, ...).
  if (code != 0 && code <= 0xffff) {
    if (const auto* k = find_known(hresult_from_win32(code)))
      if (k->symbol.starts_with("ERROR_")) return k->symbol;
  }
  return std::nullopt;
}

std::optional<std::string_view> ntstatus_name(std::uint32_t status) {
  if (const auto* n = first_with_value(detail::ntstatus_names(), status)) return n->name;
  return std::nullopt;
}

std::optional<std::uint32_t> as_ntstatus(std::uint32_t hr) {
  // Bit 28 is reserved (always 0) in a real NTSTATUS and marks HRESULT_FROM_NT in an HRESULT.
  if (hr & 0x10000000u) return hr & ~0x10000000u;
  if ((hr >> 30) == 3u) return hr;
  return std::nullopt;
}

std::optional<std::string> hresult_symbol(std::uint32_t hr) {
  if (const auto* k = find_known(hr)) return std::string(k->symbol);
  if (const auto* n = first_with_value(detail::hresult_names(), hr)) return std::string(n->name);
  const auto p = split_hresult(hr);
  if (p.failure && p.facility == 7 && !p.customer && !p.nt_status)
    if (auto w = win32_name(p.code)) return std::string(*w);
  if (auto nt = as_ntstatus(hr))
    if (auto n = ntstatus_name(*nt)) return std::string(*n);
  return std::nullopt;
}

std::string hresult_hex(std::uint32_t hr) { return fmt::format("0x{:08X}", hr); }

std::string wsl_code_string(std::uint32_t hr) {
  if (const auto* k = find_known(hr); k && !k->wsl_name_since.empty())
    return std::string(k->symbol);
  return fmt::format("0x{:x}", hr);
}

std::optional<std::uint32_t> symbol_value(std::string_view name) {
  if (const auto* k = find_known_symbol(name)) return k->hresult;
  // Every table name, lower-cased, once per process: a pasted log asks for thousands of names,
  // and a scan of the ~10,000 names per lookup would cost seconds. The first table that has a
  // name wins (HRESULT, then Win32, then NTSTATUS), as the scans in that order did.
  static const std::unordered_map<std::string, std::uint32_t> by_name = [] {
    std::unordered_map<std::string, std::uint32_t> m;
    for (const auto& n : detail::hresult_names()) m.try_emplace(ascii_lower(n.name), n.value);
    for (const auto& n : detail::win32_names())
      m.try_emplace(ascii_lower(n.name), hresult_from_win32(n.value));
    for (const auto& n : detail::ntstatus_names()) m.try_emplace(ascii_lower(n.name), n.value);
    return m;
  }();
  if (auto it = by_name.find(ascii_lower(name)); it != by_name.end()) return it->second;
  return std::nullopt;
}

namespace {

// The set of characters of `s`, hashed onto 64 bits (c mod 64). A bit set for one string and
// not the other stands for at least one character the other lacks, so the number of such bits
// is a lower bound of the edit distance: did_you_mean rules out most of the ~3,500 names with
// two AND operations (a pasted log can ask for thousands of lines).
std::uint64_t letter_set(std::string_view s) {
  std::uint64_t bits = 0;
  for (unsigned char c : s) bits |= std::uint64_t{1} << (c & 63u);
  return bits;
}

}  // namespace

std::vector<std::string> did_you_mean(std::string_view name, std::size_t max) {
  const std::string want = ascii_lower(name);
  // Names are at most ~60 characters; longer input is not a near miss (and would be slow).
  if (want.size() < 3 || want.size() > 80 || max == 0) return {};
  static_assert(kMaxName >= 80);
  const std::size_t limit = std::max<std::size_t>(2, want.size() / 4);
  struct Candidate {
    std::size_t score;
    int rank;  // 0 knowledge base, 1 winerror.h
    std::string name;
  };
  std::vector<Candidate> found;
  // The letter counts of `want`: a name whose counts differ from them by more than `limit`
  // letters is more than `limit` edits away (an edit changes at most one count by one), which
  // rules out most names without the edit table.
  std::array<std::uint8_t, 256> want_counts{};
  for (unsigned char c : want) ++want_counts[c];
  auto bag_distance = [&](std::string_view lower) {
    auto counts = want_counts;
    std::size_t extra = 0;
    for (unsigned char c : lower) {
      if (counts[c] != 0) {
        --counts[c];
      } else {
        ++extra;
      }
    }
    const std::size_t missing = want.size() - (lower.size() - extra);
    return std::max(extra, missing);
  };
  // Every known name, lower-cased once per process: this loop runs for each lookup.
  struct Known {
    std::string lower;
    std::string_view name;
    int rank;
    std::uint64_t letters;  // letter_set(lower)
  };
  static const std::vector<Known> known = [] {
    std::vector<Known> k;
    auto add = [&](std::string_view n, int rank) {
      if (n.empty() || n.size() > kMaxName) return;
      std::string lower = ascii_lower(n);
      const std::uint64_t letters = letter_set(lower);
      k.push_back({std::move(lower), n, rank, letters});
    };
    for (const auto& e : knowledge_base()) {
      add(e.symbol, 0);
      for (auto a : e.aliases) add(a, 0);
    }
    for (const auto& n : detail::hresult_names()) add(n.name, 1);
    for (const auto& n : detail::win32_names()) add(n.name, 1);
    for (const auto& n : detail::ntstatus_names()) add(n.name, 1);
    return k;
  }();
  const bool fragment = want.size() >= 6;
  const std::uint64_t want_letters = letter_set(want);
  for (const auto& k : known) {
    const std::string_view lower = k.lower;
    std::size_t score = limit + 1;
    const std::size_t diff =
        lower.size() > want.size() ? lower.size() - want.size() : want.size() - lower.size();
    // Each letter (set bit) that only one of the two has costs at least one edit.
    const std::uint64_t absent = want_letters & ~k.letters;
    auto at_most_limit = [&](std::uint64_t bits) {
      return static_cast<std::size_t>(std::popcount(bits)) <= limit;
    };
    if (diff <= limit && at_most_limit(absent) && at_most_limit(k.letters & ~want_letters) &&
        bag_distance(lower) <= limit)
      score = edit_distance(want, lower, limit);
    // "NOSIGNATURE" for TRUST_E_NOSIGNATURE: a distinctive fragment of a longer name (which
    // then has every letter of it).
    if (score > limit && fragment && absent == 0 && lower.size() > want.size() &&
        lower.find(want) != std::string_view::npos)
      score = limit;
    if (score <= limit) found.push_back({score, k.rank, std::string(k.name)});
  }
  std::stable_sort(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
    return a.score != b.score ? a.score < b.score : a.rank < b.rank;
  });
  std::vector<std::string> out;
  for (auto& c : found) {
    if (std::find(out.begin(), out.end(), c.name) != out.end()) continue;
    out.push_back(std::move(c.name));
    if (out.size() == max) break;
  }
  return out;
}

std::string_view input_form_name(InputForm form) {
  switch (form) {
    case InputForm::kSymbol:
      return "symbol";
    case InputForm::kHex:
      return "hex";
    case InputForm::kDecimal:
      return "decimal";
    case InputForm::kSignedDecimal:
      return "signed-decimal";
    case InputForm::kWin32Decimal:
      return "win32-decimal";
    case InputForm::kWin32Hex:
      return "win32-hex";
  }
  return "hex";
}

namespace {

// The wsl.exe message pasted above the code: "... by plugin 'NAME'. Error message: 'TEXT'" or
// "The plugin 'NAME' requires a newer version of WSL".
void read_pasted_message(std::string_view text, ParsedCode& out) {
  const std::string low = ascii_lower(text);  // same offsets as `text` (ASCII lower case)
  for (std::string_view marker : {"by plugin '", "the plugin '"}) {
    const auto at = low.find(marker);
    if (at == std::string::npos) continue;
    const auto start = at + marker.size();
    const auto end = text.find('\'', start);
    if (end != std::string_view::npos) out.plugin = std::string(text.substr(start, end - start));
    break;
  }
  constexpr std::string_view kMessage = "error message: '";
  const auto msg = low.find(kMessage);
  if (msg != std::string::npos) {
    const auto start = msg + kMessage.size();
    const auto code_at = low.find("error code:", start);
    auto end = text.rfind('\'', code_at == std::string::npos ? text.size() : code_at);
    if (end != std::string_view::npos && end > start)
      out.plugin_message = std::string(text.substr(start, end - start));
  }
}

// The code string of a pasted line: the text after "Error code:" (anywhere in the line), and of
// that the last word.
std::string_view code_string(std::string_view text) {
  constexpr std::string_view kErrorCode = "error code:";
  const auto pos = ascii_lower(text).rfind(kErrorCode);
  if (pos != std::string::npos) text = strip_pasted(text.substr(pos + kErrorCode.size()));
  if (auto sp = text.find_last_of(" \t"); sp != std::string_view::npos)
    text = strip_pasted(text.substr(sp + 1));
  return text;
}

// Splits `Wsl/Service/.../CODE` into the context components (into `context`) and the code.
std::string_view split_context(std::string_view text, Context& context) {
  const auto slash = text.rfind('/');
  if (slash == std::string_view::npos) return text;
  static constexpr ContextName kNames[] = {
      {"Wsl", nullptr},
      {"Service", nullptr},
      {"CreateInstance", &Context::create_instance},
      {"CreateVm", &Context::create_vm},
      {"Plugin", &Context::plugin},
      {"WslC", &Context::wslc},
  };
  std::string_view ctx = text.substr(0, slash);
  while (!ctx.empty()) {
    auto next = ctx.find('/');
    std::string_view part = ctx.substr(0, next);
    ctx = next == std::string_view::npos ? std::string_view{} : ctx.substr(next + 1);
    if (part.empty()) continue;
    context.components.emplace_back(part);
    bool known = false;
    for (const auto& n : kNames) {
      if (iequals(n.name, part)) {
        known = true;
        if (n.flag) context.*(n.flag) = true;
      }
    }
    if (!known) context.unknown.emplace_back(part);
  }
  return text.substr(slash + 1);
}

std::optional<std::uint64_t> parse_uint(std::string_view digits, int base) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  if (ec != std::errc{} || p != digits.data() + digits.size()) return std::nullopt;
  return v;
}

// HRESULT_FROM_WIN32(ERROR_MOD_NOT_FOUND) / HRESULT_FROM_WIN32(126), as written in source.
constexpr std::string_view kFromWin32 = "HRESULT_FROM_WIN32(";

Status read_from_win32(std::string_view code, ParsedCode& out) {
  std::string_view inner = strip_pasted(code.substr(kFromWin32.size()));
  std::optional<std::uint32_t> win32;
  out.form = InputForm::kWin32Decimal;
  if (all_of(inner, is_dec_digit) && inner.size() <= 5) {
    std::uint32_t v = 0;
    std::from_chars(inner.data(), inner.data() + inner.size(), v);
    if (v <= 0xffff) win32 = v;
  } else if (all_of(inner, is_name_char)) {
    auto v = symbol_value(inner);
    if (v && (split_hresult(*v).facility == 7 || *v == 0)) win32 = *v & 0xffffu;
    out.form = InputForm::kSymbol;
  }
  if (!win32)
    return std::unexpected(
        not_a_code(out.input, inner, "HRESULT_FROM_WIN32 takes a Win32 error name or number"));
  out.hresult = hresult_from_win32(*win32);
  return {};
}

// -2147024770
Status read_signed_decimal(std::string_view code, ParsedCode& out) {
  auto v = parse_uint(code.substr(1), 10);
  if (!v || *v > 0x80000000ull)
    return std::unexpected(
        not_a_code(out.input, code, "a negative HRESULT must be at least -2147483648"));
  out.hresult = static_cast<std::uint32_t>(0x100000000ull - *v) & 0xffffffffu;
  out.form = InputForm::kSignedDecimal;
  return {};
}

// 0x8007007f (an HRESULT) or 0x7e (a Win32 code).
Status read_prefixed_hex(std::string_view code, ParsedCode& out) {
  auto digits = code.substr(2);
  auto v = all_of(digits, is_hex_digit) ? parse_uint(digits, 16) : std::nullopt;
  if (!v || *v > 0xffffffffull)
    return std::unexpected(
        not_a_code(out.input, code, "a hex HRESULT has at most 8 hex digits after 0x"));
  if (*v != 0 && *v <= 0xffff) {
    out.hresult = hresult_from_win32(static_cast<std::uint32_t>(*v));
    out.form = InputForm::kWin32Hex;
  } else {
    out.hresult = static_cast<std::uint32_t>(*v);
    out.form = InputForm::kHex;
  }
  return {};
}

// 126 (Win32), 2147942526 (HRESULT) or 80070002 (unprefixed hex without letters).
Status read_digits(std::string_view code, ParsedCode& out) {
  auto v = parse_uint(code, 10);
  if (v && *v <= 0xffff) {
    out.hresult = hresult_from_win32(static_cast<std::uint32_t>(*v));
    out.form = InputForm::kWin32Decimal;
    return {};
  }
  if (v && *v >= 0x80000000ull && *v <= 0xffffffffull) {
    out.hresult = static_cast<std::uint32_t>(*v);
    out.form = InputForm::kDecimal;
    return {};
  }
  // 80070002: an unprefixed hex HRESULT that happens to have no letters.
  if (code.size() <= 8) {
    out.hresult = static_cast<std::uint32_t>(*parse_uint(code, 16));
    out.form = InputForm::kHex;
    return {};
  }
  if (v && *v <= 0xffffffffull) {
    out.hresult = static_cast<std::uint32_t>(*v);
    out.form = InputForm::kDecimal;
    return {};
  }
  return std::unexpected(not_a_code(out.input, code, "the number does not fit in 32 bits"));
}

// The value of the code part, in whichever form it is written.
Status read_value(std::string_view code, ParsedCode& out) {
  if (code.size() > kFromWin32.size() && iequals(code.substr(0, kFromWin32.size()), kFromWin32))
    return read_from_win32(code, out);
  if (code.size() > 1 && code[0] == '-' && all_of(code.substr(1), is_dec_digit))
    return read_signed_decimal(code, out);
  if (code.size() > 2 && code[0] == '0' && (code[1] == 'x' || code[1] == 'X'))
    return read_prefixed_hex(code, out);
  if (all_of(code, is_dec_digit)) return read_digits(code, out);
  if (code.size() <= 8 && all_of(code, is_hex_digit)) {
    out.hresult = static_cast<std::uint32_t>(*parse_uint(code, 16));
    out.form = InputForm::kHex;
    return {};
  }
  if (all_of(code, is_name_char)) {
    if (auto v = symbol_value(code)) {
      out.hresult = *v;
      out.form = InputForm::kSymbol;
      return {};
    }
    return std::unexpected(not_a_code(out.input, code, "no error has this name"));
  }
  return std::unexpected(not_a_code(out.input, code,
                                    "expected a name (TRUST_E_NOSIGNATURE), hex (0x8007007E) "
                                    "or a decimal number"));
}

}  // namespace

Result<ParsedCode> parse_code(std::string_view raw, bool suggest) {
  std::string_view text = strip_pasted(raw);
  ParsedCode out;
  out.input = std::string(text);
  if (text.empty()) return std::unexpected(not_a_code(raw, "", "the input is empty"));
  read_pasted_message(text, out);
  const std::string_view code = strip_pasted(split_context(code_string(text), out.context));
  out.code = std::string(code);
  if (code.empty())
    return std::unexpected(not_a_code(out.input, code, "nothing follows the last '/'"));
  if (auto st = read_value(code, out); !st) {
    Error e = st.error();
    if (suggest) {
      // HRESULT_FROM_WIN32(NAME): the name inside is what was mistyped.
      const bool from_win32 =
          code.size() > kFromWin32.size() && iequals(code.substr(0, kFromWin32.size()), kFromWin32);
      add_suggestions(e, from_win32 ? strip_pasted(code.substr(kFromWin32.size())) : code);
    }
    return std::unexpected(std::move(e));
  }
  return out;
}

namespace {

// The en-US message wsl.exe shows for a plugin error (Resources.resw).
std::string plugin_message(const KnownError* known, bool hook) {
  if (known && known->symbol == "WSL_E_PLUGIN_REQUIRES_UPDATE")
    return "The plugin '<name>' requires a newer version of WSL. Please run: wsl.exe --update";
  if (known && known->symbol == "E_ILLEGAL_STATE_CHANGE")
    return "An install, uninstall, or conversion is in progress for this distribution. (WSL's "
           "generic text for this code: the hook called PluginError but returned success, so no "
           "plugin message is shown)";
  if (hook)
    return "A fatal error was returned by plugin '<name>' (with \". Error message: '...'\" when "
           "the hook called PluginError)";
  return "A fatal error was returned by plugin '<name>' (load failures never carry a plugin "
         "message)";
}

}  // namespace

ContextMeaning explain_context(const Context& ctx, const KnownError* known) {
  ContextMeaning m;
  if (ctx.empty()) return m;
  const unsigned kb = known ? known->stages : 0;
  if (ctx.wslc) {
    m.stages = 0;  // WSLC hooks have no stage of their own; the knowledge base's stages stay
    if (ctx.plugin) {
      m.failed =
          "A WSL Containers (WSLC) session operation failed in a plugin: OnSessionCreated or "
          "ContainerStarted (the only WSLC hooks that can veto) returned this error";
      m.wsl_action =
          "WSL aborted the session creation or the container creation (a container a plugin "
          "rejected is stopped; when that stop fails WSL shows \"Failed to stop container "
          "'<id>' after plugin rejection\" instead)";
      m.message = plugin_message(known, true);
    } else {
      m.failed = "A WSL Containers (WSLC) session operation failed";
      m.wsl_action = "WSL did not attribute the error to a plugin (no 'Plugin' in the context)";
    }
    return m;
  }
  if (!ctx.plugin) {
    m.failed = "WSL did not attribute this error to a plugin (no 'Plugin' in the context)";
    m.wsl_action = ctx.create_vm         ? "the WSL2 VM was not created"
                   : ctx.create_instance ? "the distribution did not start"
                                         : "";
    return m;
  }
  if (ctx.create_vm) {
    unsigned st = kb & (kStageLoad | kStageVmStarted);
    if (st == 0) st = known ? kStageVmStarted : (kStageLoad | kStageVmStarted);
    m.stages = st;
    const std::string step = known && !known->step.empty() ? std::string(known->step) : "";
    if (st == kStageLoad) {
      m.failed = "Loading the plugin when wslservice started" +
                 (step.empty() ? std::string() : " (" + step + ")");
      m.wsl_action =
          "WSL recorded the load failure at service start and refused to create the WSL2 VM; "
          "every WSL2 launch fails with this code until the registry value is fixed or removed "
          "and wslservice is restarted (WSL1 distributions keep working)";
      m.message = plugin_message(known, false);
    } else if (st == kStageVmStarted) {
      m.failed = "The plugin's OnVMStarted hook returned this error";
      m.wsl_action = "WSL terminated the VM it had just started; no distribution started";
      m.message = plugin_message(known, true);
    } else {
      m.message = plugin_message(known, true);
      m.failed =
          "Either loading the plugin at service start (signature check, LoadLibrary, "
          "GetProcAddress or the entry point) or the plugin's OnVMStarted hook";
      m.wsl_action =
          "No WSL2 VM runs: after a load failure WSL refuses to create the VM until the plugin is "
          "fixed and wslservice restarted; after an OnVMStarted failure WSL terminated the VM";
    }
    return m;
  }
  if (ctx.create_instance) {
    m.stages = kStageDistributionStarted;
    m.failed = "The plugin's OnDistributionStarted hook returned this error";
    m.wsl_action =
        "WSL removed the distribution from the running list: the distribution did not start "
        "(the VM keeps running)";
    m.message = plugin_message(known, true);
    return m;
  }
  m.stages = kb;
  m.failed = "A plugin operation failed outside VM and distribution creation";
  return m;
}

Result<Diagnosis> diagnose(std::string_view input, bool suggest) {
  auto parsed = parse_code(input, suggest);
  if (!parsed) return std::unexpected(parsed.error());
  Diagnosis d;
  d.parsed = std::move(*parsed);
  const std::uint32_t hr = d.parsed.hresult;
  d.known = find_known(hr);
  d.parts = split_hresult(hr);
  if (auto s = hresult_symbol(hr)) d.symbol = *s;
  if (auto f = facility_name(d.parts.facility)) d.facility = std::string(*f);
  if (d.parts.facility == 7 && !d.parts.nt_status && !d.parts.customer)
    if (auto w = win32_name(d.parts.code)) d.win32_name = std::string(*w);
  if (auto nt = as_ntstatus(hr))
    if (auto n = ntstatus_name(*nt)) d.ntstatus = std::string(*n);
  d.context = explain_context(d.parsed.context, d.known);
  if (!d.parsed.plugin.empty())
    if (auto at = d.context.message.find("<name>"); at != std::string::npos)
      d.context.message.replace(at, 6, d.parsed.plugin);
  const unsigned kb = d.known ? d.known->stages : 0;
  if (d.context.stages != 0)
    d.stages = (kb & d.context.stages) ? (kb & d.context.stages) : d.context.stages;
  else
    d.stages = kb;
  d.wsl_prints = wsl_code_string(hr);
  return d;
}

}  // namespace wslplug::doctor
