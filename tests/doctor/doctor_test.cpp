// wslplug doctor: the real binary on pasted codes (every form of the issue, text and --json, exit
// codes) and `doctor --dll` on DLLs built with MinGW/clang at test time, each asserting the WSL
// error the finding predicts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support.hpp"
#include "wslplug/doctor/errors.hpp"
#include "wslplug/doctor/preflight.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

json parse_json(const wt::RunResult& r) {
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stdout is not JSON: " << e.what() << "\n" << r.both();
    return json();
  }
}

// Findings of `doctor --dll FILE --json` (asserting the schema and the exit code on the way).
json dll_findings(const wt::fs::path& dll) {
  auto r = wt::wslplug({"doctor", "--dll", dll.string(), "--json"});
  json j = parse_json(r);
  EXPECT_TRUE(j.is_object()) << r.both();
  if (!j.is_object()) return json::array();
  EXPECT_EQ(j.value("file", ""), dll.string());
  EXPECT_TRUE(j.contains("ok") && j["ok"].is_boolean());
  EXPECT_TRUE(j.contains("findings") && j["findings"].is_array()) << j.dump(2);
  bool error = false;
  for (const auto& f : j["findings"]) {
    for (auto key : {"id", "severity", "message", "fix"}) EXPECT_TRUE(f[key].is_string()) << key;
    EXPECT_TRUE(f["wsl_error"].is_string() || f["wsl_error"].is_null());
    const std::string sev = f["severity"];
    EXPECT_TRUE(sev == "error" || sev == "warning" || sev == "info") << sev;
    error |= sev == "error";
  }
  EXPECT_EQ(j["ok"], !error);
  EXPECT_EQ(r.rc, error ? 1 : 0) << r.both();
  return j["findings"];
}

// The finding with this id, or null.
json finding(const json& findings, const std::string& id) {
  for (const auto& f : findings)
    if (f.value("id", "") == id) return f;
  return json();
}

bool any_wsl_error(const json& findings, const std::string& code) {
  for (const auto& f : findings)
    if (f["wsl_error"].is_string() && f["wsl_error"] == code && f["severity"] == "error")
      return true;
  return false;
}

const char* kPeErrors[] = {"ERROR_PROC_NOT_FOUND", "ERROR_MOD_NOT_FOUND", "ERROR_BAD_EXE_FORMAT",
                           "TRUST_E_SUBJECT_FORM_UNKNOWN"};

// An import library (or, with `delay`, a delay-import library) for a DLL, made with dlltool from
// a .def file.
wt::fs::path import_lib(const std::string& dll, const std::string& function, bool delay = false) {
  const auto dir = wt::fixture_dir();
  const auto lib = dir / ("lib" + dll + (delay ? ".delay.a" : ".imp.a"));
  if (wt::fs::exists(lib)) return lib;
  const auto def = dir / (dll + ".def");
  wt::write_text(def, "LIBRARY " + dll + "\nEXPORTS\n" + function + "\n");
  auto r = wt::run({"x86_64-w64-mingw32-dlltool", "-d", def.string(), delay ? "-y" : "-l",
                    lib.string() + ".tmp"});
  EXPECT_EQ(r.rc, 0) << r.both();
  wt::fs::rename(lib.string() + ".tmp", lib);
  return lib;
}

std::string plugin_calling(const std::string& decl, const std::string& call) {
  return "#include <windows.h>\n" + decl +
         "\n__declspec(dllexport) HRESULT WSLPluginAPIV1_EntryPoint(const void* a, void* h) {\n"
         "  (void)a; (void)h; return (HRESULT)" +
         call + ";\n}\n";
}

}  // namespace

