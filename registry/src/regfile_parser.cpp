// The .reg parser (see wslplug/registry/regfile.hpp): regedit's encodings (UTF-16LE with BOM,
// UTF-8 or ANSI without BOM), comments, key deletions, value deletions and hex values with
// continuation lines.
#include <fmt/format.h>

#include <algorithm>

#include "wslplug/core/io.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/core/utf8.hpp"
#include "wslplug/registry/regfile.hpp"

namespace wslplug::registry {

namespace {

constexpr std::string_view kFixHeader =
    "the first line of a .reg file must be \"Windows Registry Editor Version 5.00\"";

std::string line_str(int line) { return fmt::format("line {}", line); }

// Blanks (spaces, tabs) around the parts of a line, on one side only: the grammar allows them
// before a value's data but not inside "dword: 2a", so the two sides are stripped separately, as
// views into the decoded text (wslplug::trim strips both sides into a new string).
std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}
std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Decoded {
  std::string text;
  Encoding encoding = Encoding::kUtf8;
  bool bom = false;
  bool non_ascii_without_bom = false;
};

Result<Decoded> decode(std::span<const std::byte> data, const std::string& file) {
  Decoded d;
  const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  const std::size_t n = data.size();
  if (n >= 2 && p[0] == 0xff && p[1] == 0xfe) {
    if ((n - 2) % 2 != 0) {
      return input_error("UTF-16LE file has an odd number of bytes (truncated)", file,
                         offset_str(n - 1), "re-export or re-save the file");
    }
    d.encoding = Encoding::kUtf16le;
    d.bom = true;
    d.text = utf16le_to_utf8(std::span(p + 2, n - 2));
    return d;
  }
  if (n >= 2 && p[0] == 0xfe && p[1] == 0xff) {
    return input_error("the file is UTF-16 big-endian, which regedit does not read", file,
                       "offset 0x0 (byte-order mark FE FF)", "save it as UTF-16 LE (\"Unicode\")");
  }
  if (n >= 2 && p[0] != 0 && p[1] == 0) {
    return input_error("the file looks like UTF-16LE without a byte-order mark", file, "offset 0x0",
                       "save it as UTF-16 LE with a byte-order mark (FF FE)");
  }
  std::string_view raw(reinterpret_cast<const char*>(p), n);
  if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
    d.bom = true;
    raw.remove_prefix(3);
  }
  d.encoding = Encoding::kUtf8;
  if (valid_utf8(raw)) {
    d.text = std::string(raw);
  } else {
    // Not UTF-8: an ANSI file. Read it as Latin-1 (close enough to report on it).
    for (char c : raw) append_utf8(d.text, static_cast<unsigned char>(c));
  }
  d.non_ascii_without_bom = !d.bom && !is_ascii(raw);
  return d;
}

// Reads a quoted string starting after the opening quote; returns the unescaped text and sets
// pos after the closing quote. Returns false when unterminated.
bool read_quoted(std::string_view line, std::size_t& pos, std::string& out) {
  while (pos < line.size()) {
    char c = line[pos];
    if (c == '\\' && pos + 1 < line.size() && (line[pos + 1] == '\\' || line[pos + 1] == '"')) {
      out.push_back(line[pos + 1]);
      pos += 2;
      continue;
    }
    if (c == '"') {
      ++pos;
      return true;
    }
    out.push_back(c);
    ++pos;
  }
  return false;
}

bool rest_is_blank(std::string_view rest) {
  rest = trim_left(rest);
  return rest.empty() || rest.front() == ';';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_reg_string(const std::vector<std::uint8_t>& bytes, bool multi) {
  std::string s = utf16le_to_utf8(bytes);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  if (multi) std::replace(s.begin(), s.end(), '\0', '\n');
  return s;
}

// Splits text into lines (CRLF, LF or CR), as views into `t`.
std::vector<std::string_view> split_lines(const std::string& t) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '\r' || t[i] == '\n') {
      lines.emplace_back(t.data() + start, i - start);
      if (t[i] == '\r' && i + 1 < t.size() && t[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < t.size()) lines.emplace_back(t.data() + start, t.size() - start);
  return lines;
}

bool all_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return hex_digit(c) >= 0; });
}

ValueKind kind_of_hex_type(unsigned type) {
  switch (type) {
    case 1:
      return ValueKind::kString;
    case 2:
      return ValueKind::kExpandString;
    case 3:
      return ValueKind::kBinary;
    case 4:
      return ValueKind::kDword;
    case 7:
      return ValueKind::kMultiString;
    case 0xb:
      return ValueKind::kQword;
    default:
      return ValueKind::kOtherHex;
  }
}

// The lines of one file and where errors point; each phase reads from line i on.
class LineParser {
 public:
  LineParser(std::vector<std::string_view> lines, const std::string& file)
      : lines_(std::move(lines)), file_(file) {}

