// Commands inside a plugin project, on the real binary: register, unregister, verify, doctor
// --dll and sign default to the project's built DLL, registry value name, registration folder and
// certificate from any subfolder; explicit arguments win; outside a project nothing changes.
// The global -C DIR (as git -C). Signing defaults from WSLPLUG_* variables and the manifest's
// "signing" object, in the order flag > environment > manifest > default, a bad value naming its
// source. `--version` with the build's commit and date.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

// The project made by `wslplug new NAME` (Rust unless `lang` says cpp) in tmp, with a built DLL
// where the builder leaves it (a fixture copied there: no toolchain run).
wt::fs::path project_with_dll(const wt::TempDir& tmp, const std::string& name,
                              const std::string& lang, const wt::fs::path& dll_in_project) {
  auto r = wt::wslplug({"new", name, "--lang", lang, "--no-ci"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 0) << r.both();
  const auto dir = tmp / name;
  wt::fs::create_directories((dir / dll_in_project).parent_path());
  const auto fixture = wt::build_dll({.name = "defaults-plugin"});
  EXPECT_FALSE(fixture.empty());
  wt::fs::copy_file(fixture, dir / dll_in_project);
  return dir;
}

const char* kRustDll = "target/x86_64-pc-windows-gnu/release/my_plugin.dll";

}  // namespace

