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

int exit_code(ErrorKind kind) { return static_cast<int>(kind); }

std::string offset_str(std::uint64_t offset) { return fmt::format("offset {:#x}", offset); }

}  // namespace wslplug
