// The templates library: the template language substitutes and rejects mistakes, template paths
// map dot-X parts to .X, and the embedded copies are byte-identical to the files on disk.
#include <gtest/gtest.h>

#include "support.hpp"
#include "wslplug/templates/templates.hpp"

namespace wt = wslplug::test;
namespace tp = wslplug::templates;

TEST(TemplateEngine, SubstitutesAndRejectsMistakes) {
  tp::Vars vars{{"name", "x"}};
  tp::Flags flags{{"on", true}, {"off", false}};
  auto r = tp::render(
      "a {{name}} b\n{{#on}}\nkept {{name}}\n{{/on}}\n  {{#off}}\ndropped\n"
      "  {{/off}}\n{{^off}}\ninverted\n{{/off}}\nend",
      vars, flags, "t");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, "a x b\nkept x\ninverted\nend");
  EXPECT_FALSE(tp::render("{{nope}}\n", vars, flags, "t"));
  EXPECT_FALSE(tp::render("{{#nope}}\n{{/nope}}\n", vars, flags, "t"));
  EXPECT_FALSE(tp::render("{{#on}}\n", vars, flags, "t"));
  EXPECT_FALSE(tp::render("{{/on}}\n", vars, flags, "t"));
  EXPECT_FALSE(tp::render("{{name\n", vars, flags, "t"));
  auto e = tp::render("{{#on}}\n{{/off}}\n", vars, flags, "my/template");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("my/template"), std::string::npos);
}

TEST(TemplateEngine, ProjectPathMapsDotParts) {
  EXPECT_EQ(tp::project_path("dot-gitignore"), ".gitignore");
  EXPECT_EQ(tp::project_path("dot-cargo/config.toml"), ".cargo/config.toml");
  EXPECT_EQ(tp::project_path("src/dot-x/dot-y"), "src/.x/.y");
  EXPECT_EQ(tp::project_path("cmake/mingw-w64-x86_64.cmake"), "cmake/mingw-w64-x86_64.cmake");
  EXPECT_EQ(tp::project_path("not-dot-file"), "not-dot-file");
}

TEST(EmbeddedTemplates, EveryEmbeddedFileIsATemplateFileOnDisk) {
  // The embedded copies are byte-identical to templates/ (the build-time embedding works).
  std::size_t rust = 0, cpp = 0;
  for (const auto& f : tp::embedded_files()) {
    const auto disk = wt::source_dir() / "templates" / std::string(f.path);
    ASSERT_TRUE(wt::fs::exists(disk)) << f.path;
    EXPECT_EQ(wt::read_text(disk), f.content) << f.path;
    rust += f.path.starts_with("rust/");
    cpp += f.path.starts_with("cpp/");
  }
  EXPECT_EQ(rust, 5u);
  EXPECT_EQ(cpp, 7u);  // with cmake/wslplug-sdk.cmake
}
