// The scanner of pasted wsl.exe output (`wslplug doctor -`): identical codes are merged with a
// count (text and JSON), so the output does not grow with repetitions, and what it finds does
// not depend on line endings or surrounding blanks. Speed is measured by bench/doctor-paste.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support.hpp"
#include "wslplug/doctor/advice.hpp"

namespace wt = wslplug::test;
namespace doc = wslplug::doctor;

namespace {

const std::string kBlock =
    "A fatal error was returned by plugin 'DemoPlugin'. Error message: 'no GPU'\r\n"
    "Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f\r\n";

// The diagnosis objects of doctor --json, whichever envelope the document has.
nlohmann::json diagnoses(const nlohmann::json& j) {
  if (j.is_object() && j.contains("codes")) return j["codes"];
  if (j.is_array()) return j;
  return nlohmann::json::array({j});
}

}  // namespace

TEST(PastedText, IdenticalCodesMergedWithCount) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += kBlock + "\n";
  text +=
      "The plugin 'Other' requires a newer version of WSL. Please run: wsl.exe --update\n"
      "Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/WSL_E_PLUGIN_REQUIRES_UPDATE\n";
  auto codes = doc::pasted_codes(text, "<test>");
  ASSERT_TRUE(codes) << codes.error().describe();
  ASSERT_EQ(codes->size(), 2u);
  EXPECT_EQ((*codes)[0].count, 1000u);
  EXPECT_EQ((*codes)[0].text,
            "A fatal error was returned by plugin 'DemoPlugin'. Error message: 'no GPU'\n"
            "Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f");
  EXPECT_EQ((*codes)[1].count, 1u);
}

TEST(PastedText, WithoutErrorCodeLinesEveryLineCounts) {
  auto codes = doc::pasted_codes("  0x8007007e\n126\n0x8007007e  \r\n\n", "<test>");
  ASSERT_TRUE(codes);
  ASSERT_EQ(codes->size(), 2u);
  EXPECT_EQ((*codes)[0].text, "0x8007007e");
  EXPECT_EQ((*codes)[0].count, 2u);
  EXPECT_EQ((*codes)[1].text, "126");
}

// 1 MB of repeated wsl.exe output used to print one diagnosis per repetition (25 MB of JSON).
TEST(PastedText, JsonOfLargeRepeatedPasteIsOneDiagnosisWithCount) {
  std::string text;
  while (text.size() < (1u << 20)) text += kBlock;
  const std::size_t repeats = text.size() / kBlock.size();
  auto r = wt::wslplug({"doctor", "--json", "-"}, {}, text);
  ASSERT_EQ(r.rc, 0) << r.err.substr(0, 500);
  EXPECT_LT(r.out.size(), 20000u);
  auto d = diagnoses(wt::stdout_json(r));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0]["count"], repeats);
  EXPECT_EQ(d[0]["plugin"], "DemoPlugin");
  EXPECT_EQ(d[0]["symbol"], "ERROR_PROC_NOT_FOUND");
}

TEST(PastedText, TextOutputSaysHowOften) {
  auto r = wt::wslplug({"doctor", "-"}, {}, kBlock + kBlock + kBlock);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("(seen 3 times)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("ERROR_PROC_NOT_FOUND"), r.out.rfind("ERROR_PROC_NOT_FOUND")) << r.out;
}

// Codes given as arguments merge with each other and with the pasted ones.
TEST(PastedText, ArgumentsMergeToo) {
  auto r = wt::wslplug({"doctor", "--json", "0x8007007e", "0x8007007e", "126"});
  ASSERT_EQ(r.rc, 0) << r.err;
  auto d = diagnoses(wt::stdout_json(r));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0]["count"], 2);
  EXPECT_EQ(d[1]["count"], 1);
}

// ---- what wsl.exe writes to a pipe or a file: UTF-16LE, with or without BOM ------------------

