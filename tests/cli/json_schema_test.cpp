// Every --json document the binary prints, checked against its schema in docs/schema/ (JSON
// Schema draft 2020-12, validated by tests/cli/validate_json.py with Debian's python3-jsonschema):
// each command in a success and a failure scenario (missing or unusable input, an unsigned file
// for verify, an unknown code for doctor, a usage error with --json). The schemas are the
// machine-readable form of docs/output-json.md, verify-json.md, doctor.md, build.md,
// register.md, run-json.md and errors.md; a document that breaks one fails here. `run` and
// `build` are checked in the scenarios that need neither wine nor a toolchain (their failures).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pki.hpp"
#include "signed_dll.hpp"
#include "support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

constexpr const char* kPython = "/usr/bin/python3";

wt::RunResult validate(const std::string& name, const std::string& text) {
  return wt::validate_json(name, text);
}

// `r` printed one document that satisfies schema NAME, exited `rc`, and its "ok" says whether
// the exit code is 0 (the envelope's promise). Returns the document.
json expect_document(const std::string& name, const wt::RunResult& r, int rc) {
  EXPECT_EQ(r.rc, rc) << r.both();
  json doc;
  try {
    doc = json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << name << ": stdout is not one JSON document: " << e.what() << "\n" << r.both();
    return doc;
  }
  auto v = validate(name, r.out);
  EXPECT_EQ(v.rc, 0) << name << ".json rejects the document:\n" << v.err << r.out;
  if (doc.is_object() && doc.contains("ok") && doc["ok"].is_boolean()) {
    EXPECT_EQ(doc["ok"].get<bool>(), r.rc == 0) << "\"ok\" is not exit code 0\n" << r.out;
  }
  return doc;
}

std::string s(const wt::fs::path& p) { return p.string(); }

class JsonSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(wt::fs::exists(kPython));
    auto probe = wt::run({kPython, "-c", "import jsonschema"});
    ASSERT_EQ(probe.rc, 0) << "python3-jsonschema is missing: run scripts/setup\n" << probe.err;
  }
  // The MinGW plugin DLL, a code-signing certificate, the DLL signed by osslsigncode and its
  // signature as DER (in the test's folder).
  const wt::SignedDll& signed_dll() {
    if (dll_.signed_dll.empty()) dll_ = wt::make_signed_dll(tmp_.path());
    return dll_;
  }
  // A file that is not a PE image.
  wt::fs::path not_pe() {
    const auto p = tmp_ / "not-pe.dll";
    if (!wt::fs::exists(p)) wt::write_text(p, "this is text, not a PE image\n");
    return p;
  }
  wt::fs::path path(const std::string& name) const { return tmp_ / name; }

  wt::TempDir tmp_;
  wt::SignedDll dll_;
};

}  // namespace

