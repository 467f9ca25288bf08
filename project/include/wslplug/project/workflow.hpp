// What `wslplug build` does with a project after the toolchain built its DLL, one step per
// function so a caller can report each step as it happens: sign the DLL with the signer `sign`
// would use by default (settings.hpp: WSLPLUG_* variables, then wslplug.json's "signing", else
// the project's test certificate, created on first use), check it as `doctor --dll` would, and
// write the registration files. The builder itself is wslplug/project/builder.hpp.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/doctor/finding.hpp"
#include "wslplug/project/manifest.hpp"
#include "wslplug/project/settings.hpp"

namespace wslplug::project {

namespace fs = std::filesystem;

struct SignedWith {
  fs::path cert_pem;     // the certificate signed with (or the PKCS#12 file holding it)
  bool created = false;  // the project's certificate, created by this call (first use)
  std::string subject;   // the signer's subject
  std::string thumbprint_sha1;
  std::string source;        // signer_source: "project", "environment" or "manifest"
  bool timestamped = false;  // a timestamp from the settings' timestamp_url was embedded
};

// Signs `dll` in place as `sign` would by default: with the signer `signing` names (resolved by
// resolve_signing: a certificate and key, or a PKCS#12 file without a password), else with the
// project's test certificate (cert_pem, key_pem), created ("CN=<name> test code signing") when
// neither file exists (only one of the two is an input error naming paths.cert_dir); with the
// settings' digest, and timestamped by the settings' timestamp_url when there is one.
Result<SignedWith> sign_built_dll(const Manifest& manifest, const fs::path& project_dir,
                                  const fs::path& dll, const SigningSettings& signing);

struct CheckOptions {
  // True when the build was asked to sign: an unsigned DLL is then an error (as for doctor);
  // otherwise it is the normal state of a fresh build and only a warning.
  bool signing_requested = false;
  // Certificates the signature is verified against besides the project's: the signer's own
  // certificate when it came from the environment or the manifest (Windows must trust it too).
  std::vector<fs::path> trusted = {};
};

// The doctor --dll checks of a built DLL, findings in the order WSL would hit them. A DLL signed
// with the project's certificate (by this or an earlier build) is verified against it, since
// Windows will need that certificate in LocalMachine\Root. Errors are for unreadable files.
Result<std::vector<doctor::Finding>> check_built_dll(const Manifest& manifest,
                                                     const fs::path& project_dir,
                                                     const fs::path& dll,
                                                     const CheckOptions& options);

struct Registration {
  std::string name;           // the REG_SZ value name
  std::string windows_path;   // the value: where Windows loads the DLL from
  bool default_path = false;  // no Windows path given: C:\Program Files\WSL Plugins\NAME\<dll>
  std::vector<doctor::Finding>
      location;  // path-user-writable when the path is in a user-writable folder
  fs::path add_file, remove_file;
};

struct RegistrationOptions {
  // Where Windows loads the DLL from, as register's DLL_PATH takes it (C:\..., /mnt/c/...,
  // \\server\share\...); empty: the default install path under Program Files.
  std::string windows_path;
  std::string automount_root = "/mnt/";  // for /mnt/c/... style paths
};

// Writes DIR/<paths.registration>/<name>.reg (registers the plugin's REG_SZ value) and
// <name>.unregister.reg, UTF-16LE as regedit writes them. They are build outputs: replaced on
// every build. The registered path is options.windows_path, checked like register's DLL_PATH (a
// refused path is an input error naming it), or by default
// C:\Program Files\WSL Plugins\<name>\<dll file>, where only administrators can write.
Result<Registration> emit_registration(const Manifest& manifest, const fs::path& project_dir,
                                       const fs::path& dll,
                                       const RegistrationOptions& options = {});

}  // namespace wslplug::project
