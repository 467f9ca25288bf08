// The ABI's one statement (abi/include/wslplug/abi/wsl_plugin_abi.def) against the places that
// still state ABI facts by hand: the C++ template's WslPluginApi.h (struct fields, order, "since"
// comments), the C++ template's hook assignments and their version guards, the Rust template's
// hook methods, and "Hook (X.Y.Z)" version facts in the knowledge base, the host's rules, the
// templates and the docs. Each checker is also run on a wrong input, to show it can fail. The
// host program's layout is generated from the .def: a .def with a wrong offset must not compile.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "support.hpp"
#include "wslplug/abi/wsl_plugin_abi.hpp"

namespace wt = wslplug::test;
namespace wabi = wslplug::abi;
namespace fs = std::filesystem;

namespace {

std::string version_text(const wabi::Version& v) { return v.text(); }

// The fields of `struct NAME { ... };` in a C header, each with its "since X.Y.Z" comment.
struct HeaderField {
  std::string name;
  std::string since;  // empty: no comment
};
std::vector<HeaderField> header_struct(const std::string& header, const std::string& name) {
  std::vector<HeaderField> out;
  const std::string open = "struct " + name + " {";
  const size_t start = header.find(open);
  if (start == std::string::npos) return out;
  const size_t end = header.find("\n};", start);
  std::string body = header.substr(start + open.size(), end - start - open.size());
  static const std::regex member(R"((\w+)\s*;[ \t]*(?:/\*([^*]*)\*/)?)");
  static const std::regex since(R"(since (\d+\.\d+\.\d+))");
  // Drop comment lines of their own (they may contain ';').
  std::string code;
  for (size_t pos = 0; pos < body.size();) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string::npos) nl = body.size();
    const std::string line = body.substr(pos, nl - pos);
    const size_t first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 2, "/*") != 0) code += line + "\n";
    pos = nl + 1;
  }
  for (std::sregex_iterator it(code.begin(), code.end(), member), e; it != e; ++it) {
    HeaderField f{(*it)[1].str(), {}};
    std::smatch s;
    const std::string comment = (*it)[2].str();
    if (std::regex_search(comment, s, since)) f.since = s[1].str();
    out.push_back(f);
  }
  return out;
}

// Problems of the header against the .def: every table's fields in order; a field newer than its
// table carries a "since" comment naming its version, and no comment names a wrong version.
std::vector<std::string> check_header(const std::string& header) {
  std::vector<std::string> problems;
  for (const wabi::Table& t : wabi::kTables) {
    const auto have = header_struct(header, std::string(t.name));
    const auto want = wabi::fields(t.name);
    std::string have_names, want_names;
    for (const auto& f : have) have_names += f.name + " ";
    for (const auto& f : want) want_names += std::string(f.name) + " ";
    if (have_names != want_names) {
      problems.push_back(std::string(t.name) + ": fields [" + have_names + "], the ABI has [" +
                         want_names + "]");
      continue;
    }
    for (size_t i = 0; i < want.size(); ++i) {
      const bool newer = want[i].since > want.front().since;
      const std::string since = version_text(want[i].since);
      if (newer && have[i].since != since)
        problems.push_back(std::string(t.name) + "." + have[i].name + ": comment says since '" +
                           have[i].since + "', the ABI says " + since);
      if (!newer && !have[i].since.empty() && have[i].since != since)
        problems.push_back(std::string(t.name) + "." + have[i].name + ": comment says since " +
                           have[i].since + ", the ABI says " + since);
    }
  }
  return problems;
}

// The C++ template's entry point: every hook is assigned, a hook newer than the base API only
// inside the HostAtLeast guard of its version, a base hook before any guard.
std::vector<std::string> check_cpp_template(const std::string& plugin) {
  std::vector<std::string> problems;
  const size_t entry = plugin.find("WSLPLUGINAPI_ENTRYPOINTV1(");
  if (entry == std::string::npos) return {"no entry point"};
  static const std::regex guard(R"(HostAtLeast\(api->Version, (\d+), (\d+), (\d+)\))");
  for (const wabi::Hook& h : wabi::kHooks) {
    const std::string assign = "hooks->" + std::string(h.name) + " = &";
    const size_t at = plugin.find(assign, entry);
    if (at == std::string::npos) {
      problems.push_back(std::string(h.name) + " is never set");
      continue;
    }
    std::string last;
    const std::string before = plugin.substr(entry, at - entry);
    for (std::sregex_iterator it(before.begin(), before.end(), guard), e; it != e; ++it)
      last = (*it)[1].str() + "." + (*it)[2].str() + "." + (*it)[3].str();
    const std::string want = h.since == wabi::versions::Base ? "" : version_text(h.since);
    if (last != want)
      problems.push_back(std::string(h.name) + " is set under the guard '" + last +
                         "', the ABI says '" + want + "'");
  }
  return problems;
}

