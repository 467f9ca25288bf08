// The GitHub Actions workflow `wslplug new` writes (.github/workflows/plugin.yml, left out with
// --no-ci): valid YAML (Debian's python3-yaml), the steps in order (install, build, sign with a
// PKCS#12 and its password from repository secrets through the environment, timestamp, verify,
// run, upload the DLL and the .reg files), and every wslplug command line in it using commands
// and options the binary has.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "support.hpp"
#include "wslplug/core/version.hpp"

namespace wt = wslplug::test;
using nlohmann::json;

namespace {

// The workflow as JSON; YAML 1.1 reads the key `on` as true, which the script names back.
json load_yaml(const wt::fs::path& file) {
  const char* script = R"PY(
import json, sys, yaml
def keys(x):
    if isinstance(x, dict):
        return {("on" if k is True else str(k)): keys(v) for k, v in x.items()}
    if isinstance(x, list):
        return [keys(v) for v in x]
    return x
print(json.dumps(keys(yaml.safe_load(open(sys.argv[1])))))
)PY";
  auto r = wt::run({"/usr/bin/python3", "-c", script, file.string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  return wt::stdout_json(r);
}

// @action-validator/cli from the npm registry, installed by scripts/setup.
std::string action_validator() {
  const char* dir = std::getenv("WSLPLUG_NPM_TOOLS");
  return std::string(dir ? dir : "/var/cache/wslplug/npm-tools") +
         "/node_modules/.bin/action-validator";
}

// Validates a workflow file against GitHub's workflow schema; fails the test with its report.
void expect_valid_workflow(const wt::fs::path& file) {
  const auto validator = action_validator();
  ASSERT_TRUE(wt::fs::exists(validator)) << validator << " is missing: run scripts/setup";
  auto r = wt::run({validator, file.string()});
  EXPECT_EQ(r.rc, 0) << file << ":\n" << r.both();
}

json step_named(const json& steps, const std::string& name) {
  for (const auto& s : steps)
    if (s.value("name", "") == name) return s;
  ADD_FAILURE() << "no step named " << name;
  return json::object();
}

std::size_t index_of(const json& steps, const std::string& what) {
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].value("name", "") == what || steps[i].value("uses", "").starts_with(what))
      return i;
  ADD_FAILURE() << "no step " << what;
  return 0;
}

// Checks every `wslplug COMMAND ... --option` of a shell script against `wslplug COMMAND --help`.
void check_command_lines(const std::string& script) {
  const std::regex line_re(R"((?:^|[;&|]\s*|\s)wslplug\s+([a-z]+)((?:\s+new)?)([^\n]*))");
  int checked = 0;
  for (std::sregex_iterator it(script.begin(), script.end(), line_re), end; it != end; ++it) {
    std::vector<std::string> command = {(*it)[1].str()};
    if ((*it)[1] == "cert") command.push_back("new");
    std::vector<std::string> help_args = command;
    help_args.push_back("--help");
    auto help = wt::wslplug(help_args);
    ASSERT_EQ(help.rc, 0) << "wslplug " << command[0] << ": " << help.both();
    const std::string rest = (*it)[3].str();
    const std::regex opt_re(R"((^|\s)(--[a-z][a-z0-9-]*))");
    for (std::sregex_iterator o(rest.begin(), rest.end(), opt_re), oend; o != oend; ++o) {
      const std::string opt = (*o)[2].str();
      EXPECT_NE(help.out.find(opt), std::string::npos)
          << "wslplug " << command[0] << " has no " << opt;
      ++checked;
    }
  }
  (void)checked;
}

}  // namespace

class CiWorkflow : public ::testing::TestWithParam<std::string> {};

