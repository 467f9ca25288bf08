// wslplug run and the DLLs a plugin imports: a plugin importing ProcessPrng from
// bcryptprimitives.dll (every DLL Rust 1.78+ builds does) loads and gets random bytes through the
// stand-in wslplug puts into the wine prefix, also into a prefix made before the stand-in existed;
// a System32 DLL wine lacks (wslapi.dll) is named as the harness's failure (exit 3), and a DLL only
// beside the plugin is named with doctor's fix. Fixtures: tests/fixtures/run, import libraries
// made with dlltool at test time.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>

#include "run_support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

// An import library for `dll` exporting `functions`, made from a .def file with dlltool (MinGW
// ships none for bcryptprimitives.dll). Returns the folder holding lib<stem>.a.
wt::fs::path import_library(const std::string& dll, const std::vector<std::string>& functions) {
  const wt::fs::path dir = wt::fixture_dir() / "implib";
  wt::fs::create_directories(dir);
  const std::string stem = wt::fs::path(dll).stem().string();
  std::string def = fmt::format("LIBRARY {}\nEXPORTS\n", dll);
  for (const auto& f : functions) def += "    " + f + "\n";
  const wt::fs::path def_file = dir / fmt::format("{}.{}.def", stem, getpid());
  wt::write_text(def_file, def);
  auto r = wt::run({"x86_64-w64-mingw32-dlltool", "-d", def_file.string(), "-D", dll, "-l",
                    (dir / fmt::format("lib{}.{}.a", stem, getpid())).string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  // Renamed into place: test processes building it at once never see half a file.
  wt::fs::rename(dir / fmt::format("lib{}.{}.a", stem, getpid()), dir / ("lib" + stem + ".a"));
  wt::fs::remove(def_file);
  return dir;
}

wt::fs::path system32() { return wt::run_drive_c() / "windows/system32"; }

// The 64 hex digits after "LABEL: " in the plugin's output, or "".
std::string hex_after(const std::string& output, const std::string& label) {
  std::smatch m;
  const std::regex re(label + ": ([0-9a-f]{64})");
  return std::regex_search(output, m, re) ? m[1].str() : std::string();
}

wt::fs::path process_prng_fixture() {
  const auto lib = import_library("bcryptprimitives.dll", {"ProcessPrng"});
  return wt::run_fixture("process_prng.c", {"-L" + lib.string(), "-lbcryptprimitives"});
}

void expect_random_bytes(const wt::RunReport& r, const std::string& version) {
  const json* run = r.run(version);
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "ok") << r.context();
  EXPECT_EQ((*run)["load"]["step"], "EntryPoint") << r.context();
  const json* started = wt::find_event(*run, "OnVMStarted");
  ASSERT_NE(started, nullptr) << r.context();
  EXPECT_EQ((*started)["symbol"], "S_OK") << r.context();
  const std::string output = (*run)["output"].get<std::string>();
  const std::string entry = hex_after(output, "prng entry");
  const std::string hook = hex_after(output, "prng hook");
  ASSERT_FALSE(entry.empty()) << output;
  ASSERT_FALSE(hook.empty()) << output;
  EXPECT_NE(entry, std::string(64, '0'));
  EXPECT_NE(hook, std::string(64, '0'));
  EXPECT_NE(entry, hook);
}

}  // namespace

TEST(RunDependencies, ProcessPrngFromBcryptprimitivesLoadsAndGivesRandomBytes) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-dlltool");
  const auto dll = process_prng_fixture();
  ASSERT_FALSE(dll.empty());
  // The fixture imports exactly what a Rust 1.78+ DLL imports from it.
  auto dump = wt::run({"x86_64-w64-mingw32-objdump", "-p", dll.string()});
  EXPECT_NE(dump.out.find("DLL Name: bcryptprimitives.dll"), std::string::npos) << dump.out;
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4", "--wsl-version", "2.0.5"});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  expect_random_bytes(r, "2.4.4");
  expect_random_bytes(r, "2.0.5");
  // The stand-in is in the prefix's System32, where WSL's Windows has the real one.
  EXPECT_TRUE(wt::fs::exists(system32() / "bcryptprimitives.dll"));
  // doctor --dll: a System32 DLL on every Windows that runs WSL 2, not a finding.
  auto doctor = wt::wslplug({"doctor", "--dll", dll.string(), "--json"});
  EXPECT_EQ(doctor.out.find("bcryptprimitives"), std::string::npos) << doctor.out;
}