  Status header(Document& doc) const {
    if (lines_.empty()) return err(0, "the file is empty", std::string(kFixHeader));
    std::string_view h = trim_right(lines_[0]);
    if (h != kHeaderV5 && h != kHeaderV4) {
      return err(0, fmt::format("not a registry script: the header is \"{}\"", utf8_prefix(h, 60)),
                 std::string(kFixHeader));
    }
    doc.header = std::string(h);
    return {};
  }

  // Every line after the header: keys, values, comments.
  Status body(Document& doc) const {
    Key* key = nullptr;
    for (std::size_t i = 1; i < lines_.size(); ++i) {
      std::string_view line = trim_left(lines_[i]);
      if (line.empty() || line.front() == ';') continue;
      if (line.front() == '[') {
        if (auto st = key_line(i, line, doc); !st) return st;
        key = &doc.keys.back();
        continue;
      }
      if (line.front() != '"' && line.front() != '@') {
        return err(
            i, "unexpected line: expected a key ([...]), a value (\"name\"=...) or a comment (;)",
            "fix or remove the line");
      }
      if (key == nullptr) {
        return err(i, "a value before the first key", "put a [HKEY_...] key line above the value");
      }
      Value v;
      if (auto st = value_line(i, line, v); !st) return st;
      key->values.push_back(std::move(v));
    }
    return {};
  }

 private:
  std::unexpected<Error> err(std::size_t idx, std::string message, std::string fix) const {
    return input_error(std::move(message), file_, line_str(static_cast<int>(idx + 1)),
                       std::move(fix));
  }

  // [path] or [-path]
  Status key_line(std::size_t i, std::string_view line, Document& doc) const {
    auto close = line.rfind(']');
    if (close == std::string_view::npos) {
      return err(i, "key line without a closing ']'", "write the key as [HKEY_...\\Path]");
    }
    std::string_view path = line.substr(1, close - 1);
    Key k;
    k.line = static_cast<int>(i + 1);
    if (!path.empty() && path.front() == '-') {
      k.remove = true;
      path.remove_prefix(1);
    }
    if (path.empty()) return err(i, "empty key path", "write the key as [HKEY_...\\Path]");
    k.path = std::string(path);
    doc.keys.push_back(std::move(k));
    return {};
  }

  // "name"=DATA or @=DATA; a hex value may continue on the lines after i (i moves past them).
  Status value_line(std::size_t& i, std::string_view line, Value& v) const {
    v.line = static_cast<int>(i + 1);
    std::size_t pos = 1;
    if (line.front() == '@') {
      v.is_default = true;
    } else if (!read_quoted(line, pos, v.name)) {
      return err(i, "unterminated value name (missing closing '\"')",
                 "close the name with '\"'; write '\\\"' for a quote inside it");
    }
    std::string_view rest = trim_left(line.substr(pos));
    if (rest.empty() || rest.front() != '=') {
      return err(i, "expected '=' after the value name", "write \"name\"=\"data\"");
    }
    rest = trim_left(rest.substr(1));
    if (!rest.empty() && rest.front() == '-') {
      v.kind = ValueKind::kDelete;
      if (!rest_is_blank(rest.substr(1))) {
        return err(i, "unexpected text after '=-'", "a deletion is written \"name\"=-");
      }
      return {};
    }
    if (!rest.empty() && rest.front() == '"') return string_data(i, rest, v);
    if (iequals(rest.substr(0, 6), "dword:")) return dword_data(i, rest.substr(6), v);
    if (iequals(rest.substr(0, 3), "hex")) return hex_data(i, rest.substr(3), v);
    return err(i, "unknown value data: expected \"string\", -, dword:, hex: or hex(N):",
               "write string data in quotes: \"name\"=\"data\"");
  }

  Status string_data(std::size_t i, std::string_view rest, Value& v) const {
    v.kind = ValueKind::kString;
    std::size_t p = 1;
    if (!read_quoted(rest, p, v.text)) {
      return err(i, "unterminated string (a .reg string cannot span lines)",
                 "close the string with '\"'; write '\\\\' for a backslash and '\\\"' for a quote");
    }
    if (!rest_is_blank(rest.substr(p))) {
      return err(i, "unexpected text after the closing quote of the string",
                 "escape quotes inside the string as \\\"");
    }
    return {};
  }

