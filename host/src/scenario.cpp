// WSL versions, the ABI tables by version, distributions (--distro) and scenario files.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include "wslplug/core/text.hpp"
#include "wslplug/doctor/errors.hpp"
#include "wslplug/host/run.hpp"

namespace wslplug::host {

Result<WslVersion> parse_wsl_version(std::string_view text, std::string_view where) {
  if (auto v = abi::parse_version(text)) return *v;
  return input_error(fmt::format("'{}' is not a WSL version", printable(text)), {},
                     std::string(where),
                     fmt::format("give {}, e.g. {} 2.4.4 or {} 2.4 (the numbers of `wsl "
                                 "--version`'s first line)",
                                 abi::kVersionForms, where, where));
}

std::vector<WslVersion> default_versions() { return {{2, 0, 5}, {2, 1, 3}, {2, 4, 4}, {2, 9, 5}}; }

namespace {

// The report's short names for the two tables of function pointers.
std::string_view abi_table_name(std::string_view table) {
  if (table == "api") return abi::kApiTable;
  if (table == "hooks") return abi::kHookTable;
  return table;
}

}  // namespace

std::span<const AbiField> abi_fields(std::string_view table) {
  return abi::fields(abi_table_name(table));
}

unsigned abi_size(std::string_view table, WslVersion version) {
  return abi::size_at(abi_table_name(table), version);
}

std::vector<std::string_view> hook_slots(WslVersion version) {
  std::vector<std::string_view> out;
  for (const abi::Hook& h : abi::kHooks)
    if (h.since <= version) out.push_back(h.name);
  return out;
}

// ------------------------------------------------------------------ distributions
std::vector<Distribution> default_distributions() {
  Distribution ubuntu{"Ubuntu",     "{8a2f4c1e-5b7d-4e0a-9c3b-1d6e2f7a8b90}",
                      std::nullopt, "ubuntu",
                      "24.04",      std::nullopt,
                      4026532281,   1841};
  Distribution bare{"bare",       "{3c9d1e7f-2a4b-4c6d-8e0f-5a7b9c1d3e5f}",
                    std::nullopt, std::nullopt,
                    std::nullopt, std::nullopt,
                    4026532345,   2210};
  return {ubuntu, bare};
}

std::optional<std::string> normalize_guid(std::string_view text) {
  std::string_view s = text;
  if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
  if (s.size() != 36) return std::nullopt;
  std::string out = "{";
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool dash = (i == 8 || i == 13 || i == 18 || i == 23);
    if (dash) {
      if (c != '-') return std::nullopt;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  out.push_back('}');
  return out;
}

namespace {

// A stable GUID derived from a name (FNV-1a), for distributions given without one.
std::string guid_from_name(std::string_view name) {
  std::uint64_t h1 = 1469598103934665603ull, h2 = 1099511628211ull ^ 0x9e3779b97f4a7c15ull;
  for (unsigned char c : name) {
    h1 = (h1 ^ c) * 1099511628211ull;
    h2 = (h2 ^ c) * 0x100000001b3ull + 0x7f4a7c15u;
  }
  return fmt::format("{{{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}}}", h1 >> 32, (h1 >> 16) & 0xffff,
                     h1 & 0xfff, 0x8000 | (h2 >> 48 & 0x3fff), h2 & 0xffffffffffffull);
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

Status apply_distro_spec(std::vector<Distribution>& distributions, std::string_view spec) {
  const std::string where = fmt::format("--distro '{}'", printable(spec));
  std::vector<std::string_view> parts;
  for (size_t i = 0;;) {
    const size_t comma = spec.find(',', i);
    parts.push_back(
        spec.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i));
    if (comma == std::string_view::npos) break;
    i = comma + 1;
  }
  const std::string name = trim(parts[0]);
  if (!valid_name(name))
    return input_error(
        "the distribution name must be 1-64 letters, digits, '-', '_' or '.'", {}, where,
        "use --distro "
        "'NAME[,package=PFN][,flavor=F|NULL][,version=V|NULL][,guid=G][,rootfs=PATH]'");
  auto it = std::find_if(distributions.begin(), distributions.end(),
                         [&](const Distribution& d) { return iequals(d.name, name); });
  Distribution d;
  if (it != distributions.end()) {
    d = *it;
    d.name = name;
  } else {
    d.name = name;
    d.guid = guid_from_name(name);
    d.pid_namespace = 4026532400 + distributions.size();
    d.init_pid = static_cast<std::uint32_t>(2300 + 17 * distributions.size());
  }
  std::set<std::string> seen;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    const size_t eq = part.find('=');
    const std::string key = ascii_lower(trim(part.substr(0, eq)));
    if (eq == std::string_view::npos || key.empty())
      return input_error(fmt::format("'{}' is not KEY=VALUE", printable(part)), {}, where,
                         "keys: package, flavor, version, guid, rootfs");
    if (!seen.insert(key).second)
      return input_error(fmt::format("'{}' is given twice", key), {}, where, "give each key once");
    const std::string value(part.substr(eq + 1));
    const bool is_null = value == "NULL";
    if (key == "package") {
      d.package = value;
    } else if (key == "flavor") {
      d.flavor = is_null ? std::nullopt : std::optional<std::string>(value);
    } else if (key == "version") {
      d.version = is_null ? std::nullopt : std::optional<std::string>(value);
    } else if (key == "rootfs") {
      if (value.empty())
        return input_error("rootfs= needs a folder or a tarball", {}, where,
                           "give the path of a root file system (wsl --export, docker export)");
      d.rootfs = fs::absolute(value).string();
    } else if (key == "guid") {
      auto guid = normalize_guid(value);
      if (!guid)
        return input_error(fmt::format("'{}' is not a GUID", printable(value)), {}, where,
                           "write it as {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}");
      d.guid = *guid;
    } else {
      return input_error(fmt::format("unknown key '{}'", printable(key)), {}, where,
                         "keys: package, flavor, version, guid, rootfs");
    }
  }
  for (const Distribution& other : distributions)
    if (!iequals(other.name, name) && other.guid == d.guid)
      return input_error(fmt::format("GUID {} is already used by '{}'", d.guid, other.name), {},
                         where, "give each distribution its own guid=");
  if (it != distributions.end())
    *it = d;
  else
    distributions.push_back(d);
  return {};
}

// ------------------------------------------------------------------ scenarios
namespace {

bool has_argument(std::string_view hook) {
  const abi::Hook* h = abi::find_hook(hook);
  return h && h->params == abi::Params::kWslcArg;
}
constexpr std::array<std::string_view, 6> kEventFields{"Name",    "PackageFamilyName", "Flavor",
                                                       "Version", "PidNamespace",      "InitPid"};

bool is_distribution_hook(std::string_view hook) {
  const abi::Hook* h = abi::find_hook(hook);
  return h && (h->params == abi::Params::kDistribution || h->params == abi::Params::kOffline);
}

// "A, B, C": the hooks that pass `keep`.
template <typename Keep>
std::string hook_list(Keep keep) {
  std::string out;
  for (const abi::Hook& h : abi::kHooks)
    if (keep(h)) out += (out.empty() ? "" : ", ") + std::string(h.name);
  return out;
}

using json = nlohmann::json;

struct Ctx {
  const std::string& file;
  std::unexpected<Error> err(const std::string& path, const std::string& message,
                             const std::string& fix = {}) const {
    return input_error(message, file, path, fix.empty() ? "see docs/run.md (Scenario files)" : fix);
  }
};

Status only_keys(const Ctx& c, const json& obj, const std::string& path,
                 std::initializer_list<std::string_view> keys) {
  for (const auto& [k, v] : obj.items()) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      std::string list;
      for (auto key : keys) list += (list.empty() ? "" : ", ") + std::string(key);
      return c.err(path, fmt::format("unknown key '{}'", printable(k)), "known keys: " + list);
    }
  }
  return {};
}

Result<std::optional<std::string>> nullable_string(const Ctx& c, const json& v,
                                                   const std::string& path) {
  if (v.is_null()) return std::optional<std::string>();
  if (!v.is_string()) return c.err(path, "must be a string or null");
  return std::optional<std::string>(v.get<std::string>());
}

Result<std::uint32_t> parse_hresult_text(std::string_view text) {
  if (auto value = doctor::symbol_value(text)) return *value;
  std::string_view s = text;
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  std::uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size())
    return input_error(fmt::format("'{}' is not an HRESULT", printable(text)));
  return v;
}

