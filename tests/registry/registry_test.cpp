// The registry library: .reg writer against hand-made golden files, write -> parse round trips
// with hostile names and paths, the parser on regedit's formats, Windows path handling, the
// doctor --reg checker on each bad variant, and certificate loading checked against openssl.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support.hpp"
#include "wslplug/registry/regfile.hpp"
#include "wslplug/registry/registration.hpp"
#include "wslplug/registry/winpath.hpp"

namespace wt = wslplug::test;
namespace reg = wslplug::reg;

namespace {

wt::fs::path golden(const std::string& name) {
  return wt::source_dir() / "tests" / "golden" / "registry" / name;
}

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> v(s.size());
  std::transform(s.begin(), s.end(), v.begin(), [](char c) { return std::byte(c); });
  return v;
}

reg::Document parse_ok(std::string_view text) {
  auto d = reg::parse(bytes_of(text), "t.reg");
  EXPECT_TRUE(d) << (d ? "" : d.error().describe());
  return d ? *d : reg::Document{};
}

std::vector<std::byte> utf16_file(std::string_view utf8) {
  auto b = reg::encode(utf8, reg::Encoding::kUtf16le);
  EXPECT_TRUE(b);
  return *b;
}

const std::string kKey = std::string(reg::kPluginsKey);
const std::string kHead = "Windows Registry Editor Version 5.00\r\n\r\n[" + kKey + "]\r\n";

std::vector<wslplug::Finding> check_text(const std::string& text) {
  return reg::check_registration(parse_ok(text), "t.reg");
}

const wslplug::Finding* find_id(const std::vector<wslplug::Finding>& fs, std::string_view id) {
  for (const auto& f : fs)
    if (f.id == id) return &f;
  return nullptr;
}

std::string ids(const std::vector<wslplug::Finding>& fs) {
  std::string s;
  for (const auto& f : fs) s += f.id + " ";
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------- writer

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
      {"my_plugin", "C:\\Plugins\\my_plugin.dll", reg::Encoding::kUtf16le, "my_plugin.reg",
       "my_plugin.unregister.reg"},
      {"my_plugin", "C:\\Plugins\\my_plugin.dll", reg::Encoding::kUtf8, "my_plugin.utf8.reg",
       "my_plugin.utf8.unregister.reg"},
      {hostile_name, hostile_path, reg::Encoding::kUtf16le, "hostile.reg",
       "hostile.unregister.reg"},
  };
  for (const auto& c : cases) {
    auto add = reg::serialize(reg::registration_document(c.name, c.path), c.enc);
    ASSERT_TRUE(add) << add.error().describe();
    EXPECT_EQ(*add, wt::read_bytes(golden(c.add))) << c.add;
    auto del = reg::serialize(reg::removal_document(c.name), c.enc);
    ASSERT_TRUE(del) << del.error().describe();
    EXPECT_EQ(*del, wt::read_bytes(golden(c.del))) << c.del;
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
      EXPECT_EQ(back->keys[0].path, kKey);
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

// ---------------------------------------------------------------------------------- parser

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
      kKey +
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
  auto d = parse_ok(text);
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
  auto d4 = parse_ok("REGEDIT4\r\r[" + kKey + "]\r\"a\"=\"b\"\r");
  EXPECT_EQ(d4.header, "REGEDIT4");
  ASSERT_EQ(d4.keys.size(), 1u);
  EXPECT_EQ(d4.keys[0].values.at(0).text, "b");
}