// The validator itself: a document that breaks its schema fails it (so a pass above means
// something), added members do not, and what is not JSON is an error of its own.
TEST_F(JsonSchema, ValidatorRejectsBrokenDocuments) {
  EXPECT_EQ(validate("version", R"({"schema": 1, "ok": true, "version": "1.2.3"})").rc, 0);
  // Fields are only ever added: a new top-level member is fine.
  EXPECT_EQ(validate("version", R"({"schema": 1, "ok": true, "version": "1.2.3", "x": 2})").rc, 0);
  struct Broken {
    const char* schema;
    const char* doc;
    const char* why;  // a word of the validator's complaint
  };
  const std::vector<Broken> broken = {
      {"version", R"({"schema": 1, "version": "1.2.3"})", "'ok' is a required property"},
      {"version", R"({"schema": 1, "ok": "yes", "version": "1.2.3"})", "ok"},
      {"usage",
       R"({"schema": 1, "command": "sign", "ok": false, "exit_code": 2,
           "error": {"kind": "fatal", "message": "m", "file": "", "where": "", "fix": ""}})",
       "fatal"},
      {"usage",
       R"({"schema": 1, "command": "sign", "ok": false, "exit_code": 2,
           "error": {"kind": "input", "message": "m", "file": null, "where": "", "fix": ""}})",
       "file"},
      {"usage",
       R"({"schema": 1, "command": null, "ok": false, "exit_code": 3,
           "error": {"kind": "input", "message": "m", "file": "", "where": "", "fix": ""}})",
       "exit_code"},
      {"unsign",
       R"({"ok": false, "file": "a.dll", "output": null, "in_place": false, "was_signed": null,
           "written": false, "size": null, "checksum": null})",
       "'error' is a required property"},
      {"unsign",
       R"({"ok": true, "file": "a.dll", "output": "b.dll", "in_place": false, "was_signed": true,
           "written": true, "size": 512, "checksum": "0x0000abcd"})",
       "checksum"},
      {"doctor-dll",
       R"({"ok": true, "files": [{"file": "a.dll", "ok": true, "findings": [{"id": "unsigned",
           "severity": "fatal", "wsl_error": null, "message": "m", "fix": ""}]}]})",
       "severity"},
  };
  for (const auto& b : broken) {
    SCOPED_TRACE(b.doc);
    auto v = validate(b.schema, b.doc);
    EXPECT_EQ(v.rc, 1) << v.both();
    EXPECT_NE(v.err.find(b.why), std::string::npos) << v.err;
  }
  // A real document with one documented field taken away.
  auto r = wt::wslplug({"cert", "new", "--out-dir", path("certs").string(), "--json"});
  auto doc = expect_document("cert-new", r, 0);
  doc.erase("thumbprint_sha1");
  auto v = validate("cert-new", doc.dump());
  EXPECT_EQ(v.rc, 1) << v.both();
  EXPECT_NE(v.err.find("thumbprint_sha1"), std::string::npos) << v.err;
  // Not JSON, or no such schema: exit 2, not a verdict.
  EXPECT_EQ(validate("version", "{not json").rc, 2);
  EXPECT_EQ(validate("no-such-document", "{}").rc, 2);
}

// Every schema is linked from the Markdown page that documents its document.
TEST_F(JsonSchema, EverySchemaIsLinkedFromItsPage) {
  std::string pages;
  for (const auto& e : wt::fs::directory_iterator(wt::source_dir() / "docs"))
    if (e.path().extension() == ".md") pages += wt::read_text(e.path());
  int schemas = 0;
  for (const auto& e : wt::fs::directory_iterator(wt::source_dir() / "docs/schema")) {
    if (e.path().extension() != ".json") continue;
    ++schemas;
    const std::string name = e.path().filename().string();
    if (name == "common.json" || name == "envelope.json") continue;  // used by the others
    EXPECT_NE(pages.find(fmt::format("Schema: [docs/schema/{0}](schema/{0})", name)),
              std::string::npos)
        << name << " is linked from no docs/*.md page";
  }
  EXPECT_GE(schemas, 22);
}

TEST_F(JsonSchema, VersionAndUsageErrors) {
  expect_document("version", wt::wslplug({"version", "--json"}), 0);
  // A usage error with --json is one document on stdout, whatever the command.
  struct Usage {
    std::vector<std::string> args;
    const char* command;  // "" for null
  };
  const std::vector<Usage> usages = {
      {{"sign", "--bogus", "--json"}, "sign"},
      {{"sign", "x.dll", "--json", "--cert"}, "sign"},
      {{"cert", "new", "--days", "many", "--json"}, "cert new"},
      {{"verify", "--json"}, "verify"},
      {{"extract", s(path("missing.dll")), "-o", s(path("x.p7")), "--json"}, "extract"},
      {{"version", "--bogus", "--json"}, "version"},
      {{"doctor", "--reg", s(path("missing.reg")), "--json"}, "doctor"},
      {{"build", "--sing", "--json"}, "build"},
      {{"sing", "--json"}, ""},
  };
  for (const auto& u : usages) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(u.args, " ")));
    auto r = wt::wslplug(u.args);
    auto doc = expect_document("usage", r, 2);
    EXPECT_EQ(r.err, "") << "--json: the error is in the document, not on stderr";
    if (*u.command) {
      EXPECT_EQ(doc.value("command", json()), u.command) << r.out;
    } else {
      EXPECT_TRUE(doc.value("command", json(0)).is_null()) << r.out;
    }
  }
  // doctor's own usage errors (two modes at once, --ca without --dll) are usage errors too.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"doctor", "0x80070002", "--reg", s(not_pe()), "--json"},
           {"doctor", "0x80070002", "--ca", s(not_pe()), "--json"}}) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(args, " ")));
    expect_document("usage", wt::wslplug(args), 2);
  }
}

