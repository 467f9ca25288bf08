// The core ASCII text helpers: case mapping touches ASCII letters only, trims remove exactly the
// characters asked for, and the case-insensitive comparisons agree with each other.
#include "wslplug/core/text.hpp"

#include <gtest/gtest.h>

namespace wslplug {
namespace {

TEST(Text, CaseMappingTouchesAsciiLettersOnly) {
  EXPECT_EQ(ascii_lower("WsL$-Plugin_1.DLL"), "wsl$-plugin_1.dll");
  EXPECT_EQ(ascii_upper("0x8007007f sha-256"), "0X8007007F SHA-256");
  // Bytes outside ASCII (UTF-8 "É") stay as they are.
  EXPECT_EQ(ascii_lower("\xc3\x89X"), "\xc3\x89x");
  EXPECT_EQ(ascii_upper("\xc3\xa9x"), "\xc3\xa9X");
  static_assert(ascii_lower('Q') == 'q' && ascii_lower('[') == '[' && ascii_lower('@') == '@');
  static_assert(ascii_upper('q') == 'Q' && ascii_upper('{') == '{' && ascii_upper('`') == '`');
  static_assert(ascii_is_letter('a') && ascii_is_letter('Z') && !ascii_is_letter('1') &&
                !ascii_is_letter('_'));
}

TEST(Text, TrimRemovesBlanksOrTheGivenCharacters) {
  EXPECT_EQ(trim(" \t a b \r\n"), "a b");
  EXPECT_EQ(trim(" \t\r\n"), "");
  EXPECT_EQ(trim_view("  x  "), "x");
  EXPECT_EQ(trim_left("\t x \t"), "x \t");
  EXPECT_EQ(trim_right("\t x \t"), "\t x");
  // With an explicit set, other blanks stay.
  EXPECT_EQ(trim_left(" \r x", " \t"), "\r x");
  EXPECT_EQ(trim_right("x\r \t", " \t"), "x\r");
  EXPECT_EQ(trim_view("(\"0x1\").", "\"().").size(), 3u);
  EXPECT_EQ(trim_left("", " "), "");
  EXPECT_EQ(trim_right("   ", " "), "");
}

TEST(Text, CaseInsensitiveComparisons) {
  EXPECT_TRUE(iequals("WSLPluginAPIV1_EntryPoint", "wslpluginapiv1_entrypoint"));
  EXPECT_FALSE(iequals("abc", "abd"));
  EXPECT_FALSE(iequals("abc", "ab"));
  EXPECT_TRUE(istarts_with("DWORD:00000001", "dword:"));
  EXPECT_FALSE(istarts_with("dwor", "dword:"));
  EXPECT_FALSE(istarts_with("hex(2):", "dword:"));
  EXPECT_TRUE(iends_with("Plugin.DLL", ".dll"));
  EXPECT_FALSE(iends_with("dll", ".dll"));
}

TEST(Text, PrintableEscapesControlCharacters) {
  EXPECT_FALSE(has_control("plain text"));
  EXPECT_TRUE(has_control(std::string_view("a\0b", 3)));
  EXPECT_TRUE(has_control("del\x7f"));
  EXPECT_EQ(printable("a\tb\x7f"), "a\\x09b\\x7f");
}

}  // namespace
}  // namespace wslplug
