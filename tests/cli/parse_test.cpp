// The command line as a whole, through the real binary: unknown commands and options named with
// a did-you-mean, `help COMMAND`, `version`, `--` ending options in every command, one value per
// option, the one error format (text on stderr, a JSON document with --json), exit code 2 for
// usage errors, help text without CLI11 type names and with the exit codes, consistent names.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "signed_dll.hpp"
#include "support.hpp"

namespace wt = wslplug::test;

namespace {

using Args = std::vector<std::string>;

// Every command that runs something: {"new"}, {"cert", "new"}, ... found by walking --help.
// The top level must list commands (wt::subcommands fails the test otherwise); below it, a
// command whose help has no Subcommands section is a leaf.
std::vector<Args> leaf_commands(const Args& path = {}) {
  std::vector<std::string> subs;
  if (path.empty()) {
    subs = wt::subcommands();
  } else {
    Args args = path;
    args.push_back("--help");
    auto r = wt::wslplug(args);
    EXPECT_EQ(r.rc, 0) << r.both();
    const auto section = wt::subcommands_section(r.out);
    if (!section) return {path};
    EXPECT_FALSE(section->empty()) << "an empty Subcommands section:\n" << r.out;
    subs = *section;
  }
  std::vector<Args> all;
  for (const auto& s : subs) {
    Args next = path;
    next.push_back(s);
    for (auto& leaf : leaf_commands(next)) all.push_back(leaf);
  }
  return all;
}

std::string joined(const Args& path) {
  std::string s;
  for (const auto& p : path) s += (s.empty() ? "" : " ") + p;
  return s;
}

Args with(Args path, const Args& more) {
  path.insert(path.end(), more.begin(), more.end());
  return path;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The one error format: first line "wslplug: error: ...", then "  fix: ...", and a usage error's
// last line "  try: wslplug COMMAND --help".
void expect_usage_error(const wt::RunResult& r, const std::string& message,
                        const std::string& fix) {
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(r.err.starts_with("wslplug: error: ")) << r.err;
  EXPECT_TRUE(contains(r.err, message)) << "want: " << message << "\n" << r.err;
  EXPECT_TRUE(contains(r.err, fix)) << "want: " << fix << "\n" << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("\n  try: wslplug[a-z ]* --help\n$"))) << r.err;
}

TEST(Parse, UnknownCommandNamesTheWordAndTheNearestCommand) {
  expect_usage_error(wt::wslplug({"sing"}), "'sing' is not a wslplug command",
                     "fix: did you mean 'sign'?\n  try: wslplug --help");
  expect_usage_error(wt::wslplug({"verfy", "x.dll"}), "'verfy' is not a wslplug command",
                     "did you mean 'verify'?");
  expect_usage_error(wt::wslplug({"doctr"}), "'doctr'", "did you mean 'doctor'?");
  expect_usage_error(wt::wslplug({"regster", "x"}), "'regster'", "did you mean 'register'?");
  // Nothing near: the list of commands instead.
  auto r = wt::wslplug({"frobnicate"});
  expect_usage_error(r, "'frobnicate' is not a wslplug command",
                     "the commands are: new, init, build");
  EXPECT_FALSE(contains(r.err, "did you mean")) << r.err;
  // A nested command.
  expect_usage_error(wt::wslplug({"cert", "nwe"}), "'nwe' is not a 'wslplug cert' command",
                     "did you mean 'new'?\n  try: wslplug cert --help");
}

TEST(Parse, NoCommandSaysSoAndListsThem) {
  expect_usage_error(wt::wslplug({"cert"}), "'wslplug cert' needs a command",
                     "give one of: new\n  try: wslplug cert --help");
}