TEST_F(JsonSchema, Sign) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  const auto& f = signed_dll();
  const std::vector<std::string> creds = {"--cert", s(f.signer.cert), "--key", s(f.signer.key),
                                          "--json"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "sign");
    args.insert(args.end(), creds.begin(), creds.end());
    return wt::wslplug(args);
  };
  expect_document("sign", with({s(f.unsigned_dll), "-o", s(path("a.dll"))}), 0);
  // Two files into a folder, one of them nested onto a signed file.
  expect_document(
      "sign", with({s(f.unsigned_dll), s(f.signed_dll), "--append", "--out-dir", s(path("out"))}),
      0);
  expect_document(
      "sign", with({s(f.unsigned_dll), "--detached-out", s(path("a.p7")), "--hash", "sha384"}), 0);
  // A file that fails has its error in its entry; the others are still signed.
  auto doc = expect_document(
      "sign", with({s(f.unsigned_dll), s(not_pe()), "--out-dir", s(path("out2"))}), 2);
  EXPECT_TRUE(doc["files"][1].contains("error")) << doc;
  expect_document("sign", with({s(path("missing.dll")), "-o", s(path("m.dll"))}), 2);
  // Output exists without --force.
  expect_document("sign", with({s(f.unsigned_dll), "-o", s(path("a.dll"))}), 2);
  // Credentials that cannot be used: the top-level error, signer null.
  const auto other = wt::make_cert(tmp_.path(), "other");
  doc = expect_document("sign",
                        wt::wslplug({"sign", s(f.unsigned_dll), "-o", s(path("b.dll")), "--cert",
                                     s(f.signer.cert), "--key", s(other.key), "--json"}),
                        2);
  EXPECT_TRUE(doc["signer"].is_null()) << doc;
}

TEST_F(JsonSchema, UnsignAttachExtract) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  const auto& f = signed_dll();
  expect_document("unsign",
                  wt::wslplug({"unsign", s(f.signed_dll), "-o", s(path("u.dll")), "--json"}), 0);
  // An unsigned file: nothing to do in place (exit 0); with -o the copy is written (exit 0).
  const auto copy = wt::copy_to(f.unsigned_dll, tmp_.path(), "copy.dll");
  auto doc = expect_document("unsign", wt::wslplug({"unsign", s(copy), "--in-place", "--json"}), 0);
  EXPECT_EQ(doc.value("was_signed", json()), false) << doc;
  expect_document("unsign",
                  wt::wslplug({"unsign", s(f.unsigned_dll), "-o", s(path("u2.dll")), "--json"}), 0);
  expect_document("unsign", wt::wslplug({"unsign", s(not_pe()), "-o", s(path("u3.dll")), "--json"}),
                  2);
  expect_document("unsign",
                  wt::wslplug({"unsign", s(f.signed_dll), "-o", s(path("u.dll")), "--json"}), 2);

  expect_document("attach",
                  wt::wslplug({"attach", s(f.unsigned_dll), "--signature", s(f.sig_der), "-o",
                               s(path("a.dll")), "--json"}),
                  0);
  expect_document("attach",
                  wt::wslplug({"attach", s(f.unsigned_dll), "--signature", s(not_pe()), "-o",
                               s(path("a2.dll")), "--json"}),
                  2);
  expect_document("attach",
                  wt::wslplug({"attach", s(not_pe()), "--signature", s(f.sig_der), "-o",
                               s(path("a3.dll")), "--json"}),
                  2);

  expect_document("extract",
                  wt::wslplug({"extract", s(f.signed_dll), "-o", s(path("s.p7")), "--json"}), 0);
  expect_document(
      "extract",
      wt::wslplug({"extract", s(f.signed_dll), "--pem", "-o", s(path("s.pem")), "--json"}), 0);
  expect_document("extract",
                  wt::wslplug({"extract", s(f.unsigned_dll), "-o", s(path("n.p7")), "--json"}), 2);
  expect_document(
      "extract",
      wt::wslplug({"extract", s(f.signed_dll), "--index", "5", "-o", s(path("i.p7")), "--json"}),
      2);
}

