// The command line's contract, end to end through the real binary: every --json run prints one
// document with "ok" (usage errors and commands that stop early included), `--json=false` is
// false, a missing input file is the error's "file", a failed write to stdout is an I/O error,
// `wslplug` alone prints a short help, did-you-mean for command and hook names, the help line
// every usage error ends with, sign refusing two inputs for one output, unsign of an unsigned
// file, and new's names and canonical values.
#include <gtest/gtest.h>

#include <regex>

#include "pki.hpp"
#include "support.hpp"
#include "wslplug/abi/wsl_plugin_abi.hpp"

namespace wt = wslplug::test;
namespace fs = std::filesystem;

namespace {

using Args = std::vector<std::string>;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string joined(const Args& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

// The error object every document carries on failure: kind, message, file, where, fix.
void expect_error_shape(const nlohmann::json& error, const std::string& context) {
  ASSERT_TRUE(error.is_object()) << context;
  EXPECT_EQ(error.size(), 5u) << context << ": " << error.dump();
  for (const char* member : {"kind", "message", "file", "where", "fix"})
    EXPECT_TRUE(error.contains(member) && error[member].is_string())
        << member << " in " << context << ": " << error.dump();
}

// A usage error's last line on stderr points to the help of the command it was made in.
void expect_help_line(const wt::RunResult& r, const std::string& command) {
  EXPECT_TRUE(
      r.err.ends_with("\n  try: wslplug" + (command.empty() ? "" : " " + command) + " --help\n"))
      << r.err;
}

}  // namespace

// ------------------------------------------------------------------------------------- --json

TEST(Contract, EveryJsonRunIsOneDocumentWithOk) {
  wt::TempDir tmp;
  auto version = wt::wslplug({"version", "--json"});
  ASSERT_EQ(version.rc, 0) << version.both();
  EXPECT_EQ(wt::stdout_json(version)["ok"], true);

  // build outside a project stops before building: one document, "ok": false and the error.
  auto build = wt::wslplug({"build", "-C", tmp.path().string(), "--json"});
  EXPECT_EQ(build.rc, 2) << build.both();
  auto doc = wt::stdout_json(build);
  EXPECT_EQ(doc["ok"], false) << doc.dump();
  expect_error_shape(doc["error"], "build");

  // Errors of the command line and of commands that stop before they have a result.
  for (const Args& args :
       {Args{"doctor", "--json"}, Args{"doctor", "--json", "--ca", "x.pem"}, Args{"sign", "--json"},
        Args{"new", "--json"}, Args{"cert", "new", "--days", "--json"},
        Args{"sign", "x.dll", "--json", "--bogus"}, Args{"--json", "doctor", "0x1"},
        Args{"verify", "--json", "--ca"}, Args{"completion", "--json", "bash"}}) {
    auto r = wt::wslplug(args);
    EXPECT_EQ(r.rc, 2) << joined(args) << "\n" << r.both();
    EXPECT_TRUE(r.err.empty()) << joined(args) << "\n" << r.err;
    auto d = wt::stdout_json(r);
    ASSERT_TRUE(d.is_object()) << joined(args);
    EXPECT_EQ(d["ok"], false) << joined(args);
    EXPECT_EQ(d["exit_code"], 2) << joined(args);
    expect_error_shape(d["error"], joined(args));
    EXPECT_EQ(d["error"]["kind"], "input") << joined(args);
  }
}

TEST(Contract, JsonFalseIsFalse) {
  auto text = wt::wslplug({"doctor", "--json=false", "0x8007007f"});
  EXPECT_EQ(text.rc, 0) << text.both();
  EXPECT_FALSE(text.out.starts_with("{")) << text.out;
  EXPECT_TRUE(contains(text.out, "0x8007007F")) << text.out;
  auto json = wt::wslplug({"doctor", "--json=true", "0x8007007f"});
  EXPECT_EQ(json.rc, 0) << json.both();
  EXPECT_EQ(wt::stdout_json(json)["ok"], true);
  // A usage error on a line with --json=false is text on stderr.
  auto bad = wt::wslplug({"doctor", "--json=false", "--bogus"});
  EXPECT_EQ(bad.rc, 2) << bad.both();
  EXPECT_TRUE(bad.out.empty()) << bad.out;
  EXPECT_TRUE(bad.err.starts_with("wslplug: error: unknown option '--bogus'")) << bad.err;
  // A flag's value is true or false, nothing else.
  auto maybe = wt::wslplug({"doctor", "--json=maybe", "0x8007007f"});
  EXPECT_EQ(maybe.rc, 2) << maybe.both();
  EXPECT_TRUE(maybe.out.empty()) << maybe.out;
  EXPECT_TRUE(contains(maybe.err, "'maybe' is not a value of the flag --json")) << maybe.err;
  expect_help_line(maybe, "doctor");
}

TEST(Contract, AMissingInputFileIsTheErrorsFile) {
  wt::TempDir tmp;
  const std::string missing = (tmp / "nope.dll").string();
  const std::string dll =
      wt::copy_to(wt::build_dll({.name = "contract-x64"}), tmp.path(), "plain.dll").string();
  const std::string out = (tmp / "out.dll").string();
  for (const auto& [args, file] : std::vector<std::pair<Args, std::string>>{
           {{"extract", missing, "-o", out, "--json"}, missing},
           {{"attach", missing, "--signature", dll, "-o", out, "--json"}, missing},
           {{"attach", dll, "--signature", missing, "-o", out, "--json"}, missing},
           {{"timestamp", missing, "--timestamp", "http://127.0.0.1:9/", "-o", out, "--json"},
            missing},
           {{"doctor", "--dll", missing, "--json"}, missing},
           {{"doctor", "--reg", missing, "--json"}, missing}}) {
    auto r = wt::wslplug(args);
    EXPECT_EQ(r.rc, 2) << joined(args) << "\n" << r.both();
    auto doc = wt::stdout_json(r);
    EXPECT_EQ(doc["ok"], false) << joined(args);
    expect_error_shape(doc["error"], joined(args));
    EXPECT_EQ(doc["error"]["file"], file) << joined(args) << ": " << doc.dump();
    EXPECT_TRUE(contains(doc["error"]["message"].get<std::string>(), "no such file")) << doc.dump();
  }
  auto text = wt::wslplug({"extract", missing, "-o", out});
  EXPECT_EQ(text.rc, 2) << text.both();
  EXPECT_TRUE(text.err.starts_with("wslplug: error: " + missing + ": no such file\n")) << text.err;
  EXPECT_FALSE(fs::exists(out));
}

// ------------------------------------------------------------------------------------ stdout

TEST(Contract, AFailedWriteToStdoutIsAnIoError) {
  WSLPLUG_REQUIRE_TOOL("sh");
  const std::string bin = "'" + wt::wslplug_bin() + "'";
  for (const std::string args :
       {"doctor 0x1", "--help", "version --json", "doctor --json 0x1", "completion bash", ""}) {
    auto r = wt::sh(bin + " " + args + " > /dev/full");
    EXPECT_EQ(r.rc, 3) << args << "\n" << r.both();
    EXPECT_TRUE(contains(r.err, "cannot write to standard output")) << args << "\n" << r.err;
  }
  // The same commands with a working stdout succeed.
  EXPECT_EQ(wt::sh(bin + " doctor 0x1 > /dev/null").rc, 0);
}

// ------------------------------------------------------------------------------- short help

TEST(Contract, NoArgumentsPrintsAShortHelp) {
  auto r = wt::wslplug({});
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_TRUE(r.out.starts_with("wslplug: ")) << r.out;
  EXPECT_TRUE(contains(r.out, "\nUsage: wslplug ")) << r.out;
  EXPECT_TRUE(contains(r.out, "'wslplug --help'")) << r.out;
  const auto full = wt::wslplug({"--help"});
  EXPECT_LT(r.out.size(), full.out.size() / 2) << r.out;
  // Every command --help lists is named.
  const auto names = wt::subcommands();
  for (const auto& name : names)
    EXPECT_TRUE(std::regex_search(r.out, std::regex("[ ,]" + name + "(,|\n)"))) << name << r.out;
  EXPECT_GT(names.size(), 10u);
}

TEST(Contract, BareColorMeansAlways) {
  for (const Args& args : {Args{"doctor", "--color"}, Args{"--color", "doctor"},
                           Args{"doctor", "--color=always"}, Args{"doctor", "--color", "always"}}) {
    auto r = wt::wslplug(args);
    EXPECT_EQ(r.rc, 2) << joined(args) << r.both();
    EXPECT_TRUE(contains(r.err, "\x1b[1;31merror:")) << joined(args) << "\n" << r.err;
  }
  auto never = wt::wslplug({"doctor", "--color", "never"});
  EXPECT_EQ(never.rc, 2) << never.both();
  EXPECT_FALSE(contains(never.err, "\x1b[")) << never.err;
}

// ------------------------------------------------------------------- did you mean, help line

TEST(Contract, DidYouMeanForHelpTopicsAndHookNames) {
  wt::TempDir tmp;
  auto help = wt::wslplug({"help", "sing"});
  EXPECT_EQ(help.rc, 2) << help.both();
  EXPECT_TRUE(contains(help.err, "'sing' is not a command of 'wslplug'")) << help.err;
  EXPECT_TRUE(contains(help.err, "did you mean 'sign'?")) << help.err;
  expect_help_line(help, "");
  auto nested = wt::wslplug({"help", "cert", "nwe"});
  EXPECT_TRUE(contains(nested.err, "did you mean 'new'?")) << nested.err;
  expect_help_line(nested, "cert");

  for (const wslplug::abi::Hook& h : wslplug::abi::kHooks) {
    std::string typo(h.flag);
    typo.erase(typo.size() - 2, 1);  // "vm-startd"
    auto r =
        wt::wslplug({"new", "p", "--lang", "cpp", "--hooks", typo, "--dir", (tmp / "p").string()});
    EXPECT_EQ(r.rc, 2) << typo << r.both();
    EXPECT_TRUE(contains(r.err, "unknown hook '" + typo + "'")) << r.err;
    EXPECT_TRUE(contains(r.err, "did you mean '" + std::string(h.flag) + "'?")) << r.err;
    expect_help_line(r, "new");
  }
  EXPECT_FALSE(fs::exists(tmp / "p"));
  auto lang = wt::wslplug({"new", "p", "--lang", "rsut", "--dir", (tmp / "p").string()});
  EXPECT_EQ(lang.rc, 2) << lang.both();
  EXPECT_TRUE(contains(lang.err, "did you mean 'rust'?")) << lang.err;
  expect_help_line(lang, "new");
}

TEST(Contract, UsageErrorsFoundByCommandsEndWithTheHelpLine) {
  wt::TempDir tmp;
  const std::string dll =
      wt::copy_to(wt::build_dll({.name = "contract-x64"}), tmp.path(), "plain.dll").string();
  for (const auto& [args, command] : std::vector<std::pair<Args, std::string>>{
           {{"doctor"}, "doctor"},
           {{"doctor", "--ca", dll}, "doctor"},
           {{"doctor", "0x1", "--reg", dll}, "doctor"},
           {{"new", "p", "--lang", "cobol", "--dir", (tmp / "p").string()}, "new"},
           {{"completion", "tcsh"}, "completion"},
           {{"unsign", dll}, "unsign"},
           {{"sign", dll, dll, "-o", (tmp / "x.dll").string(), "--cert", "c.pem", "--key", "k.pem"},
            "sign"},
           {{"cert", "new", "--out-dir", tmp.path().string(), "--key-type", "dsa"}, "cert new"}}) {
    auto r = wt::wslplug(args);
    EXPECT_EQ(r.rc, 2) << joined(args) << "\n" << r.both();
    EXPECT_TRUE(r.err.starts_with("wslplug: error: ")) << r.err;
    expect_help_line(r, command);
  }
}

// --------------------------------------------------------------------------------------- sign

TEST(Contract, SignRefusesTwoInputsForOneOutputBeforeWritingAnything) {
  wt::TempDir tmp;
  const auto signer = wt::make_cert(tmp.path(), "signer");
  const auto fixture = wt::build_dll({.name = "contract-x64"});
  fs::create_directories(tmp / "a");
  fs::create_directories(tmp / "b");
  const std::string a = wt::copy_to(fixture, tmp / "a", "x.dll").string();
  const std::string b = wt::copy_to(fixture, tmp / "b", "x.dll").string();
  const std::string before = wt::sha256_file(a);
  const Args creds = {"--cert", signer.cert.string(), "--key", signer.key.string()};
  auto with = [&](Args args) {
    args.insert(args.end(), creds.begin(), creds.end());
    return wt::wslplug(args);
  };

  const auto out_dir = tmp / "signed";
  auto r = with({"sign", a, b, "--out-dir", out_dir.string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_TRUE(contains(r.err, a) && contains(r.err, b)) << r.err;
  EXPECT_TRUE(contains(r.err, "would both be written to")) << r.err;
  EXPECT_FALSE(fs::exists(out_dir)) << "the output directory was made";

  const auto existing = tmp / "existing";
  fs::create_directories(existing);
  r = with({"sign", a, b, "-o", existing.string(), "--json"});
  EXPECT_EQ(r.rc, 2) << r.both();
  auto doc = wt::stdout_json(r);
  EXPECT_EQ(doc["ok"], false);
  expect_error_shape(doc["error"], "sign -o DIR");
  EXPECT_TRUE(fs::is_empty(existing));

  r = with({"sign", a, a, "--in-place"});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_TRUE(contains(r.err, "given twice")) << r.err;
  EXPECT_EQ(wt::sha256_file(a), before);

  // Different names into one directory are fine.
  const std::string c = wt::copy_to(fixture, tmp / "b", "y.dll").string();
  r = with({"sign", a, c, "--out-dir", out_dir.string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(fs::exists(out_dir / "x.dll") && fs::exists(out_dir / "y.dll"));
}

// ------------------------------------------------------------------------------------- unsign

TEST(Contract, UnsignOfAnUnsignedFileWritesTheCopy) {
  wt::TempDir tmp;
  const auto plain = wt::copy_to(wt::build_dll({.name = "contract-x64"}), tmp.path(), "plain.dll");
  const auto out = tmp / "copy.dll";
  auto r = wt::wslplug({"unsign", plain.string(), "-o", out.string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  ASSERT_TRUE(fs::exists(out));
  // The same image: at most the header's CheckSum (4 bytes) is made right.
  const auto in_bytes = wt::read_bytes(plain), out_bytes = wt::read_bytes(out);
  ASSERT_EQ(out_bytes.size(), in_bytes.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < in_bytes.size(); ++i) differ += in_bytes[i] != out_bytes[i];
  EXPECT_LE(differ, 4u);
  const auto out2 = tmp / "copy2.dll";
  r = wt::wslplug({"unsign", plain.string(), "-o", out2.string(), "--json"});
  EXPECT_EQ(r.rc, 0) << r.both();
  auto doc = wt::stdout_json(r);
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["was_signed"], false);
  EXPECT_EQ(doc["written"], true);
  EXPECT_TRUE(fs::exists(out2));
}

// ---------------------------------------------------------------------------------------- new

TEST(Contract, NewRefusesRustKeywordsOnlyForRustAndEchoesCanonicalValues) {
  wt::TempDir tmp;
  auto rust = wt::wslplug({"new", "box", "--dir", (tmp / "rust").string()});
  EXPECT_EQ(rust.rc, 2) << rust.both();
  EXPECT_TRUE(contains(rust.err, "'box' is a Rust keyword")) << rust.err;
  EXPECT_FALSE(fs::exists(tmp / "rust"));

  auto cpp =
      wt::wslplug({"new", "box", "--lang", "cpp", "--no-ci", "--dir", (tmp / "cpp").string()});
  EXPECT_EQ(cpp.rc, 0) << cpp.both();
  EXPECT_TRUE(fs::exists(tmp / "cpp" / "CMakeLists.txt"));

  auto canon = wt::wslplug(
      {"new", "p", "--lang", "c++", "--json", "--no-ci", "--dir", (tmp / "p").string()});
  EXPECT_EQ(canon.rc, 0) << canon.both();
  auto doc = wt::stdout_json(canon);
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["language"], "cpp") << doc.dump();
  // A refused name reports the language as it would have been recorded, too.
  auto refused =
      wt::wslplug({"new", "con", "--lang", "C++", "--json", "--dir", (tmp / "con").string()});
  EXPECT_EQ(refused.rc, 2) << refused.both();
  EXPECT_EQ(wt::stdout_json(refused)["language"], "cpp");
}

// Paths in JSON are lexically normal in every command: ".//x.dll" is "x.dll" in verify and
// doctor --dll as in unsign and extract.
TEST(Contract, JsonPathsAreNormalInEveryCommand) {
  wt::TempDir tmp;
  wt::copy_to(wt::build_dll({.name = "contract-x64"}), tmp.path(), "plain.dll");
  struct Case {
    std::vector<std::string> args;
    std::string_view key;  // where the file's path is: "files" (each entry) or the top
  };
  const std::vector<Case> cases = {
      {{"verify", ".//plain.dll", "--json"}, "files"},
      {{"doctor", "--dll", ".//plain.dll", "--json"}, "files"},
      {{"unsign", ".//plain.dll", "-o", ".//u.dll", "--json"}, "top"},
  };
  for (const auto& c : cases) {
    auto r = wt::wslplug(c.args, {}, {}, tmp.path());
    const auto doc = wt::stdout_json(r);
    ASSERT_FALSE(doc.is_null()) << r.both();
    const auto& where = c.key == "files" ? doc.at("files").at(0) : doc;
    EXPECT_EQ(where.at("file"), "plain.dll") << c.args[0] << ": " << r.out;
  }
}
