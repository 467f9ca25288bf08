// The .reg writer (see wslplug/registry/regfile.hpp): regedit's export format, UTF-16LE with BOM
// or ASCII, CRLF line ends.
#include <fmt/format.h>

#include <cstring>

#include "wslplug/core/text.hpp"
#include "wslplug/core/utf8.hpp"
#include "wslplug/registry/regfile.hpp"

namespace wslplug::registry {

namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

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

}  // namespace wslplug::registry
