#include "wslplug/core/user_cache.hpp"

#include <cctype>
#include <cstdlib>

namespace wslplug {

std::filesystem::path user_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg != 0) return std::filesystem::absolute(xdg) / "wslplug";
  const char* home = std::getenv("HOME");
  const std::filesystem::path base = home != nullptr && *home != 0 ? home : "/tmp";
  return std::filesystem::absolute(base / ".cache" / "wslplug");
}

std::string safe_folder_name(std::string_view name) {
  std::string out;
  for (char c : name)
    out.push_back(
        std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_');
  return out.empty() || out == "." || out == ".." ? std::string("plugin") : out;
}

}  // namespace wslplug
