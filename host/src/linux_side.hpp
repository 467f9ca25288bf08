// The Linux side of a run, as the plugin API reaches it: where ExecuteBinary, WSLCCreateProcess and
// ExecuteBinaryInDistribution processes run, where MountFolder mounts, what a distribution is.
// Two kinds: the VM of the sandbox (sandbox.hpp: a VM and distributions made of namespaces) and,
// with --no-sandbox, this machine itself (processes run as the user, nothing is mounted,
// distributions are the configured numbers).
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/host/run.hpp"

namespace wslplug::host::driver {

// A process the Linux side started. Dropping it does not end it (the side does, when the VM or
// the run ends).
class LinuxProcess {
 public:
  virtual ~LinuxProcess() = default;
  // Readable (POLLIN/POLLHUP) once the process ended.
  [[nodiscard]] virtual int exit_fd() const = 0;
  // After exit_fd is readable: exit code or 128 + signal; nullopt while it runs.
  virtual std::optional<int> status() = 0;
  // Ends it (SIGKILL) with what it started where the side can tell.
  virtual void kill() = 0;
};

struct SpawnRequest {
  std::string path;               // the program
  std::vector<std::string> argv;  // argv as the program gets it (argv[0] need not be `path`)
  std::vector<std::string> env;   // the whole environment
  std::string distribution;       // GUID of a running distribution; empty: the VM's root
  std::array<int, 3> stdio{-1, -1, -1};
};

// What a started distribution reports in WSLDistributionInformation.
struct DistributionFacts {
  std::uint32_t init_pid = 0;
  std::uint64_t pid_namespace = 0;
};

class LinuxSide {
 public:
  virtual ~LinuxSide() = default;
  // "vm" or "this-machine" (the report's linux_side).
  [[nodiscard]] virtual std::string_view kind() const = 0;
  virtual Status start_vm() = 0;
  virtual void stop_vm() = 0;
  // The errno of the exec when the program cannot run (ENOENT, EACCES, ENOEXEC, ...).
  virtual std::expected<std::unique_ptr<LinuxProcess>, int> spawn(const SpawnRequest& request) = 0;
  // `source` as the plugin host sees it on Linux (wine's mapping of the Windows folder). 0, or an
  // errno; ENOSYS: this side mounts nothing.
  virtual int mount(const std::string& source, const std::string& target, bool read_only) = 0;
  virtual int unmount(const std::string& target) = 0;
  virtual Result<DistributionFacts> start_distribution(const Distribution& distribution) = 0;
  virtual void stop_distribution(const Distribution& distribution) = 0;
};

// --no-sandbox: processes run on this machine as the user, in their own process group, in /;
// nothing is mounted; InitPid and PidNamespace are the configured numbers.
std::unique_ptr<LinuxSide> this_machine();

}  // namespace wslplug::host::driver
