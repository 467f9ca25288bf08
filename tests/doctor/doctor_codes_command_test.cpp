// `wslplug doctor CODE...` through the real binary: every form of pasted code (text and --json),
// pasted wsl.exe output on stdin (and its size limit), did-you-mean and exit codes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support.hpp"
#include "wslplug/doctor/advice.hpp"
#include "wslplug/doctor/errors.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

// doctor --json is always {"ok", "codes": [...]}: the one diagnosis, or the array of several.
json parse_json(const wt::RunResult& r) {
  json doc = wt::stdout_json(r);
  EXPECT_TRUE(doc.is_object() && doc.contains("ok") && doc["codes"].is_array()) << doc.dump();
  if (!doc.is_object() || !doc["codes"].is_array()) return json::object();
  EXPECT_EQ(doc["ok"], r.rc == 0);
  return doc["codes"].size() == 1 ? doc["codes"][0] : doc["codes"];
}

}  // namespace

TEST(DoctorCodes, EveryIssueFormViaTheBinary) {
  struct Case {
    std::string input, hresult, symbol;
  };
  const std::vector<Case> cases = {
      {"Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f", "0x8007007F",
       "ERROR_PROC_NOT_FOUND"},
      {"Wsl/Service/CreateInstance/CreateVm/Plugin/TRUST_E_NOSIGNATURE", "0x800B0100",
       "TRUST_E_NOSIGNATURE"},
      {"Wsl/Service/CreateInstance/Plugin/E_FAIL", "0x80004005", "E_FAIL"},
      {"Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/CERT_E_UNTRUSTEDROOT", "0x800B0109",
       "CERT_E_UNTRUSTEDROOT"},
      {"trust_e_nosignature", "0x800B0100", "TRUST_E_NOSIGNATURE"},
      {"0x8007007f", "0x8007007F", "ERROR_PROC_NOT_FOUND"},
      {"8007007E", "0x8007007E", "ERROR_MOD_NOT_FOUND"},
      {"8007007e", "0x8007007E", "ERROR_MOD_NOT_FOUND"},
      {"-2147024770", "0x8007007E", "ERROR_MOD_NOT_FOUND"},
      {"2147942526", "0x8007007E", "ERROR_MOD_NOT_FOUND"},
      {"126", "0x8007007E", "ERROR_MOD_NOT_FOUND"},
  };
  std::vector<std::string> args = {"doctor", "--json"};
  for (const auto& c : cases) args.push_back(c.input);
  auto r = wt::wslplug(args);
  ASSERT_EQ(r.rc, 0) << r.both();
  json j = parse_json(r);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].input);
    const auto& o = j[i];
    EXPECT_EQ(o["input"], cases[i].input);
    EXPECT_EQ(o["hresult"], cases[i].hresult);
    EXPECT_EQ(o["symbol"], cases[i].symbol);
    EXPECT_EQ(o["known"], true);
    for (auto key : {"stages", "causes", "checks", "fixes", "notes"})
      EXPECT_TRUE(o[key].is_array()) << key;
    EXPECT_FALSE(o["causes"].empty());
    EXPECT_FALSE(o["checks"].empty());
    EXPECT_FALSE(o["fixes"].empty());
    EXPECT_TRUE(o["summary"].is_string());
    EXPECT_FALSE(o["stages"].empty());
  }
  // Context decoding reaches the JSON.
  EXPECT_EQ(j[0]["stages"], json::array({"load"}));
  EXPECT_NE(j[0]["context"]["failed"].get<std::string>().find("GetProcAddress"), std::string::npos);
  EXPECT_EQ(j[2]["stages"], json::array({"distribution-started"}));
  EXPECT_NE(j[2]["context"]["wsl_action"].get<std::string>().find("did not start"),
            std::string::npos);
}

// Every knowledge-base code through the binary, as WSL prints it after the full context.
TEST(DoctorCodes, EveryKnowledgeBaseCodeAsWslPrintsIt) {
  std::vector<std::string> args = {"doctor", "--json"};
  for (const auto& e : wslplug::doctor::knowledge_base())
    args.push_back("Wsl/Service/CreateInstance/CreateVm/Plugin/" +
                   wslplug::doctor::wsl_code_string(e.hresult));
  auto r = wt::wslplug(args);
  ASSERT_EQ(r.rc, 0) << r.both();
  json j = parse_json(r);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), wslplug::doctor::knowledge_base().size());
  std::size_t i = 0;
  for (const auto& e : wslplug::doctor::knowledge_base()) {
    const auto& o = j[i++];
    SCOPED_TRACE(std::string(e.symbol));
    EXPECT_EQ(o["symbol"], std::string(e.symbol));
    EXPECT_EQ(o["known"], true);
    EXPECT_EQ(o["wsl_prints"], wslplug::doctor::wsl_code_string(e.hresult));
    EXPECT_FALSE(o["stages"].empty());
    EXPECT_TRUE(o["context"]["failed"].is_string());
    EXPECT_TRUE(o["context"]["wsl_action"].is_string());
    // Under CreateVm/Plugin only load or OnVMStarted are possible.
    for (const auto& st : o["stages"]) EXPECT_TRUE(st == "load" || st == "vm-started") << st;
  }
}