// ------------------------------------------------------------------------------ codes
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
  for (const auto& e : wslplug::errors::knowledge_base())
    args.push_back("Wsl/Service/CreateInstance/CreateVm/Plugin/" +
                   wslplug::errors::wsl_code_string(e.hresult));
  auto r = wt::wslplug(args);
  ASSERT_EQ(r.rc, 0) << r.both();
  json j = parse_json(r);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), wslplug::errors::knowledge_base().size());
  std::size_t i = 0;
  for (const auto& e : wslplug::errors::knowledge_base()) {
    const auto& o = j[i++];
    SCOPED_TRACE(std::string(e.symbol));
    EXPECT_EQ(o["symbol"], std::string(e.symbol));
    EXPECT_EQ(o["known"], true);
    EXPECT_EQ(o["wsl_prints"], wslplug::errors::wsl_code_string(e.hresult));
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
  r = wt::wslplug({"doctor", "0x80991234"});
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.out.find("0x80991234"), std::string::npos);
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

// ------------------------------------------------------------------------------ --dll
TEST(DoctorDll, GoodPluginHasNoPeProblems) {
  auto dll = wt::build_dll({.name = "doctor-good"});
  ASSERT_FALSE(dll.empty());
  auto pe = wslplug::preflight::check_pe_file(dll);
  ASSERT_TRUE(pe) << pe.error().describe();
  EXPECT_TRUE(pe->is_pe);
  EXPECT_TRUE(pe->findings.empty()) << pe->findings.front().message;
  auto findings = dll_findings(dll);
  for (auto code : kPeErrors) EXPECT_FALSE(any_wsl_error(findings, code)) << code;
}

TEST(DoctorDll, StaticLibstdcxxPluginHasNoImportProblems) {
  auto dll = wt::build_dll(
      {.name = "doctor-cpp-static",
       .source = "#include <string>\n#include <windows.h>\nextern \"C\" __declspec(dllexport) "
                 "HRESULT WSLPluginAPIV1_EntryPoint(const void* a, void* h) {\n  (void)h; "
                 "std::string s(static_cast<const char*>(a)); s += std::to_string(s.size());\n"
                 "  return s.empty() ? E_FAIL : S_OK;\n}\n",
       .cplusplus = true,
       .flags = {"-static-libgcc", "-static-libstdc++"}});
  ASSERT_FALSE(dll.empty());
  auto findings = dll_findings(dll);
  EXPECT_FALSE(any_wsl_error(findings, "ERROR_MOD_NOT_FOUND")) << findings.dump(2);
  EXPECT_FALSE(any_wsl_error(findings, "ERROR_PROC_NOT_FOUND")) << findings.dump(2);
}

TEST(DoctorDll, DynamicLibstdcxxIsModNotFound) {
  auto dll = wt::build_dll(
      {.name = "doctor-cpp-dynamic",
       .source = "#include <string>\n#include <windows.h>\nextern \"C\" __declspec(dllexport) "
                 "HRESULT WSLPluginAPIV1_EntryPoint(const void* a, void* h) {\n  (void)h; "
                 "std::string s(static_cast<const char*>(a)); s += std::to_string(s.size());\n"
                 "  return s.empty() ? E_FAIL : S_OK;\n}\n",
       .cplusplus = true});
  ASSERT_FALSE(dll.empty());
  auto findings = dll_findings(dll);
  // One finding per runtime DLL (libstdc++-6.dll, libgcc_s_seh-1.dll).
  json f;
  for (const auto& x : findings)
    if (x["id"] == "import-mingw-runtime" &&
        x["message"].get<std::string>().find("libstdc++-6.dll") != std::string::npos)
      f = x;
  ASSERT_FALSE(f.is_null()) << findings.dump(2);
  EXPECT_EQ(f["wsl_error"], "ERROR_MOD_NOT_FOUND");
  EXPECT_EQ(f["severity"], "error");
  EXPECT_NE(f["fix"].get<std::string>().find("-static-libstdc++"), std::string::npos);
  // The export itself is fine (extern "C").
  EXPECT_FALSE(any_wsl_error(findings, "ERROR_PROC_NOT_FOUND"));
}

