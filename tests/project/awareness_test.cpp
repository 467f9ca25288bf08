// Project awareness on the real binary: build, sign and run find wslplug.json in the current
// folder or any parent (as cargo and git), sign inside a project uses the project's test
// certificate, a missing half of a certificate/key pair is named, `new --dir a/b/c` creates the
// parents, and a Rust build whose crates cannot be downloaded (crates.io is unreachable here)
// says it is a network or registry problem with the ways to build offline.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

// A C++ project made by `wslplug new` in DIR/p, with its test certificate (cert new).
wt::fs::path cpp_project(const wt::TempDir& tmp, bool with_cert) {
  auto r = wt::wslplug({"new", "p", "--lang", "cpp"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 0) << r.both();
  if (with_cert) {
    r = wt::wslplug(
        {"cert", "new", "--out-dir", (tmp / "p/.wslplug").string(), "--key", "ecdsa-p256", "-q"});
    EXPECT_EQ(r.rc, 0) << r.both();
  }
  return tmp / "p";
}

std::string thumbprint_of(const wt::fs::path& cert) {
  auto fp = wt::run({"openssl", "x509", "-in", cert.string(), "-noout", "-fingerprint", "-sha1"});
  std::string s = fp.out.substr(fp.out.find('=') + 1);
  std::erase(s, ':');
  std::erase(s, '\n');
  return s;
}

}  // namespace