// The Rust template (wslplugins-rs has the WSL hooks, not the WSLC ones): a method and a
// section for every WSL hook, and no hook method the ABI does not have.
std::vector<std::string> check_rust_template(const std::string& lib) {
  std::vector<std::string> problems;
  std::vector<std::string> known;
  for (const wabi::Hook& h : wabi::kHooks) {
    if (h.wslc()) continue;
    std::string snake(h.flag);
    std::replace(snake.begin(), snake.end(), '-', '_');
    known.push_back("on_" + snake);
    if (lib.find("fn on_" + snake + "(") == std::string::npos)
      problems.push_back(std::string(h.name) + ": no fn on_" + snake);
    if (lib.find("{{#" + snake + "}}") == std::string::npos)
      problems.push_back(std::string(h.name) + ": no {{#" + snake + "}} section");
  }
  static const std::regex method(R"(fn (on_\w+)\()");
  for (std::sregex_iterator it(lib.begin(), lib.end(), method), e; it != e; ++it)
    if (std::find(known.begin(), known.end(), (*it)[1].str()) == known.end())
      problems.push_back((*it)[1].str() + " is not a hook of the ABI");
  return problems;
}

// "WslcVmStarted / WslcVmStopping (2.9.5)", "ExecuteBinaryInDistribution (since 2.1.2)": every
// hook or call named with a version in parentheses has that version in the ABI.
std::vector<std::string> check_version_facts(const std::string& text, const std::string& where) {
  std::vector<std::string> problems;
  static const std::regex fact(R"(\b(\w+)((?:\s*/\s*\w+)*)\s*\((?:since\s+)?(\d+\.\d+\.\d+)\))");
  static const std::regex word(R"(\w+)");
  for (std::sregex_iterator it(text.begin(), text.end(), fact), e; it != e; ++it) {
    std::vector<std::string> names{(*it)[1].str()};
    const std::string rest = (*it)[2].str();
    for (std::sregex_iterator w(rest.begin(), rest.end(), word); w != e; ++w)
      names.push_back((*w)[0].str());
    for (const std::string& name : names) {
      const wabi::Field* f = wabi::find_field(wabi::kHookTable, name);
      if (!f) f = wabi::find_field(wabi::kApiTable, name);
      if (!f) continue;
      if (version_text(f->since) != (*it)[3].str())
        problems.push_back(where + ": '" + (*it)[0].str() + "': the ABI says " + name +
                           " came with " + version_text(f->since));
    }
  }
  return problems;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

}  // namespace

TEST(AbiHome, TemplateHeaderHasTheFieldsOfTheAbi) {
  const std::string header =
      wt::read_text(wt::source_dir() / "templates/cpp/include/WslPluginApi.h");
  EXPECT_EQ(join(check_header(header)), "");
}

TEST(AbiHome, TemplateHeaderCheckCanFail) {
  std::string header = wt::read_text(wt::source_dir() / "templates/cpp/include/WslPluginApi.h");
  // A wrong "since", and two fields swapped.
  header.replace(header.find("/* since 2.0.5 */"), 17, "/* since 2.1.2 */");
  const std::string a =
      "  LPCWSTR Flavor;  /* since 2.4.4 */\n  LPCWSTR Version; /* since 2.4.4 */";
  const std::string b =
      "  LPCWSTR Version; /* since 2.4.4 */\n  LPCWSTR Flavor;  /* since 2.4.4 */";
  ASSERT_NE(header.find(a), std::string::npos);
  header.replace(header.find(a), a.size(), b);
  const std::string problems = join(check_header(header));
  EXPECT_NE(problems.find("WSLDistributionInformation.InitPid"), std::string::npos) << problems;
  EXPECT_NE(problems.find("WslOfflineDistributionInformation: fields"), std::string::npos)
      << problems;
}

TEST(AbiHome, CppTemplateSetsEveryHookUnderItsVersion) {
  const std::string plugin = wt::read_text(wt::source_dir() / "templates/cpp/src/plugin.cpp");
  EXPECT_EQ(join(check_cpp_template(plugin)), "");
  std::string wrong = plugin;
  const size_t at = wrong.find("HostAtLeast(api->Version, 2, 9, 5)");
  ASSERT_NE(at, std::string::npos);
  wrong.replace(at, 34, "HostAtLeast(api->Version, 2, 9, 4)");
  EXPECT_NE(join(check_cpp_template(wrong)).find("WslcVmStarted is set under the guard '2.9.4'"),
            std::string::npos);
}

