// The registration checker (doctor --reg) on the golden files and on each bad variant: the
// finding id, its severity and the WSL error it predicts; encodings and parse errors.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "reg_text.hpp"
#include "support.hpp"
#include "wslplug/doctor/reg.hpp"
#include "wslplug/registry/regfile.hpp"
#include "wslplug/registry/registration.hpp"

namespace wt = wslplug::test;
namespace reg = wslplug::registry;

namespace {

using wt::bytes_of;

std::vector<wslplug::doctor::Finding> check_text(const std::string& text) {
  return wslplug::doctor::check_registration(wt::parse_reg_ok(text), "t.reg");
}

const wslplug::doctor::Finding* find_id(const std::vector<wslplug::doctor::Finding>& fs,
                                        std::string_view id) {
  for (const auto& f : fs)
    if (f.id == id) return &f;
  return nullptr;
}

std::string ids(const std::vector<wslplug::doctor::Finding>& fs) {
  std::string s;
  for (const auto& f : fs) s += f.id + " ";
  return s;
}

}  // namespace

TEST(RegCheck, GoodFilesHaveNoFindings) {
  for (const char* g : {"my_plugin.reg", "my_plugin.utf8.reg", "hostile.reg"}) {
    auto f = wslplug::doctor::check_registration_file(wt::reg_golden(g));
    ASSERT_TRUE(f) << f.error().describe();
    EXPECT_TRUE(f->empty()) << g << ": " << ids(*f);
  }
  auto f = wslplug::doctor::check_registration_file(wt::reg_golden("my_plugin.unregister.reg"));
  ASSERT_TRUE(f);
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ((*f)[0].id, "value-removed");
  EXPECT_EQ((*f)[0].severity, wslplug::doctor::Severity::kInfo);
}

TEST(RegCheck, FlagsEachBadVariantWithTheWslError) {
  using S = wslplug::doctor::Severity;
  struct Case {
    std::string body;  // lines after the header
    std::string id;
    S severity;
    std::string wsl_error;
  };
  const std::string k = "[" + wt::kRegPluginsKey + "]\r\n";
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
      {"[-" + wt::kRegPluginsKey + "]\r\n", "key-deleted", S::kWarning, ""},
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
  auto fs = check_text(wt::kRegHead + "\"p\"=\"/mnt/d/P/p.dll\"\r\n");
  const auto* f = find_id(fs, "path-linux");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->fix.find("D:\\\\P\\\\p.dll"), std::string::npos) << f->fix;
  // A hex(2) finding shows the expandable text and the line.
  fs = check_text(wt::kRegHead + "\"p\"=hex(2):25,00,41,00,25,00,00,00\r\n");
  f = find_id(fs, "value-not-reg-sz");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("REG_EXPAND_SZ"), std::string::npos);
  EXPECT_NE(f->message.find("line 4"), std::string::npos);
  EXPECT_NE(f->fix.find("%A%"), std::string::npos);
}

TEST(RegCheck, FlagsEncodingProblemsAndReportsParseErrors) {
  wt::TempDir tmp;
  const std::string text =
      wt::kRegHead + "\"caf\u00e9\"=\"C:\\\\Program Files\\\\caf\u00e9\\\\caf\u00e9.dll\"\r\n";
  wt::write_text(tmp / "ansi.reg", text);
  auto f = wslplug::doctor::check_registration_file(tmp / "ansi.reg");
  ASSERT_TRUE(f);
  ASSERT_NE(find_id(*f, "encoding-non-ascii"), nullptr) << ids(*f);
  wt::write_text(tmp / "bom.reg", "\xef\xbb\xbf" + wt::kRegHead + "\"a\"=\"C:\\\\a.dll\"\r\n");
  f = wslplug::doctor::check_registration_file(tmp / "bom.reg");
  ASSERT_TRUE(f);
  ASSERT_NE(find_id(*f, "encoding-utf8-bom"), nullptr) << ids(*f);
  wt::write_text(tmp / "u16.reg", "");
  wt::write_bytes(tmp / "u16.reg", wt::utf16_reg_file(text));
  f = wslplug::doctor::check_registration_file(tmp / "u16.reg");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->empty()) << ids(*f);
  wt::write_text(tmp / "broken.reg", wt::kRegHead + "\"a\"=\"open\r\n");
  f = wslplug::doctor::check_registration_file(tmp / "broken.reg");
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().where, "line 4");
  EXPECT_EQ(f.error().file, (tmp / "broken.reg").string());
  f = wslplug::doctor::check_registration_file(tmp / "missing.reg");
  ASSERT_FALSE(f);
}