// timestamp needs a time-stamping server to succeed (the tsa tests): here its failures.
TEST_F(JsonSchema, TimestampFailures) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  const auto& f = signed_dll();
  expect_document("timestamp",
                  wt::wslplug({"timestamp", s(f.unsigned_dll), "--timestamp", "http://127.0.0.1:9/",
                               "-o", s(path("t.dll")), "--json"}),
                  2);
  // Nothing listens on the discard port: the server cannot be reached (I/O).
  auto doc = expect_document(
      "timestamp",
      wt::wslplug({"timestamp", s(f.signed_dll), "--timestamp", "http://127.0.0.1:9/",
                   "--timestamp-retries", "0", "-o", s(path("t2.dll")), "--json"}),
      3);
  EXPECT_EQ(doc["error"].is_object() ? doc["error"].value("kind", "") : "", "io") << doc;
}

TEST_F(JsonSchema, PrepareAndFinish) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  WSLPLUG_REQUIRE_TOOL("openssl");
  const auto& f = signed_dll();
  const auto req = path("req.json");
  const auto digest = path("digest.bin");
  expect_document("prepare",
                  wt::wslplug({"prepare", s(f.unsigned_dll), "--cert", s(f.signer.cert), "-o",
                               s(req), "--digest-out", s(digest), "--json"}),
                  0);
  // The certificate is not one.
  expect_document("prepare",
                  wt::wslplug({"prepare", s(f.unsigned_dll), "--cert", s(not_pe()), "-o",
                               s(path("req2.json")), "--json"}),
                  2);
  const auto sig = path("sig.bin");
  auto k = wt::run({"openssl", "pkeyutl", "-sign", "-inkey", s(f.signer.key), "-pkeyopt",
                    "digest:sha256", "-in", s(digest), "-out", s(sig)});
  ASSERT_EQ(k.rc, 0) << k.both();
  expect_document("finish",
                  wt::wslplug({"finish", s(f.unsigned_dll), "--request", s(req), "--signature",
                               s(sig), "-o", s(path("f.dll")), "--json"}),
                  0);
  // A signature that is not the key's over this digest.
  expect_document("finish",
                  wt::wslplug({"finish", s(f.unsigned_dll), "--request", s(req), "--signature",
                               s(not_pe()), "-o", s(path("f2.dll")), "--json"}),
                  2);
}

TEST_F(JsonSchema, CertNewAndNew) {
  expect_document("cert-new",
                  wt::wslplug({"cert", "new", "--out-dir", s(path("c")), "--key-type", "ecdsa-p256",
                               "--subject", "CN=schema test", "--json"}),
                  0);
  expect_document(
      "cert-new",
      wt::wslplug({"cert", "new", "--out-dir", s(path("c2")), "--key-type", "dsa512", "--json"}),
      2);
  // The files exist already.
  expect_document("cert-new", wt::wslplug({"cert", "new", "--out-dir", s(path("c")), "--json"}), 2);

  expect_document(
      "new", wt::wslplug({"new", "my-plugin", "--lang", "cpp", "--dir", s(path("p")), "--json"}),
      0);
  expect_document("new",
                  wt::wslplug({"new", "rs-plugin", "--dir", s(path("r")), "--no-ci", "--json"}), 0);
  expect_document("new", wt::wslplug({"new", "bad name!", "--dir", s(path("b")), "--json"}), 2);
  expect_document(
      "new", wt::wslplug({"new", "my-plugin", "--lang", "cpp", "--dir", s(path("p")), "--json"}),
      2);

  wt::fs::create_directories(path("existing"));
  wt::write_text(path("existing/README.md"), "mine\n");
  expect_document("init", wt::wslplug({"init", s(path("existing")), "--json"}), 0);
  expect_document("init", wt::wslplug({"init", s(path("existing")), "--json"}), 2);
}

