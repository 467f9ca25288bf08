#include "wslplug/core/error.hpp"

#include <fmt/format.h>

namespace wslplug {

std::string Error::describe() const {
  std::string out;
  if (!file.empty()) out += file + ": ";
  if (!where.empty()) out += where + ": ";
  out += message;
  return out;
}

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBad:
      return 1;
    case ErrorKind::kInput:
      return 2;
    case ErrorKind::kIo:
    case ErrorKind::kInternal:
      return 3;
  }
  return 3;
}

std::string_view kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBad:
      return "bad";
    case ErrorKind::kInput:
      return "input";
    case ErrorKind::kIo:
      return "io";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

std::string offset_str(std::uint64_t offset) { return fmt::format("offset {:#x}", offset); }

}  // namespace wslplug