  // The digits after "dword:".
  Status dword_data(std::size_t i, std::string_view after, Value& v) const {
    v.kind = ValueKind::kDword;
    v.hex_type = 4;
    std::string_view digits = trim_right(after);
    if (auto sc = digits.find(';'); sc != std::string_view::npos) {
      digits = trim_right(digits.substr(0, sc));
    }
    if (digits.empty() || digits.size() > 8 || !all_hex(digits)) {
      return err(
          i, "bad dword value: expected up to 8 hex digits after dword:", "write dword:0000002a");
    }
    std::uint32_t val = 0;
    for (char c : digits) val = (val << 4) | static_cast<std::uint32_t>(hex_digit(c));
    for (int b = 0; b < 4; ++b) v.bytes.push_back(static_cast<std::uint8_t>(val >> (8 * b)));
    return {};
  }

  // What follows "hex": an optional (N), ':' and the bytes, with continuation lines.
  Status hex_data(std::size_t& i, std::string_view after, Value& v) const {
    const std::size_t first_line = i;
    unsigned type = 3;
    if (!after.empty() && after.front() == '(') {
      auto close = after.find(')');
      std::string_view num =
          close == std::string_view::npos ? std::string_view{} : after.substr(1, close - 1);
      if (num.empty() || num.size() > 8 || !all_hex(num)) {
        return err(i, "bad hex(N) type: expected a hex number in parentheses",
                   "write hex(2):... or hex(7):...");
      }
      type = 0;
      for (char c : num) type = (type << 4) | static_cast<unsigned>(hex_digit(c));
      after = after.substr(close + 1);
    }
    if (after.empty() || after.front() != ':') {
      return err(i, "expected ':' after hex", "write hex:01,02 or hex(2):41,00,00,00");
    }
    auto payload = hex_payload(i, after.substr(1));
    if (!payload) return std::unexpected(payload.error());
    if (auto st = hex_bytes(first_line, *payload, v.bytes); !st) return st;
    v.hex_type = type;
    v.kind = kind_of_hex_type(type);
    if (v.kind == ValueKind::kString || v.kind == ValueKind::kExpandString)
      v.text = decode_reg_string(v.bytes, false);
    else if (v.kind == ValueKind::kMultiString)
      v.text = decode_reg_string(v.bytes, true);
    return {};
  }

  // The hex text of a value: a trailing '\' continues on the next line. Without the comment.
  Result<std::string> hex_payload(std::size_t& i, std::string_view first) const {
    std::string payload;
    std::string_view piece = trim_right(first);
    while (!piece.empty() && piece.back() == '\\') {
      payload += piece.substr(0, piece.size() - 1);
      if (i + 1 >= lines_.size()) {
        return err(i, "hex value continues ('\\' at the end) past the end of the file",
                   "complete the hex data or remove the trailing '\\'");
      }
      ++i;
      piece = trim_right(trim_left(lines_[i]));
    }
    payload += piece;
    if (auto sc = payload.find(';'); sc != std::string::npos) payload.resize(sc);
    return payload;
  }

  // "01,02, ab": bytes of two (or, at the end, one) hex digits separated by commas.
  Status hex_bytes(std::size_t first_line, const std::string& payload,
                   std::vector<std::uint8_t>& bytes) const {
    auto bad = [&](std::size_t p) {
      return err(first_line, fmt::format("bad hex data near \"{}\"", payload.substr(p, 8)),
                 "write bytes as two hex digits separated by commas");
    };
    std::size_t p = 0;
    while (p < payload.size()) {
      while (p < payload.size() && (payload[p] == ' ' || payload[p] == '\t')) ++p;
      if (p >= payload.size()) break;
      int hi = hex_digit(payload[p]);
      int lo = p + 1 < payload.size() ? hex_digit(payload[p + 1]) : -1;
      if (hi < 0) return bad(p);
      if (lo < 0) {
        bytes.push_back(static_cast<std::uint8_t>(hi));
        p += 1;
      } else {
        bytes.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
        p += 2;
      }
      while (p < payload.size() && (payload[p] == ' ' || payload[p] == '\t')) ++p;
      if (p < payload.size()) {
        if (payload[p] != ',') return bad(p);
        ++p;
      }
    }
    return {};
  }

  std::vector<std::string_view> lines_;
  const std::string& file_;
};

}  // namespace

Result<Document> parse(std::span<const std::byte> data, const std::string& file) {
  auto decoded = decode(data, file);
  if (!decoded) return std::unexpected(decoded.error());
  Document doc;
  doc.encoding = decoded->encoding;
  doc.had_bom = decoded->bom;
  doc.non_ascii_without_bom = decoded->non_ascii_without_bom;
  doc.header.clear();
  const LineParser lines(split_lines(decoded->text), file);
  if (auto st = lines.header(doc); !st) return std::unexpected(st.error());
  if (auto st = lines.body(doc); !st) return std::unexpected(st.error());
  return doc;
}

Result<Document> parse_file(const fs::path& path) {
  auto bytes = read_file(path, 16u << 20);
  if (!bytes) return std::unexpected(bytes.error());
  return parse(*bytes, path.string());
}

}  // namespace wslplug::registry
