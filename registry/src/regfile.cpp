#include "wslplug/registry/regfile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "wslplug/core/io.hpp"

namespace wslplug::reg {

namespace {

constexpr std::string_view kFixHeader =
    "the first line of a .reg file must be \"Windows Registry Editor Version 5.00\"";

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

std::string line_str(int line) { return fmt::format("line {}", line); }

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i, or returns
// 0xFFFFFFFF (and advances by one byte) for an invalid sequence.
char32_t next_utf8(std::string_view s, std::size_t& i) {
  constexpr char32_t kBad = 0xFFFFFFFF;
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xe0) == 0xc0) {
    len = 2, cp = b0 & 0x1f, min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3, cp = b0 & 0x0f, min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return kBad;
  }
  if (i + static_cast<std::size_t>(len) > s.size()) {
    ++i;
    return kBad;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xc0) != 0x80) {
      ++i;
      return kBad;
    }
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    ++i;
    return kBad;
  }
  i += static_cast<std::size_t>(len);
  return cp;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}
std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != prefix[i]) return false;
  }
  return true;
}

Status check_text(std::string_view s, const std::string& what, const std::string& where) {
  if (!valid_utf8(s)) {
    return input_error(what + " is not valid UTF-8", {}, where,
                       "pass the text as UTF-8 (the file is written in the chosen encoding)");
  }
  for (char c : s) {
    if (is_control(static_cast<unsigned char>(c))) {
      return input_error(fmt::format("{} contains the control character 0x{:02x}, which a .reg "
                                     "string cannot carry",
                                     what, static_cast<unsigned char>(c)),
                         {}, where, "remove control characters (tabs, line breaks, NUL)");
    }
  }
  return {};
}

}  // namespace

std::string_view encoding_name(Encoding e) { return e == Encoding::kUtf16le ? "utf16" : "utf8"; }

std::string_view value_kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::kString:
      return "REG_SZ";
    case ValueKind::kDelete:
      return "deletion";
    case ValueKind::kDword:
      return "REG_DWORD";
    case ValueKind::kBinary:
      return "REG_BINARY";
    case ValueKind::kExpandString:
      return "REG_EXPAND_SZ";
    case ValueKind::kMultiString:
      return "REG_MULTI_SZ";
    case ValueKind::kQword:
      return "REG_QWORD";
    case ValueKind::kOtherHex:
      return "other (hex)";
  }
  return "unknown";
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (next_utf8(s, i) == 0xFFFFFFFF) return false;
  }
  return true;
}

std::string utf16le_to_utf8(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() / 2);
  const std::size_t n = bytes.size() / 2;
  for (std::size_t i = 0; i < n; ++i) {
    char32_t u = bytes[2 * i] | (static_cast<char32_t>(bytes[2 * i + 1]) << 8);
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < n) {
      char32_t lo = bytes[2 * i + 2] | (static_cast<char32_t>(bytes[2 * i + 3]) << 8);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        append_utf8(out, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
        ++i;
        continue;
      }
    }
    if (u >= 0xd800 && u <= 0xdfff) u = 0xfffd;
    append_utf8(out, u);
  }
  return out;
}

