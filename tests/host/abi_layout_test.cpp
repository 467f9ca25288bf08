// The ABI layouts, checked by the compiler that builds plugins: a C++ file with static_asserts on
// offsetof/sizeof is compiled with MinGW-w64 (x86_64) twice, once against the C++ template's
// WslPluginApi.h (the plugin's view) and once against host/win/wslplug_host_abi.h (the host's
// view). The expected offsets are written here from the platform facts (field order, types, x64
// alignment), not taken from either header; the driver's abi_fields() table is checked too.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support.hpp"
#include "wslplug/host/run.hpp"

namespace wt = wslplug::test;

namespace {

struct Field {
  std::string name;
  unsigned offset;
};
struct Layout {
  std::string plugin_struct;  // name in WslPluginApi.h
  std::string host_struct;    // name in wslplug_host_abi.h
  unsigned size;
  std::vector<Field> fields;
};

// x64: pointers and HANDLE/PSID/LPCWSTR 8 bytes, DWORD/uint32_t/enums 4, GUID 16 (align 4),
// uint64_t 8; WSLVersion 12 bytes (align 4).
const std::vector<Layout> kLayouts = {
    {"WSLVersion", "HostVersion", 12, {{"Major", 0}, {"Minor", 4}, {"Revision", 8}}},
    {"WSLVmCreationSettings", "VmCreationSettings", 4, {{"CustomConfigurationFlags", 0}}},
    {"WSLSessionInformation",
     "SessionInformation",
     24,
     {{"SessionId", 0}, {"UserToken", 8}, {"UserSid", 16}}},
    {"WSLDistributionInformation",
     "DistributionInformation",
     64,
     {{"Id", 0},
      {"Name", 16},
      {"PidNamespace", 24},
      {"PackageFamilyName", 32},
      {"InitPid", 40},
      {"Flavor", 48},
      {"Version", 56}}},
    {"WslOfflineDistributionInformation",
     "OfflineDistributionInformation",
     48,
     {{"Id", 0}, {"Name", 16}, {"PackageFamilyName", 24}, {"Flavor", 32}, {"Version", 40}}},
    {"WSLCSessionInformation",
     "WslcSessionInformation",
     40,
     {{"SessionId", 0},
      {"DisplayName", 8},
      {"ApplicationPid", 16},
      {"UserToken", 24},
      {"UserSid", 32}}},
    {"WSLPluginAPIV1",
     "ApiTable",
     104,
     {{"Version", 0},
      {"MountFolder", 16},
      {"ExecuteBinary", 24},
      {"PluginError", 32},
      {"ExecuteBinaryInDistribution", 40},
      {"WSLCMountFolder", 48},
      {"WSLCUnmountFolder", 56},
      {"WSLCCreateProcess", 64},
      {"WSLCProcessGetFd", 72},
      {"WSLCProcessGetExitEvent", 80},
      {"WSLCProcessGetExitCode", 88},
      {"WSLCReleaseProcess", 96}}},
    {"WSLPluginHooksV1",
     "HookTable",
     112,
     {{"OnVMStarted", 0},
      {"OnVMStopping", 8},
      {"OnDistributionStarted", 16},
      {"OnDistributionStopping", 24},
      {"OnDistributionRegistered", 32},
      {"OnDistributionUnregistered", 40},
      {"OnSessionCreated", 48},
      {"OnSessionStopping", 56},
      {"ContainerStarted", 64},
      {"ContainerStopping", 72},
      {"ImageCreated", 80},
      {"ImageDeleted", 88},
      {"WslcVmStarted", 96},
      {"WslcVmStopping", 104}}},
};

// One static_assert per field and size, each with a message naming the struct and field.
std::string asserts(bool host) {
  std::string out;
  for (const Layout& l : kLayouts) {
    const std::string s = host ? "wslplug_host_abi::" + l.host_struct : l.plugin_struct;
    out +=
        fmt::format("static_assert(sizeof({0}) == {1}, \"size of {0} is not {1}\");\n", s, l.size);
    for (const Field& f : l.fields)
      out += fmt::format(
          "static_assert(offsetof({0}, {1}) == {2}, \"{0}.{1} is not at offset {2}\");\n", s,
          f.name, f.offset);
  }
  return out;
}

wt::RunResult compile(const wt::TempDir& tmp, const std::string& name, const std::string& source,
                      const wslplug::test::fs::path& include) {
  const auto file = tmp / (name + ".cpp");
  wt::write_text(file, source);
  return wt::run({"x86_64-w64-mingw32-g++", "-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-I",
                  include.string(), file.string()});
}

}  // namespace

