// The compiler diagnostics parser (wslplug/project/diagnostics.hpp) on what the compilers really
// print: MinGW-w64 g++ and Debian's rustc are run on broken sources at test time and their output
// is parsed; the line numbers, columns and severities are those of the sources written here.
// Hand-written lines cover what the real compilers here do not print (Windows paths, colour,
// locations outside the project, lines that are not diagnostics).
#include "wslplug/project/diagnostics.hpp"

#include <gtest/gtest.h>

#include "support.hpp"

namespace project = wslplug::project;
namespace wt = wslplug::test;

namespace {

std::string describe(const std::vector<project::Diagnostic>& ds) {
  std::string s;
  for (const auto& d : ds)
    s += d.file + ":" + std::to_string(d.line) + ":" +
         (d.column ? std::to_string(*d.column) : std::string("-")) + " " + d.severity + " [" +
         d.code + "] " + d.message + "\n";
  return s;
}

const project::Diagnostic* find(const std::vector<project::Diagnostic>& ds,
                                std::string_view severity, std::string_view text) {
  for (const auto& d : ds)
    if (d.severity == severity && d.message.find(text) != std::string::npos) return &d;
  return nullptr;
}

// C++ with an error on line 4 (column 10), an unused variable on line 3 (column 7) and a call that
// matches no overload (line 7), whose candidate GCC names in a note (line 1).
constexpr const char* kBrokenCpp =
    "int takes_two(int a, int b) { return a + b; }\n"  // 1
    "int f() {\n"                                      // 2
    "  int unused = 0;\n"                              // 3
    "  return missing_name;\n"                         // 4
    "}\n"                                              // 5
    "int g() {\n"                                      // 6
    "  return takes_two(1);\n"                         // 7
    "}\n";

}  // namespace

TEST(DiagnosticsGcc, MingwOutputFromTheBuildTree) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  wt::TempDir tmp;
  wt::fs::create_directories(tmp / "src");
  wt::fs::create_directories(tmp / "build");
  wt::write_text(tmp / "src/plugin.cpp", kBrokenCpp);
  // Compiled from the build tree with a relative path, as a Makefile generator may do; LC_ALL=C
  // so the quotes are ASCII.
  auto r =
      wt::run({"x86_64-w64-mingw32-g++", "-Wall", "-c", "../src/plugin.cpp", "-o", "plugin.obj"},
              {{"LC_ALL", "C"}}, {}, tmp / "build");
  ASSERT_NE(r.rc, 0) << r.both();
  const auto ds = project::parse_gcc_diagnostics(r.err, tmp.path(), tmp / "build");
  const auto* error = find(ds, "error", "'missing_name' was not declared");
  ASSERT_NE(error, nullptr) << describe(ds) << r.err;
  EXPECT_EQ(error->file, "src/plugin.cpp");
  EXPECT_EQ(error->line, 4);
  EXPECT_EQ(error->column, 10);
  const auto* warning = find(ds, "warning", "unused variable 'unused'");
  ASSERT_NE(warning, nullptr) << describe(ds) << r.err;
  EXPECT_EQ(warning->line, 3);
  EXPECT_EQ(warning->column, 7);
  const auto* call = find(ds, "error", "takes_two");
  ASSERT_NE(call, nullptr) << describe(ds) << r.err;
  EXPECT_EQ(call->line, 7);
  const auto* note = find(ds, "note", "");
  ASSERT_NE(note, nullptr) << describe(ds) << r.err;
  EXPECT_EQ(note->line, 1);
  for (const auto& d : ds) EXPECT_EQ(d.file, "src/plugin.cpp") << describe(ds);
  // The first diagnostic is the first error, in the compiler's order.
  EXPECT_EQ(project::diagnostics_summary(ds).find("2 errors, 1 warning; first error at "
                                                  "src/plugin.cpp:4"),
            0u)
      << project::diagnostics_summary(ds);

  // The same source given by absolute path (Ninja): the same relative file.
  auto abs = wt::run({"x86_64-w64-mingw32-g++", "-c", (tmp / "src/plugin.cpp").string(), "-o",
                      (tmp / "build/plugin.obj").string()},
                     {{"LC_ALL", "C"}});
  const auto again = project::parse_gcc_diagnostics(abs.err, tmp.path(), tmp / "build");
  ASSERT_FALSE(again.empty()) << abs.err;
  EXPECT_EQ(again.front().file, "src/plugin.cpp");
  EXPECT_EQ(again.front().line, 4);

  // Another project's folder: the path stays absolute.
  const auto outside = project::parse_gcc_diagnostics(abs.err, tmp / "build", tmp / "build");
  ASSERT_FALSE(outside.empty());
  EXPECT_EQ(outside.front().file, (tmp / "src/plugin.cpp").string());
}

