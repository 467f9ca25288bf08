// The console and output conventions every command shares, on the real binary: data on stdout,
// status on stderr (-q silences it, before or after the command name), colour only when asked
// or on a terminal, one JSON shape per command, -o/--in-place the same for every PE rewriter,
// -o - for a stream, exit 3 for an output that cannot be written.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "pki.hpp"
#include "signed_dll.hpp"
#include "support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

// An unsigned plugin DLL and a certificate in `dir` (signed.dll is osslsigncode's).
wt::SignedDll fixture(const wt::TempDir& tmp) { return wt::make_signed_dll(tmp.path()); }

std::vector<std::string> sign_args(const wt::SignedDll& f, const std::vector<std::string>& more) {
  std::vector<std::string> a = {"sign",  f.unsigned_dll.string(), "--cert", f.signer.cert.string(),
                                "--key", f.signer.key.string()};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

}  // namespace

TEST(Output, SignWritesStatusOnStderrAndNothingOnStdout) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  wt::TempDir tmp;
  auto f = fixture(tmp);
  auto r = wt::wslplug(sign_args(f, {"-o", (tmp / "a.dll").string()}));
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("signed "), std::string::npos) << r.err;
  // -q silences the status line, after or before the command name.
  r = wt::wslplug(sign_args(f, {"-o", (tmp / "b.dll").string(), "-q"}));
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(r.out + r.err, "");
  r = wt::wslplug({"--quiet", "sign", f.unsigned_dll.string(), "--cert", f.signer.cert.string(),
                   "--key", f.signer.key.string(), "-o", (tmp / "c.dll").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(r.out + r.err, "");
  EXPECT_TRUE(wt::fs::exists(tmp / "c.dll"));
  // Errors are never silenced.
  r = wt::wslplug(sign_args(f, {"-o", (tmp / "c.dll").string(), "-q"}));
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("exists"), std::string::npos) << r.err;
}

TEST(Output, ColourOnlyWhenAskedOrOnATerminal) {
  wt::TempDir tmp;
  const std::string missing = (tmp / "missing.dll").string();
  // Not a terminal: no escape codes by default.
  auto r = wt::wslplug({"verify", missing});
  EXPECT_NE(r.rc, 0);
  EXPECT_EQ(r.err.find("\x1b["), std::string::npos) << r.err;
  // --color=always colours the error label; NO_COLOR does not override an explicit always.
  r = wt::wslplug({"verify", missing, "--color=always"});
  EXPECT_NE(r.err.find("\x1b[1;31merror:\x1b[0m"), std::string::npos) << r.err;
  r = wt::wslplug({"--color", "always", "verify", missing}, {{"NO_COLOR", "1"}});
  EXPECT_NE(r.err.find("\x1b["), std::string::npos) << r.err;
  r = wt::wslplug({"verify", missing, "--color=never"});
  EXPECT_EQ(r.err.find("\x1b["), std::string::npos) << r.err;
  // On a terminal (script(1) gives one), auto colours unless NO_COLOR is set.
  if (wt::have_tool("script")) {
    const std::string cmd = fmt::format("{} doctor 0xDEADBEEF", wt::wslplug_bin());
    auto tty = wt::run({"script", "-qec", cmd, "/dev/null"}, {{"NO_COLOR", ""}, {"TERM", "xterm"}});
    EXPECT_NE(tty.out.find("\x1b["), std::string::npos) << tty.out;
    tty = wt::run({"script", "-qec", cmd, "/dev/null"}, {{"NO_COLOR", "1"}, {"TERM", "xterm"}});
    EXPECT_EQ(tty.out.find("\x1b["), std::string::npos) << tty.out;
  }
  r = wt::wslplug({"verify", missing, "--color=sometimes"});
  EXPECT_EQ(r.rc, 2);
}

TEST(Output, EveryPeRewriterNeedsExactlyOneOfOutOrInPlace) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  wt::TempDir tmp;
  auto f = fixture(tmp);
  const std::string in = f.signed_dll.string();
  const std::string out = (tmp / "out.dll").string();
  const std::string before = wt::sha256_file(f.signed_dll);
  const std::vector<std::vector<std::string>> commands = {
      {"unsign", in},
      {"attach", in, "--signature", f.sig_der.string()},
      {"timestamp", in, "--timestamp", "http://127.0.0.1:9/"},
      sign_args(f, {})};
  for (const auto& base : commands) {
    auto r = wt::wslplug(base);
    EXPECT_EQ(r.rc, 2) << base[0] << ": " << r.both();
    EXPECT_NE(r.err.find("-o OUT"), std::string::npos) << base[0] << ": " << r.err;
    EXPECT_NE(r.err.find("--in-place"), std::string::npos) << base[0] << ": " << r.err;
    auto both = base;
    both.insert(both.end(), {"-o", out, "--in-place"});
    r = wt::wslplug(both);
    EXPECT_EQ(r.rc, 2) << base[0] << ": " << r.both();
    EXPECT_NE(r.err.find("cannot be used together"), std::string::npos) << base[0] << ": " << r.err;
    auto dash = base;
    dash.insert(dash.end(), {"-o", "-"});
    r = wt::wslplug(dash);
    EXPECT_EQ(r.rc, 2) << base[0] << ": " << r.both();
    EXPECT_NE(r.err.find("stdout"), std::string::npos) << base[0] << ": " << r.err;
    EXPECT_FALSE(wt::fs::exists(tmp / "-"));
    EXPECT_FALSE(wt::fs::exists(out)) << base[0];
  }
  EXPECT_EQ(wt::sha256_file(f.signed_dll), before);
}