// The document, or where its JSON syntax breaks.
Result<json> parse_document(std::string_view text, const std::string& file) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    // Find the position for the message.
    try {
      const json again = json::parse(text);
      (void)again;
    } catch (const json::parse_error& e) {
      return input_error(fmt::format("not valid JSON: {}", e.what()), file,
                         offset_str(e.byte > 0 ? e.byte - 1 : 0), "fix the JSON syntax");
    }
    return input_error("not valid JSON", file, {}, "fix the JSON syntax");
  }
  return doc;
}

// distributions[i]; `earlier` are the ones before it (names must be unique).
Result<Distribution> parse_distribution(const Ctx& c, const json& d, size_t i,
                                        const std::vector<Distribution>& earlier) {
  const std::string path = fmt::format("distributions[{}]", i);
  if (!d.is_object()) return c.err(path, "must be an object");
  if (auto ok = only_keys(
          c, d, path,
          {"name", "guid", "package", "flavor", "version", "rootfs", "pid_namespace", "init_pid"});
      !ok)
    return std::unexpected(ok.error());
  if (!d.contains("name") || !d["name"].is_string() || !valid_name(d["name"].get<std::string>()))
    return c.err(path + ".name", "required: 1-64 letters, digits, '-', '_' or '.'");
  Distribution dist;
  dist.name = d["name"].get<std::string>();
  for (const Distribution& other : earlier)
    if (iequals(other.name, dist.name))
      return c.err(path + ".name", fmt::format("'{}' is given twice", dist.name));
  dist.guid = guid_from_name(dist.name);
  dist.pid_namespace = 4026532400 + i;
  dist.init_pid = static_cast<std::uint32_t>(2300 + 17 * i);
  if (d.contains("guid")) {
    auto g = d["guid"].is_string() ? normalize_guid(d["guid"].get<std::string>()) : std::nullopt;
    if (!g) return c.err(path + ".guid", "must be a GUID string {xxxxxxxx-xxxx-...}");
    dist.guid = *g;
  }
  for (auto [key, field] : {std::pair{"package", &dist.package}, std::pair{"flavor", &dist.flavor},
                            std::pair{"version", &dist.version}}) {
    if (!d.contains(key)) continue;
    auto v = nullable_string(c, d[key], path + "." + key);
    if (!v) return std::unexpected(v.error());
    *field = *v;
  }
  if (d.contains("rootfs")) {
    if (!d["rootfs"].is_string() || d["rootfs"].get<std::string>().empty())
      return c.err(path + ".rootfs", "must be the path of a folder or a tarball");
    // Relative to the scenario file's folder.
    fs::path root = d["rootfs"].get<std::string>();
    if (root.is_relative() && !c.file.empty()) root = fs::path(c.file).parent_path() / root;
    dist.rootfs = fs::absolute(root).lexically_normal().string();
  }
  if (d.contains("pid_namespace")) {
    if (!d["pid_namespace"].is_number_unsigned())
      return c.err(path + ".pid_namespace", "must be a non-negative integer");
    dist.pid_namespace = d["pid_namespace"].get<std::uint64_t>();
  }
  if (d.contains("init_pid")) {
    if (!d["init_pid"].is_number_unsigned() || d["init_pid"].get<std::uint64_t>() > 0xffffffffu)
      return c.err(path + ".init_pid", "must be an integer 0..4294967295");
    dist.init_pid = d["init_pid"].get<std::uint32_t>();
  }
  return dist;
}