TEST(ProjectDefaults, RegisterInARustProjectUsesItsDllNameAndFolder) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-gcc");
  wt::TempDir tmp;
  const auto dir = project_with_dll(tmp, "my-plugin", "rust", kRustDll);
  // Bare `register --ps1` from a subfolder: the built DLL, the manifest's name, .wslplug/.
  auto r = wt::wslplug({"register", "--ps1", "--json"}, {}, {}, dir / "src");
  ASSERT_EQ(r.rc, 0) << r.both();
  auto doc = wt::stdout_json(r);
  EXPECT_EQ(doc["name"], "my-plugin");
  EXPECT_EQ(doc["project"], dir.string());
  EXPECT_EQ(doc["source"], (dir / kRustDll).string());
  EXPECT_EQ(doc["windows_path"], "C:\\Program Files\\WSL Plugins\\my-plugin\\my_plugin.dll");
  for (const char* f :
       {"my-plugin.reg", "my-plugin.unregister.reg", "my-plugin.ps1", "my-plugin.unregister.ps1"})
    EXPECT_TRUE(wt::fs::is_regular_file(dir / ".wslplug" / f)) << f;
  EXPECT_FALSE(wt::fs::exists(dir / "src/my_plugin.reg"));
  // --source naming the project's DLL: still the project's name (what build --emit-reg uses),
  // and the files of the folder are replaced like build outputs.
  r = wt::wslplug({"register", "--ps1", "--source", kRustDll, "--json"}, {}, {}, dir);
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::stdout_json(r)["name"], "my-plugin");
  // Without --ps1: the default install path of the project's DLL.
  r = wt::wslplug({"register", "--json"}, {}, {}, dir);
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::stdout_json(r)["windows_path"],
            "C:\\Program Files\\WSL Plugins\\my-plugin\\my_plugin.dll");
  // Explicit arguments win.
  r = wt::wslplug({"register", "--ps1", "--name", "other", "-o", "o.reg", "--json"}, {}, {}, dir);
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::stdout_json(r)["name"], "other");
  EXPECT_TRUE(wt::fs::is_regular_file(dir / "o.reg"));
  // unregister: the project's name, into its registration folder.
  r = wt::wslplug({"unregister", "--json"}, {}, {}, dir / "src");
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::stdout_json(r)["name"], "my-plugin");
  // Outside a project: unchanged.
  r = wt::wslplug({"register", "--ps1"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("no DLL_PATH given"), std::string::npos) << r.err;
  r = wt::wslplug({"unregister"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("--name"), std::string::npos) << r.err;
}

TEST(ProjectDefaults, GlobalDashCRunsTheCommandInTheFolder) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-gcc");
  wt::TempDir tmp;
  const auto dir = project_with_dll(tmp, "my-plugin", "rust", kRustDll);
  auto r = wt::wslplug({"-C", (dir / "src").string(), "register", "--ps1", "--json"}, {}, {},
                       tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::stdout_json(r)["name"], "my-plugin");
  EXPECT_TRUE(wt::fs::is_regular_file(dir / ".wslplug/my-plugin.ps1"));
  // A missing folder is named as such, with exit 2, before any project lookup.
  r = wt::wslplug({"-C", (tmp / "nowhere").string(), "register", "--ps1"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("no such folder"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("not in a plugin project"), std::string::npos) << r.err;
  r = wt::wslplug({"-C", (tmp / "nowhere").string(), "verify", "--json"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_EQ(wt::stdout_json(r)["ok"], false);
}

TEST(ProjectDefaults, VerifyDoctorAndSignUseTheProjectDllAndCertificate) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-gcc");
  wt::TempDir tmp;
  const char* dll = "build/x86_64-release/p.dll";
  const auto dir = project_with_dll(tmp, "p", "cpp", dll);
  auto r = wt::wslplug(
      {"cert", "new", "--out-dir", (dir / ".wslplug").string(), "--key", "ecdsa-p256", "-q"});
  ASSERT_EQ(r.rc, 0) << r.both();
  // Bare sign: the project's DLL, in place, with its certificate.
  r = wt::wslplug({"sign", "--json"}, {}, {}, dir / "src");
  ASSERT_EQ(r.rc, 0) << r.both();
  auto doc = wt::stdout_json(r);
  EXPECT_EQ(doc["signer"]["source"], "project");
  EXPECT_EQ(doc["files"][0]["file"], (dir / dll).string());
  EXPECT_EQ(doc["files"][0]["in_place"], true);
  // Bare verify trusts the project's certificate (as build does).
  r = wt::wslplug({"verify", "--json"}, {}, {}, dir / "src");
  ASSERT_EQ(r.rc, 0) << r.both();
  doc = wt::stdout_json(r);
  EXPECT_EQ(doc["trust"]["source"], "project");
  EXPECT_EQ(doc["files"][0]["file"], (dir / dll).string());
  // Outside the project the same file is checked against the system store: not trusted.
  r = wt::wslplug({"verify", (dir / dll).string()}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 1) << r.both();
  // doctor --dll with no FILE: the project's DLL, its certificate trusted.
  r = wt::wslplug({"doctor", "--dll", "--json"}, {}, {}, dir);
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::stdout_json(r)["files"][0]["file"], (dir / dll).string());
  r = wt::wslplug({"doctor", "--dll"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
}

TEST(ProjectDefaults, SigningDefaultsFromEnvironmentAndManifest) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-gcc");
  wt::TempDir tmp;
  const char* dll = "build/x86_64-release/p.dll";
  const auto dir = project_with_dll(tmp, "p", "cpp", dll);
  auto r = wt::wslplug(
      {"cert", "new", "--out-dir", (dir / "certs").string(), "--key", "ecdsa-p256", "-q"});
  ASSERT_EQ(r.rc, 0) << r.both();
  const std::map<std::string, std::string> env = {
      {"WSLPLUG_CERT", (dir / "certs/cert.pem").string()},
      {"WSLPLUG_KEY", (dir / "certs/key.pem").string()},
      {"WSLPLUG_HASH", "sha384"}};
  // Outside any project the environment alone signs.
  const auto loose = wt::copy_to(wt::build_dll({.name = "defaults-plugin"}), tmp.path(), "x.dll");
  r = wt::wslplug({"sign", loose.string(), "--in-place", "--json"}, env, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  auto doc = wt::stdout_json(r);
  EXPECT_EQ(doc["signer"]["source"], "environment");
  EXPECT_EQ(doc["settings"]["hash"]["from"], "WSLPLUG_HASH");
  EXPECT_EQ(doc["files"][0]["digest_algorithm"], "sha384");
  // The flag wins over the environment.
  r = wt::wslplug({"sign", loose.string(), "--in-place", "--hash", "sha512", "--json"}, env, {},
                  tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::stdout_json(r)["settings"]["hash"]["source"], "flag");
  // A bad value names the variable.
  r = wt::wslplug({"sign", loose.string(), "--in-place"}, {{"WSLPLUG_HASH", "md5"}}, {},
                  tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("WSLPLUG_HASH"), std::string::npos) << r.err;
  r = wt::wslplug({"sign", loose.string(), "--in-place"},
                  {{"WSLPLUG_CERT", (dir / "certs/cert.pem").string()}}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("WSLPLUG_KEY"), std::string::npos) << r.err;
  // The manifest's "signing" object, paths relative to the project, below the environment.
  auto manifest = json::parse(wt::read_text(dir / "wslplug.json"));
  manifest["signing"] = {{"cert", "certs/cert.pem"}, {"key", "certs/key.pem"}, {"hash", "sha512"}};
  wt::write_text(dir / "wslplug.json", manifest.dump(2));
  r = wt::wslplug({"sign", "--json"}, {}, {}, dir / "src");
  ASSERT_EQ(r.rc, 0) << r.both();
  doc = wt::stdout_json(r);
  EXPECT_EQ(doc["signer"]["source"], "manifest");
  EXPECT_EQ(doc["settings"]["hash"]["source"], "manifest");
  EXPECT_EQ(doc["files"][0]["digest_algorithm"], "sha512");
  r = wt::wslplug({"sign", "--json"}, {{"WSLPLUG_HASH", "sha256"}}, {}, dir);
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::stdout_json(r)["settings"]["hash"]["from"], "WSLPLUG_HASH");
  // Bad manifest values name the field; a password is refused outright.
  manifest["signing"] = {{"cert", "certs/nope.pem"}, {"key", "certs/key.pem"}};
  wt::write_text(dir / "wslplug.json", manifest.dump(2));
  r = wt::wslplug({"sign"}, {}, {}, dir);
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("signing.cert"), std::string::npos) << r.err;
  manifest["signing"] = {{"pfx", "certs/a.pfx"}, {"pfx_password", "x"}};
  wt::write_text(dir / "wslplug.json", manifest.dump(2));
  r = wt::wslplug({"sign"}, {}, {}, dir);
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("signing.pfx_password"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("secret"), std::string::npos) << r.err;
}

TEST(ProjectDefaults, VersionNamesTheCommitAndDate) {
  auto r = wt::wslplug({"--version"});
  ASSERT_EQ(r.rc, 0) << r.both();
  const std::regex line(
      R"(wslplug \d+\.\d+\.\d+ \(([0-9a-f]{7,}(-dirty)?|unknown) (\d{4}-\d{2}-\d{2}|unknown)\)
)");
  EXPECT_TRUE(std::regex_match(r.out, line)) << r.out;
  auto v = wt::wslplug({"version"});
  EXPECT_EQ(v.out, r.out);
  v = wt::wslplug({"version", "--json"});
  ASSERT_EQ(v.rc, 0) << v.both();
  auto doc = wt::stdout_json(v);
  ASSERT_TRUE(doc["commit"].is_string()) << doc.dump();
  EXPECT_NE(r.out.find(doc["commit"].get<std::string>() + " " + doc["date"].get<std::string>()),
            std::string::npos);
  // From a git checkout the commit is one of the repository's.
  if (wt::fs::exists(wt::source_dir() / ".git") && doc["commit"] != "unknown") {
    std::string commit = doc["commit"];
    if (commit.ends_with("-dirty")) commit.resize(commit.size() - 6);
    auto known = wt::run({"git", "-C", wt::source_dir().string(), "cat-file", "-e", commit});
    EXPECT_EQ(known.rc, 0) << commit << " " << known.both();
  }
  // From a source that is not a git checkout (a tarball): "unknown".
  wt::TempDir tmp;
  const auto out = tmp / "build_info.cpp";
  auto script = wt::run({"cmake", "-DSOURCE_DIR=" + tmp.path().string(), "-DOUTPUT=" + out.string(),
                         "-P", (wt::source_dir() / "cmake/build_info.cmake").string()});
  ASSERT_EQ(script.rc, 0) << script.both();
  const std::string text = wt::read_text(out);
  EXPECT_NE(text.find("build_commit() { return \"unknown\"; }"), std::string::npos) << text;
  EXPECT_NE(text.find("build_date() { return \"unknown\"; }"), std::string::npos) << text;
}