TEST(Parse, VersionWorksAsCommandAndFlags) {
  const auto v = wt::wslplug({"--version"});
  ASSERT_EQ(v.rc, 0) << v.both();
  EXPECT_TRUE(std::regex_match(
      v.out, std::regex("wslplug [0-9]+\\.[0-9]+\\.[0-9]+ \\(([0-9a-f]+(-dirty)?|unknown) "
                        "([0-9-]+|unknown)\\)\n")))
      << v.out;
  for (const Args& args : {Args{"-V"}, Args{"version"}}) {
    auto r = wt::wslplug(args);
    EXPECT_EQ(r.rc, 0) << r.both();
    EXPECT_EQ(r.out, v.out) << joined(args);
  }
  auto j = wt::wslplug({"version", "--json"});
  ASSERT_EQ(j.rc, 0) << j.both();
  auto doc = wt::stdout_json(j);
  EXPECT_EQ("wslplug " + doc["version"].get<std::string>() + " (" +
                doc["commit"].get<std::string>() + " " + doc["date"].get<std::string>() + ")\n",
            v.out);
}

TEST(Parse, HelpCommandShowsTheCommandsHelp) {
  auto top = wt::wslplug({"--help"});
  ASSERT_EQ(top.rc, 0);
  auto h = wt::wslplug({"help"});
  EXPECT_EQ(h.rc, 0) << h.both();
  EXPECT_EQ(h.out, top.out);
  for (const auto& path : leaf_commands()) {
    auto via_flag = wt::wslplug(with(path, {"--help"}));
    auto via_help = wt::wslplug(with({"help"}, path));
    EXPECT_EQ(via_help.rc, 0) << joined(path) << via_help.both();
    EXPECT_EQ(via_help.out, via_flag.out) << joined(path);
    EXPECT_TRUE(via_help.out.find("Usage: wslplug " + joined(path)) != std::string::npos)
        << via_help.out;
  }
  auto bad = wt::wslplug({"help", "sing"});
  EXPECT_EQ(bad.rc, 2) << bad.both();
  EXPECT_TRUE(contains(bad.err, "wslplug: error: 'sing' is not a command of 'wslplug'")) << bad.err;
  // -h is --help, and help wins over other mistakes on the same line.
  auto short_h = wt::wslplug({"sign", "-h"});
  EXPECT_EQ(short_h.rc, 0);
  EXPECT_EQ(short_h.out, wt::wslplug({"help", "sign"}).out);
  EXPECT_EQ(wt::wslplug({"sign", "--bogus", "--help"}).rc, 2);
}

TEST(Parse, UnknownOptionsInEveryCommandAreNamedWithTheCommandsHelp) {
  for (const auto& path : leaf_commands()) {
    const std::string cmd = joined(path);
    auto r = wt::wslplug(with(path, {"--no-such-flag", "x"}));
    expect_usage_error(r, "unknown option '--no-such-flag' for 'wslplug " + cmd + "'",
                       "try: wslplug " + cmd + " --help");
  }
  expect_usage_error(wt::wslplug({"build", "--sing"}),
                     "unknown option '--sing' for 'wslplug build'",
                     "did you mean '--sign'?\n  try: wslplug build --help");
  expect_usage_error(wt::wslplug({"sign", "x.dll", "--in-palce"}), "'--in-palce'",
                     "did you mean '--in-place'?");
  expect_usage_error(wt::wslplug({"verify", "--jsn", "x.dll"}), "'--jsn'",
                     "did you mean '--json'?");
  expect_usage_error(wt::wslplug({"cert", "new", "--out-dri", "d"}), "'--out-dri'",
                     "did you mean '--out-dir'?");
  expect_usage_error(wt::wslplug({"sign", "-Z", "x.dll"}), "unknown option '-Z' for 'wslplug sign'",
                     "try: wslplug sign --help");
  // An option of the top level is not one of the command's.
  expect_usage_error(wt::wslplug({"sign", "--version"}), "unknown option '--version'",
                     "try: wslplug sign --help");
}

