// UTF-16LE text as Windows programs write it (wsl.exe's output to a pipe or a file, "Unicode"
// files): detection and strict decoding to UTF-8. Bytes only; nothing here reads files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "wslplug/core/error.hpp"

namespace wslplug {

// How a piece of text is encoded, as far as its bytes tell.
enum class TextEncoding {
  kUtf8,          // anything that is not UTF-16LE (UTF-8 with or without BOM, ASCII)
  kUtf16le,       // UTF-16LE starting with the byte-order mark FF FE
  kUtf16leNoBom,  // UTF-16LE without a byte-order mark (what wsl.exe writes to a pipe)
};

// UTF-16LE is recognised by its byte-order mark FF FE, or without one by the pattern ASCII text
// has in it: a NUL after every character. Without a BOM, the text is taken as UTF-16LE when at
// least half of the 16-bit units in its first 4 KiB are an ASCII character followed by NUL (text
// that is UTF-8 has no NUL bytes at all).
TextEncoding detect_text_encoding(std::string_view bytes);

// The UTF-16LE code units in `bytes` (no byte-order mark: the caller strips it) as UTF-8.
// Surrogate pairs become one 4-byte character. Input errors, naming the byte offset (counted
// from `base_offset`, the position of `bytes` in the whole input): an odd number of bytes (the
// last character is cut), a high surrogate without a low one, a low surrogate without a high one.
Result<std::string> utf16le_to_utf8(std::string_view bytes, std::uint64_t base_offset = 0);

// Text in any encoding detect_text_encoding tells apart, as UTF-8 without byte-order mark:
// UTF-16LE (with or without BOM) decoded; anything else returned as it is, less a UTF-8 BOM (it is
// not checked to be UTF-8). Errors as utf16le_to_utf8; `file` names the input in them.
Result<std::string> text_as_utf8(std::string_view bytes, const std::string& file = {});

}  // namespace wslplug
