// Windows paths for registration: what a user types (drive, WSL mount and UNC paths) turned
// into the path wslservice opens, the refusals with their reasons and fixes, plugin names.
#include "wslplug/registry/winpath.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support.hpp"

namespace wt = wslplug::test;
namespace reg = wslplug::registry;

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

TEST(RegistryPaths, DefaultInstallPathIsUnderProgramFiles) {
  EXPECT_EQ(reg::default_install_path("my-plugin", "my_plugin.dll"),
            "C:\\Program Files\\WSL Plugins\\my-plugin\\my_plugin.dll");
  EXPECT_EQ(reg::default_install_path("a/b:c", "x"),
            "C:\\Program Files\\WSL Plugins\\a_b_c\\x.dll");
  EXPECT_EQ(reg::windows_parent("C:\\Program Files\\WSL Plugins\\p\\p.dll"),
            "C:\\Program Files\\WSL Plugins\\p");
  EXPECT_EQ(reg::windows_parent("C:\\p.dll"), "C:\\");
  // The default is not user-writable, and the install script may take its folder over.
  EXPECT_EQ(reg::writable_location(reg::default_install_path("p", "p.dll")).kind,
            reg::WritableLocation::kNone);
  EXPECT_TRUE(reg::check_install_folder(reg::default_install_path("p", "p.dll")));
}

TEST(RegistryPaths, JudgesUserWritableLocations) {
  using W = reg::WritableLocation;
  struct Case {
    std::string path;
    W kind;
    std::string in_reason;  // "" for kNone
  };
  const std::vector<Case> cases = {
      {"C:\\Program Files\\WSL Plugins\\p\\p.dll", W::kNone, ""},
      {"C:\\Program Files (x86)\\Contoso\\p.dll", W::kNone, ""},
      {"c:\\windows\\system32\\p.dll", W::kNone, ""},
      {"D:\\Program Files\\p\\p.dll", W::kNone, ""},
      {"C:\\Users\\me\\AppData\\Local\\p.dll", W::kUserProfile, "C:\\Users\\"},
      {"C:\\users\\Public\\p.dll", W::kUserProfile, "Users\\Public"},
      {"C:\\Users\\me\\AppData\\Local\\Temp\\p.dll", W::kUserProfile, "C:\\Users\\"},
      {"C:\\Windows\\Temp\\p.dll", W::kTemp, "C:\\Windows\\Temp"},
      {"C:\\Temp\\x\\p.dll", W::kTemp, "C:\\Temp"},
      {"E:\\tmp\\p.dll", W::kTemp, "E:\\tmp"},
      {"C:\\ProgramData\\Contoso\\p.dll", W::kProgramData, "ProgramData"},
      {"C:\\Plugins\\p.dll", W::kDriveTopLevel, "the folder C:\\Plugins at the top of drive C:"},
      {"C:\\tools\\wsl\\plugins\\p.dll", W::kDriveTopLevel, "C:\\tools"},
      {"D:\\p.dll", W::kDriveTopLevel, "the root of drive D:"},
      {"C:\\Program Files.evil\\p.dll", W::kDriveTopLevel, "Authenticated Users"},
      {"\\\\server\\share\\p.dll", W::kNetworkShare, "\\\\server\\share"},
      {"\\\\wsl$\\Ubuntu\\p.dll", W::kNone, ""},
      // The folders under Windows where users can create files (AppLocker bypass folders).
      {"C:\\Windows\\Tasks\\p.dll", W::kWindowsWritable, "C:\\Windows\\Tasks"},
      {"C:\\windows\\TRACING\\x\\p.dll", W::kWindowsWritable, "C:\\Windows\\tracing"},
      {"C:\\Windows\\System32\\spool\\drivers\\color\\p.dll", W::kWindowsWritable,
       "System32\\spool\\drivers\\color"},
      {"C:\\Windows\\System32\\Tasks\\Microsoft\\p.dll", W::kWindowsWritable, "System32\\Tasks"},
      {"D:\\Windows\\SysWOW64\\Tasks\\p.dll", W::kWindowsWritable, "SysWOW64\\Tasks"},
      {"C:\\Windows\\Registration\\CRMLog\\p.dll", W::kWindowsWritable, "CRMLog"},
      {"C:\\Windows\\System32\\Microsoft\\Crypto\\RSA\\MachineKeys\\p.dll", W::kWindowsWritable,
       "MachineKeys"},
      {"C:\\Windows\\System32\\spool\\drivers\\p.dll", W::kNone, ""},
      {"C:\\Windows\\System32\\TasksX\\p.dll", W::kNone, ""},
      {"C:\\Windows\\p.dll", W::kNone, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    const auto risk = reg::writable_location(c.path);
    EXPECT_EQ(risk.kind, c.kind) << risk.reason;
    if (c.kind == W::kNone) {
      EXPECT_TRUE(risk.reason.empty()) << risk.reason;
    } else {
      EXPECT_NE(risk.reason.find(c.path), std::string::npos) << risk.reason;
      EXPECT_NE(risk.reason.find(c.in_reason), std::string::npos) << risk.reason;
      EXPECT_NE(risk.reason.find("LocalSystem"), std::string::npos) << risk.reason;
    }
  }
  // A WSL mount path is judged by the Windows path it stands for.
  auto mount = reg::to_windows_path("/mnt/c/Users/me/p.dll");
  ASSERT_TRUE(mount);
  EXPECT_EQ(reg::writable_location(mount->path).kind, W::kUserProfile);
}

TEST(RegistryPaths, InstallFolderMustBeTheDllsOwn) {
  for (const std::string bad :
       {"C:\\p.dll", "C:\\Program Files\\p.dll", "c:\\windows\\p.dll",
        "C:\\Windows\\System32\\p.dll", "C:\\ProgramData\\p.dll", "C:\\Users\\p.dll",
        "C:\\Program Files\\WSL Plugins\\p.dll", "\\\\server\\share\\p.dll"}) {
    SCOPED_TRACE(bad);
    auto st = reg::check_install_folder(bad);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().where, "DLL_PATH");
    EXPECT_NE(st.error().fix.find("C:\\Program Files\\WSL Plugins\\p\\p.dll"), std::string::npos)
        << st.error().fix;
  }
  for (const std::string good : {"C:\\Program Files\\Contoso\\p.dll", "D:\\Plugins\\p\\p.dll",
                                 "\\\\server\\share\\plugins\\p.dll"}) {
    SCOPED_TRACE(good);
    EXPECT_TRUE(reg::check_install_folder(good));
  }
}