Result<std::vector<Distribution>> parse_distributions(const Ctx& c, const json& list) {
  if (!list.is_array()) return c.err("distributions", "must be an array");
  std::vector<Distribution> out;
  for (size_t i = 0; i < list.size(); ++i) {
    auto dist = parse_distribution(c, list[i], i, out);
    if (!dist) return std::unexpected(dist.error());
    out.push_back(*dist);
  }
  return out;
}

// vm_settings: the CustomConfigurationFlags bits OnVMStarted gets.
Status parse_vm_settings(const Ctx& c, const json& v, int& flags) {
  if (!v.is_object()) return c.err("vm_settings", "must be an object");
  if (auto ok = only_keys(c, v, "vm_settings", {"custom_kernel", "custom_kernel_command_line"});
      !ok)
    return std::unexpected(ok.error());
  for (auto [key, bit] :
       {std::pair{"custom_kernel", 1}, std::pair{"custom_kernel_command_line", 2}}) {
    if (!v.contains(key)) continue;
    if (!v[key].is_boolean())
      return c.err(std::string("vm_settings.") + key, "must be true or false");
    if (v[key].get<bool>()) flags |= bit;
  }
  return {};
}

// events[i].fields: the struct values a distribution hook passes instead of the defaults.
Status parse_event_fields(const Ctx& c, const json& f, const std::string& path, ScenarioEvent& ev) {
  if (!f.is_object()) return c.err(path + ".fields", "must be an object");
  if (!is_distribution_hook(ev.hook)) return c.err(path + ".fields", ev.hook + " has no fields");
  for (const auto& [k, v] : f.items()) {
    if (std::find(kEventFields.begin(), kEventFields.end(), k) == kEventFields.end())
      return c.err(path + ".fields." + k, "unknown field",
                   "fields: Name, PackageFamilyName, Flavor, Version, PidNamespace, InitPid");
    if (k == "PidNamespace" || k == "InitPid") {
      if (!v.is_number_unsigned())
        return c.err(path + ".fields." + k, "must be a non-negative integer");
      ev.fields[k] = std::to_string(v.get<std::uint64_t>());
    } else {
      auto value = nullable_string(c, v, path + ".fields." + k);
      if (!value) return std::unexpected(value.error());
      ev.fields[k] = *value;
    }
  }
  return {};
}

