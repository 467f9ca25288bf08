#include "wslplug/core/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "wslplug/core/fd.hpp"

extern char** environ;

namespace wslplug::process {

namespace {

bool is_executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

std::optional<fs::path> find_program(std::string_view name, const char* search_path) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    if (is_executable(fs::path(name))) return fs::path(name);
    return std::nullopt;
  }
  const char* path = search_path ? search_path : std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t pos = 0;
  while (pos <= dirs.size()) {
    auto colon = dirs.find(':', pos);
    if (colon == std::string_view::npos) colon = dirs.size();
    std::string_view dir = dirs.substr(pos, colon - pos);
    pos = colon + 1;
    const fs::path candidate = fs::path(dir.empty() ? "." : std::string(dir)) / std::string(name);
    if (is_executable(candidate)) return candidate;
  }
  return std::nullopt;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                                         "OPQRSTUVWXYZ0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

namespace {

// This process's environment with `set` added or replaced and `unset` removed ("NAME=value").
std::vector<std::string> inherited_environment(const std::map<std::string, std::string>& set,
                                               const std::vector<std::string>& unset) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    const std::string name(entry.substr(0, entry.find('=')));
    bool drop = set.contains(name);
    for (const auto& u : unset) drop |= u == name;
    if (!drop) env.emplace_back(entry);
  }
  for (const auto& [k, v] : set) env.push_back(k + "=" + v);
  return env;
}

}  // namespace

Result<Outcome> run(const std::vector<std::string>& argv, const Options& options) {
  if (argv.empty()) return internal_error("process::run: empty command");
  const auto program = find_program(argv[0]);
  if (!program)
    return io_error(
        fmt::format("program not found: {}", argv[0]), argv[0],
        argv[0].find('/') == std::string::npos ? "install it or add it to PATH" : "check the path");
  auto status_pipe = open_pipe();  // reports exec failure (errno) from the child; closed on exec
  if (!status_pipe) return std::unexpected(std::move(status_pipe.error()));
  Fd& status_r = status_pipe->read;
  Fd& status_w = status_pipe->write;
  Pipe out;
  if (options.capture_stdout) {
    auto out_pipe = open_pipe();
    if (!out_pipe) return std::unexpected(std::move(out_pipe.error()));
    out = std::move(*out_pipe);
  }
  std::vector<std::string> args = argv;
  args[0] = program->string();
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  // The child's environment, built here: between fork and exec only async-signal-safe calls.
  std::vector<std::string> env = inherited_environment(options.env, options.unset_env);
  std::vector<char*> cenv;
  for (auto& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) return io_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    const int target = options.output_fd;
    if (target != 2) ::dup2(target, 2);  // first: target may be 1, replaced just below
    if (options.capture_stdout) {
      ::dup2(out.write.get(), 1);
    } else if (target != 1) {
      ::dup2(target, 1);
    }
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) {
      const int err = errno;
      (void)!::write(status_w.get(), &err, sizeof err);
      ::_exit(127);
    }
    ::execve(cargv[0], cargv.data(), cenv.data());
    const int err = errno;
    (void)!::write(status_w.get(), &err, sizeof err);
    ::_exit(127);
  }
  status_w.reset();
  out.write.reset();
  Outcome outcome;
  if (options.capture_stdout) {
    char buf[65536];
    while (true) {
      const ssize_t n = ::read(out.read.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      outcome.captured.append(buf, static_cast<std::size_t>(n));
    }
  }
  int child_errno = 0;
  ssize_t got;
  do {
    got = ::read(status_r.get(), &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return io_error(fmt::format("waitpid: {}", std::strerror(errno)));
  }
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    if (!options.cwd.empty() && !fs::is_directory(options.cwd))
      return io_error(fmt::format("cannot enter directory: {}", std::strerror(child_errno)),
                      options.cwd.string());
    return io_error(fmt::format("cannot run {}: {}", argv[0], std::strerror(child_errno)),
                    program->string());
  }
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return outcome;
}

Result<Child> spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) return internal_error("process::spawn: empty command");
  const auto program =
      options.program.empty() ? find_program(argv[0]) : std::optional<fs::path>(options.program);
  if (!program) {
    if (options.exec_errno) *options.exec_errno = ENOENT;
    return io_error(
        fmt::format("program not found: {}", argv[0]), argv[0],
        argv[0].find('/') == std::string::npos ? "install it or add it to PATH" : "check the path");
  }
  auto status_pipe = open_pipe();  // the child's errno when it cannot start; closed by exec
  if (!status_pipe) return std::unexpected(std::move(status_pipe.error()));
  Fd& status_r = status_pipe->read;
  Fd& status_w = status_pipe->write;
  std::vector<std::string> args = argv;
  if (options.program.empty()) args[0] = program->string();
  const std::string program_text = program->string();
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> env = options.environment
                                     ? *options.environment
                                     : inherited_environment(options.env, options.unset_env);
  std::vector<char*> cenv;
  for (auto& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  // Every (child fd, source) pair, with /dev/null for unnamed standard streams; the highest child
  // fd bounds where sources are first moved to, so that no dup2 overwrites a source still needed.
  const Fd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd) return io_error(fmt::format("/dev/null: {}", std::strerror(errno)));
  std::vector<std::pair<int, int>> mapping;
  for (int std_fd = 0; std_fd < 3; ++std_fd)
    if (!options.fds.contains(std_fd)) mapping.emplace_back(std_fd, null_fd.get());
  for (const auto& [child_fd, source] : options.fds) mapping.emplace_back(child_fd, source);
  if (mapping.size() > 64) return internal_error("process::spawn: more than 64 descriptors");
  int highest = 2;
  for (const auto& [child_fd, source] : mapping) highest = std::max({highest, child_fd, source});

  const pid_t pid = ::fork();
  if (pid < 0) return io_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    auto fail = [&](int err) {
      (void)!::write(status_w.get(), &err, sizeof err);
      ::_exit(127);
    };
    if (options.new_session) ::setsid();
    int moved[64];
    const std::size_t count = mapping.size();
    for (std::size_t i = 0; i < count; ++i) {
      moved[i] = ::fcntl(mapping[i].second, F_DUPFD_CLOEXEC, highest + 1);
      if (moved[i] < 0) fail(errno);
    }
    for (std::size_t i = 0; i < count; ++i)
      if (::dup2(moved[i], mapping[i].first) < 0) fail(errno);
    // Everything else is closed at exec (the status pipe stays open until then).
    for (int fd = 0; fd <= highest; ++fd) {
      bool mapped = false;
      for (std::size_t i = 0; i < count; ++i) mapped |= mapping[i].first == fd;
      if (!mapped && fd != status_w.get()) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    ::close_range(static_cast<unsigned>(highest) + 1, ~0U, CLOSE_RANGE_CLOEXEC);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) fail(errno);
    ::execve(program_text.c_str(), cargv.data(), cenv.data());
    fail(errno);
  }
  status_w.reset();
  Child child;
  child.pid = pid;
  child.pidfd = Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  int child_errno = 0;
  ssize_t got;
  do {
    got = ::read(status_r.get(), &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (options.exec_errno) *options.exec_errno = child_errno;
    if (!options.cwd.empty() && !fs::is_directory(options.cwd))
      return io_error(fmt::format("cannot enter directory: {}", std::strerror(child_errno)),
                      options.cwd.string());
    return io_error(fmt::format("cannot run {}: {}", argv[0], std::strerror(child_errno)),
                    program->string());
  }
  if (!child.pidfd) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return io_error(fmt::format("pidfd_open: {}", std::strerror(errno)));
  }
  return child;
}

}  // namespace wslplug::process
