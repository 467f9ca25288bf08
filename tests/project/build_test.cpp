// wslplug build: the real binary builds the C++ template with MinGW through CMake and a
// dependency-free cdylib with Debian's cargo/rustc; the DLLs export the entry point (MinGW objdump
// as the oracle) and load under wine in a small host (tests/fixtures/wine-host/host.c) that calls
// the entry point with an API table and checks the result and the hook slots. Missing toolchains
// are reported with the package or command that installs them.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "run_support.hpp"
#include "support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

// host.exe, built once per build tree with MinGW (written to a temp name, then renamed, so
// parallel test processes never see a partial file).
wt::fs::path host_exe() {
  const auto out = wt::fixture_dir() / "wine-host.exe";
  if (wt::fs::exists(out)) return out;
  const auto tmp = wt::fixture_dir() / fmt::format("wine-host.{}.exe.part", getpid());
  auto r =
      wt::run({"x86_64-w64-mingw32-gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-municode", "-o",
               tmp.string(), (wt::source_dir() / "tests/fixtures/wine-host/host.c").string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  if (r.rc != 0) return {};
  wt::fs::rename(tmp, out);
  return out;
}

struct HostResult {
  std::string hr;     // "0x00000000"
  std::string hooks;  // "1,1,1,1,0,0"
  std::string guard;  // "0"
  std::string raw;
};

HostResult run_host(const wt::fs::path& dll, const std::string& version) {
  HostResult h;
  const auto host = host_exe();
  if (host.empty()) return h;
  auto r = wt::wine({host.string(), dll.string(), version});
  h.raw = r.both();
  EXPECT_EQ(r.rc, 0) << h.raw;
  const auto a = r.out.find("hr="), b = r.out.find(" hooks="), c = r.out.find(" guard=");
  if (a == std::string::npos || b == std::string::npos || c == std::string::npos) {
    ADD_FAILURE() << "unexpected host output: " << h.raw;
    return h;
  }
  h.hr = r.out.substr(a + 3, b - a - 3);
  h.hooks = r.out.substr(b + 7, c - b - 7);
  h.guard = r.out.substr(c + 7, r.out.find_first_of("\r\n", c) - c - 7);
  return h;
}

// Export names and imported DLLs according to MinGW objdump (an oracle independent of wslplug).
struct PeFacts {
  std::vector<std::string> exports;
  std::vector<std::string> imports;
};
PeFacts objdump(const wt::fs::path& dll) {
  PeFacts facts;
  auto r = wt::run({"x86_64-w64-mingw32-objdump", "-p", dll.string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  std::istringstream in(r.out);
  std::string line;
  bool in_names = false;
  while (std::getline(in, line)) {
    if (line.find("[Ordinal/Name Pointer] Table") != std::string::npos) {
      in_names = true;
      continue;
    }
    if (in_names) {
      const auto br = line.find("] ");
      if (line.find('[') == std::string::npos || br == std::string::npos) {
        in_names = false;
      } else {
        facts.exports.push_back(line.substr(br + 2));
      }
    }
    const auto dn = line.find("DLL Name: ");
    if (dn != std::string::npos) facts.imports.push_back(line.substr(dn + 10));
  }
  return facts;
}

json build_json(const wt::fs::path& dir, const std::map<std::string, std::string>& env = {},
                const std::vector<std::string>& extra = {}, int expect_rc = 0) {
  std::vector<std::string> args = {"build", "-C", dir.string(), "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = wt::wslplug(args, env);
  EXPECT_EQ(r.rc, expect_rc) << r.both();
  auto doc = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << "stdout is not one JSON document:\n" << r.out;
  if (doc.is_discarded()) return json::object();
  doc["_stderr"] = r.err;
  return doc;
}

// A directory holding a `cmake` symlink only: PATH for "MinGW is missing".
void symlink_tool(const wt::fs::path& bin, const std::string& tool) {
  auto r = wt::run({"/bin/sh", "-c", "command -v " + tool});
  ASSERT_EQ(r.rc, 0) << tool;
  std::string path = r.out.substr(0, r.out.find('\n'));
  wt::fs::create_symlink(path, bin / tool);
}

void write_script(const wt::fs::path& p, const std::string& text) {
  wt::write_text(p, text);
  wt::fs::permissions(p, wt::fs::perms::owner_all);
}

}  // namespace

TEST(BuildCpp, TemplateBuildsExportsLoadsUnderWineAndSetsHooks) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  WSLPLUG_REQUIRE_TOOL("cmake");
  WSLPLUG_REQUIRE_TOOL("wine");
  wt::TempDir tmp;
  const auto dir = tmp / "cpp-plugin";
  auto r =
      wt::wslplug({"new", "cpp-plugin", "--lang", "cpp", "--hooks", "all"}, {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  auto doc = build_json(dir);
  ASSERT_TRUE(doc.contains("artifact") && doc["artifact"].is_string()) << doc.dump(2);
  const wt::fs::path dll = doc["artifact"].get<std::string>();
  EXPECT_EQ(dll, dir / "build/x86_64-release/cpp-plugin.dll");
  EXPECT_EQ(doc["target"], "x86_64");
  EXPECT_EQ(doc["signed"], false);
  // The doctor --dll checks ran: the only finding is that a fresh build is not signed yet, a
  // warning here (exit 0).
  ASSERT_EQ(doc["findings"].size(), 1u) << doc.dump(2);
  EXPECT_EQ(doc["findings"][0]["id"], "unsigned");
  EXPECT_EQ(doc["findings"][0]["severity"], "warning");
  EXPECT_EQ(doc["findings"][0]["wsl_error"], "TRUST_E_NOSIGNATURE");
  // The toolchain's output went to stderr (stdout is the JSON document).
  EXPECT_NE(doc["_stderr"].get<std::string>().find("Linking CXX shared library"), std::string::npos)
      << doc["_stderr"];
  ASSERT_TRUE(wt::fs::is_regular_file(dll));

  const auto facts = objdump(dll);
  EXPECT_EQ(facts.exports, std::vector<std::string>{"WSLPluginAPIV1_EntryPoint"});
  // Static runtime: no MinGW runtime DLLs that WSL's loader would not find.
  for (const auto& imp : facts.imports) {
    EXPECT_EQ(imp.find("libstdc++"), std::string::npos) << imp;
    EXPECT_EQ(imp.find("libgcc"), std::string::npos) << imp;
    EXPECT_EQ(imp.find("libwinpthread"), std::string::npos) << imp;
  }

  // A host of WSL 2.4.4 gets S_OK and all six hooks.
  auto h = run_host(dll, "2.4.4");
  EXPECT_EQ(h.hr, "0x00000000") << h.raw;
  EXPECT_EQ(h.hooks, "1,1,1,1,1,1") << h.raw;
  EXPECT_EQ(h.guard, "0") << h.raw;
  // A host older than 2.1.2 has no registration slots: the plugin leaves them alone.
  h = run_host(dll, "2.0.5");
  EXPECT_EQ(h.hr, "0x00000000") << h.raw;
  EXPECT_EQ(h.hooks, "1,1,1,1,0,0") << h.raw;

  // A second build reuses the configured tree and finds the same DLL.
  auto again = build_json(dir);
  EXPECT_EQ(again["artifact"], doc["artifact"]);
}

TEST(BuildCpp, RequirementRefusesOlderHost) {
  wt::TempDir tmp;
  auto r =
      wt::wslplug({"new", "req", "--lang", "cpp", "--hooks", "vm-started", "--require", "2.4.4"},
                  {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  // Plain (non-JSON) mode: progress and toolchain output, then "Built PATH".
  auto b = wt::wslplug({"build", "-C", (tmp / "req").string()});
  ASSERT_EQ(b.rc, 0) << b.both();
  const auto dll = tmp / "req/build/x86_64-release/req.dll";
  EXPECT_NE(b.out.find("Built " + dll.string()), std::string::npos) << b.out;
  auto h = run_host(dll, "2.4.3");
  EXPECT_EQ(h.hr, "0x8004032a") << h.raw;  // WSL_E_PLUGIN_REQUIRES_UPDATE
  EXPECT_EQ(h.hooks, "0,0,0,0,0,0") << h.raw;
  h = run_host(dll, "2.4.4");
  EXPECT_EQ(h.hr, "0x00000000") << h.raw;
  EXPECT_EQ(h.hooks, "1,0,0,0,0,0") << h.raw;
}

TEST(BuildCpp, CompileErrorExitsOneWithJsonOnStdout) {
  wt::TempDir tmp;
  ASSERT_EQ(wt::wslplug({"new", "broken", "--lang", "cpp"}, {}, {}, tmp.path()).rc, 0);
  const auto src = tmp / "broken/src/plugin.cpp";
  wt::write_text(src, wt::read_text(src) + "\nthis is not C++;\n");
  const std::string written = wt::read_text(src);
  const int bad_line = static_cast<int>(std::count(written.begin(), written.end(), '\n'));
  auto doc = build_json(tmp / "broken", {}, {}, 1);
  EXPECT_TRUE(doc["artifact"].is_null());
  EXPECT_EQ(doc["error"]["kind"], "bad");
  EXPECT_NE(doc["_stderr"].get<std::string>().find("plugin.cpp"), std::string::npos);
  // The compiler's diagnostics as data: GCC's error at the line written above, the path relative
  // to the project.
  ASSERT_TRUE(doc["diagnostics"].is_array()) << doc.dump(2);
  const json* error = nullptr;
  for (const auto& d : doc["diagnostics"])
    if (d["severity"] == "error" && error == nullptr) error = &d;
  ASSERT_NE(error, nullptr) << doc.dump(2);
  EXPECT_EQ((*error)["file"], "src/plugin.cpp") << doc.dump(2);
  EXPECT_EQ((*error)["line"], bad_line) << doc.dump(2);
  EXPECT_TRUE((*error)["column"].is_number_integer()) << doc.dump(2);
  EXPECT_FALSE((*error)["message"].get<std::string>().empty());
  // Text: the compiler's output as before, then one summary line before the error.
  auto plain = wt::wslplug({"build", "-C", (tmp / "broken").string()});
  EXPECT_EQ(plain.rc, 1) << plain.both();
  EXPECT_NE(plain.err.find("plugin.cpp:" + std::to_string(bad_line)), std::string::npos)
      << plain.err;
  std::smatch summary;
  ASSERT_TRUE(std::regex_search(plain.err, summary,
                                std::regex(R"((\d+) errors?(, \d+ warnings?)?; first error at )"
                                           R"(src/plugin\.cpp:(\d+)\n)")))
      << plain.err;
  EXPECT_EQ(summary[3], std::to_string(bad_line));
  EXPECT_LT(plain.err.find(summary[0]), plain.err.find("wslplug: error:")) << plain.err;
}

TEST(BuildCpp, QuietKeepsTheToolchainOutputUnlessTheBuildFailsVerboseShowsCommands) {
  wt::TempDir tmp;
  const auto dir = tmp / "hush";
  ASSERT_EQ(wt::wslplug({"new", "hush", "--lang", "cpp"}, {}, {}, tmp.path()).rc, 0);
  // Default: CMake's and the compiler's progress on stderr, not the command lines.
  auto normal = wt::wslplug({"build", "-C", dir.string()});
  ASSERT_EQ(normal.rc, 0) << normal.both();
  EXPECT_NE(normal.err.find("Building CXX object"), std::string::npos) << normal.err;
  const std::string compile_line = "-c " + (dir / "src/plugin.cpp").string();
  EXPECT_EQ(normal.err.find(compile_line), std::string::npos) << normal.err;
  // -q: nothing from the toolchain (nor status lines); the result is still on stdout.
  wt::fs::last_write_time(dir / "src/plugin.cpp", wt::fs::file_time_type::clock::now());
  auto quiet = wt::wslplug({"build", "-C", dir.string(), "-q"});
  ASSERT_EQ(quiet.rc, 0) << quiet.both();
  EXPECT_EQ(quiet.err, "");
  EXPECT_NE(quiet.out.find("Built "), std::string::npos) << quiet.out;
  // -v: the toolchain's verbose output, with the compiler's command lines.
  wt::fs::last_write_time(dir / "src/plugin.cpp", wt::fs::file_time_type::clock::now());
  auto verbose = wt::wslplug({"build", "-C", dir.string(), "-v"});
  ASSERT_EQ(verbose.rc, 0) << verbose.both();
  EXPECT_NE(verbose.err.find(compile_line), std::string::npos) << verbose.err;
  // -q and a failed build: the kept output and the summary on stderr, then the error.
  const auto src = dir / "src/plugin.cpp";
  wt::write_text(src, wt::read_text(src) + "\nint broken() { return no_such_name; }\n");
  auto failed = wt::wslplug({"build", "-C", dir.string(), "-q"});
  EXPECT_EQ(failed.rc, 1) << failed.both();
  EXPECT_NE(failed.err.find("no_such_name"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find(": error: "), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("1 error; first error at src/plugin.cpp:"), std::string::npos)
      << failed.err;
  EXPECT_NE(failed.err.find("the build failed"), std::string::npos) << failed.err;
  // With --json too: the document on stdout, the kept output on stderr.
  auto doc = build_json(dir, {}, {"-q"}, 1);
  EXPECT_NE(doc["_stderr"].get<std::string>().find("no_such_name"), std::string::npos);
  EXPECT_EQ(doc["diagnostics"].size(), 1u) << doc.dump(2);
}

TEST(BuildCpp, MissingMingwNamesThePackage) {
  wt::TempDir tmp;
  ASSERT_EQ(wt::wslplug({"new", "nomingw", "--lang", "cpp"}, {}, {}, tmp.path()).rc, 0);
  const auto bin = tmp / "bin";
  wt::fs::create_directories(bin);
  symlink_tool(bin, "cmake");
  auto r = wt::wslplug({"build", "-C", (tmp / "nomingw").string()}, {{"PATH", bin.string()}});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("x86_64-w64-mingw32-gcc"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gcc-mingw-w64-x86-64"), std::string::npos) << r.err;
  EXPECT_FALSE(wt::fs::exists(tmp / "nomingw/build"));
  // And no cmake at all.
  r = wt::wslplug({"build", "-C", (tmp / "nomingw").string()}, {{"PATH", (tmp / "none").string()}});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("apt-get install cmake"), std::string::npos) << r.err;
}

TEST(BuildRust, CargoPathWithDebianToolchain) {
  // Debian 12's Rust 1.96 (rustc-web) with the Windows std scripts/setup builds from
  // rust-web-src: the toolchain every Rust DLL of the suite is built with.
  WSLPLUG_REQUIRE_TOOL("/usr/bin/cargo");
  WSLPLUG_REQUIRE_TOOL("/usr/bin/rustc");
  ASSERT_TRUE(wt::fs::is_directory("/usr/lib/rustlib/x86_64-pc-windows-gnu/lib"))
      << "the Windows std of rustc-web is missing: run scripts/setup";
  wt::TempDir tmp;
  const auto dir = tmp / "nodeps";
  wt::fs::copy(wt::source_dir() / "tests/fixtures/rust-nodeps", dir,
               wt::fs::copy_options::recursive);
  wt::fs::create_directories(tmp / "cargo-home");
  // No wslplug.json: the project is detected from Cargo.toml.
  auto doc =
      build_json(dir, {{"RUSTC", "/usr/bin/rustc"}, {"CARGO_HOME", (tmp / "cargo-home").string()}},
                 {"--cargo", "/usr/bin/cargo"});
  ASSERT_TRUE(doc.contains("artifact") && doc["artifact"].is_string()) << doc.dump(2);
  const wt::fs::path dll = doc["artifact"].get<std::string>();
  // Cargo turns the crate's '-' into '_'.
  EXPECT_EQ(dll, dir / "target/x86_64-pc-windows-gnu/release/nodeps_plugin.dll");
  EXPECT_EQ(doc["triple"], "x86_64-pc-windows-gnu");
  EXPECT_EQ(doc["language"], "rust");
  EXPECT_EQ(doc["name"], "nodeps-plugin");
  EXPECT_NE(doc["_stderr"].get<std::string>().find("Compiling nodeps-plugin"), std::string::npos)
      << doc["_stderr"];
  ASSERT_TRUE(wt::fs::is_regular_file(dll));
  const auto facts = objdump(dll);
  EXPECT_NE(std::find(facts.exports.begin(), facts.exports.end(), "WSLPluginAPIV1_EntryPoint"),
            facts.exports.end());
  // Rust >= 1.78's std imports bcryptprimitives.dll (ProcessPrng), which wine 8 lacks: `run`'s
  // prefix has a stand-in (Windows 10/11 have the DLL), so a current Rust plugin loads there.
  EXPECT_NE(std::find(facts.imports.begin(), facts.imports.end(), "bcryptprimitives.dll"),
            facts.imports.end())
      << "built by a rustc older than 1.78?";
  auto loaded = wt::run_json({dll.string(), "--wsl-version", "2.4.4"});
  const auto* ran = loaded.run("2.4.4");
  ASSERT_NE(ran, nullptr) << loaded.context();
  EXPECT_EQ((*ran)["load"]["symbol"], "S_OK") << loaded.context();
  EXPECT_EQ((*ran)["outcome"], "ok") << loaded.context();
  // The DLL checks find nothing but the missing signature.
  ASSERT_EQ(doc["findings"].size(), 1u) << doc.dump(2);
  EXPECT_EQ(doc["findings"][0]["id"], "unsigned");

  // Without --json, build says which rustc it used: a current one (>= 1.85, what wslplugins-rs
  // needs), not rustup's from ~/.cargo/bin.
  auto plain =
      wt::wslplug({"build", "-C", dir.string(), "--cargo", "/usr/bin/cargo"},
                  {{"RUSTC", "/usr/bin/rustc"}, {"CARGO_HOME", (tmp / "cargo-home").string()}});
  EXPECT_EQ(plain.rc, 0) << plain.both();  // unsigned is only a warning
  std::smatch ver;
  ASSERT_TRUE(
      std::regex_search(plain.err, ver, std::regex(R"(rustc 1\.(\d+)\.\d+ \(/usr/bin/rustc\))")))
      << plain.err;
  EXPECT_GE(std::stoi(ver[1]), 85) << plain.err;

  // -v: cargo -v (it names the up-to-date crate as Fresh); -q: nothing from cargo.
  const std::map<std::string, std::string> debian = {{"RUSTC", "/usr/bin/rustc"},
                                                     {"CARGO_HOME", (tmp / "cargo-home").string()}};
  auto verbose =
      wt::wslplug({"build", "-C", dir.string(), "--cargo", "/usr/bin/cargo", "-v"}, debian);
  EXPECT_EQ(verbose.rc, 0) << verbose.both();
  EXPECT_NE(verbose.err.find("Fresh nodeps-plugin"), std::string::npos) << verbose.err;
  auto quiet =
      wt::wslplug({"build", "-C", dir.string(), "--cargo", "/usr/bin/cargo", "-q"}, debian);
  EXPECT_EQ(quiet.rc, 0) << quiet.both();
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(plain.err.find("Fresh nodeps-plugin"), std::string::npos) << plain.err;

  // --debug and without RUSTC: the rustc beside --cargo is used (PATH's may be rustup's).
  auto dbg = build_json(dir, {{"RUSTC", ""}, {"CARGO_HOME", (tmp / "cargo-home").string()}},
                        {"--cargo", "/usr/bin/cargo", "--debug"});
  EXPECT_EQ(dbg["profile"], "debug");
  EXPECT_EQ(dbg["artifact"],
            (dir / "target/x86_64-pc-windows-gnu/debug/nodeps_plugin.dll").string());
}

TEST(BuildRust, MissingWindowsStdNamesTheFix) {
  wt::TempDir tmp;
  const auto dir = tmp / "nodeps";
  wt::fs::copy(wt::source_dir() / "tests/fixtures/rust-nodeps", dir,
               wt::fs::copy_options::recursive);
  // Fake toolchains whose sysroot has no x86_64-pc-windows-gnu std: one that looks like rustup's,
  // one that looks like a distribution's. cargo must never run.
  for (const std::string kind : {"rustup", "debian"}) {
    const auto root = tmp / kind;
    const auto sysroot = kind == "rustup" ? root / ".rustup/toolchains/stable" : root / "usr";
    wt::fs::create_directories(sysroot / "lib/rustlib/x86_64-unknown-linux-gnu/lib");
    wt::fs::create_directories(root / "bin");
    write_script(root / "bin/rustc", "#!/bin/sh\necho " + sysroot.string() + "\n");
    write_script(root / "bin/cargo", "#!/bin/sh\necho cargo-ran >&2\nexit 42\n");
    auto r = wt::wslplug({"build", "-C", dir.string(), "--cargo", (root / "bin/cargo").string()},
                         {{"RUSTC", ""}});
    EXPECT_EQ(r.rc, 2) << r.both();
    EXPECT_NE(r.err.find("no standard library for x86_64-pc-windows-gnu"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(kind == "rustup" ? "rustup target add x86_64-pc-windows-gnu"
                                          : "scripts/rust-windows-std"),
              std::string::npos)
        << r.err;
    if (kind == "debian") {
      EXPECT_NE(r.err.find("rust-web-src"), std::string::npos) << r.err;
    }
    EXPECT_EQ(r.both().find("cargo-ran"), std::string::npos);
  }
  // CARGO selects the toolchain too; a missing one is named.
  auto r = wt::wslplug({"build", "-C", dir.string()}, {{"CARGO", (tmp / "no/cargo").string()}});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("cargo not found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rustup"), std::string::npos) << r.err;
}

TEST(BuildRust, RustcTooOldForTheCrateNamesRustupAndRustcWeb) {
  // A wslplugins-rs project with a rustc older than 1.85 (Debian 12's own 1.63): build stops
  // before cargo and says how to get a current one; a project without the crate is not held to it.
  wt::TempDir tmp;
  ASSERT_EQ(wt::wslplug({"new", "oldrust"}, {}, {}, tmp.path()).rc, 0);
  const auto nodeps = tmp / "nodeps";
  wt::fs::copy(wt::source_dir() / "tests/fixtures/rust-nodeps", nodeps,
               wt::fs::copy_options::recursive);
  const auto root = tmp / "toolchain";
  const auto sysroot = root / "usr";
  wt::fs::create_directories(sysroot / "lib/rustlib/x86_64-pc-windows-gnu/lib");
  wt::fs::create_directories(root / "bin");
  write_script(root / "bin/rustc",
               "#!/bin/sh\nif [ \"$1\" = -vV ]; then printf 'rustc 1.63.0\\nrelease: 1.63.0\\n'; "
               "else echo " +
                   sysroot.string() + "; fi\n");
  write_script(root / "bin/cargo", "#!/bin/sh\necho cargo-ran >&2\nexit 42\n");
  auto r = wt::wslplug(
      {"build", "-C", (tmp / "oldrust").string(), "--cargo", (root / "bin/cargo").string()},
      {{"RUSTC", ""}});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("Rust 1.63.0, too old for wslplugins-rs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(">= 1.85"), std::string::npos) << r.err;
  for (const char* fix : {"rustup", "rustc-web", "cargo-web", "rust-web-src"})
    EXPECT_NE(r.err.find(fix), std::string::npos) << fix << "\n" << r.err;
  EXPECT_EQ(r.both().find("cargo-ran"), std::string::npos);
  // Without wslplugins-rs, the same rustc is let through to cargo.
  r = wt::wslplug({"build", "-C", nodeps.string(), "--cargo", (root / "bin/cargo").string()},
                  {{"RUSTC", ""}});
  EXPECT_NE(r.both().find("cargo-ran"), std::string::npos) << r.both();
}

TEST(Build, NoProjectAndBadFlags) {
  wt::TempDir tmp;
  auto doc = build_json(tmp.path(), {}, {}, 2);
  EXPECT_EQ(doc["error"]["kind"], "input");
  EXPECT_NE(doc["error"]["message"].get<std::string>().find("Cargo.toml"), std::string::npos);
  auto r = wt::wslplug({"build", "-C", tmp.path().string(), "--target", "mips"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("unknown target 'mips'"), std::string::npos) << r.err;
  // ARM64 cannot be cross-built here: say so, with what works.
  ASSERT_EQ(wt::wslplug({"new", "a", "--lang", "cpp"}, {}, {}, tmp.path()).rc, 0);
  r = wt::wslplug({"build", "-C", (tmp / "a").string(), "--target", "arm64"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("ARM64"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--target x86_64"), std::string::npos) << r.err;
  // A malformed wslplug.json names the field.
  wt::write_text(tmp / "a/wslplug.json", R"({"name": "a", "language": "cobol"})");
  r = wt::wslplug({"build", "-C", (tmp / "a").string()});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("field language"), std::string::npos) << r.err;
  r = wt::wslplug({"build", "--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("--cargo"), std::string::npos);
}

TEST(BuildCpp, SignCreatesProjectCertificateAndVerifies) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  wt::TempDir tmp;
  const auto dir = tmp / "signed";
  ASSERT_EQ(wt::wslplug({"new", "signed", "--lang", "cpp"}, {}, {}, tmp.path()).rc, 0);
  auto doc = build_json(dir, {}, {"--sign"});
  ASSERT_TRUE(doc["artifact"].is_string()) << doc.dump(2);
  EXPECT_EQ(doc["signed"], true);
  // Signed and checked against the project's certificate: no findings.
  EXPECT_TRUE(doc["findings"].empty()) << doc.dump(2);
  const wt::fs::path dll = doc["artifact"].get<std::string>();
  const auto cert = dir / ".wslplug/cert.pem";
  ASSERT_TRUE(wt::fs::exists(cert));
  ASSERT_TRUE(wt::fs::exists(dir / ".wslplug/key.pem"));
  struct stat st {};
  ASSERT_EQ(::stat((dir / ".wslplug/key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto v = wt::run({"osslsigncode", "verify", "-CAfile", cert.string(), dll.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
  EXPECT_NE(v.out.find("Signature verification: ok"), std::string::npos) << v.out;
  // Verification against another CA fails: the check above can fail.
  ASSERT_EQ(wt::wslplug({"new", "other", "--lang", "cpp"}, {}, {}, tmp.path()).rc, 0);
  auto other = build_json(tmp / "other", {}, {"--sign"});
  auto bad = wt::run({"osslsigncode", "verify", "-CAfile",
                      (tmp / "other/.wslplug/cert.pem").string(), dll.string()});
  EXPECT_NE(bad.rc, 0) << bad.both();
  // The certificate is created once and reused; the signed DLL still loads.
  const auto first = wt::read_text(cert);
  auto again = build_json(dir, {}, {"--sign", "--emit-reg"});
  EXPECT_EQ(again["signed"], true);
  EXPECT_EQ(wt::read_text(cert), first);
  // --emit-reg: UTF-16LE .reg files under .wslplug/ registering the value name from wslplug.json
  // (by default under C:\Program Files\WSL Plugins\<name>\, where only administrators write).
  const auto reg = dir / ".wslplug/signed.reg", unreg = dir / ".wslplug/signed.unregister.reg";
  EXPECT_EQ(again["registration"]["file"], reg.string());
  EXPECT_EQ(again["registration"]["unregister_file"], unreg.string());
  EXPECT_EQ(again["registration"]["windows_path"],
            "C:\\Program Files\\WSL Plugins\\signed\\signed.dll");
  EXPECT_EQ(again["registration"]["default_path"], true);
  for (const auto& [file, line] :
       {std::pair{reg, std::string("\"signed\"=\"C:\\\\Program Files\\\\WSL "
                                   "Plugins\\\\signed\\\\signed.dll\"")},
        std::pair{unreg, std::string("\"signed\"=-")}}) {
    const auto bytes = wt::read_bytes(file);
    ASSERT_GE(bytes.size(), 2u) << file;
    EXPECT_EQ(bytes[0], std::byte{0xff});
    EXPECT_EQ(bytes[1], std::byte{0xfe});
    auto text = wt::run({"iconv", "-f", "UTF-16", "-t", "UTF-8", file.string()});
    ASSERT_EQ(text.rc, 0) << text.both();
    EXPECT_NE(text.out.find("Windows Registry Editor Version 5.00"), std::string::npos);
    EXPECT_NE(
        text.out.find(
            "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins]"),
        std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find(line), std::string::npos) << text.out;
  }
  // --windows-path (implies --emit-reg) takes the path as register does, with --automount-root;
  // a folder users can write is a warning finding.
  auto placed = build_json(
      dir, {}, {"--windows-path", "/win/c/Plugins/signed.dll", "--automount-root", "/win/"});
  EXPECT_EQ(placed["registration"]["windows_path"], "C:\\Plugins\\signed.dll");
  EXPECT_EQ(placed["registration"]["default_path"], false);
  bool warned = false;
  for (const auto& f : placed["findings"])
    if (f["id"] == "path-user-writable" && f["severity"] == "warning") warned = true;
  EXPECT_TRUE(warned) << placed.dump(2);
  // A plain build after --sign (nothing relinked) still checks clean against the project cert.
  auto plain = build_json(dir);
  EXPECT_TRUE(plain["findings"].empty()) << plain.dump(2);
  v = wt::run({"osslsigncode", "verify", "-CAfile", cert.string(), dll.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
  auto h = run_host(dll, "2.4.4");
  EXPECT_EQ(h.hr, "0x00000000") << h.raw;
  // The .gitignore keeps the key and certificate out of version control.
  auto gi = wt::read_text(dir / ".gitignore");
  EXPECT_NE(gi.find("/.wslplug/"), std::string::npos);
}

TEST(BuildRust, TemplateTypeChecksAgainstStubCrates) {
  // wslplugins-rs cannot be downloaded here: stub crates mirroring the API the template uses
  // (tests/fixtures/stubs) are patched in through a .cargo/config.toml above the project, and the
  // real template is built by `wslplug build` with Debian's cargo. This type-checks the generated
  // lib.rs (hook signatures, prelude and root names, capability names) with Debian 12's Rust 1.96
  // (the stubs hold only the recorded API: templates/crate-api/wslplugins-rs.api).
  WSLPLUG_REQUIRE_TOOL("/usr/bin/cargo");
  wt::TempDir tmp;
  wt::fs::create_directories(tmp / ".cargo");
  wt::fs::create_directories(tmp / "cargo-home");
  wt::write_text(tmp / ".cargo/config.toml",
                 fmt::format("[patch.crates-io]\nwslplugins-rs = {{ path = \"{}\" }}\n",
                             (wt::source_dir() / "tests/fixtures/stubs/wslplugins-rs").string()));
  const std::map<std::string, std::string> env = {{"RUSTC", "/usr/bin/rustc"},
                                                  {"PATH", "/usr/bin:/bin"},
                                                  {"CARGO_HOME", (tmp / "cargo-home").string()},
                                                  {"CARGO_NET_OFFLINE", "true"}};
  const std::vector<std::vector<std::string>> variants = {
      {"--hooks", "all", "--require", "distribution-flavor"},
      {"--hooks", "none"},
      {"--hooks", "vm-started,distribution-registered", "--require", "2.0.5"},
  };
  int i = 0;
  for (const auto& v : variants) {
    const std::string name = fmt::format("typed-plugin-{}", i++);
    std::vector<std::string> args = {"new", name};
    args.insert(args.end(), v.begin(), v.end());
    ASSERT_EQ(wt::wslplug(args, {}, {}, tmp.path()).rc, 0);
    // The stub macro does not generate the entry point, so the DLL checks report it missing
    // (exit 1); what matters here is that the template compiled.
    auto doc = build_json(tmp / name, env, {"--cargo", "/usr/bin/cargo"}, 1);
    ASSERT_TRUE(doc["artifact"].is_string()) << doc.dump(2);
    EXPECT_FALSE(doc.contains("error")) << doc.dump(2);
    EXPECT_EQ(wt::fs::path(doc["artifact"].get<std::string>()).filename(),
              fmt::format("typed_plugin_{}.dll", i - 1));
    EXPECT_EQ(doc["_stderr"].get<std::string>().find("warning"), std::string::npos)
        << doc["_stderr"];
    bool missing = false;
    for (const auto& f : doc["findings"]) missing |= f["id"] == "entry-point-missing";
    EXPECT_TRUE(missing) << doc.dump(2);
  }
  // The stubs do check: a misspelt capability in the attribute fails to compile (exit 1).
  const auto lib = tmp / "typed-plugin-0/src/lib.rs";
  auto text = wt::read_text(lib);
  const auto pos = text.find("DistributionFlavor");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 18, "DistributionFlavour");
  wt::write_text(lib, text);
  auto bad = build_json(tmp / "typed-plugin-0", env, {"--cargo", "/usr/bin/cargo"}, 1);
  EXPECT_TRUE(bad["artifact"].is_null());
  EXPECT_NE(bad["_stderr"].get<std::string>().find("DistributionFlavour"), std::string::npos);
  // rustc's diagnostics as data: an error in src/lib.rs at the misspelt line.
  const int line = static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n')) + 1;
  bool located = false;
  for (const auto& d : bad["diagnostics"])
    located |= d["severity"] == "error" && d["file"] == "src/lib.rs" && d["line"] == line &&
               d["message"].get<std::string>().find("DistributionFlavour") != std::string::npos;
  EXPECT_TRUE(located) << line << "\n" << bad.dump(2);
}

TEST(BuildCpp, MangledExportIsAnErrorFinding) {
  // Dropping extern "C" exports a C++-mangled name that GetProcAddress never finds: the DLL
  // checks report it (ERROR_PROC_NOT_FOUND) and build exits 1.
  wt::TempDir tmp;
  ASSERT_EQ(wt::wslplug({"new", "mangled", "--lang", "cpp"}, {}, {}, tmp.path()).rc, 0);
  const auto src = tmp / "mangled/src/plugin.cpp";
  auto text = wt::read_text(src);
  const std::string c_linkage = "extern \"C\" __declspec(dllexport)";
  const auto pos = text.find(c_linkage);
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, c_linkage.size(), "__declspec(dllexport)");
  wt::write_text(src, text);
  auto doc = build_json(tmp / "mangled", {}, {}, 1);
  ASSERT_TRUE(doc["artifact"].is_string()) << doc.dump(2);
  bool mangled = false;
  for (const auto& f : doc["findings"])
    mangled |= f["id"] == "entry-point-mangled" && f["severity"] == "error" &&
               f["wsl_error"] == "ERROR_PROC_NOT_FOUND";
  EXPECT_TRUE(mangled) << doc.dump(2);
  auto plain = wt::wslplug({"build", "-C", (tmp / "mangled").string()});
  EXPECT_EQ(plain.rc, 1);
  EXPECT_NE(plain.out.find("WSL would fail to load this plugin"), std::string::npos) << plain.out;
}

TEST(BuildCpp, SignUsesTheSigningSettingsOfSign) {
  // build --sign takes the signer and the timestamp server as `sign` does: WSLPLUG_* variables,
  // then wslplug.json's "signing", else the project's test certificate.
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  wt::TempDir tmp;
  const auto dir = tmp / "released";
  ASSERT_EQ(wt::wslplug({"new", "released", "--lang", "cpp"}, {}, {}, tmp.path()).rc, 0);
  auto made = wt::wslplug({"cert", "new", "--out-dir", (tmp / "release").string(), "--subject",
                           "CN=Release Signer", "--key-type", "ecdsa-p256"});
  ASSERT_EQ(made.rc, 0) << made.both();
  const auto cert = tmp / "release/cert.pem";
  const std::map<std::string, std::string> env = {
      {"WSLPLUG_CERT", cert.string()}, {"WSLPLUG_KEY", (tmp / "release/key.pem").string()}};
  auto doc = build_json(dir, env, {"--sign"});
  ASSERT_TRUE(doc["artifact"].is_string()) << doc.dump(2);
  EXPECT_EQ(doc["signed"], true);
  EXPECT_EQ(doc["certificate"], cert.string());
  EXPECT_EQ(doc["signer"]["source"], "environment") << doc.dump(2);
  EXPECT_EQ(doc["signer"]["subject"], "CN=Release Signer") << doc.dump(2);
  EXPECT_EQ(doc["signer"]["file"], cert.string());
  EXPECT_EQ(doc["settings"]["cert"]["from"], "WSLPLUG_CERT") << doc.dump(2);
  EXPECT_EQ(doc["settings"]["key"]["source"], "environment") << doc.dump(2);
  // Checked against that certificate (Windows must trust it): no findings.
  EXPECT_TRUE(doc["findings"].empty()) << doc.dump(2);
  // No project certificate was made; the DLL verifies against the release one only.
  EXPECT_FALSE(wt::fs::exists(dir / ".wslplug/cert.pem"));
  const auto dll = doc["artifact"].get<std::string>();
  auto v = wt::run({"osslsigncode", "verify", "-CAfile", cert.string(), dll});
  EXPECT_EQ(v.rc, 0) << v.both();
  // Text: where the signer came from.
  auto plain = wt::wslplug({"build", "-C", dir.string(), "--sign"}, env);
  EXPECT_EQ(plain.rc, 0) << plain.both();
  EXPECT_NE(plain.err.find("with CN=Release Signer (" + cert.string() + ", from WSLPLUG_CERT)"),
            std::string::npos)
      << plain.err;
  // The same settings, the same errors as sign: a bad digest names its variable, and the
  // timestamp server of WSLPLUG_TIMESTAMP_URL is asked (none listens here).
  auto bad_hash = wt::wslplug({"build", "-C", dir.string(), "--sign"},
                              {{"WSLPLUG_HASH", "md5"},
                               {"WSLPLUG_CERT", cert.string()},
                               {"WSLPLUG_KEY", (tmp / "release/key.pem").string()}});
  EXPECT_EQ(bad_hash.rc, 2) << bad_hash.both();
  EXPECT_NE(bad_hash.err.find("$WSLPLUG_HASH"), std::string::npos) << bad_hash.err;
  auto ts = build_json(dir,
                       {{"WSLPLUG_TIMESTAMP_URL", "http://127.0.0.1:9/ts"},
                        {"WSLPLUG_CERT", cert.string()},
                        {"WSLPLUG_KEY", (tmp / "release/key.pem").string()}},
                       {"--sign"}, 3);
  EXPECT_NE(ts["error"]["message"].get<std::string>().find("http://127.0.0.1:9/ts"),
            std::string::npos)
      << ts.dump(2);
  EXPECT_EQ(ts["settings"]["timestamp_url"]["from"], "WSLPLUG_TIMESTAMP_URL") << ts.dump(2);
  // wslplug.json's "signing" (paths relative to the project) when the environment is silent.
  wt::fs::copy(tmp / "release", dir / "certs", wt::fs::copy_options::recursive);
  auto manifest = json::parse(wt::read_text(dir / "wslplug.json"));
  manifest["signing"] = {{"cert", "certs/cert.pem"}, {"key", "certs/key.pem"}};
  wt::write_text(dir / "wslplug.json", manifest.dump(2));
  auto from_manifest = build_json(dir, {}, {"--sign"});
  EXPECT_EQ(from_manifest["signer"]["source"], "manifest") << from_manifest.dump(2);
  EXPECT_EQ(from_manifest["certificate"], (dir / "certs/cert.pem").string());
  EXPECT_TRUE(from_manifest["findings"].empty()) << from_manifest.dump(2);
  // Without any setting: the project's test certificate, created on first use, as before.
  manifest.erase("signing");
  wt::write_text(dir / "wslplug.json", manifest.dump(2));
  auto project = build_json(dir, {}, {"--sign"});
  EXPECT_EQ(project["signer"]["source"], "project") << project.dump(2);
  EXPECT_EQ(project["certificate"], (dir / ".wslplug/cert.pem").string());
}
