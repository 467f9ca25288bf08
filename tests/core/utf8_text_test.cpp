// The UTF-8 module (wslplug/core/utf8.hpp): next_utf8 (one character, or the bad byte it
// skips), append_utf8, valid_utf8, utf8_lossy (U+FFFD for each bad byte), utf8_prefix (cutting text
// for messages at a character boundary), and json_text (JSON for strings that are not UTF-8).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "wslplug/core/json.hpp"
#include "wslplug/core/utf8.hpp"

TEST(Utf8Text, Valid) {
  EXPECT_TRUE(wslplug::valid_utf8(""));
  EXPECT_TRUE(wslplug::valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(wslplug::valid_utf8("caf\xe9"));
  EXPECT_FALSE(wslplug::valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(wslplug::valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(wslplug::valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(wslplug::valid_utf8("\xe2\x82"));          // cut
}

TEST(Utf8Text, PrefixNeverSplitsACharacter) {
  EXPECT_EQ(wslplug::utf8_prefix("abc", 60), "abc");
  EXPECT_EQ(wslplug::utf8_prefix("ab\xc3\xa9", 3), "ab");
  EXPECT_EQ(wslplug::utf8_prefix("ab\xc3\xa9", 4), "ab\xc3\xa9");
  EXPECT_EQ(wslplug::utf8_prefix("a\xf0\x9f\x98\x80z", 4), "a");
  EXPECT_EQ(wslplug::utf8_prefix("a\xff\xfez", 2), "a\xff");  // a bad byte is one character
}

TEST(Utf8Text, JsonTextReplacesInvalidBytes) {
  nlohmann::json j = {{"name", "caf\xe9"}, {"ok", "\xc3\xa9"}};
  EXPECT_THROW({ auto t = j.dump(); }, nlohmann::json::type_error);
  const std::string text = wslplug::json_text(j);
  EXPECT_EQ(text, "{\"name\":\"caf\xEF\xBF\xBD\",\"ok\":\"\xc3\xa9\"}");
  EXPECT_EQ(nlohmann::json::parse(text)["ok"], "\xc3\xa9");
}

namespace {

// Every step of next_utf8 over s: the code point (or nullopt) and where it left i.
struct Step {
  std::optional<char32_t> cp;
  std::size_t end;
  bool operator==(const Step&) const = default;
};
std::vector<Step> decode_all(std::string_view s) {
  std::vector<Step> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto cp = wslplug::next_utf8(s, i);
    out.push_back({cp, i});
  }
  return out;
}

}  // namespace

TEST(Utf8Text, NextDecodesEachLength) {
  const std::vector<Step> want = {{U'a', 1},     {0xe9, 3},      {0x20ac, 6},
                                  {0x1f600, 10}, {0x10ffff, 14}, {0x7f, 15}};
  EXPECT_EQ(decode_all("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\x7f"), want);
  // The smallest value of each length.
  EXPECT_EQ(decode_all("\xc2\x80\xe0\xa0\x80\xf0\x90\x80\x80"),
            (std::vector<Step>{{0x80, 2}, {0x800, 5}, {0x10000, 9}}));
}

TEST(Utf8Text, NextSkipsOneByteOfAnInvalidSequence) {
  const std::optional<char32_t> bad;
  // Overlong forms: '/' in two bytes, U+007F in three, U+FFFF in four.
  EXPECT_EQ(decode_all("\xc0\xaf"), (std::vector<Step>{{bad, 1}, {bad, 2}}));
  EXPECT_EQ(decode_all("\xe0\x81\xbf"), (std::vector<Step>{{bad, 1}, {bad, 2}, {bad, 3}}));
  EXPECT_EQ(decode_all("\xf0\x8f\xbf\xbfz").back(), (Step{U'z', 5}));
  EXPECT_FALSE(decode_all("\xf0\x8f\xbf\xbf").front().cp);
  // UTF-16 surrogates U+D800 and U+DFFF.
  EXPECT_FALSE(decode_all("\xed\xa0\x80").front().cp);
  EXPECT_FALSE(decode_all("\xed\xbf\xbf").front().cp);
  EXPECT_EQ(decode_all("\xed\x9f\xbf"), (std::vector<Step>{{0xd7ff, 3}}));
  // Past U+10FFFF: F4 90.., and the lead bytes F5..FF.
  EXPECT_FALSE(decode_all("\xf4\x90\x80\x80").front().cp);
  for (const char* lead : {"\xf5", "\xf8", "\xfe", "\xff"})
    EXPECT_EQ(decode_all(std::string(lead) + "a"), (std::vector<Step>{{bad, 1}, {U'a', 2}}));
  // Truncated by the end of the text, and cut by a byte that is no continuation byte.
  EXPECT_EQ(decode_all("\xe2\x82"), (std::vector<Step>{{bad, 1}, {bad, 2}}));
  EXPECT_EQ(decode_all("\xf0\x9f\x98"), (std::vector<Step>{{bad, 1}, {bad, 2}, {bad, 3}}));
  EXPECT_EQ(decode_all("\xc3"
                       "a"),
            (std::vector<Step>{{bad, 1}, {U'a', 2}}));
  // A continuation byte alone.
  EXPECT_EQ(decode_all("\x80"), (std::vector<Step>{{bad, 1}}));
}

TEST(Utf8Text, AppendEncodesAndRoundTrips) {
  std::string out;
  for (char32_t cp : {U'a', char32_t{0x7f}, char32_t{0x80}, char32_t{0x7ff}, char32_t{0x800},
                      char32_t{0xffff}, char32_t{0x10000}, char32_t{0x10ffff}})
    wslplug::append_utf8(out, cp);
  EXPECT_EQ(out, "a\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
  EXPECT_TRUE(wslplug::valid_utf8(out));
  std::size_t i = 0;
  std::u32string back;
  while (i < out.size()) back.push_back(wslplug::next_utf8(out, i).value());
  EXPECT_EQ(back, (std::u32string{U'a', 0x7f, 0x80, 0x7ff, 0x800, 0xffff, 0x10000, 0x10ffff}));
}

TEST(Utf8Text, AppendWritesReplacementForNonCharacters) {
  std::string out;
  wslplug::append_utf8(out, 0xd800);    // a surrogate
  wslplug::append_utf8(out, 0x110000);  // past U+10FFFF
  EXPECT_EQ(out, "\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(Utf8Text, LossyReplacesEachBadByte) {
  EXPECT_EQ(wslplug::utf8_lossy(""), "");
  EXPECT_EQ(wslplug::utf8_lossy("caf\xc3\xa9 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(wslplug::utf8_lossy("caf\xe9"), "caf\xef\xbf\xbd");
  EXPECT_EQ(wslplug::utf8_lossy("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong
  EXPECT_EQ(wslplug::utf8_lossy("\xed\xa0\x80!"),                          // surrogate
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!");
  EXPECT_EQ(wslplug::utf8_lossy("a\xe2\x82"), "a\xef\xbf\xbd\xef\xbf\xbd");  // truncated
  const std::string lossy = wslplug::utf8_lossy("\xf4\x90\x80\x80\xff");     // > U+10FFFF
  EXPECT_TRUE(wslplug::valid_utf8(lossy));
  EXPECT_EQ(lossy.size(), 5u * 3u);
}