TEST(DoctorDll, MissingExportIsProcNotFound) {
  auto dll = wt::build_dll(
      {.name = "doctor-no-export",
       .source = "#include <windows.h>\n__declspec(dllexport) HRESULT PluginInit(void) { return "
                 "S_OK; }\n"});
  ASSERT_FALSE(dll.empty());
  auto findings = dll_findings(dll);
  auto f = finding(findings, "entry-point-missing");
  ASSERT_FALSE(f.is_null()) << findings.dump(2);
  EXPECT_EQ(f["wsl_error"], "ERROR_PROC_NOT_FOUND");
  EXPECT_NE(f["message"].get<std::string>().find("PluginInit"), std::string::npos);
  // Text mode names the WSL error too.
  auto r = wt::wslplug({"doctor", "--dll", dll.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("ERROR_PROC_NOT_FOUND"), std::string::npos) << r.out;
}

TEST(DoctorDll, MangledExportIsProcNotFound) {
  auto dll = wt::build_dll(
      {.name = "doctor-mangled",
       .source = "#include <windows.h>\n__declspec(dllexport) HRESULT "
                 "WSLPluginAPIV1_EntryPoint(const void* a, void* h) { (void)a; (void)h; return "
                 "S_OK; }\n",
       .cplusplus = true,
       .flags = {"-static-libgcc", "-static-libstdc++"}});
  ASSERT_FALSE(dll.empty());
  auto findings = dll_findings(dll);
  auto f = finding(findings, "entry-point-mangled");
  ASSERT_FALSE(f.is_null()) << findings.dump(2);
  EXPECT_EQ(f["wsl_error"], "ERROR_PROC_NOT_FOUND");
  EXPECT_NE(f["message"].get<std::string>().find("_Z25WSLPluginAPIV1_EntryPoint"),
            std::string::npos);
  EXPECT_NE(f["fix"].get<std::string>().find("extern \"C\""), std::string::npos);
}

TEST(DoctorDll, MacroNameExportIsProcNotFound) {
  auto dll = wt::build_dll(
      {.name = "doctor-macro-name",
       .source = "#include <windows.h>\n__declspec(dllexport) HRESULT "
                 "WSLPLUGINAPI_ENTRYPOINTV1(const void* a, void* h) { (void)a; (void)h; return "
                 "S_OK; }\n"});
  ASSERT_FALSE(dll.empty());
  auto findings = dll_findings(dll);
  auto f = finding(findings, "entry-point-macro-name");
  ASSERT_FALSE(f.is_null()) << findings.dump(2);
  EXPECT_EQ(f["wsl_error"], "ERROR_PROC_NOT_FOUND");
}

TEST(DoctorDll, I686BuildIsBadExeFormat) {
  auto dll = wt::build_dll({.name = "doctor-i686", .arch = wt::Arch::kX86});
  ASSERT_FALSE(dll.empty());
  auto findings = dll_findings(dll);
  auto f = finding(findings, "wrong-machine");
  ASSERT_FALSE(f.is_null()) << findings.dump(2);
  EXPECT_EQ(f["wsl_error"], "ERROR_BAD_EXE_FORMAT");
  EXPECT_NE(f["message"].get<std::string>().find("x86"), std::string::npos) << f.dump();
}

TEST(DoctorDll, I686StdcallExportIsDecorated) {
  auto dll = wt::build_dll(
      {.name = "doctor-i686-stdcall",
       .arch = wt::Arch::kX86,
       .source = "#include <windows.h>\n__declspec(dllexport) HRESULT __stdcall "
                 "WSLPluginAPIV1_EntryPoint(const void* a, void* h) { (void)a; (void)h; return "
                 "S_OK; }\n"});
  ASSERT_FALSE(dll.empty());
  auto findings = dll_findings(dll);
  auto f = finding(findings, "entry-point-decorated");
  ASSERT_FALSE(f.is_null()) << findings.dump(2);
  EXPECT_EQ(f["wsl_error"], "ERROR_PROC_NOT_FOUND");
  EXPECT_NE(f["message"].get<std::string>().find("WSLPluginAPIV1_EntryPoint@8"), std::string::npos);
  EXPECT_FALSE(finding(findings, "wrong-machine").is_null());
}

TEST(DoctorDll, Arm64PluginIsFine) {
  auto dll = wt::build_dll({.name = "doctor-arm64", .arch = wt::Arch::kArm64});
  ASSERT_FALSE(dll.empty());
  auto findings = dll_findings(dll);
  for (auto code : kPeErrors) EXPECT_FALSE(any_wsl_error(findings, code)) << code;
  auto f = finding(findings, "machine-arm64");
  ASSERT_FALSE(f.is_null());
  EXPECT_EQ(f["severity"], "info");
}

TEST(DoctorDll, NonSystemAndVcRuntimeImports) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-dlltool");
  auto curl = import_lib("libcurl-4.dll", "curl_version");
  auto vc = import_lib("VCRUNTIME140.dll", "__std_terminate");
  auto dll = wt::build_dll(
      {.name = "doctor-foreign-imports-curl",
       .source = plugin_calling("const char* curl_version(void); void __std_terminate(void);",
                                "(curl_version() != 0 ? 0 : (__std_terminate(), 1))"),
       .flags = {curl.string(), vc.string()}});
  ASSERT_FALSE(dll.empty());
  auto findings = dll_findings(dll);
  auto f = finding(findings, "import-not-system");
  ASSERT_FALSE(f.is_null()) << findings.dump(2);
  EXPECT_EQ(f["wsl_error"], "ERROR_MOD_NOT_FOUND");
  EXPECT_EQ(f["severity"], "error");
  EXPECT_NE(f["message"].get<std::string>().find("libcurl-4.dll"), std::string::npos);
  auto v = finding(findings, "import-vc-runtime");
  ASSERT_FALSE(v.is_null()) << findings.dump(2);
  EXPECT_EQ(v["wsl_error"], "ERROR_MOD_NOT_FOUND");
  EXPECT_NE(v["message"].get<std::string>().find("VCRUNTIME140.dll"), std::string::npos);
  // KERNEL32.dll and msvcrt.dll ship with Windows: no finding names them.
  for (const auto& x : findings) {
    EXPECT_EQ(x["message"].get<std::string>().find("KERNEL32"), std::string::npos);
    EXPECT_EQ(x["message"].get<std::string>().find("msvcrt"), std::string::npos);
  }
}