TEST(DiagnosticsRust, RustcOutput) {
  WSLPLUG_REQUIRE_TOOL("/usr/bin/rustc");
  wt::TempDir tmp;
  wt::fs::create_directories(tmp / "src");
  // rustc stops before its lints after a name error: the warning comes from a second source
  // that compiles.
  wt::write_text(tmp / "src/lib.rs",
                 "pub fn f() -> u32 {\n"  // 1
                 "    let unused = 1;\n"  // 2
                 "    missing_value\n"    // 3
                 "}\n");
  wt::write_text(tmp / "src/ok.rs",
                 "pub fn f() -> u32 {\n"  // 1
                 "    let unused = 1;\n"  // 2
                 "    2\n"                // 3
                 "}\n");
  auto rustc = [&](const char* file) {
    return wt::run({"/usr/bin/rustc", "--crate-type", "lib", "--edition", "2021", file, "--out-dir",
                    (tmp / "out").string()},
                   {}, {}, tmp.path());
  };
  auto r = rustc("src/lib.rs");
  ASSERT_NE(r.rc, 0) << r.both();
  auto ds = project::parse_rustc_diagnostics(r.err, tmp.path(), tmp.path());
  ASSERT_EQ(ds.size(), 1u) << describe(ds) << r.err;  // not "error: aborting due to ..."
  const auto* error = find(ds, "error", "cannot find value `missing_value`");
  ASSERT_NE(error, nullptr) << describe(ds) << r.err;
  EXPECT_EQ(error->file, "src/lib.rs");
  EXPECT_EQ(error->line, 3);
  EXPECT_EQ(error->column, 5);
  EXPECT_EQ(error->code, "E0425");
  EXPECT_EQ(project::diagnostics_summary(ds), "1 error; first error at src/lib.rs:3");

  auto w = rustc("src/ok.rs");
  ASSERT_EQ(w.rc, 0) << w.both();
  ds = project::parse_rustc_diagnostics(w.err, tmp.path(), tmp.path());
  const auto* warning = find(ds, "warning", "unused variable: `unused`");
  ASSERT_NE(warning, nullptr) << describe(ds) << w.err;
  EXPECT_EQ(warning->file, "src/ok.rs");
  EXPECT_EQ(warning->line, 2);
  EXPECT_EQ(warning->column, 9);
  EXPECT_TRUE(warning->code.empty());
  EXPECT_EQ(project::diagnostics_summary(ds), "1 warning");
}

TEST(DiagnosticsText, LinesThatAreAndAreNotDiagnostics) {
  const wt::fs::path project = "/p";
  const auto gcc = project::parse_gcc_diagnostics(
      "In file included from /p/src/a.cpp:1:\n"
      "/p/include/a.h:3: warning: no column here\n"
      "\x1b[01m\x1b[K/p/src/a.cpp:9:2:\x1b[m\x1b[K \x1b[01;31m\x1b[Kfatal error: "
      "\x1b[m\x1b[Kx.h: No such file\n"
      "C:\\w\\p\\b.cpp:5:1: error: on Windows\n"
      "/usr/include/c++/x.h:7:3: note: outside the project: note: twice\n"
      "collect2: error: ld returned 1 exit status\n"
      "/p/src/a.cpp: In function 'int f()':\n"
      "/usr/bin/ld: a.obj:a.cpp:(.text+0x5): undefined reference to `g'\n",
      project, project / "build");
  ASSERT_EQ(gcc.size(), 4u) << describe(gcc);
  EXPECT_EQ(gcc[0].file, "include/a.h");
  EXPECT_EQ(gcc[0].line, 3);
  EXPECT_FALSE(gcc[0].column.has_value());
  EXPECT_EQ(gcc[1].file, "src/a.cpp");
  EXPECT_EQ(gcc[1].severity, "error");
  EXPECT_EQ(gcc[1].message, "x.h: No such file");
  EXPECT_EQ(gcc[2].file.find("b.cpp") != std::string::npos, true) << gcc[2].file;
  EXPECT_EQ(gcc[2].line, 5);
  EXPECT_EQ(gcc[3].file, "/usr/include/c++/x.h");
  EXPECT_EQ(gcc[3].message, "outside the project: note: twice");

  const auto rust = project::parse_rustc_diagnostics(
      "error[E0308]: mismatched types\n"
      "  --> src/lib.rs:4:9\n"
      "error: could not compile `x` (lib) due to 1 previous error\n"
      "warning: `x` (lib) generated 1 warning\n"
      "warning: unused import\n"
      " --> /home/u/.cargo/registry/src/y/lib.rs:1:5\n"
      "note: required by a bound\n"
      "   --> src/main.rs:12:1\n",
      project, project);
  ASSERT_EQ(rust.size(), 3u) << describe(rust);
  EXPECT_EQ(rust[0].code, "E0308");
  EXPECT_EQ(rust[0].file, "src/lib.rs");
  EXPECT_EQ(rust[1].file, "/home/u/.cargo/registry/src/y/lib.rs");
  EXPECT_EQ(rust[1].severity, "warning");
  EXPECT_EQ(rust[2].severity, "note");
  EXPECT_EQ(rust[2].line, 12);
  EXPECT_EQ(project::diagnostics_summary({}), "");
}
