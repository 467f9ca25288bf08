// The project workflows of `wslplug build`, called as a library on a real MinGW-built DLL: signing
// with the project's certificate (created once, then reused), the doctor --dll checks against it,
// and the registration files.
#include "wslplug/project/workflow.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support.hpp"
#include "wslplug/project/layout.hpp"
#include "wslplug/project/manifest.hpp"
#include "wslplug/project/settings.hpp"
#include "wslplug/signing/signing.hpp"

namespace project = wslplug::project;
namespace wt = wslplug::test;

namespace {

wslplug::project::Manifest manifest_named(const std::string& name) {
  wslplug::project::Manifest m;
  m.name = name;
  m.registry_name = name;
  m.language = wslplug::project::Language::kCpp;
  m.dll = name + ".dll";
  return m;
}

bool has_finding(const std::vector<wslplug::doctor::Finding>& findings, const std::string& id,
                 wslplug::doctor::Severity severity) {
  for (const auto& f : findings)
    if (f.id == id && f.severity == severity) return true;
  return false;
}

}  // namespace

TEST(ProjectWorkflow, UnsignedIsAWarningUnlessSigningWasAsked) {
  const auto fixture = wt::build_dll({.name = "workflow-good"});
  ASSERT_FALSE(fixture.empty());
  wt::TempDir tmp;
  const auto dll = wt::copy_to(fixture, tmp.path(), "p.dll");
  const auto m = manifest_named("p");
  auto plain = project::check_built_dll(m, tmp.path(), dll, {});
  ASSERT_TRUE(plain) << plain.error().describe();
  EXPECT_TRUE(has_finding(*plain, "unsigned", wslplug::doctor::Severity::kWarning));
  EXPECT_FALSE(wslplug::doctor::has_errors(*plain));
  auto asked = project::check_built_dll(m, tmp.path(), dll, {.signing_requested = true});
  ASSERT_TRUE(asked) << asked.error().describe();
  EXPECT_TRUE(has_finding(*asked, "unsigned", wslplug::doctor::Severity::kError));
  EXPECT_TRUE(wslplug::doctor::has_errors(*asked));
}

