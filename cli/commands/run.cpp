// wslplug run: loads the plugin DLL in a faithful WSL plugin host (wslplug-host.exe under wine,
// or natively through WSL interop), drives its lifecycle with real Linux processes for
// ExecuteBinary, and prints what WSL would do with every result: a transcript on stdout, or the
// JSON document of docs/run-json.md.
#include "wslplug/host/run.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "commands/commands.hpp"
#include "commands/run.hpp"
#include "common.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/json.hpp"
#include "wslplug/project/layout.hpp"
#include "wslplug/project/manifest.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

using json = nlohmann::json;

std::string str(const json& j, std::string_view fallback = "NULL") {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return std::string(fallback);
  return json_text(j);
}

// A string argument as C code would show it.
std::string quoted(const json& j) {
  if (!j.is_string()) return j.is_null() ? "NULL" : json_text(j);
  return json_text(json(j.get<std::string>()));
}

std::string indent(std::string_view text, std::string_view prefix, std::size_t max_lines = 40) {
  std::string out;
  std::size_t lines = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t nl = text.find('\n', i);
    if (nl == std::string_view::npos) nl = text.size();
    if (++lines > max_lines) {
      out += fmt::format("{}... ({} more bytes)\n", prefix, text.size() - i);
      break;
    }
    out += fmt::format("{}{}\n", prefix, text.substr(i, nl - i));
    i = nl + 1;
  }
  return out;
}

std::string call_text(const json& c) {
  const std::string name = c["call"].get<std::string>();
  const json& a = c["args"];
  std::string args;
  if (name == "ExecuteBinary" || name == "ExecuteBinaryInDistribution" ||
      name == "WSLCCreateProcess") {
    std::vector<std::string> parts;
    parts.push_back(fmt::format("session {}", a.value("session", 0LL)));
    if (name == "ExecuteBinaryInDistribution")
      parts.push_back(a["distribution_name"].is_string()
                          ? a["distribution_name"].get<std::string>()
                          : str(a.value("distribution", json(nullptr))));
    parts.push_back(quoted(a.value("path", json(nullptr))));
    std::string list = "[";
    if (a["arguments"].is_array()) {
      for (std::size_t i = 0; i < a["arguments"].size(); ++i)
        list += (i ? ", " : "") + quoted(a["arguments"][i]);
    } else {
      list = "NULL";
    }
    parts.push_back(list == "NULL" ? list : list + "]");
    for (std::size_t i = 0; i < parts.size(); ++i) args += (i ? ", " : "") + parts[i];
  } else if (name == "MountFolder") {
    args = fmt::format("session {}, {}, {}, {}, {}", a.value("session", 0LL),
                       quoted(a["windows_path"]), quoted(a["linux_path"]),
                       a.value("read_only", false) ? "read-only" : "read-write", quoted(a["name"]));
  } else if (name == "PluginError") {
    args = quoted(a["message"]);
  } else {
    std::string sep;
    for (const auto& [k, v] : a.items()) {
      args += sep + k + "=" + (v.is_string() ? quoted(v) : json_text(v));
      sep = ", ";
    }
  }
  std::string out = fmt::format("{}({}) -> {}", name, args, str(c["symbol"], str(c["hresult"])));
  const std::string thread = str(c["thread"]);
  if (thread != "hook") out += fmt::format("  [{} thread]", thread);
  return out;
}

void print_calls(const json& calls, std::string_view pad) {
  for (const auto& c : calls) {
    fmt::print("{}{}\n", pad, call_text(c));
    if (c["note"].is_string()) fmt::print("{}  {}\n", pad, c["note"].get<std::string>());
    if (c.contains("served_by") && c["served_by"].is_string() && c["served_by"] != "refused") {
      if (c["output"].is_string() && !c["output"].get<std::string>().empty())
        fmt::print("{}", indent(c["output"].get<std::string>(), std::string(pad) + "  | "));
      if (c["exit_code"].is_number())
        fmt::print("{}  {} exited with {}\n", pad,
                   c["served_by"] == "canned" ? "canned reply" : "process",
                   c["exit_code"].get<int>());
    }
  }
}