namespace {

// A printf format that writes `text` as UTF-16LE (every byte as \xHH, so the shell sees no
// quotes or percent signs), after a BOM when asked.
std::string utf16_printf(std::string_view text, bool bom) {
  std::string out = bom ? "\\xff\\xfe" : "";
  for (char c : text) out += fmt::format("\\x{:02x}\\x00", static_cast<unsigned char>(c));
  return out;
}

// Runs a bash command line (its printf writes \xHH bytes) with WSLPLUG set to the binary.
wt::RunResult bash(const std::string& command) {
  return wt::run({"bash", "-c", command}, {{"WSLPLUG", wt::wslplug_bin()}});
}

void expect_demo_diagnosis(const wt::RunResult& r, const std::string& what) {
  ASSERT_EQ(r.rc, 0) << what << "\n" << r.err;
  EXPECT_EQ(r.both().find('\0'), std::string::npos) << what;
  auto d = diagnoses(wt::stdout_json(r));
  ASSERT_EQ(d.size(), 1u) << what << "\n" << r.out;
  EXPECT_EQ(d[0]["count"], 2) << what;
  EXPECT_EQ(d[0]["plugin"], "DemoPlugin") << what;
  EXPECT_EQ(d[0]["symbol"], "ERROR_PROC_NOT_FOUND") << what;
}

}  // namespace

TEST(PastedText, Utf16LeThroughAPipeWithAndWithoutBom) {
  for (bool bom : {true, false}) {
    const std::string what = bom ? "with BOM" : "without BOM";
    expect_demo_diagnosis(
        bash("printf '" + utf16_printf(kBlock + kBlock, bom) + "' | \"$WSLPLUG\" doctor --json -"),
        what);
  }
}

TEST(PastedText, Utf16LeFromAFileWithAndWithoutBom) {
  wt::TempDir dir;
  for (bool bom : {true, false}) {
    const std::string what = bom ? "with BOM" : "without BOM";
    const std::string file = (dir.path() / (bom ? "bom.txt" : "plain.txt")).string();
    expect_demo_diagnosis(bash("printf '" + utf16_printf(kBlock + kBlock, bom) + "' > '" + file +
                               "' && \"$WSLPLUG\" doctor --json - < '" + file + "'"),
                          what);
  }
  // Text output too, without NUL bytes.
  auto r = bash("printf '" + utf16_printf("126\r\n", false) + "' | \"$WSLPLUG\" doctor -");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("ERROR_MOD_NOT_FOUND"), std::string::npos) << r.out;
  EXPECT_EQ(r.both().find('\0'), std::string::npos);
}

TEST(PastedText, Utf16LeCutShortNamesTheOffset) {
  auto r = bash("printf '" + utf16_printf("126\r\n", true) + "\\x31' | \"$WSLPLUG\" doctor -");
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("<stdin>: offset 0xc: UTF-16LE text has an odd number of bytes (13)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.both().find('\0'), std::string::npos);
}

// Text without any code is one error, not one per line.
TEST(PastedText, NoCodeAnywhereIsOneError) {
  for (bool utf16 : {false, true}) {
    const std::string lines = "hello\r\nthis is not\r\nwsl output\r\n";
    auto r = utf16 ? bash("printf '" + utf16_printf(lines, false) + "' | \"$WSLPLUG\" doctor -")
                   : wt::wslplug({"doctor", "-"}, {}, lines);
    EXPECT_EQ(r.rc, 2) << r.err;
    std::size_t errors = 0;
    for (auto p = r.err.find("error:"); p != std::string::npos; p = r.err.find("error:", p + 1))
      ++errors;
    EXPECT_EQ(errors, 1u) << r.err;
    EXPECT_NE(r.err.find("none of its 3 lines"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("(first line: \"hello\")"), std::string::npos) << r.err;
    EXPECT_EQ(r.both().find('\0'), std::string::npos);
  }
}
