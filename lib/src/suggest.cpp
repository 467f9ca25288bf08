// "Did you mean" (see suggest.hpp).
#include "wslplug/core/suggest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "wslplug/core/text.hpp"

namespace wslplug {

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  const std::size_t over = limit + 1;
  if (a.size() > kMaxSuggestWord || b.size() > kMaxSuggestWord) return over;
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return over;
  // Three rows (the one before the previous is for transpositions) on the stack. Cells just
  // outside the band are set to `over`, so the next row reads no stale value.
  std::array<std::size_t, kMaxSuggestWord + 2> rows[3];
  std::size_t* before = rows[0].data();
  std::size_t* prev = rows[1].data();
  std::size_t* cur = rows[2].data();
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = std::min(j, over);
  if (b.size() <= kMaxSuggestWord) prev[b.size() + 1] = over;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    const std::size_t lo = i > limit ? i - limit : 1;
    const std::size_t hi = std::min(b.size(), i + limit);
    cur[0] = std::min(i, over);
    if (lo > 1) cur[lo - 1] = over;
    std::size_t row_min = lo == 1 ? cur[0] : over;
    const char ai = ascii_lower(a[i - 1]);
    for (std::size_t j = lo; j <= hi; ++j) {
      const char bj = ascii_lower(b[j - 1]);
      std::size_t v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ai == bj ? 0 : 1)});
      if (i > 1 && j > 1 && ai == ascii_lower(b[j - 2]) && ascii_lower(a[i - 2]) == bj)
        v = std::min(v, before[j - 2] + 1);
      cur[j] = std::min(v, over);
      row_min = std::min(row_min, cur[j]);
    }
    if (hi < b.size()) cur[hi + 1] = over;
    if (row_min > limit) return over;
    std::size_t* const done = before;
    before = prev;
    prev = cur;
    cur = done;
  }
  return std::min(prev[b.size()], over);
}

std::size_t typo_limit(std::size_t length) { return length <= 4 ? 1 : length <= 8 ? 2 : 3; }

std::optional<std::string> nearest(std::string_view word, std::span<const std::string> candidates) {
  if (word.empty() || word.size() > kMaxSuggestWord) return std::nullopt;
  const std::size_t limit = typo_limit(word.size());
  const std::string* best = nullptr;
  std::size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c, limit);
    if (d < best_d) best_d = d, best = &c;
  }
  if (best != nullptr) return *best;
  std::vector<const std::string*> started;
  for (const auto& c : candidates)
    if (word.size() >= 2 && istarts_with(c, word)) started.push_back(&c);
  if (started.size() == 1) return *started.front();
  return std::nullopt;
}

std::string suggest(std::string_view word, std::span<const std::string> candidates) {
  auto near = nearest(word, candidates);
  return near ? fmt::format("did you mean '{}'?", *near) : std::string();
}

}  // namespace wslplug
