// The top-level --help lists every command once, in the order of the one table of commands
// (cli/commands/table.cpp: making a project, signing, registering, diagnosing, then help).
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "support.hpp"

namespace wt = wslplug::test;

namespace {

// The command names of the Subcommands section of `wslplug --help`, in order.
std::vector<std::string> listed_commands() {
  auto r = wt::wslplug({"--help"});
  EXPECT_EQ(r.rc, 0) << r.both();
  std::vector<std::string> names;
  std::istringstream in(r.out);
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.starts_with("Subcommands:") || line.starts_with("SUBCOMMANDS")) {
      in_section = true;
      continue;
    }
    if (!in_section) continue;
    if (line.empty() || line[0] != ' ') break;
    std::istringstream words(line);
    std::string name;
    words >> name;
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

}  // namespace

TEST(HelpOrder, CommandsFollowTheOneListInMain) {
  const auto names = listed_commands();
  std::vector<std::string> expected = {"new",     "init",    "build",     "cert",       "sign",
                                       "prepare", "finish",  "verify",    "unsign",     "timestamp",
                                       "attach",  "extract", "register",  "unregister", "doctor",
                                       "help",    "version", "completion"};
  // `run` is listed right after build when this binary has it.
  if (std::find(names.begin(), names.end(), "run") != names.end())
    expected.insert(expected.begin() + 3, "run");
  EXPECT_EQ(names, expected) << wt::wslplug({"--help"}).out;
}
