// "Did you mean" for mistyped error names: near misses by edit distance (case-insensitive),
// distinctive fragments of longer names, and nothing for input that is no near miss.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "wslplug/doctor/errors.hpp"

namespace er = wslplug::errors;

namespace {
bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

TEST(DidYouMean, NearMissesComeFirst) {
  auto a = er::did_you_mean("TRUST_E_NOSIGNATUR");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a.front(), "TRUST_E_NOSIGNATURE");
  auto b = er::did_you_mean("error_mod_not_fund");
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b.front(), "ERROR_MOD_NOT_FOUND");
  // Two edits (a swap and a missing letter) are within the limit of a name this long.
  auto c = er::did_you_mean("ERORR_PROC_NOT_FOND");
  EXPECT_TRUE(has(c, "ERROR_PROC_NOT_FOUND"));
}

TEST(DidYouMean, FragmentsOfLongerNames) {
  auto a = er::did_you_mean("NOSIGNATURE");
  EXPECT_TRUE(has(a, "TRUST_E_NOSIGNATURE"));
}

TEST(DidYouMean, NothingForFarOrOddInput) {
  EXPECT_TRUE(er::did_you_mean("qqqqqqqqqqqqqqqq").empty());
  EXPECT_TRUE(er::did_you_mean("ab").empty());  // too short to be a near miss
  EXPECT_TRUE(er::did_you_mean(std::string(81, 'E')).empty());
  EXPECT_TRUE(er::did_you_mean(std::string("\xff\xfe\x00\x01", 4)).empty());
  EXPECT_LE(er::did_you_mean("ERROR_", 2).size(), 2u);
  EXPECT_TRUE(er::did_you_mean("TRUST_E_NOSIGNATUR", 0).empty());
}