TEST(Output, UnsignOfAnUnsignedFileIsANoOpWithANote) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  wt::TempDir tmp;
  auto f = fixture(tmp);
  const auto before = wt::read_bytes(f.unsigned_dll);
  auto r = wt::wslplug({"unsign", f.unsigned_dll.string(), "--in-place"});
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.err.find("has no signature"), std::string::npos) << r.err;
  EXPECT_EQ(wt::read_bytes(f.unsigned_dll), before);
  auto doc =
      wt::stdout_json(wt::wslplug({"unsign", f.unsigned_dll.string(), "--in-place", "--json"}));
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["was_signed"], false);
  EXPECT_EQ(doc["written"], false);
  // A signed file: the signature is removed; the JSON has the result's size and checksum.
  auto copy = wt::copy_to(f.signed_dll, tmp.path(), "s.dll");
  r = wt::wslplug({"unsign", copy.string(), "-o", (tmp / "u.dll").string(), "--json"});
  ASSERT_EQ(r.rc, 0) << r.both();
  doc = wt::stdout_json(r);
  EXPECT_EQ(doc["was_signed"], true);
  EXPECT_EQ(doc["written"], true);
  EXPECT_EQ(doc["output"], (tmp / "u.dll").string());
  EXPECT_EQ(doc["size"].get<std::uint64_t>(), wt::fs::file_size(tmp / "u.dll"));
  EXPECT_EQ(doc["checksum"], fmt::format("0x{:08X}", wt::pefile_checksum(tmp / "u.dll").stored));
  auto v = wt::wslplug({"verify", (tmp / "u.dll").string()});
  EXPECT_EQ(v.rc, 1) << v.both();
  EXPECT_NE(v.out.find("NOT SIGNED"), std::string::npos) << v.out;
  EXPECT_EQ(v.out.find("\x1b["), std::string::npos) << v.out;
  // The verdict is coloured when colour is asked for.
  v = wt::wslplug({"verify", (tmp / "u.dll").string(), "--color=always"});
  EXPECT_NE(v.out.find("\x1b[1;31mNOT SIGNED\x1b[0m"), std::string::npos) << v.out;
}

