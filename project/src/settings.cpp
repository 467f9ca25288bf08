#include "wslplug/project/settings.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "wslplug/core/text.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::project {

namespace {

// Where a setting came from, as an error names it: `where` is the variable or the field, `file`
// the manifest for a manifest field.
struct Origin {
  SettingSource source;
  std::string where;  // "--hash", "WSLPLUG_HASH", "field signing.hash"
  std::string file;   // the manifest, for a manifest field
};

Error bad(const Origin& o, std::string message, std::string fix) {
  return Error{ErrorKind::kInput, std::move(message), o.file, o.where, std::move(fix)};
}

std::string shown(const Origin& o) {
  switch (o.source) {
    case SettingSource::kEnvironment:
      return "$" + o.where;
    case SettingSource::kManifest:
      return "wslplug.json " + o.where;
    default:
      return o.where;
  }
}

Setting setting(std::string value, const Origin& o) {
  std::string origin = o.source == SettingSource::kManifest ? "wslplug.json " + o.where : o.where;
  return Setting{std::move(value), o.source, std::move(origin)};
}

// A file setting of the signer: it must name an existing file.
Result<Setting> file_setting(const std::string& value, const Origin& o, std::string_view what) {
  std::error_code ec;
  if (o.source != SettingSource::kFlag && !fs::is_regular_file(value, ec))
    return std::unexpected(
        bad(o, fmt::format("{} names {} '{}', which does not exist", shown(o), what, value),
            o.source == SettingSource::kEnvironment
                ? fmt::format("point {} at the file, or unset it", o.where)
                : fmt::format("fix {} (paths are relative to the project "
                              "folder), or remove it",
                              o.where)));
  return setting(value, o);
}

struct Level {
  SettingSource source;
  std::string cert, key, pfx, timestamp_url, hash;
  std::string file;  // the manifest
  Origin origin(std::string_view field) const {
    switch (source) {
      case SettingSource::kFlag:
        return {source, field == "timestamp_url" ? "--timestamp" : "--" + std::string(field), {}};
      case SettingSource::kEnvironment:
        return {source, "WSLPLUG_" + ascii_upper(field), {}};
      default:
        return {source, "field signing." + std::string(field), file};
    }
  }
};

Status pick_signer(const Level& l, SigningSettings& out) {
  if (l.cert.empty() && l.key.empty() && l.pfx.empty()) return {};
  if (!l.pfx.empty() && (!l.cert.empty() || !l.key.empty()))
    return std::unexpected(bad(l.origin("pfx"),
                               fmt::format("{} and {} both name the signer", shown(l.origin("pfx")),
                                           shown(l.origin(l.cert.empty() ? "key" : "cert"))),
                               "keep either the PKCS#12 file or the certificate and key"));
  if (!l.pfx.empty()) {
    auto pfx = file_setting(l.pfx, l.origin("pfx"), "the PKCS#12 file");
    if (!pfx) return std::unexpected(pfx.error());
    out.pfx = std::move(*pfx);
    return {};
  }
  if (l.cert.empty() || l.key.empty()) {
    const bool has_cert = !l.cert.empty();
    const Origin given = l.origin(has_cert ? "cert" : "key");
    const Origin missing = l.origin(has_cert ? "key" : "cert");
    return std::unexpected(
        bad(given,
            fmt::format("{} is set without its {} ({} is not set)", shown(given),
                        has_cert ? "private key" : "certificate", shown(missing)),
            fmt::format("set {} too, or unset {}", shown(missing), shown(given))));
  }
  auto cert = file_setting(l.cert, l.origin("cert"), "the certificate");
  if (!cert) return std::unexpected(cert.error());
  auto key = file_setting(l.key, l.origin("key"), "the private key");
  if (!key) return std::unexpected(key.error());
  out.cert = std::move(*cert);
  out.key = std::move(*key);
  return {};
}

}  // namespace

