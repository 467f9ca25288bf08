// The error-code knowledge base, parser and decoder (wslplug/errors.hpp), table-driven over every
// code of the knowledge base and every input form a user pastes. MinGW's winerror.h, parsed here
// independently of the build-time generator, is the oracle for values and names.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "support.hpp"
#include "wslplug/doctor/errors.hpp"

namespace doctor = wslplug::doctor;

namespace {

// NAME -> value for `#define NAME __MSABI_LONG(N)` (Win32) and `_HRESULT_TYPEDEF_(0x...)`.
struct Header {
  std::map<std::string, std::uint32_t> win32;
  std::map<std::string, std::uint32_t> hresult;
  std::map<std::string, std::uint32_t> ntstatus;  // from ntstatus.h
};

const Header& header() {
  static const Header h = [] {
    Header out;
    std::ifstream f("/usr/share/mingw-w64/include/winerror.h");
    EXPECT_TRUE(f.good()) << "winerror.h is missing: run scripts/setup";
    const std::regex win32(R"(^#define\s+(\w+)\s+__MSABI_LONG\((\d+)\)\s*$)");
    const std::regex hr(R"(^#define\s+(\w+)\s+_HRESULT_TYPEDEF_\((0x[0-9A-Fa-f]+)L?\)\s*$)");
    std::string line;
    std::smatch m;
    while (std::getline(f, line)) {
      if (std::regex_match(line, m, win32))
        out.win32.emplace(m[1], static_cast<std::uint32_t>(std::stoul(m[2])));
      else if (std::regex_match(line, m, hr))
        out.hresult.emplace(m[1], static_cast<std::uint32_t>(std::stoul(m[2], nullptr, 16)));
    }
    std::ifstream nt("/usr/share/mingw-w64/include/ntstatus.h");
    EXPECT_TRUE(nt.good()) << "ntstatus.h is missing: run scripts/setup";
    const std::regex status(R"(^#define\s+(STATUS_\w+)\s+\(\(NTSTATUS\)(0x[0-9A-Fa-f]+)L?\)\s*$)");
    while (std::getline(nt, line))
      if (std::regex_match(line, m, status))
        out.ntstatus.emplace(m[1], static_cast<std::uint32_t>(std::stoul(m[2], nullptr, 16)));
    return out;
  }();
  return h;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Every code of the WSL plugin error table (reference §7), including the host and trust codes.
const std::vector<std::string>& table_symbols() {
  static const std::vector<std::string> v = {"ERROR_FILE_NOT_FOUND",
                                             "ERROR_PATH_NOT_FOUND",
                                             "ERROR_ACCESS_DENIED",
                                             "E_ACCESSDENIED",
                                             "ERROR_SHARING_VIOLATION",
                                             "ERROR_INVALID_NAME",
                                             "ERROR_BAD_PATHNAME",
                                             "ERROR_MOD_NOT_FOUND",
                                             "ERROR_PROC_NOT_FOUND",
                                             "ERROR_BAD_EXE_FORMAT",
                                             "ERROR_DLL_INIT_FAILED",
                                             "ERROR_INVALID_IMAGE_HASH",
                                             "ERROR_ACCESS_DISABLED_BY_POLICY",
                                             "TRUST_E_NOSIGNATURE",
                                             "TRUST_E_BAD_DIGEST",
                                             "TRUST_E_SUBJECT_FORM_UNKNOWN",
                                             "TRUST_E_PROVIDER_UNKNOWN",
                                             "TRUST_E_EXPLICIT_DISTRUST",
                                             "TRUST_E_CERT_SIGNATURE",
                                             "TRUST_E_NO_SIGNER_CERT",
                                             "TRUST_E_TIME_STAMP",
                                             "TRUST_E_BASIC_CONSTRAINTS",
                                             "TRUST_E_FAIL",
                                             "CERT_E_UNTRUSTEDROOT",
                                             "CERT_E_UNTRUSTEDTESTROOT",
                                             "CERT_E_UNTRUSTEDCA",
                                             "CERT_E_CHAINING",
                                             "CERT_E_EXPIRED",
                                             "CERT_E_VALIDITYPERIODNESTING",
                                             "CERT_E_PURPOSE",
                                             "CERT_E_WRONG_USAGE",
                                             "CERT_E_CRITEXTENSION",
                                             "CERT_E_MALFORMED",
                                             "CERT_E_REVOKED",
                                             "CRYPT_E_REVOKED",
                                             "CRYPT_E_SECURITY_SETTINGS",
                                             "WSL_E_PLUGIN_REQUIRES_UPDATE",
                                             "E_ABORT",
                                             "ERROR_ALREADY_INITIALIZED",
                                             "E_UNEXPECTED",
                                             "E_FAIL",
                                             "E_ILLEGAL_STATE_CHANGE",
                                             "E_ILLEGAL_METHOD_CALL",
                                             "E_INVALIDARG",
                                             "E_POINTER",
                                             "RPC_E_DISCONNECTED",
                                             "ERROR_NOT_FOUND",
                                             "ERROR_INVALID_STATE",
                                             "WSLC_E_VM_NOT_RUNNING",
                                             "ERROR_DYNAMIC_CODE_BLOCKED",
                                             "ERROR_UNHANDLED_EXCEPTION",
                                             "RPC_S_CALL_FAILED",
                                             "RPC_S_CALL_FAILED_DNE",
                                             "RPC_S_SERVER_UNAVAILABLE",
                                             "RPC_E_SERVER_DIED",
                                             "RPC_E_SERVER_DIED_DNE",
                                             "CO_E_OBJNOTCONNECTED",
                                             "RPC_E_CALL_REJECTED",
                                             "REGDB_E_CLASSNOTREG",
                                             "CO_E_SERVER_EXEC_FAILURE"};
  return v;
}

// The value winerror.h gives a name (Win32 names as HRESULT_FROM_WIN32), if it has it.
std::optional<std::uint32_t> header_value(const std::string& name) {
  const auto& h = header();
  if (auto it = h.hresult.find(name); it != h.hresult.end()) return it->second;
  if (auto it = h.win32.find(name); it != h.win32.end())
    return doctor::hresult_from_win32(it->second);
  if (auto it = h.ntstatus.find(name); it != h.ntstatus.end()) return it->second;
  return std::nullopt;
}

}  // namespace

TEST(ErrorsKnowledgeBase, CoversEveryCodeOfTheReferenceTable) {
  for (const auto& sym : table_symbols()) {
    const auto* k = doctor::find_known_symbol(sym);
    ASSERT_NE(k, nullptr) << sym << " is missing from the knowledge base";
  }
  EXPECT_GE(doctor::knowledge_base().size(), 59u);
}

TEST(ErrorsKnowledgeBase, EveryEntryIsComplete) {
  std::set<std::uint32_t> values;
  std::set<std::string> names;
  for (const auto& e : doctor::knowledge_base()) {
    SCOPED_TRACE(std::string(e.symbol));
    EXPECT_TRUE(values.insert(e.hresult).second) << "duplicate HRESULT";
    EXPECT_TRUE(names.insert(std::string(e.symbol)).second) << "duplicate symbol";
    EXPECT_NE(e.hresult & 0x80000000u, 0u) << "not a failure HRESULT";
    EXPECT_NE(e.stages, 0u);
    EXPECT_EQ(e.stages & ~doctor::kAllStages, 0u);
    EXPECT_FALSE(e.summary.empty());
    EXPECT_FALSE(doctor::lines(e.causes).empty());
    EXPECT_FALSE(doctor::lines(e.checks).empty());
    EXPECT_FALSE(doctor::lines(e.fixes).empty());
    // Load-time codes name the load step that produces them.
    if (e.stages & doctor::kStageLoad) {
      EXPECT_FALSE(e.step.empty());
    }
    // Lines are filled from the front (no gaps).
    for (const auto* l : {&e.causes, &e.checks, &e.fixes, &e.notes}) {
      bool gap = false;
      for (auto s : *l) {
        if (s.empty())
          gap = true;
        else
          EXPECT_FALSE(gap) << "empty slot before \"" << s << "\"";
      }
    }
  }
}

TEST(ErrorsKnowledgeBase, ValuesMatchWinerrorH) {
  int checked = 0;
  for (const auto& e : doctor::knowledge_base()) {
    for (auto name : {e.symbol, e.aliases[0], e.aliases[1]}) {
      if (name.empty()) continue;
      auto v = header_value(std::string(name));
      if (!v) continue;  // WSL-specific or missing from MinGW (E_ILLEGAL_STATE_CHANGE, ...)
      EXPECT_EQ(*v, e.hresult) << name;
      ++checked;
    }
  }
  EXPECT_GE(checked, 50);
}

TEST(ErrorsKnowledgeBase, ChecksNameAWslplugCommandForDllProblems) {
  for (auto sym : {"ERROR_MOD_NOT_FOUND", "ERROR_PROC_NOT_FOUND", "ERROR_BAD_EXE_FORMAT",
                   "TRUST_E_NOSIGNATURE", "TRUST_E_BAD_DIGEST", "CERT_E_UNTRUSTEDROOT",
                   "CERT_E_WRONG_USAGE"}) {
    const auto* k = doctor::find_known_symbol(sym);
    ASSERT_NE(k, nullptr);
    bool wslplug = false, powershell_or_tool = false;
    for (auto c : doctor::lines(k->checks)) {
      wslplug |= c.starts_with("wslplug ");
      powershell_or_tool |= !c.starts_with("wslplug ");
    }
    EXPECT_TRUE(wslplug) << sym;
    EXPECT_TRUE(powershell_or_tool) << sym;
  }
  const auto* untrusted = doctor::find_known_symbol("CERT_E_UNTRUSTEDROOT");
  bool store = false;
  for (auto f : doctor::lines(untrusted->fixes))
    store |= f.find("Cert:\\LocalMachine\\Root") != f.npos;
  EXPECT_TRUE(store);
  // The docs-vs-source disagreement is recorded.
  const auto* mod = doctor::find_known_symbol("ERROR_MOD_NOT_FOUND");
  bool disagreement = false;
  for (auto n : doctor::lines(mod->notes))
    disagreement |= n.find("ERROR_FILE_NOT_FOUND") != n.npos && n.find("docs") != n.npos;
  EXPECT_TRUE(disagreement);
}

// Every knowledge-base code in every input form parses to the same HRESULT and diagnosis.
TEST(ErrorsParser, EveryCodeInEveryForm) {
  int cases = 0;
  for (const auto& e : doctor::knowledge_base()) {
    const std::uint32_t hr = e.hresult;
    std::vector<std::pair<std::string, doctor::InputForm>> forms = {
        {std::string(e.symbol), doctor::InputForm::kSymbol},
        {lower(e.symbol), doctor::InputForm::kSymbol},
        {fmt::format("0x{:08X}", hr), doctor::InputForm::kHex},
        {fmt::format("0x{:x}", hr), doctor::InputForm::kHex},
        {fmt::format("0X{:x}", hr), doctor::InputForm::kHex},
        {fmt::format("{:08X}", hr), doctor::InputForm::kHex},
        {fmt::format("{:x}", hr), doctor::InputForm::kHex},
        {fmt::format("{}", hr), doctor::InputForm::kDecimal},
        {fmt::format("{}", static_cast<std::int32_t>(hr)), doctor::InputForm::kSignedDecimal},
        {"Wsl/Service/CreateInstance/CreateVm/Plugin/" + doctor::wsl_code_string(hr),
         doctor::wsl_code_string(hr).starts_with("0x") ? doctor::InputForm::kHex
                                                       : doctor::InputForm::kSymbol},
        {"Error code: Wsl/Service/CreateInstance/Plugin/" + doctor::wsl_code_string(hr),
         doctor::wsl_code_string(hr).starts_with("0x") ? doctor::InputForm::kHex
                                                       : doctor::InputForm::kSymbol},
        {"  Wsl/Service/" + lower(e.symbol) + "  ", doctor::InputForm::kSymbol},
    };
    for (auto a : e.aliases)
      if (!a.empty()) forms.emplace_back(std::string(a), doctor::InputForm::kSymbol);
    const auto parts = doctor::split_hresult(hr);
    if (parts.facility == 7) {
      forms.emplace_back(fmt::format("{}", parts.code), doctor::InputForm::kWin32Decimal);
      forms.emplace_back(fmt::format("0x{:x}", parts.code), doctor::InputForm::kWin32Hex);
    }
    for (const auto& [input, form] : forms) {
      SCOPED_TRACE(input);
      auto p = doctor::parse_code(input);
      ASSERT_TRUE(p) << p.error().describe();
      EXPECT_EQ(p->hresult, hr);
      EXPECT_EQ(p->form, form);
      auto d = doctor::diagnose(input);
      ASSERT_TRUE(d);
      EXPECT_EQ(d->known, &e);
      EXPECT_EQ(d->symbol, e.symbol);
      ++cases;
    }
  }
  EXPECT_GT(cases, 700);
}

TEST(ErrorsParser, IssueExamples) {
  struct Case {
    std::string input;
    std::uint32_t hr;
    std::string symbol;
  };
  const std::vector<Case> cases = {
      {"Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f", 0x8007007F, "ERROR_PROC_NOT_FOUND"},
      {"Wsl/Service/CreateInstance/CreateVm/Plugin/TRUST_E_NOSIGNATURE", 0x800B0100,
       "TRUST_E_NOSIGNATURE"},
      {"Wsl/Service/CreateInstance/Plugin/E_FAIL", 0x80004005, "E_FAIL"},
      {"Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/ERROR_FILE_NOT_FOUND", 0x80070002,
       "ERROR_FILE_NOT_FOUND"},
      {"trust_e_nosignature", 0x800B0100, "TRUST_E_NOSIGNATURE"},
      {"0x8007007f", 0x8007007F, "ERROR_PROC_NOT_FOUND"},
      {"8007007E", 0x8007007E, "ERROR_MOD_NOT_FOUND"},
      {"-2147024770", 0x8007007E, "ERROR_MOD_NOT_FOUND"},
      {"2147942526", 0x8007007E, "ERROR_MOD_NOT_FOUND"},
      {"126", 0x8007007E, "ERROR_MOD_NOT_FOUND"},
      {"80070002", 0x80070002, "ERROR_FILE_NOT_FOUND"},
      {"ERROR_ACCESS_DENIED", 0x80070005, "E_ACCESSDENIED"},
      {"5", 0x80070005, "E_ACCESSDENIED"},
      // Not in the knowledge base, still decoded from the generated tables.
      {"ERROR_DISK_FULL", 0x80070070, "ERROR_DISK_FULL"},
      {"112", 0x80070070, "ERROR_DISK_FULL"},
      {"0x80090008", 0x80090008, "NTE_BAD_ALGID"},
      {"WSAECONNREFUSED", 0x8007274D, "WSAECONNREFUSED"},
      {"0", 0, "S_OK"},
      {"HRESULT_FROM_WIN32(ERROR_MOD_NOT_FOUND)", 0x8007007E, "ERROR_MOD_NOT_FOUND"},
      {"hresult_from_win32(127)", 0x8007007F, "ERROR_PROC_NOT_FOUND"},
      {"(0x800B0100)", 0x800B0100, "TRUST_E_NOSIGNATURE"},
      {"[TRUST_E_BAD_DIGEST]", 0x80096010, "TRUST_E_BAD_DIGEST"},
      {"Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f\r\n", 0x8007007F,
       "ERROR_PROC_NOT_FOUND"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    auto d = doctor::diagnose(c.input);
    ASSERT_TRUE(d) << d.error().describe();
    EXPECT_EQ(d->parsed.hresult, c.hr);
    EXPECT_EQ(d->symbol, c.symbol);
  }
}

TEST(ErrorsParser, RejectsNonCodesWithDidYouMean) {
  struct Case {
    std::string input;
    std::string suggestion;  // expected in the fix; empty: none expected
  };
  const std::vector<Case> cases = {
      {"TRUST_E_NOSIGNATUR", "TRUST_E_NOSIGNATURE"},
      {"trust_e_nosignatrue", "TRUST_E_NOSIGNATURE"},
      {"ERROR_MOD_NOTFOUND", "ERROR_MOD_NOT_FOUND"},
      {"Wsl/Service/CreateInstance/CreateVm/Plugin/ERROR_PROC_NOTFOUND", "ERROR_PROC_NOT_FOUND"},
      {"CERT_E_UNTRUSTED_ROOT", "CERT_E_UNTRUSTEDROOT"},
      {"nosignature", "TRUST_E_NOSIGNATURE"},
      {"E_ACCESS_DENIED", "E_ACCESSDENIED"},
      {"hello world", ""},
      {"", ""},
      {"0x", ""},
      {"0x123456789", ""},
      {"0xZZ", ""},
      {"-99999999999", ""},
      {"99999999999", ""},
      {"Wsl/Service/", ""},
      {"12.5", ""},
      {"HRESULT_FROM_WIN32(E_FAIL)", ""},
      {std::string(200000, 'E'), ""},  // long garbage: rejected quickly, no suggestion scan
      {"HRESULT_FROM_WIN32(99999)", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    auto p = doctor::parse_code(c.input);
    ASSERT_FALSE(p) << "parsed as " << doctor::hresult_hex(p->hresult);
    EXPECT_EQ(p.error().kind, wslplug::ErrorKind::kInput);
    EXPECT_FALSE(p.error().fix.empty());
    if (!c.suggestion.empty()) {
      EXPECT_NE(p.error().fix.find("did you mean " + c.suggestion), std::string::npos)
          << p.error().fix;
    }
  }
}

TEST(ErrorsDecoder, UnknownCodesAreDecoded) {
  // A Win32 error outside the knowledge base: name from the generated table.
  auto d = doctor::diagnose("0x80070070");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->known, nullptr);
  EXPECT_TRUE(d->parts.failure);
  EXPECT_EQ(d->parts.facility, 7u);
  EXPECT_EQ(d->facility, "FACILITY_WIN32");
  EXPECT_EQ(d->parts.code, 112u);
  EXPECT_EQ(d->win32_name, "ERROR_DISK_FULL");
  EXPECT_EQ(d->stages, 0u);
  // An HRESULT of an unnamed facility: still split.
  d = doctor::diagnose("0x90991234");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->parts.failure);
  EXPECT_TRUE(d->parts.nt_status);
  EXPECT_EQ(d->parts.facility, 0x99u);
  EXPECT_EQ(d->parts.code, 0x1234u);
  EXPECT_FALSE(d->facility.has_value());
  EXPECT_TRUE(d->symbol.empty());
  // Facilities by name.
  EXPECT_EQ(doctor::facility_name(11), "FACILITY_CERT");
  EXPECT_EQ(doctor::facility_name(4), "FACILITY_ITF");
  EXPECT_EQ(doctor::split_hresult(0x800B0109).facility, 11u);
  // Names MinGW lacks come from the knowledge base.
  EXPECT_EQ(doctor::win32_name(1655), "ERROR_DYNAMIC_CODE_BLOCKED");
  EXPECT_EQ(doctor::win32_name(577), "ERROR_INVALID_IMAGE_HASH");
}

// The generated Win32 table holds every ERROR_* name of winerror.h with its value.
TEST(ErrorsDecoder, GeneratedTableHasEveryWin32Name) {
  std::size_t error_names = 0;
  for (const auto& [name, value] : header().win32) {
    SCOPED_TRACE(name);
    auto v = doctor::symbol_value(name);
    ASSERT_TRUE(v.has_value());
    if (const auto* k = doctor::find_known_symbol(name)) {
      EXPECT_EQ(*v, k->hresult);
      continue;
    }
    EXPECT_EQ(*v, doctor::hresult_from_win32(value));
    auto back = doctor::win32_name(value);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(header().win32.at(std::string(*back)), value);  // a name of the same value
    error_names += name.starts_with("ERROR_");
  }
  EXPECT_GE(error_names, 1600u);
  for (const auto& [name, value] : header().hresult) {
    auto v = doctor::symbol_value(name);
    ASSERT_TRUE(v.has_value()) << name;
    if (!doctor::find_known_symbol(name)) {
      EXPECT_EQ(*v, value) << name;
    }
  }
}

TEST(ErrorsDecoder, WslPrintsNamesOnlyForItsTable) {
  EXPECT_EQ(doctor::wsl_code_string(0x800B0100), "TRUST_E_NOSIGNATURE");
  EXPECT_EQ(doctor::wsl_code_string(0x8007007E), "ERROR_MOD_NOT_FOUND");
  EXPECT_EQ(doctor::wsl_code_string(0x80070005), "E_ACCESSDENIED");
  EXPECT_EQ(doctor::wsl_code_string(0x8007007F), "0x8007007f");  // not in g_commonErrors
  EXPECT_EQ(doctor::wsl_code_string(0x800B0101), "0x800b0101");  // CERT_E_EXPIRED
  EXPECT_EQ(doctor::wsl_code_string(0x80070070), "0x80070070");
}

TEST(ErrorsContext, DecodesHookAndLoadStep) {
  struct Case {
    std::string input;
    unsigned stages;
    std::string failed;      // substring
    std::string wsl_action;  // substring
  };
  const std::vector<Case> cases = {
      {"Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f", doctor::kStageLoad,
       "GetProcAddress", "refused to create the WSL2 VM"},
      {"Wsl/Service/CreateInstance/CreateVm/Plugin/TRUST_E_NOSIGNATURE", doctor::kStageLoad,
       "WinVerifyTrust", "wslservice is restarted"},
      {"Wsl/Service/CreateInstance/CreateVm/Plugin/ERROR_FILE_NOT_FOUND", doctor::kStageLoad,
       "CreateFileW", "refused"},
      {"Wsl/Service/CreateInstance/CreateVm/Plugin/E_UNEXPECTED",
       doctor::kStageLoad | doctor::kStageVmStarted, "OnVMStarted", "terminated the VM"},
      {"Wsl/Service/CreateInstance/CreateVm/Plugin/E_ACCESSDENIED",
       doctor::kStageLoad | doctor::kStageVmStarted, "OnVMStarted", ""},
      {"Wsl/Service/CreateInstance/Plugin/E_FAIL", doctor::kStageDistributionStarted,
       "OnDistributionStarted", "distribution did not start"},
      {"Wsl/Service/CreateInstance/Plugin/0x80070070", doctor::kStageDistributionStarted,
       "OnDistributionStarted", "did not start"},
      // A code plugins only see from API calls, returned by OnVMStarted.
      {"Wsl/Service/CreateInstance/CreateVm/Plugin/RPC_E_DISCONNECTED", doctor::kStageVmStarted,
       "OnVMStarted", "terminated"},
      // WSLC hooks have no stage of their own: the knowledge-base stages stay.
      {"Wsl/Service/WslC/Plugin/E_ACCESSDENIED",
       doctor::kStageLoad | doctor::kStageVmStarted | doctor::kStageDistributionStarted,
       "ContainerStarted", "aborted"},
      {"Wsl/Service/CreateInstance/E_FAIL",
       doctor::kStageLoad | doctor::kStageVmStarted | doctor::kStageDistributionStarted |
           doctor::kStageApiCall,
       "did not attribute", "distribution did not start"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    auto d = doctor::diagnose(c.input);
    ASSERT_TRUE(d) << d.error().describe();
    EXPECT_EQ(d->stages, c.stages)
        << fmt::format("{}", fmt::join(doctor::stage_names(d->stages), ","));
    EXPECT_NE(d->context.failed.find(c.failed), std::string::npos) << d->context.failed;
    EXPECT_NE(d->context.wsl_action.find(c.wsl_action), std::string::npos) << d->context.wsl_action;
  }
  // No context: the knowledge-base stages.
  auto d = doctor::diagnose("ERROR_FILE_NOT_FOUND");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->stages, doctor::kStageLoad | doctor::kStageApiCall | doctor::kStageRegistration);
  EXPECT_TRUE(d->context.failed.empty());
  // Unknown context components are kept, not rejected.
  d = doctor::diagnose("Wsl/Service/AttachDisk/E_FAIL");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->parsed.context.unknown, std::vector<std::string>{"AttachDisk"});
}

