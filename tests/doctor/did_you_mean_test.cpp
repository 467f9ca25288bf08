// "Did you mean" for mistyped error names: near misses by edit distance (case-insensitive),
// distinctive fragments of longer names, and nothing for input that is no near miss.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "wslplug/doctor/errors.hpp"

namespace doctor = wslplug::doctor;

namespace {
bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

TEST(DidYouMean, NearMissesComeFirst) {
  auto a = doctor::did_you_mean("TRUST_E_NOSIGNATUR");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a.front(), "TRUST_E_NOSIGNATURE");
  auto b = doctor::did_you_mean("error_mod_not_fund");
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b.front(), "ERROR_MOD_NOT_FOUND");
  // Two edits (a swap and a missing letter) are within the limit of a name this long.
  auto c = doctor::did_you_mean("ERORR_PROC_NOT_FOND");
  EXPECT_TRUE(has(c, "ERROR_PROC_NOT_FOUND"));
}

TEST(DidYouMean, FragmentsOfLongerNames) {
  auto a = doctor::did_you_mean("NOSIGNATURE");
  EXPECT_TRUE(has(a, "TRUST_E_NOSIGNATURE"));
}

TEST(DidYouMean, NothingForFarOrOddInput) {
  EXPECT_TRUE(doctor::did_you_mean("qqqqqqqqqqqqqqqq").empty());
  EXPECT_TRUE(doctor::did_you_mean("ab").empty());  // too short to be a near miss
  EXPECT_TRUE(doctor::did_you_mean(std::string(81, 'E')).empty());
  EXPECT_TRUE(doctor::did_you_mean(std::string("\xff\xfe\x00\x01", 4)).empty());
  EXPECT_LE(doctor::did_you_mean("ERROR_", 2).size(), 2u);
  EXPECT_TRUE(doctor::did_you_mean("TRUST_E_NOSIGNATUR", 0).empty());
}

// Every name of the knowledge base, mistyped by one or two random edits (insert, delete,
// replace, in any letter), is among the suggestions: the shortcuts that rule names out before
// the edit table (lengths, letter sets, letter counts) never drop a name within the limit.
TEST(DidYouMean, EveryKnownNameIsFoundFromRandomTypos) {
  std::mt19937 rng(20261202);
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_";
  std::size_t tried = 0;
  for (const auto& k : doctor::knowledge_base()) {
    const std::string name(k.symbol);
    if (name.size() < 8) continue;  // short names allow only two edits; keep the case simple
    for (int round = 0; round < 4; ++round) {
      std::string typo = name;
      const int edits = 1 + round % 2;
      for (int e = 0; e < edits; ++e) {
        const std::size_t at = rng() % typo.size();
        const char c = alphabet[rng() % alphabet.size()];
        switch (rng() % 3) {
          case 0:
            typo.insert(typo.begin() + static_cast<std::ptrdiff_t>(at), c);
            break;
          case 1:
            typo.erase(at, 1);
            break;
          default:
            typo[at] = c;
            break;
        }
      }
      const auto near = doctor::did_you_mean(typo, 100000);
      std::string lower_name;
      for (const auto& n : near) lower_name += n + " ";
      EXPECT_TRUE(has(near, name)) << typo << " -> " << lower_name;
      ++tried;
    }
  }
  EXPECT_GT(tried, 100u);
}
