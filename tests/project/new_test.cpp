// wslplug new: the real binary scaffolds Rust and C++ projects; the Rust template is checked with
// a real cargo (`cargo metadata --no-deps --offline`, `cargo fmt --check`) for every combination
// of hooks and requirement kinds; names, directories and flags are validated.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "support.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

const std::vector<std::string> kHooks = {"vm-started",
                                         "vm-stopping",
                                         "distribution-started",
                                         "distribution-stopping",
                                         "distribution-registered",
                                         "distribution-unregistered"};
const std::vector<std::string> kMethods = {"on_vm_started",
                                           "on_vm_stopping",
                                           "on_distribution_started",
                                           "on_distribution_stopping",
                                           "on_distribution_registered",
                                           "on_distribution_unregistered"};

// Debian 12's Rust 1.96 (rustc-web, cargo-web, rustfmt-web, as scripts/setup installs it), with a
// PATH that leaves out ~/.cargo/bin: the suite never depends on a rustup toolchain.
const std::map<std::string, std::string> kDebianRust = {{"PATH", "/usr/bin:/bin"},
                                                        {"RUSTC", "/usr/bin/rustc"}};
constexpr const char* kCargo = "/usr/bin/cargo";
constexpr const char* kRustfmt = "/usr/bin/rustfmt";

json read_json(const wt::fs::path& p) { return json::parse(wt::read_text(p)); }

}  // namespace

