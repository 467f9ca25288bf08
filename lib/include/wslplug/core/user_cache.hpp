// The user's cache folder for wslplug and the names of folders in it: one rule for everything
// that keeps state between runs (the wine prefix, unpacked root file systems, what runs keep).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "wslplug/core/error.hpp"

namespace wslplug {

// Where the cache folder comes from, in order; what user_cache_dir() reads from the process.
struct UserCacheSources {
  std::string xdg_cache_home;          // $XDG_CACHE_HOME
  std::string home;                    // $HOME
  std::string passwd_home;             // the home folder of the user's passwd entry (getpwuid_r)
  std::filesystem::path tmp = "/tmp";  // where the last resort folder is made
  uid_t uid = 0;                       // the user
};

// The cache folder of `s`: XDG_CACHE_HOME/wslplug, else HOME/.cache/wslplug, else
// PASSWD_HOME/.cache/wslplug, each only when absolute (empty or relative values are skipped);
// else the user's own TMP/wslplug-<uid>, which is created 0700 here and refused (an I/O error
// saying to set XDG_CACHE_HOME) unless it is a directory, not a symbolic link, owned by `uid`
// with mode 0700: run executes files from the cache, so it is never a folder another local user
// could have made. The other folders are not created here.
Result<std::filesystem::path> user_cache_dir(const UserCacheSources& s);
// The same for this process: its environment, its user's passwd entry, /tmp.
Result<std::filesystem::path> user_cache_dir();

// `name` as one folder's name: ASCII letters, digits, '-', '_' and '.' kept, anything else '_';
// "plugin" for a name that would be empty, "." or "..".
std::string safe_folder_name(std::string_view name);

}  // namespace wslplug