Result<ScenarioEvent> parse_event(const Ctx& c, const json& e, const std::string& path) {
  if (!e.is_object()) return c.err(path, "must be an object");
  if (auto ok = only_keys(c, e, path,
                          {"hook", "distribution", "expect", "fields", "iteration", "argument"});
      !ok)
    return std::unexpected(ok.error());
  ScenarioEvent ev;
  if (!e.contains("hook") || !e["hook"].is_string() ||
      !abi::find_hook(e["hook"].get<std::string>()))
    return c.err(path + ".hook",
                 fmt::format("required: {}, or a WSLC hook: {}",
                             hook_list([](const abi::Hook& h) { return !h.wslc(); }),
                             hook_list([](const abi::Hook& h) { return h.wslc(); })));
  ev.hook = e["hook"].get<std::string>();
  if (e.contains("argument")) {
    if (!has_argument(ev.hook))
      return c.err(path + ".argument", ev.hook + " has no argument",
                   "argument is for " + hook_list([](const abi::Hook& h) {
                     return h.params == abi::Params::kWslcArg;
                   }));
    const json& a = e["argument"];
    if (a.is_object() || a.is_array())
      ev.argument = FieldValue(a.dump());
    else if (a.is_string())
      ev.argument = FieldValue(a.get<std::string>());
    else if (a.is_null())
      ev.argument = FieldValue();
    else
      return c.err(path + ".argument",
                   "must be a JSON object (the inspect document), a string "
                   "or null");
  }
  if (is_distribution_hook(ev.hook)) {
    if (!e.contains("distribution") || !e["distribution"].is_string())
      return c.err(path + ".distribution", "required for " + ev.hook + ": a distribution name");
    // The name is checked against the distributions when the run starts (--distro adds some).
    ev.distribution = e["distribution"].get<std::string>();
  } else if (e.contains("distribution")) {
    return c.err(path + ".distribution", ev.hook + " has no distribution");
  }
  if (e.contains("iteration")) {
    if (!e["iteration"].is_number_unsigned()) return c.err(path + ".iteration", "must be >= 1");
    ev.iteration = std::max(1, e["iteration"].get<int>());
  }
  if (e.contains("expect")) {
    if (!e["expect"].is_string()) return c.err(path + ".expect", "must be a string");
    const std::string x = e["expect"].get<std::string>();
    if (x != "success" && x != "failure" && x != "any" && !parse_hresult_text(x))
      return c.err(path + ".expect",
                   fmt::format("'{}' is not success, failure, any or an HRESULT", printable(x)));
    ev.expect = x;
  }
  if (e.contains("fields"))
    if (auto ok = parse_event_fields(c, e["fields"], path, ev); !ok)
      return std::unexpected(ok.error());
  return ev;
}

