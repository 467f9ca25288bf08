// The bash completion (completions/wslplug.bash) completes subcommands, nested subcommands and
// flags from the real binary's --help.
#include <gtest/gtest.h>

#include "support.hpp"

namespace wt = wslplug::test;

namespace {

std::string complete(const std::string& words, int cword) {
  const std::string script = "source '" + (wt::source_dir() / "completions/wslplug.bash").string() +
                             "'; COMP_WORDS=(" + words + "); COMP_CWORD=" + std::to_string(cword) +
                             "; _wslplug; echo \"${COMPREPLY[*]}\"";
  auto r = wt::run({"bash", "-c", script},
                   {{"PATH", wt::fs::path(wt::wslplug_bin()).parent_path().string() + ":" +
                                 std::getenv("PATH")}});
  EXPECT_EQ(r.rc, 0) << r.both();
  return r.out;
}

}  // namespace

TEST(Completion, SubcommandsNestedSubcommandsAndFlags) {
  EXPECT_EQ(complete("wslplug si", 1), "sign\n");
  EXPECT_EQ(complete("wslplug un", 1), "unsign unregister\n");  // --help order
  EXPECT_EQ(complete("wslplug cert ''", 2), "new\n");
  const auto flags = complete("wslplug sign --ti", 2);
  EXPECT_NE(flags.find("--time"), std::string::npos) << flags;
  EXPECT_NE(flags.find("--timestamp"), std::string::npos) << flags;
  EXPECT_EQ(complete("wslplug doctor --re", 2), "--reg\n");
}