TEST_F(JsonSchema, Verify) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  const auto& f = signed_dll();
  const std::string ca = s(f.signer.cert);
  expect_document("verify", wt::wslplug({"verify", s(f.signed_dll), "--ca", ca, "--json"}), 0);
  // Unsigned (a failed check), untrusted, not a PE (the file's error), and all of them at once.
  auto doc = expect_document("verify", wt::wslplug({"verify", s(f.unsigned_dll), "--json"}), 1);
  EXPECT_EQ(doc["files"][0].value("signed", true), false) << doc;
  expect_document("verify", wt::wslplug({"verify", s(f.signed_dll), "--json"}), 1);
  expect_document("verify", wt::wslplug({"verify", s(not_pe()), "--json"}), 2);
  expect_document("verify",
                  wt::wslplug({"verify", s(f.signed_dll), s(f.unsigned_dll), s(not_pe()),
                               s(path("missing.dll")), "--ca", ca, "--json"}),
                  2);
  // A --ca file that does not exist: the command cannot run (top-level error, no files).
  doc = expect_document(
      "verify", wt::wslplug({"verify", s(f.signed_dll), "--ca", s(path("missing.pem")), "--json"}),
      2);
  EXPECT_TRUE(doc.contains("error")) << doc;
}

TEST_F(JsonSchema, DoctorCodes) {
  expect_document("doctor-codes", wt::wslplug({"doctor", "0x8007007f", "--json"}), 0);
  expect_document("doctor-codes",
                  wt::wslplug({"doctor", "TRUST_E_NOSIGNATURE", "126", "-2147024770", "80070002",
                               "Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f", "--json"}),
                  0);
  // Pasted wsl.exe output with the plugin's message.
  expect_document(
      "doctor-codes",
      wt::wslplug({"doctor", "-", "--json"}, {},
                  "A fatal error was returned by plugin 'demo'. Error message: 'denied'\n"
                  "Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/E_ACCESSDENIED\n"),
      0);
  // An unknown code (exit 1) and an input that is not a code (its slot has the error).
  auto doc = expect_document("doctor-codes", wt::wslplug({"doctor", "0xDEADBEEF", "--json"}), 1);
  EXPECT_EQ(doc["codes"][0].value("named", true), false) << doc;
  doc = expect_document("doctor-codes",
                        wt::wslplug({"doctor", "0x8007007f", "not-a-code", "--json"}), 2);
  EXPECT_TRUE(doc["codes"][1].contains("error")) << doc;
}

TEST_F(JsonSchema, DoctorDllAndReg) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  const auto& f = signed_dll();
  expect_document(
      "doctor-dll",
      wt::wslplug({"doctor", "--dll", s(f.signed_dll), "--ca", s(f.signer.cert), "--json"}), 0);
  expect_document("doctor-dll", wt::wslplug({"doctor", "--dll", s(f.unsigned_dll), "--json"}), 1);
  expect_document("doctor-dll",
                  wt::wslplug({"doctor", "--dll", s(f.signed_dll), "--dll", s(not_pe()), "--json"}),
                  1);

  const auto reg = path("p.reg");
  auto r = wt::wslplug(
      {"register", "--emit-reg", "--name", "p", "-o", s(reg), "C:\\Program Files\\P\\p.dll"});
  ASSERT_EQ(r.rc, 0) << r.both();
  expect_document("doctor-reg", wt::wslplug({"doctor", "--reg", s(reg), "--json"}), 0);
  // A REG_EXPAND_SZ value with a relative path: WSL skips it.
  const auto bad = path("bad.reg");
  wt::write_text(bad,
                 "Windows Registry Editor Version 5.00\r\n\r\n"
                 "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins]"
                 "\r\n\"p\"=\"p.dll\"\r\n");
  expect_document("doctor-reg", wt::wslplug({"doctor", "--reg", s(bad), "--json"}), 1);
  // Not a .reg file at all: the file's error.
  auto doc =
      expect_document("doctor-reg", wt::wslplug({"doctor", "--reg", s(not_pe()), "--json"}), 2);
  EXPECT_TRUE(doc["files"][0].contains("error")) << doc;
}