void print_wsl(const json& w, std::string_view pad) {
  if (!w.is_object()) return;
  if (w["fails"].get<bool>()) {
    fmt::print("{}WSL: {}\n", pad, str(w["effect"]));
    if (w["message"].is_string()) fmt::print("{}  {}\n", pad, w["message"].get<std::string>());
    if (w["error_code"].is_string())
      fmt::print("{}  Error code: {}\n", pad, w["error_code"].get<std::string>());
  } else {
    fmt::print("{}WSL: {}\n", pad, str(w["effect"]));
  }
  if (w["explanation"].is_string())
    fmt::print("{}doctor: {}\n", pad, w["explanation"].get<std::string>());
  if (w["fix"].is_string() && !w["fix"].get<std::string>().empty())
    fmt::print("{}  fix: {}\n", pad, w["fix"].get<std::string>());
}

std::string duration(const json& d) {
  if (!d.is_number()) return "-";
  const double v = d.get<double>();
  return v >= 1000 ? fmt::format("{:.2f} s", v / 1000) : fmt::format("{:.1f} ms", v);
}

void print_run(const json& r) {
  fmt::print("\nWSL {}: {}\n", r["wsl_version"].get<std::string>(),
             r["outcome"].get<std::string>());
  const json& load = r["load"];
  fmt::print("  load ({})  {}  {}\n", str(load["step"], "not reached"),
             str(load["symbol"], str(load["hresult"], "-")), duration(load["duration_ms"]));
  print_calls(load["api_calls"], "      ");
  print_wsl(load["wsl"], "      ");
  if (!r["hooks_set"].empty()) {
    std::string hooks;
    for (const auto& h : r["hooks_set"])
      hooks += (hooks.empty() ? "" : ", ") + h.get<std::string>();
    fmt::print("  hooks set: {}\n", hooks);
  }
  for (const auto& ev : r["events"]) {
    std::string label = ev["hook"].get<std::string>();
    if (ev["distribution"].is_string()) label += "(" + ev["distribution"].get<std::string>() + ")";
    if (ev["iteration"].get<int>() > 1) label += fmt::format(" #{}", ev["iteration"].get<int>());
    fmt::print("  {:<40} {:<22} {}{}\n", label,
               ev["hresult"].is_null() ? "(did not return)" : str(ev["symbol"], str(ev["hresult"])),
               duration(ev["duration_ms"]), ev["slow"].get<bool>() ? "  SLOW (> 10 s)" : "");
    print_calls(ev["api_calls"], "      ");
    if (ev["plugin_error"].is_string())
      fmt::print("      PluginError text: {}\n", ev["plugin_error"].get<std::string>());
    if (ev["expect"].is_string())
      fmt::print("      expected {}: {}\n", ev["expect"].get<std::string>(),
                 ev["expectation_met"].is_boolean() && ev["expectation_met"].get<bool>()
                     ? "met"
                     : "NOT met");
    print_wsl(ev["wsl"], "      ");
  }
  if (!r["late_api_calls"].empty()) {
    fmt::print("  calls made while no hook ran:\n");
    print_calls(r["late_api_calls"], "      ");
  }
  if (r["crash"].is_object()) {
    const json& c = r["crash"];
    fmt::print("  CRASH in {}: {}\n", str(c["hook"], "the plugin"), str(c["description"]));
    if (c["code"].is_string())
      fmt::print("      exception {} {} at {}+{} ({} thread)\n", c["code"].get<std::string>(),
                 str(c["name"], ""), str(c["module"], "?"), str(c["offset"], "?"),
                 str(c["thread"]));
    fmt::print("      WSL: {}\n", str(c["wsl_effect"]));
  }
  if (r["abi_violation"].is_object()) {
    fmt::print("  ABI VIOLATION: {}\n", r["abi_violation"]["message"].get<std::string>());
    fmt::print("      in {} ({} thread), at {}+{}\n", str(r["abi_violation"]["hook"]),
               str(r["abi_violation"]["thread"]), str(r["abi_violation"]["module"], "?"),
               str(r["abi_violation"]["module_offset"], "?"));
  }
  if (r["hang"].is_object())
    fmt::print("  HANG: {} did not return within {} s; the host was killed\n",
               r["hang"]["hook"].get<std::string>(), r["hang"]["seconds"].get<int>());
  if (!r["dmesg"].get<std::string>().empty()) {
    fmt::print("  dmesg (stderr of the Linux processes):\n");
    fmt::print("{}", indent(r["dmesg"].get<std::string>(), "      "));
  }
  if (!r["output"].get<std::string>().empty()) {
    fmt::print("  plugin output (stdout/stderr):\n");
    fmt::print("{}", indent(r["output"].get<std::string>(), "      "));
  }
  if (!r["files"].empty()) {
    fmt::print("  files written on C:\\:\n");
    for (const auto& f : r["files"])
      fmt::print("      {} ({} bytes, {})  {}\n", f["path"].get<std::string>(),
                 f["size"].get<std::uintmax_t>(), f["change"].get<std::string>(),
                 f["host_path"].get<std::string>());
  }
  for (const auto& p : r["problems"]) {
    if (p["severity"] == "warning")
      fmt::print("  warning [{}]: {}\n      fix: {}\n", p["id"].get<std::string>(),
                 p["message"].get<std::string>(), p["fix"].get<std::string>());
  }
  if (r["error"].is_object())
    fmt::print("  harness error: {}\n      fix: {}\n", str(r["error"]["message"]),
               str(r["error"]["fix"], ""));
  fmt::print("  result: {} ({})\n", r["ok"].get<bool>() ? "ok" : "FAIL",
             r["summary"].get<std::string>());
}

