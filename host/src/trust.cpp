// The signature check official WSL builds make before LoadLibrary: WinVerifyTrust
// (WINTRUST_ACTION_GENERIC_VERIFY_V2) on the DLL, its result recorded as the load's error. Here
// it is doctor's verification (wslplug/doctor/dll.hpp) against the run's trusted roots, made
// once per run; each finding kind names the WinVerifyTrust error WSL reports for it.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "internal.hpp"
#include "wslplug/doctor/dll.hpp"
#include "wslplug/doctor/errors.hpp"

namespace wslplug::host {

namespace {

using json = nlohmann::json;

constexpr std::string_view kSignFixes =
    "sign it: wslplug sign plugin.dll --cert cert.pem --key key.pem --in-place, or wslplug "
    "build --sign in the project (its .wslplug/cert.pem is trusted when run there); or, for an "
    "unsigned development build only, run it with --allow-unsigned (official WSL builds still "
    "refuse it)";

json roots_json(const Options& o) {
  json roots = json::array();
  for (const auto& r : o.trusted_roots)
    roots.push_back(fs::absolute(r).lexically_normal().string());
  return roots;
}

// This system's CA bundle ($SSL_CERT_FILE, else where Debian, Fedora and others keep it).
fs::path system_bundle() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("SSL_CERT_FILE"); env && *env) candidates.emplace_back(env);
  for (const char* p : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                        "/etc/ssl/cert.pem"})
    candidates.emplace_back(p);
  std::error_code ec;
  for (const auto& c : candidates)
    if (fs::is_regular_file(c, ec)) return c;
  return {};
}

}  // namespace

TrustCheck check_trust(const Options& o) {
  TrustCheck t;
  json& r = t.report;
  r = {{"status", "trusted"},
       {"hresult", nullptr},
       {"symbol", nullptr},
       {"finding", nullptr},
       {"message", nullptr},
       {"fix", nullptr},
       {"signer", nullptr},
       {"trusted_roots", roots_json(o)},
       {"allow_unsigned", o.allow_unsigned},
       {"duration_ms", nullptr},
       {"warning", nullptr}};
  signing::VerifyOptions verify;
  verify.ca_files = o.trusted_roots;
  // A timestamp's TSA chains to a public root (Windows takes it from the machine's store): the
  // trusted roots and this system's bundle.
  if (!o.trusted_roots.empty()) {
    verify.tsa_ca_files = o.trusted_roots;
    if (const fs::path bundle = system_bundle(); !bundle.empty())
      verify.tsa_ca_files.push_back(bundle);
  }
  const auto start = std::chrono::steady_clock::now();
  auto checked = doctor::check_signature(o.dll, verify);
  r["duration_ms"] =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!checked) {
    // The file or a --ca root cannot be read: nothing WSL would see, the run cannot judge it.
    t.error = checked.error();
    return t;
  }
  if (checked->report && !checked->report->signatures.empty())
    r["signer"] = checked->report->signatures.front().signer_subject;
  const doctor::Finding* failure = nullptr;
  for (const auto& f : checked->findings)
    if (f.severity == doctor::Severity::kError && !f.wsl_error.empty()) {
      failure = &f;
      break;
    }
  if (!failure) return t;
  const std::uint32_t hr = doctor::symbol_value(failure->wsl_error).value_or(0x800B0100u);
  const bool no_signature = failure->is(doctor::kUnsigned);
  std::string fix = failure->fix;
  if (no_signature) {
    fix = std::string(kSignFixes);
  } else if (failure->is(doctor::kUntrustedRoot) || failure->is(doctor::kChainIncomplete)) {
    fix +=
        "; for wslplug run: give the root with --ca FILE (in the project, its "
        ".wslplug/cert.pem is trusted)";
  }
  r["hresult"] = doctor::hresult_hex(hr);
  r["symbol"] = failure->wsl_error;
  r["finding"] = failure->id;
  r["message"] = failure->message;
  r["fix"] = fix;
  if (no_signature && o.allow_unsigned) {
    r["status"] = "unsigned-allowed";
    const std::string message = fmt::format(
        "{} is not signed: official WSL builds refuse it with {} (\"A fatal error was returned "
        "by plugin '{}'\"); --allow-unsigned runs it anyway",
        o.dll.filename().string(), failure->wsl_error, o.plugin_name);
    r["warning"] = {{"severity", "warning"},
                    {"id", "unsigned-allowed"},
                    {"message", message},
                    {"fix", "sign it before shipping: wslplug build --sign, or wslplug sign"},
                    {"hook", nullptr}};
    t.warning = message;
    return t;
  }
  r["status"] = "refused";
  t.refused_hr = hr;
  t.explanation = failure->message;
  t.fix = fix;
  return t;
}

}  // namespace wslplug::host
