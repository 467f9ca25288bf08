// The top-level --help lists every command once, in the order of the one table of commands
// (cli/commands/table.cpp: making a project, signing, registering, diagnosing, then help).
#include <gtest/gtest.h>

#include <algorithm>

#include "support.hpp"

namespace wt = wslplug::test;

TEST(HelpOrder, CommandsFollowTheOneListInMain) {
  const auto names = wt::subcommands();
  std::vector<std::string> expected = {"new",     "init",    "build",     "cert",       "sign",
                                       "prepare", "finish",  "verify",    "unsign",     "timestamp",
                                       "attach",  "extract", "register",  "unregister", "doctor",
                                       "help",    "version", "completion"};
  // `run` is listed right after build when this binary has it.
  if (std::find(names.begin(), names.end(), "run") != names.end())
    expected.insert(expected.begin() + 3, "run");
  EXPECT_EQ(names, expected) << wt::wslplug({"--help"}).out;
}
