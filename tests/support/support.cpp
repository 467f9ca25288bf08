#include "support.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>

extern char** environ;

namespace wslplug::test {

RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
              std::string_view input, const fs::path& cwd) {
  RunResult r;
  int out[2], err[2], in[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(in, O_CLOEXEC)) return r;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // Feed stdin fully (inputs in tests are small), then read both outputs.
  std::size_t done = 0;
  while (done < input.size()) {
    ssize_t n = write(in[1], input.data() + done, input.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  close(in[1]);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

RunResult wslplug(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env, std::string_view input,
                  const fs::path& cwd) {
  std::vector<std::string> argv{wslplug_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, env, input, cwd);
}

RunResult sh(const std::string& command) { return run({"/bin/sh", "-c", command}); }

std::optional<std::vector<std::string>> subcommands_section(const std::string& help) {
  std::istringstream in(help);
  std::string line;
  while (std::getline(in, line) && !line.starts_with("Subcommands:")) {
  }
  if (!in) return std::nullopt;
  // One indented line per command, its name first; the section ends at the first other line.
  std::vector<std::string> names;
  while (std::getline(in, line) && !line.empty() && line[0] == ' ') {
    std::istringstream words(line);
    std::string name;
    if (words >> name) names.push_back(name);
  }
  return names;
}

std::vector<std::string> subcommands(const std::vector<std::string>& command) {
  std::vector<std::string> args = command;
  args.push_back("--help");
  const RunResult r = wslplug(args);
  std::string shown = "wslplug";
  for (const auto& a : args) shown += " " + a;
  if (r.rc != 0) {
    ADD_FAILURE() << shown << " exited " << r.rc << ":\n" << r.both();
    return {};
  }
  auto names = subcommands_section(r.out);
  if (!names) {
    ADD_FAILURE() << shown << " has no \"Subcommands:\" section:\n" << r.out;
    return {};
  }
  if (names->empty())
    ADD_FAILURE() << shown << " lists no command under \"Subcommands:\":\n" << r.out;
  return *names;
}

// WSLPLUG_TEST_BIN runs the suite against another build of the binary (e.g. one built with
// -DWSLPLUG_SANITIZE=ON); by default the one built beside the tests.
std::string wslplug_bin() {
  const char* other = std::getenv("WSLPLUG_TEST_BIN");
  return other != nullptr && *other != '\0' ? std::string(other) : std::string(WSLPLUG_BIN);
}
fs::path source_dir() { return WSLPLUG_SOURCE_DIR; }
fs::path fixture_dir() {
  fs::path d = WSLPLUG_FIXTURE_DIR;
  fs::create_directories(d);
  return d;
}

bool have_tool(const std::string& tool) {
  return run({"/bin/sh", "-c", "command -v '" + tool + "' >/dev/null 2>&1"}).rc == 0;
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "wslplug-test-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  path_ = mkdtemp(buf.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<std::byte> read_bytes(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::byte> v(s.size());
  std::memcpy(v.data(), s.data(), s.size());
  return v;
}

void write_bytes(const fs::path& path, const std::vector<std::byte>& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

std::string read_text(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_text(const fs::path& path, std::string_view text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
}

std::string sha256_file(const fs::path& path) {
  auto data = read_bytes(path);
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex;
  static const char* digits = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    hex.push_back(digits[md[i] >> 4]);
    hex.push_back(digits[md[i] & 15]);
  }
  return hex;
}

PefileChecksum pefile_checksum(const fs::path& path) {
  auto r = run({"/usr/bin/python3", "-c",
                "import pefile,sys; pe=pefile.PE(sys.argv[1], fast_load=True); "
                "print(pe.generate_checksum(), pe.OPTIONAL_HEADER.CheckSum)",
                path.string()});
  EXPECT_EQ(r.rc, 0) << "pefile failed on " << path << ": " << r.both();
  PefileChecksum c;
  std::sscanf(r.out.c_str(), "%u %u", &c.computed, &c.stored);
  return c;
}

std::vector<fs::path> stray_temp_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.size() > 4 && n[0] == '.' && n.ends_with(".tmp")) out.push_back(e.path());
  }
  return out;
}

std::string good_plugin_c_source() {
  return R"(#include <windows.h>
typedef struct WSLVersion { unsigned int Major, Minor, Revision; } WSLVersion;
__declspec(dllexport) HRESULT WSLPluginAPIV1_EntryPoint(const void* api, void* hooks) {
  (void)api; (void)hooks; return S_OK;
}
BOOL WINAPI DllMain(HINSTANCE h, DWORD r, LPVOID p) { (void)h; (void)r; (void)p; return TRUE; }
)";
}

namespace {

constexpr const char* kArm64Source =
    R"(__declspec(dllexport) long WSLPluginAPIV1_EntryPoint(const void* a, void* h) {
  (void)a; (void)h; return 0;
}
int __stdcall _DllMainCRTStartup(void* h, unsigned long r, void* p) { (void)h; (void)r; (void)p; return 1; }
)";

std::mutex g_build_mutex;

}  // namespace