// events[i] = {"together": [EVENT, EVENT, ...]}: distribution hooks WSL's service threads call at
// the same time (two `wsl -d` at once); each event gets `group`.
Status parse_group(const Ctx& c, const json& e, const std::string& path, int group,
                   std::vector<ScenarioEvent>& out) {
  if (auto ok = only_keys(c, e, path, {"together"}); !ok) return std::unexpected(ok.error());
  const json& list = e["together"];
  const std::string fix =
      "e.g. {\"together\": [{\"hook\": \"OnDistributionStarted\", \"distribution\": "
      "\"Ubuntu\"}, {\"hook\": \"OnDistributionStarted\", \"distribution\": \"bare\"}]}";
  if (!list.is_array() || list.size() < 2)
    return c.err(path + ".together", "must be an array of at least two events", fix);
  std::vector<ScenarioEvent> group_events;
  for (size_t j = 0; j < list.size(); ++j) {
    const std::string at = fmt::format("{}.together[{}]", path, j);
    if (list[j].is_object() && list[j].contains("together"))
      return c.err(at, "groups cannot be nested", fix);
    auto ev = parse_event(c, list[j], at);
    if (!ev) return std::unexpected(ev.error());
    if (!is_distribution_hook(ev->hook))
      return c.err(at + ".hook",
                   ev->hook +
                       " cannot run in a group: a group holds distribution hooks only "
                       "(OnDistributionStarted, OnDistributionStopping, "
                       "OnDistributionRegistered, OnDistributionUnregistered)",
                   fix);
    for (const ScenarioEvent& other : group_events) {
      if (iequals(other.distribution, ev->distribution))
        return c.err(at + ".distribution",
                     fmt::format("'{}' is already in this group: WSL calls one hook at a time "
                                 "for a distribution",
                                 printable(ev->distribution)),
                     "put the other hook of this distribution in its own event");
      if (other.iteration != ev->iteration)
        return c.err(at + ".iteration", "must be the same for every event of a group");
    }
    ev->group = group;
    group_events.push_back(std::move(*ev));
  }
  for (auto& ev : group_events) out.push_back(std::move(ev));
  return {};
}