// Reserved device names (also with an extension or trailing spaces) and names over 255
// characters cannot be folders or files on Windows: refused with the reason.
TEST(RegistryPaths, RefusesDeviceNamesAndOverlongComponents) {
  for (const std::string bad :
       {"C:\\Plugins\\con\\p.dll", "C:\\Plugins\\nul.dll", "C:\\x\\NUL.tar.gz\\p.dll",
        "C:\\x\\aux\\p.dll", "C:\\x\\prn\\p.dll", "C:\\x\\com1.dll", "C:\\x\\COM9\\p.dll",
        "C:\\x\\lpt1\\p.dll", "C:\\x\\Lpt9.dll", "C:\\x\\conin$\\p.dll",
        "C:\\x\\com\xc2\xb9\\p.dll", "/mnt/c/x/con/p.dll", "\\\\server\\share\\nul\\p.dll"}) {
    SCOPED_TRACE(bad);
    auto r = reg::to_windows_path(bad);
    ASSERT_FALSE(r) << r->path;
    EXPECT_NE(r.error().message.find("reserved device name"), std::string::npos)
        << r.error().message;
    EXPECT_FALSE(r.error().fix.empty());
  }
  for (const std::string good : {"C:\\x\\console\\p.dll", "C:\\x\\com10\\p.dll",
                                 "C:\\x\\lpt\\p.dll", "C:\\x\\nulls.dll", "C:\\x\\my.con\\p.dll"}) {
    SCOPED_TRACE(good);
    EXPECT_TRUE(reg::to_windows_path(good));
  }
  EXPECT_EQ(reg::reserved_device_name("nul.dll"), "NUL");
  EXPECT_EQ(reg::reserved_device_name("Com3 .txt"), "COM3");
  EXPECT_EQ(reg::reserved_device_name("comx"), "");
  // 255 characters is the limit (UTF-16 units: "é" is one, "😀" two).
  const std::string ok255(251, 'a');
  EXPECT_TRUE(reg::to_windows_path("C:\\x\\" + ok255 + ".dll"));
  auto r = reg::to_windows_path("C:\\x\\" + std::string(252, 'a') + ".dll");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("256 characters"), std::string::npos) << r.error().message;
  std::string emoji;
  for (int i = 0; i < 128; ++i) emoji += "\xf0\x9f\x98\x80";  // 256 UTF-16 units
  EXPECT_FALSE(reg::to_windows_path("C:\\x\\" + emoji + "\\p.dll"));
  // The default install path of a plugin named like a device is refused the same way.
  EXPECT_FALSE(reg::to_windows_path(reg::default_install_path("con", "p.dll")));
  EXPECT_FALSE(reg::to_windows_path(reg::default_install_path("nul.dll", "p.dll")));
}