TEST(ErrorsDecoder, StageNames) {
  EXPECT_EQ(doctor::stage_names(doctor::kAllStages),
            (std::vector<std::string_view>{"load", "vm-started", "distribution-started", "api-call",
                                           "host", "registration"}));
}

TEST(ErrorsParser, PastedWslMessage) {
  auto d = doctor::diagnose(
      "A fatal error was returned by plugin 'demo-plugin'. Error message: 'cannot mount: it's "
      "gone'\nError code: Wsl/Service/CreateInstance/Plugin/E_FAIL\n");
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->parsed.hresult, 0x80004005u);
  EXPECT_EQ(d->parsed.plugin, "demo-plugin");
  EXPECT_EQ(d->parsed.plugin_message, "cannot mount: it's gone");
  EXPECT_EQ(d->stages, doctor::kStageDistributionStarted);
  EXPECT_NE(d->context.message.find("plugin 'demo-plugin'"), std::string::npos)
      << d->context.message;

  d = doctor::diagnose(
      "The plugin 'old' requires a newer version of WSL. Please run: wsl.exe --update\n"
      "Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/WSL_E_PLUGIN_REQUIRES_UPDATE");
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->symbol, "WSL_E_PLUGIN_REQUIRES_UPDATE");
  EXPECT_EQ(d->parsed.plugin, "old");
  EXPECT_TRUE(d->parsed.plugin_message.empty());
  EXPECT_EQ(d->stages, doctor::kStageLoad);
  EXPECT_NE(d->context.message.find("requires a newer version"), std::string::npos);

  // PluginError called but the hook returned success: WSL's misleading generic text.
  d = doctor::diagnose("Wsl/Service/CreateInstance/Plugin/0x8000000d");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->symbol, "E_ILLEGAL_STATE_CHANGE");
  EXPECT_NE(d->context.message.find("conversion is in progress"), std::string::npos);
}

