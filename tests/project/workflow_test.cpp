// The project workflows of `wslplug build`, called as a library on a real MinGW-built DLL: signing
// with the project's certificate (created once, then reused), the doctor --dll checks against it,
// and the registration files.
#include "wslplug/project/workflow.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support.hpp"
#include "wslplug/project/manifest.hpp"

namespace wt = wslplug::test;
namespace wf = wslplug::workflow;

namespace {

wslplug::Manifest manifest_named(const std::string& name) {
  wslplug::Manifest m;
  m.name = name;
  m.registry_name = name;
  m.language = wslplug::Language::kCpp;
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
  auto plain = wf::check_built_dll(m, tmp.path(), dll, {});
  ASSERT_TRUE(plain) << plain.error().describe();
  EXPECT_TRUE(has_finding(*plain, "unsigned", wslplug::doctor::Severity::kWarning));
  EXPECT_FALSE(wslplug::doctor::has_errors(*plain));
  auto asked = wf::check_built_dll(m, tmp.path(), dll, {.signing_requested = true});
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
  EXPECT_EQ(wf::project_cert(m, tmp.path()), tmp / "keys/cert.pem");

  auto first = wf::sign_with_project_cert(m, tmp.path(), dll);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->cert_pem, tmp / "keys/cert.pem");
  EXPECT_NE(first->subject.find("p test code signing"), std::string::npos) << first->subject;
  struct stat st {};
  ASSERT_EQ(::stat((tmp / "keys/key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto cert = wt::read_text(tmp / "keys/cert.pem");

  // Checked against the project's certificate: clean, even with signing asked.
  auto checked = wf::check_built_dll(m, tmp.path(), dll, {.signing_requested = true});
  ASSERT_TRUE(checked) << checked.error().describe();
  EXPECT_TRUE(checked->empty()) << checked->front().id;

  auto second = wf::sign_with_project_cert(m, tmp.path(), dll);
  ASSERT_TRUE(second) << second.error().describe();
  EXPECT_FALSE(second->created);
  EXPECT_EQ(wt::read_text(tmp / "keys/cert.pem"), cert);

  // Half a certificate is refused, naming the manifest field, and the DLL is left alone.
  wt::fs::remove(tmp / "keys/key.pem");
  const auto before = wt::sha256_file(dll);
  auto half = wf::sign_with_project_cert(m, tmp.path(), dll);
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error().kind, wslplug::ErrorKind::kInput);
  EXPECT_EQ(half.error().where, "paths.cert_dir");
  EXPECT_EQ(wt::sha256_file(dll), before);
}

TEST(ProjectWorkflow, EmitsRegistrationFilesUnderTheManifestPath) {
  wt::TempDir tmp;
  auto m = manifest_named("p");
  m.registry_name = "My Plugin";
  m.registration = "out/reg";
  auto r = wf::emit_registration(m, tmp.path(), tmp / "build/p.dll");
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
  auto given = wf::emit_registration(
      m, tmp.path(), tmp / "build/p.dll",
      wf::RegistrationOptions{.windows_path = "/win/c/Users/me/p.dll", .automount_root = "/win"});
  ASSERT_TRUE(given) << given.error().describe();
  EXPECT_FALSE(given->default_path);
  EXPECT_EQ(given->windows_path, "C:\\Users\\me\\p.dll");
  ASSERT_EQ(given->location.size(), 1u);
  EXPECT_TRUE(given->location[0].is(wslplug::doctor::kPathUserWritable));
  EXPECT_NE(given->location[0].message.find("/win/c/Users/me/p.dll"), std::string::npos);
  auto refused = wf::emit_registration(m, tmp.path(), tmp / "build/p.dll",
                                       wf::RegistrationOptions{.windows_path = "p.dll"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().where, "DLL_PATH");
  // A registry name that cannot be a value name is refused before anything is written.
  m.registry_name = std::string("bad\nname");
  m.registration = "other";
  auto bad = wf::emit_registration(m, tmp.path(), tmp / "build/p.dll");
  ASSERT_FALSE(bad);
  EXPECT_FALSE(wt::fs::exists(tmp / "other"));
}
