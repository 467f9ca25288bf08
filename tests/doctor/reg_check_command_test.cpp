// doctor --reg: the registration checker through the real binary, on files emitted by
// `wslplug register --emit-reg` and on hand-written bad variants.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

constexpr const char* kKey =
    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins]";

std::string reg_file(const std::string& key, const std::string& value_line) {
  return std::string("Windows Registry Editor Version 5.00\r\n\r\n") + key + "\r\n" + value_line +
         "\r\n";
}

std::vector<std::string> ids_of(const json& doc) {
  std::vector<std::string> ids;
  for (const auto& f : doc.at("findings")) ids.push_back(f.at("id").get<std::string>());
  return ids;
}

std::string wsl_error_of(const json& doc, const std::string& id) {
  for (const auto& f : doc.at("findings"))
    if (f.at("id") == id)
      return f.at("wsl_error").is_null() ? "" : f.at("wsl_error").get<std::string>();
  return "<absent>";
}

}  // namespace

TEST(DoctorReg, EmittedRegistrationIsClean) {
  wt::TempDir tmp;
  auto r = wt::wslplug({"register", "--emit-reg", "--name", "my-plugin", "-o",
                        (tmp / "p.reg").string(), "C:\\Program Files\\My Plugin\\my_plugin.dll"});
  ASSERT_EQ(r.rc, 0) << r.both();
  for (const auto* f : {"p.reg", "p.unregister.reg"}) {
    SCOPED_TRACE(f);
    auto d = wt::wslplug({"doctor", "--reg", (tmp / f).string(), "--json"});
    ASSERT_EQ(d.rc, 0) << d.both();
    auto doc = json::parse(d.out).at("files").at(0);
    EXPECT_TRUE(doc.at("ok").get<bool>());
    for (const auto& finding : doc.at("findings")) EXPECT_NE(finding.at("severity"), "error");
  }
}

TEST(DoctorReg, FlagsEachBadVariantWithItsWslError) {
  wt::TempDir tmp;
  struct Case {
    std::string name, key, line, id, wsl_error;
  };
  const std::vector<Case> cases = {
      {"expand", kKey, R"("p"=hex(2):43,00,3a,00,5c,00,70,00,2e,00,64,00,6c,00,6c,00,00,00)",
       "value-not-reg-sz", ""},
      {"quotes", kKey, R"("p"="\"C:\\p\\x.dll\"")", "path-quotes", "ERROR_INVALID_NAME"},
      {"vars", kKey, R"("p"="%ProgramFiles%\\p\\x.dll")", "", "ERROR_PATH_NOT_FOUND"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto path = tmp / (c.name + ".reg");
    wt::write_text(path, reg_file(c.key, c.line));
    auto d = wt::wslplug({"doctor", "--reg", path.string(), "--json"});
    EXPECT_EQ(d.rc, 1) << d.both();
    auto doc = json::parse(d.out).at("files").at(0);
    EXPECT_FALSE(doc.at("ok").get<bool>());
    EXPECT_EQ(doc.at("file"), path.string());
    if (!c.id.empty()) {
      auto ids = ids_of(doc);
      ASSERT_NE(std::find(ids.begin(), ids.end(), c.id), ids.end()) << d.out;
      EXPECT_EQ(wsl_error_of(doc, c.id), c.wsl_error) << d.out;
    } else {
      bool found = false;
      for (const auto& f : doc.at("findings")) found |= f.at("wsl_error") == c.wsl_error;
      EXPECT_TRUE(found) << d.out;
    }
  }
  // A value written under WOW6432Node (a 32-bit reg.exe) is not where the 64-bit service looks.
  const auto wow = tmp / "wow.reg";
  wt::write_text(wow, reg_file("[HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\"
                               "CurrentVersion\\Lxss\\Plugins]",
                               R"("p"="C:\\p\\x.dll")"));
  auto d = wt::wslplug({"doctor", "--reg", wow.string()});
  EXPECT_NE(d.rc, 0) << d.both();
  EXPECT_NE(d.out.find("WOW6432Node"), std::string::npos) << d.out;
}

TEST(DoctorReg, UsageErrors) {
  wt::TempDir tmp;
  const auto path = tmp / "x.reg";
  wt::write_text(path, reg_file(kKey, R"("p"="C:\\p\\x.dll")"));
  // --reg with --dll or codes: usage error.
  auto r = wt::wslplug({"doctor", "--reg", path.string(), "--dll", path.string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  r = wt::wslplug({"doctor", "--reg", path.string(), "0x8007007e"});
  EXPECT_EQ(r.rc, 2) << r.both();
  // Missing file: usage error naming the file.
  r = wt::wslplug({"doctor", "--reg", (tmp / "missing.reg").string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  // Not a .reg file at all: an input error (exit 2) that names the file.
  const auto junk = tmp / "junk.reg";
  wt::write_text(junk, "this is not a registry file\n");
  r = wt::wslplug({"doctor", "--reg", junk.string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("junk.reg"), std::string::npos) << r.err;
}
