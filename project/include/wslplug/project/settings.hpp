// The defaults of `sign` (and `build --sign`) without repeating flags, resolved in one order:
// the command line, then the environment (WSLPLUG_CERT, WSLPLUG_KEY, WSLPLUG_PFX,
// WSLPLUG_TIMESTAMP_URL, WSLPLUG_HASH), then the "signing" object of the project's wslplug.json,
// then the built-in default. The signer (certificate and key, or a PKCS#12 file) is taken whole
// from the first level that names any part of it, so the levels never mix. A bad value is an
// input error naming where it came from (the variable, or the manifest's field). Passwords are
// never settings: they come from the password flags, their files or the prompt.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "wslplug/core/error.hpp"
#include "wslplug/project/manifest.hpp"

namespace wslplug::project {

namespace fs = std::filesystem;

enum class SettingSource { kFlag, kEnvironment, kManifest, kDefault };
std::string_view source_name(SettingSource source);  // "flag", "environment", "manifest", "default"

struct Setting {
  std::string value;  // paths: as given (flag, environment) or absolute (manifest)
  SettingSource source = SettingSource::kDefault;
  std::string origin;  // "--cert", "WSLPLUG_CERT", "wslplug.json field signing.cert", "default"
};

// What the command line gave; empty: not given. `signer_flags` is true when any flag names the
// signer (--cert, --key, --pfx, --external-signer, --pkcs11-module): the lower levels then give
// no part of the signer.
struct SigningFlags {
  std::string cert, key, pfx, timestamp_url, hash;
  bool signer_flags = false;
};

struct SigningSettings {
  std::optional<Setting> cert, key, pfx;  // none of them: the project's test certificate
  std::optional<Setting> timestamp_url;   // none: no timestamp
  Setting hash;                           // sha256 by default
};

// A variable's value, nullopt when unset or empty.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;
// This process's environment.
std::optional<std::string> process_environment(std::string_view name);

// The project's manifest (nullptr outside a project) is read for its "signing" object; its paths
// are made absolute against `project_dir`.
Result<SigningSettings> resolve_signing(const SigningFlags& flags, const Manifest* manifest,
                                        const fs::path& project_dir,
                                        const Environment& environment = process_environment);

// Where the signer of `signing` comes from, as `sign` and `build --sign` report it: "flag" when a
// flag names it, "environment" (a WSLPLUG_* variable) or "manifest" (wslplug.json's "signing"),
// and "project" when nothing does: the project's test certificate is then the signer.
std::string_view signer_source(const SigningSettings& signing);

}  // namespace wslplug::project
