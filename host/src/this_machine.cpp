// --no-sandbox: the Linux side is this machine. Processes run as the user, in their own session
// and process group, in /, and end with the run; nothing is mounted.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "linux_side.hpp"
#include "wslplug/core/fd.hpp"
#include "wslplug/core/process.hpp"

namespace wslplug::host::driver {

namespace {

// One process and its process group; shared with the side so that stop_vm can end it.
class NativeProcess final : public LinuxProcess {
 public:
  NativeProcess(pid_t pid, Fd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  ~NativeProcess() override { kill(); }
  [[nodiscard]] int exit_fd() const override { return pidfd_.get(); }
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
  Fd pidfd_;
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
    process::SpawnOptions options;
    options.program = r.path;
    options.environment = r.env;
    options.cwd = "/";
    options.new_session = true;  // its own process group: ended with everything it started
    for (int i = 0; i < 3; ++i)
      if (r.stdio[static_cast<size_t>(i)] >= 0) options.fds[i] = r.stdio[static_cast<size_t>(i)];
    int exec_errno = 0;
    options.exec_errno = &exec_errno;
    auto child =
        process::spawn(r.argv.empty() ? std::vector<std::string>{r.path} : r.argv, options);
    if (!child) return std::unexpected(exec_errno ? exec_errno : EINVAL);
    auto p = std::make_shared<NativeProcess>(child->pid, std::move(child->pidfd));
    processes_.push_back(p);
    return std::make_unique<Handle>(p);
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