TEST(Output, AnOutputThatCannotBeWrittenIsAnIoError) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  wt::TempDir tmp;
  auto f = fixture(tmp);
  auto r = wt::wslplug(sign_args(f, {"-o", (tmp / "nodir/x.dll").string()}));
  EXPECT_EQ(r.rc, 3) << r.both();
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((tmp / "nodir").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mkdir -p"), std::string::npos) << r.err;
  r = wt::wslplug(sign_args(f, {"-o", "/proc/x.dll"}));
  EXPECT_EQ(r.rc, 3) << r.both();
  EXPECT_EQ(r.err.find("No such file or directory\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("does not accept new files"), std::string::npos) << r.err;
  r = wt::wslplug({"extract", f.signed_dll.string(), "-o", (tmp / "nodir/s.p7").string()});
  EXPECT_EQ(r.rc, 3) << r.both();
  r = wt::wslplug({"cert", "new", "--out-dir", "/proc/certs", "--key", "ecdsa-p256"});
  EXPECT_EQ(r.rc, 3) << r.both();
}

TEST(Output, ExtractToStdout) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  wt::TempDir tmp;
  auto f = fixture(tmp);
  auto r = wt::wslplug({"extract", f.signed_dll.string(), "-o", "-"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto der = wt::read_bytes(f.sig_der);
  ASSERT_EQ(r.out.size(), der.size());
  EXPECT_EQ(0, std::memcmp(r.out.data(), der.data(), der.size()));
  EXPECT_FALSE(wt::fs::exists("-"));
  r = wt::wslplug({"extract", f.signed_dll.string(), "-o", "-", "--pem"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.rfind("-----BEGIN PKCS7-----", 0), 0u) << r.out;
  r = wt::wslplug({"extract", f.signed_dll.string(), "-o", "-", "--json"});
  EXPECT_EQ(r.rc, 2);
  auto doc = wt::stdout_json(r);
  EXPECT_EQ(doc["ok"], false);
  EXPECT_EQ(doc["error"]["kind"], "input");
  doc = wt::stdout_json(
      wt::wslplug({"extract", f.signed_dll.string(), "-o", (tmp / "s.p7").string(), "--json"}));
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["format"], "der");
  EXPECT_EQ(doc["size"].get<std::size_t>(), der.size());
  EXPECT_EQ(wt::read_bytes(tmp / "s.p7"), der);
}

TEST(OutputJson, SignTimestampAttachAndCertNewReportWhatTheyWrote) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  wt::TempDir tmp;
  auto f = fixture(tmp);
  // cert new: thumbprints and files.
  auto cert = wt::stdout_json(wt::wslplug(
      {"cert", "new", "--out-dir", (tmp / "c").string(), "--key", "ecdsa-p256", "--json"}));
  ASSERT_EQ(cert["ok"], true) << cert.dump();
  EXPECT_EQ(cert["files"]["key"], (tmp / "c/key.pem").string());
  EXPECT_TRUE(wt::fs::exists(cert["files"]["cer"].get<std::string>()));
  EXPECT_EQ(cert["files"]["pfx"], nullptr);
  EXPECT_EQ(cert["thumbprint_sha1"].get<std::string>().size(), 40u);
  // The thumbprint is the certificate's SHA-1 as openssl computes it.
  auto fp = wt::run(
      {"openssl", "x509", "-in", (tmp / "c/cert.pem").string(), "-noout", "-fingerprint", "-sha1"});
  std::string openssl_fp = fp.out.substr(fp.out.find('=') + 1);
  std::erase(openssl_fp, ':');
  std::erase(openssl_fp, '\n');
  EXPECT_EQ(cert["thumbprint_sha1"], openssl_fp);

  // sign: one document with one entry per file, also for one file.
  auto copy = wt::copy_to(f.unsigned_dll, tmp.path(), "p.dll");
  auto r = wt::wslplug({"sign", copy.string(), "--cert", (tmp / "c/cert.pem").string(), "--key",
                        (tmp / "c/key.pem").string(), "--in-place", "--json"});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto doc = wt::stdout_json(r);
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["signer"]["thumbprint_sha1"], cert["thumbprint_sha1"]);
  EXPECT_EQ(doc["signer"]["source"], "cert");
  ASSERT_EQ(doc["files"].size(), 1u);
  const auto& entry = doc["files"][0];
  EXPECT_EQ(entry["in_place"], true);
  EXPECT_EQ(entry["output"], copy.string());
  auto verified = wt::stdout_json(
      wt::wslplug({"verify", copy.string(), "--ca", (tmp / "c/cert.pem").string(), "--json"}));
  EXPECT_EQ(entry["digest"], verified["files"][0]["signatures"][0]["embedded_digest"]);
  EXPECT_EQ(entry["checksum"], verified["files"][0]["stored_checksum"]);
  // A failing file is an entry with "error"; the document stays one object.
  r = wt::wslplug({"sign", copy.string(), (tmp / "nope.dll").string(), "--cert",
                   (tmp / "c/cert.pem").string(), "--key", (tmp / "c/key.pem").string(),
                   "--in-place", "--json"});
  EXPECT_EQ(r.rc, 2) << r.both();
  doc = wt::stdout_json(r);
  EXPECT_EQ(doc["ok"], false);
  ASSERT_EQ(doc["files"].size(), 2u);
  EXPECT_EQ(doc["files"][0]["ok"], true);
  EXPECT_EQ(doc["files"][1]["ok"], false);
  EXPECT_TRUE(doc["files"][1].contains("error"));

  // attach: the digest it checked against.
  r = wt::wslplug({"attach", f.unsigned_dll.string(), "--signature", f.sig_der.string(), "-o",
                   (tmp / "att.dll").string(), "--json"});
  ASSERT_EQ(r.rc, 0) << r.both();
  doc = wt::stdout_json(r);
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["output"], (tmp / "att.dll").string());
  EXPECT_EQ(doc["signature_size"].get<std::size_t>(), wt::fs::file_size(f.sig_der));
  EXPECT_EQ(doc["size"].get<std::uint64_t>(), wt::fs::file_size(tmp / "att.dll"));
  EXPECT_EQ(doc["digest"].get<std::string>().size(), 64u);
  EXPECT_EQ(doc["digest_algorithm"], "sha256");
  {
    // The digest reported is the one verify computes from the written file.
    auto v = wt::wslplug({"verify", (tmp / "att.dll").string(), "--json"});
    auto vdoc = wt::stdout_json(v);
    EXPECT_EQ(doc["digest"], vdoc["files"][0]["signatures"][0]["computed_digest"]) << vdoc.dump();
  }

  // timestamp: a failure (no server) is one document with the error.
  r = wt::wslplug({"timestamp", (tmp / "att.dll").string(), "--timestamp", "http://127.0.0.1:9/",
                   "-o", (tmp / "ts.dll").string(), "--json"});
  EXPECT_NE(r.rc, 0);
  doc = wt::stdout_json(r);
  EXPECT_EQ(doc["ok"], false);
  EXPECT_EQ(doc["url"], "http://127.0.0.1:9/");
  EXPECT_TRUE(doc["error"].is_object());
  EXPECT_FALSE(wt::fs::exists(tmp / "ts.dll"));
}

