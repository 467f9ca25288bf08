// The install script of `register --ps1`: PowerShell quoting (the certificate it trusts is
// loaded by the signing library: tests/signing/trust_cert_test.cpp).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support.hpp"
#include "wslplug/registry/registration.hpp"

namespace wt = wslplug::test;
namespace reg = wslplug::reg;

TEST(RegistryScript, QuotesPowerShellStrings) {
  EXPECT_EQ(reg::ps_quote("plain"), "'plain'");
  EXPECT_EQ(reg::ps_quote("it's"), "'it''s'");
  EXPECT_EQ(reg::ps_quote("$(calc) `n \"x\""), "'$(calc) `n \"x\"'");
  EXPECT_EQ(reg::ps_quote("a\u2019b\u2018c\u201bd"), "'a\u2019\u2019b\u2018\u2018c\u201b\u201bd'");
  EXPECT_EQ(reg::ps_quote("\u201c"), "'\u201c'");  // a double quote variant is not special
}