TEST(NewRust, EveryHookAndRequirementCombinationPassesCargoChecks) {
  // Every combination of the six hooks (64) and five requirement kinds is rendered by the real
  // binary; then, at once for all 320: rustfmt --check on every src/lib.rs, one cargo metadata (the
  // Cargo.toml files differ only in the name), and one `cargo check` of a crate that has every
  // generated lib.rs as a module, against the stub crates (tests/fixtures/stubs) with warnings
  // denied, for x86_64-pc-windows-gnu with Debian's Rust 1.96.
  WSLPLUG_REQUIRE_TOOL(kCargo);
  WSLPLUG_REQUIRE_TOOL(kRustfmt);
  wt::TempDir tmp;
  // Requirement kinds: none, a version below the registration hooks' 2.1.2, a version above it,
  // one capability, and two capabilities (kebab-case and CamelCase spellings).
  struct Req {
    std::string flag;      // --require value ("" = not given)
    std::string attr_any;  // expected attribute arguments without registration hooks
  };
  const std::vector<Req> reqs = {
      {"", ""},
      {"2.0.5", "(2, 0, 5)"},
      {"2.4.4", "(2, 4, 4)"},
      {"distribution-flavor", "(WSLVersionCapability::DistributionFlavor)"},
      {"DistributionInitPid,ExecuteBinaryInDistribution",
       "(WSLVersionCapability::DistributionInitPid | "
       "WSLVersionCapability::ExecuteBinaryInDistribution)"},
  };
  std::vector<std::string> names;
  std::string first_toml;
  int n = 0;
  for (unsigned mask = 0; mask < 64; ++mask) {
    std::string hooks;
    for (unsigned i = 0; i < 6; ++i)
      if (mask & (1u << i)) hooks += (hooks.empty() ? "" : ",") + kHooks[i];
    const bool reg = mask & 16, unreg = mask & 32;
    for (const auto& req : reqs) {
      const std::string name = fmt::format("plug-{}-{}", mask, n++);
      const auto dir = tmp / name;
      std::vector<std::string> args = {"new", name, "--hooks", hooks.empty() ? "none" : hooks,
                                       "--no-ci"};
      if (!req.flag.empty()) args.insert(args.end(), {"--require", req.flag});
      auto r = wt::wslplug(args, {}, {}, tmp.path());
      ASSERT_EQ(r.rc, 0) << r.both();
      names.push_back(name);
      const std::string lib = wt::read_text(dir / "src/lib.rs");
      SCOPED_TRACE(fmt::format("hooks={} require={}\n{}", hooks, req.flag, lib));
      // One method per chosen hook, none for the others.
      for (unsigned i = 0; i < 6; ++i)
        EXPECT_EQ(lib.find("fn " + kMethods[i] + "(") != std::string::npos, bool(mask & (1u << i)))
            << kMethods[i];
      // The requirement, with the registration hooks' capabilities added.
      std::string expected = req.attr_any;
      if (reg || unreg) {
        if (req.flag.empty()) {
          std::string caps;
          if (reg) caps += "WSLVersionCapability::DistributionRegisteredHook";
          if (unreg)
            caps += std::string(caps.empty() ? "" : " | ") +
                    "WSLVersionCapability::DistributionUnregisteredHook";
          expected = "(" + caps + ")";
        } else if (req.flag == "2.0.5") {
          expected = "(2, 1, 2)";
        } else if (req.flag == "distribution-flavor") {
          // Sorted in the crate's capability order: registered/unregistered before flavor.
          expected = "(";
          if (reg) expected += "WSLVersionCapability::DistributionRegisteredHook | ";
          if (unreg) expected += "WSLVersionCapability::DistributionUnregisteredHook | ";
          expected += "WSLVersionCapability::DistributionFlavor)";
        } else if (req.flag.starts_with("DistributionInitPid")) {
          expected = "(WSLVersionCapability::DistributionInitPid | ";
          if (reg) expected += "WSLVersionCapability::DistributionRegisteredHook | ";
          if (unreg) expected += "WSLVersionCapability::DistributionUnregisteredHook | ";
          expected += "WSLVersionCapability::ExecuteBinaryInDistribution)";
        }
      }
      EXPECT_NE(lib.find("#[wsl_plugin_v1" + expected + "]\n"), std::string::npos) << expected;
      // WSLVersionCapability comes from the crate root (beta.4's prelude does not export it),
      // imported exactly when the attribute names a capability.
      EXPECT_EQ(lib.find("use wslplugins_rs::WSLVersionCapability;\n") != std::string::npos,
                expected.find("WSLVersionCapability::") != std::string::npos);
      // Cargo.toml: the same for every combination but the name.
      std::string toml = wt::read_text(dir / "Cargo.toml");
      const auto at = toml.find("name = \"" + name + "\"");
      ASSERT_NE(at, std::string::npos) << toml;
      toml.replace(at, name.size() + 9, "name = \"NAME\"");
      if (first_toml.empty()) first_toml = toml;
      EXPECT_EQ(toml, first_toml);
    }
  }
  ASSERT_EQ(names.size(), 320u);

  // cargo metadata on one project (the others' Cargo.toml are the same but for the name).
  auto meta = wt::run({kCargo, "metadata", "--no-deps", "--offline", "--format-version", "1"},
                      kDebianRust, {}, tmp / names.back());
  ASSERT_EQ(meta.rc, 0) << meta.both();
  auto doc = json::parse(meta.out);
  ASSERT_EQ(doc["packages"].size(), 1u);
  const auto& pkg = doc["packages"][0];
  EXPECT_EQ(pkg["name"], names.back());
  EXPECT_EQ(pkg["edition"], "2021");
  ASSERT_EQ(pkg["targets"].size(), 1u);
  EXPECT_EQ(pkg["targets"][0]["crate_types"], json::array({"cdylib"}));
  ASSERT_EQ(pkg["dependencies"].size(), 1u);
  EXPECT_EQ(pkg["dependencies"][0]["name"], "wslplugins-rs");
  EXPECT_EQ(pkg["dependencies"][0]["req"], "^0.1.0-beta.4");
  EXPECT_EQ(pkg["dependencies"][0]["features"], json::array({"macro"}));

  // rustfmt --check on all 320 files in one run.
  std::vector<std::string> fmt_args = {kRustfmt, "--check", "--edition", "2021"};
  for (const auto& name : names) fmt_args.push_back((tmp / name / "src/lib.rs").string());
  auto fmt_check = wt::run(fmt_args, kDebianRust);
  EXPECT_EQ(fmt_check.rc, 0) << fmt_check.both().substr(0, 4000);

  // One crate, every generated lib.rs a module of it, checked against the stubs.
  const auto all = tmp / "all-combinations";
  wt::fs::create_directories(all / "src");
  wt::write_text(all / "Cargo.toml",
                 fmt::format("[package]\nname = \"all-combinations\"\nversion = \"0.0.0\"\n"
                             "edition = \"2021\"\npublish = false\n[lib]\ncrate-type = "
                             "[\"cdylib\"]\n[dependencies]\nwslplugins-rs = {{ path = \"{}\", "
                             "features = [\"macro\"] }}\n",
                             (wt::source_dir() / "tests/fixtures/stubs/wslplugins-rs").string()));
  std::string root = "// Every `wslplug new` combination, one module each.\n";
  for (const auto& name : names) {
    std::string module = name;
    std::replace(module.begin(), module.end(), '-', '_');
    root +=
        fmt::format("#[path = \"{}\"]\nmod {};\n", (tmp / name / "src/lib.rs").string(), module);
  }
  wt::write_text(all / "src/lib.rs", root);
  auto env = kDebianRust;
  env["CARGO_HOME"] = (tmp / "cargo-home").string();
  env["RUSTFLAGS"] = "-D warnings";
  auto check = wt::run(
      {kCargo, "check", "--offline", "--target", "x86_64-pc-windows-gnu", "--message-format=short"},
      env, {}, all);
  EXPECT_EQ(check.rc, 0) << check.both().substr(0, 8000);
  // The check can fail: a capability the crate does not have is an error in its module.
  const auto broken = tmp / names.back() / "src/lib.rs";
  auto text = wt::read_text(broken);
  const auto cap = text.find("WSLVersionCapability::ExecuteBinaryInDistribution");
  ASSERT_NE(cap, std::string::npos);
  text.replace(cap + 22, std::string_view("ExecuteBinaryInDistribution").size(),
               "ExecuteInDistribution");
  wt::write_text(broken, text);
  auto bad = wt::run(
      {kCargo, "check", "--offline", "--target", "x86_64-pc-windows-gnu", "--message-format=short"},
      env, {}, all);
  EXPECT_NE(bad.rc, 0);
  EXPECT_NE(bad.both().find("ExecuteInDistribution"), std::string::npos) << bad.both();
}