TEST_F(JsonSchema, RegisterAndUnregister) {
  const std::vector<std::string> reg = {
      "register", "--emit-reg",     "--name", "p",
      "-o",       s(path("p.reg")), "--json", "C:\\Users\\bob\\p.dll"};
  auto doc = expect_document("register", wt::wslplug(reg), 0);
  EXPECT_FALSE(doc.value("warnings", json::array()).empty()) << "a user-writable location";
  expect_document("register",
                  wt::wslplug({"register", "--ps1", "--name", "p", "-o", s(path("p2.reg")),
                               "--source", s(not_pe()), "--json", "C:\\Program Files\\P\\p.dll"}),
                  0);
  // The files exist already.
  expect_document("register", wt::wslplug(reg), 2);
  expect_document("register",
                  wt::wslplug({"register", "--emit-reg", "--name", "", "-o", s(path("b.reg")),
                               "--json", "C:\\P\\p.dll"}),
                  2);

  const std::vector<std::string> unreg = {"unregister", "--emit-reg",     "--name", "p",
                                          "-o",         s(path("u.reg")), "--json"};
  expect_document("unregister", wt::wslplug(unreg), 0);
  expect_document("unregister", wt::wslplug(unreg), 2);
}

// build without a toolchain: its failures before anything is compiled.
TEST_F(JsonSchema, BuildFailures) {
  wt::fs::create_directories(path("empty"));
  auto doc = expect_document("build", wt::wslplug({"build", "-C", s(path("empty")), "--json"}), 2);
  EXPECT_TRUE(doc["artifact"].is_null()) << doc;
  auto n = wt::wslplug({"new", "my-plugin", "--lang", "cpp", "--dir", s(path("p"))});
  ASSERT_EQ(n.rc, 0) << n.both();
  expect_document("build", wt::wslplug({"build", "-C", s(path("p")), "--target", "mips", "--json"}),
                  2);
}

// build of the C++ template (CMake and MinGW, seconds): a compile error with the compiler's
// diagnostics, and a DLL signed with the signer of WSLPLUG_CERT/WSLPLUG_KEY.
TEST_F(JsonSchema, BuildDiagnosticsAndSigner) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  WSLPLUG_REQUIRE_TOOL("cmake");
  auto n = wt::wslplug({"new", "diag", "--lang", "cpp", "--dir", s(path("diag"))});
  ASSERT_EQ(n.rc, 0) << n.both();
  const auto src = path("diag/src/plugin.cpp");
  const std::string good = wt::read_text(src);
  wt::write_text(src, good + "\nstatic int unused_fn() { return 0; }\nint f() { return nope; }\n");
  auto failed =
      expect_document("build", wt::wslplug({"build", "-C", s(path("diag")), "--json"}), 1);
  ASSERT_GE(failed["diagnostics"].size(), 2u) << failed;
  wt::write_text(src, good);
  auto made = wt::wslplug({"cert", "new", "--out-dir", s(path("release"))});
  ASSERT_EQ(made.rc, 0) << made.both();
  auto built = expect_document("build",
                               wt::wslplug({"build", "-C", s(path("diag")), "--sign", "--json"},
                                           {{"WSLPLUG_CERT", s(path("release/cert.pem"))},
                                            {"WSLPLUG_KEY", s(path("release/key.pem"))}}),
                               0);
  EXPECT_EQ(built["signer"]["source"], "environment") << built;
  EXPECT_TRUE(built["diagnostics"].empty()) << built;
}

// run without wine: its failures before a host starts, each run's document of one shape.
TEST_F(JsonSchema, RunFailures) {
  expect_document("run", wt::wslplug({"run", s(path("missing.dll")), "--json"}), 2);
  // Outside a project, with no DLL named.
  wt::fs::create_directories(path("empty"));
  expect_document("run", wt::wslplug({"run", "--json"}, {}, {}, path("empty")), 2);
  // Usage errors have run's shape.
  expect_document("run", wt::wslplug({"run", "x.dll", "--bogus", "--json"}), 2);
  expect_document("run", wt::wslplug({"run", s(not_pe()), "--repeat", "0", "--json"}), 2);
  expect_document("run",
                  wt::wslplug({"run", s(not_pe()), "--ca", s(path("missing.pem")), "--json"}), 2);
}
