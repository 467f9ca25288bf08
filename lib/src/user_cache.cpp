#include "wslplug/core/user_cache.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace wslplug {

namespace {

constexpr std::string_view kFix =
    "set XDG_CACHE_HOME to an absolute path of a folder of yours (e.g. "
    "XDG_CACHE_HOME=/home/you/.cache), or HOME";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

bool usable(const std::string& path) { return !path.empty() && path.front() == '/'; }

// The home folder of `uid`'s passwd entry, or empty.
std::string passwd_home(uid_t uid) {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  while (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == ERANGE &&
         buffer.size() < (1u << 20))
    buffer.resize(buffer.size() * 2);
  return found != nullptr && found->pw_dir != nullptr ? std::string(found->pw_dir) : std::string();
}

// TMP/wslplug-<uid>: made 0700 when missing, and accepted only as the user's own private folder.
Result<std::filesystem::path> private_tmp_dir(const std::filesystem::path& tmp, uid_t uid) {
  const std::filesystem::path dir = tmp / fmt::format("wslplug-{}", uid);
  const std::string where = dir.string();
  if (::mkdir(dir.c_str(), 0700) == 0) {
    // The umask may have taken bits away; the folder is new and ours.
    if (::chmod(dir.c_str(), 0700) != 0)
      return io_error(
          fmt::format("cannot set the mode of the cache folder: {}", std::strerror(errno)), where,
          std::string(kFix));
  } else if (errno != EEXIST) {
    return io_error(
        fmt::format("no HOME or XDG_CACHE_HOME, and the cache folder cannot be made: {}",
                    std::strerror(errno)),
        where, std::string(kFix));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0)
    return io_error(fmt::format("cannot inspect the cache folder: {}", std::strerror(errno)), where,
                    std::string(kFix));
  std::string problem;
  if (S_ISLNK(st.st_mode))
    problem = "is a symbolic link";
  else if (!S_ISDIR(st.st_mode))
    problem = "is not a directory";
  else if (st.st_uid != uid)
    problem = fmt::format("belongs to uid {}, not to you (uid {})", st.st_uid, uid);
  else if ((st.st_mode & 07777) != 0700)
    problem = fmt::format("has mode {:04o}, not 0700", st.st_mode & 07777);
  if (!problem.empty())
    return io_error(fmt::format("no HOME or XDG_CACHE_HOME, and the fallback cache folder {} "
                                "(run executes files from it, so it must be yours alone)",
                                problem),
                    where, std::string(kFix));
  return dir;
}

}  // namespace

Result<std::filesystem::path> user_cache_dir(const UserCacheSources& s) {
  if (usable(s.xdg_cache_home))
    return std::filesystem::path(s.xdg_cache_home).lexically_normal() / "wslplug";
  for (const std::string* home : {&s.home, &s.passwd_home})
    if (usable(*home))
      return (std::filesystem::path(*home) / ".cache" / "wslplug").lexically_normal();
  return private_tmp_dir(s.tmp, s.uid);
}

Result<std::filesystem::path> user_cache_dir() {
  UserCacheSources s;
  s.xdg_cache_home = env("XDG_CACHE_HOME");
  s.home = env("HOME");
  s.uid = ::getuid();
  // The passwd entry is only looked up when the environment gives nothing.
  if (!usable(s.xdg_cache_home) && !usable(s.home)) s.passwd_home = passwd_home(s.uid);
  return user_cache_dir(s);
}

std::string safe_folder_name(std::string_view name) {
  std::string out;
  for (char c : name)
    out.push_back(
        std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_');
  return out.empty() || out == "." || out == ".." ? std::string("plugin") : out;
}

}  // namespace wslplug