TEST_P(CiWorkflow, NewWritesAWorkflowThatBuildsSignsVerifiesRunsAndUploads) {
  const std::string lang = GetParam();
  wt::TempDir tmp;
  const auto dir = tmp / "ci-plugin";
  auto r = wt::wslplug({"new", "ci-plugin", "--lang", lang, "--dir", dir.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.err.find(".github/workflows/plugin.yml"), std::string::npos) << r.both();
  const auto file = dir / ".github/workflows/plugin.yml";
  ASSERT_TRUE(wt::fs::exists(file));
  const std::string text = wt::read_text(file);
  EXPECT_EQ(text.find("{{"), text.find("${{") + 1) << "unrendered template variable";

  expect_valid_workflow(file);
  const json doc = load_yaml(file);
  ASSERT_TRUE(doc.is_object()) << doc;
  for (const char* trigger : {"push", "pull_request", "workflow_dispatch"})
    EXPECT_TRUE(doc["on"].contains(trigger)) << trigger;
  EXPECT_EQ(doc["permissions"]["contents"], "read");
  const json job = doc["jobs"]["plugin"];
  ASSERT_TRUE(job.is_object()) << doc["jobs"];
  EXPECT_EQ(job["container"]["image"], "debian:bookworm");
  // `wslplug run`'s bubblewrap sandbox needs namespaces Docker's default profile refuses.
  EXPECT_EQ(job["container"]["options"], "--privileged");
  // The DLL the build makes, as `wslplug new` said.
  const std::string dll = lang == "rust" ? "target/x86_64-pc-windows-gnu/release/ci_plugin.dll"
                                         : "build/x86_64-release/ci-plugin.dll";
  EXPECT_EQ(job["env"]["DLL"], dll);
  const json steps = job["steps"];
  ASSERT_TRUE(steps.is_array());
  EXPECT_EQ(steps[0]["uses"], "actions/checkout@v4");

  // In order: wslplug (its action), the toolchain, build, sign, timestamp, verify, run, upload.
  const std::vector<std::size_t> order = {index_of(steps, "Install wslplug"),
                                          index_of(steps, "Install the toolchain"),
                                          index_of(steps, "Build"),
                                          index_of(steps, "Sign"),
                                          index_of(steps, "Timestamp"),
                                          index_of(steps, "Verify"),
                                          index_of(steps, "Run the plugin in the WSL plugin host"),
                                          index_of(steps, "actions/upload-artifact")};
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));

  // wslplug comes from wslplug's own action at this version's tag, with only inputs it declares;
  // the .deb variable is optional (nothing is downloaded from an unset URL).
  const json install = step_named(steps, "Install wslplug");
  const std::string uses = install.value("uses", "");
  EXPECT_TRUE(std::regex_match(uses, std::regex(R"([A-Za-z0-9-]+/wslplug@v(.+))")) &&
              uses.ends_with("@v" + std::string(wslplug::kVersion)))
      << uses;
  EXPECT_EQ(install["with"]["deb"], "${{ vars.WSLPLUG_DEB_URL }}");
  const json action = load_yaml(wt::source_dir() / "action.yml");
  for (const auto& [input, value] : install["with"].items())
    EXPECT_TRUE(action["inputs"].contains(input)) << "the action has no input " << input;
  EXPECT_EQ(text.find("curl -fsSL -o /tmp/wslplug.deb"), std::string::npos);

  const std::string install_run = step_named(steps, "Install the toolchain").value("run", "");
  EXPECT_NE(install_run.find(lang == "rust" ? "gcc-mingw-w64-x86-64" : "g++-mingw-w64-x86-64"),
            std::string::npos)
      << install_run;
  // Rust comes from rustup, pinned, with the Windows target; Debian's rustc (1.63) is too old.
  EXPECT_EQ(install_run.find("rustc"), std::string::npos) << install_run;
  if (lang == "rust") {
    const std::size_t rust_at =
        index_of(steps, "Install Rust 1.96.0 (rustup) with the Windows std");
    EXPECT_LT(rust_at, index_of(steps, "Build"));
    const std::string rust_run = steps[rust_at].value("run", "");
    EXPECT_NE(rust_run.find("--default-toolchain 1.96.0"), std::string::npos) << rust_run;
    EXPECT_NE(rust_run.find("rustup\" target add x86_64-pc-windows-gnu"), std::string::npos)
        << rust_run;
    const std::string fetch =
        step_named(steps, "Fetch the crates Cargo.lock pins").value("run", "");
    EXPECT_NE(fetch.find("cargo fetch --locked"), std::string::npos) << fetch;
    EXPECT_LT(index_of(steps, "Fetch the crates Cargo.lock pins"), index_of(steps, "Build"));
  } else {
    EXPECT_EQ(text.find("rustup"), std::string::npos);
  }

  // The certificate and its password come from secrets, through the environment only.
  const json sign = step_named(steps, "Sign");
  EXPECT_EQ(sign["env"]["WSLPLUG_PFX_BASE64"], "${{ secrets.WSLPLUG_PFX_BASE64 }}");
  EXPECT_EQ(sign["env"]["WSLPLUG_PFX_PASSWORD"], "${{ secrets.WSLPLUG_PFX_PASSWORD }}");
  const std::string sign_run = sign.value("run", "");
  EXPECT_NE(sign_run.find("wslplug sign \"$DLL\" --pfx \"$pfx\" --pfx-password-env "
                          "WSLPLUG_PFX_PASSWORD"),
            std::string::npos)
      << sign_run;
  for (const auto& s : steps)
    EXPECT_EQ(s.value("run", "").find("secrets."), std::string::npos)
        << "a secret interpolated into a script: " << s.value("name", "");

  EXPECT_NE(step_named(steps, "Timestamp").value("run", "").find("wslplug timestamp \"$DLL\""),
            std::string::npos);
  EXPECT_NE(step_named(steps, "Verify").value("run", "").find("wslplug verify \"$DLL\""),
            std::string::npos);
  EXPECT_NE(step_named(steps, "Run the plugin in the WSL plugin host")
                .value("run", "")
                .find("wslplug run \"$DLL\" --name ci-plugin"),
            std::string::npos);
  // The run's signature check trusts the root Verify trusts.
  EXPECT_NE(step_named(steps, "Run the plugin in the WSL plugin host")
                .value("run", "")
                .find("--ca \"$RUNNER_TEMP/signing/ca.pem\""),
            std::string::npos);
  EXPECT_NE(step_named(steps, "Build").value("run", "").find("--emit-reg"), std::string::npos);
  const json upload = steps[index_of(steps, "actions/upload-artifact")];
  const std::string paths = upload["with"].value("path", "");
  EXPECT_NE(paths.find("${{ env.DLL }}"), std::string::npos) << paths;
  EXPECT_NE(paths.find(".wslplug/*.reg"), std::string::npos) << paths;
  EXPECT_EQ(upload["with"]["if-no-files-found"], "error");

  // Every wslplug command line uses options that exist.
  for (const auto& s : steps) check_command_lines(s.value("run", ""));
}