TEST(AbiLayout, TemplateHeaderMatchesTheFactsOnMinGW) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  wt::TempDir tmp;
  const std::string source =
      "#include <windows.h>\n#include <cstddef>\n#include \"WslPluginApi.h\"\n" + asserts(false) +
      "static_assert(WSLCProcessFdStdin == 0 && WSLCProcessFdStdout == 1 && "
      "WSLCProcessFdStderr == 2, \"WSLCProcessFd values\");\n"
      "static_assert(sizeof(WSLCProcessFd) == 4, \"WSLCProcessFd size\");\n"
      "static_assert(sizeof(WSLCSessionId) == 4, \"WSLCSessionId size\");\n"
      "static_assert(sizeof(WSLCProcessHandle) == 8, \"handle size\");\n"
      "static_assert(WSLC_E_VM_NOT_RUNNING == (HRESULT)0x80040610L, "
      "\"WSLC_E_VM_NOT_RUNNING\");\n"
      "static_assert(WSL_E_PLUGIN_REQUIRES_UPDATE == (HRESULT)0x8004032AL, "
      "\"WSL_E_PLUGIN_REQUIRES_UPDATE\");\n";
  auto r = compile(tmp, "plugin_view", source, wt::source_dir() / "templates/cpp/include");
  EXPECT_EQ(r.rc, 0) << r.both();
}

TEST(AbiLayout, HostProgramMatchesTheFactsOnMinGW) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  wt::TempDir tmp;
  const std::string source = "#include <cstddef>\n#include \"wslplug_host_abi.h\"\n" +
                             asserts(true) +
                             "static_assert(wslplug_host_abi::kHookSlots == 14, \"slots\");\n";
  auto r = compile(tmp, "host_view", source, wt::source_dir() / "host/win");
  EXPECT_EQ(r.rc, 0) << r.both();
}

// The check itself can fail: a layout with one wrong offset is refused, naming the field.
TEST(AbiLayout, AWrongOffsetIsNamed) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  wt::TempDir tmp;
  const std::string source =
      "#include <windows.h>\n#include <cstddef>\n#include \"WslPluginApi.h\"\n"
      "static_assert(offsetof(WSLCSessionInformation, ApplicationPid) == 12, "
      "\"WSLCSessionInformation.ApplicationPid is not at offset 12\");\n";
  auto r = compile(tmp, "wrong", source, wt::source_dir() / "templates/cpp/include");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.both().find("ApplicationPid is not at offset 12"), std::string::npos) << r.both();
}

// The driver names slots and fields from its own table: the same offsets.
TEST(AbiLayout, DriverTableMatchesTheFacts) {
  for (const Layout& l : kLayouts) {
    const std::string table = l.plugin_struct == "WSLPluginAPIV1"     ? "api"
                              : l.plugin_struct == "WSLPluginHooksV1" ? "hooks"
                                                                      : l.plugin_struct;
    const auto fields = wslplug::host::abi_fields(table);
    if (l.plugin_struct == "WSLVersion") continue;  // part of the api table
    ASSERT_EQ(fields.size(), l.fields.size()) << table;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      EXPECT_EQ(fields[i].name, l.fields[i].name) << table;
      EXPECT_EQ(fields[i].offset, l.fields[i].offset) << table << "." << l.fields[i].name;
    }
    EXPECT_EQ(wslplug::host::abi_size(table, {2, 9, 5}), l.size) << table;
  }
}