Result<CannedCommand> parse_command(const Ctx& c, const json& cmd, size_t i) {
  const std::string path = fmt::format("commands[{}]", i);
  if (!cmd.is_object()) return c.err(path, "must be an object");
  if (auto ok = only_keys(c, cmd, path, {"path", "arguments", "stdout", "result"}); !ok)
    return std::unexpected(ok.error());
  CannedCommand cc;
  if (!cmd.contains("path") || !cmd["path"].is_string())
    return c.err(path + ".path", "required: the Linux path the plugin runs");
  cc.path = cmd["path"].get<std::string>();
  if (cmd.contains("arguments")) {
    const json& a = cmd["arguments"];
    if (!a.is_array() ||
        !std::all_of(a.begin(), a.end(), [](const json& x) { return x.is_string(); }))
      return c.err(path + ".arguments", "must be an array of strings");
    cc.arguments = a.get<std::vector<std::string>>();
  }
  if (cmd.contains("stdout")) {
    if (!cmd["stdout"].is_string()) return c.err(path + ".stdout", "must be a string");
    cc.stdout_text = cmd["stdout"].get<std::string>();
  }
  if (cmd.contains("result")) {
    if (!cmd["result"].is_string()) return c.err(path + ".result", "must be a string");
    auto hr = parse_hresult_text(cmd["result"].get<std::string>());
    if (!hr)
      return c.err(path + ".result", hr.error().message, "e.g. \"E_FAIL\" or \"0x80004005\"");
    cc.result = *hr;
  }
  return cc;
}

}  // namespace

Result<Scenario> parse_scenario(std::string_view text, const std::string& file) {
  const Ctx c{file};
  auto parsed = parse_document(text, file);
  if (!parsed) return std::unexpected(parsed.error());
  const json& doc = *parsed;
  if (!doc.is_object()) return c.err("(top level)", "must be a JSON object");
  if (auto ok = only_keys(
          c, doc, "(top level)",
          {"schema", "distributions", "vm_settings", "events", "commands", "wslc_session"});
      !ok)
    return std::unexpected(ok.error());
  if (doc.contains("schema") && doc["schema"] != 1)
    return c.err("schema", "unsupported schema (this wslplug reads schema 1)");
  Scenario s;
  if (doc.contains("distributions")) {
    auto list = parse_distributions(c, doc["distributions"]);
    if (!list) return std::unexpected(list.error());
    s.distributions = *list;
  }
  if (doc.contains("vm_settings"))
    if (auto ok = parse_vm_settings(c, doc["vm_settings"], s.vm_flags); !ok)
      return std::unexpected(ok.error());
  if (doc.contains("wslc_session")) {
    const json& w = doc["wslc_session"];
    if (!w.is_object()) return c.err("wslc_session", "must be an object");
    if (auto ok = only_keys(c, w, "wslc_session", {"id", "display_name", "application_pid"}); !ok)
      return std::unexpected(ok.error());
    WslcSession ws;
    if (w.contains("id")) {
      if (!w["id"].is_number_unsigned() || w["id"].get<std::uint64_t>() == 0 ||
          w["id"].get<std::uint64_t>() > 0xffffffffu)
        return c.err("wslc_session.id", "must be an integer 1..4294967295");
      ws.id = w["id"].get<std::uint32_t>();
    }
    if (w.contains("display_name")) {
      if (!w["display_name"].is_string())
        return c.err("wslc_session.display_name", "must be a string");
      ws.display_name = w["display_name"].get<std::string>();
    }
    if (w.contains("application_pid")) {
      if (!w["application_pid"].is_number_unsigned() ||
          w["application_pid"].get<std::uint64_t>() > 0xffffffffu)
        return c.err("wslc_session.application_pid", "must be an integer 0..4294967295");
      ws.application_pid = w["application_pid"].get<std::uint32_t>();
    }
    s.wslc_session = ws;
  }
  if (!doc.contains("events") || !doc["events"].is_array() || doc["events"].empty())
    return c.err("events", "required: a non-empty array of events");
  for (size_t i = 0; i < doc["events"].size(); ++i) {
    const json& e = doc["events"][i];
    const std::string path = fmt::format("events[{}]", i);
    if (e.is_object() && e.contains("together")) {
      if (auto ok = parse_group(c, e, path, static_cast<int>(i) + 1, s.events); !ok)
        return std::unexpected(ok.error());
      continue;
    }
    auto ev = parse_event(c, e, path);
    if (!ev) return std::unexpected(ev.error());
    s.events.push_back(std::move(*ev));
  }
  if (doc.contains("commands")) {
    const json& list = doc["commands"];
    if (!list.is_array()) return c.err("commands", "must be an array");
    for (size_t i = 0; i < list.size(); ++i) {
      auto cc = parse_command(c, list[i], i);
      if (!cc) return std::unexpected(cc.error());
      s.commands.push_back(std::move(*cc));
    }
  }
  return s;
}

