// wslplug run, loading as WSL does it (LoadLibrary, GetProcAddress, the entry point): a plugin that
// requires a newer WSL refuses older versions cleanly; an entry point that fails, a misspelt
// export and a dependency only in the plugin's folder fail the load with the HRESULT WSL records
// and the error code string wsl.exe prints at the next VM start. Fixtures from tests/fixtures/run.
#include <gtest/gtest.h>

#include "run_support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

TEST(RunLoad, RequireVersionRefusesOlderWslCleanly) {
  const auto dll = wt::run_fixture("requires_update.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--name", "needs-244"});
  // Refusing an old WSL the documented way is not a defect: exit 0.
  EXPECT_EQ(r.result.rc, 0) << r.context();
  for (const char* v : {"2.0.5", "2.1.3"}) {
    const json* run = r.run(v);
    ASSERT_NE(run, nullptr) << v;
    EXPECT_EQ((*run)["outcome"], "requires-update") << v << "\n" << r.context();
    EXPECT_EQ((*run)["load"]["hresult"], "0x8004032A") << v;
    EXPECT_EQ((*run)["load"]["symbol"], "WSL_E_PLUGIN_REQUIRES_UPDATE") << v;
    EXPECT_TRUE((*run)["events"].empty()) << v;
    EXPECT_TRUE((*run)["hooks_set"].empty()) << v;
    const json& wsl = (*run)["load"]["wsl"];
    ASSERT_TRUE(wsl.is_object()) << r.context();
    EXPECT_EQ(wsl["error_code"],
              "Wsl/Service/CreateInstance/CreateVm/Plugin/WSL_E_PLUGIN_REQUIRES_UPDATE");
    EXPECT_EQ(
        wsl["message"],
        "The plugin 'needs-244' requires a newer version of WSL. Please run: wsl.exe --update");
  }
  for (const char* v : {"2.4.4", "2.9.5"}) {
    const json* run = r.run(v);
    ASSERT_NE(run, nullptr) << v;
    EXPECT_EQ((*run)["outcome"], "ok") << v << "\n" << r.context();
    EXPECT_EQ((*run)["events"].size(), 2u) << v;
  }
}

TEST(RunLoad, EntryPointFailure) {
  const auto dll = wt::run_fixture("entry_point_fails.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4", "--name", "broken"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "load-failed") << r.context();
  EXPECT_EQ((*run)["load"]["step"], "EntryPoint");
  EXPECT_EQ((*run)["load"]["hresult"], "0x8000FFFF");
  EXPECT_EQ((*run)["load"]["symbol"], "E_UNEXPECTED");
  EXPECT_EQ((*run)["load"]["wsl"]["error_code"],
            "Wsl/Service/CreateInstance/CreateVm/Plugin/E_UNEXPECTED");
  EXPECT_EQ((*run)["load"]["wsl"]["message"], "A fatal error was returned by plugin 'broken'");
  EXPECT_TRUE((*run)["events"].empty()) << r.context();
  EXPECT_TRUE(wt::has_problem(*run, "load-failed")) << r.context();
}

TEST(RunLoad, MisspeltEntryPointIsProcNotFound) {
  const auto dll = wt::run_fixture("misspelt_entry_point.c");
  ASSERT_FALSE(dll.empty());
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.1.3"});
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.1.3");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "load-failed") << r.context();
  EXPECT_EQ((*run)["load"]["step"], "GetProcAddress");
  EXPECT_EQ((*run)["load"]["hresult"], "0x8007007F");
  // Not in WSL's table of names: wsl.exe prints it in hex.
  EXPECT_EQ((*run)["load"]["wsl"]["error_code"],
            "Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f");
}

TEST(RunLoad, DependencyOnlyInThePluginsFolderIsNotFound) {
  wt::DllSpec dep{
      .name = "wslplug-run-dep",
      .source = "__declspec(dllexport) int WslplugRunDependency(void) { return 42; }\n"};
  const auto dep_dll = wt::build_dll(dep);
  ASSERT_FALSE(dep_dll.empty());
  const auto fixture = wt::run_fixture("missing_dependency.c", {dep_dll.string()});
  ASSERT_FALSE(fixture.empty());
  // The plugin and its dependency side by side, run from another folder.
  wt::TempDir tmp;
  wt::fs::create_directories(tmp / "plugin");
  wt::fs::create_directories(tmp / "elsewhere");
  const auto dll = wt::copy_to(fixture, tmp / "plugin", "needs-dep.dll");
  wt::copy_to(dep_dll, tmp / "plugin");
  auto r = wt::run_json({dll.string(), "--wsl-version", "2.4.4"}, {}, tmp / "elsewhere");
  EXPECT_EQ(r.result.rc, 1) << r.context();
  const json* run = r.run("2.4.4");
  ASSERT_NE(run, nullptr) << r.context();
  EXPECT_EQ((*run)["outcome"], "load-failed") << r.context();
  EXPECT_EQ((*run)["load"]["step"], "LoadLibrary");
  EXPECT_EQ((*run)["load"]["hresult"], "0x8007007E");
  EXPECT_EQ((*run)["load"]["symbol"], "ERROR_MOD_NOT_FOUND");
  EXPECT_EQ((*run)["load"]["wsl"]["error_code"],
            "Wsl/Service/CreateInstance/CreateVm/Plugin/ERROR_MOD_NOT_FOUND");
  // The report names the import the search path lacks (the name the linker recorded), with
  // doctor's fix for it.
  const std::string explanation = (*run)["load"]["wsl"]["explanation"].get<std::string>();
  EXPECT_NE(explanation.find("imports wslplug-run-dep"), std::string::npos) << explanation;
  EXPECT_NE(explanation.find("which is not a System32 DLL"), std::string::npos) << explanation;
}
