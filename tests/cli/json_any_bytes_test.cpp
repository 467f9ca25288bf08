// --json output is valid JSON for any input bytes: strings that are not UTF-8 (a code given to
// doctor, pasted text, a file name, an export name of a DLL, a .reg header) are printed with
// U+FFFD for each invalid sequence (docs/json.md), never an internal error without JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support.hpp"
#include "wslplug/core/utf8.hpp"

namespace wt = wslplug::test;
namespace fs = std::filesystem;

namespace {

const std::string kFffd = "\xEF\xBF\xBD";

// The document parses (nlohmann rejects invalid UTF-8) and the exit code is not 3.
nlohmann::json valid_json(const wt::RunResult& r) {
  EXPECT_NE(r.rc, 3) << r.err;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  return wt::stdout_json(r);
}

}  // namespace

TEST(JsonAnyBytes, DoctorCodeArgument) {
  auto r = wt::wslplug({"doctor", "--json", "0x8007\xff\xfe"});
  EXPECT_EQ(r.rc, 2) << r.both();
  auto j = valid_json(r);
  EXPECT_NE(j.dump().find("0x8007" + kFffd), std::string::npos) << j.dump();
}

TEST(JsonAnyBytes, DoctorPastedText) {
  auto r = wt::wslplug({"doctor", "--json", "-"}, {},
                       "A fatal error was returned by plugin 'Caf\xe9'. Error message: '\xc3'\n"
                       "Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f\n");
  EXPECT_EQ(r.rc, 0) << r.both();
  auto j = valid_json(r);
  EXPECT_NE(j.dump().find("Caf" + kFffd), std::string::npos) << j.dump();
}

TEST(JsonAnyBytes, VerifyFileName) {
  wt::TempDir dir;
  const fs::path odd = dir / "plug\xff\xfein.dll";
  fs::copy_file(wt::build_dll({.name = "json-bytes-x64"}), odd);
  auto r = wt::wslplug({"verify", "--json", odd.string()});
  EXPECT_EQ(r.rc, 1) << r.both();  // unsigned
  auto j = valid_json(r);
  const std::string file = j["files"][0]["file"];
  EXPECT_TRUE(file.ends_with("plug" + kFffd + kFffd + "in.dll")) << file;
}

// The export name of the entry point with one byte that is not UTF-8: doctor --dll reports it
// missing and lists the exports it found.
TEST(JsonAnyBytes, DoctorDllExportName) {
  wt::TempDir dir;
  auto dll = wt::copy_to(wt::build_dll({.name = "json-bytes-x64"}), dir.path(), "p.dll");
  auto bytes = wt::read_bytes(dll);
  const std::string name = "WSLPluginAPIV1_EntryPoint";
  std::string_view view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const auto at = view.find(name + '\0');
  ASSERT_NE(at, std::string_view::npos);
  bytes[at + 3] = std::byte{0xff};  // "WSL\xffluginAPIV1_EntryPoint"
  wt::write_bytes(dll, bytes);
  auto r = wt::wslplug({"doctor", "--json", "--dll", dll.string()});
  EXPECT_EQ(r.rc, 1) << r.both();
  auto j = valid_json(r);
  EXPECT_NE(j.dump().find("WSL" + kFffd + "luginAPIV1_EntryPoint"), std::string::npos) << j.dump(2);
}

// A .reg file whose header is not a registry header and not UTF-8; the header is quoted cut
// at 60 bytes, and the cut falls inside a two-byte character.
TEST(JsonAnyBytes, DoctorRegHeader) {
  wt::TempDir dir;
  const std::string head = std::string(59, 'x') + "\xc3\xa9" + "\xff tail";
  wt::write_text(dir / "bad.reg", head + "\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE]\r\n");
  auto r = wt::wslplug({"doctor", "--json", "--reg", (dir / "bad.reg").string()});
  EXPECT_NE(r.rc, 0);
  auto j = valid_json(r);
  const std::string text = j.dump();
  EXPECT_NE(text.find(std::string(59, 'x')), std::string::npos) << text;
  EXPECT_EQ(text.find(std::string(59, 'x') + kFffd), std::string::npos)
      << "the header was cut inside a character: " << text;
  // Text output: the quoted header is valid UTF-8 (the cut is at a character boundary).
  r = wt::wslplug({"doctor", "--reg", (dir / "bad.reg").string()});
  const auto q = r.both().find(std::string(59, 'x'));
  ASSERT_NE(q, std::string::npos) << r.both();
  EXPECT_TRUE(wslplug::valid_utf8(r.both().substr(q, 61))) << r.both();
}