INSTANTIATE_TEST_SUITE_P(Languages, CiWorkflow, ::testing::Values("cpp", "rust"));

// The project's own workflows (.github/workflows) are valid; the validator rejects a broken one.
TEST(ProjectWorkflows, ValidateAndSayWhatTheyProve) {
  int n = 0;
  for (const auto& e : wt::fs::directory_iterator(wt::source_dir() / ".github/workflows")) {
    if (e.path().extension() != ".yml") continue;
    SCOPED_TRACE(e.path().string());
    expect_valid_workflow(e.path());
    ++n;
  }
  EXPECT_GE(n, 1);
  const auto rust = wt::source_dir() / ".github/workflows/rust-plugins.yml";
  const std::string text = wt::read_text(rust);
  EXPECT_TRUE(text.starts_with("# ")) << "the header says what the workflow proves";
  EXPECT_NE(text.find("What it proves"), std::string::npos);
  const json doc = load_yaml(rust);
  const json job = doc["jobs"]["combinations"];
  EXPECT_EQ(job["container"]["image"], "debian:bookworm");
  // wslplug from this repository's own action, at the commit under test.
  EXPECT_EQ(job["steps"][index_of(job["steps"], "./")]["uses"], "./");
  // Every requirement kind of `wslplug new`, each job all 64 hook sets (the script loops them).
  EXPECT_EQ(job["strategy"]["matrix"]["requirement"].size(), 5u);
  std::string runs;
  for (const auto& s : job["steps"]) runs += s.value("run", "") + "\n";
  EXPECT_NE(runs.find("--default-toolchain stable"), std::string::npos) << runs;
  EXPECT_NE(runs.find("rustup\" target add x86_64-pc-windows-gnu"), std::string::npos) << runs;
  EXPECT_NE(runs.find("scripts/rust-plugin-matrix"), std::string::npos) << runs;
  EXPECT_TRUE(wt::fs::exists(wt::source_dir() / "scripts/rust-plugin-matrix"));
  auto syntax = wt::run({"bash", "-n", (wt::source_dir() / "scripts/rust-plugin-matrix").string()});
  EXPECT_EQ(syntax.rc, 0) << syntax.both();

  // Negative control: a job without steps is rejected.
  wt::TempDir tmp;
  wt::write_text(tmp / "bad.yml",
                 "name: bad\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n");
  auto bad = wt::run({action_validator(), (tmp / "bad.yml").string()});
  EXPECT_NE(bad.rc, 0) << bad.both();
}

