// The run: one wslplug-host.exe process per WSL version, driven over its stdin/stdout with the
// line protocol documented in host/win/wslplug-host.cpp; ExecuteBinary served by real Linux
// processes over loopback TCP; then the verdicts, WSL's error strings and messages. This file
// assembles the document of every version; driver.hpp lists where each part lives.
#include "wslplug/host/run.hpp"

#include <signal.h>

#include "driver.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/core/text.hpp"

namespace wslplug::host {

using driver::VersionRun;
using json = nlohmann::json;
using driver::utf8;

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
  if (o.events.empty()) o.events = default_events(o.distributions, o.repeat);
  json doc;
  doc["schema"] = 1;
  doc["plugin"] = {{"file", utf8(fs::absolute(o.dll).lexically_normal().string())},
                   {"name", utf8(o.plugin_name)}};
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
                    {"no_exec", o.no_exec},
                    {"null_strings", o.null_strings},
                    {"hook_timeout_s", o.hook_timeout_s},
                    {"scenario", o.scenario_file.empty() ? json(nullptr) : json(o.scenario_file)}};
  json dists = json::array();
  for (const auto& d : o.distributions)
    dists.push_back({{"name", d.name},
                     {"guid", d.guid},
                     {"package", d.package ? json(utf8(*d.package)) : json(nullptr)},
                     {"flavor", d.flavor ? json(utf8(*d.flavor)) : json(nullptr)},
                     {"version", d.version ? json(utf8(*d.version)) : json(nullptr)},
                     {"pid_namespace", d.pid_namespace},
                     {"init_pid", d.init_pid}});
  doc["distributions"] = dists;
  doc["runs"] = json::array();
  bool ok = true, harness = false;
  std::unique_ptr<driver::LinuxSide> linux_side = driver::this_machine();
  doc["linux_side"] = std::string(linux_side->kind());
  std::vector<std::unique_ptr<VersionRun>> runs;
  for (const auto& v : o.versions)
    runs.push_back(std::make_unique<VersionRun>(o, environment, v, *linux_side));
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
