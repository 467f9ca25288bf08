// Where the host runs: finding wslplug-host.exe and wine, and the persistent wine prefix
// (created on first use under an flock, wineserver kept warm without holding anyone's pipes).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "internal.hpp"
#include "wslplug/core/fd.hpp"
#include "wslplug/core/process.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/core/user_cache.hpp"
#include "wslplug/host/run.hpp"

namespace wslplug::host {

namespace {

std::string env_or(const char* name, std::string fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

bool executable_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

// A program wslplug ships beside its binary: $ENV_VAR, else beside the running binary, else in
// <bin>/../libexec/wslplug/.
Result<fs::path> find_companion(const std::string& file_name, const char* env_var,
                                const std::string& missing, const std::string& fix) {
  if (const std::string env = env_or(env_var); !env.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(env, ec))
      return io_error(fmt::format("{} names no file", env_var), env,
                      fmt::format("point {} at {}, or unset it", env_var, file_name));
    return fs::absolute(env);
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path dir = self.parent_path();
    for (const fs::path& candidate :
         {dir / file_name, dir / ".." / "libexec" / "wslplug" / file_name})
      if (fs::is_regular_file(candidate, ec)) return candidate.lexically_normal();
  }
  return io_error(missing, self.empty() ? std::string() : (self.parent_path() / file_name).string(),
                  fix);
}

namespace {

Result<fs::path> find_host_exe() {
  return find_companion(
      "wslplug-host.exe", "WSLPLUG_HOST_EXE",
      "the plugin host wslplug-host.exe is not installed (it is built with MinGW-w64)",
      "install g++-mingw-w64-x86-64 (apt-get install g++-mingw-w64-x86-64), reconfigure and "
      "rebuild wslplug (the build makes wslplug-host.exe beside the wslplug binary), or set "
      "WSLPLUG_HOST_EXE to a built wslplug-host.exe");
}

bool inside_wsl() {
  if (env_or("WSLPLUG_RUN_HOST") == "wine") return false;
  if (env_or("WSLPLUG_RUN_HOST") == "windows") return true;
  std::error_code ec;
  return !env_or("WSL_INTEROP").empty() || fs::exists("/proc/sys/fs/binfmt_misc/WSLInterop", ec) ||
         fs::exists("/proc/sys/fs/binfmt_misc/WSLInterop-late", ec);
}

Result<fs::path> find_wine() {
  const std::string fix =
      "install wine: sudo apt-get install --no-install-recommends wine64 wine (Debian/Ubuntu), "
      "or set WSLPLUG_WINE to the wine64 loader";
  if (const std::string env = env_or("WSLPLUG_WINE"); !env.empty()) {
    if (auto p = process::find_program(env)) return *p;
    return io_error("WSLPLUG_WINE names no executable", env, fix);
  }
  // The loader itself, not Debian's wrapper script: one exec less per run.
  if (executable_file("/usr/lib/wine/wine64")) return fs::path("/usr/lib/wine/wine64");
  for (const char* name : {"wine64", "wine"})
    if (auto p = process::find_program(name)) return *p;
  return io_error("wine is not installed (wslplug run loads the plugin in a Windows host program)",
                  {}, fix);
}

fs::path find_wineserver(const fs::path& wine) {
  for (const fs::path& candidate :
       {wine.parent_path() / "wineserver", fs::path("/usr/lib/wine/wineserver64"),
        fs::path("/usr/lib/wine/wineserver")})
    if (executable_file(candidate)) return candidate;
  if (auto p = process::find_program("wineserver")) return *p;
  return {};
}

Result<fs::path> prefix_dir() {
  if (const std::string env = env_or("WSLPLUG_WINEPREFIX"); !env.empty()) return fs::absolute(env);
  auto cache = user_cache_dir();
  if (!cache) return std::unexpected(cache.error());
  return *cache / "wine";
}

// Runs a wine tool with every standard stream on /dev/null, in its own session, so that whatever
// it leaves behind (wineserver, the prefix's services) never holds a caller's pipe. Waits for it.
int run_detached(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env) {
  process::SpawnOptions options;
  options.env = env;
  options.unset_env = {"DISPLAY", "WAYLAND_DISPLAY"};
  options.new_session = true;  // stdio on /dev/null (spawn's default), no controlling terminal
  auto child = process::spawn(argv, options);
  if (!child) return -1;
  int status = 0;
  while (::waitpid(child->pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

// ------------------------------------------------------------------ stand-ins for system DLLs
// System DLLs every Windows that runs WSL 2 has but a wine may lack, with stand-ins built from
// host/win/ (bcryptprimitives.dll: ProcessPrng, imported by every DLL Rust 1.78+ builds).
constexpr std::string_view kStandIns[] = {"bcryptprimitives.dll"};

// Where the stand-ins are: wine-dlls/ beside the host program (build tree, or libexec/wslplug/
// after install), else beside the running binary or in its ../libexec/wslplug/.
fs::path find_wine_dlls(const fs::path& exe) {
  std::vector<fs::path> candidates = {exe.parent_path() / "wine-dlls"};
  std::error_code ec;
  if (const fs::path self = fs::read_symlink("/proc/self/exe", ec); !ec) {
    candidates.push_back(self.parent_path() / "wine-dlls");
    candidates.push_back(self.parent_path() / ".." / "libexec" / "wslplug" / "wine-dlls");
  }
  for (const auto& c : candidates)
    if (fs::is_directory(c, ec)) return c.lexically_normal();
  return {};
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The file of `name` in `dir`, whatever its case (wine's system32 is a Linux folder).
fs::path find_case_insensitive(const fs::path& dir, std::string_view name) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (iequals(entry.path().filename().string(), name)) return entry.path();
  return {};
}

// Copies each stand-in into the prefix's system32 when wine has no DLL of that name there (wine
// puts a placeholder for each of its own DLLs in system32 when it creates a prefix), or replaces
// an earlier copy of a stand-in that differs. Also for prefixes made before a stand-in existed.
// Returns the names it copied; fails only when a copy fails.
Result<std::vector<std::string>> add_stand_ins(const Environment& e) {
  std::vector<std::string> added;
  const fs::path source_dir = find_wine_dlls(e.exe);
  const fs::path system32 = e.drive_c / "windows" / "system32";
  if (source_dir.empty()) return added;
  for (const std::string_view name : kStandIns) {
    const fs::path source = source_dir / name;
    std::error_code ec;
    if (!fs::is_regular_file(source, ec)) continue;
    const std::string ours = read_all(source);
    fs::path target = find_case_insensitive(system32, name);
    if (!target.empty()) {
      const std::string there = read_all(target);
      // Wine's own DLL (its placeholder says so), or this very stand-in: nothing to do.
      if (there == ours || there.find("Wine builtin DLL") != std::string::npos ||
          there.find("Wine placeholder DLL") != std::string::npos)
        continue;
    } else {
      target = system32 / name;
    }
    const fs::path temp = target.string() + ".wslplug-tmp";
    fs::copy_file(source, temp, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(temp, target, ec);
    if (ec) {
      fs::remove(temp, ec);
      return io_error(fmt::format("cannot install {} into the wine prefix: {}", name, ec.message()),
                      target.string(),
                      "make the prefix writable, or remove it to have it made again");
    }
    added.emplace_back(name);
  }
  return added;
}

}  // namespace

std::map<std::string, std::string> wine_environment(const Environment& e) {
  return {{"WINEPREFIX", e.prefix.string()},
          {"WINEDEBUG", "-all"},
          {"WINELOADER", e.wine.string()},
          {"WINESERVER", e.wineserver.string()},
          {"WINEDLLOVERRIDES", "mscoree,mshtml=;winemenubuilder.exe=d"}};
}

std::vector<std::string> host_environment(const Environment& e) {
  std::vector<std::string> env;
  if (e.kind == "wine")
    for (const auto& [k, v] : wine_environment(e)) env.push_back(k + "=" + v);
  env.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
  for (const char* name : {"HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "WSL_INTEROP",
                           "WSL_DISTRO_NAME", "WSLENV"}) {
    if (const char* v = std::getenv(name); v && *v) env.push_back(std::string(name) + "=" + v);
  }
  if (!std::getenv("LANG")) env.push_back("LANG=C.UTF-8");
  return env;
}

void keep_wineserver_warm(const Environment& e) {
  if (e.kind != "wine" || e.wineserver.empty()) return;
  // Persistent for 10 minutes after the last wine process; exits at once when one already runs.
  run_detached({e.wineserver.string(), "-p600"}, wine_environment(e));
}

Status reset_state(const fs::path& state_dir) {
  std::error_code ec;
  if (!fs::exists(state_dir, ec)) return {};
  const fs::path prefix = state_dir / "wine";
  if (fs::exists(prefix, ec)) {
    // A wineserver kept warm for the prefix must not outlive (or recreate) its folder.
    if (auto wine = find_wine()) {
      const fs::path server = find_wineserver(*wine);
      if (!server.empty()) run_detached({server.string(), "-k"}, {{"WINEPREFIX", prefix.string()}});
    }
  }
  fs::remove_all(state_dir, ec);
  if (ec)
    return io_error("cannot remove the state of earlier runs: " + ec.message(), state_dir.string(),
                    "remove the folder by hand");
  return {};
}

Result<Environment> prepare_environment(const std::function<void(std::string_view)>& progress,
                                        bool warm_wineserver, const fs::path& prefix) {
  Environment e;
  auto exe = find_host_exe();
  if (!exe) return std::unexpected(exe.error());
  e.exe = *exe;
  if (inside_wsl()) {
    e.kind = "windows";
    return e;
  }
  e.kind = "wine";
  auto wine = find_wine();
  if (!wine) return std::unexpected(wine.error());
  e.wine = *wine;
  e.wineserver = find_wineserver(e.wine);
  if (e.wineserver.empty())
    return io_error("wineserver is not installed beside " + e.wine.string(), {},
                    "install wine: sudo apt-get install --no-install-recommends wine64 wine");
  if (prefix.empty()) {
    auto dir = prefix_dir();
    if (!dir) return std::unexpected(dir.error());
    e.prefix = *dir;
  } else {
    e.prefix = fs::absolute(prefix);
  }
  e.drive_c = e.prefix / "drive_c";
  std::error_code ec;
  fs::create_directories(e.prefix.parent_path(), ec);
  if (ec)
    return io_error("cannot create the cache folder: " + ec.message(),
                    e.prefix.parent_path().string(),
                    "set XDG_CACHE_HOME (or WSLPLUG_WINEPREFIX) to a writable folder");
  const fs::path lock_path = e.prefix.string() + ".lock";
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock)
    return io_error(fmt::format("cannot open the prefix lock: {}", std::strerror(errno)),
                    lock_path.string(), "make the cache folder writable");
  while (::flock(lock.get(), LOCK_EX) < 0 && errno == EINTR) {
  }
  const fs::path marker = e.prefix / ".wslplug-ready";
  struct stat wine_stat {};
  ::stat(e.wine.c_str(), &wine_stat);
  const std::string stamp = fmt::format("{}", static_cast<long long>(wine_stat.st_mtime));
  Status status;
  if (!fs::exists(marker, ec) || read_first_line(e.prefix / ".wslplug-wine-stamp") != stamp) {
    const auto start = std::chrono::steady_clock::now();
    if (progress)
      progress(
          fmt::format("Creating the wine prefix for `wslplug run` in {} (first use, takes "
                      "about 20 s)...",
                      e.prefix.string()));
    fs::create_directories(e.prefix, ec);
    const auto env = wine_environment(e);
    if (warm_wineserver) keep_wineserver_warm(e);
    const int rc = run_detached({e.wine.string(), "wineboot", "-i"}, env);
    // No debugger and no crash dialog, ever: the host reports crashes itself.
    const fs::path reg = e.prefix / "wslplug-aedebug.reg";
    {
      std::ofstream out(reg);
      out << "REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows "
             "NT\\CurrentVersion\\AeDebug]\n\"Auto\"=\"0\"\n\"Debugger\"=\"\"\n\n";
    }
    const int rc2 = run_detached({e.wine.string(), "regedit", "/S", "Z:" + reg.string()}, env);
    // Sandboxed runs read the prefix from disk: let the prefix's wineserver write the registry and
    // end (it does when idle for a few seconds) before any of them starts.
    if (!warm_wineserver) run_detached({e.wineserver.string(), "-w"}, env);
    if (rc != 0 || rc2 != 0 || !fs::exists(e.drive_c, ec)) {
      status = io_error(fmt::format("creating the wine prefix failed (wineboot exit {}, regedit "
                                    "exit {})",
                                    rc, rc2),
                        e.prefix.string(),
                        "remove the folder and try again; check that `wine64 wineboot` works "
                        "(WINEPREFIX=" +
                            e.prefix.string() + ")");
    } else {
      // The version is recorded once, so later runs do not start wine just to ask.
      process::Options po;
      po.capture_stdout = true;
      auto v = process::run({e.wine.string(), "--version"}, po);
      std::ofstream(e.prefix / ".wslplug-wine-version")
          << (v ? trim_line(v->captured) : "") << "\n";
      std::ofstream(e.prefix / ".wslplug-wine-stamp") << stamp << "\n";
      std::ofstream(marker) << "1\n";
      if (progress)
        progress(fmt::format(
            "Wine prefix ready ({:.1f} s)",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
    }
  }
  // Stand-ins for system DLLs this wine lacks, at preparation time (never per run).
  if (status) {
    if (auto added = add_stand_ins(e); !added) {
      status = std::unexpected(added.error());
    } else if (progress) {
      for (const auto& name : *added)
        progress(
            fmt::format("Installed a stand-in {} into the wine prefix (this wine lacks it; "
                        "Windows 10 and later have it in System32)",
                        name));
    }
  }
  ::flock(lock.get(), LOCK_UN);
  lock.reset();
  if (!status) return std::unexpected(status.error());
  e.wine_version = read_first_line(e.prefix / ".wslplug-wine-version");
  if (warm_wineserver) keep_wineserver_warm(e);
  return e;
}

}  // namespace wslplug::host