TEST(OutputJson, DoctorIsAlwaysOneEnvelope) {
  auto one = wt::stdout_json(wt::wslplug({"doctor", "0x8007007e", "--json"}));
  EXPECT_EQ(one["ok"], true);
  ASSERT_TRUE(one["codes"].is_array());
  ASSERT_EQ(one["codes"].size(), 1u);
  EXPECT_EQ(one["codes"][0]["hresult"], "0x8007007E");
  auto two = wt::stdout_json(wt::wslplug({"doctor", "0x8007007e", "126", "--json"}));
  ASSERT_EQ(two["codes"].size(), 2u);
  auto r = wt::wslplug({"doctor", "0x8007007e", "NOT_A_CODE_AT_ALL", "--json"});
  EXPECT_EQ(r.rc, 2);
  auto bad = wt::stdout_json(r);
  EXPECT_EQ(bad["ok"], false);
  ASSERT_EQ(bad["codes"].size(), 2u);
  EXPECT_TRUE(bad["codes"][1].contains("error"));
  // --dll: the same envelope as verify's.
  wt::TempDir tmp;
  wt::write_text(tmp / "x.dll", "not a PE file");
  r = wt::wslplug({"doctor", "--dll", (tmp / "x.dll").string(), "--json"});
  auto dll = wt::stdout_json(r);
  EXPECT_EQ(dll["ok"], false);
  ASSERT_TRUE(dll["files"].is_array());
  ASSERT_EQ(dll["files"].size(), 1u);
  EXPECT_EQ(dll["files"][0]["file"], (tmp / "x.dll").string());
}

TEST(Doctor, UnknownCodesSayUnknownAndExitOne) {
  for (const char* code : {"0xDEADBEEF", "0x8BADF00D"}) {
    auto r = wt::wslplug({"doctor", code});
    EXPECT_EQ(r.rc, 1) << code << r.both();
    EXPECT_NE(r.out.find("UNKNOWN CODE"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("has no name in any table"), std::string::npos) << r.out;
    // Only the structure: no guessed causes or fixes.
    EXPECT_EQ(r.out.find("causes"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("Fixes"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("facility"), std::string::npos) << r.out;
    auto doc = wt::stdout_json(wt::wslplug({"doctor", code, "--json"}));
    EXPECT_EQ(doc["ok"], false);
    EXPECT_EQ(doc["codes"][0]["named"], false);
    EXPECT_TRUE(doc["codes"][0]["causes"].empty());
    EXPECT_TRUE(doc["codes"][0]["fixes"].empty());
  }
  // One unknown among known codes still exits 1; known codes alone exit 0.
  EXPECT_EQ(wt::wslplug({"doctor", "0x8007007e", "0xDEADBEEF"}).rc, 1);
  EXPECT_EQ(wt::wslplug({"doctor", "0x8007007e", "TRUST_E_NOSIGNATURE"}).rc, 0);
}

TEST(Doctor, ABareNumberSaysWhichBaseWasUsed) {
  auto r = wt::wslplug({"doctor", "99999"});
  EXPECT_NE(r.out.find("99999 was read as hex 0x00099999"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("write 0x1869F"), std::string::npos) << r.out;
  // The suggested spelling really gives the decimal reading.
  auto doc = wt::stdout_json(wt::wslplug({"doctor", "0x1869F", "--json"}));
  EXPECT_EQ(doc["codes"][0]["hresult"], "0x0001869F");
  EXPECT_EQ(doc["codes"][0]["reading"], nullptr);
  r = wt::wslplug({"doctor", "126"});
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.out.find("126 was read as the decimal Win32 error code 126"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("write 0x126"), std::string::npos) << r.out;
  doc = wt::stdout_json(wt::wslplug({"doctor", "2147942526", "--json"}));
  EXPECT_NE(doc["codes"][0]["reading"].get<std::string>().find("read as decimal"),
            std::string::npos);
  // Prefixed and negative forms are unambiguous: no note.
  doc = wt::stdout_json(wt::wslplug({"doctor", "--json", "-2147024770"}));
  EXPECT_EQ(doc["codes"][0]["reading"], nullptr) << doc.dump();
}
