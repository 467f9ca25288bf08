// The GitHub Actions workflow `wslplug new` writes (.github/workflows/plugin.yml, left out with
// --no-ci): valid YAML (Debian's python3-yaml), the steps in order (install, build, sign with a
// PKCS#12 and its password from repository secrets through the environment, timestamp, verify,
// run, upload the DLL and the .reg files), and every wslplug command line in it using commands
// and options the binary has.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "support.hpp"

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
  EXPECT_EQ(job["container"], "debian:bookworm");
  // The DLL the build makes, as `wslplug new` said.
  const std::string dll = lang == "rust" ? "target/x86_64-pc-windows-gnu/release/ci_plugin.dll"
                                         : "build/x86_64-release/ci-plugin.dll";
  EXPECT_EQ(job["env"]["DLL"], dll);
  const json steps = job["steps"];
  ASSERT_TRUE(steps.is_array());
  EXPECT_EQ(steps[0]["uses"], "actions/checkout@v4");

  // In order: install, build, sign, timestamp, verify, run, upload.
  const std::vector<std::size_t> order = {index_of(steps, "Install wslplug and the toolchain"),
                                          index_of(steps, "Build"),
                                          index_of(steps, "Sign"),
                                          index_of(steps, "Timestamp"),
                                          index_of(steps, "Verify"),
                                          index_of(steps, "Run the plugin in the WSL plugin host"),
                                          index_of(steps, "actions/upload-artifact")};
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));

  const json install = step_named(steps, "Install wslplug and the toolchain");
  const std::string install_run = install.value("run", "");
  EXPECT_NE(install_run.find("/tmp/wslplug.deb"), std::string::npos);
  EXPECT_NE(install_run.find("wine64"), std::string::npos);
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
  EXPECT_EQ(install["env"]["WSLPLUG_DEB_URL"], "${{ vars.WSLPLUG_DEB_URL }}");

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
  EXPECT_EQ(job["container"], "debian:bookworm");
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