TEST(CiWorkflowOptOut, NoCiLeavesTheWorkflowOut) {
  wt::TempDir tmp;
  const auto dir = tmp / "quiet";
  auto r = wt::wslplug({"new", "quiet", "--lang", "cpp", "--no-ci", "--dir", dir.string()});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_TRUE(wt::fs::exists(dir / "wslplug.json"));
  EXPECT_FALSE(wt::fs::exists(dir / ".github"));
  EXPECT_EQ(r.out.find("plugin.yml"), std::string::npos) << r.out;
}

// The Sign and Verify steps' scripts run as written, on a plugin DLL where the build puts it:
// with the repository secrets (a PKCS#12 and its password) and without them (a fork: a throwaway
// test certificate).
TEST(CiWorkflowSteps, SignAndVerifyWorkAsWrittenWithAndWithoutSecrets) {
  wt::TempDir tmp;
  const auto dir = tmp / "steps";
  ASSERT_EQ(wt::wslplug({"new", "steps", "--lang", "cpp", "--dir", dir.string()}).rc, 0);
  const json doc = load_yaml(dir / ".github/workflows/plugin.yml");
  const std::string dll = doc["jobs"]["plugin"]["env"]["DLL"];
  const json steps = doc["jobs"]["plugin"]["steps"];
  const auto fixture = wt::build_dll({.name = "ci_steps_plugin"});
  ASSERT_FALSE(fixture.empty());

  // A signing certificate as a user would keep it in the secrets.
  const auto certs = tmp / "user-cert";
  auto made = wt::wslplug({"cert", "new", "--out-dir", certs.string(), "--subject",
                           "CN=CI secret signer", "--pfx", "--pfx-password-env", "PFXPASS"},
                          {{"PFXPASS", "s3cret pass"}});
  ASSERT_EQ(made.rc, 0) << made.both();
  auto b64 = wt::run({"base64", "-w0", (certs / "cert.pfx").string()});
  ASSERT_EQ(b64.rc, 0);

  const std::string path =
      wt::fs::path(wt::wslplug_bin()).parent_path().string() + ":" + std::getenv("PATH");
  for (const bool with_secrets : {true, false}) {
    SCOPED_TRACE(with_secrets ? "with secrets" : "without secrets");
    wt::fs::create_directories((dir / dll).parent_path());
    wt::fs::copy_file(fixture, dir / dll, wt::fs::copy_options::overwrite_existing);
    const auto runner_temp = tmp / (with_secrets ? "rt1" : "rt2");
    wt::fs::create_directories(runner_temp);
    std::map<std::string, std::string> env = {
        {"PATH", path},
        {"RUNNER_TEMP", runner_temp.string()},
        {"DLL", dll},
        {"WSLPLUG_PFX_BASE64", with_secrets ? b64.out : ""},
        {"WSLPLUG_PFX_PASSWORD", with_secrets ? "s3cret pass" : ""},
        {"WSLPLUG_CA_PEM", with_secrets ? wt::read_text(certs / "cert.pem") : ""}};
    for (const char* name : {"Sign", "Verify"}) {
      const std::string script = step_named(steps, name).value("run", "");
      auto r = wt::run({"bash", "-e", "-c", script}, env, {}, dir);
      ASSERT_EQ(r.rc, 0) << name << ": " << r.both();
      if (std::string(name) == "Verify") {
        EXPECT_NE(r.out.find(": OK"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find(with_secrets ? "CN=CI secret signer" : "CN=steps CI test signing"),
                  std::string::npos)
            << r.out;
      }
    }
    // The PKCS#12 does not outlive the step.
    EXPECT_FALSE(wt::fs::exists(runner_temp / "signing/signing.pfx"));
  }
}

// ---- wslplug's own GitHub Action (action.yml, steps in scripts/action-install) ------------------

namespace {

wt::fs::path action_script() { return wt::source_dir() / "scripts/action-install"; }

// The outputs a step wrote to $GITHUB_OUTPUT (name=value lines).
std::map<std::string, std::string> outputs_of(const wt::fs::path& file) {
  std::map<std::string, std::string> out;
  std::istringstream in(wt::fs::exists(file) ? wt::read_text(file) : "");
  for (std::string line; std::getline(in, line);)
    if (auto eq = line.find('='); eq != std::string::npos)
      out[line.substr(0, eq)] = line.substr(eq + 1);
  return out;
}

// The lines `scripts/action-install WHAT` prints.
std::vector<std::string> script_list(const std::string& what) {
  auto r = wt::run({action_script().string(), what});
  EXPECT_EQ(r.rc, 0) << r.both();
  std::vector<std::string> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST(Action, IsAValidCompositeActionWhoseStepsRunItsScript) {
  const auto file = wt::source_dir() / "action.yml";
  ASSERT_TRUE(wt::fs::exists(file));
  expect_valid_workflow(file);  // the validator reads action.yml as an action
  const json doc = load_yaml(file);
  EXPECT_EQ(doc["runs"]["using"], "composite");
  for (const char* input : {"deb", "run"}) EXPECT_TRUE(doc["inputs"].contains(input)) << input;
  EXPECT_EQ(doc["inputs"]["deb"]["default"], "");
  for (const char* output : {"version", "path", "cache-hit"})
    EXPECT_TRUE(doc["outputs"].contains(output)) << output;
  const json steps = doc["runs"]["steps"];
  ASSERT_TRUE(steps.is_array());
  int scripts = 0;
  for (const auto& s : steps) {
    const std::string run = s.value("run", "");
    if (run.empty()) continue;
    // $GITHUB_ACTION_PATH: github.action_path names the host's path in a container job.
    EXPECT_NE(run.find("\"$GITHUB_ACTION_PATH/scripts/action-install\""), std::string::npos) << run;
    EXPECT_EQ(run.find("github.action_path"), std::string::npos) << run;
    EXPECT_EQ(s.value("shell", ""), "bash");
    ++scripts;
  }
  EXPECT_EQ(scripts, 2);
  // The build is cached under the key the script computes, only when building from source.
  const json cache = steps[index_of(steps, "actions/cache")];
  EXPECT_EQ(cache["with"]["key"], "${{ steps.key.outputs.key }}");
  EXPECT_EQ(cache["with"]["path"], "${{ steps.key.outputs.prefix }}");
  EXPECT_EQ(cache.value("if", ""), "steps.key.outputs.mode == 'source'");
  // The ref reaches the script through env (composite run scripts do not see it otherwise).
  EXPECT_EQ(steps[0]["env"]["ACTION_REF"], "${{ github.action_ref }}");
  auto syntax = wt::run({"bash", "-n", action_script().string()});
  EXPECT_EQ(syntax.rc, 0) << syntax.both();

  // Negative control: an action whose runs has no steps is rejected.
  wt::TempDir tmp;
  wt::write_text(tmp / "action.yml",
                 "name: bad\ndescription: bad\nruns:\n  using: composite\n  stepz: []\n");
  auto bad = wt::run({action_validator(), (tmp / "action.yml").string()});
  EXPECT_NE(bad.rc, 0) << bad.both();
}

// Building needs only what scripts/setup installs, and the key covers every folder the build reads.
TEST(Action, PackagesAndKeyInputsAgreeWithTheBuild) {
  const std::string setup = wt::read_text(wt::source_dir() / "scripts/setup");
  // The words of scripts/setup (package names hold regex metacharacters: g++-mingw-w64-...).
  std::set<std::string> words;
  {
    std::istringstream in(setup);
    for (std::string w; in >> w;) words.insert(w);
  }
  for (const auto& p : script_list("packages"))
    EXPECT_TRUE(words.contains(p)) << p << " is not in scripts/setup";
  const auto inputs = script_list("inputs");
  const std::string cmake = wt::read_text(wt::source_dir() / "CMakeLists.txt");
  const std::regex sub(R"(add_subdirectory\((\w+)\))");
  int folders = 0;
  for (std::sregex_iterator it(cmake.begin(), cmake.end(), sub), end; it != end; ++it) {
    const std::string folder = (*it)[1];
    if (folder == "tests" || folder == "fuzz") continue;
    EXPECT_NE(std::find(inputs.begin(), inputs.end(), folder), inputs.end()) << folder;
    ++folders;
  }
  EXPECT_GE(folders, 8);
  for (const auto& i : inputs) EXPECT_TRUE(wt::fs::exists(wt::source_dir() / i)) << i;
}

TEST(Action, KeyFollowsTheSourcesAndTheRef) {
  wt::TempDir tmp;
  const auto src = tmp / "src";
  wt::fs::create_directories(src / "cli");
  wt::fs::create_directories(src / "build");
  wt::write_text(src / "CMakeLists.txt", "project(x)\n");
  wt::write_text(src / "cli/main.cpp", "int main() {}\n");
  auto key = [&](const std::string& ref, const std::string& deb = {}) {
    const auto out = tmp / "output";
    wt::fs::remove(out);
    auto r = wt::run({action_script().string(), "key"}, {{"GITHUB_ACTION_PATH", src.string()},
                                                         {"GITHUB_OUTPUT", out.string()},
                                                         {"ACTION_REF", ref},
                                                         {"DEB", deb},
                                                         {"HOME", tmp.path().string()}});
    EXPECT_EQ(r.rc, 0) << r.both();
    return outputs_of(out);
  };
  const auto first = key("v1.2.3");
  EXPECT_EQ(first.at("mode"), "source");
  EXPECT_TRUE(std::regex_match(
      first.at("key"), std::regex(R"(wslplug-[a-z]+[0-9.]*-[a-z0-9_]+-v1\.2\.3-[0-9a-f]{16})")))
      << first.at("key");
  const std::string hash = first.at("key").substr(first.at("key").size() - 16);
  EXPECT_EQ(first.at("prefix"), (tmp / ".cache/wslplug-action" / hash).string());
  // Not an input of the build: same key. A changed source: another key. A branch name is
  // made a key word.
  wt::write_text(src / "build/CMakeCache.txt", "x");
  EXPECT_EQ(key("v1.2.3").at("key"), first.at("key"));
  wt::write_text(src / "cli/main.cpp", "int main() { return 0; }\n");
  const auto changed = key("v1.2.3");
  EXPECT_NE(changed.at("key"), first.at("key"));
  EXPECT_NE(changed.at("prefix"), first.at("prefix"));
  EXPECT_NE(key("feature/x").at("key").find("-feature_x-"), std::string::npos);
  EXPECT_NE(key("").at("key").find("-local-"), std::string::npos);
  // A .deb: nothing to build, nothing to cache.
  EXPECT_EQ(key("v1", "https://example.invalid/wslplug.deb").at("mode"), "deb");

  // Not wslplug's sources: an annotation that says so, and how to use the action.
  auto none = wt::run({action_script().string(), "key"},
                      {{"GITHUB_ACTION_PATH", (tmp / "src/cli").string()}});
  EXPECT_EQ(none.rc, 1);
  EXPECT_TRUE(none.out.starts_with("::error")) << none.both();
  EXPECT_NE(none.out.find("fix: "), std::string::npos) << none.both();
}

TEST(Action, ABadDebIsAnErrorAnnotationBeforeAnythingIsInstalled) {
  wt::TempDir tmp;
  wt::write_text(tmp / "not-a.deb", "hello");
  for (const std::string& deb : {(tmp / "missing.deb").string(), (tmp / "not-a.deb").string(),
                                 "file://" + (tmp / "missing.deb").string()}) {
    SCOPED_TRACE(deb);
    auto r =
        wt::run({action_script().string(), "install"}, {{"DEB", deb},
                                                        {"RUNNER_TEMP", tmp.path().string()},
                                                        {"GITHUB_OUTPUT", (tmp / "out").string()}});
    EXPECT_EQ(r.rc, 1) << r.both();
    EXPECT_TRUE(r.out.starts_with("::error title=wslplug action::")) << r.both();
    EXPECT_NE(r.out.find("(fix: "), std::string::npos) << r.both();
    EXPECT_EQ(outputs_of(tmp / "out").count("version"), 0u);
  }
}

// The action's build path as it runs on a runner: wslplug built from this source tree, installed
// into the prefix actions/cache keeps, on PATH for later steps; a second run with the prefix
// restored builds nothing. The build directory is kept among the test fixtures (incremental).
TEST(Action, BuildsFromItsOwnSourceInstallsOnPathAndReusesTheCache) {
  wt::TempDir tmp;
  const auto prefix = tmp / "prefix";
  const auto runner_temp = wt::fixture_dir() / "action";
  wt::fs::create_directories(runner_temp);
  std::map<std::string, std::string> env = {{"GITHUB_ACTION_PATH", wt::source_dir().string()},
                                            {"PREFIX", prefix.string()},
                                            {"RUNNER_TEMP", runner_temp.string()},
                                            {"GITHUB_OUTPUT", (tmp / "out1").string()},
                                            {"GITHUB_PATH", (tmp / "path").string()},
                                            {"WITH_RUN", "false"}};
  if (wt::have_tool("ccache")) {
    env["CMAKE_C_COMPILER_LAUNCHER"] = "ccache";
    env["CMAKE_CXX_COMPILER_LAUNCHER"] = "ccache";
  }
  auto built =
      wt::run({"flock", (runner_temp / "lock").string(), action_script().string(), "install"}, env);
  ASSERT_EQ(built.rc, 0) << built.both();
  auto out = outputs_of(tmp / "out1");
  EXPECT_EQ(out["cache-hit"], "false");
  EXPECT_EQ(out["version"].rfind("wslplug " + std::string(wslplug::kVersion) + " (", 0), 0u)
      << out["version"];
  EXPECT_EQ(out["path"], (prefix / "bin/wslplug").string());
  EXPECT_EQ(wt::read_text(tmp / "path"), (prefix / "bin").string() + "\n");
  // Everything `wslplug run` needs, where the binary looks for it.
  EXPECT_TRUE(wt::fs::exists(prefix / "libexec/wslplug/wslplug-host.exe"));
  EXPECT_TRUE(wt::fs::exists(prefix / "libexec/wslplug/wslplug-sandbox"));
  auto help = wt::run({(prefix / "bin/wslplug").string(), "new", "--help"});
  EXPECT_EQ(help.rc, 0) << help.both();

  env["GITHUB_OUTPUT"] = (tmp / "out2").string();
  auto cached = wt::run({action_script().string(), "install"}, env);
  ASSERT_EQ(cached.rc, 0) << cached.both();
  EXPECT_EQ(outputs_of(tmp / "out2")["cache-hit"], "true");
  EXPECT_NE(cached.out.find("from the cache"), std::string::npos) << cached.out;
  EXPECT_EQ(cached.out.find("building"), std::string::npos) << cached.out;
}
