// --no-sandbox: the Linux side is this machine. Processes run as the user, in their own process
// group, in /, and end with the run; nothing is mounted.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "linux_side.hpp"

namespace wslplug::host::driver {

namespace {

// One process and its process group; shared with the side so that stop_vm can end it.
class NativeProcess final : public LinuxProcess {
 public:
  explicit NativeProcess(pid_t pid)
      : pid_(pid), pidfd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}
  ~NativeProcess() override {
    kill();
    if (pidfd_ >= 0) ::close(pidfd_);
  }
  [[nodiscard]] int exit_fd() const override { return pidfd_; }
  std::optional<int> status() override {
    if (!status_) reap(WNOHANG);
    return status_;
  }
  // Until it is reaped the pid (and so the process group id) cannot be reused.
  void kill() override {
    if (status_) return;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    reap(0);
  }

 private:
  void reap(int flags) {
    int st = 0;
    pid_t r;
    while ((r = ::waitpid(pid_, &st, flags)) < 0 && errno == EINTR) {
    }
    if (r == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  pid_t pid_;
  int pidfd_;
  std::optional<int> status_;
};

// The process handed to the driver: the shared one, ended by the side's stop_vm too.
class Handle final : public LinuxProcess {
 public:
  explicit Handle(std::shared_ptr<NativeProcess> p) : p_(std::move(p)) {}
  [[nodiscard]] int exit_fd() const override { return p_->exit_fd(); }
  std::optional<int> status() override { return p_->status(); }
  void kill() override { p_->kill(); }

 private:
  std::shared_ptr<NativeProcess> p_;
};

class ThisMachine final : public LinuxSide {
 public:
  [[nodiscard]] std::string_view kind() const override { return "this-machine"; }
  Status start_vm() override { return {}; }
  // Everything started "in the VM" ends with it, as in WSL.
  void stop_vm() override {
    for (auto& w : processes_)
      if (auto p = w.lock()) p->kill();
    processes_.clear();
  }
  std::expected<std::unique_ptr<LinuxProcess>, int> spawn(const SpawnRequest& r) override {
    // Everything the child needs is built before fork: after it, only async-signal-safe calls.
    std::string path = r.path;
    std::vector<std::string> argv_copy = r.argv, env_copy = r.env;
    std::vector<char*> argv, envp;
    for (auto& a : argv_copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_copy) envp.push_back(e.data());
    envp.push_back(nullptr);
    int status[2];
    if (path.empty() || ::pipe2(status, O_CLOEXEC) != 0) return std::unexpected(EINVAL);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      const int null = ::open("/dev/null", O_RDWR);
      for (int i = 0; i < 3; ++i)
        ::dup2(r.stdio[static_cast<size_t>(i)] >= 0 ? r.stdio[static_cast<size_t>(i)] : null, i);
      ::dup2(status[1], 3);
      ::close_range(4, ~0u, 0);
      ::fcntl(3, F_SETFD, FD_CLOEXEC);
      if (::chdir("/") != 0) {
      }
      ::execve(path.c_str(), argv.data(), envp.data());
      const int e = errno;
      if (::write(3, &e, sizeof e) < 0) {
      }
      ::_exit(127);
    }
    ::close(status[1]);
    if (pid < 0) {
      const int e = errno;
      ::close(status[0]);
      return std::unexpected(e);
    }
    ::setpgid(pid, pid);
    int child_errno = 0;
    ssize_t got;
    while ((got = ::read(status[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
    }
    ::close(status[0]);
    if (got > 0) {
      int st = 0;
      while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
      return std::unexpected(child_errno);
    }
    auto process = std::make_shared<NativeProcess>(pid);
    processes_.push_back(process);
    return std::make_unique<Handle>(process);
  }
  int mount(const std::string&, const std::string&, bool) override { return ENOSYS; }
  int unmount(const std::string&) override { return ENOSYS; }
  Result<DistributionFacts> start_distribution(const Distribution& d) override {
    return DistributionFacts{d.init_pid, d.pid_namespace};
  }
  void stop_distribution(const Distribution&) override {}

 private:
  std::vector<std::weak_ptr<NativeProcess>> processes_;
};

}  // namespace

std::unique_ptr<LinuxSide> this_machine() { return std::make_unique<ThisMachine>(); }

}  // namespace wslplug::host::driver
