// Reads the command tree from the CLI11 app and decides what each value completes to. The value
// vocabularies come from the libraries that parse them (languages, targets, hooks, capabilities,
// digests, WSL versions); options are matched by any of their names, so an alias keeps its hint.
#include "docs/completion_model.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "wslplug/abi/wsl_plugin_abi.hpp"
#include "wslplug/host/run.hpp"
#include "wslplug/project/manifest.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli::model {
namespace {

using Kind = Values::Kind;

Values none() { return {Kind::kNone, true, {}, {}}; }
Values choices(std::vector<std::string> words) {
  return {Kind::kChoices, true, std::move(words), {}};
}
Values list(std::vector<std::string> words) { return {Kind::kList, true, std::move(words), {}}; }
Values files(std::vector<std::string> extensions = {}) {
  return {Kind::kFiles, true, {}, std::move(extensions)};
}
Values dirs() { return {Kind::kDirs, true, {}, {}}; }
Values env_var() { return {Kind::kEnvVar, true, {}, {}}; }

std::vector<std::string> languages() {
  std::vector<std::string> out;
  for (auto l : {project::Language::kRust, project::Language::kCpp})
    out.emplace_back(project::language_name(l));
  return out;
}
std::vector<std::string> targets() {
  std::vector<std::string> out;
  for (auto a : {project::TargetArch::kX86_64, project::TargetArch::kArm64})
    out.emplace_back(project::arch_name(a));
  return out;
}
// Every hook of the ABI (the WSL ones, then the WSLC ones), and the words for groups of them.
std::vector<std::string> hooks() {
  std::vector<std::string> out;
  for (const abi::Hook& h : abi::kHooks) out.emplace_back(h.flag);
  out.emplace_back("all");
  out.emplace_back("wslc");
  out.emplace_back("none");
  return out;
}
std::vector<std::string> capabilities() {
  std::vector<std::string> out;
  for (const auto& c : abi::kCapabilities) out.emplace_back(c.name);
  return out;
}
std::vector<std::string> digests(bool with_sha1) {
  using D = signing::DigestAlgorithm;
  std::vector<std::string> out;
  for (auto d : {D::kSha256, D::kSha384, D::kSha512}) out.emplace_back(signing::digest_name(d));
  if (with_sha1) out.emplace_back(signing::digest_name(D::kSha1));
  return out;
}
std::vector<std::string> wsl_versions() {
  std::vector<std::string> out;
  for (const auto& v : host::default_versions()) out.push_back(v.text());
  return out;
}

const std::vector<std::string> kPeFiles = {"dll", "exe", "sys", "efi"};
const std::vector<std::string> kCertFiles = {"pem", "crt", "cer"};

// What the value of an option (by any of its names) or a positional completes to. A key is
// "NAME" (any command) or "COMMAND PATH NAME" ("cert new --key"), the longer one winning.
const std::map<std::string, Values, std::less<>>& hints() {
  static const std::map<std::string, Values, std::less<>> table = {
      // making and building projects
      {"--lang", choices(languages())},
      {"--hooks", list(hooks())},
      {"--require", list(capabilities())},
      {"--target", choices(targets())},
      {"--dir", dirs()},
      {"--out-dir", dirs()},
      {"--cargo", files()},
      {"new NAME", none()},
      {"init DIR", dirs()},
      {"--vcs", choices({"git", "none"})},
      {"-C", dirs()},
      {"--sdk", files({"nupkg"})},
      {"--sdk-sha256", none()},
      // certificates and signing
      {"--cert", files(kCertFiles)},
      {"--key", files({"pem", "key", "der"})},
      {"cert new --key", choices({"rsa2048", "rsa3072", "rsa4096", "ecdsa-p256"})},
      {"cert new --key-type", choices({"rsa2048", "rsa3072", "rsa4096", "ecdsa-p256"})},
      {"--chain", files(kCertFiles)},
      {"--pfx", files({"pfx", "p12"})},
      {"--ca", files(kCertFiles)},
      {"--tsa-ca", files(kCertFiles)},
      {"--timestamp-tls-ca", files(kCertFiles)},
      {"--trust-cert", files({"cer", "crt", "pem"})},
      {"--hash", choices(digests(false))},
      {"--timestamp-hash", choices(digests(true))},
      {"--timestamp", none()},
      {"--timestamp-retries", none()},
      {"--timestamp-timeout", none()},
      {"--signature", files({"p7", "p7s", "der", "pem"})},
      {"--detached-out", files({"p7", "p7s"})},
      {"--subject", none()},
      {"--days", none()},
      {"--time", none()},
      {"--url", none()},
      {"--index", none()},
      {"--output", files()},
      {"--external-signer", none()},
      {"--external-signer-timeout", none()},
      {"--pkcs11-module", files({"so"})},
      {"--pin-env", env_var()},
      {"--pin-file", files()},
      {"--digest-out", files()},
      {"--request", files({"json"})},
      // registration and diagnosis
      {"--name", none()},
      {"--encoding", choices({"utf16", "utf8"})},
      {"--automount-root", none()},
      {"--dll", files({"dll"})},
      {"--reg", files({"reg"})},
      {"doctor codes", none()},
      {"DLL_PATH", files({"dll"})},
      {"--source", files({"dll"})},
      {"--windows-path", none()},
      {"doctor CODE", none()},
      // running
      {"--wsl-version", choices(wsl_versions())},
      {"--distro", none()},
      {"--scenario", files({"json"})},
      {"--repeat", none()},
      {"--hook-timeout", none()},
      {"--max-processes", none()},
      {"--crl", files({"crl", "pem", "der"})},
      {"PLUGIN.dll", files({"dll"})},
      // output
      {"--color", choices({"auto", "always", "never"})},
      // the positional PE files of sign, verify, unsign, timestamp, attach, extract
      {"FILE", files(kPeFiles)},
      {"completion SHELL", choices({"bash", "zsh", "fish", "powershell"})},
  };
  return table;
}

// Secrets: every --X-password-env names a variable, every --X-password-file a file.
std::optional<Values> by_pattern(std::string_view name) {
  if (name.ends_with("-password-env")) return env_var();
  if (name.ends_with("-password-file")) return files();
  return std::nullopt;
}

Values lookup(const std::string& path, const std::vector<std::string>& names) {
  const auto& table = hints();
  for (const auto& n : names) {
    if (!path.empty())
      if (auto it = table.find(path + " " + n); it != table.end()) return it->second;
  }
  for (const auto& n : names) {
    if (auto it = table.find(n); it != table.end()) return it->second;
    if (auto v = by_pattern(n)) return *v;
  }
  return {};
}

std::string value_name(const Values& v) {
  switch (v.kind) {
    case Kind::kFiles:
      return "FILE";
    case Kind::kDirs:
      return "DIR";
    case Kind::kEnvVar:
      return "VAR";
    case Kind::kChoices: {
      std::string words;
      for (const auto& w : v.words) words += (words.empty() ? "" : "|") + w;
      return words.size() <= 40 ? words : "WORD";
    }
    case Kind::kList:
      return "LIST";
    case Kind::kNone:
      return "VALUE";
  }
  return "VALUE";
}

void read_into(const CLI::App& app, Command& cmd) {
  cmd.description = app.get_description();
  cmd.footer = app.get_footer();
  cmd.requires_subcommand = app.get_require_subcommand_min() > 0;
  const std::string path = cmd.path_text();
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    if (opt->get_positional() && opt->get_lnames().empty() && opt->get_snames().empty()) {
      Positional p;
      p.name = opt->get_name();
      p.description = opt->get_description();
      p.required = opt->get_required();
      p.repeatable = opt->get_items_expected_max() > 1;
      p.values = lookup(path, {p.name});
      cmd.positionals.push_back(std::move(p));
      continue;
    }
    Option o;
    for (const auto& l : opt->get_lnames()) o.longs.push_back("--" + l);
    for (const auto& s : opt->get_snames()) o.shorts.push_back("-" + s);
    // Flags expect no value (CLI11's add_flag sets expected(0)).
    o.takes_value = opt->get_expected_max() > 0 && opt->get_type_size_max() > 0;
    o.repeatable = o.takes_value && opt->get_items_expected_max() > 1;
    o.description = opt->get_description();
    if (o.takes_value) {
      std::vector<std::string> names = o.longs;
      names.insert(names.end(), o.shorts.begin(), o.shorts.end());
      o.values = lookup(path, names);
      o.value_name = value_name(o.values);
    }
    cmd.options.push_back(std::move(o));
  }
  for (const CLI::App* sub : app.get_subcommands(
           [](const CLI::App* s) { return !s->get_group().empty() && !s->get_name().empty(); })) {
    Command child;
    child.path = cmd.path;
    child.path.push_back(sub->get_name());
    child.name = sub->get_name();
    read_into(*sub, child);
    cmd.subcommands.push_back(std::move(child));
  }
}

