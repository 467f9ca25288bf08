// The .reg model of the registry library: the writer against hand-made golden files, write ->
// parse round trips with hostile names and paths, and the parser on regedit's formats and its
// errors.
#include "wslplug/registry/regfile.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "reg_text.hpp"
#include "support.hpp"
#include "wslplug/registry/registration.hpp"

namespace wt = wslplug::test;
namespace reg = wslplug::registry;

namespace {

using wt::bytes_of;

}  // namespace

TEST(RegistryWriter, MatchesGoldenFilesByteForByte) {
  struct Case {
    std::string name, path;
    reg::Encoding enc;
    std::string add, del;
  };
  const std::string hostile_name = "Contoso \"Quoted\" \\ Plug-in \u00fc\u00f1\u00ef \U0001F680";
  const std::string hostile_path =
      "C:\\Program Files\\Contoso \u00dcn\u00efcode\\plug-in \U0001F680.dll";
  const std::vector<Case> cases = {
      {"my_plugin", "C:\\Program Files\\WSL Plugins\\my_plugin\\my_plugin.dll",
       reg::Encoding::kUtf16le, "my_plugin.reg", "my_plugin.unregister.reg"},
      {"my_plugin", "C:\\Program Files\\WSL Plugins\\my_plugin\\my_plugin.dll",
       reg::Encoding::kUtf8, "my_plugin.utf8.reg", "my_plugin.utf8.unregister.reg"},
      {hostile_name, hostile_path, reg::Encoding::kUtf16le, "hostile.reg",
       "hostile.unregister.reg"},
  };
  for (const auto& c : cases) {
    auto add = reg::serialize(reg::registration_document(c.name, c.path), c.enc);
    ASSERT_TRUE(add) << add.error().describe();
    EXPECT_EQ(*add, wt::read_bytes(wt::reg_golden(c.add))) << c.add;
    auto del = reg::serialize(reg::removal_document(c.name), c.enc);
    ASSERT_TRUE(del) << del.error().describe();
    EXPECT_EQ(*del, wt::read_bytes(wt::reg_golden(c.del))) << c.del;
  }
}

TEST(RegistryWriter, Utf8RefusesNonAsciiAndWriterRefusesControlCharacters) {
  auto r =
      reg::serialize(reg::registration_document("caf\u00e9", "C:\\p.dll"), reg::Encoding::kUtf8);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, wslplug::ErrorKind::kInput);
  EXPECT_NE(r.error().fix.find("utf16"), std::string::npos);
  for (std::string bad :
       {std::string("a\nb"), std::string("a\rb"), std::string("a\0b", 3), std::string("a\x7f")}) {
    auto w = reg::render(reg::registration_document(bad, "C:\\p.dll"));
    ASSERT_FALSE(w) << "name with control character accepted";
    EXPECT_NE(w.error().message.find("control character"), std::string::npos);
    w = reg::render(reg::registration_document("n", "C:\\" + bad + ".dll"));
    ASSERT_FALSE(w) << "data with control character accepted";
  }
  auto w = reg::render(reg::registration_document("\xff\xfe", "C:\\p.dll"));
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("UTF-8"), std::string::npos);
}

TEST(RegistryRoundTrip, HostileNamesAndPathsSurviveWriteThenParse) {
  const std::vector<std::string> names = {
      "plain",
      "with space",
      "quote\"inside",
      "\"\"",
      "back\\slash\\\\double",
      "trailing backslash\\",
      "\\\"",
      "=equals=",
      "[bracket]",
      ";semicolon",
      "@",
      "-",
      "\u00fcml\u00e4ut \u4e2d\u6587 \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
      "emoji \U0001F680\U0001F9EA",
      std::string(300, 'x'),
  };
  for (auto enc : {reg::Encoding::kUtf16le, reg::Encoding::kUtf8}) {
    for (const auto& name : names) {
      const std::string path = "C:\\Dir \"" + name + "\"\\" + name + ".dll";
      reg::Document d = reg::registration_document(name, path);
      d.keys[0].values.push_back(reg::removal_document(name + "2").keys[0].values[0]);
      auto bytes = reg::serialize(d, enc);
      if (enc == reg::Encoding::kUtf8 &&
          std::any_of(name.begin(), name.end(), [](char c) { return (c & 0x80) != 0; })) {
        EXPECT_FALSE(bytes);
        continue;
      }
      ASSERT_TRUE(bytes) << name << ": " << bytes.error().describe();
      auto back = reg::parse(*bytes, "rt.reg");
      ASSERT_TRUE(back) << name << ": " << back.error().describe();
      EXPECT_EQ(back->encoding, enc);
      EXPECT_EQ(back->had_bom, enc == reg::Encoding::kUtf16le);
      ASSERT_EQ(back->keys.size(), 1u);
      EXPECT_EQ(back->keys[0].path, wt::kRegPluginsKey);
      ASSERT_EQ(back->keys[0].values.size(), 2u) << name;
      const auto& v = back->keys[0].values[0];
      EXPECT_EQ(v.name, name);
      EXPECT_EQ(v.kind, reg::ValueKind::kString);
      EXPECT_EQ(v.text, path);
      EXPECT_EQ(v.line, 4);
      EXPECT_EQ(back->keys[0].values[1].name, name + "2");
      EXPECT_EQ(back->keys[0].values[1].kind, reg::ValueKind::kDelete);
    }
  }
}

