// `doctor --dll` (the DLL check) on DLLs built with MinGW/clang at test time: one table of
// fixtures, each with the finding ids it must produce, their severity and the WSL error each
// predicts (through the real binary, JSON and text); the same fixtures checked against a real
// Windows loader (Wine); import classification; the input is never modified.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support.hpp"
#include "wslplug/doctor/dll.hpp"
#include "wslplug/doctor/errors.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

// doctor --dll --json is always {"ok", "files": [...]}: the one file's object, or the array.
json parse_json(const wt::RunResult& r) {
  json doc = wt::stdout_json(r);
  EXPECT_TRUE(doc.is_object() && doc.contains("ok") && doc["files"].is_array()) << doc.dump();
  if (!doc.is_object() || !doc["files"].is_array()) return json::object();
  EXPECT_EQ(doc["ok"], r.rc == 0);
  return doc["files"].size() == 1 ? doc["files"][0] : doc["files"];
}

// Findings of `doctor --dll FILE --json` (asserting the schema, the exit code and that every id
// is a catalogue kind with the catalogue's severity and WSL error on the way).
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
    const auto* kind = wslplug::doctor::find_finding_kind(f.value("id", ""));
    EXPECT_NE(kind, nullptr) << "not in the finding catalogue: " << f.dump();
    if (kind && !f.value("id", "").starts_with(wslplug::doctor::kNestedPrefix)) {
      EXPECT_EQ(sev, wslplug::doctor::severity_name(kind->severity)) << f.dump();
      EXPECT_EQ(f["wsl_error"].is_null() ? "" : f["wsl_error"].get<std::string>(),
                std::string(kind->wsl_error))
          << f.dump();
    }
  }
  EXPECT_EQ(j["ok"], !error);
  EXPECT_EQ(r.rc, error ? 1 : 0) << r.both();
  return j["findings"];
}

// The finding with this id (and, when given, a message containing `message_has`), or null.
json finding(const json& findings, const std::string& id, const std::string& message_has = {}) {
  for (const auto& f : findings)
    if (f.value("id", "") == id && f.value("message", "").find(message_has) != std::string::npos)
      return f;
  return json();
}

bool any_wsl_error(const json& findings, const std::string& code) {
  for (const auto& f : findings)
    if (f["wsl_error"].is_string() && f["wsl_error"] == code && f["severity"] == "error")
      return true;
  return false;
}

const std::vector<std::string> kPeErrors = {"ERROR_PROC_NOT_FOUND", "ERROR_MOD_NOT_FOUND",
                                            "ERROR_BAD_EXE_FORMAT", "TRUST_E_SUBJECT_FORM_UNKNOWN"};

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

const std::string kCppSource =
    "#include <string>\n#include <windows.h>\nextern \"C\" __declspec(dllexport) HRESULT "
    "WSLPluginAPIV1_EntryPoint(const void* a, void* h) {\n  (void)h; "
    "std::string s(static_cast<const char*>(a)); s += std::to_string(s.size());\n"
    "  return s.empty() ? E_FAIL : S_OK;\n}\n";