// The signature check (WinVerifyTrust in official WSL builds), made once before the versions.
void print_signature(const json& s) {
  if (!s.is_object()) return;
  std::string roots;
  for (const auto& r : s["trusted_roots"]) roots += (roots.empty() ? "" : ", ") + str(r);
  if (roots.empty()) roots = "this system's trust store";
  const std::string status = str(s["status"]);
  if (status == "trusted") {
    fmt::print("signature: ok (signer {}; trusted roots: {})\n", str(s["signer"], "?"), roots);
  } else if (status == "unsigned-allowed") {
    fmt::print("signature: none (--allow-unsigned)\n  warning [{}]: {}\n      fix: {}\n",
               str(s["warning"]["id"]), str(s["warning"]["message"]), str(s["warning"]["fix"]));
  } else {
    fmt::print("signature: refused: {} (trusted roots: {})\n", str(s["symbol"]), roots);
  }
}

// What the run keeps between runs, and where (--fresh-prefix starts again).
void print_state(const json& s) {
  if (!s.is_object()) return;
  std::string keeps;
  for (const auto& k : s["keeps"]) keeps += (keeps.empty() ? "" : "; ") + str(k);
  fmt::print("state: {}{} (kept: {}); prefix {}{}\n", str(s["dir"], "none"),
             s["fresh"].get<bool>() ? ", fresh" : "", keeps.empty() ? "nothing" : keeps,
             str(s["prefix"], "none"), s["prefix_shared"].get<bool>() ? " (shared)" : "");
}

void print_report(const json& doc) {
  const json& host = doc["host"];
  fmt::print("wslplug run: plugin '{}' ({}), host {}{}\n", doc["plugin"]["name"].get<std::string>(),
             doc["plugin"]["file"].get<std::string>(), host["kind"].get<std::string>(),
             host["wine_version"].is_string() ? " " + host["wine_version"].get<std::string>() : "");
  print_signature(doc.value("signature", json(nullptr)));
  print_state(doc.value("state", json(nullptr)));
  for (const auto& r : doc["runs"]) print_run(r);
  if (doc["runs"].size() > 1) {
    fmt::print("\n{:<10} {:<20} {}\n", "WSL", "outcome", "summary");
    for (const auto& r : doc["runs"])
      fmt::print("{:<10} {:<20} {}\n", r["wsl_version"].get<std::string>(),
                 r["outcome"].get<std::string>(), r["summary"].get<std::string>());
  }
  fmt::print("\n{}\n",
             doc["ok"].get<bool>()
                 ? "OK: WSL would load the plugin and every hook that can fail succeeded"
                 : "FAIL: WSL would fail, crash or hang because of this plugin (see above)");
}

}  // namespace