TEST(ProjectWorkflow, SignsWithTheProjectCertificateCreatedOnce) {
  const auto fixture = wt::build_dll({.name = "workflow-good"});
  ASSERT_FALSE(fixture.empty());
  wt::TempDir tmp;
  const auto dll = wt::copy_to(fixture, tmp.path(), "p.dll");
  auto m = manifest_named("p");
  m.cert_dir = "keys";
  EXPECT_EQ(project::cert_pem(m, tmp.path()), tmp / "keys/cert.pem");

  auto first = project::sign_built_dll(m, tmp.path(), dll, {});
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->cert_pem, tmp / "keys/cert.pem");
  EXPECT_NE(first->subject.find("p test code signing"), std::string::npos) << first->subject;
  struct stat st {};
  ASSERT_EQ(::stat((tmp / "keys/key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto cert = wt::read_text(tmp / "keys/cert.pem");

  // Checked against the project's certificate: clean, even with signing asked.
  auto checked = project::check_built_dll(m, tmp.path(), dll, {.signing_requested = true});
  ASSERT_TRUE(checked) << checked.error().describe();
  EXPECT_TRUE(checked->empty()) << checked->front().id;

  auto second = project::sign_built_dll(m, tmp.path(), dll, {});
  ASSERT_TRUE(second) << second.error().describe();
  EXPECT_FALSE(second->created);
  EXPECT_EQ(wt::read_text(tmp / "keys/cert.pem"), cert);

  // Half a certificate is refused, naming the manifest field, and the DLL is left alone.
  wt::fs::remove(tmp / "keys/key.pem");
  const auto before = wt::sha256_file(dll);
  auto half = project::sign_built_dll(m, tmp.path(), dll, {});
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error().kind, wslplug::ErrorKind::kInput);
  EXPECT_EQ(half.error().where, "paths.cert_dir");
  EXPECT_EQ(wt::sha256_file(dll), before);
}

TEST(ProjectWorkflow, SignsWithTheSignerTheSettingsName) {
  // build --sign's signer is sign's default (project::resolve_signing): here WSLPLUG_CERT and
  // WSLPLUG_KEY, then wslplug.json's "signing"; the project's certificate is then neither made
  // nor used.
  const auto fixture = wt::build_dll({.name = "workflow-good"});
  ASSERT_FALSE(fixture.empty());
  wt::TempDir tmp;
  const auto dll = wt::copy_to(fixture, tmp.path(), "p.dll");
  auto m = manifest_named("p");
  wslplug::signing::CertRequest request;
  request.subject = "CN=Release Signer";
  ASSERT_TRUE(
      wslplug::signing::create_test_certificate(request, tmp / "release", false, nullptr, false));
  const auto cert = (tmp / "release/cert.pem").string(), key = (tmp / "release/key.pem").string();
  auto env = [&](std::string_view name) -> std::optional<std::string> {
    if (name == "WSLPLUG_CERT") return cert;
    if (name == "WSLPLUG_KEY") return key;
    return std::nullopt;
  };
  auto resolved = wslplug::project::resolve_signing({}, &m, tmp.path(), env);
  ASSERT_TRUE(resolved) << resolved.error().describe();
  EXPECT_EQ(wslplug::project::signer_source(*resolved), "environment");
  auto with = project::sign_built_dll(m, tmp.path(), dll, *resolved);
  ASSERT_TRUE(with) << with.error().describe();
  EXPECT_EQ(with->source, "environment");
  EXPECT_EQ(with->subject, "CN=Release Signer");
  EXPECT_EQ(with->cert_pem, cert);
  EXPECT_FALSE(with->created);
  EXPECT_FALSE(with->timestamped);
  EXPECT_FALSE(wt::fs::exists(project::cert_pem(m, tmp.path())));
  // Untrusted without that certificate, clean against it.
  auto untrusted = project::check_built_dll(m, tmp.path(), dll, {.signing_requested = true});
  ASSERT_TRUE(untrusted) << untrusted.error().describe();
  EXPECT_TRUE(wslplug::doctor::has_errors(*untrusted));
  auto trusted =
      project::check_built_dll(m, tmp.path(), dll, {.signing_requested = true, .trusted = {cert}});
  ASSERT_TRUE(trusted) << trusted.error().describe();
  EXPECT_TRUE(trusted->empty()) << trusted->front().id;

  // The manifest's "signing" when the environment says nothing; nothing at all: the project's.
  m.signing.cert = "release/cert.pem";
  m.signing.key = "release/key.pem";
  auto from_manifest = wslplug::project::resolve_signing(
      {}, &m, tmp.path(), [](std::string_view) { return std::optional<std::string>(); });
  ASSERT_TRUE(from_manifest) << from_manifest.error().describe();
  EXPECT_EQ(wslplug::project::signer_source(*from_manifest), "manifest");
  auto manifest_signed = project::sign_built_dll(m, tmp.path(), dll, *from_manifest);
  ASSERT_TRUE(manifest_signed) << manifest_signed.error().describe();
  EXPECT_EQ(manifest_signed->source, "manifest");
  EXPECT_EQ(wslplug::project::signer_source(wslplug::project::SigningSettings{}), "project");
  auto project = project::sign_built_dll(m, tmp.path(), dll, wslplug::project::SigningSettings{});
  ASSERT_TRUE(project) << project.error().describe();
  EXPECT_EQ(project->source, "project");
  EXPECT_TRUE(project->created);
}

TEST(ProjectWorkflow, EmitsRegistrationFilesUnderTheManifestPath) {
  wt::TempDir tmp;
  auto m = manifest_named("p");
  m.registry_name = "My Plugin";
  m.registration = "out/reg";
  auto r = project::emit_registration(m, tmp.path(), tmp / "build/p.dll");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->name, "My Plugin");
  // No Windows path given: the per-plugin folder under Program Files, which users cannot write.
  EXPECT_TRUE(r->default_path);
  EXPECT_EQ(r->windows_path, "C:\\Program Files\\WSL Plugins\\My Plugin\\p.dll");
  EXPECT_TRUE(r->location.empty());
  EXPECT_EQ(r->add_file.parent_path(), tmp / "out/reg");
  EXPECT_EQ(r->add_file.extension(), ".reg");
  EXPECT_TRUE(r->remove_file.filename().string().ends_with(".unregister.reg"));
  for (const auto& file : {r->add_file, r->remove_file}) {
    const auto bytes = wt::read_bytes(file);
    ASSERT_GE(bytes.size(), 2u) << file;
    EXPECT_EQ(bytes[0], std::byte{0xff}) << file;  // UTF-16LE BOM
    EXPECT_EQ(bytes[1], std::byte{0xfe}) << file;
  }
  // A Windows path given as register takes it: converted with the automount root, and a
  // user-writable folder is reported.
  auto given = project::emit_registration(
      m, tmp.path(), tmp / "build/p.dll",
      project::RegistrationOptions{.windows_path = "/win/c/Users/me/p.dll",
                                   .automount_root = "/win"});
  ASSERT_TRUE(given) << given.error().describe();
  EXPECT_FALSE(given->default_path);
  EXPECT_EQ(given->windows_path, "C:\\Users\\me\\p.dll");
  ASSERT_EQ(given->location.size(), 1u);
  EXPECT_TRUE(given->location[0].is(wslplug::doctor::kPathUserWritable));
  EXPECT_NE(given->location[0].message.find("/win/c/Users/me/p.dll"), std::string::npos);
  auto refused = project::emit_registration(m, tmp.path(), tmp / "build/p.dll",
                                            project::RegistrationOptions{.windows_path = "p.dll"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().where, "DLL_PATH");
  // A registry name that cannot be a value name is refused before anything is written.
  m.registry_name = std::string("bad\nname");
  m.registration = "other";
  auto bad = project::emit_registration(m, tmp.path(), tmp / "build/p.dll");
  ASSERT_FALSE(bad);
  EXPECT_FALSE(wt::fs::exists(tmp / "other"));
}