TEST(ProjectAwareness, SignInsideAProjectUsesTheProjectCertificateFromAnySubfolder) {
  wt::TempDir tmp;
  const auto project = cpp_project(tmp, true);
  const auto dll = wt::copy_to(wt::build_dll({.name = "aware-plugin"}), tmp.path(), "x.dll");
  ASSERT_FALSE(dll.empty());
  auto r = wt::wslplug({"sign", dll.string(), "--in-place", "--json"}, {}, {}, project / "src");
  ASSERT_EQ(r.rc, 0) << r.both();
  auto doc = wt::stdout_json(r);
  EXPECT_EQ(doc["signer"]["source"], "project");
  EXPECT_EQ(doc["signer"]["file"], (project / ".wslplug/cert.pem").string());
  EXPECT_EQ(doc["signer"]["thumbprint_sha1"], thumbprint_of(project / ".wslplug/cert.pem"));
  r = wt::wslplug({"verify", dll.string(), "--ca", (project / ".wslplug/cert.pem").string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  // Outside any project the certificate is required, and the message says where one comes from.
  r = wt::wslplug({"sign", dll.string(), "--in-place"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("--cert"), std::string::npos) << r.err;
}

TEST(ProjectAwareness, AMissingHalfOfTheCertificatePairIsNamed) {
  wt::TempDir tmp;
  const auto project = cpp_project(tmp, false);
  const auto dll = wt::copy_to(wt::build_dll({.name = "aware-plugin"}), tmp.path(), "x.dll");
  // No certificate yet: say how to make one.
  auto r = wt::wslplug({"sign", dll.string(), "--in-place"}, {}, {}, project);
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("build --sign"), std::string::npos) << r.err;
  // Only the certificate: the key is the missing half.
  r = wt::wslplug(
      {"cert", "new", "--out-dir", (project / ".wslplug").string(), "--key", "ecdsa-p256", "-q"});
  ASSERT_EQ(r.rc, 0) << r.both();
  wt::fs::remove(project / ".wslplug/key.pem");
  r = wt::wslplug({"sign", dll.string(), "--in-place"}, {}, {}, project);
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("private key is missing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((project / ".wslplug/key.pem").string()), std::string::npos) << r.err;
  // On the command line: --cert without --key and the reverse name the missing flag.
  r = wt::wslplug(
      {"sign", dll.string(), "--in-place", "--cert", (project / ".wslplug/cert.pem").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("without its private key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--key"), std::string::npos) << r.err;
  r = wt::wslplug({"sign", dll.string(), "--in-place", "--key", (tmp / "k.pem").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("without its certificate"), std::string::npos) << r.err;
}

TEST(ProjectAwareness, NewCreatesMissingParents) {
  wt::TempDir tmp;
  auto r = wt::wslplug({"new", "deep", "--lang", "cpp", "--dir", "a/b/c"}, {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(wt::fs::is_regular_file(tmp / "a/b/c/wslplug.json"));
  EXPECT_EQ(r.out, "");  // status goes to stderr
  EXPECT_NE(r.err.find("Created"), std::string::npos) << r.err;
  // A trailing slash names the same directory.
  r = wt::wslplug({"new", "deep2", "--lang", "cpp", "--dir", "x/y/"}, {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(wt::fs::is_regular_file(tmp / "x/y/wslplug.json"));
  // A parent that cannot be created is an I/O error and leaves nothing behind.
  wt::write_text(tmp / "file", "x");
  r = wt::wslplug({"new", "deep3", "--dir", (tmp / "file/sub/p").string()});
  EXPECT_NE(r.rc, 0);
  EXPECT_FALSE(wt::fs::exists(tmp / "file/sub"));
}

TEST(ProjectAwareness, BuildFromASubfolderFindsTheProjectAndKeepsStdoutForData) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  wt::TempDir tmp;
  const auto project = cpp_project(tmp, false);
  auto r = wt::wslplug({"build", "--json"}, {}, {}, project / "src");
  ASSERT_EQ(r.rc, 0) << r.both();
  auto doc = wt::stdout_json(r);
  EXPECT_EQ(doc["project"], project.string());
  EXPECT_EQ(doc["artifact"].get<std::string>().rfind(project.string() + "/build/", 0), 0u)
      << doc.dump();
  // -C with a sloppy path: the report's paths are normal all the same.
  r = wt::wslplug({"build", "-C", (project / "src/../src/").string(), "--json", "--emit-reg"});
  ASSERT_EQ(r.rc, 0) << r.both();
  doc = wt::stdout_json(r);
  EXPECT_EQ(doc["project"], project.string());
  EXPECT_EQ(doc["registration"]["file"], (project / ".wslplug/p.reg").string());
  // Text mode: the toolchain's output is on stderr, stdout has the result only.
  r = wt::wslplug({"build"}, {}, {}, project / "cmake");
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(r.out.rfind("Built " + project.string() + "/build/", 0), 0u) << r.out;
  EXPECT_EQ(r.out.find("ninja"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("Building cpp plugin 'p'"), std::string::npos) << r.err;
  // Outside any project: the error says parents were searched.
  r = wt::wslplug({"build"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("any parent"), std::string::npos) << r.err;
}

TEST(ProjectAwareness, OfflineRustBuildSaysNetworkOrRegistry) {
  WSLPLUG_REQUIRE_TOOL("cargo");
  wt::TempDir tmp;
  ASSERT_EQ(wt::wslplug({"new", "net-plugin"}, {}, {}, tmp.path()).rc, 0);
  const std::map<std::string, std::string> env = {{"RUSTC", "/usr/bin/rustc"},
                                                  {"CARGO_HOME", (tmp / "cargo-home").string()},
                                                  {"CARGO_NET_RETRY", "0"}};
  // crates.io is unreachable here: the wslplugins-rs dependency cannot be downloaded.
  auto r = wt::wslplug({"build", "--cargo", "/usr/bin/cargo"}, env, {}, tmp / "net-plugin");
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("network or registry problem"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not a compile error"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wslplugins-rs"), std::string::npos) << r.err;
  for (const char* fix : {"cargo fetch", "cargo vendor", "--offline", "Cargo.lock"})
    EXPECT_NE(r.err.find(fix), std::string::npos) << fix << "\n" << r.err;
  EXPECT_EQ(r.err.find("cargo failed"), std::string::npos) << r.err;
  // cargo's own messages were still streamed (on stderr).
  EXPECT_NE(r.err.find("crates.io"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  // --offline: the same classification, and the JSON error is an input error.
  r = wt::wslplug({"build", "--cargo", "/usr/bin/cargo", "--offline", "--json"}, env, {},
                  tmp / "net-plugin/src");
  EXPECT_EQ(r.rc, 2) << r.both();
  auto doc = wt::stdout_json(r);
  EXPECT_EQ(doc["error"]["kind"], "input");
  EXPECT_NE(doc["error"]["message"].get<std::string>().find("offline"), std::string::npos)
      << doc.dump();
  EXPECT_EQ(doc["project"], (tmp / "net-plugin").string());
}
