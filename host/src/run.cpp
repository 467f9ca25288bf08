// The run: one wslplug-host.exe process per WSL version, driven over its stdin/stdout with the
// line protocol documented in host/win/wslplug_host.cpp; ExecuteBinary served by real Linux
// processes over loopback TCP; then the verdicts, WSL's error strings and messages. This file
// assembles the document of every version; driver.hpp lists where each part lives.
#include "wslplug/host/run.hpp"

#include <signal.h>
#include <stdlib.h>

#include <cstdlib>

#include "driver.hpp"
#include "internal.hpp"
#include "vm_side.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/core/user_cache.hpp"
#include "wslplug/core/utf8.hpp"

namespace wslplug::host {

using driver::VersionRun;
using json = nlohmann::json;

namespace {

constexpr std::string_view kHostExeInside = "/run/wslplug/host/wslplug-host.exe";

// The plugin's folder as the plugin sees it: the DLL and the regular files beside it (not its
// subfolders: a build tree's deps/ and incremental/ are not the plugin's), each at most 64 MiB and
// 256 MiB in all; only the DLL when the folder is /, the home folder or one that holds it (a DLL
// dropped in $HOME must not take $HOME with it).
Status copy_plugin_folder(const fs::path& dll, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec)
    return io_error("cannot create the plugin's folder in the sandbox: " + ec.message(),
                    to.string(), "make TMPDIR (or XDG_RUNTIME_DIR) a writable folder");
  const fs::path folder = fs::weakly_canonical(fs::absolute(dll)).parent_path();
  const char* home = std::getenv("HOME");
  const fs::path home_path = home && *home ? fs::weakly_canonical(home, ec) : fs::path();
  // Holds the home folder: the home folder itself or one of its ancestors.
  const fs::path to_home = home_path.empty() ? fs::path() : home_path.lexically_relative(folder);
  const bool holds_home =
      !home_path.empty() && !to_home.empty() && !to_home.native().starts_with("..");
  const bool broad = folder == folder.root_path() || holds_home;
  constexpr std::uintmax_t kFileMax = 64u << 20, kTotalMax = 256u << 20;
  std::uintmax_t total = 0;
  auto copy_one = [&](const fs::path& from) -> Status {
    std::error_code err;
    fs::copy_file(from, to / from.filename(), fs::copy_options::overwrite_existing, err);
    if (err)
      return io_error("cannot copy the plugin's file into the sandbox: " + err.message(),
                      from.string(), "check that the file is readable");
    return {};
  };
  if (auto ok = copy_one(fs::absolute(dll)); !ok) return ok;
  if (broad) return {};
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code err;
    if (it->is_symlink(err) || !it->is_regular_file(err)) continue;
    if (it->path().filename() == dll.filename()) continue;
    const std::uintmax_t size = it->file_size(err);
    if (err || size > kFileMax || total + size > kTotalMax) continue;
    total += size;
    if (auto ok = copy_one(it->path()); !ok) return ok;
  }
  return {};
}

// The sandbox of one run: the machine (wine, wineserver, the plugin host; the VM), the run's
// private folder (the overlay's upper layer), and what the versions need to know of them.
struct RunSandbox {
  fs::path run_dir;
  std::unique_ptr<sandbox::Machine> machine;
  driver::Box box;
  driver::VmSideOptions vm;
  ~RunSandbox() {
    machine.reset();  // every process of the run ends here
    std::error_code ec;
    if (!run_dir.empty()) fs::remove_all(run_dir, ec);
  }
};