TEST(RegistryParser, ReadsRegeditFormats) {
  // LF-only line ends, comments, blank lines, a key deletion, a default value, dword, and
  // hex values continued over several lines as regedit exports them.
  const std::string text =
      "Windows Registry Editor Version 5.00\n"
      "\n"
      "; a comment\n"
      "[-HKEY_CURRENT_USER\\Software\\Old]\n"
      "\n"
      "[" +
      wt::kRegPluginsKey +
      "]\n"
      "@=\"default\"\n"
      "  \"n\" = \"v\"   ; trailing comment\n"
      "\"d\"=dword:0000002a\n"
      "\"e\"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,00,25,\\\n"
      "  00,5c,00,70,00,2e,00,64,00,6c,00,6c,00,00,00\n"
      "\"m\"=hex(7):61,00,00,00,62,00,00,00,00,00\n"
      "\"q\"=hex(b):01,00,00,00,00,00,00,00\n"
      "\"b\"=hex:de,ad,\\\n"
      "  be,ef\n"
      "\"s1\"=hex(1):43,00,3a,00,5c,00,70,00,2e,00,64,00,6c,00,6c,00,00,00\n"
      "\"none\"=hex(0):\n"
      "\"gone\"=-\n";
  auto d = wt::parse_reg_ok(text);
  ASSERT_EQ(d.keys.size(), 2u);
  EXPECT_TRUE(d.keys[0].remove);
  EXPECT_EQ(d.keys[0].path, "HKEY_CURRENT_USER\\Software\\Old");
  EXPECT_EQ(d.keys[0].line, 4);
  const auto& vs = d.keys[1].values;
  ASSERT_EQ(vs.size(), 10u);
  EXPECT_TRUE(vs[0].is_default);
  EXPECT_EQ(vs[0].text, "default");
  EXPECT_EQ(vs[1].name, "n");
  EXPECT_EQ(vs[1].text, "v");
  EXPECT_EQ(vs[2].kind, reg::ValueKind::kDword);
  EXPECT_EQ(vs[2].bytes, (std::vector<std::uint8_t>{0x2a, 0, 0, 0}));
  EXPECT_EQ(vs[3].kind, reg::ValueKind::kExpandString);
  EXPECT_EQ(vs[3].text, "%SystemRoot%\\p.dll");
  EXPECT_EQ(vs[3].line, 10);
  EXPECT_EQ(vs[4].kind, reg::ValueKind::kMultiString);
  EXPECT_EQ(vs[4].text, "a\nb");
  EXPECT_EQ(vs[4].line, 12) << "line numbers must count continuation lines";
  EXPECT_EQ(vs[5].kind, reg::ValueKind::kQword);
  EXPECT_EQ(vs[6].kind, reg::ValueKind::kBinary);
  EXPECT_EQ(vs[6].bytes, (std::vector<std::uint8_t>{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(vs[7].kind, reg::ValueKind::kString) << "hex(1) is REG_SZ";
  EXPECT_EQ(vs[7].text, "C:\\p.dll");
  EXPECT_EQ(vs[8].kind, reg::ValueKind::kOtherHex);
  EXPECT_EQ(vs[9].kind, reg::ValueKind::kDelete);
  // CR-only line ends and REGEDIT4.
  auto d4 = wt::parse_reg_ok("REGEDIT4\r\r[" + wt::kRegPluginsKey + "]\r\"a\"=\"b\"\r");
  EXPECT_EQ(d4.header, "REGEDIT4");
  ASSERT_EQ(d4.keys.size(), 1u);
  EXPECT_EQ(d4.keys[0].values.at(0).text, "b");
}

TEST(RegistryParser, DetectsEncodings) {
  const std::string text = wt::kRegHead + "\"caf\u00e9\"=\"C:\\\\caf\u00e9.dll\"\r\n";
  auto u16 = reg::parse(wt::utf16_reg_file(text), "a.reg");
  ASSERT_TRUE(u16);
  EXPECT_EQ(u16->encoding, reg::Encoding::kUtf16le);
  EXPECT_FALSE(u16->non_ascii_without_bom);
  EXPECT_EQ(u16->keys.at(0).values.at(0).name, "caf\u00e9");
  // UTF-8 without BOM: read, but flagged (regedit would read it as ANSI).
  auto u8 = reg::parse(bytes_of(text), "b.reg");
  ASSERT_TRUE(u8);
  EXPECT_EQ(u8->encoding, reg::Encoding::kUtf8);
  EXPECT_TRUE(u8->non_ascii_without_bom);
  EXPECT_EQ(u8->keys.at(0).values.at(0).text, "C:\\caf\u00e9.dll");
  // UTF-8 with BOM.
  auto bom = reg::parse(bytes_of("\xef\xbb\xbf" + text), "c.reg");
  ASSERT_TRUE(bom);
  EXPECT_TRUE(bom->had_bom);
  EXPECT_EQ(bom->header, reg::kHeaderV5);
  // ANSI (Latin-1 0xE9 for e-acute): decoded, not refused.
  std::string ansi = wt::kRegHead + "\"caf\xe9\"=\"x\"\r\n";
  auto an = reg::parse(bytes_of(ansi), "d.reg");
  ASSERT_TRUE(an) << an.error().describe();
  EXPECT_EQ(an->keys.at(0).values.at(0).name, "caf\u00e9");
  EXPECT_TRUE(an->non_ascii_without_bom);
  // UTF-16BE and BOM-less UTF-16LE are refused with the offset.
  auto be = reg::parse(bytes_of(std::string("\xfe\xff\0W", 4)), "e.reg");
  ASSERT_FALSE(be);
  EXPECT_NE(be.error().message.find("big-endian"), std::string::npos);
  auto nobom = wt::utf16_reg_file(text);
  nobom.erase(nobom.begin(), nobom.begin() + 2);
  auto nb = reg::parse(nobom, "f.reg");
  ASSERT_FALSE(nb);
  EXPECT_NE(nb.error().message.find("without a byte-order mark"), std::string::npos);
  // Odd-sized UTF-16.
  auto odd = wt::utf16_reg_file(text);
  odd.pop_back();
  EXPECT_FALSE(reg::parse(odd, "g.reg"));
}

TEST(RegistryParser, ErrorsNameFileAndLine) {
  struct Case {
    std::string text, line, msg;
  };
  const std::vector<Case> cases = {
      {"", "line 1", "empty"},
      {"REGEDIT5\r\n", "line 1", "header"},
      {"[" + wt::kRegPluginsKey + "]\r\n", "line 1", "header"},
      {"Windows Registry Editor Version 5.00\r\n\"a\"=\"b\"\r\n", "line 2", "before the first key"},
      {wt::kRegHead + "\"a\"=\"unterminated\r\n", "line 4", "unterminated string"},
      {wt::kRegHead + "\"a=\"b\"\r\n", "line 4", "expected '='"},
      {wt::kRegHead + "\"a\r\n", "line 4", "unterminated value name"},
      {wt::kRegHead + "\"a\"\r\n", "line 4", "expected '='"},
      {wt::kRegHead + "\"a\"=\"b\"x\r\n", "line 4", "after the closing quote"},
      {wt::kRegHead + "\"a\"=dword:1234567890\r\n", "line 4", "dword"},
      {wt::kRegHead + "\"a\"=hex(zz):00\r\n", "line 4", "hex(N)"},
      {wt::kRegHead + "\"a\"=hex:0g\r\n", "line 4", "bad hex data"},
      {wt::kRegHead + "\"a\"=hex:00,\\\r\n", "line 4", "past the end"},
      {wt::kRegHead + "\"a\"=whatever\r\n", "line 4", "unknown value data"},
      {wt::kRegHead + "\"a\"=-x\r\n", "line 4", "after '=-'"},
      {wt::kRegHead + "[HKEY_LOCAL_MACHINE\\x\r\n", "line 4", "closing ']'"},
      {wt::kRegHead + "[-]\r\n", "line 4", "empty key"},
      {wt::kRegHead + "garbage\r\n", "line 4", "unexpected line"},
  };
  for (const auto& c : cases) {
    auto d = reg::parse(bytes_of(c.text), "bad.reg");
    ASSERT_FALSE(d) << "accepted: " << c.text;
    EXPECT_EQ(d.error().kind, wslplug::ErrorKind::kInput);
    EXPECT_EQ(d.error().file, "bad.reg");
    EXPECT_EQ(d.error().where, c.line) << c.text;
    EXPECT_NE(d.error().message.find(c.msg), std::string::npos)
        << c.text << " -> " << d.error().message;
    EXPECT_FALSE(d.error().fix.empty());
  }
}
