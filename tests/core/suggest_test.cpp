// "Did you mean": the one edit distance (with transpositions, case-insensitive, bounded) and the
// rule for what is near enough to suggest.
#include "wslplug/core/suggest.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using wslplug::edit_distance;

TEST(Suggest, EditDistanceCountsTranspositionsAsOneEdit) {
  EXPECT_EQ(edit_distance("sign", "sign", 3), 0u);
  EXPECT_EQ(edit_distance("sing", "sign", 3), 1u);
  EXPECT_EQ(edit_distance("verfy", "verify", 3), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting", 5), 3u);
  EXPECT_EQ(edit_distance("SIGN", "sign", 3), 0u);
  EXPECT_EQ(edit_distance("", "abc", 5), 3u);
  EXPECT_EQ(edit_distance("abc", "", 5), 3u);
}

TEST(Suggest, EditDistanceStopsAtTheLimit) {
  EXPECT_EQ(edit_distance("kitten", "sitting", 2), 3u);  // limit + 1
  EXPECT_EQ(edit_distance("a", "abcdef", 2), 3u);
  EXPECT_EQ(edit_distance(std::string(200, 'a'), std::string(200, 'a'), 2), 3u);  // too long
  // The band gives the same answers as the whole table for distances within the limit.
  const std::vector<std::string> words = {"vm-started",      "vm-stopping", "distribution-started",
                                          "vm-startd",       "mv-started",  "container-started",
                                          "wslc-vm-started", "started-vm",  ""};
  for (const auto& a : words)
    for (const auto& b : words) {
      const std::size_t full = edit_distance(a, b, 64);
      for (std::size_t limit = 0; limit < 8; ++limit)
        EXPECT_EQ(edit_distance(a, b, limit), full <= limit ? full : limit + 1)
            << a << " " << b << " " << limit;
    }
}

TEST(Suggest, NearestIsATypoOrTheOneNameAWordStarts) {
  const std::vector<std::string> commands = {"new",    "build",  "run",       "sign",
                                             "verify", "unsign", "unregister"};
  EXPECT_EQ(wslplug::nearest("sing", commands), "sign");
  EXPECT_EQ(wslplug::nearest("biuld", commands), "build");
  EXPECT_EQ(wslplug::nearest("frobnicate", commands), std::nullopt);
  EXPECT_EQ(wslplug::nearest("unre", commands), "unregister");  // the one it starts
  const std::vector<std::string> two = {"verify", "version"};
  EXPECT_EQ(wslplug::nearest("ver", two), std::nullopt);  // two start with it
  EXPECT_EQ(wslplug::suggest("sing", commands), "did you mean 'sign'?");
  EXPECT_EQ(wslplug::suggest("zzzzzz", commands), "");
}