TEST(DoctorCodes, OneCodeIsTheObjectItself) {
  auto r = wt::wslplug({"doctor", "--json", "0x800B0109"});
  ASSERT_EQ(r.rc, 0) << r.both();
  json j = parse_json(r);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["symbol"], "CERT_E_UNTRUSTEDROOT");
  EXPECT_EQ(j["facility"]["name"], "FACILITY_CERT");
  bool store = false;
  for (const auto& f : j["fixes"])
    store |= f.get<std::string>().find("Cert:\\LocalMachine\\Root") != std::string::npos;
  EXPECT_TRUE(store) << j["fixes"].dump();
}

TEST(DoctorCodes, TextOutputExplainsTheCode) {
  auto r = wt::wslplug({"doctor", "Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f"});
  ASSERT_EQ(r.rc, 0) << r.both();
  for (auto s : {"ERROR_PROC_NOT_FOUND", "0x8007007F", "GetProcAddress", "extern \"C\"",
                 "wslplug doctor --dll", "Likely causes", "Fixes", "What WSL did"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  // ERROR_MOD_NOT_FOUND: the docs-vs-source note.
  r = wt::wslplug({"doctor", "ERROR_MOD_NOT_FOUND"});
  ASSERT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("ERROR_FILE_NOT_FOUND"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("libstdc++-6.dll"), std::string::npos) << r.out;
}

TEST(DoctorCodes, UnknownCodesAreDecoded) {
  auto r = wt::wslplug({"doctor", "--json", "0x80070070"});
  ASSERT_EQ(r.rc, 0) << r.both();
  json j = parse_json(r);
  EXPECT_EQ(j["known"], false);
  EXPECT_EQ(j["symbol"], "ERROR_DISK_FULL");
  EXPECT_EQ(j["win32_name"], "ERROR_DISK_FULL");
  EXPECT_EQ(j["severity"], "error");
  EXPECT_EQ(j["facility"]["number"], 7);
  EXPECT_EQ(j["facility"]["name"], "FACILITY_WIN32");
  EXPECT_EQ(j["code"], 112);
  // A code no table names is decoded structurally, said to be unknown, and exits 1.
  r = wt::wslplug({"doctor", "0x80991234"});
  EXPECT_EQ(r.rc, 1) << r.both();
  EXPECT_NE(r.out.find("0x80991234"), std::string::npos);
  EXPECT_NE(r.out.find("facility unknown (153), code 0x1234"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("UNKNOWN CODE"), std::string::npos) << r.out;
}

TEST(DoctorCodes, NotACodeIsAnInputErrorWithDidYouMean) {
  auto r = wt::wslplug({"doctor", "TRUST_E_NOSIGNATUR"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("did you mean TRUST_E_NOSIGNATURE"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  // With --json the bad item carries an error object, the good one its diagnosis.
  r = wt::wslplug({"doctor", "--json", "E_FAIL", "ERROR_MOD_NOTFOUND"});
  EXPECT_EQ(r.rc, 2);
  json j = parse_json(r);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["symbol"], "E_FAIL");
  EXPECT_EQ(j[1]["error"]["kind"], "input");
  EXPECT_NE(j[1]["error"]["fix"].get<std::string>().find("ERROR_MOD_NOT_FOUND"), std::string::npos);
  // Usage errors.
  EXPECT_EQ(wt::wslplug({"doctor"}).rc, 2);
  EXPECT_EQ(wt::wslplug({"doctor", "--bogus"}).rc, 2);
  EXPECT_EQ(wt::wslplug({"doctor", "--dll", "/nonexistent/plugin.dll"}).rc, 2);
}

TEST(DoctorCodes, ReadsPastedOutputFromStdin) {
  const std::string pasted =
      "PS C:\\> wsl\r\n"
      "A fatal error was returned by plugin 'demo'. Error message: 'no network'\r\n"
      "Error code: Wsl/Service/CreateInstance/Plugin/E_FAIL\r\n"
      "\r\n"
      "The plugin 'old' requires a newer version of WSL. Please run: wsl.exe --update\r\n"
      "Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/WSL_E_PLUGIN_REQUIRES_UPDATE\r\n";
  auto r = wt::wslplug({"doctor", "--json", "-"}, {}, pasted);
  ASSERT_EQ(r.rc, 0) << r.both();
  json j = parse_json(r);
  ASSERT_TRUE(j.is_array()) << j.dump(2);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["symbol"], "E_FAIL");
  EXPECT_EQ(j[0]["plugin"], "demo");
  EXPECT_EQ(j[0]["plugin_message"], "no network");
  EXPECT_EQ(j[1]["symbol"], "WSL_E_PLUGIN_REQUIRES_UPDATE");
  EXPECT_EQ(j[1]["plugin"], "old");
  // Bare codes, one per line.
  r = wt::wslplug({"doctor", "--json", "-"}, {}, "0x8007007f\n126\n");
  ASSERT_EQ(r.rc, 0) << r.both();
  j = parse_json(r);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["symbol"], "ERROR_MOD_NOT_FOUND");
  // Nothing usable.
  r = wt::wslplug({"doctor", "-"}, {}, "\n\n");
  EXPECT_EQ(r.rc, 2);
}

TEST(DoctorCodes, HelpHasExamples) {
  auto r = wt::wslplug({"doctor", "--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("--dll"), std::string::npos);
  EXPECT_NE(r.out.find("--json"), std::string::npos);
}

// More than doctor reads of pasted text is refused with exit 2 and a message, never cut: a cut
// could drop the very "Error code:" line that was pasted last.
TEST(DoctorCodes, PastedTextOverTheLimitIsRefusedNotCut) {
  const std::string line = "Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f\n";
  std::string big(wslplug::doctor::kMaxPastedText, ' ');
  big += line;  // the code is past the limit
  auto r = wt::wslplug({"doctor", "--json", "-"}, {}, big);
  EXPECT_EQ(r.rc, 2) << r.err;
  // With --json the refusal is the one document on stdout.
  const auto refused = nlohmann::json::parse(r.out);
  EXPECT_FALSE(refused.at("ok").get<bool>());
  EXPECT_NE(refused.at("error").at("message").get<std::string>().find("larger than 4 MiB"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(refused.at("error").at("file"), "<stdin>") << r.out;
  // Exactly the limit is read whole: the code at its very end is found.
  std::string fits(wslplug::doctor::kMaxPastedText - line.size(), ' ');
  fits += line;
  r = wt::wslplug({"doctor", "--json", "-"}, {}, fits);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(parse_json(r)["symbol"], "ERROR_PROC_NOT_FOUND");
}

// The did-you-mean work of one run is bounded: in a paste of the largest size doctor accepts (4 MiB
// of distinct names that are no codes), suggestions are computed for the first kMaxSuggestions
// such inputs only, then the general fix with one note (without the bound: 25 s of CPU).
TEST(DoctorCodes, DidYouMeanWorkIsBoundedPerInput) {
  wt::TempDir tmp;
  std::string text;
  std::uint32_t seed = 7;
  for (std::size_t i = 0; text.size() < (4u << 20) - 64; ++i) {
    std::string name = "E_";
    seed = seed * 1103515245u + 12345u;
    for (std::size_t k = 0; k < 10 + (seed >> 16) % 20; ++k) {
      seed = seed * 1103515245u + 12345u;
      name.push_back("ABCDEFGHIJKLMNOPQRSTUVWXYZ_"[(seed >> 16) % 27]);
    }
    text += name + "_" + std::to_string(i) + "\n";
  }
  // The first input is a near miss, so the first suggestion is a real one; the second is a real
  // code, so the text is read line by line as codes (text with no code at all is one error).
  text = "TRUST_E_NOSIGNATUR\n0x8007007E\n" + text;
  text.resize((4u << 20) - 1);
  wt::write_text(tmp / "paste.txt", text);
  // The work is bounded by what is computed, not timed here (bench/doctor-paste, shape "names",
  // measures it): did-you-mean for the first kMaxSuggestions inputs only, then a note.
  auto r =
      wt::run({"bash", "-c",
               "'" + wt::wslplug_bin() + "' doctor - < '" + (tmp / "paste.txt").string() + "' > '" +
                   (tmp / "out.txt").string() + "' 2> '" + (tmp / "err.txt").string() + "'"});
  EXPECT_EQ(r.rc, 2) << r.both();
  const std::string err = wt::read_text(tmp / "err.txt");
  std::size_t suggestions = 0;
  for (auto pos = err.find("did you mean"); pos != std::string::npos;
       pos = err.find("did you mean", pos + 1))
    ++suggestions;
  EXPECT_LE(suggestions, wslplug::doctor::kMaxSuggestions + 1);  // + the note
  EXPECT_NE(err.find("did you mean TRUST_E_NOSIGNATURE"), std::string::npos);
  EXPECT_NE(err.find(fmt::format("for the first {} inputs", wslplug::doctor::kMaxSuggestions)),
            std::string::npos);
}