TEST(NewRust, FmtCheckCatchesUnformattedCode) {
  // The negative control for the test above: cargo fmt --check does fail on bad formatting.
  const std::string cargo = kCargo;
  WSLPLUG_REQUIRE_TOOL(kRustfmt);
  wt::TempDir tmp;
  ASSERT_EQ(wt::wslplug({"new", "p"}, {}, {}, tmp.path()).rc, 0);
  auto lib = wt::read_text(tmp / "p/src/lib.rs");
  wt::write_text(tmp / "p/src/lib.rs", lib + "fn   badly_formatted( ){}\n");
  EXPECT_NE(wt::run({cargo, "fmt", "--check"}, kDebianRust, {}, tmp / "p").rc, 0);
}

TEST(NewRust, ProjectFilesAndManifest) {
  wt::TempDir tmp;
  auto r = wt::wslplug({"new", "my-plugin"}, {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  const auto dir = tmp / "my-plugin";
  for (const char* f : {"Cargo.toml", "src/lib.rs", ".cargo/config.toml", ".gitignore", "README.md",
                        "wslplug.json"})
    EXPECT_TRUE(wt::fs::is_regular_file(dir / f)) << f;
  const auto cargo_toml = wt::read_text(dir / "Cargo.toml");
  EXPECT_NE(cargo_toml.find("edition = \"2021\""), std::string::npos);
  EXPECT_NE(cargo_toml.find("strip = true"), std::string::npos);
  // Unwinding is kept: no `panic = ...` setting at all (the default is unwind).
  EXPECT_FALSE(std::regex_search(cargo_toml, std::regex("(^|\n)\\s*panic\\s*=")));
  EXPECT_NE(cargo_toml.find("[profile.release]"), std::string::npos);
  const auto config = wt::read_text(dir / ".cargo/config.toml");
  EXPECT_NE(config.find("[target.x86_64-pc-windows-gnu]\nlinker = \"x86_64-w64-mingw32-gcc\""),
            std::string::npos)
      << config;
  const auto gitignore = wt::read_text(dir / ".gitignore");
  for (const char* p : {"*.dll", "*.pem", "*.key", "*.pfx", "*.cer", "/.wslplug/", "/target/"})
    EXPECT_NE(gitignore.find(std::string(p) + "\n"), std::string::npos) << p;
  // Default hooks: the four base hooks, no requirement.
  const auto lib = wt::read_text(dir / "src/lib.rs");
  EXPECT_NE(lib.find("#[wsl_plugin_v1]\n"), std::string::npos);
  EXPECT_NE(lib.find("fn on_vm_started("), std::string::npos);
  EXPECT_EQ(lib.find("fn on_distribution_registered("), std::string::npos);
  EXPECT_NE(lib.find("const PLUGIN_NAME: &str = \"my-plugin\";"), std::string::npos);
  auto m = read_json(dir / "wslplug.json");
  EXPECT_EQ(m["schema"], 1);
  EXPECT_EQ(m["name"], "my-plugin");
  EXPECT_EQ(m["registry_name"], "my-plugin");
  EXPECT_EQ(m["language"], "rust");
  EXPECT_EQ(m["target"], "x86_64");
  EXPECT_EQ(m["paths"]["dll"], "my_plugin.dll");  // Cargo turns '-' into '_'
  EXPECT_EQ(m["paths"]["build_dir"], "target");
  EXPECT_EQ(m["paths"]["cert_dir"], ".wslplug");
  EXPECT_EQ(m["requires"], "");
  const auto readme = wt::read_text(dir / "README.md");
  for (const char* step : {"wslplug build", "wslplug run", "wslplug cert new", "wslplug sign",
                           "wslplug register", "wslplug doctor", "my_plugin.dll", "catch_unwind"})
    EXPECT_NE(readme.find(step), std::string::npos) << step;
  EXPECT_EQ(readme.find("{{"), std::string::npos);
  EXPECT_TRUE(wt::stray_temp_files(tmp.path()).empty());
}

// --json lists exactly the files on disk; --out-dir is the other commands' spelling of --dir
// (parents created); a refusal is a document with "ok": false.
TEST(NewJson, DocumentListsTheFilesWritten) {
  wt::TempDir tmp;
  auto r = wt::wslplug({"new", "jp", "--lang", "cpp", "--out-dir", "a/b/jp", "--json"}, {}, {},
                       tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_TRUE(doc.at("ok").get<bool>());
  EXPECT_EQ(doc.at("dir"), "a/b/jp");
  EXPECT_EQ(doc.at("language"), "cpp");
  EXPECT_EQ(doc.at("dll"), "jp.dll");
  EXPECT_TRUE(doc.at("ci").get<bool>());
  std::set<std::string> listed, on_disk;
  for (const auto& f : doc.at("files")) listed.insert(f.get<std::string>());
  // git init made the folder a repository (tmp is inside none): .git is git's, not listed.
  EXPECT_EQ(doc.at("vcs"), "created");
  EXPECT_TRUE(wt::fs::is_directory(tmp / "a/b/jp/.git"));
  for (auto it = wt::fs::recursive_directory_iterator(tmp / "a/b/jp");
       it != wt::fs::recursive_directory_iterator(); ++it) {
    if (it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file())
      on_disk.insert(wt::fs::relative(it->path(), tmp / "a/b/jp").generic_string());
  }
  EXPECT_EQ(listed, on_disk);
  EXPECT_TRUE(listed.count(".github/workflows/plugin.yml"));

  auto again = wt::wslplug({"new", "jp", "--dir", "a/b/jp", "--json"}, {}, {}, tmp.path());
  EXPECT_EQ(again.rc, 2) << again.both();
  auto bad = nlohmann::json::parse(again.out);
  EXPECT_FALSE(bad.at("ok").get<bool>());
  EXPECT_TRUE(bad.at("files").is_null());
  EXPECT_EQ(bad.at("error").at("kind"), "input");
}

TEST(NewCpp, ProjectFilesAndVersionChecks) {
  wt::TempDir tmp;
  auto r = wt::wslplug({"new", "cplug", "--lang", "cpp", "--hooks", "all", "--require", "2.1.3",
                        "--dir", (tmp / "sub").string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  const auto dir = tmp / "sub";
  for (const char* f : {"CMakeLists.txt", "cmake/mingw-w64-x86_64.cmake", "include/WslPluginApi.h",
                        "src/plugin.cpp", ".gitignore", "README.md", "wslplug.json"})
    EXPECT_TRUE(wt::fs::is_regular_file(dir / f)) << f;
  const auto cpp = wt::read_text(dir / "src/plugin.cpp");
  EXPECT_NE(cpp.find("extern \"C\" __declspec(dllexport) HRESULT WSLPLUGINAPI_ENTRYPOINTV1("),
            std::string::npos);
  EXPECT_NE(cpp.find("WSL_PLUGIN_REQUIRE_VERSION(2, 1, 3, api)"), std::string::npos);
  // The registration hooks are written only after a version check.
  const auto check = cpp.find("if (HostAtLeast(api->Version, 2, 1, 2))");
  const auto slot = cpp.find("hooks->OnDistributionRegistered =");
  ASSERT_NE(check, std::string::npos);
  ASSERT_NE(slot, std::string::npos);
  EXPECT_LT(check, slot);
  const auto header = wt::read_text(dir / "include/WslPluginApi.h");
  for (const char* name : {"struct WSLPluginAPIV1", "struct WSLPluginHooksV1", "WSLVersion",
                           "WslOfflineDistributionInformation", "WSLPLUGINAPI_ENTRYPOINTV1",
                           "WSL_E_PLUGIN_REQUIRES_UPDATE", "WSL_PLUGIN_REQUIRE_VERSION",
                           "WSLPluginAPI_EntryPointV1", "#include <windows.h>"})
    EXPECT_NE(header.find(name), std::string::npos) << name;
  const auto cmake = wt::read_text(dir / "CMakeLists.txt");
  EXPECT_NE(cmake.find("-static-libstdc++"), std::string::npos);
  EXPECT_NE(cmake.find("MultiThreaded"), std::string::npos);
  auto m = read_json(dir / "wslplug.json");
  EXPECT_EQ(m["language"], "cpp");
  EXPECT_EQ(m["paths"]["dll"], "cplug.dll");
  EXPECT_EQ(m["requires"], "2.1.3");
  // Without registration hooks there is no version-gated block.
  ASSERT_EQ(
      wt::wslplug({"new", "c2", "--lang", "cpp", "--hooks", "vm-started"}, {}, {}, tmp.path()).rc,
      0);
  const auto c2 = wt::read_text(tmp / "c2/src/plugin.cpp");
  EXPECT_EQ(c2.find("OnDistributionRegistered"), std::string::npos);
  EXPECT_EQ(c2.find("WSL_PLUGIN_REQUIRE_VERSION("), std::string::npos);
  EXPECT_NE(c2.find("hooks->OnVMStarted = &OnVMStarted;"), std::string::npos);
}

TEST(NewValidation, BadNamesAreRefusedAndNothingIsWritten) {
  wt::TempDir tmp;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bad/name", "path separator"},
      {"..", "'..'"},
      {"a..b", "'..'"},
      {"1plugin", "ASCII letter"},
      {"my plugin", "character ' '"},
      {"fn", "Rust keyword"},
      {"con", "reserved"},
      {"test", "reserved"},
      {std::string(65, 'a'), "65 characters"},
      {"caf\xc3\xa9", "character"},
      {"back\\slash", "path separator"}};
  for (const auto& [name, why] : cases) {
    auto r = wt::wslplug({"new", name}, {}, {}, tmp.path());
    EXPECT_EQ(r.rc, 2) << name << "\n" << r.both();
    EXPECT_NE(r.err.find(why), std::string::npos) << name << "\n" << r.err;
    EXPECT_NE(r.err.find("fix:"), std::string::npos) << r.err;
  }
  EXPECT_TRUE(wt::fs::is_empty(tmp.path()));
}

TEST(NewValidation, NonEmptyDirectoryNeedsForce) {
  wt::TempDir tmp;
  const auto dir = tmp / "p";
  wt::fs::create_directories(dir);
  wt::write_text(dir / "notes.txt", "keep me");
  wt::write_text(dir / "Cargo.toml", "old");
  auto r = wt::wslplug({"new", "p"}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("not empty"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(wt::read_text(dir / "Cargo.toml"), "old");
  EXPECT_FALSE(wt::fs::exists(dir / "src"));
  r = wt::wslplug({"new", "p", "--force"}, {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::read_text(dir / "notes.txt"), "keep me");
  EXPECT_NE(wt::read_text(dir / "Cargo.toml").find("name = \"p\""), std::string::npos);
  // An existing empty directory is fine without --force.
  wt::fs::create_directories(tmp / "empty");
  EXPECT_EQ(wt::wslplug({"new", "e", "--dir", (tmp / "empty").string()}).rc, 0);
  EXPECT_TRUE(wt::fs::exists(tmp / "empty/wslplug.json"));
  EXPECT_TRUE(wt::stray_temp_files(tmp.path()).empty());
}

TEST(NewValidation, BadFlagsAreUsageErrors) {
  wt::TempDir tmp;
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{"new", "p", "--hooks", "vm-started,vm-exploded"}, "unknown hook 'vm-exploded'"},
      {{"new", "p", "--require", "2.x"}, "not a WSL version"},
      {{"new", "p", "--require", "2.1.3.4"}, "not a WSL version"},
      {{"new", "p", "--require", "TimeTravel"}, "unknown capability 'TimeTravel'"},
      {{"new", "p", "--require", "WSLC"}, "2.9.0"},
      {{"new", "p", "--lang", "go"}, "unknown language 'go'"},
  };
  for (const auto& c : cases) {
    auto r = wt::wslplug(c.args, {}, {}, tmp.path());
    EXPECT_EQ(r.rc, 2) << r.both();
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
  }
  EXPECT_TRUE(wt::fs::is_empty(tmp.path()));
  // 2.1 means 2.1.0; hook names accept '_' and an "on-" prefix.
  auto r =
      wt::wslplug({"new", "p", "--require", "2.1", "--hooks", "on_vm_started"}, {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  const auto lib = wt::read_text(tmp / "p/src/lib.rs");
  EXPECT_NE(lib.find("#[wsl_plugin_v1(2, 1, 0)]"), std::string::npos);
  EXPECT_NE(lib.find("fn on_vm_started("), std::string::npos);
  EXPECT_EQ(lib.find("fn on_vm_stopping("), std::string::npos);
}

// --require 2.4 is 2.4.0 (as run --wsl-version reads it), and every report says 2.4.0.
TEST(NewValidation, MajorMinorRequirementIsReportedCanonically) {
  wt::TempDir tmp;
  auto r =
      wt::wslplug({"new", "p", "--require", "2.4", "--vcs", "none", "--json"}, {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  const auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  EXPECT_EQ(doc["requires_version"], "2.4.0") << r.out;
  const auto manifest = nlohmann::json::parse(wt::read_text(tmp / "p/wslplug.json"));
  EXPECT_EQ(manifest["requires"], "2.4.0");
  r = wt::wslplug({"new", "q", "--require", "2.4", "--vcs", "none"}, {}, {}, tmp.path());
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.err.find("requires WSL: 2.4.0"), std::string::npos) << r.err;
  // A version that is not one: the flag named, with examples of both forms.
  r = wt::wslplug({"new", "bad", "--require", "2.4."}, {}, {}, tmp.path());
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("--require"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--require 2.4)"), std::string::npos) << r.err;
  EXPECT_FALSE(wt::fs::exists(tmp / "bad"));
}

TEST(NewHelp, HasExamples) {
  auto r = wt::wslplug({"new", "--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("--hooks"), std::string::npos);
  EXPECT_NE(r.out.find("--require"), std::string::npos);
}
