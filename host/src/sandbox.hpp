// The sandbox of `wslplug run`: one "machine" per run, made of Linux namespaces by bubblewrap and
// kept by wslplug-sandbox (the agent, a small Linux program of this repository that runs inside).
// The machine holds the Windows side (wine, wineserver, the plugin host: the plugin's own view of
// the world) and, from OnVMStarted to OnVMStopping, the VM: its own user, mount, PID, IPC and UTS
// (and optionally network) namespaces with a tmpfs root, in which ExecuteBinary runs, MountFolder
// mounts, and distributions run as containers with their own mount and PID namespaces.
//
// Nothing of the caller's files is visible inside except what MachineOptions names. Every process
// of the machine ends with it (the destructor, the driver's death, or the agent's). The only way in
// is the control socket the driver inherits to the agent.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/core/fd.hpp"

namespace wslplug::host::sandbox {

namespace fs = std::filesystem;

// Paths inside the machine.
inline constexpr std::string_view kPrefixInside = "/run/wslplug/prefix";  // the wine prefix

struct Bind {
  fs::path host;    // a folder or file of this machine
  fs::path inside;  // where it appears in the machine (may be under kPrefixInside)
  bool writable = false;
};

struct MachineOptions {
  fs::path agent;  // wslplug-sandbox (path on this machine)
  fs::path bwrap;  // empty: `bwrap` on PATH
  // The persistent wine prefix, the read-only lower layer of an overlay mounted at kPrefixInside
  // (writes go to run_dir: the template is never modified). Empty: no prefix.
  fs::path prefix_template;
  // A private, empty folder of the run (mode 0700) for the overlays' upper and work folders.
  fs::path run_dir;
  std::vector<Bind> binds;
  int max_processes = 1024;  // RLIMIT_NPROC for every process of the machine
  bool no_exec = false;      // SpawnSpec::confined processes cannot execve anything more
};

struct SpawnSpec {
  std::string path = {};          // the program, absolute where the process runs; empty: argv[0]
  std::vector<std::string> argv;  // as the program gets it
  std::vector<std::string> env;   // the whole environment, "NAME=value"
  std::string cwd = "/";
  // The child's standard streams: fds of the driver, duplicated into the child; -1: /dev/null.
  std::array<int, 3> stdio{-1, -1, -1};
  // With MachineOptions::no_exec: this exec is the last one (seccomp refuses execve/execveat in
  // the process and its descendants; fork still works).
  bool confined = false;
};

// A process inside the machine. Move-only; dropping it does not kill the process (the machine
// does, when it stops).
class Process {
 public:
  Process() = default;
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  // Windows side: the pid in the machine's PID namespace; VM and distribution processes: the pid
  // in the VM's root PID namespace (as `ps` there shows it, and as init_pid is given).
  [[nodiscard]] pid_t pid() const { return pid_; }
  // Readable (poll POLLIN/POLLHUP) once the process has ended.
  [[nodiscard]] int exit_fd() const { return exit_fd_.get(); }
  // After exit_fd is readable: the exit code, or 128 + the signal; nullopt while it runs. When the
  // machine ended first: 128 + SIGKILL.
  std::optional<int> status();
  // Sends sig to the process (nothing once it has ended, or once its machine is gone).
  void kill(int sig);

 private:
  friend class Machine;
  struct Link;  // the machine's control channel, shared so that a Process may outlive its Machine
  std::shared_ptr<Link> link_;
  std::uint64_t id_ = 0;
  pid_t pid_ = -1;
  Fd exit_fd_;  // the agent's exit pipe of the process
  std::optional<int> status_;
};

struct DistributionSpec {
  std::string id;  // the driver's key (the distribution's GUID)
  // A root file system folder of this machine (an unpacked `wsl --export` / `docker export`, see
  // prepare_rootfs), used through an overlay so it is never modified; nullopt: a generated root
  // (this machine's /usr read-only, an /etc of its own). The folder must be inside the `host` of
  // one of MachineOptions::binds (read-only is enough): the machine sees nothing else.
  std::optional<fs::path> rootfs = std::nullopt;
  // Generated root only: the text of /etc/os-release; nullopt: no /etc/os-release.
  std::optional<std::string> os_release = std::nullopt;
};

struct DistributionState {
  std::uint32_t init_pid = 0;       // the distribution's init, as seen from the VM's root namespace
  std::uint64_t pid_namespace = 0;  // the inode of its PID namespace
};

struct VmOptions {
  bool network = true;  // false: a network namespace with loopback only
  std::string hostname = "wslplug-vm";
};

class Machine {
 public:
  // Starts bubblewrap with the agent. Errors (kIo) say what is missing: bwrap, user namespaces
  // (with the sysctl or AppArmor fix), the agent.
  static Result<std::unique_ptr<Machine>> start(const MachineOptions& options);
  ~Machine();  // every process of the machine (and of its VM) ends before this returns
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // A process of the Windows side (wineserver, the plugin host): in the machine, no capabilities.
  // The error value is the errno of the failed exec (ENOENT, EACCES, ENOEXEC...), EPIPE when the
  // machine is gone.
  std::expected<Process, int> spawn(const SpawnSpec& spec);

  // ---- the VM (at most one at a time)
  Status start_vm(const VmOptions& options);
  // Every process of the VM and of its distributions ends; mounts and distributions vanish.
  Status stop_vm();
  [[nodiscard]] bool vm_running() const;
  // As root in the VM's root namespace (distribution empty) or in a running distribution.
  std::expected<Process, int> spawn_in_vm(const SpawnSpec& spec,
                                          std::string_view distribution = {});
  // Binds `source` (a path as seen in the machine, such as one under kPrefixInside) at `target`
  // in the VM's root namespace, creating the target folder. 0 or an errno.
  int mount(const fs::path& source, const std::string& target, bool read_only);
  int unmount(const std::string& target);  // 0 or an errno (EINVAL: nothing mounted there)

  Result<DistributionState> start_distribution(const DistributionSpec& spec);
  Status stop_distribution(const std::string& id);  // its processes end; its root is discarded

 private:
  Machine() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  friend class Process;
};

// The agent wslplug-sandbox: $WSLPLUG_SANDBOX_AGENT, else beside the running binary, else
// <bin>/../libexec/wslplug/. The error names the build step or package that provides it.
Result<fs::path> find_agent();

// Unpacks a root file system tarball (`wsl --export`, `docker export`; gzip/xz/zstd or plain tar)
// once into cache_dir (keyed by the tarball's content), returning the folder; a folder is returned
// as is. Errors name the tarball and what tar said.
Result<fs::path> prepare_rootfs(const fs::path& tarball_or_dir, const fs::path& cache_dir);

}  // namespace wslplug::host::sandbox