TEST(AbiHome, RustTemplateHasTheWslHooks) {
  const std::string lib = wt::read_text(wt::source_dir() / "templates/rust/src/lib.rs");
  EXPECT_EQ(join(check_rust_template(lib)), "");
  std::string wrong = lib;
  for (size_t at; (at = wrong.find("on_vm_stopping")) != std::string::npos;)
    wrong.replace(at, 14, "on_vm_stoping");
  const std::string problems = join(check_rust_template(wrong));
  EXPECT_NE(problems.find("OnVMStopping: no fn on_vm_stopping"), std::string::npos) << problems;
  EXPECT_NE(problems.find("on_vm_stoping is not a hook"), std::string::npos) << problems;
}

TEST(AbiHome, VersionFactsInTextAgreeWithTheAbi) {
  const fs::path root = wt::source_dir();
  std::vector<fs::path> files = {root / "doctor/src/errors_kb.cpp", root / "README.md"};
  for (const char* dir : {"host/src", "docs", "templates/cpp", "templates/rust", "project/src"})
    for (const auto& e : fs::recursive_directory_iterator(root / dir))
      if (e.is_regular_file()) files.push_back(e.path());
  std::string problems;
  for (const auto& f : files)
    problems += join(check_version_facts(wt::read_text(f), fs::relative(f, root).string()));
  EXPECT_EQ(problems, "");
  EXPECT_NE(join(check_version_facts("Log WslcVmStarted / WslcVmStopping (2.9.0)", "kb"))
                .find("WslcVmStarted came with 2.9.5"),
            std::string::npos);
}

// The facts derived from the .def: sizes by version as the host allocates them.
TEST(AbiHome, SizesAndCapabilitiesFollowFromTheDef) {
  EXPECT_EQ(wabi::size_at(wabi::kApiTable, {2, 0, 5}), 40u);
  EXPECT_EQ(wabi::size_at(wabi::kApiTable, {2, 1, 3}), 48u);
  EXPECT_EQ(wabi::size_at(wabi::kHookTable, {2, 9, 4}), 96u);
  EXPECT_EQ(wabi::size_at("WSLDistributionInformation", {2, 0, 4}), 40u);
  EXPECT_EQ(wabi::size_at("WSLDistributionInformation", {2, 0, 5}), 48u);
  EXPECT_EQ(wabi::size_at("WSLVmCreationSettings", {2, 9, 5}), 4u);
  EXPECT_EQ(wabi::capability(wabi::CapabilityKey::kDistributionRegisteredHook).since.text(),
            "2.1.2");
  EXPECT_EQ(wabi::capability(wabi::CapabilityKey::kDistributionFlavor).since.text(), "2.4.4");
  EXPECT_EQ(wabi::kNewest.text(), "2.9.5");
}

// The host program's structs and static_asserts come from the .def: a .def whose offset
// disagrees with what MinGW lays out does not compile, and the error names the field.
TEST(AbiHome, HostHeaderRefusesAWrongDef) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  wt::TempDir tmp;
  const fs::path root = wt::source_dir();
  std::string def = wt::read_text(root / "abi/include/wslplug/abi/wsl_plugin_abi.def");
  const std::string line = "ApplicationPid, DWORD,   16";
  ASSERT_NE(def.find(line), std::string::npos);
  def.replace(def.find(line), line.size(), "ApplicationPid, DWORD,   12");
  fs::create_directories(tmp / "abi/include/wslplug/abi");
  fs::create_directories(tmp / "host/win");
  wt::write_text(tmp / "abi/include/wslplug/abi/wsl_plugin_abi.def", def);
  wt::write_text(tmp / "host/win/wslplug_host_abi.h",
                 wt::read_text(root / "host/win/wslplug_host_abi.h"));
  wt::write_text(tmp / "host/win/check.cpp", "#include \"wslplug_host_abi.h\"\n");
  auto good = wt::run({"x86_64-w64-mingw32-g++", "-std=c++20", "-fsyntax-only", "-Wall", "-Wextra",
                       (root / "host/win/wslplug_host_abi.h").string()});
  EXPECT_EQ(good.rc, 0) << good.both();
  auto bad = wt::run({"x86_64-w64-mingw32-g++", "-std=c++20", "-fsyntax-only",
                      (tmp / "host/win/check.cpp").string()});
  EXPECT_NE(bad.rc, 0);
  EXPECT_NE(bad.both().find("WSLCSessionInformation.ApplicationPid is not at offset 12"),
            std::string::npos)
      << bad.both();
}
