#include "run_support.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <mutex>

namespace wslplug::test {

using nlohmann::json;

fs::path run_fixture(const std::string& file, const std::vector<std::string>& extra_flags) {
  const fs::path src = source_dir() / "tests/fixtures/run" / file;
  const std::string text = read_text(src);
  if (text.empty()) {
    ADD_FAILURE() << "fixture source missing: " << src;
    return {};
  }
  DllSpec spec;
  spec.cplusplus = src.extension() == ".cpp";
  // Name includes the digest of the source text: editing a fixture rebuilds it.
  const fs::path copy = fixture_dir() / fmt::format("{}.{}.src", file, getpid());
  // ... and of the extra flags (one source, several -D variants).
  std::string flags_text;
  for (const auto& f : extra_flags) flags_text += f + "\n";
  write_text(copy, text + flags_text);
  spec.name = fmt::format("run-{}-{}", src.stem().string(), sha256_file(copy).substr(0, 12));
  fs::remove(copy);
  spec.source = text;
  spec.flags = {"-I" + (source_dir() / "templates/cpp/include").string(),
                "-Wall",
                "-Wextra",
                "-Werror",
                "-static",
                "-lws2_32"};
  spec.flags.insert(spec.flags.end(), extra_flags.begin(), extra_flags.end());
  return build_dll(spec);
}

namespace {

// An flock held for the lifetime of the object (serialises work between test processes).
class FileLock {
 public:
  explicit FileLock(const fs::path& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT, 0644)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

}  // namespace

fs::path rust_panic_fixture() {
  const fs::path dir = fixture_dir() / "rust-panic";
  const fs::path out = dir / "target/x86_64-pc-windows-gnu/release/rust_panic_plugin.dll";
  FileLock lock(fixture_dir() / "rust-panic.lock");
  // The sources are copied when they differ, so an edited fixture is rebuilt by cargo.
  fs::create_directories(dir / "src");
  bool changed = false;
  for (const char* f : {"Cargo.toml", "src/lib.rs"}) {
    const fs::path from = source_dir() / "tests/fixtures/run/rust-panic" / f;
    if (read_text(from) == read_text(dir / f)) continue;
    write_text(dir / f, read_text(from));
    changed = true;
  }
  // Built before from the same sources: skip cargo (a second or more of startup).
  if (!changed && fs::exists(out)) return out;
  fs::create_directories(dir / "cargo-home");
  auto r = run(
      {"/usr/bin/cargo", "build", "--release", "--offline", "--target", "x86_64-pc-windows-gnu"},
      {{"RUSTC", "/usr/bin/rustc"}, {"CARGO_HOME", (dir / "cargo-home").string()}}, {}, dir);
  if (r.rc != 0 || !fs::exists(out)) {
    ADD_FAILURE() << "cargo build of the Rust panic fixture failed:\n" << r.both();
    return {};
  }
  return out;
}

std::map<std::string, std::string> run_env() {
  return {{"XDG_CACHE_HOME", (fixture_dir() / "xdg").string()},
          {"WINEDEBUG", "-all"},
          {"WSLPLUG_WINEPREFIX", ""},
          {"DISPLAY", ""}};
}

fs::path run_drive_c() { return fixture_dir() / "xdg/wslplug/wine/drive_c"; }

const json* RunReport::run(const std::string& version) const {
  if (!doc.contains("runs") || !doc["runs"].is_array()) return nullptr;
  for (const auto& r : doc["runs"])
    if (r.value("wsl_version", "") == version) return &r;
  return nullptr;
}

std::string RunReport::context() const {
  return fmt::format("exit code {}\n--- stderr\n{}\n--- stdout\n{}", result.rc, result.err,
                     doc.is_object() && !doc.empty() ? doc.dump(2) : result.out);
}

RunReport run_json(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const fs::path& cwd,
                   bool allow_unsigned) {
  std::vector<std::string> argv = {"run"};
  argv.insert(argv.end(), args.begin(), args.end());
  if (allow_unsigned) argv.push_back("--allow-unsigned");
  argv.push_back("--json");
  auto e = run_env();
  for (const auto& [k, v] : env) e[k] = v;
  RunReport report;
  report.result = wslplug(argv, e, {}, cwd);
  report.doc = json::parse(report.result.out, nullptr, false);
  if (report.doc.is_discarded() || !report.doc.is_object()) {
    ADD_FAILURE() << "stdout of wslplug run --json is not one JSON object:\n"
                  << report.result.out << "\n--- stderr\n"
                  << report.result.err;
    report.doc = json::object();
    return report;
  }
  // Every run document of the suite is also checked against docs/schema/run.json.
  if (auto v = validate_json("run", report.result.out); v.rc != 0)
    ADD_FAILURE() << "wslplug run --json breaks docs/schema/run.json:\n" << v.err;
  return report;
}

const json* find_event(const json& run, const std::string& hook,
                       const std::optional<std::string>& distribution) {
  if (!run.contains("events") || !run["events"].is_array()) return nullptr;
  for (const auto& e : run["events"]) {
    if (e.value("hook", "") != hook) continue;
    if (distribution && !(e["distribution"].is_string() && e["distribution"] == *distribution))
      continue;
    return &e;
  }
  return nullptr;
}

std::vector<json> api_calls(const json& run, const std::string& call) {
  std::vector<json> out;
  auto take = [&](const json& list) {
    if (!list.is_array()) return;
    for (const auto& c : list)
      if (c.value("call", "") == call) out.push_back(c);
  };
  if (run.contains("load") && run["load"].is_object() && run["load"].contains("api_calls"))
    take(run["load"]["api_calls"]);
  if (run.contains("events") && run["events"].is_array())
    for (const auto& e : run["events"])
      if (e.contains("api_calls")) take(e["api_calls"]);
  if (run.contains("late_api_calls")) take(run["late_api_calls"]);
  return out;
}

bool has_problem(const json& run, const std::string& id) {
  if (!run.contains("problems") || !run["problems"].is_array()) return false;
  for (const auto& p : run["problems"])
    if (p.value("id", "") == id) return true;
  return false;
}

std::vector<int> processes_mentioning(const std::string& needle) {
  std::vector<int> pids;
  const int self = getpid();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    const int pid = std::stoi(name);
    if (pid == self) continue;
    // A zombie has ended: it no longer runs anything.
    const std::string stat = read_text(entry.path() / "stat");
    const auto paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z') continue;
    std::string cmdline = read_text(entry.path() / "cmdline");
    for (char& c : cmdline)
      if (c == '\0') c = ' ';
    if (cmdline.find(needle) != std::string::npos ||
        read_text(entry.path() / "maps").find(needle) != std::string::npos)
      pids.push_back(pid);
  }
  return pids;
}

}  // namespace wslplug::test
