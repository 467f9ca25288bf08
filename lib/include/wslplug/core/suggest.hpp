// "Did you mean": the one measure of how near a mistyped word is to the names it may have
// meant, used by every suggestion wslplug makes (commands, options, option values, hook names,
// error-code names).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace wslplug {

// The longest word edit_distance measures; a longer one is no near miss of anything.
inline constexpr std::size_t kMaxSuggestWord = 128;

// Optimal string alignment distance (Levenshtein plus adjacent transpositions, so "sing" is one
// edit from "sign"), ASCII case-insensitive. Returns limit + 1 as soon as the distance is sure
// to exceed `limit` (only the band |i - j| <= limit is computed), and for words longer than
// kMaxSuggestWord.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

// How many edits a typo of a word of `length` characters may have: 1 up to 4 characters, 2 up
// to 8, 3 beyond.
std::size_t typo_limit(std::size_t length);

// The candidate nearest to `word` within typo_limit (the first of equally near ones), else the
// one candidate that `word` (2 characters or more) starts; nullopt when there is none.
std::optional<std::string> nearest(std::string_view word, std::span<const std::string> candidates);

// "did you mean 'X'?" for nearest(word, candidates), or "" when nothing is near.
std::string suggest(std::string_view word, std::span<const std::string> candidates);

}  // namespace wslplug