TEST(Parse, DoubleDashEndsOptionsInDoctor) {
  // -2146762496 is 0x800B0100 (TRUST_E_NOSIGNATURE) as a signed decimal.
  for (const Args& args : {Args{"doctor", "--", "-2146762496"}, Args{"doctor", "-2146762496"}}) {
    auto r = wt::wslplug(args);
    EXPECT_EQ(r.rc, 0) << joined(args) << "\n" << r.both();
    EXPECT_TRUE(contains(r.out, "TRUST_E_NOSIGNATURE")) << r.out;
  }
  // Before and after `--`, in the order given.
  auto r = wt::wslplug({"doctor", "--json", "0x8007007E", "--", "-2146762496"});
  EXPECT_EQ(r.rc, 0) << r.both();
  const auto text = r.out;
  EXPECT_LT(text.find("ERROR_MOD_NOT_FOUND"), text.find("TRUST_E_NOSIGNATURE")) << text;
}

TEST(Parse, DoubleDashEndsOptionsForFileArguments) {
  wt::TempDir tmp;
  auto dll = wt::make_signed_dll(tmp.path());
  const auto dash = tmp / "-dash.dll";
  wt::fs::copy_file(dll.signed_dll, dash);
  auto r = wt::wslplug({"verify", "--ca", dll.signer.cert.string(), "--", "-dash.dll"}, {}, {},
                       tmp.path());
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(contains(r.out, "-dash.dll")) << r.out;
  // A file named like an option, with the options after it... and the same without `--` fails.
  r = wt::wslplug({"verify", "-dash.dll", "--ca", dll.signer.cert.string()}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_TRUE(contains(r.err, "unknown option '-d'")) << r.err;
  // unsign and extract: the only argument after `--`.
  r = wt::wslplug({"extract", "-o", "sig.p7", "--", "-dash.dll"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(wt::fs::exists(tmp / "sig.p7"));
  r = wt::wslplug({"unsign", "-o", "u.dll", "--", "-dash.dll"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(wt::fs::exists(tmp / "u.dll"));
  // sign: two files, one of them dash-named, after `--`.
  wt::fs::create_directory(tmp / "out");
  r = wt::wslplug({"sign", "--cert", dll.signer.cert.string(), "--key", dll.signer.key.string(),
                   "-o", "out", "--", "-dash.dll", dll.unsigned_dll.string()},
                  {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(wt::fs::exists(tmp / "out" / "-dash.dll"));
  EXPECT_TRUE(wt::fs::exists(tmp / "out" / dll.unsigned_dll.filename()));
}

TEST(Parse, DoubleDashIsAcceptedByEveryCommand) {
  // After `--` every word is an argument: a command without arguments says so, one with
  // arguments gets it (whatever it then makes of the missing file).
  for (const auto& path : leaf_commands()) {
    auto r = wt::wslplug(with(path, {"--", "-no-such-file.dll"}));
    EXPECT_FALSE(contains(r.err, "unknown option")) << joined(path) << "\n" << r.err;
    EXPECT_FALSE(contains(r.err, "not expected")) << joined(path) << "\n" << r.err;
    EXPECT_NE(r.rc, 0) << joined(path);
    if (contains(r.err, "unexpected argument")) {
      EXPECT_TRUE(contains(r.err, "takes no arguments")) << r.err;
    }
  }
  auto r = wt::wslplug({"cert", "new", "--", "x"});
  expect_usage_error(r, "unexpected argument 'x'", "'wslplug cert new' takes no arguments");
}

TEST(Parse, OptionsTakeExactlyOneValue) {
  wt::TempDir tmp;
  auto dll = wt::make_signed_dll(tmp.path());
  // --dll takes one file; the code after it is a code (doctor then refuses the mix).
  auto r = wt::wslplug({"doctor", "--dll", dll.unsigned_dll.string(), "0x8007007f"});
  expect_usage_error(r, "give one of: error codes, --dll, --reg", "");
  // --chain takes one file; the DLL after it is the file to sign.
  const auto out = tmp / "x.dll";
  r = wt::wslplug({"sign", "--cert", dll.signer.cert.string(), "--key", dll.signer.key.string(),
                   "--chain", dll.signer.cert.string(), dll.unsigned_dll.string(), "-o",
                   out.string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(wt::fs::exists(out));
  // Repeat the flag for more.
  r = wt::wslplug(
      {"verify", "--ca", dll.signer.cert.string(), "--ca", dll.signer.cert.string(), out.string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  // A single-valued option given twice, and an option without its value.
  expect_usage_error(wt::wslplug({"sign", "x.dll", "--cert", "a.pem", "--cert", "b.pem"}),
                     "option '--cert' was given more than once; it takes one value",
                     "give --cert once\n  try: wslplug sign --help");
  expect_usage_error(wt::wslplug({"sign", "x.dll", "--cert"}), "option '--cert' needs a value",
                     "write --cert FILE");
  expect_usage_error(wt::wslplug({"sign", "x.dll", "--cert", "--key", "k.pem"}),
                     "option '--cert' needs a value", "--cert=VALUE");
  expect_usage_error(wt::wslplug({"extract", "x.dll", "-o"}), "option '-o' needs a value",
                     "try: wslplug extract --help");
}

TEST(Parse, ParserErrorsUseTheOneFormat) {
  expect_usage_error(wt::wslplug({"sign"}), "missing FILE", "try: wslplug sign --help");
  const auto existing = (wt::source_dir() / "README.md").string();
  expect_usage_error(wt::wslplug({"attach", existing, "--in-place"}), "missing option --signature",
                     "add --signature FILE\n  try: wslplug attach --help");
  auto r = wt::wslplug({"cert", "new", "--days", "many"});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_TRUE(r.err.starts_with("wslplug: error: ")) << r.err;
  EXPECT_TRUE(contains(r.err, "--days")) << r.err;
  EXPECT_TRUE(contains(r.err, "'many' is not a valid value for --days")) << r.err;
  EXPECT_TRUE(contains(r.err, "fix: give --days N\n  try: wslplug cert new --help")) << r.err;
  r = wt::wslplug(
      {"sign", "x.dll", "--in-place", "--timestamp", "http://x/", "--timestamp-retries", "99"});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_TRUE(contains(r.err, "--timestamp-retries")) << r.err;
  EXPECT_TRUE(contains(r.err, "\n  try: wslplug sign --help")) << r.err;
}

TEST(Parse, JsonModeErrorsAreOneJsonDocument) {
  for (const Args& args : {Args{"doctor", "--json", "--bogus"}, Args{"verify", "--json"},
                           Args{"verify", "x.dll", "--json", "--ca"},
                           Args{"build", "--json", "--sing"}, Args{"verfy", "--json", "x.dll"}}) {
    auto r = wt::wslplug(args);
    EXPECT_EQ(r.rc, 2) << joined(args) << r.both();
    EXPECT_TRUE(r.err.empty()) << joined(args) << "\n" << r.err;
    auto doc = wt::stdout_json(r);
    ASSERT_TRUE(doc.is_object()) << joined(args);
    EXPECT_EQ(doc["schema"], 1);
    EXPECT_EQ(doc["ok"], false);
    EXPECT_EQ(doc["exit_code"], 2);
    const auto& e = doc["error"];
    EXPECT_EQ(e["kind"], "input");
    for (const char* member : {"message", "file", "where", "fix"})
      EXPECT_TRUE(e[member].is_string()) << member << " in " << doc.dump();
    EXPECT_TRUE(contains(e["fix"].get<std::string>(), "--help")) << doc.dump();
  }
  auto r = wt::wslplug({"build", "--json", "--sing"});
  auto doc = wt::stdout_json(r);
  EXPECT_EQ(doc["command"], "build");
  EXPECT_EQ(doc["error"]["where"], "--sing");
  EXPECT_TRUE(contains(doc["error"]["fix"].get<std::string>(), "did you mean '--sign'?"));
  doc = wt::stdout_json(wt::wslplug({"verfy", "--json"}));
  EXPECT_TRUE(doc["command"].is_null()) << doc.dump();
  // run keeps its own document shape (docs/run-json.md), the error members included.
  r = wt::wslplug({"run", "--json", "--bogus"});
  EXPECT_EQ(r.rc, 2);
  doc = wt::stdout_json(r);
  EXPECT_EQ(doc["command"], "run");
  EXPECT_TRUE(doc["runs"].is_array());
  EXPECT_TRUE(doc.contains("plugin"));
  EXPECT_TRUE(doc.contains("signature") && doc["signature"].is_null()) << doc.dump();
  // After `--`, "--json" is an argument, not the mode.
  r = wt::wslplug({"doctor", "--bogus", "--", "--json"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// The general meanings of docs/exit-codes.md's table, by code.
std::vector<std::string> documented_exit_meanings() {
  std::istringstream in(wt::read_text(wt::source_dir() / "docs/exit-codes.md"));
  std::vector<std::string> meanings(4);
  std::string line;
  const std::regex row("^\\| ([0-3]) \\| ([^|]+) \\|.*");
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_match(line, m, row)) meanings[std::stoi(m[1])] = m[2].str();
  return meanings;
}

TEST(Parse, HelpTextHasNoTypeNamesAndListsTheExitCodes) {
  const auto meanings = documented_exit_meanings();
  for (int c = 0; c < 4; ++c) ASSERT_FALSE(meanings[c].empty()) << c;
  const std::regex type_name("\\b(TEXT|INT|UINT|FLOAT|REQUIRED)\\b|:FILE|:DIR| in \\[");
  auto paths = leaf_commands();
  paths.push_back({});
  paths.push_back({"cert"});
  for (const auto& path : paths) {
    auto r = wt::wslplug(with(path, {"--help"}));
    ASSERT_EQ(r.rc, 0) << joined(path);
    std::smatch m;
    EXPECT_FALSE(std::regex_search(r.out, m, type_name)) << joined(path) << ": " << m.str() << "\n"
                                                         << r.out;
    EXPECT_TRUE(contains(r.out, "Exit codes (docs/exit-codes.md):\n")) << r.out;
    for (int c = 0; c < 4; ++c)
      EXPECT_TRUE(contains(r.out, "  " + std::to_string(c) + "  " + meanings[c]))
          << joined(path) << " code " << c << "\n"
          << r.out;
    EXPECT_TRUE(contains(r.out, "Examples:\n")) << joined(path);
  }
}

TEST(Parse, UsageLinesShowTheRequiredChoices) {
  auto usage = [](const Args& path) {
    auto r = wt::wslplug(with(path, {"--help"}));
    const auto at = r.out.find("Usage: ");
    return r.out.substr(at, r.out.find('\n', at) - at);
  };
  EXPECT_EQ(usage({"sign"}),
            "Usage: wslplug sign [FILE... (-o FILE | --out-dir DIR | --in-place | --detached-out "
            "FILE)] [--cert FILE --key FILE | --pfx FILE | --cert FILE --external-signer CMD | "
            "--pkcs11-module LIB --key URI] [OPTIONS]");
  EXPECT_EQ(usage({"unsign"}), "Usage: wslplug unsign FILE (-o FILE | --in-place) [OPTIONS]");
  EXPECT_EQ(usage({"attach"}),
            "Usage: wslplug attach FILE --signature FILE (-o FILE | --in-place) [OPTIONS]");
  EXPECT_EQ(usage({"extract"}), "Usage: wslplug extract FILE --output FILE [OPTIONS]");
  EXPECT_EQ(usage({"doctor"}),
            "Usage: wslplug doctor (CODE... | - | --dll FILE... | --reg "
            "FILE...) [OPTIONS]");
  EXPECT_EQ(usage({}), "Usage: wslplug [OPTIONS] COMMAND");
  // -q, -v and --color are on every level, so a command group has options too.
  EXPECT_EQ(usage({"cert"}), "Usage: wslplug cert [OPTIONS] COMMAND");
  // Choices are the metavar.
  auto r = wt::wslplug({"new", "--help"});
  EXPECT_TRUE(contains(r.out, "--lang rust|cpp")) << r.out;
  r = wt::wslplug({"sign", "--help"});
  EXPECT_TRUE(contains(r.out, "--hash sha256|sha384|sha512")) << r.out;
  EXPECT_TRUE(contains(r.out, "--key-password-file FILE")) << r.out;
  EXPECT_TRUE(contains(r.out, "--timestamp-retries N")) << r.out;
}

TEST(Parse, PasswordEnvAndFileComeTogether) {
  // Option lines of the help ("  --key-password-env VAR   ...").
  const std::regex env("\n  --([a-z-]+)-password-env VAR");
  for (const auto& path : leaf_commands()) {
    const auto help = wt::wslplug(with(path, {"--help"})).out;
    for (std::sregex_iterator it(help.begin(), help.end(), env), end; it != end; ++it)
      EXPECT_TRUE(contains(help, "--" + (*it)[1].str() + "-password-file FILE"))
          << joined(path) << ": " << (*it)[0];
  }
}

TEST(Parse, CertNewKeyTypeAndItsOldSpelling) {
  WSLPLUG_REQUIRE_TOOL("openssl");
  wt::TempDir tmp;
  auto r =
      wt::wslplug({"cert", "new", "--out-dir", (tmp / "a").string(), "--key-type", "ecdsa-p256"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_FALSE(contains(r.err, "deprecated")) << r.err;
  auto text =
      wt::run({"openssl", "x509", "-in", (tmp / "a" / "cert.pem").string(), "-noout", "-text"});
  EXPECT_TRUE(contains(text.out, "prime256v1")) << text.out;
  // --key still works, with a note naming the new spelling; it is not in the help.
  r = wt::wslplug({"cert", "new", "--out-dir", (tmp / "b").string(), "--key", "ecdsa-p256"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(contains(r.err, "--key is deprecated; use --key-type")) << r.err;
  text = wt::run({"openssl", "x509", "-in", (tmp / "b" / "cert.pem").string(), "-noout", "-text"});
  EXPECT_TRUE(contains(text.out, "prime256v1")) << text.out;
  auto help = wt::wslplug({"cert", "new", "--help"}).out;
  EXPECT_TRUE(contains(help, "--key-type rsa2048|rsa3072|rsa4096|ecdsa-p256")) << help;
  EXPECT_FALSE(std::regex_search(help, std::regex("--key[ ,]"))) << help;
  // A bad key type names the current option.
  r = wt::wslplug({"cert", "new", "--out-dir", (tmp / "c").string(), "--key-type", "dsa"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_TRUE(contains(r.err, "--key-type")) << r.err;
}

TEST(Parse, CertNewPfxPasswordFromAFile) {
  wt::TempDir tmp;
  wt::write_text(tmp / "pass.txt", "s3cret\n");
  auto r = wt::wslplug({"cert", "new", "--out-dir", (tmp / "c").string(), "--key-type", "rsa2048",
                        "--pfx", "--pfx-password-file", (tmp / "pass.txt").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_FALSE(contains(r.err, "EMPTY password")) << r.err;
  // The password in the file opens the PKCS#12 (and an empty one does not).
  auto ok = wt::run({"openssl", "pkcs12", "-in", (tmp / "c" / "cert.pfx").string(), "-noout",
                     "-passin", "pass:s3cret"});
  EXPECT_EQ(ok.rc, 0) << ok.both();
  auto bad = wt::run({"openssl", "pkcs12", "-in", (tmp / "c" / "cert.pfx").string(), "-noout",
                      "-passin", "pass:"});
  EXPECT_NE(bad.rc, 0);
  // Without --pfx, either password flag is refused.
  r = wt::wslplug({"cert", "new", "--out-dir", (tmp / "d").string(), "--pfx-password-file",
                   (tmp / "pass.txt").string()});
  EXPECT_EQ(r.rc, 2);
  EXPECT_TRUE(contains(r.err, "needs --pfx")) << r.err;
}

}  // namespace
