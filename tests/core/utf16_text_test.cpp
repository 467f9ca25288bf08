// UTF-16LE text (wsl.exe's output to a pipe or a file) recognised and decoded to UTF-8: with and
// without byte-order mark, surrogate pairs, and damaged input reported with its byte offset.
#include <gtest/gtest.h>

#include <string>

#include "wslplug/core/utf16.hpp"

namespace {

using namespace std::string_literals;

// ASCII text as UTF-16LE code units.
std::string wide(std::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

}  // namespace

TEST(Utf16Text, DecodesAsciiAndBmpCharacters) {
  auto r = wslplug::utf16le_to_utf8(wide("Error code: ") + "\xe9\x00\xac\x20"s);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, "Error code: \xc3\xa9\xe2\x82\xac");  // U+00E9, U+20AC
}

TEST(Utf16Text, SurrogatePairIsOneCharacter) {
  // U+1F600 is D83D DE00.
  auto r = wslplug::utf16le_to_utf8(
      "a\0\x3d\xd8\x00\xde"
      "b\0"s);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r,
            "a\xf0\x9f\x98\x80"
            "b");
}

TEST(Utf16Text, OddLengthNamesTheOffsetOfTheCutCharacter) {
  auto r = wslplug::utf16le_to_utf8(wide("0x8007007e") + "\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, wslplug::ErrorKind::kInput);
  EXPECT_EQ(r.error().where, "offset 0x14");
  EXPECT_NE(r.error().message.find("odd number of bytes (21)"), std::string::npos)
      << r.error().message;
}

TEST(Utf16Text, UnpairedSurrogatesNameTheirOffset) {
  auto high = wslplug::utf16le_to_utf8("a\0b\0\x3d\xd8z\0"s);
  ASSERT_FALSE(high);
  EXPECT_EQ(high.error().where, "offset 0x4");
  auto high_at_end = wslplug::utf16le_to_utf8("a\0\x3d\xd8"s);
  ASSERT_FALSE(high_at_end);
  EXPECT_EQ(high_at_end.error().where, "offset 0x2");
  auto low = wslplug::utf16le_to_utf8("\x00\xde"s, 2);
  ASSERT_FALSE(low);
  EXPECT_EQ(low.error().where, "offset 0x2");  // counted from base_offset
}

TEST(Utf16Text, DetectsBomAndTheNulPatternOfAsciiText) {
  using wslplug::TextEncoding;
  EXPECT_EQ(wslplug::detect_text_encoding("\xff\xfe"s + wide("x")), TextEncoding::kUtf16le);
  EXPECT_EQ(wslplug::detect_text_encoding(wide("Error code: Wsl/0x8007007e\r\n")),
            TextEncoding::kUtf16leNoBom);
  EXPECT_EQ(wslplug::detect_text_encoding("Error code: Wsl/0x8007007e\n"), TextEncoding::kUtf8);
  EXPECT_EQ(wslplug::detect_text_encoding("caf\xc3\xa9"), TextEncoding::kUtf8);
  EXPECT_EQ(wslplug::detect_text_encoding(""), TextEncoding::kUtf8);
  EXPECT_EQ(wslplug::detect_text_encoding("x"), TextEncoding::kUtf8);
  // One stray NUL in UTF-8 text is not the pattern.
  EXPECT_EQ(wslplug::detect_text_encoding("0x8007007e\0 and more text"s), TextEncoding::kUtf8);
}

TEST(Utf16Text, TextAsUtf8DropsEitherBomAndKeepsOtherBytes) {
  auto bom = wslplug::text_as_utf8("\xff\xfe"s + wide("126\r\n"), "<stdin>");
  ASSERT_TRUE(bom) << bom.error().describe();
  EXPECT_EQ(*bom, "126\r\n");
  auto plain = wslplug::text_as_utf8(wide("126\r\n"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, "126\r\n");
  auto utf8 = wslplug::text_as_utf8(
      "\xef\xbb\xbf"
      "126\n");
  ASSERT_TRUE(utf8);
  EXPECT_EQ(*utf8, "126\n");
  auto bytes = wslplug::text_as_utf8("caf\xe9\n");  // not UTF-8 either: left to the caller
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, "caf\xe9\n");
  // Offsets count the BOM; the error names the input.
  auto cut = wslplug::text_as_utf8("\xff\xfe"s + wide("12") + "6", "<stdin>");
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().file, "<stdin>");
  EXPECT_EQ(cut.error().where, "offset 0x6");
}