std::string_view source_name(SettingSource source) {
  switch (source) {
    case SettingSource::kFlag:
      return "flag";
    case SettingSource::kEnvironment:
      return "environment";
    case SettingSource::kManifest:
      return "manifest";
    case SettingSource::kDefault:
      break;
  }
  return "default";
}

std::string_view signer_source(const SigningSettings& signing) {
  const std::optional<Setting>& named = signing.pfx    ? signing.pfx
                                        : signing.cert ? signing.cert
                                                       : signing.key;
  if (!named) return "project";
  return named->source == SettingSource::kDefault ? "project" : source_name(named->source);
}

std::optional<std::string> process_environment(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr || *v == 0) return std::nullopt;
  return std::string(v);
}

Result<SigningSettings> resolve_signing(const SigningFlags& flags, const Manifest* manifest,
                                        const fs::path& project_dir,
                                        const Environment& environment) {
  std::vector<Level> levels;
  levels.push_back({SettingSource::kFlag,
                    flags.cert,
                    flags.key,
                    flags.pfx,
                    flags.timestamp_url,
                    flags.hash,
                    {}});
  Level env{SettingSource::kEnvironment, {}, {}, {}, {}, {}, {}};
  for (auto [name, out] :
       {std::pair{"WSLPLUG_CERT", &env.cert}, std::pair{"WSLPLUG_KEY", &env.key},
        std::pair{"WSLPLUG_PFX", &env.pfx}, std::pair{"WSLPLUG_TIMESTAMP_URL", &env.timestamp_url},
        std::pair{"WSLPLUG_HASH", &env.hash}})
    if (auto v = environment(name)) *out = *v;
  levels.push_back(env);
  if (manifest != nullptr) {
    const SigningManifest& s = manifest->signing;
    auto path = [&](const std::string& p) {
      return p.empty() ? p : (project_dir / p).lexically_normal().string();
    };
    levels.push_back({SettingSource::kManifest, path(s.cert), path(s.key), path(s.pfx),
                      s.timestamp_url, s.hash, (project_dir / kManifestFile).string()});
  }
  SigningSettings out;
  // The signer: whole from the first level naming any part of it.
  for (const Level& l : levels) {
    if (l.source == SettingSource::kFlag) {
      if (!flags.signer_flags) continue;
      if (!l.cert.empty()) out.cert = setting(l.cert, l.origin("cert"));
      if (!l.key.empty()) out.key = setting(l.key, l.origin("key"));
      if (!l.pfx.empty()) out.pfx = setting(l.pfx, l.origin("pfx"));
      break;
    }
    if (l.cert.empty() && l.key.empty() && l.pfx.empty()) continue;
    if (auto ok = pick_signer(l, out); !ok) return std::unexpected(ok.error());
    break;
  }
  // The timestamp server and the digest: each from the first level that sets it.
  for (const Level& l : levels) {
    if (l.timestamp_url.empty()) continue;
    const Origin o = l.origin("timestamp_url");
    if (!istarts_with(l.timestamp_url, "http://") && !istarts_with(l.timestamp_url, "https://"))
      return std::unexpected(
          bad(o, fmt::format("{} is not an http(s) URL: '{}'", shown(o), l.timestamp_url),
              "give the RFC 3161 server as http://host/path or "
              "https://host/path"));
    out.timestamp_url = setting(l.timestamp_url, o);
    break;
  }
  out.hash = Setting{"sha256", SettingSource::kDefault, "default"};
  for (const Level& l : levels) {
    if (l.hash.empty()) continue;
    const Origin o = l.origin("hash");
    auto digest = signing::parse_digest(l.hash);
    if (!digest || *digest == signing::DigestAlgorithm::kSha1)
      return std::unexpected(bad(o, fmt::format("unsupported {} \"{}\"", shown(o), l.hash),
                                 "use sha256 (default), sha384 or sha512"));
    out.hash = setting(l.hash, o);
    break;
  }
  return out;
}

}  // namespace wslplug::project
