// README's command table against the binary: every invocation it shows is written as the command
// parses it, so that it works when pasted (with its placeholders filled in). What a command's
// usage line requires (each required option, one alternative of each choice group) appears in the
// invocation outside its brackets, and every option the invocation names is one of the command's.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>

#include "support.hpp"

namespace wt = wslplug::test;

namespace {

using Words = std::vector<std::string>;

Words split(const std::string& text) {
  Words out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// `text` without its [...] parts (nested ones included).
std::string required_part(const std::string& text) {
  std::string out;
  int depth = 0;
  for (char c : text) {
    if (c == '[') ++depth;
    if (depth == 0) out += c;
    if (c == ']' && depth > 0) --depth;
  }
  return out;
}

bool is_option(const std::string& w) { return w.size() > 1 && w[0] == '-' && w != "-"; }

// The option words of `text` ("--cert", "-o"), in order; "(" "|" ")" stripped.
Words options_in(const std::string& text) {
  Words out;
  for (auto w : split(text)) {
    while (!w.empty() && (w.front() == '(' || w.front() == '[')) w.erase(0, 1);
    while (!w.empty() && (w.back() == ')' || w.back() == ']' || w.back() == '|')) w.pop_back();
    const auto eq = w.find('=');
    if (eq != std::string::npos) w = w.substr(0, eq);
    if (is_option(w)) out.push_back(w);
  }
  return out;
}

// The names of each option in a help text ("-o,--output FILE ..." gives -o and --output), by name.
std::map<std::string, Words> option_names(const std::string& help) {
  std::map<std::string, Words> out;
  std::istringstream in(help);
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(' ');
    if (first == std::string::npos || first == 0 || line[first] != '-') continue;
    const std::string names = line.substr(first, line.find(' ', first) - first);
    Words all;
    std::size_t pos = 0;
    while (pos <= names.size()) {
      auto comma = names.find(',', pos);
      if (comma == std::string::npos) comma = names.size();
      all.push_back(names.substr(pos, comma - pos));
      pos = comma + 1;
    }
    for (const auto& n : all) out[n] = all;
  }
  return out;
}

// Whether `words` has the option `w` by any of its names.
bool has(const Words& words, const std::string& w, const std::map<std::string, Words>& names) {
  const auto it = names.find(w);
  const Words same = it == names.end() ? Words{w} : it->second;
  for (const auto& n : same)
    if (std::find(words.begin(), words.end(), n) != words.end()) return true;
  return false;
}

struct Invocation {
  std::string text;  // "wslplug unsign FILE (-o OUT | --in-place)"
  Words path;        // {"unsign"}, {"cert", "new"}
};

// The invocations of README's command table ("| `wslplug ...` | ...", two joined by " / ").
std::vector<Invocation> readme_invocations() {
  std::istringstream in(wt::read_text(wt::source_dir() / "README.md"));
  std::vector<Invocation> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("| `wslplug ")) continue;
    const std::string cell = line.substr(2, line.find("` |") - 1);
    std::string text = std::regex_replace(cell, std::regex("\\\\\\|"), "|");
    std::size_t pos = 0;
    while (pos < text.size()) {
      auto end = text.find("` / `", pos);
      std::string one = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      if (one.starts_with("`")) one.erase(0, 1);
      if (one.ends_with("`")) one.pop_back();
      out.push_back({one, {}});
      if (end == std::string::npos) break;
      pos = end + 4;
    }
  }
  for (auto& inv : out) {
    const Words w = split(inv.text);
    // The command path: the longest run of words after "wslplug" that `help` knows.
    for (std::size_t n = 1; n < w.size() && n <= 2; ++n) {
      Words args = {"help"};
      args.insert(args.end(), w.begin() + 1, w.begin() + 1 + static_cast<long>(n));
      if (wt::wslplug(args).rc == 0) inv.path.assign(w.begin() + 1, w.begin() + 1 + n);
    }
  }
  return out;
}

}  // namespace

TEST(ReadmeCommands, EveryInvocationIsWrittenAsTheCommandParsesIt) {
  const auto invocations = readme_invocations();
  ASSERT_GT(invocations.size(), 15u);
  for (const auto& inv : invocations) {
    ASSERT_FALSE(inv.path.empty()) << "no command in README's " << inv.text;
    Words args = {"help"};
    args.insert(args.end(), inv.path.begin(), inv.path.end());
    const auto help = wt::wslplug(args);
    ASSERT_EQ(help.rc, 0) << inv.text << help.both();
    const auto at = help.out.find("Usage: wslplug ");
    ASSERT_NE(at, std::string::npos) << help.out;
    const std::string usage = help.out.substr(at, help.out.find('\n', at) - at);
    const auto names = option_names(help.out);
    const Words given_required = options_in(required_part(inv.text));
    const Words given_all = options_in(inv.text);

    // Every option README names is one of the command's (as its help lists them).
    for (const auto& o : given_all) {
      const std::regex listed("(^|[ ,])" + o + "([ ,=\n]|$)");
      EXPECT_TRUE(std::regex_search(help.out, listed))
          << "README: " << inv.text << "\n  names " << o << ", which is not an option of it";
    }

    // What the usage line requires, README shows outside brackets.
    const std::string required = required_part(usage);
    std::size_t pos = 0;
    std::string plain;
    while (pos < required.size()) {
      const auto open = required.find('(', pos);
      plain += required.substr(pos, open == std::string::npos ? std::string::npos : open - pos);
      if (open == std::string::npos) break;
      const auto close = required.find(')', open);
      const std::string group = required.substr(open + 1, close - open - 1);
      bool one = false;
      std::size_t from = 0;
      while (from <= group.size()) {
        auto bar = group.find('|', from);
        if (bar == std::string::npos) bar = group.size();
        const Words alternative = options_in(group.substr(from, bar - from));
        bool all = true;
        for (const auto& o : alternative) all = all && has(given_required, o, names);
        one = one || all;
        from = bar + 1;
      }
      EXPECT_TRUE(one) << "README: " << inv.text << "\n  needs one of (" << group
                       << ") outside brackets, as " << usage;
      pos = close + 1;
    }
    for (const auto& o : options_in(plain))
      EXPECT_TRUE(has(given_required, o, names))
          << "README: " << inv.text << "\n  needs " << o << " outside brackets, as " << usage;
  }
}
