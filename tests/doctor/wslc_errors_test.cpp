// The knowledge base on WSL Containers (WSLC): every code a WSLC plugin meets (the vetoes under
// .../Plugin/WslC/, WSLC_E_VM_NOT_RUNNING, ERROR_INVALID_STATE from an early exit code, E_POINTER,
// an unknown WSLC session) has causes and fixes that name WSLC, and the WslC context gives the
// message wsl.exe shows and the container-stop message path.
#include <gtest/gtest.h>

#include <string>

#include "wslplug/doctor/errors.hpp"

namespace doctor = wslplug::doctor;

namespace {

bool any_line_has(const doctor::Lines& lines, std::string_view needle) {
  for (auto l : lines)
    if (l.find(needle) != std::string_view::npos) return true;
  return false;
}

}  // namespace

TEST(WslcErrors, EveryWslcCodeHasCausesAndFixesNamingWslc) {
  struct Case {
    std::uint32_t hr;
    std::string_view symbol, cause, fix;
  };
  const Case cases[] = {
      {0x80040610, "WSLC_E_VM_NOT_RUNNING", "OnSessionCreated", "WslcVmStarted"},
      {0x8007139F, "ERROR_INVALID_STATE", "exit event", "exit event"},
      {0x80004003, "E_POINTER", "WSLCCreateProcess", "non-null"},
      {0x80070490, "ERROR_NOT_FOUND", "WSLC session id", "WSLCSessionInformation"},
      {0x80070005, "E_ACCESSDENIED", "ContainerStarted", "policy"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.symbol);
    const doctor::KnownError* k = doctor::find_known(c.hr);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->symbol, c.symbol);
    EXPECT_TRUE(any_line_has(k->causes, c.cause));
    EXPECT_TRUE(any_line_has(k->fixes, c.fix));
    EXPECT_FALSE(k->summary.empty());
  }
  EXPECT_EQ(doctor::find_known_symbol("wslc_e_vm_not_running"), doctor::find_known(0x80040610));
}

TEST(WslcErrors, AVetoUnderWslcContextGivesWslsMessageAndTheStopPath) {
  for (std::string_view code :
       {"Wsl/Service/Plugin/WslC/E_ACCESSDENIED", "Wsl/Service/WslC/Plugin/E_ACCESSDENIED"}) {
    SCOPED_TRACE(code);
    auto parsed = doctor::parse_code(code);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_TRUE(parsed->context.wslc);
    EXPECT_TRUE(parsed->context.plugin);
    EXPECT_EQ(parsed->hresult, 0x80070005u);
    const auto m = doctor::explain_context(parsed->context, doctor::find_known(parsed->hresult));
    EXPECT_NE(m.failed.find("OnSessionCreated or ContainerStarted"), std::string::npos) << m.failed;
    EXPECT_NE(m.wsl_action.find("Failed to stop container '<id>' after plugin rejection"),
              std::string::npos)
        << m.wsl_action;
    EXPECT_NE(m.message.find("A fatal error was returned by plugin '<name>'"), std::string::npos)
        << m.message;
  }
  // A WslC error without the Plugin component is not blamed on a plugin.
  auto bare = doctor::parse_code("Wsl/Service/WslC/WSLC_E_VM_NOT_RUNNING");
  ASSERT_TRUE(bare);
  const auto m = doctor::explain_context(bare->context, doctor::find_known(bare->hresult));
  EXPECT_NE(m.wsl_action.find("did not attribute"), std::string::npos) << m.wsl_action;
  EXPECT_TRUE(m.message.empty());
}
