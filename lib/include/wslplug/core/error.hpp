// Error model shared by every wslplug library: values, never exceptions across library
// boundaries, never printing. An Error says what went wrong, where (file, offset or field)
// and how to fix it; its kind decides the command's exit code.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace wslplug {

// What went wrong; exit_code() maps it to the exit code (docs/exit-codes.md): 0 success, 1 the
// checked thing is bad, 2 usage or input error, 3 I/O or internal error. kIo and kInternal are
// distinct kinds ("io" and "internal" in JSON) with the same exit code.
enum class ErrorKind : int {
  kBad = 1,       // the checked thing is bad (verification failed, finding of severity error)
  kInput = 2,     // usage or input error (malformed PE, wrong key, bad flag value)
  kIo = 3,        // I/O error (cannot read, write, rename)
  kInternal = 4,  // a bug or an OpenSSL failure we did not expect (exit code 3)
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;  // what is wrong, one sentence, no trailing period needed
  std::string file;     // the file concerned, if any
  std::string where;    // "offset 0x3c (e_lfanew)", "field --subject", ...; may be empty
  std::string fix;      // how to fix it; may be empty

  // "FILE: WHERE: MESSAGE" (parts omitted when empty). The fix is separate (see fix).
  [[nodiscard]] std::string describe() const;

  // Adds context: sets file if empty. Returns *this for chaining.
  Error& in_file(std::string path) & {
    if (file.empty()) file = std::move(path);
    return *this;
  }
  Error&& in_file(std::string path) && {
    if (file.empty()) file = std::move(path);
    return std::move(*this);
  }
};

// The exit code of an error of `kind`: 1, 2 or 3 (kIo and kInternal).
[[nodiscard]] int exit_code(ErrorKind kind);
// The kind as JSON and docs/errors.md name it: "bad", "input", "io", "internal".
[[nodiscard]] std::string_view kind_name(ErrorKind kind);

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(ErrorKind kind, std::string message, std::string file = {},
                                   std::string where = {}, std::string fix = {}) {
  return std::unexpected(
      Error{kind, std::move(message), std::move(file), std::move(where), std::move(fix)});
}
inline std::unexpected<Error> input_error(std::string message, std::string file = {},
                                          std::string where = {}, std::string fix = {}) {
  return fail(ErrorKind::kInput, std::move(message), std::move(file), std::move(where),
              std::move(fix));
}
inline std::unexpected<Error> io_error(std::string message, std::string file = {},
                                       std::string fix = {}) {
  return fail(ErrorKind::kIo, std::move(message), std::move(file), {}, std::move(fix));
}
inline std::unexpected<Error> internal_error(std::string message, std::string file = {}) {
  return fail(ErrorKind::kInternal, std::move(message), std::move(file));
}

// Formats an offset as the tools show it: "offset 0x3c".
std::string offset_str(std::uint64_t offset);

}  // namespace wslplug