void flatten_into(const Command& c, std::vector<const Command*>& out) {
  out.push_back(&c);
  for (const auto& s : c.subcommands) flatten_into(s, out);
}

}  // namespace

std::string Command::path_text() const {
  std::string out;
  for (const auto& p : path) out += (out.empty() ? "" : " ") + p;
  return out;
}

Command read_tree(const CLI::App& app) {
  Command root;
  root.name = app.get_name().empty() ? "wslplug" : app.get_name();
  read_into(app, root);
  // `help COMMAND` completes to the commands.
  for (auto& sub : root.subcommands) {
    if (sub.name != "help") continue;
    std::vector<std::string> names;
    for (const auto& s : root.subcommands) names.push_back(s.name);
    for (auto& p : sub.positionals) p.values = choices(names);
  }
  return root;
}

std::vector<const Command*> flatten(const Command& root) {
  std::vector<const Command*> out;
  flatten_into(root, out);
  return out;
}

std::vector<std::string> undecided(const Command& root) {
  std::vector<std::string> out;
  for (const Command* c : flatten(root)) {
    const std::string prefix = c->path_text().empty() ? "" : c->path_text() + " ";
    for (const auto& o : c->options)
      if (o.takes_value && !o.values.decided)
        out.push_back(prefix + (o.longs.empty() ? o.shorts.front() : o.longs.front()));
    for (const auto& p : c->positionals)
      if (!p.values.decided) out.push_back(prefix + p.name);
  }
  return out;
}

}  // namespace wslplug::cli::model
