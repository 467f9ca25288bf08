// The kinds of wslplug::Error: each has a name of its own (what JSON says) and an exit code;
// I/O and internal errors are different kinds with the same exit code.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "wslplug/core/error.hpp"

using wslplug::ErrorKind;

TEST(ErrorKind, IoAndInternalAreDistinctKindsWithExitCodeThree) {
  EXPECT_NE(ErrorKind::kIo, ErrorKind::kInternal);
  EXPECT_EQ(wslplug::kind_name(ErrorKind::kIo), "io");
  EXPECT_EQ(wslplug::kind_name(ErrorKind::kInternal), "internal");
  EXPECT_EQ(wslplug::exit_code(ErrorKind::kIo), 3);
  EXPECT_EQ(wslplug::exit_code(ErrorKind::kInternal), 3);
  // internal_error() makes an internal error, io_error() an I/O one.
  EXPECT_EQ(wslplug::internal_error("x").error().kind, ErrorKind::kInternal);
  EXPECT_EQ(wslplug::io_error("x").error().kind, ErrorKind::kIo);
}

TEST(ErrorKind, EveryKindHasItsOwnNameAndTheDocumentedExitCode) {
  const std::set<std::string> documented = {"bad", "input", "io", "internal"};  // docs/errors.md
  std::set<std::string> names;
  for (auto kind : {ErrorKind::kBad, ErrorKind::kInput, ErrorKind::kIo, ErrorKind::kInternal})
    names.emplace(wslplug::kind_name(kind));
  EXPECT_EQ(names, documented);
  EXPECT_EQ(wslplug::exit_code(ErrorKind::kBad), 1);
  EXPECT_EQ(wslplug::exit_code(ErrorKind::kInput), 2);
}
