// How `sign` and `build --sign` report the signing settings they resolved (settings.hpp): the
// "settings" object of their --json documents and the -v lines naming the variable or manifest
// field a value came from.
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "render/console.hpp"
#include "wslplug/project/settings.hpp"

namespace wslplug::cli {

// {"cert": {"value", "source", "from"}, "key": ..., "pfx", "timestamp_url", "hash"}: the settings
// that are set.
inline nlohmann::json signing_settings_json(const project::SigningSettings& s) {
  nlohmann::json out = nlohmann::json::object();
  auto record = [&](const char* key, const std::optional<project::Setting>& v) {
    if (!v) return;
    out[key] = {
        {"value", v->value}, {"source", project::source_name(v->source)}, {"from", v->origin}};
  };
  record("cert", s.cert);
  record("key", s.key);
  record("pfx", s.pfx);
  record("timestamp_url", s.timestamp_url);
  record("hash", s.hash);
  return out;
}

// With -v: each setting taken from the environment or the manifest, and from where.
inline void detail_signing_settings(const project::SigningSettings& s) {
  for (const auto& v : {s.cert, s.pfx, s.timestamp_url, std::optional<project::Setting>(s.hash)})
    if (v && (v->source == project::SettingSource::kEnvironment ||
              v->source == project::SettingSource::kManifest))
      detail(fmt::format("{} from {}", v->value, v->origin));
}

}  // namespace wslplug::cli
