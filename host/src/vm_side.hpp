// The Linux side as the sandbox machine's VM (vm_side.cpp).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "linux_side.hpp"

namespace wslplug::host::sandbox {
class Machine;
}

namespace wslplug::host::driver {

struct VmSideOptions {
  bool network = true;
  // Distribution GUID -> its root file system folder (unpacked, on this machine, bound into the
  // machine); a distribution not named here gets a generated root.
  std::map<std::string, std::filesystem::path> rootfs;
};

std::unique_ptr<LinuxSide> vm_side(sandbox::Machine& machine, VmSideOptions options);

}  // namespace wslplug::host::driver