std::vector<ScenarioEvent> default_events(const std::vector<Distribution>& distributions,
                                          int repeat, bool concurrent) {
  std::vector<ScenarioEvent> out;
  out.push_back({"OnVMStarted", {}, 1, {}, {}, {}, 0});
  for (const auto& d : distributions)
    out.push_back({"OnDistributionRegistered", d.name, 1, {}, {}, {}, 0});
  int group = 0;
  for (int i = 1; i <= std::max(1, repeat); ++i) {
    const int starts = concurrent ? ++group : 0;
    for (const auto& d : distributions)
      out.push_back({"OnDistributionStarted", d.name, i, {}, {}, {}, starts});
    const int stops = concurrent ? ++group : 0;
    for (const auto& d : distributions)
      out.push_back({"OnDistributionStopping", d.name, i, {}, {}, {}, stops});
  }
  out.push_back({"OnVMStopping", {}, 1, {}, {}, {}, 0});
  for (const auto& d : distributions)
    out.push_back({"OnDistributionUnregistered", d.name, 1, {}, {}, {}, 0});
  // A WSL Containers session: created, its VM started, an image pulled, a container run and
  // stopped, the image deleted, the VM stopped, the session stopped.
  for (std::string_view hook :
       {"OnSessionCreated", "WslcVmStarted", "ImageCreated", "ContainerStarted",
        "ContainerStopping", "ImageDeleted", "WslcVmStopping", "OnSessionStopping"}) {
    ScenarioEvent ev;
    ev.hook = std::string(hook);
    out.push_back(std::move(ev));
  }
  return out;
}

bool is_wslc_hook(std::string_view hook) {
  const abi::Hook* h = abi::find_hook(hook);
  return h && h->wslc();
}

std::string default_wslc_argument(std::string_view hook) {
  constexpr std::string_view kContainerId =
      "4f6c2b1e9a7d3c5b8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";
  constexpr std::string_view kImageId =
      "sha256:9b2f4e6a8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f";
  if (hook == "ContainerStarted")
    return json{
        {"Id", kContainerId},
        {"Name", "web"},
        {"Created", "2026-12-01T22:00:00Z"},
        {"Image", kImageId},
        {"State", {{"Status", "running"}, {"Running", true}, {"Pid", 4711}, {"ExitCode", 0}}},
        {"Config",
         {{"Image", "docker.io/library/nginx:latest"},
          {"Labels", {{"org.example.team", "web"}}},
          {"Env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}}},
        {"Mounts", json::array()},
        {"Ports", {{"80/tcp", {{{"HostIp", "127.0.0.1"}, {"HostPort", "8080"}}}}}}}
        .dump();
  if (hook == "ImageCreated")
    return json{{"Id", kImageId},
                {"RepoTags", {"docker.io/library/nginx:latest"}},
                {"Created", "2026-11-20T10:00:00Z"},
                {"Size", 192000000},
                {"Architecture", "amd64"},
                {"Os", "linux"}}
        .dump();
  if (hook == "ContainerStopping") return std::string(kContainerId);
  if (hook == "ImageDeleted") return std::string(kImageId);
  return {};
}

}  // namespace wslplug::host
