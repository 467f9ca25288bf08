// The user's cache folder for wslplug and the names of folders in it: one rule for everything
// that keeps state between runs (the wine prefix, unpacked root file systems, what runs keep).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace wslplug {

// $XDG_CACHE_HOME/wslplug, else $HOME/.cache/wslplug (absolute). Not created here.
std::filesystem::path user_cache_dir();

// `name` as one folder's name: ASCII letters, digits, '-', '_' and '.' kept, anything else '_';
// "plugin" for a name that would be empty, "." or "..".
std::string safe_folder_name(std::string_view name);

}  // namespace wslplug