TEST(RegistryParser, DetectsEncodings) {
  const std::string text = kHead + "\"caf\u00e9\"=\"C:\\\\caf\u00e9.dll\"\r\n";
  auto u16 = reg::parse(utf16_file(text), "a.reg");
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
  std::string ansi = kHead + "\"caf\xe9\"=\"x\"\r\n";
  auto an = reg::parse(bytes_of(ansi), "d.reg");
  ASSERT_TRUE(an) << an.error().describe();
  EXPECT_EQ(an->keys.at(0).values.at(0).name, "caf\u00e9");
  EXPECT_TRUE(an->non_ascii_without_bom);
  // UTF-16BE and BOM-less UTF-16LE are refused with the offset.
  auto be = reg::parse(bytes_of(std::string("\xfe\xff\0W", 4)), "e.reg");
  ASSERT_FALSE(be);
  EXPECT_NE(be.error().message.find("big-endian"), std::string::npos);
  auto nobom = utf16_file(text);
  nobom.erase(nobom.begin(), nobom.begin() + 2);
  auto nb = reg::parse(nobom, "f.reg");
  ASSERT_FALSE(nb);
  EXPECT_NE(nb.error().message.find("without a byte-order mark"), std::string::npos);
  // Odd-sized UTF-16.
  auto odd = utf16_file(text);
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
      {"[" + kKey + "]\r\n", "line 1", "header"},
      {"Windows Registry Editor Version 5.00\r\n\"a\"=\"b\"\r\n", "line 2", "before the first key"},
      {kHead + "\"a\"=\"unterminated\r\n", "line 4", "unterminated string"},
      {kHead + "\"a=\"b\"\r\n", "line 4", "expected '='"},
      {kHead + "\"a\r\n", "line 4", "unterminated value name"},
      {kHead + "\"a\"\r\n", "line 4", "expected '='"},
      {kHead + "\"a\"=\"b\"x\r\n", "line 4", "after the closing quote"},
      {kHead + "\"a\"=dword:1234567890\r\n", "line 4", "dword"},
      {kHead + "\"a\"=hex(zz):00\r\n", "line 4", "hex(N)"},
      {kHead + "\"a\"=hex:0g\r\n", "line 4", "bad hex data"},
      {kHead + "\"a\"=hex:00,\\\r\n", "line 4", "past the end"},
      {kHead + "\"a\"=whatever\r\n", "line 4", "unknown value data"},
      {kHead + "\"a\"=-x\r\n", "line 4", "after '=-'"},
      {kHead + "[HKEY_LOCAL_MACHINE\\x\r\n", "line 4", "closing ']'"},
      {kHead + "[-]\r\n", "line 4", "empty key"},
      {kHead + "garbage\r\n", "line 4", "unexpected line"},
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

// ------------------------------------------------------------------------------ Windows paths

TEST(RegistryPaths, ConvertsDriveMountAndUncPaths) {
  struct Case {
    std::string in, root, out;
    reg::WindowsPath::Kind kind;
    bool mount;
  };
  using K = reg::WindowsPath::Kind;
  const std::vector<Case> cases = {
      {"C:\\Plugins\\my_plugin.dll", "", "C:\\Plugins\\my_plugin.dll", K::kDrive, false},
      {"c:/Plugins/my_plugin.DLL", "", "C:\\Plugins\\my_plugin.DLL", K::kDrive, false},
      {"C:\\\\Plugins\\\\.\\x\\..\\p.dll", "", "C:\\Plugins\\p.dll", K::kDrive, false},
      {"D:/a b/\u00fc \U0001F680/p.dll", "", "D:\\a b\\\u00fc \U0001F680\\p.dll", K::kDrive, false},
      {"C:\\100%\\p.dll", "", "C:\\100%\\p.dll", K::kDrive, false},
      {"/mnt/c/Plugins/my_plugin.dll", "", "C:\\Plugins\\my_plugin.dll", K::kDrive, true},
      {"/mnt/d/x//y/p.dll", "/mnt", "D:\\x\\y\\p.dll", K::kDrive, true},
      {"/win/e/p.dll", "/win/", "E:\\p.dll", K::kDrive, true},
      {"/win/e/p.dll", "win", "E:\\p.dll", K::kDrive, true},
      {"/c/tools/p.dll", "/", "C:\\tools\\p.dll", K::kDrive, true},
      {"\\\\server\\share\\dir\\p.dll", "", "\\\\server\\share\\dir\\p.dll", K::kUnc, false},
      {"//server/share/p.dll", "", "\\\\server\\share\\p.dll", K::kUnc, false},
  };
  for (const auto& c : cases) {
    reg::PathOptions o;
    if (!c.root.empty()) o.automount_root = c.root;
    auto w = reg::to_windows_path(c.in, o);
    ASSERT_TRUE(w) << c.in << ": " << w.error().describe();
    EXPECT_EQ(w->path, c.out) << c.in;
    EXPECT_EQ(w->kind, c.kind) << c.in;
    EXPECT_EQ(w->from_wsl_mount, c.mount) << c.in;
  }
  EXPECT_EQ(reg::windows_stem("C:\\Plugins\\my_plugin.dll"), "my_plugin");
  EXPECT_EQ(reg::windows_stem("C:\\P\\My.Plugin.DLL"), "My.Plugin");
}

TEST(RegistryPaths, RefusesWithReasonAndFix) {
  struct Case {
    std::string in, root, reason;
  };
  const std::vector<Case> cases = {
      {"", "", "empty"},
      {"my_plugin.dll", "", "relative"},
      {".\\my_plugin.dll", "", "relative"},
      {"build/my_plugin.dll", "", "relative"},
      {"C:my_plugin.dll", "", "drive-relative"},
      {"\\Plugins\\p.dll", "", "no drive letter"},
      {"/home/me/p.dll", "", "Linux path"},
      {"/mnt/c/p.dll", "/win/", "Linux path"},
      {"/mnt/wsl/p.dll", "", "Linux path"},
      {"\\\\wsl$\\Ubuntu\\home\\p.dll", "", "inside a distribution"},
      {"\\\\WSL.LOCALHOST\\Ubuntu\\p.dll", "", "inside a distribution"},
      {"//wsl$/Ubuntu/p.dll", "", "inside a distribution"},
      {"\\\\?\\C:\\p.dll", "", "device"},
      {"\\\\.\\C:\\p.dll", "", "device"},
      {"\\\\server", "", "server and a share"},
      {"%ProgramFiles%\\p.dll", "", "environment variable"},
      {"C:\\%USERNAME%\\p.dll", "", "environment variable"},
      {"\"C:\\Plugins\\p.dll\"", "", "double quote"},
      {"C:\\Plugins\\p.dll\n", "", "control character 0x0a"},
      {"C:\\Plug\tins\\p.dll", "", "control character 0x09"},
      {"C:\\Plug\u0085ins\\p.dll", "", "control character U+0085"},
      {"C:\\Plugins\\\u202egpj.dll", "", "text-direction"},
      {"C:\\Plugins\\p.exe", "", "does not name a .dll"},
      {"C:\\Plugins\\", "", "does not name a .dll"},
      {"C:\\Plugins\\.dll", "", "does not name a .dll"},
      {"C:\\a<b\\p.dll", "", "'<'"},
      {"C:\\a\\p?.dll", "", "'?'"},
      {"C:\\a:b\\p.dll", "", "':'"},
      {"C:\\dir.\\p.dll", "", "space or a dot"},
      {"C:\\dir \\p.dll", "", "space or a dot"},
      {"C:\\..\\p.dll", "", "above the root"},
      {"C:\\\xff.dll", "", "UTF-8"},
  };
  for (const auto& c : cases) {
    reg::PathOptions o;
    if (!c.root.empty()) o.automount_root = c.root;
    auto w = reg::to_windows_path(c.in, o);
    ASSERT_FALSE(w) << "accepted: " << c.in << " -> " << w->path;
    EXPECT_EQ(w.error().kind, wslplug::ErrorKind::kInput);
    EXPECT_EQ(w.error().where, "DLL_PATH");
    EXPECT_NE(w.error().message.find(c.reason), std::string::npos)
        << c.in << " -> " << w.error().message;
    EXPECT_FALSE(w.error().fix.empty()) << c.in;
    EXPECT_EQ(w.error().message.find('\n'), std::string::npos) << "raw control char in message";
  }
}

TEST(RegistryPaths, ValidatesNames) {
  EXPECT_TRUE(reg::validate_plugin_name("my-plugin"));
  EXPECT_TRUE(reg::validate_plugin_name("Contoso \"Quoted\" \\ \u00fc \U0001F680"));
  for (std::string bad :
       {std::string(), std::string("a\tb"), std::string("a\nb"), std::string("a\0b", 3),
        std::string("a\x7f"), std::string("a\u0085"), std::string("\u202eevil"),
        std::string("\xc3"), std::string(16384, 'n')}) {
    auto st = reg::validate_plugin_name(bad);
    ASSERT_FALSE(st) << "accepted a bad name of size " << bad.size();
    EXPECT_EQ(st.error().where, "--name");
    EXPECT_FALSE(st.error().fix.empty());
  }
  EXPECT_TRUE(reg::validate_plugin_name(std::string(16383, 'n')));
  EXPECT_EQ(reg::file_safe_name("a/b\\c:d*e?f\"g<h>i|j\tk"), "a_b_c_d_e_f_g_h_i_j_k");
  EXPECT_EQ(reg::file_safe_name(".."), "plugin");
  EXPECT_EQ(reg::file_safe_name("caf\u00e9"), "caf\u00e9");
}

// ------------------------------------------------------------------------------- the checker

TEST(RegistryCheck, GoodFilesHaveNoFindings) {
  for (const char* g : {"my_plugin.reg", "my_plugin.utf8.reg", "hostile.reg"}) {
    auto f = reg::check_registration_file(golden(g));
    ASSERT_TRUE(f) << f.error().describe();
    EXPECT_TRUE(f->empty()) << g << ": " << ids(*f);
  }
  auto f = reg::check_registration_file(golden("my_plugin.unregister.reg"));
  ASSERT_TRUE(f);
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ((*f)[0].id, "value-removed");
  EXPECT_EQ((*f)[0].severity, wslplug::Severity::kInfo);
}

TEST(RegistryCheck, FlagsEachBadVariantWithTheWslError) {
  using S = wslplug::Severity;
  struct Case {
    std::string body;  // lines after the header
    std::string id;
    S severity;
    std::string wsl_error;
  };
  const std::string k = "[" + kKey + "]\r\n";
  const std::vector<Case> cases = {
      {k + "\"p\"=hex(2):43,00,3a,00,5c,00,70,00,2e,00,64,00,6c,00,6c,00,00,00\r\n",
       "value-not-reg-sz", S::kError, ""},
      {k + "\"p\"=hex(7):43,00,00,00,00,00\r\n", "value-not-reg-sz", S::kError, ""},
      {k + "\"p\"=dword:00000001\r\n", "value-not-reg-sz", S::kError, ""},
      {k + "\"p\"=\"\\\"C:\\\\Plugins\\\\p.dll\\\"\"\r\n", "path-quotes", S::kError,
       "ERROR_INVALID_NAME"},
      {k + "\"p\"=\"%ProgramFiles%\\\\p.dll\"\r\n", "path-env-var", S::kError,
       "ERROR_PATH_NOT_FOUND"},
      {k + "\"p\"=\"p.dll\"\r\n", "path-relative", S::kError, "ERROR_FILE_NOT_FOUND"},
      {k + "\"p\"=\"build\\\\p.dll\"\r\n", "path-relative", S::kError, "ERROR_PATH_NOT_FOUND"},
      {k + "\"p\"=\"/mnt/c/Plugins/p.dll\"\r\n", "path-linux", S::kError, "ERROR_PATH_NOT_FOUND"},
      {k + "\"p\"=\"\\\\\\\\wsl$\\\\Ubuntu\\\\p.dll\"\r\n", "path-in-distribution", S::kError, ""},
      {k + "\"p\"=\"\\\\\\\\wsl.localhost\\\\Ubuntu\\\\p.dll\"\r\n", "path-in-distribution",
       S::kError, ""},
      {k + "\"p\"=\"\\\\\\\\srv\\\\share\\\\p.dll\"\r\n", "path-unc", S::kWarning,
       "ERROR_ACCESS_DENIED"},
      {k + "\"p\"=\"C:\\\\Plugins\\\\p.exe\"\r\n", "path-not-dll", S::kWarning, ""},
      {k + "\"p\"=\"C:/Plugins/p.dll\"\r\n", "path-forward-slashes", S::kWarning, ""},
      {k + "\"p\"=\"C:\\\\a|b\\\\p.dll\"\r\n", "path-invalid-character", S::kError,
       "ERROR_INVALID_NAME"},
      {k + "\"p\"=\"\"\r\n", "path-empty", S::kError, "ERROR_PATH_NOT_FOUND"},
      {k + "\"\"=\"C:\\\\p.dll\"\r\n", "name-invalid", S::kError, ""},
      {k + "@=\"C:\\\\p.dll\"\r\n", "name-default-value", S::kWarning, ""},
      {k + "\"p\"=\"C:\\\\p.dll\"\r\n\"P\"=\"C:\\\\q.dll\"\r\n", "name-duplicate", S::kWarning, ""},
      {k + "\"p\"=\"C:\\\\p.dll\"\r\n\"q\"=\"c:\\\\P.DLL\"\r\n", "path-duplicate", S::kWarning, ""},
      {"[HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Lxss\\"
       "Plugins]\r\n\"p\"=\"C:\\\\p.dll\"\r\n",
       "key-wow6432node", S::kError, ""},
      {"[HKEY_CURRENT_USER\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins]\r\n"
       "\"p\"=\"C:\\\\p.dll\"\r\n",
       "key-wrong", S::kError, ""},
      {"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugin]\r\n"
       "\"p\"=\"C:\\\\p.dll\"\r\n",
       "key-wrong", S::kError, ""},
      {"[HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins]\r\n"
       "\"p\"=\"C:\\\\p.dll\"\r\n",
       "key-abbreviated", S::kError, ""},
      {"[-" + kKey + "]\r\n", "key-deleted", S::kWarning, ""},
      {"[HKEY_CURRENT_USER\\Software\\Other]\r\n\"x\"=\"y\"\r\n", "no-registration", S::kWarning,
       ""},
  };
  for (const auto& c : cases) {
    auto fs = check_text("Windows Registry Editor Version 5.00\r\n\r\n" + c.body);
    const auto* f = find_id(fs, c.id);
    ASSERT_NE(f, nullptr) << "no " << c.id << " for:\n" << c.body << "\ngot: " << ids(fs);
    EXPECT_EQ(f->severity, c.severity) << c.id;
    EXPECT_EQ(f->wsl_error, c.wsl_error) << c.id;
    EXPECT_NE(f->message.find("t.reg"), std::string::npos) << f->message;
    EXPECT_FALSE(f->fix.empty()) << c.id;
  }
  // The fix for a Linux path names the converted Windows path.
  auto fs = check_text(kHead + "\"p\"=\"/mnt/d/P/p.dll\"\r\n");
  const auto* f = find_id(fs, "path-linux");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->fix.find("D:\\\\P\\\\p.dll"), std::string::npos) << f->fix;
  // A hex(2) finding shows the expandable text and the line.
  fs = check_text(kHead + "\"p\"=hex(2):25,00,41,00,25,00,00,00\r\n");
  f = find_id(fs, "value-not-reg-sz");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("REG_EXPAND_SZ"), std::string::npos);
  EXPECT_NE(f->message.find("line 4"), std::string::npos);
  EXPECT_NE(f->fix.find("%A%"), std::string::npos);
}

