// valid_utf8 and utf8_prefix (cutting text for messages at a character boundary), and
// json_text (JSON for strings that are not UTF-8).
#include <gtest/gtest.h>

#include "wslplug/core/json.hpp"
#include "wslplug/core/text.hpp"

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