std::vector<std::uint8_t> utf8_to_utf16le(std::string_view s) {
  std::vector<std::uint8_t> out;
  out.reserve(s.size() * 2);
  auto put = [&](char32_t u) {
    out.push_back(static_cast<std::uint8_t>(u & 0xff));
    out.push_back(static_cast<std::uint8_t>(u >> 8));
  };
  std::size_t i = 0;
  while (i < s.size()) {
    char32_t cp = next_utf8(s, i);
    if (cp == 0xFFFFFFFF) cp = 0xfffd;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(0xd800 + (cp >> 10));
      put(0xdc00 + (cp & 0x3ff));
    } else {
      put(cp);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------ writing

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

Result<std::string> render(const Document& doc) {
  std::string out;
  out += doc.header;
  out += "\r\n\r\n";
  for (const auto& key : doc.keys) {
    const std::string kwhere = fmt::format("key [{}]", key.path);
    if (key.path.empty()) {
      return input_error("empty key path", {}, "key", "name the key, e.g. HKEY_LOCAL_MACHINE\\...");
    }
    if (auto st = check_text(key.path, "the key path", kwhere); !st)
      return std::unexpected(st.error());
    out += key.remove ? "[-" : "[";
    out += key.path;
    out += "]\r\n";
    for (const auto& v : key.values) {
      const std::string vwhere =
          v.is_default ? kwhere + " default value" : fmt::format("{} value \"{}\"", kwhere, v.name);
      if (v.is_default) {
        out += "@";
      } else {
        if (auto st = check_text(v.name, "the value name", vwhere); !st) {
          return std::unexpected(st.error());
        }
        out += "\"" + escape(v.name) + "\"";
      }
      if (v.kind == ValueKind::kDelete) {
        out += "=-\r\n";
      } else if (v.kind == ValueKind::kString) {
        if (auto st = check_text(v.text, "the string data", vwhere); !st) {
          return std::unexpected(st.error());
        }
        out += "=\"" + escape(v.text) + "\"\r\n";
      } else {
        return internal_error(
            fmt::format("{}: the writer supports only REG_SZ values and "
                        "deletions, not {}",
                        vwhere, value_kind_name(v.kind)));
      }
    }
    out += "\r\n";
  }
  return out;
}

Result<std::vector<std::byte>> encode(std::string_view utf8_text, Encoding encoding) {
  std::vector<std::byte> out;
  if (encoding == Encoding::kUtf8) {
    if (!is_ascii(utf8_text)) {
      return input_error(
          "the registration text contains non-ASCII characters, which the utf8 encoding cannot "
          "carry: regedit and reg.exe read a .reg file without a byte-order mark in the ANSI code "
          "page",
          {}, "--encoding utf8", "use the default --encoding utf16 (UTF-16LE with BOM)");
    }
    out.resize(utf8_text.size());
    std::memcpy(out.data(), utf8_text.data(), utf8_text.size());
    return out;
  }
  if (!valid_utf8(utf8_text)) return internal_error("text to encode is not valid UTF-8");
  auto u16 = utf8_to_utf16le(utf8_text);
  out.reserve(u16.size() + 2);
  out.push_back(std::byte{0xff});
  out.push_back(std::byte{0xfe});
  for (auto b : u16) out.push_back(std::byte{b});
  return out;
}

Result<std::vector<std::byte>> serialize(const Document& doc, Encoding encoding) {
  auto text = render(doc);
  if (!text) return std::unexpected(text.error());
  return encode(*text, encoding);
}

// ------------------------------------------------------------------------------------ reading

namespace {

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

}  // namespace

Result<Document> parse(std::span<const std::byte> data, const std::string& file) {
  auto decoded = decode(data, file);
  if (!decoded) return std::unexpected(decoded.error());
  Document doc;
  doc.encoding = decoded->encoding;
  doc.had_bom = decoded->bom;
  doc.non_ascii_without_bom = decoded->non_ascii_without_bom;
  doc.header.clear();

  // Split into lines (CRLF, LF or CR).
  std::vector<std::string_view> lines;
  const std::string& t = decoded->text;
  std::size_t start = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '\r' || t[i] == '\n') {
      lines.emplace_back(t.data() + start, i - start);
      if (t[i] == '\r' && i + 1 < t.size() && t[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < t.size()) lines.emplace_back(t.data() + start, t.size() - start);

  auto err = [&](std::size_t idx, std::string message, std::string fix) {
    return input_error(std::move(message), file, line_str(static_cast<int>(idx + 1)),
                       std::move(fix));
  };

  if (lines.empty()) return err(0, "the file is empty", std::string(kFixHeader));
  {
    std::string_view h = trim_right(lines[0]);
    if (h != kHeaderV5 && h != kHeaderV4) {
      return err(0,
                 fmt::format("not a registry script: the header is \"{}\"",
                             h.substr(0, std::min<std::size_t>(h.size(), 60))),
                 std::string(kFixHeader));
    }
    doc.header = std::string(h);
  }

  Key* key = nullptr;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::size_t first_line = i;
    std::string_view line = trim_left(lines[i]);
    if (line.empty() || line.front() == ';') continue;
    if (line.front() == '[') {
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
      key = &doc.keys.back();
      continue;
    }
    if (line.front() != '"' && line.front() != '@') {
      return err(i,
                 "unexpected line: expected a key ([...]), a value (\"name\"=...) or a comment (;)",
                 "fix or remove the line");
    }
    if (key == nullptr) {
      return err(i, "a value before the first key", "put a [HKEY_...] key line above the value");
    }
    Value v;
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
    } else if (!rest.empty() && rest.front() == '"') {
      v.kind = ValueKind::kString;
      std::size_t p = 1;
      if (!read_quoted(rest, p, v.text)) {
        return err(
            i, "unterminated string (a .reg string cannot span lines)",
            "close the string with '\"'; write '\\\\' for a backslash and '\\\"' for a quote");
      }
      if (!rest_is_blank(rest.substr(p))) {
        return err(i, "unexpected text after the closing quote of the string",
                   "escape quotes inside the string as \\\"");
      }
    } else if (iequals_prefix(rest, "dword:")) {
      v.kind = ValueKind::kDword;
      v.hex_type = 4;
      std::string_view digits = trim_right(rest.substr(6));
      if (auto sc = digits.find(';'); sc != std::string_view::npos) {
        digits = trim_right(digits.substr(0, sc));
      }
      if (digits.empty() || digits.size() > 8 ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return hex_digit(c) >= 0; })) {
        return err(
            i, "bad dword value: expected up to 8 hex digits after dword:", "write dword:0000002a");
      }
      std::uint32_t val = 0;
      for (char c : digits) val = (val << 4) | static_cast<std::uint32_t>(hex_digit(c));
      for (int b = 0; b < 4; ++b) v.bytes.push_back(static_cast<std::uint8_t>(val >> (8 * b)));
    } else if (iequals_prefix(rest, "hex")) {
      std::string_view after = rest.substr(3);
      unsigned type = 3;
      if (!after.empty() && after.front() == '(') {
        auto close = after.find(')');
        std::string_view num =
            close == std::string_view::npos ? std::string_view{} : after.substr(1, close - 1);
        if (num.empty() || num.size() > 8 ||
            !std::all_of(num.begin(), num.end(), [](char c) { return hex_digit(c) >= 0; })) {
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
      // Gather continuation lines: a trailing '\' continues on the next line.
      std::string payload;
      std::string_view piece = trim_right(after.substr(1));
      while (true) {
        if (!piece.empty() && piece.back() == '\\') {
          payload += piece.substr(0, piece.size() - 1);
          if (i + 1 >= lines.size()) {
            return err(i, "hex value continues ('\\' at the end) past the end of the file",
                       "complete the hex data or remove the trailing '\\'");
          }
          ++i;
          piece = trim_right(trim_left(lines[i]));
          continue;
        }
        payload += piece;
        break;
      }
      if (auto sc = payload.find(';'); sc != std::string::npos) payload.resize(sc);
      std::size_t p = 0;
      while (p < payload.size()) {
        while (p < payload.size() && (payload[p] == ' ' || payload[p] == '\t')) ++p;
        if (p >= payload.size()) break;
        int hi = hex_digit(payload[p]);
        int lo = p + 1 < payload.size() ? hex_digit(payload[p + 1]) : -1;
        if (hi < 0) {
          return err(first_line, fmt::format("bad hex data near \"{}\"", payload.substr(p, 8)),
                     "write bytes as two hex digits separated by commas");
        }
        if (lo < 0) {
          v.bytes.push_back(static_cast<std::uint8_t>(hi));
          p += 1;
        } else {
          v.bytes.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
          p += 2;
        }
        while (p < payload.size() && (payload[p] == ' ' || payload[p] == '\t')) ++p;
        if (p < payload.size()) {
          if (payload[p] != ',') {
            return err(first_line, fmt::format("bad hex data near \"{}\"", payload.substr(p, 8)),
                       "write bytes as two hex digits separated by commas");
          }
          ++p;
        }
      }
      v.hex_type = type;
      switch (type) {
        case 1:
          v.kind = ValueKind::kString;
          v.text = decode_reg_string(v.bytes, false);
          break;
        case 2:
          v.kind = ValueKind::kExpandString;
          v.text = decode_reg_string(v.bytes, false);
          break;
        case 3:
          v.kind = ValueKind::kBinary;
          break;
        case 4:
          v.kind = ValueKind::kDword;
          break;
        case 7:
          v.kind = ValueKind::kMultiString;
          v.text = decode_reg_string(v.bytes, true);
          break;
        case 0xb:
          v.kind = ValueKind::kQword;
          break;
        default:
          v.kind = ValueKind::kOtherHex;
      }
    } else {
      return err(i, "unknown value data: expected \"string\", -, dword:, hex: or hex(N):",
                 "write string data in quotes: \"name\"=\"data\"");
    }
    key->values.push_back(std::move(v));
  }
  return doc;
}

Result<Document> parse_file(const fs::path& path) {
  auto bytes = read_file(path, 16u << 20);
  if (!bytes) return std::unexpected(bytes.error());
  return parse(*bytes, path.string());
}

}  // namespace wslplug::reg