int run_plugin(const RunFlags& f, const json* extra) {
  auto fail_with = [&](const Error& e) {
    if (f.json) {
      json doc = {{"schema", 1},
                  {"ok", false},
                  {"exit_code", exit_code(e.kind)},
                  {"error", error_json(e)},
                  {"plugin", nullptr},
                  {"host", nullptr},
                  {"options", nullptr},
                  {"signature", nullptr},
                  {"state", nullptr},
                  {"distributions", json::array()},
                  {"runs", json::array()}};
      if (extra) doc.update(*extra);
      print_json(doc);
      return exit_code(e.kind);
    }
    return report(e);
  };
  host::Options o;
  // The project (wslplug.json in -C DIR or a parent): its built DLL, its registry value name,
  // its certificate and its own state folder.
  auto project = project::find_project(f.dir);
  if (!project) return fail_with(project.error());
  // The plugin and its name.
  if (!f.dll.empty()) {
    o.dll = fs::absolute(f.dll).lexically_normal();
    o.plugin_name = o.dll.stem().string();
    if (*project && project::is_project_dll((*project)->manifest, o.dll))
      o.plugin_name = project::registry_name((*project)->manifest);
  } else {
    if (!*project)
      return fail_with(Error{ErrorKind::kInput,
                             "no PLUGIN.dll given and no project here or in a parent folder",
                             fs::absolute(f.dir).string(),
                             {},
                             "give the DLL (wslplug run build/x86_64-release/my_plugin.dll) or run "
                             "in a project folder made by wslplug new"});
    auto built = project::built_dll((*project)->manifest, (*project)->dir);
    if (!built)
      return fail_with(Error{built.error().kind,
                             built.error().message,
                             built.error().file,
                             {},
                             "build it first: wslplug build --run (builds, then runs)"});
    o.dll = *built;
    o.plugin_name = project::registry_name((*project)->manifest);
  }
  if (!f.name.empty()) o.plugin_name = f.name;
  // What runs keep: the project's own folder; outside a project, the plugin name's (as before:
  // the host's default).
  auto state_dir_or = *project ? project::run_state_dir((*project)->manifest, (*project)->dir)
                               : project::run_state_dir_for_name(o.plugin_name);
  if (!state_dir_or) return fail_with(state_dir_or.error());
  const fs::path state_dir = *state_dir_or;
  if (*project) o.state_dir = state_dir;
  o.own_prefix = *project && f.no_sandbox;
  o.fresh = f.fresh_prefix;
  for (const auto& v : f.versions) {
    auto parsed = host::parse_wsl_version(v);
    if (!parsed) return fail_with(parsed.error());
    if (std::find(o.versions.begin(), o.versions.end(), *parsed) == o.versions.end())
      o.versions.push_back(*parsed);
  }
  if (f.repeat < 1 || f.repeat > 100)
    return fail_with(Error{ErrorKind::kInput,
                           fmt::format("--repeat {} is out of range", f.repeat),
                           {},
                           "--repeat",
                           "give 1 to 100"});
  if (f.hook_timeout < 1 || f.hook_timeout > 3600)
    return fail_with(Error{ErrorKind::kInput,
                           fmt::format("--hook-timeout {} is out of range", f.hook_timeout),
                           {},
                           "--hook-timeout",
                           "give 1 to 3600 seconds"});
  if (f.max_processes < 16 || f.max_processes > 65536)
    return fail_with(Error{ErrorKind::kInput,
                           fmt::format("--max-processes {} is out of range", f.max_processes),
                           {},
                           "--max-processes",
                           "give 16 to 65536"});
  if (f.no_exec && f.no_sandbox)
    return fail_with(
        Error{ErrorKind::kInput,
              "--no-exec cannot be kept without the sandbox: only the sandbox can stop "
              "the plugin from starting programs itself (wine runs Linux programs too)",
              {},
              "--no-exec",
              "drop --no-sandbox (the sandbox needs user namespaces), or drop "
              "--no-exec"});
  o.repeat = f.repeat;
  o.concurrent_distributions = f.concurrent_distributions;
  o.no_exec = f.no_exec;
  o.sandbox = !f.no_sandbox;
  o.network = !f.no_network;
  o.max_processes = f.max_processes;
  o.null_strings = f.null_strings;
  o.hook_timeout_s = f.hook_timeout;
  o.distributions = host::default_distributions();
  if (!f.scenario.empty()) {
    if (f.repeat != 1)
      return fail_with(Error{ErrorKind::kInput,
                             "--repeat cannot be combined with --scenario",
                             {},
                             "--repeat",
                             "repeat the events in the scenario file instead"});
    if (f.concurrent_distributions)
      return fail_with(Error{ErrorKind::kInput,
                             "--concurrent-distributions cannot be combined with --scenario",
                             {},
                             "--concurrent-distributions",
                             "group the events to run at the same time in the scenario file: "
                             "{\"together\": [EVENT, EVENT, ...]} (docs/run.md)"});
    auto text = read_text_file(f.scenario, 4u << 20);
    if (!text) return fail_with(text.error());
    auto scenario = host::parse_scenario(*text, f.scenario);
    if (!scenario) return fail_with(scenario.error());
    if (scenario->distributions) o.distributions = *scenario->distributions;
    o.events = scenario->events;
    o.commands = scenario->commands;
    o.vm_flags = scenario->vm_flags;
    if (scenario->wslc_session) o.wslc_session = *scenario->wslc_session;
    o.scenario_file = fs::absolute(f.scenario).lexically_normal().string();
  }
  for (const auto& spec : f.distros)
    if (auto ok = host::apply_distro_spec(o.distributions, spec); !ok) return fail_with(ok.error());
  o.progress = [](std::string_view line) { note(line); };
  // The signature's trusted roots: --ca, and the project's certificate (as build --sign uses).
  for (const auto& ca : f.cas) {
    std::error_code ca_ec;
    const std::string fix =
        "give a certificate file (PEM or DER), e.g. the cert.pem of wslplug cert new";
    if (!fs::is_regular_file(ca, ca_ec))
      return fail_with(Error{ErrorKind::kInput, "no such file", ca, "--ca", fix});
    if (auto cert = signing::load_trust_cert(ca); !cert)
      return fail_with(Error{ErrorKind::kInput, cert.error().message, ca, "--ca", fix});
    o.trusted_roots.push_back(fs::absolute(ca).lexically_normal());
  }
  if (*project)
    if (auto cert = project::existing_cert((*project)->manifest, (*project)->dir))
      o.trusted_roots.push_back(*cert);
  o.allow_unsigned = f.allow_unsigned;
  // Pre-checks of the input before anything starts.
  std::error_code ec;
  if (!fs::is_regular_file(o.dll, ec))
    return fail_with(Error{ErrorKind::kInput,
                           "no such file",
                           o.dll.string(),
                           {},
                           "give the plugin DLL (wslplug build prints where it is)"});
  if (f.no_sandbox)
    note(
        "warning: --no-sandbox: the plugin and the processes it starts run with your rights and "
        "see your files; run only plugins you trust this way");
  if (o.fresh) {
    if (auto reset = host::reset_state(state_dir); !reset) return fail_with(reset.error());
    note(fmt::format("--fresh-prefix: removed what earlier runs kept in {}", state_dir.string()));
  }
  // --no-sandbox in a project: a wine prefix of the project's own, since the plugin writes in it.
  auto environment = host::prepare_environment(o.progress, /*warm_wineserver=*/f.no_sandbox,
                                               o.own_prefix ? o.state_dir / "wine" : fs::path());
  if (!environment) return fail_with(environment.error());
  auto doc = host::run(o, *environment);
  if (!doc) return fail_with(doc.error());
  if (extra) doc->update(*extra);
  const int rc = (*doc)["exit_code"].get<int>();
  if (f.json) {
    print_json(*doc);
  } else {
    print_report(*doc);
    if (rc == kExitIo && (*doc)["error"].is_object())
      report(Error{ErrorKind::kIo,
                   str((*doc)["error"]["message"]),
                   {},
                   {},
                   str((*doc)["error"]["fix"], "")});
  }
  return rc;
}