fs::path build_dll(const DllSpec& spec) {
  std::lock_guard lock(g_build_mutex);
  const fs::path dir = fixture_dir();
  const fs::path out = dir / (spec.name + ".dll");
  if (fs::exists(out)) return out;

  std::random_device rd;
  const std::string tag = std::to_string(getpid()) + "-" + std::to_string(rd());
  const std::string ext = spec.cplusplus ? ".cpp" : ".c";
  const fs::path src = dir / (spec.name + "." + tag + ext);
  const fs::path tmp = dir / (spec.name + "." + tag + ".dll.part");
  std::string source = spec.source;
  if (source.empty()) source = spec.arch == Arch::kArm64 ? kArm64Source : good_plugin_c_source();
  write_text(src, source);

  std::vector<std::string> argv;
  if (spec.arch == Arch::kArm64) {
    const fs::path obj = dir / (spec.name + "." + tag + ".obj");
    auto cc = run({"clang", "--target=aarch64-pc-windows-msvc", "-O2", "-c", src.string(), "-o",
                   obj.string()});
    if (cc.rc != 0) {
      ADD_FAILURE() << "clang (ARM64) failed for fixture " << spec.name << ":\n" << cc.both();
      return {};
    }
    argv = {"lld-link",       "/dll",       "/nodefaultlib",       "/entry:_DllMainCRTStartup",
            "/machine:arm64", obj.string(), "/out:" + tmp.string()};
    argv.insert(argv.end(), spec.flags.begin(), spec.flags.end());
    auto ld = run(argv);
    fs::remove(obj);
    if (ld.rc != 0) {
      ADD_FAILURE() << "lld-link failed for fixture " << spec.name << ":\n" << ld.both();
      return {};
    }
  } else {
    const std::string triple = spec.arch == Arch::kX86 ? "i686-w64-mingw32" : "x86_64-w64-mingw32";
    argv = {triple + (spec.cplusplus ? "-g++" : "-gcc"),
            "-O2",
            "-s",
            "-shared",
            "-o",
            tmp.string(),
            src.string()};
    argv.insert(argv.end(), spec.flags.begin(), spec.flags.end());
    auto cc = run(argv);
    if (cc.rc != 0) {
      ADD_FAILURE() << "MinGW build failed for fixture " << spec.name << ":\n" << cc.both();
      return {};
    }
  }
  fs::remove(src);
  auto data = read_bytes(tmp);
  if (spec.odd_size && data.size() % 2 == 0) data.push_back(std::byte{0x5a});
  for (std::size_t i = 0; i < spec.overlay; ++i) data.push_back(std::byte((i * 31 + 7) & 0xff));
  write_bytes(tmp, data);
  fs::rename(tmp, out);
  return out;
}

fs::path copy_to(const fs::path& fixture, const fs::path& dir, const std::string& name) {
  const fs::path dest = dir / (name.empty() ? fixture.filename().string() : name);
  fs::copy_file(fixture, dest, fs::copy_options::overwrite_existing);
  fs::permissions(dest, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read);
  return dest;
}

std::map<std::string, std::string> wine_env() {
  const fs::path prefix = fixture_dir() / "wineprefix";
  return {{"WINEDEBUG", "-all"},
          {"WINEPREFIX", prefix.string()},
          {"WINEDLLOVERRIDES", "mscoree,mshtml="},
          {"DISPLAY", ""}};
}

namespace {

// An exclusive flock on <prefix>.lock for as long as it lives (released when the file is closed).
class PrefixLock {
 public:
  explicit PrefixLock(const fs::path& prefix) {
    const std::string lock = prefix.string() + ".lock";
    fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0)
      ADD_FAILURE() << "cannot lock " << lock << ": " << std::strerror(errno);
  }
  ~PrefixLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  PrefixLock(const PrefixLock&) = delete;
  PrefixLock& operator=(const PrefixLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

const RunResult& wine_warm_up() {
  // The first wine start without a running wineserver boots the prefix's services, which inherit
  // the stdout/stderr of the wine process that started them, so run() would wait until they exit
  // (80 s seen). Start a server that lingers 30 s after the last wine process and boot the
  // services with output to /dev/null; later calls reuse both. Once per test process; never
  // killed here, because other test processes may share it (it exits by itself).
  //
  // The prefix is shared by every test process of the build (a prefix of its own per process
  // would cost a full wineboot, 15-30 s and ~500 MB, in each of them). Using one prefix from
  // several processes is what wine supports: one wineserver per prefix serialises access. What
  // is not safe is two processes creating or booting the prefix at the same time, so that part
  // runs under an exclusive flock on <prefix>.lock, which parallel ctest processes wait for.
  static const RunResult result = [] {
    const fs::path prefix = fixture_dir() / "wineprefix";
    std::error_code ec;
    fs::create_directories(prefix.parent_path(), ec);
    PrefixLock lock(prefix);
    return run({"/bin/sh", "-c",
                "wineserver -p30 </dev/null >/dev/null 2>&1; "
                "wine reg query 'HKLM\\Software' </dev/null >/dev/null 2>&1"},
               wine_env());
  }();
  return result;
}

RunResult wine(const std::vector<std::string>& args, const fs::path& cwd) {
  wine_warm_up();
  std::vector<std::string> argv{"wine"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, wine_env(), {}, cwd);
}

}  // namespace wslplug::test

namespace wslplug::test {

RunResult validate_json(const std::string& name, std::string_view document) {
  return run({"/usr/bin/python3", (source_dir() / "tests/cli/validate_json.py").string(),
              (source_dir() / "docs/schema").string(), name},
             {}, document);
}

nlohmann::json stdout_json(const RunResult& r) {
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stdout is not JSON: " << e.what() << "\n" << r.both();
    return nlohmann::json();
  }
}

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> v(s.size());
  std::transform(s.begin(), s.end(), v.begin(), [](char c) { return std::byte(c); });
  return v;
}

}  // namespace wslplug::test
