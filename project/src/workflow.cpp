#include "wslplug/project/workflow.hpp"

#include <fmt/format.h>

#include <utility>

#include "wslplug/core/io.hpp"
#include "wslplug/doctor/dll.hpp"
#include "wslplug/doctor/reg.hpp"
#include "wslplug/project/layout.hpp"
#include "wslplug/registry/regfile.hpp"
#include "wslplug/registry/registration.hpp"
#include "wslplug/registry/winpath.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::project {

namespace {

// The project's test certificate as credentials, created ("CN=<name> test code signing") when
// neither file exists; only one of the two is an input error naming paths.cert_dir.
Result<signing::Credentials> project_credentials(const Manifest& m, const fs::path& project_dir,
                                                 SignedWith& out) {
  const fs::path dir = cert_dir(m, project_dir);
  const fs::path cert = dir / "cert.pem", key = dir / "key.pem";
  std::error_code ec;
  const bool have_cert = fs::exists(cert, ec), have_key = fs::exists(key, ec);
  out.cert_pem = cert;
  out.source = "project";
  if (have_cert != have_key)
    return input_error(fmt::format("{} exists but {} does not", (have_cert ? cert : key).string(),
                                   (have_cert ? key : cert).string()),
                       dir.string(), "paths.cert_dir",
                       "restore the missing file, or remove both to let build --sign create a new "
                       "test certificate");
  if (!have_cert) {
    signing::CertRequest request;
    request.subject = fmt::format("CN={} test code signing", m.name);
    auto created = signing::create_test_certificate(request, dir, false, nullptr, false);
    if (!created) return std::unexpected(created.error());
    out.created = true;
  }
  return signing::Credentials::from_pem(cert, key, {}, nullptr);
}

// The signer the settings name (a PKCS#12 file is opened with the empty password).
Result<signing::Credentials> settings_credentials(const SigningSettings& s, SignedWith& out) {
  out.source = std::string(signer_source(s));
  if (s.pfx) {
    out.cert_pem = s.pfx->value;
    return signing::Credentials::from_pkcs12(s.pfx->value, SecretString{}, {});
  }
  out.cert_pem = s.cert->value;
  return signing::Credentials::from_pem(s.cert->value, s.key->value, {}, nullptr);
}

}  // namespace

Result<SignedWith> sign_built_dll(const Manifest& m, const fs::path& project_dir,
                                  const fs::path& dll, const SigningSettings& s) {
  SignedWith out;
  const bool named = s.pfx || (s.cert && s.key);
  auto creds = named ? settings_credentials(s, out) : project_credentials(m, project_dir, out);
  if (!creds) return std::unexpected(creds.error());
  out.subject = creds->subject();
  out.thumbprint_sha1 = creds->thumbprint_sha1();
  signing::SignOptions options;
  options.description = m.name;
  if (auto digest = signing::parse_digest(s.hash.value)) options.digest = *digest;
  if (s.timestamp_url) {
    signing::TimestampOptions ts;
    ts.url = s.timestamp_url->value;
    options.timestamp = std::move(ts);
    out.timestamped = true;
  }
  OutputOptions oo;
  oo.overwrite = true;
  oo.keep_mode_of_existing = true;
  auto signed_file = signing::sign_file(dll, dll, *creds, options, oo);
  if (!signed_file) return std::unexpected(signed_file.error());
  return out;
}

Result<std::vector<doctor::Finding>> check_built_dll(const Manifest& m, const fs::path& project_dir,
                                                     const fs::path& dll,
                                                     const CheckOptions& options) {
  signing::VerifyOptions vo;
  const fs::path cert = cert_pem(m, project_dir);
  std::error_code ec;
  if (fs::exists(cert, ec)) vo.ca_files.push_back(cert);
  for (const auto& trusted : options.trusted) vo.ca_files.push_back(trusted);
  auto checked = doctor::check_plugin_dll(dll, vo);
  if (!checked) return std::unexpected(checked.error());
  std::vector<doctor::Finding> findings = std::move(*checked);
  for (auto& finding : findings)
    if (!options.signing_requested && finding.is(doctor::kUnsigned))
      finding.severity = doctor::Severity::kWarning;
  return findings;
}

Result<Registration> emit_registration(const Manifest& m, const fs::path& project_dir,
                                       const fs::path& dll, const RegistrationOptions& options) {
  Registration r;
  r.name = registry_name(m);
  if (auto ok = registry::validate_plugin_name(r.name); !ok) return std::unexpected(ok.error());
  r.default_path = options.windows_path.empty();
  const std::string input = r.default_path
                                ? registry::default_install_path(r.name, dll.filename().string())
                                : options.windows_path;
  auto path = registry::to_windows_path(
      input, registry::PathOptions{.automount_root = options.automount_root});
  if (!path) return std::unexpected(path.error());
  r.windows_path = path->path;
  r.location = doctor::registered_location_findings(*path, input);
  const fs::path dir = registration_dir(m, project_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return io_error("cannot create directory: " + ec.message(), dir.string());
  const std::string stem = registry::file_safe_name(r.name);
  r.add_file = dir / (stem + ".reg");
  r.remove_file = dir / (stem + ".unregister.reg");
  OutputOptions oo;
  oo.overwrite = true;
  for (const auto& [file, doc] :
       {std::pair{r.add_file, registry::registration_document(r.name, r.windows_path)},
        std::pair{r.remove_file, registry::removal_document(r.name)}}) {
    auto bytes = registry::serialize(doc, registry::Encoding::kUtf16le);
    if (!bytes) return std::unexpected(bytes.error());
    if (auto ok = write_file_atomic(file, *bytes, oo); !ok) return std::unexpected(ok.error());
  }
  return r;
}

}  // namespace wslplug::project
