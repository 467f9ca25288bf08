// The finding catalogue: one entry per id (kebab-case, with a summary), lookups (nested ids give
// their primary kind), the factory copies the kind, docs/doctor.md's table matches the header
// row by row, and no module outside doctor compares a finding id with a string literal.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "support.hpp"
#include "wslplug/doctor/finding.hpp"

namespace wt = wslplug::test;

TEST(FindingCatalogue, IdsAreUniqueKebabCaseAndDescribed) {
  std::set<std::string_view> ids;
  const std::regex kebab("[a-z0-9]+(-[a-z0-9]+)*");
  ASSERT_GE(wslplug::doctor::finding_catalogue().size(), 50u);
  for (const auto* k : wslplug::doctor::finding_catalogue()) {
    SCOPED_TRACE(std::string(k->id));
    EXPECT_TRUE(ids.insert(k->id).second) << "duplicate id";
    EXPECT_TRUE(std::regex_match(std::string(k->id), kebab));
    EXPECT_FALSE(k->id.starts_with(wslplug::doctor::kNestedPrefix));
    EXPECT_FALSE(k->summary.empty());
    EXPECT_EQ(wslplug::doctor::find_finding_kind(k->id), k);
  }
}

TEST(FindingCatalogue, LookupAndFactory) {
  using namespace wslplug::doctor;
  EXPECT_EQ(find_finding_kind("unsigned"), &kUnsigned);
  EXPECT_EQ(find_finding_kind("nested-digest-mismatch"), &kDigestMismatch);
  EXPECT_EQ(find_finding_kind("no-such-finding"), nullptr);
  const Finding f = make_finding(kEntryPointMissing, "msg", "fix");
  EXPECT_EQ(f.id, "entry-point-missing");
  EXPECT_EQ(f.severity, Severity::kError);
  EXPECT_EQ(f.wsl_error, "ERROR_PROC_NOT_FOUND");
  EXPECT_EQ(f.message, "msg");
  EXPECT_EQ(f.fix, "fix");
  EXPECT_TRUE(f.is(kEntryPointMissing));
  EXPECT_FALSE(f.is(kEntryPointMangled));
  EXPECT_TRUE(has_errors({f}));
  EXPECT_FALSE(has_errors({make_finding(kMachineArm64, "", "")}));
}

// Each row of the catalogue table in docs/doctor.md: constant, id, check, severity, wsl_error.
TEST(FindingCatalogue, DocsTableMatchesTheHeader) {
  const std::string doc = wt::read_text(wt::source_dir() / "docs" / "doctor.md");
  const auto at = doc.find("## Finding catalogue");
  ASSERT_NE(at, std::string::npos);
  const std::regex row(
      R"(^\| `doctor::(k\w+)` \| `([a-z0-9-]+)` \| (\w+) \| (\w+) \| (?:`(\w+)`|—) \| .+ \|$)");
  std::istringstream in(doc.substr(at));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::map<std::string, std::vector<std::string>> documented;
  for (const auto& line : lines) {
    std::smatch m;
    if (std::regex_match(line, m, row))
      documented[m[2]] = {m[1], m[3], m[4], m[5].matched ? std::string(m[5]) : std::string()};
  }
  EXPECT_EQ(documented.size(), wslplug::doctor::finding_catalogue().size());
  for (const auto* k : wslplug::doctor::finding_catalogue()) {
    SCOPED_TRACE(std::string(k->id));
    auto it = documented.find(std::string(k->id));
    ASSERT_NE(it, documented.end()) << "missing from docs/doctor.md";
    EXPECT_EQ(it->second[1], wslplug::doctor::check_area_name(k->area));
    EXPECT_EQ(it->second[2], wslplug::doctor::severity_name(k->severity));
    EXPECT_EQ(it->second[3], k->wsl_error);
  }
}

// Finding ids are compared through the catalogue (Finding::is), never as string literals: a
// renamed id would silently stop matching.
TEST(FindingCatalogue, NoModuleComparesIdsAsStrings) {
  const std::regex literal_compare(R"(\bid\s*[!=]=\s*")");
  for (const char* dir : {"cli", "project", "registry", "signing", "doctor", "lib", "templates"}) {
    const auto root = wt::source_dir() / dir;
    if (!wt::fs::exists(root)) continue;
    for (const auto& e : wt::fs::recursive_directory_iterator(root)) {
      const auto ext = e.path().extension();
      if (ext != ".cpp" && ext != ".hpp") continue;
      const std::string text = wt::read_text(e.path());
      EXPECT_FALSE(std::regex_search(text, literal_compare)) << e.path();
    }
  }
}

// Every constant declared in the header is in finding_catalogue() (which the docs table and the
// lookups use).
TEST(FindingCatalogue, EveryDeclaredConstantIsListed) {
  const std::string header =
      wt::read_text(wt::source_dir() / "doctor" / "include" / "wslplug" / "doctor" / "finding.hpp");
  const std::regex decl(R"re(inline constexpr FindingKind k\w+\{\s*"([a-z0-9-]+)")re");
  std::set<std::string> declared;
  for (auto it = std::sregex_iterator(header.begin(), header.end(), decl);
       it != std::sregex_iterator(); ++it)
    declared.insert((*it)[1]);
  std::set<std::string> listed;
  for (const auto* k : wslplug::doctor::finding_catalogue()) listed.insert(std::string(k->id));
  EXPECT_EQ(declared, listed);
}
