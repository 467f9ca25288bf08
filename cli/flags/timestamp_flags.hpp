// The --timestamp* flags shared by `wslplug sign` and `wslplug timestamp`.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <string>

#include "common.hpp"
#include "wslplug/core/error.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {

struct TimestampFlags {
  std::string url;
  std::string hash = "sha256";
  int retries = 0;
  double timeout_seconds = 30;
  std::vector<std::string> tls_ca;  // --timestamp-tls-ca
  std::vector<std::string> tsa_ca;  // --tsa-ca
};

inline void add_timestamp_flags(CLI::App* cmd, TimestampFlags& f, bool required) {
  auto* url = cmd->add_option("--timestamp,--ts", f.url,
                              "RFC 3161 time-stamp server URL (http(s)://host[:port]/path; "
                              "HTTPS_PROXY/HTTP_PROXY/NO_PROXY apply; sign's default: "
                              "$WSLPLUG_TIMESTAMP_URL, wslplug.json signing.timestamp_url)")
                  ->option_text("URL");
  if (required) url->required();
  set_choices(cmd->add_option("--timestamp-hash", f.hash,
                              "Digest of the time-stamp request: sha256 (default), sha384, "
                              "sha512, sha1"),
              {"sha256", "sha384", "sha512", "sha1"})
      ->capture_default_str();
  cmd->add_option("--timestamp-retries", f.retries,
                  "Extra attempts after a failed request (backoff 1 s, 2 s, 4 s, ...)")
      ->option_text("N")
      ->check(CLI::Range(0, 20))
      ->capture_default_str();
  cmd->add_option("--timestamp-timeout", f.timeout_seconds,
                  "Seconds to wait for the server per attempt (connect + reply)")
      ->option_text("SECONDS")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  cmd->add_option("--tsa-ca", f.tsa_ca,
                  "Trusted root of the time-stamp authority (PEM or DER), repeatable: the token "
                  "the server returns must chain to it, else nothing is written (as verify "
                  "--tsa-ca); default: the token is not checked against a root")
      ->option_text("FILE");
  cmd->add_option("--timestamp-tls-ca", f.tls_ca,
                  "CA of an https time-stamp server's TLS certificate (PEM), repeatable; "
                  "default: the system store")
      ->option_text("FILE");
}

inline Result<signing::TimestampOptions> timestamp_options(const TimestampFlags& f) {
  signing::TimestampOptions o;
  o.url = f.url;
  auto d = signing::parse_digest(f.hash);  // "sha256", "SHA-256", "sha2", ...
  if (!d)
    return input_error(fmt::format("unsupported --timestamp-hash \"{}\"", f.hash), {},
                       "--timestamp-hash", "use sha256 (default), sha384, sha512 or sha1");
  o.digest = *d;
  o.retries = f.retries;
  o.timeout = std::chrono::milliseconds(static_cast<long long>(f.timeout_seconds * 1000));
  for (const auto& c : f.tls_ca) o.tls_ca_files.emplace_back(c);
  for (const auto& c : f.tsa_ca) o.tsa_ca_files.emplace_back(c);
  return o;
}

}  // namespace wslplug::cli