// Crash exception codes: every STATUS_* name of ntstatus.h decodes, by value and by name.
TEST(ErrorsDecoder, GeneratedTableHasEveryNtstatusName) {
  ASSERT_GE(header().ntstatus.size(), 1500u);
  for (const auto& [name, value] : header().ntstatus) {
    SCOPED_TRACE(name);
    auto v = doctor::symbol_value(name);
    ASSERT_TRUE(v.has_value());
    if (!doctor::find_known_symbol(name) && !header().hresult.contains(name) &&
        !header().win32.contains(name)) {
      EXPECT_EQ(*v, value);
    }
    auto back = doctor::ntstatus_name(value);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(header().ntstatus.at(std::string(*back)), value);
  }
  auto d = doctor::diagnose("0xC0000135");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->symbol, "STATUS_DLL_NOT_FOUND");
  EXPECT_EQ(d->ntstatus, "STATUS_DLL_NOT_FOUND");
  EXPECT_EQ(d->known, nullptr);
  d = doctor::diagnose("c0000005");  // as the event log shows it
  ASSERT_TRUE(d);
  EXPECT_EQ(d->symbol, "STATUS_ACCESS_VIOLATION");
  ASSERT_NE(d->known, nullptr);
  // HRESULT_FROM_NT: the N bit over an NTSTATUS.
  d = doctor::diagnose("0xD0000005");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->ntstatus, "STATUS_ACCESS_VIOLATION");
  EXPECT_TRUE(d->parts.nt_status);
}