Result<std::unique_ptr<RunSandbox>> start_sandbox(Options& o, const Environment& e) {
  auto agent = sandbox::find_agent();
  if (!agent) return std::unexpected(agent.error());
  auto box = std::make_unique<RunSandbox>();
  // The run's private folder, mode 0700, on the same file system as nothing of the user's.
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  std::error_code ec;
  fs::path base = runtime && *runtime && fs::is_directory(runtime, ec)
                      ? fs::path(runtime)
                      : fs::temp_directory_path(ec);
  std::string templ = (base / "wslplug-run-XXXXXX").string();
  if (!::mkdtemp(templ.data()))
    return io_error(fmt::format("cannot create the run's folder: {}", std::strerror(errno)),
                    base.string(), "make TMPDIR (or XDG_RUNTIME_DIR) a writable folder");
  box->run_dir = templ;
  sandbox::MachineOptions mo;
  mo.agent = *agent;
  mo.prefix_template = e.prefix;
  mo.run_dir = box->run_dir;
  mo.no_exec = o.no_exec;
  mo.max_processes = o.max_processes;
  mo.binds.push_back({e.exe, std::string(kHostExeInside), false});
  // The plugin's folder, C:\Program Files\WSL Plugins\NAME, is a copy in the overlay: the plugin
  // sees the DLL and the files beside it, may write there as WSL's service can, and the user's
  // folder is never exposed or modified (its writes are reported and kept like those on C:).
  const fs::path upper_folder = box->run_dir / "prefix" / "upper" / "drive_c" / "Program Files" /
                                "WSL Plugins" / safe_folder_name(o.plugin_name);
  if (auto copied = copy_plugin_folder(o.dll, upper_folder); !copied)
    return std::unexpected(copied.error());
  // Distributions with a root file system of their own: unpacked once into the cache, bound
  // read-only (each distribution writes into an overlay of its own).
  auto cache = user_cache_dir();
  if (!cache) return std::unexpected(cache.error());
  for (std::size_t i = 0; i < o.distributions.size(); ++i) {
    const Distribution& d = o.distributions[i];
    if (!d.rootfs) continue;
    auto folder = sandbox::prepare_rootfs(*d.rootfs, *cache / "rootfs");
    if (!folder) return std::unexpected(folder.error());
    mo.binds.push_back({*folder, fmt::format("/run/wslplug/rootfs/{}", i), false});
    box->vm.rootfs[d.guid] = *folder;
  }
  box->vm.network = o.network;
  auto machine = sandbox::Machine::start(mo);
  if (!machine) return std::unexpected(machine.error());
  box->machine = std::move(*machine);
  // The environment inside: wine's variables and nothing of the caller's.
  std::vector<std::string> env = {"WINEPREFIX=" + std::string(sandbox::kPrefixInside),
                                  "WINEDEBUG=-all",
                                  "WINELOADER=" + e.wine.string(),
                                  "WINESERVER=" + e.wineserver.string(),
                                  "WINEDLLOVERRIDES=mscoree,mshtml=;winemenubuilder.exe=d",
                                  "HOME=/tmp",
                                  "XDG_CACHE_HOME=/tmp/.cache",
                                  "USER=root",
                                  "PATH=/usr/bin:/bin",
                                  "LANG=C.UTF-8"};
  if (o.no_exec) env.push_back("WINELOADERNOEXEC=1");
  // The machine's wineserver, started before any confined process (which could not start it).
  sandbox::SpawnSpec server;
  server.path = e.wineserver.string();
  server.argv = {e.wineserver.string(), "-p"};
  server.env = env;
  auto started = box->machine->spawn(server);
  if (!started)
    return io_error(
        fmt::format("cannot start wineserver in the sandbox: {}", std::strerror(started.error())),
        e.wineserver.string(), "check that wine runs (wine64 --version)");
  pollfd p{started->exit_fd(), POLLIN, 0};
  ::poll(&p, 1, 30000);  // it forks into the background once its socket is ready
  box->box.machine = box->machine.get();
  box->box.wine = e.wine.string();
  box->box.host_exe = std::string(kHostExeInside);
  box->box.env = std::move(env);
  std::string win_folder = "C:\\Program Files\\WSL Plugins\\" + safe_folder_name(o.plugin_name);
  box->box.dll_windows_path = win_folder + "\\" + o.dll.filename().string();
  box->box.drive_c_changes = box->run_dir / "prefix" / "upper" / "drive_c";
  // What the plugin wrote on C:\ is kept for reading after the run (the last run of each plugin
  // name): <cache>/wslplug/runs/NAME/VERSION/drive_c.
  // A project's state folder holds them under files/ (beside its --no-sandbox prefix, wine/).
  box->box.kept = o.state_dir.empty() ? *cache / "runs" / safe_folder_name(o.plugin_name)
                                      : o.state_dir / "files";
  fs::remove_all(box->box.kept, ec);
  box->box.plugin_windows_folder = win_folder;
  box->box.confined = o.no_exec;
  return box;
}

}  // namespace