TEST(RegistryCheck, FlagsEncodingProblemsAndReportsParseErrors) {
  wt::TempDir tmp;
  const std::string text = kHead + "\"caf\u00e9\"=\"C:\\\\caf\u00e9.dll\"\r\n";
  wt::write_text(tmp / "ansi.reg", text);
  auto f = reg::check_registration_file(tmp / "ansi.reg");
  ASSERT_TRUE(f);
  ASSERT_NE(find_id(*f, "encoding-non-ascii"), nullptr) << ids(*f);
  wt::write_text(tmp / "bom.reg", "\xef\xbb\xbf" + kHead + "\"a\"=\"C:\\\\a.dll\"\r\n");
  f = reg::check_registration_file(tmp / "bom.reg");
  ASSERT_TRUE(f);
  ASSERT_NE(find_id(*f, "encoding-utf8-bom"), nullptr) << ids(*f);
  wt::write_text(tmp / "u16.reg", "");
  wt::write_bytes(tmp / "u16.reg", utf16_file(text));
  f = reg::check_registration_file(tmp / "u16.reg");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->empty()) << ids(*f);
  wt::write_text(tmp / "broken.reg", kHead + "\"a\"=\"open\r\n");
  f = reg::check_registration_file(tmp / "broken.reg");
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().where, "line 4");
  EXPECT_EQ(f.error().file, (tmp / "broken.reg").string());
  f = reg::check_registration_file(tmp / "missing.reg");
  ASSERT_FALSE(f);
}

// ------------------------------------------------------------------ PowerShell and certificates

TEST(RegistryScript, QuotesPowerShellStrings) {
  EXPECT_EQ(reg::ps_quote("plain"), "'plain'");
  EXPECT_EQ(reg::ps_quote("it's"), "'it''s'");
  EXPECT_EQ(reg::ps_quote("$(calc) `n \"x\""), "'$(calc) `n \"x\"'");
  EXPECT_EQ(reg::ps_quote("a\u2019b\u2018c\u201bd"), "'a\u2019\u2019b\u2018\u2018c\u201b\u201bd'");
  EXPECT_EQ(reg::ps_quote("\u201c"), "'\u201c'");  // a double quote variant is not special
}