TEST(DoctorDll, DebugRuntimeImportIsModNotFound) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-dlltool");
  auto debug = import_lib("VCRUNTIME140D.dll", "__std_terminate");
  auto dll = wt::build_dll(
      {.name = "doctor-debug-runtime",
       .source = plugin_calling("void __std_terminate(void);", "(__std_terminate(), 0)"),
       .flags = {debug.string()}});
  ASSERT_FALSE(dll.empty());
  auto findings = dll_findings(dll);
  auto d = finding(findings, "import-debug-runtime");
  ASSERT_FALSE(d.is_null()) << findings.dump(2);
  EXPECT_EQ(d["wsl_error"], "ERROR_MOD_NOT_FOUND");
  EXPECT_EQ(d["severity"], "error");
  EXPECT_NE(d["message"].get<std::string>().find("VCRUNTIME140D.dll"), std::string::npos);
}

// GNU ld does not fill the delay-import directory, so this fixture is linked with lld-link
// /delayload (freestanding, like the ARM64 fixtures).
TEST(DoctorDll, DelayLoadedNonSystemDllIsAWarning) {
  WSLPLUG_REQUIRE_TOOL("clang");
  WSLPLUG_REQUIRE_TOOL("lld-link");
  WSLPLUG_REQUIRE_TOOL("llvm-dlltool");
  wt::TempDir tmp;
  wt::write_text(tmp / "sqlite3.def", "LIBRARY sqlite3.dll\nEXPORTS\nsqlite3_libversion\n");
  wt::write_text(tmp / "p.c", R"(const char* sqlite3_libversion(void);
__declspec(dllexport) long WSLPluginAPIV1_EntryPoint(const void* a, void* h) {
  (void)a; (void)h; return sqlite3_libversion() ? 0 : 1;
}
void* __delayLoadHelper2(const void* d, void** f) { (void)d; return *f; }
int __stdcall _DllMainCRTStartup(void* h, unsigned long r, void* p) { (void)h; (void)r; (void)p; return 1; }
)");
  auto r = wt::run({"llvm-dlltool", "-m", "i386:x86-64", "-d", (tmp / "sqlite3.def").string(), "-l",
                    (tmp / "sqlite3.lib").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  r = wt::run({"clang", "--target=x86_64-pc-windows-msvc", "-O2", "-c", (tmp / "p.c").string(),
               "-o", (tmp / "p.obj").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  const auto dll = tmp / "delay.dll";
  r = wt::run({"lld-link", "/dll", "/nodefaultlib", "/entry:_DllMainCRTStartup", "/machine:x64",
               (tmp / "p.obj").string(), (tmp / "sqlite3.lib").string(), "/delayload:sqlite3.dll",
               "/out:" + dll.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  auto findings = dll_findings(dll);
  auto l = finding(findings, "delay-import");
  ASSERT_FALSE(l.is_null()) << findings.dump(2);
  EXPECT_EQ(l["severity"], "warning");
  EXPECT_EQ(l["wsl_error"], "ERROR_MOD_NOT_FOUND");
  EXPECT_NE(l["message"].get<std::string>().find("sqlite3.dll"), std::string::npos);
  EXPECT_TRUE(finding(findings, "import-not-system").is_null()) << findings.dump(2);
}

TEST(DoctorDll, WrongCaseExportIsProcNotFound) {
  auto dll = wt::build_dll(
      {.name = "doctor-wrong-case",
       .source = "#include <windows.h>\n__declspec(dllexport) HRESULT "
                 "WslPluginApiV1_EntryPoint(const void* a, void* h) { (void)a; (void)h; return "
                 "S_OK; }\n"});
  ASSERT_FALSE(dll.empty());
  auto findings = dll_findings(dll);
  auto f = finding(findings, "entry-point-wrong-case");
  ASSERT_FALSE(f.is_null()) << findings.dump(2);
  EXPECT_EQ(f["wsl_error"], "ERROR_PROC_NOT_FOUND");
}

TEST(DoctorDll, NotAPeAndNotADll) {
  wt::TempDir tmp;
  const auto text = tmp / "plugin.dll";
  wt::write_text(text, "this is not a DLL\n");
  auto findings = dll_findings(text);
  auto f = finding(findings, "not-pe");
  ASSERT_FALSE(f.is_null()) << findings.dump(2);
  EXPECT_EQ(f["wsl_error"], "TRUST_E_SUBJECT_FORM_UNKNOWN");
  EXPECT_NE(f["message"].get<std::string>().find("ERROR_BAD_EXE_FORMAT"), std::string::npos);

  // An executable (no IMAGE_FILE_DLL).
  const auto src = tmp / "main.c";
  wt::write_text(src, "int main(void) { return 0; }\n");
  const auto exe = tmp / "plugin.exe";
  auto cc = wt::run({"x86_64-w64-mingw32-gcc", "-O2", "-s", "-o", exe.string(), src.string()});
  ASSERT_EQ(cc.rc, 0) << cc.both();
  findings = dll_findings(exe);
  f = finding(findings, "not-dll");
  ASSERT_FALSE(f.is_null()) << findings.dump(2);
  EXPECT_EQ(f["severity"], "error");
  EXPECT_NE(f["message"].get<std::string>().find("IMAGE_FILE_DLL"), std::string::npos);
  EXPECT_FALSE(finding(findings, "entry-point-missing").is_null());
}

TEST(DoctorDll, InputIsNeverModified) {
  wt::TempDir tmp;
  auto dll =
      wt::copy_to(wt::build_dll({.name = "doctor-i686", .arch = wt::Arch::kX86}), tmp.path());
  const auto before = wt::sha256_file(dll);
  auto r = wt::wslplug({"doctor", "--dll", dll.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(wt::sha256_file(dll), before);
  EXPECT_TRUE(wt::stray_temp_files(tmp.path()).empty());
}

TEST(DoctorDll, ClassifiesImports) {
  using wslplug::preflight::classify_import;
  using K = wslplug::preflight::ImportKind;
  EXPECT_EQ(classify_import("KERNEL32.dll"), K::kSystem);
  EXPECT_EQ(classify_import("api-ms-win-crt-runtime-l1-1-0.dll"), K::kSystem);
  EXPECT_EQ(classify_import("WS2_32.dll"), K::kSystem);
  EXPECT_EQ(classify_import("libwinpthread-1.dll"), K::kMingwRuntime);
  EXPECT_EQ(classify_import("libgcc_s_seh-1.dll"), K::kMingwRuntime);
  EXPECT_EQ(classify_import("MSVCP140.dll"), K::kVcRuntime);
  EXPECT_EQ(classify_import("VCRUNTIME140D.dll"), K::kDebugRuntime);
  EXPECT_EQ(classify_import("mylib.dll"), K::kOther);
}

// ------------------------------------------------------------------------------ Wine as oracle
// doctor's predictions against a real Windows loader: a MinGW program runs LoadLibraryW +
// GetProcAddress("WSLPluginAPIV1_EntryPoint") under Wine (64-bit, like wslservice) and prints the
// Win32 error. A failure must be one of the WSL errors doctor predicts (severity error); a DLL
// Wine loads must have no PE error finding. (The signature check is not part of this: Wine's
// LoadLibrary does not verify Authenticode; ARM64 and non-PE files are left out: Wine on x64
// cannot load the former, and for the latter doctor predicts the signature-check error.)
TEST(DoctorDll, PredictionsMatchTheWineLoader) {
  WSLPLUG_REQUIRE_TOOL("wine");
  const auto loader = wt::fixture_dir() / "doctor-loader.exe";
  if (!wt::fs::exists(loader)) {
    const auto src = wt::fixture_dir() / "doctor-loader.c";
    wt::write_text(src, R"(#include <windows.h>
#include <stdio.h>
int wmain(int argc, wchar_t** argv) {
  for (int i = 1; i < argc; ++i) {
    HMODULE m = LoadLibraryW(argv[i]);
    DWORD err = 0;
    if (!m) err = GetLastError();
    else if (!GetProcAddress(m, "WSLPluginAPIV1_EntryPoint")) err = GetLastError();
    printf("%lu\n", (unsigned long)err);
    if (m) FreeLibrary(m);
  }
  return 0;
}
)");
    auto cc = wt::run({"x86_64-w64-mingw32-gcc", "-municode", "-O2", "-s", "-o",
                       loader.string() + ".part", src.string()});
    ASSERT_EQ(cc.rc, 0) << cc.both();
    wt::fs::rename(loader.string() + ".part", loader);
  }
  const std::string cpp_src =
      "#include <string>\n#include <windows.h>\nextern \"C\" __declspec(dllexport) HRESULT "
      "WSLPluginAPIV1_EntryPoint(const void* a, void* h) {\n  (void)h; "
      "std::string s(static_cast<const char*>(a)); s += std::to_string(s.size());\n"
      "  return s.empty() ? E_FAIL : S_OK;\n}\n";
  std::vector<wt::fs::path> dlls = {
      wt::build_dll({.name = "doctor-good"}),
      wt::build_dll({.name = "doctor-cpp-dynamic", .source = cpp_src, .cplusplus = true}),
      wt::build_dll({.name = "doctor-cpp-static",
                     .source = cpp_src,
                     .cplusplus = true,
                     .flags = {"-static-libgcc", "-static-libstdc++"}}),
      wt::build_dll({.name = "doctor-no-export",
                     .source =
                         "#include <windows.h>\n__declspec(dllexport) HRESULT PluginInit(void) { "
                         "return S_OK; }\n"}),
      wt::build_dll({.name = "doctor-mangled",
                     .source =
                         "#include <windows.h>\n__declspec(dllexport) HRESULT "
                         "WSLPluginAPIV1_EntryPoint(const void* a, void* h) { (void)a; (void)h; "
                         "return S_OK; }\n",
                     .cplusplus = true,
                     .flags = {"-static-libgcc", "-static-libstdc++"}}),
      wt::build_dll({.name = "doctor-macro-name",
                     .source =
                         "#include <windows.h>\n__declspec(dllexport) HRESULT "
                         "WSLPLUGINAPI_ENTRYPOINTV1(const void* a, void* h) { (void)a; (void)h; "
                         "return S_OK; }\n"}),
      wt::build_dll({.name = "doctor-i686", .arch = wt::Arch::kX86}),
      wt::build_dll(
          {.name = "doctor-foreign-imports-curl",
           .source = plugin_calling("const char* curl_version(void); void __std_terminate(void);",
                                    "(curl_version() != 0 ? 0 : (__std_terminate(), 1))"),
           .flags = {import_lib("libcurl-4.dll", "curl_version").string(),
                     import_lib("VCRUNTIME140.dll", "__std_terminate").string()}}),
      wt::build_dll(
          {.name = "doctor-debug-runtime",
           .source = plugin_calling("void __std_terminate(void);", "(__std_terminate(), 0)"),
           .flags = {import_lib("VCRUNTIME140D.dll", "__std_terminate").string()}}),
  };
  for (const auto& d : dlls) ASSERT_FALSE(d.empty());
  std::vector<std::string> args = {loader.string()};
  for (const auto& d : dlls) args.push_back("Z:" + d.string());
  for (auto& a : args)
    for (auto& c : a)
      if (c == '/') c = '\\';
  args[0] = loader.string();
  auto r = wt::wine(args);
  ASSERT_EQ(r.rc, 0) << r.both();
  std::vector<unsigned long> codes;
  std::istringstream in(r.out);
  for (unsigned long v; in >> v;) codes.push_back(v);
  ASSERT_EQ(codes.size(), dlls.size()) << r.both();
  int failures = 0;
  for (std::size_t i = 0; i < dlls.size(); ++i) {
    SCOPED_TRACE(dlls[i].filename().string());
    auto pe = wslplug::preflight::check_pe_file(dlls[i]);
    ASSERT_TRUE(pe) << pe.error().describe();
    std::set<std::string> predicted;
    for (const auto& f : pe->findings)
      if (f.severity == wslplug::Severity::kError && !f.wsl_error.empty())
        predicted.insert(f.wsl_error);
    if (codes[i] == 0) {
      EXPECT_TRUE(predicted.empty()) << "Wine loads it, doctor predicts " << *predicted.begin();
    } else {
      ++failures;
      auto name = wslplug::errors::win32_name(static_cast<std::uint32_t>(codes[i]));
      ASSERT_TRUE(name.has_value()) << codes[i];
      EXPECT_TRUE(predicted.contains(std::string(*name)))
          << "Wine fails with " << *name << ", doctor predicts "
          << (predicted.empty() ? std::string("nothing") : *predicted.begin());
    }
  }
  EXPECT_GE(failures, 6);  // the fixtures do fail in several ways
}