Result<nlohmann::json> run(const Options& options, const Environment& environment) {
  // A host that dies while the driver writes to it must not kill the driver.
  ::signal(SIGPIPE, SIG_IGN);
  std::error_code ec;
  if (!fs::is_regular_file(options.dll, ec))
    return input_error("no such file", options.dll.string(), {},
                       "give the plugin DLL, or run in a project folder after wslplug build");
  auto image = pe::Image::open(options.dll);
  if (!image) return std::unexpected(image.error());
  if (image->layout().machine == static_cast<std::uint16_t>(pe::Machine::kArm64))
    return input_error("this is an ARM64 DLL: this x86_64 machine cannot run it",
                       options.dll.string(), "COFF header Machine",
                       "build for x86_64 to run it here (wslplug build --target x86_64); test the "
                       "ARM64 build on an ARM64 Windows machine");
  for (const auto& ev : options.events)
    if (ev.hook.starts_with("OnDistribution") &&
        std::none_of(options.distributions.begin(), options.distributions.end(),
                     [&](const Distribution& d) { return iequals(d.name, ev.distribution); }))
      return input_error(fmt::format("event {} names distribution '{}', which is not configured",
                                     ev.hook, printable(ev.distribution)),
                         options.scenario_file, "events",
                         "add it to the scenario's distributions or with --distro");
  Options o = options;
  if (o.versions.empty()) o.versions = default_versions();
  if (o.events.empty())
    o.events = default_events(o.distributions, o.repeat, o.concurrent_distributions);
  json doc;
  doc["schema"] = 1;
  doc["plugin"] = {{"file", utf8_lossy(fs::absolute(o.dll).lexically_normal().string())},
                   {"name", utf8_lossy(o.plugin_name)}};
  const bool wine = environment.kind == "wine";
  doc["host"] = {{"kind", environment.kind},
                 {"exe", environment.exe.string()},
                 {"wine", wine ? json(environment.wine.string()) : json(nullptr)},
                 {"wine_version", wine ? json(environment.wine_version) : json(nullptr)},
                 {"prefix", wine ? json(environment.prefix.string()) : json(nullptr)},
                 {"drive_c", environment.drive_c.empty() ? json(nullptr)
                                                         : json(environment.drive_c.string())}};
  json versions = json::array();
  for (const auto& v : o.versions) versions.push_back(v.text());
  doc["options"] = {{"wsl_versions", versions},
                    {"repeat", o.repeat},
                    {"concurrent_distributions", o.concurrent_distributions},
                    {"no_exec", o.no_exec},
                    {"sandbox", o.sandbox},
                    {"network", o.network},
                    {"null_strings", o.null_strings},
                    {"hook_timeout_s", o.hook_timeout_s},
                    {"scenario", o.scenario_file.empty() ? json(nullptr) : json(o.scenario_file)}};
  json dists = json::array();
  for (const auto& d : o.distributions)
    dists.push_back({{"name", d.name},
                     {"guid", d.guid},
                     {"package", d.package ? json(utf8_lossy(*d.package)) : json(nullptr)},
                     {"flavor", d.flavor ? json(utf8_lossy(*d.flavor)) : json(nullptr)},
                     {"version", d.version ? json(utf8_lossy(*d.version)) : json(nullptr)},
                     {"pid_namespace", d.pid_namespace},
                     {"init_pid", d.init_pid}});
  doc["distributions"] = dists;
  doc["runs"] = json::array();
  bool ok = true, harness = false;
  // Official WSL builds check the signature before LoadLibrary: a refused DLL never loads.
  const TrustCheck trust = check_trust(o);
  if (trust.error) return std::unexpected(*trust.error);
  doc["signature"] = trust.report;
  if (trust.warning && o.progress) o.progress("warning: " + *trust.warning);
  // The sandbox (docs/sandbox.md): the plugin host and every process of the run in it, the Linux
  // side a VM. Not on Windows itself (WSL interop) and not with --no-sandbox.
  std::unique_ptr<RunSandbox> box;
  if (o.sandbox && wine && !trust.refused_hr) {
    auto started = start_sandbox(o, environment);
    if (!started) return std::unexpected(started.error());
    box = std::move(*started);
  }
  std::unique_ptr<driver::LinuxSide> linux_side =
      box ? driver::vm_side(*box->machine, box->vm) : driver::this_machine();
  doc["linux_side"] = std::string(linux_side->kind());
  doc["sandbox"] = box ? json{{"kind", "bubblewrap"},
                              {"network", o.network},
                              {"max_processes", o.max_processes},
                              {"plugin_folder", utf8_lossy(box->box.plugin_windows_folder)},
                              {"files_kept_in", utf8_lossy(box->box.kept.string())}}
                       : json(nullptr);
  // What is kept between runs, and where.
  {
    json keeps = json::array();
    if (box)
      keeps.push_back("the files the plugin wrote on C:\\ in the last run of each WSL version");
    if (wine)
      keeps.push_back(o.own_prefix ? "the wine prefix the plugin runs in (its writes persist)"
                      : box ? "nothing in the wine prefix: it is shared and read-only to the run"
                            : "the plugin's writes in the shared wine prefix");
    const fs::path dir = !o.state_dir.empty() ? o.state_dir : box ? box->box.kept : fs::path();
    doc["state"] = {{"dir", dir.empty() ? json(nullptr) : json(utf8_lossy(dir.string()))},
                    {"files", box ? json(utf8_lossy(box->box.kept.string())) : json(nullptr)},
                    {"prefix", wine ? json(environment.prefix.string()) : json(nullptr)},
                    {"prefix_shared", wine && !o.own_prefix},
                    {"fresh", o.fresh},
                    {"keeps", keeps}};
  }
  std::vector<std::unique_ptr<VersionRun>> runs;
  for (const auto& v : o.versions)
    runs.push_back(
        std::make_unique<VersionRun>(o, environment, v, *linux_side, box ? &box->box : nullptr));
  if (trust.refused_hr)
    for (auto& r : runs) r->refused_by_signature(trust);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (o.progress) o.progress(fmt::format("WSL {}...", o.versions[i].text()));
    runs[i]->prestart();
    if (i + 1 < runs.size()) runs[i + 1]->prestart();
    json result = runs[i]->run();
    runs[i].reset();
    ok = ok && result["ok"].get<bool>();
    harness = harness || result["outcome"] == "harness-error";
    doc["runs"].push_back(std::move(result));
  }
  const int exit_code = harness ? 3 : ok ? 0 : 1;
  doc["ok"] = ok && !harness;
  doc["exit_code"] = exit_code;
  doc["error"] = nullptr;
  if (harness)
    for (const auto& r : doc["runs"])
      if (!r["error"].is_null()) {
        doc["error"] = r["error"];
        break;
      }
  return doc;
}

}  // namespace wslplug::host