// GNU ld does not fill the delay-import directory, so this fixture is linked with lld-link
// /delayload (freestanding, like the ARM64 fixtures).
wt::fs::path delay_load_dll() {
  const auto dll = wt::fixture_dir() / "doctor-delay.dll";
  if (wt::fs::exists(dll)) return dll;
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
  EXPECT_EQ(r.rc, 0) << r.both();
  r = wt::run({"clang", "--target=x86_64-pc-windows-msvc", "-O2", "-c", (tmp / "p.c").string(),
               "-o", (tmp / "p.obj").string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  const auto part = tmp / "delay.dll";
  r = wt::run({"lld-link", "/dll", "/nodefaultlib", "/entry:_DllMainCRTStartup", "/machine:x64",
               (tmp / "p.obj").string(), (tmp / "sqlite3.lib").string(), "/delayload:sqlite3.dll",
               "/out:" + part.string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  if (r.rc != 0) return {};
  wt::fs::copy_file(part, dll.string() + ".part", wt::fs::copy_options::overwrite_existing);
  wt::fs::rename(dll.string() + ".part", dll);
  return dll;
}

// An executable (no IMAGE_FILE_DLL).
wt::fs::path exe_file() {
  const auto exe = wt::fixture_dir() / "doctor-plugin.exe";
  if (wt::fs::exists(exe)) return exe;
  wt::TempDir tmp;
  wt::write_text(tmp / "main.c", "int main(void) { return 0; }\n");
  auto cc = wt::run({"x86_64-w64-mingw32-gcc", "-O2", "-s", "-o", (tmp / "plugin.exe").string(),
                     (tmp / "main.c").string()});
  EXPECT_EQ(cc.rc, 0) << cc.both();
  if (cc.rc != 0) return {};
  wt::fs::copy_file(tmp / "plugin.exe", exe.string() + ".part",
                    wt::fs::copy_options::overwrite_existing);
  wt::fs::rename(exe.string() + ".part", exe);
  return exe;
}

wt::fs::path text_file() {
  const auto file = wt::fixture_dir() / "doctor-text-plugin.dll";
  wt::write_text(file, "this is not a DLL\n");
  return file;
}

// Every DLL fixture of the table, by name. Built on first use and cached in the build tree.
using Fixture = std::function<wt::fs::path()>;
const std::map<std::string, Fixture>& fixtures() {
  static const std::map<std::string, Fixture> all = {
      {"good", [] { return wt::build_dll({.name = "doctor-good"}); }},
      {"cpp-static",
       [] {
         return wt::build_dll({.name = "doctor-cpp-static",
                               .source = kCppSource,
                               .cplusplus = true,
                               .flags = {"-static-libgcc", "-static-libstdc++"}});
       }},
      {"cpp-dynamic",
       [] {
         return wt::build_dll(
             {.name = "doctor-cpp-dynamic", .source = kCppSource, .cplusplus = true});
       }},
      {"no-export",
       [] {
         return wt::build_dll(
             {.name = "doctor-no-export",
              .source = "#include <windows.h>\n__declspec(dllexport) HRESULT PluginInit(void) { "
                        "return S_OK; }\n"});
       }},
      {"mangled",
       [] {
         return wt::build_dll(
             {.name = "doctor-mangled",
              .source = "#include <windows.h>\n__declspec(dllexport) HRESULT "
                        "WSLPluginAPIV1_EntryPoint(const void* a, void* h) { (void)a; (void)h; "
                        "return S_OK; }\n",
              .cplusplus = true,
              .flags = {"-static-libgcc", "-static-libstdc++"}});
       }},
      {"macro-name",
       [] {
         return wt::build_dll(
             {.name = "doctor-macro-name",
              .source = "#include <windows.h>\n__declspec(dllexport) HRESULT "
                        "WSLPLUGINAPI_ENTRYPOINTV1(const void* a, void* h) { (void)a; (void)h; "
                        "return S_OK; }\n"});
       }},
      {"wrong-case",
       [] {
         return wt::build_dll(
             {.name = "doctor-wrong-case",
              .source = "#include <windows.h>\n__declspec(dllexport) HRESULT "
                        "WslPluginApiV1_EntryPoint(const void* a, void* h) { (void)a; (void)h; "
                        "return S_OK; }\n"});
       }},
      {"i686", [] { return wt::build_dll({.name = "doctor-i686", .arch = wt::Arch::kX86}); }},
      {"i686-stdcall",
       [] {
         return wt::build_dll(
             {.name = "doctor-i686-stdcall",
              .arch = wt::Arch::kX86,
              .source = "#include <windows.h>\n__declspec(dllexport) HRESULT __stdcall "
                        "WSLPluginAPIV1_EntryPoint(const void* a, void* h) { (void)a; (void)h; "
                        "return S_OK; }\n"});
       }},
      {"arm64", [] { return wt::build_dll({.name = "doctor-arm64", .arch = wt::Arch::kArm64}); }},
      {"foreign-imports",
       [] {
         return wt::build_dll(
             {.name = "doctor-foreign-imports-curl",
              .source =
                  plugin_calling("const char* curl_version(void); void __std_terminate(void);",
                                 "(curl_version() != 0 ? 0 : (__std_terminate(), 1))"),
              .flags = {import_lib("libcurl-4.dll", "curl_version").string(),
                        import_lib("VCRUNTIME140.dll", "__std_terminate").string()}});
       }},
      {"debug-runtime",
       [] {
         return wt::build_dll(
             {.name = "doctor-debug-runtime",
              .source = plugin_calling("void __std_terminate(void);", "(__std_terminate(), 0)"),
              .flags = {import_lib("VCRUNTIME140D.dll", "__std_terminate").string()}});
       }},
      {"delay-load", delay_load_dll},
      {"exe", exe_file},
      {"text", text_file},
  };
  return all;
}

wt::fs::path fixture(const std::string& name) { return fixtures().at(name)(); }

// A finding a fixture must produce. Empty fields are not checked.
struct Expected {
  std::string id;
  std::string severity;
  std::string wsl_error;
  std::string message_has;  // also selects among findings with the same id
  std::string fix_has;
};

struct DllCase {
  std::string fixture;
  std::vector<Expected> findings = {};
  std::vector<std::string> tools = {};            // needed besides MinGW
  std::vector<std::string> no_error_for = {};     // WSL errors no error finding may predict
  std::vector<std::string> no_id = {};            // ids that must not appear
  std::vector<std::string> not_in_messages = {};  // text no message may contain
  bool pe_clean = false;                          // check_pe_file: a PE without any finding
};

const std::vector<DllCase>& dll_cases() {
  static const std::vector<DllCase> cases = {
      {.fixture = "good", .no_error_for = kPeErrors, .pe_clean = true},
      {.fixture = "cpp-static", .no_error_for = {"ERROR_MOD_NOT_FOUND", "ERROR_PROC_NOT_FOUND"}},
      // One finding per runtime DLL (libstdc++-6.dll, libgcc_s_seh-1.dll); the export itself is
      // fine (extern "C").
      {.fixture = "cpp-dynamic",
       .findings = {{"import-mingw-runtime", "error", "ERROR_MOD_NOT_FOUND", "libstdc++-6.dll",
                     "-static-libstdc++"}},
       .no_error_for = {"ERROR_PROC_NOT_FOUND"}},
      {.fixture = "no-export",
       .findings = {{"entry-point-missing", "error", "ERROR_PROC_NOT_FOUND", "PluginInit", ""}}},
      {.fixture = "mangled",
       .findings = {{"entry-point-mangled", "error", "ERROR_PROC_NOT_FOUND",
                     "_Z25WSLPluginAPIV1_EntryPoint", "extern \"C\""}}},
      {.fixture = "macro-name",
       .findings = {{"entry-point-macro-name", "error", "ERROR_PROC_NOT_FOUND", "", ""}}},
      {.fixture = "wrong-case",
       .findings = {{"entry-point-wrong-case", "error", "ERROR_PROC_NOT_FOUND", "", ""}}},
      {.fixture = "i686",
       .findings = {{"wrong-machine", "error", "ERROR_BAD_EXE_FORMAT", "x86", ""}}},
      {.fixture = "i686-stdcall",
       .findings = {{"entry-point-decorated", "error", "ERROR_PROC_NOT_FOUND",
                     "WSLPluginAPIV1_EntryPoint@8", ""},
                    {"wrong-machine", "error", "ERROR_BAD_EXE_FORMAT", "", ""}}},
      {.fixture = "arm64",
       .findings = {{"machine-arm64", "info", "", "", ""}},
       .tools = {"clang", "lld-link"},
       .no_error_for = kPeErrors},
      // KERNEL32.dll and msvcrt.dll ship with Windows: no finding names them.
      {.fixture = "foreign-imports",
       .findings = {{"import-not-system", "error", "ERROR_MOD_NOT_FOUND", "libcurl-4.dll", ""},
                    {"import-vc-runtime", "warning", "ERROR_MOD_NOT_FOUND", "VCRUNTIME140.dll",
                     ""}},
       .tools = {"x86_64-w64-mingw32-dlltool"},
       .not_in_messages = {"KERNEL32", "msvcrt"}},
      {.fixture = "debug-runtime",
       .findings = {{"import-debug-runtime", "error", "ERROR_MOD_NOT_FOUND", "VCRUNTIME140D.dll",
                     ""}},
       .tools = {"x86_64-w64-mingw32-dlltool"}},
      {.fixture = "delay-load",
       .findings = {{"delay-import", "warning", "ERROR_MOD_NOT_FOUND", "sqlite3.dll", ""}},
       .tools = {"clang", "lld-link", "llvm-dlltool"},
       .no_id = {"import-not-system"}},
      {.fixture = "text",
       .findings = {{"not-pe", "error", "TRUST_E_SUBJECT_FORM_UNKNOWN", "ERROR_BAD_EXE_FORMAT",
                     ""}}},
      {.fixture = "exe",
       .findings = {{"not-dll", "error", "", "IMAGE_FILE_DLL", ""},
                    {"entry-point-missing", "error", "ERROR_PROC_NOT_FOUND", "", ""}}},
  };
  return cases;
}

class DllCheck : public ::testing::TestWithParam<DllCase> {};

std::string case_name(const ::testing::TestParamInfo<DllCase>& info) {
  std::string n = info.param.fixture;
  for (auto& c : n)
    if (c == '-') c = '_';
  return n;
}

}  // namespace

TEST_P(DllCheck, FindingsAndTheirWslErrors) {
  const DllCase& c = GetParam();
  for (const auto& tool : c.tools) WSLPLUG_REQUIRE_TOOL(tool);
  const auto dll = fixture(c.fixture);
  ASSERT_FALSE(dll.empty());
  if (c.pe_clean) {
    auto pe = wslplug::doctor::check_pe_file(dll);
    ASSERT_TRUE(pe) << pe.error().describe();
    EXPECT_TRUE(pe->is_pe);
    EXPECT_TRUE(pe->findings.empty()) << pe->findings.front().message;
  }
  const json findings = dll_findings(dll);
  for (const auto& e : c.findings) {
    SCOPED_TRACE(e.id);
    const json f = finding(findings, e.id, e.message_has);
    ASSERT_FALSE(f.is_null()) << findings.dump(2);
    if (!e.severity.empty()) {
      EXPECT_EQ(f["severity"], e.severity);
    }
    if (e.wsl_error.empty()) {
      EXPECT_TRUE(f["wsl_error"].is_null()) << f.dump();
    } else {
      EXPECT_EQ(f["wsl_error"], e.wsl_error);
    }
    if (!e.fix_has.empty()) {
      EXPECT_NE(f["fix"].get<std::string>().find(e.fix_has), std::string::npos) << f.dump();
    }
  }
  for (const auto& code : c.no_error_for)
    EXPECT_FALSE(any_wsl_error(findings, code)) << code << "\n" << findings.dump(2);
  for (const auto& id : c.no_id) EXPECT_TRUE(finding(findings, id).is_null()) << findings.dump(2);
  for (const auto& text : c.not_in_messages)
    for (const auto& f : findings)
      EXPECT_EQ(f["message"].get<std::string>().find(text), std::string::npos) << text;
  // Text mode: the same verdict, and every predicted WSL error named.
  bool error = false;
  for (const auto& f : findings) error |= f["severity"] == "error";
  auto r = wt::wslplug({"doctor", "--dll", dll.string()});
  EXPECT_EQ(r.rc, error ? 1 : 0) << r.both();
  for (const auto& f : findings) {
    if (f["wsl_error"].is_string()) {
      EXPECT_NE(r.out.find(f["wsl_error"].get<std::string>()), std::string::npos) << r.out;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DllCheck, ::testing::ValuesIn(dll_cases()), case_name);

TEST(DllCheckInput, IsNeverModified) {
  wt::TempDir tmp;
  auto dll = wt::copy_to(fixture("i686"), tmp.path());
  const auto before = wt::sha256_file(dll);
  auto r = wt::wslplug({"doctor", "--dll", dll.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(wt::sha256_file(dll), before);
  EXPECT_TRUE(wt::stray_temp_files(tmp.path()).empty());
}

TEST(DllCheckImports, ClassifiesImports) {
  using wslplug::doctor::classify_import;
  using K = wslplug::doctor::ImportKind;
  EXPECT_EQ(classify_import("KERNEL32.dll"), K::kSystem);
  EXPECT_EQ(classify_import("api-ms-win-crt-runtime-l1-1-0.dll"), K::kSystem);
  EXPECT_EQ(classify_import("WS2_32.dll"), K::kSystem);
  EXPECT_EQ(classify_import("libwinpthread-1.dll"), K::kMingwRuntime);
  EXPECT_EQ(classify_import("libgcc_s_seh-1.dll"), K::kMingwRuntime);
  EXPECT_EQ(classify_import("MSVCP140.dll"), K::kVcRuntime);
  EXPECT_EQ(classify_import("VCRUNTIME140D.dll"), K::kDebugRuntime);
  EXPECT_EQ(classify_import("mylib.dll"), K::kOther);
}

// doctor's predictions against a real Windows loader: a MinGW program runs LoadLibraryW +
// GetProcAddress("WSLPluginAPIV1_EntryPoint") under Wine (64-bit, like wslservice) and prints the
// Win32 error. A failure must be one of the WSL errors doctor predicts (severity error); a DLL
// Wine loads must have no PE error finding. (The signature check is not part of this: Wine's
// LoadLibrary does not verify Authenticode; ARM64 and non-PE files are left out: Wine on x64
// cannot load the former, and for the latter doctor predicts the signature-check error.)
TEST(DllCheckWine, PredictionsMatchTheWineLoader) {
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
  std::vector<wt::fs::path> dlls;
  for (const char* name : {"good", "cpp-dynamic", "cpp-static", "no-export", "mangled",
                           "macro-name", "i686", "foreign-imports", "debug-runtime"})
    dlls.push_back(fixture(name));
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
    auto pe = wslplug::doctor::check_pe_file(dlls[i]);
    ASSERT_TRUE(pe) << pe.error().describe();
    std::set<std::string> predicted;
    for (const auto& f : pe->findings)
      if (f.severity == wslplug::doctor::Severity::kError && !f.wsl_error.empty())
        predicted.insert(f.wsl_error);
    if (codes[i] == 0) {
      EXPECT_TRUE(predicted.empty()) << "Wine loads it, doctor predicts " << *predicted.begin();
    } else {
      ++failures;
      auto name = wslplug::doctor::win32_name(static_cast<std::uint32_t>(codes[i]));
      ASSERT_TRUE(name.has_value()) << codes[i];
      EXPECT_TRUE(predicted.contains(std::string(*name)))
          << "Wine fails with " << *name << ", doctor predicts "
          << (predicted.empty() ? std::string("nothing") : *predicted.begin());
    }
  }
  EXPECT_GE(failures, 6);  // the fixtures do fail in several ways
}

// A DLL given by its WSL mount path is judged for where it sits on Windows (the file need not
// exist: only the path matters).
TEST(DllCheckLocation, NotesUserWritableFoldersOfMountPaths) {
  namespace fs = std::filesystem;
  using wslplug::doctor::location_findings;
  auto notes = location_findings("/mnt/c/Users/me/build/p.dll");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_TRUE(notes[0].is(wslplug::doctor::kDllUserWritable));
  EXPECT_EQ(notes[0].severity, wslplug::doctor::Severity::kInfo);
  EXPECT_NE(notes[0].message.find("C:\\Users\\me\\build\\p.dll"), std::string::npos)
      << notes[0].message;
  EXPECT_NE(notes[0].fix.find("C:\\Program Files\\WSL Plugins\\"), std::string::npos)
      << notes[0].fix;
  EXPECT_EQ(location_findings("/mnt/d/Temp/p.dll").size(), 1u);
  EXPECT_EQ(location_findings("/mnt/c/Plugins/p.dll").size(), 1u);
  EXPECT_TRUE(location_findings("/mnt/c/Program Files/WSL Plugins/p/p.dll").empty());
  EXPECT_TRUE(location_findings("/home/me/p.dll").empty());
  EXPECT_TRUE(location_findings("/win/c/Users/p.dll").empty());
  EXPECT_EQ(location_findings("/win/c/Users/p.dll", "/win/").size(), 1u);
  // A relative path counts from the current folder.
  wt::TempDir tmp;
  const fs::path root = tmp / "mnt";
  fs::create_directories(root / "c" / "Users");
  const fs::path old = fs::current_path();
  fs::current_path(root / "c" / "Users");
  auto relative = location_findings("p.dll", root.string() + "/");
  fs::current_path(old);
  EXPECT_EQ(relative.size(), 1u);
}