Runner setup_run(CLI::App& root) {
  auto f = std::make_shared<RunFlags>();
  auto* cmd = root.add_subcommand(
      "run",
      "Load the plugin in a faithful WSL plugin host (under wine) and drive its lifecycle with "
      "real Linux processes: shows every hook's result, API call, crash, hang and ABI "
      "violation, and what WSL would print.");
  cmd->add_option("PLUGIN.dll", f->dll,
                  "The plugin DLL (default: the project's built DLL in -C DIR)");
  cmd->add_option("-C,--dir", f->dir, "Project directory when no DLL is given (default: .)")
      ->option_text("DIR");
  cmd->add_option("--wsl-version", f->versions,
                  "WSL version to emulate, X.Y.Z (X.Y means X.Y.0); repeatable (default: 2.0.5 "
                  "2.1.3 2.4.4 2.9.5)")
      ->option_text("X.Y.Z")
      ->allow_extra_args(false);
  cmd->add_option("--distro", f->distros,
                  "Add or replace a distribution: 'NAME[,package=PFN][,flavor=F|NULL]"
                  "[,version=V|NULL][,guid=G][,rootfs=PATH]' (rootfs: a folder or a tarball such "
                  "as wsl --export writes); repeatable")
      ->option_text("SPEC")
      ->allow_extra_args(false);
  cmd->add_option("--scenario", f->scenario,
                  "JSON scenario file (events, data, expectations, "
                  "canned command replies; docs/run.md)")
      ->option_text("FILE");
  cmd->add_option("--repeat", f->repeat,
                  "Run the distributions' start/stop pair N times (default 1)")
      ->option_text("N");
  cmd->add_flag("--concurrent-distributions", f->concurrent_distributions,
                "Start (and stop) the distributions of each round at the same time, each "
                "on its own service thread, as WSL does for two `wsl -d` at once");
  cmd->add_flag("--no-exec", f->no_exec,
                "No Linux process at all: refuse every ExecuteBinary, "
                "ExecuteBinaryInDistribution and WSLCCreateProcess with E_FAIL, and let "
                "nothing the plugin starts execute a program (Linux or Windows)");
  cmd->add_flag("--no-sandbox", f->no_sandbox,
                "Run the plugin host and its processes on this machine with your rights "
                "(no VM: nothing is mounted, distributions are made-up numbers); for machines "
                "without user namespaces");
  cmd->add_flag("--no-network", f->no_network,
                "The VM gets a network of its own with loopback only (default: this machine's "
                "network, as WSL's VM has one)");
  cmd->add_option("--max-processes", f->max_processes,
                  "Most processes the run may have at once, Windows and Linux (default 1024)")
      ->option_text("N");
  cmd->add_flag("--null-strings", f->null_strings,
                "Pass NULL PackageFamilyName (the header's contract) instead of \"\" (what WSL "
                "passes today)");
  cmd->add_option("--hook-timeout", f->hook_timeout,
                  "Seconds before a hook that has not returned counts as a hang (default 30)")
      ->option_text("SECONDS");
  cmd->add_option("--name", f->name,
                  "Plugin name in WSL's messages (default: the project's registry value name, "
                  "else the DLL's stem)")
      ->option_text("NAME");
  cmd->add_option("--ca", f->cas,
                  "Trust this root certificate (PEM or DER) for the signature check that "
                  "official WSL builds make before loading; repeatable, with the project's "
                  ".wslplug/cert.pem in a project (neither: this system's trust store)")
      ->option_text("FILE")
      ->allow_extra_args(false);
  cmd->add_flag("--allow-unsigned", f->allow_unsigned,
                "Run an unsigned DLL anyway, with a warning (official WSL builds refuse it "
                "with TRUST_E_NOSIGNATURE)");
  cmd->add_flag("--fresh-prefix", f->fresh_prefix,
                "Start from a fresh state: remove what earlier runs kept (the project's folder "
                "under the cache, runs/NAME-HASH: the files the plugin wrote, and with "
                "--no-sandbox its own wine prefix) before running");
  cmd->add_flag("--json", f->json, "Print one JSON document (docs/run-json.md) on stdout");
  set_examples(cmd, {"wslplug run build/x86_64-release/my_plugin.dll",
                     "wslplug run my.dll --ca certs/cert.pem     # signed with that certificate",
                     "wslplug run my.dll --allow-unsigned        # an unsigned development build",
                     "wslplug run                       # in a project folder: its built DLL",
                     "wslplug -C my-plugin run --fresh-prefix   # forget what earlier runs kept",
                     "wslplug run my.dll --wsl-version 2.4.4 --null-strings",
                     "wslplug run my.dll --distro 'Store,package=Canonical.Ubuntu_79rhkp1fndgsc'",
                     "wslplug run my.dll --scenario deny-unpackaged.json --json",
                     "wslplug build --run               # build, then run"});
  set_exit_codes(cmd, {{0, "WSL would load the plugin and every hook that can fail WSL succeeded"},
                       {1, "WSL would fail, crash or hang because of the plugin"},
                       {3,
                        "the harness failed (no host program, no wine: the fix names the "
                        "package)"}});
  // `run --json` promises one document of one shape whatever the mistake.
  set_json_error_shape(cmd, [](nlohmann::json doc) {
    for (const char* member : {"plugin", "host", "options", "signature", "state"})
      doc[member] = nullptr;
    doc["distributions"] = nlohmann::json::array();
    doc["runs"] = nlohmann::json::array();
    return doc;
  });
  return [f] { return run_plugin(*f); };
}

}  // namespace wslplug::cli