// A registered path in a folder ordinary users can write is a warning that says why; the WSL
// mount path of one too (besides path-linux); the default place under Program Files is not.
TEST(RegCheck, WarnsAboutUserWritableLocations) {
  struct Case {
    std::string value, reason;  // reason: "" when no warning is expected
  };
  for (const Case& c : std::vector<Case>{
           {"C:\\\\Users\\\\me\\\\p.dll", "under C:\\Users\\"},
           {"C:\\\\Users\\\\me\\\\AppData\\\\Local\\\\Temp\\\\p.dll", "under C:\\Users\\"},
           {"C:\\\\Windows\\\\Temp\\\\p.dll", "temporary folder C:\\Windows\\Temp"},
           {"C:\\\\Plugins\\\\p.dll", "the folder C:\\Plugins at the top of drive C:"},
           {"D:\\\\p.dll", "the root of drive D:"},
           {"C:\\\\ProgramData\\\\x\\\\p.dll", "ProgramData"},
           {"/mnt/c/Users/me/p.dll", "WSL mount path of C:\\Users\\me\\p.dll"},
           {"C:\\\\Program Files\\\\WSL Plugins\\\\p\\\\p.dll", ""},
           {"C:\\\\Windows\\\\System32\\\\p.dll", ""},
           {"C:\\\\Windows\\\\Tasks\\\\p.dll", "C:\\Windows\\Tasks"},
           {"C:\\\\Windows\\\\System32\\\\spool\\\\drivers\\\\color\\\\p.dll",
            "System32\\spool\\drivers\\color"},
           {"C:\\\\Windows\\\\tracing\\\\p.dll", "C:\\Windows\\tracing"},
       }) {
    SCOPED_TRACE(c.value);
    auto fs = check_text(wt::kRegHead + "\"p\"=\"" + c.value + "\"\r\n");
    const auto* f = find_id(fs, "path-user-writable");
    if (c.reason.empty()) {
      EXPECT_EQ(f, nullptr) << ids(fs);
      continue;
    }
    ASSERT_NE(f, nullptr) << ids(fs);
    EXPECT_EQ(f->severity, wslplug::doctor::Severity::kWarning);
    EXPECT_NE(f->message.find(c.reason), std::string::npos) << f->message;
    EXPECT_NE(f->message.find("LocalSystem"), std::string::npos) << f->message;
    EXPECT_NE(f->fix.find("C:\\\\Program Files\\\\WSL Plugins\\\\p\\\\p.dll"), std::string::npos)
        << f->fix;
  }
  // A share keeps its own finding, which now also says who can replace the DLL.
  auto fs = check_text(wt::kRegHead + "\"p\"=\"\\\\\\\\server\\\\share\\\\p.dll\"\r\n");
  const auto* f = find_id(fs, "path-unc");
  ASSERT_NE(f, nullptr) << ids(fs);
  EXPECT_NE(f->message.find("whoever can write the share"), std::string::npos) << f->message;
}

// A registered path with a device name or an over-long name can never be loaded.
TEST(RegCheck, FlagsDeviceNamesAndOverlongNames) {
  for (const std::string value :
       {"C:\\\\Program Files\\\\WSL Plugins\\\\con\\\\p.dll", "C:\\\\P\\\\nul.dll",
        "\\\\\\\\server\\\\share\\\\lpt1\\\\p.dll"}) {
    SCOPED_TRACE(value);
    auto fs = check_text(wt::kRegHead + "\"p\"=\"" + value + "\"\r\n");
    const auto* f = find_id(fs, "path-reserved-name");
    ASSERT_NE(f, nullptr) << ids(fs);
    EXPECT_EQ(f->severity, wslplug::doctor::Severity::kError);
    EXPECT_NE(f->message.find("reserved device name"), std::string::npos) << f->message;
  }
  // A share named like a device is a share name, not a file name.
  auto share = check_text(wt::kRegHead + "\"p\"=\"\\\\\\\\con\\\\aux\\\\p.dll\"\r\n");
  EXPECT_EQ(find_id(share, "path-reserved-name"), nullptr) << ids(share);
  auto fs =
      check_text(wt::kRegHead + "\"p\"=\"C:\\\\x\\\\" + std::string(300, 'a') + "\\\\p.dll\"\r\n");
  const auto* f = find_id(fs, "path-name-too-long");
  ASSERT_NE(f, nullptr) << ids(fs);
  EXPECT_NE(f->message.find("300-character"), std::string::npos) << f->message;
  EXPECT_EQ(find_id(check_text(wt::kRegHead + "\"p\"=\"C:\\\\x\\\\console\\\\p.dll\"\r\n"),
                    "path-reserved-name"),
            nullptr);
}
