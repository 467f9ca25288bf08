// Windows registry script (.reg) files: an in-memory model, a writer that produces what regedit
// exports ("Windows Registry Editor Version 5.00", CRLF, UTF-16LE with BOM by default) and a
// parser that reads regedit's encodings (UTF-16LE with BOM, UTF-8 or ANSI without BOM), comments,
// key deletions, value deletions and hex values with continuation lines. Strings in the model
// are UTF-8. Nothing here prints or touches the real registry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::registry {

namespace fs = std::filesystem;

inline constexpr std::string_view kHeaderV5 = "Windows Registry Editor Version 5.00";
inline constexpr std::string_view kHeaderV4 = "REGEDIT4";

// How a .reg file is encoded on disk.
enum class Encoding {
  kUtf16le,  // UTF-16LE with BOM, CRLF: what regedit exports and the default
  kUtf8,     // 8-bit without BOM, CRLF. regedit and reg.exe read BOM-less files in the ANSI code
             // page, so the writer accepts only ASCII text in this encoding
};
std::string_view encoding_name(Encoding e);  // "utf16" / "utf8"

// The registry type of a value as written in a .reg file.
enum class ValueKind {
  kString,        // "name"="text"          REG_SZ
  kDelete,        // "name"=-               deletes the value
  kDword,         // dword:0000002a         REG_DWORD
  kBinary,        // hex:01,02              REG_BINARY
  kExpandString,  // hex(2):...             REG_EXPAND_SZ
  kMultiString,   // hex(7):...             REG_MULTI_SZ
  kQword,         // hex(b):...             REG_QWORD
  kOtherHex,      // hex(N) for any other N (REG_NONE = hex(0), ...)
};
// "REG_SZ", "REG_EXPAND_SZ", ..., "deletion".
std::string_view value_kind_name(ValueKind k);

struct Value {
  std::string name;         // value name; empty with is_default
  bool is_default = false;  // "@=" (the key's default value)
  ValueKind kind = ValueKind::kString;
  // kString: the text. kExpandString / kMultiString: the UTF-16 data decoded (REG_MULTI_SZ
  // strings joined by '\n'), best effort. Other kinds: empty.
  std::string text;
  std::vector<std::uint8_t> bytes;  // raw data of hex and dword values
  unsigned hex_type = 0;            // N of hex(N); 3 for "hex:", 4 for "dword:"
  int line = 0;                     // 1-based line of the value in the parsed file (0: built)
};

struct Key {
  std::string path;     // full path, e.g. HKEY_LOCAL_MACHINE\SOFTWARE\...
  bool remove = false;  // [-path]: deletes the key and its subkeys
  std::vector<Value> values;
  int line = 0;
};

struct Document {
  std::string header{kHeaderV5};
  std::vector<Key> keys;
  // Set by the parser: the encoding found, whether it had a byte-order mark and whether any
  // non-ASCII text came from a BOM-less file (regedit would read it in the ANSI code page).
  Encoding encoding = Encoding::kUtf16le;
  bool had_bom = false;
  bool non_ascii_without_bom = false;
};

// ---- writing --------------------------------------------------------------------------------
// Escapes a name or string for a .reg file: '\' -> "\\", '"' -> "\"".
std::string escape(std::string_view s);
// The document as UTF-8 text with CRLF line ends, formatted like regedit's export: header, blank
// line, then each key, its values and a blank line. Refuses names or strings with control
// characters or invalid UTF-8 (a .reg string cannot carry them) and kinds other than
// kString/kDelete (the writer only needs those), naming the key and value.
Result<std::string> render(const Document& doc);
// Encodes CRLF text for disk: UTF-16LE with BOM, or 8-bit (ASCII only, else an input error whose
// fix names the utf16 encoding).
Result<std::vector<std::byte>> encode(std::string_view utf8_text, Encoding encoding);
// render + encode.
Result<std::vector<std::byte>> serialize(const Document& doc, Encoding encoding);

// ---- reading --------------------------------------------------------------------------------
// Parses a .reg file's bytes. `file` names the file in errors; errors carry "line N".
Result<Document> parse(std::span<const std::byte> data, const std::string& file = {});
Result<Document> parse_file(const fs::path& path);

// ---- text helpers (UTF-8 <-> UTF-16; UTF-8 itself is wslplug/core/utf8.hpp)
// Decodes UTF-16LE code units to UTF-8; unpaired surrogates become U+FFFD.
std::string utf16le_to_utf8(std::span<const std::uint8_t> bytes);
// Encodes valid UTF-8 as UTF-16LE bytes (no BOM). Invalid input yields U+FFFD per bad byte.
std::vector<std::uint8_t> utf8_to_utf16le(std::string_view s);

}  // namespace wslplug::registry
