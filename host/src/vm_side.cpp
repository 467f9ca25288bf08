// The Linux side as a VM: the sandbox machine's VM (sandbox.hpp), where ExecuteBinary and
// WSLCCreateProcess run as root in the VM's root namespace, MountFolder binds the Windows folder,
// and distributions are containers with their own root, mount and PID namespaces.
#include "vm_side.hpp"

#include <fmt/format.h>

#include <csignal>

#include "linux_side.hpp"
#include "sandbox.hpp"

namespace wslplug::host::driver {

namespace {

class VmProcess final : public LinuxProcess {
 public:
  explicit VmProcess(sandbox::Process p) : p_(std::move(p)) {}
  [[nodiscard]] int exit_fd() const override { return p_.exit_fd(); }
  std::optional<int> status() override { return p_.status(); }
  void kill() override { p_.kill(SIGKILL); }

 private:
  sandbox::Process p_;
};

// What init reports of a generated root's os-release: ID and VERSION_ID.
std::optional<std::string> os_release_of(const Distribution& d) {
  if (!d.flavor) return std::nullopt;
  std::string text = fmt::format("ID={}\n", *d.flavor);
  if (d.version) text += fmt::format("VERSION_ID=\"{}\"\n", *d.version);
  text += fmt::format("PRETTY_NAME=\"{}{}{}\"\n", *d.flavor, d.version ? " " : "",
                      d.version.value_or(""));
  return text;
}

class VmSide final : public LinuxSide {
 public:
  VmSide(sandbox::Machine& machine, VmSideOptions options)
      : machine_(machine), options_(std::move(options)) {}
  [[nodiscard]] std::string_view kind() const override { return "vm"; }
  Status start_vm() override {
    sandbox::VmOptions vm;
    vm.network = options_.network;
    return machine_.start_vm(vm);
  }
  void stop_vm() override {
    if (machine_.vm_running()) (void)machine_.stop_vm();
  }
  std::expected<std::unique_ptr<LinuxProcess>, int> spawn(const SpawnRequest& r) override {
    sandbox::SpawnSpec spec;
    spec.path = r.path;
    spec.argv = r.argv;
    spec.env = r.env;
    spec.stdio = r.stdio;
    auto p = machine_.spawn_in_vm(spec, r.distribution);
    if (!p) return std::unexpected(p.error() == ESRCH ? ENOENT : p.error());
    return std::make_unique<VmProcess>(std::move(*p));
  }
  int mount(const std::string& source, const std::string& target, bool read_only) override {
    return machine_.mount(source, target, read_only);
  }
  int unmount(const std::string& target) override { return machine_.unmount(target); }
  Result<DistributionFacts> start_distribution(const Distribution& d) override {
    sandbox::DistributionSpec spec;
    spec.id = d.guid;
    if (auto it = options_.rootfs.find(d.guid); it != options_.rootfs.end())
      spec.rootfs = it->second;
    else
      spec.os_release = os_release_of(d);
    auto state = machine_.start_distribution(spec);
    if (!state) return std::unexpected(state.error());
    return DistributionFacts{state->init_pid, state->pid_namespace};
  }
  void stop_distribution(const Distribution& d) override {
    (void)machine_.stop_distribution(d.guid);
  }

 private:
  sandbox::Machine& machine_;
  VmSideOptions options_;
};

}  // namespace

std::unique_ptr<LinuxSide> vm_side(sandbox::Machine& machine, VmSideOptions options) {
  return std::make_unique<VmSide>(machine, std::move(options));
}

}  // namespace wslplug::host::driver