TEST(RunDependencies, PrefixMadeBeforeTheStandInGetsIt) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-dlltool");
  const auto dll = process_prng_fixture();
  ASSERT_FALSE(dll.empty());
  // Make sure the shared prefix exists, then take the stand-in away as an older wslplug left it.
  auto first = wt::run_json({dll.string(), "--wsl-version", "2.4.4"});
  ASSERT_EQ(first.result.rc, 0) << first.context();
  const auto prefix = wt::run_drive_c().parent_path();
  const auto standin = system32() / "bcryptprimitives.dll";
  // Another test process may run the prefix at this moment: work on a copy of the prefix, hard
  // links (it is 700 MB) except the registry files, the only ones wine writes in place.
  wt::TempDir tmp;
  const auto copy = tmp / "wine";
  auto cp = wt::run({"cp", "-al", prefix.string(), copy.string()});
  ASSERT_EQ(cp.rc, 0) << cp.both();
  for (const char* reg : {"system.reg", "user.reg", "userdef.reg"}) {
    wt::fs::remove(copy / reg);
    wt::fs::copy_file(prefix / reg, copy / reg);
  }
  wt::fs::remove(copy / "drive_c/windows/system32/bcryptprimitives.dll");
  ASSERT_TRUE(wt::fs::exists(standin));
  // The copy's wineserver ends with the test, not 10 minutes later.
  struct StopWineserver {
    wt::fs::path prefix;
    std::string wineserver;
    ~StopWineserver() {
      if (!wineserver.empty()) wt::run({wineserver, "-k"}, {{"WINEPREFIX", prefix.string()}});
    }
  } stop{copy, {}};
  if (first.doc["host"]["wine"].is_string())
    stop.wineserver =
        (wt::fs::path(first.doc["host"]["wine"].get<std::string>()).parent_path() / "wineserver")
            .string();
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4"},
                        {{"WSLPLUG_WINEPREFIX", copy.string()}});
  EXPECT_EQ(r.result.rc, 0) << r.context();
  expect_random_bytes(r, "2.4.4");
  EXPECT_TRUE(wt::fs::exists(copy / "drive_c/windows/system32/bcryptprimitives.dll"));
  EXPECT_NE(r.result.err.find("Installed a stand-in bcryptprimitives.dll"), std::string::npos)
      << r.result.err;
  // Once there, it is not installed again.
  auto again = wt::run_json({dll.string(), "--wsl-version", "2.4.4"},
                            {{"WSLPLUG_WINEPREFIX", copy.string()}});
  EXPECT_EQ(again.result.rc, 0) << again.context();
  EXPECT_EQ(again.result.err.find("Installed a stand-in"), std::string::npos) << again.result.err;
}

TEST(RunDependencies, SystemDllWineLacksIsNamedAsTheHarnessFailure) {
  const auto dll = wt::run_fixture("imports_wslapi.c", {"-lwslapi"});
  ASSERT_FALSE(dll.empty());
  ASSERT_FALSE(wt::fs::exists(system32() / "wslapi.dll")) << "this wine has wslapi.dll";
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4"});
  // WSL would load it: not exit 1 ("WSL would fail"), but the harness's failure.
  EXPECT_EQ(r.result.rc, 3) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "harness-error") << r.context();
  EXPECT_EQ((*run)["load"]["symbol"], "ERROR_MOD_NOT_FOUND") << r.context();
  const std::string explanation = (*run)["load"]["wsl"]["explanation"].get<std::string>();
  EXPECT_NE(explanation.find("imports wslapi.dll, which Windows 10 and later have in System32 "
                             "but this wine"),
            std::string::npos)
      << explanation;
  EXPECT_EQ(explanation.find("statically"), std::string::npos) << explanation;
  EXPECT_EQ((*run)["load"]["wsl"]["fix"].get<std::string>().find("statically"), std::string::npos)
      << r.context();
  EXPECT_NE((*run)["error"]["message"].get<std::string>().find("wslapi.dll"), std::string::npos)
      << r.context();
}
