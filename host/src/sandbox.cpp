// The machine of `wslplug run`: bubblewrap with the agent wslplug-sandbox inside, driven over a
// SOCK_SEQPACKET control socket (protocol: host/agent/protocol.hpp; contents: docs/sandbox.md).
#include "sandbox.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "../agent/protocol.hpp"
#include "internal.hpp"
#include "wslplug/core/fd.hpp"
#include "wslplug/core/process.hpp"

namespace wslplug::host::sandbox {

namespace proto = wslplug::host::agent;

namespace {

constexpr std::string_view kRunInside = "/run/wslplug/run";
constexpr std::string_view kTemplateInside = "/run/wslplug/template";
constexpr std::string_view kStageInside = "/run/wslplug/stage";
constexpr std::string_view kAgentInside = "/run/wslplug/wslplug-sandbox";

// Files and folders of this machine's /etc the machine sees (read-only), when they exist: what
// the dynamic loader, name resolution, time zones, TLS, MIME types and fonts need. Never the whole
// /etc (no shadow, no keys, no user configuration); passwd and group are generated.
constexpr const char* kEtcAllowList[] = {
    "ld.so.cache",     "ld.so.conf",      "ld.so.conf.d", "nsswitch.conf",
    "host.conf",       "hosts",           "resolv.conf",  "gai.conf",
    "services",        "protocols",       "networks",     "timezone",
    "mime.types",      "alternatives",    "fonts",        "ssl/certs",
    "ssl/openssl.cnf", "ca-certificates", "locale.alias", "hostname",
    "os-release",      "debian_version",  "wine"};

bool is_prefix_of(const fs::path& base, const fs::path& p) {
  auto b = base.begin(), i = p.begin();
  for (; b != base.end(); ++b, ++i) {
    if (b->empty()) continue;  // a trailing separator
    if (i == p.end() || *i != *b) return false;
  }
  return true;
}

// Why user namespaces are refused, from the kernel's knobs ("" when none says so).
std::string userns_cause() {
  auto read_knob = [](const char* path) {
    std::ifstream in(path);
    std::string v;
    in >> v;
    return v;
  };
  if (read_knob("/proc/sys/kernel/unprivileged_userns_clone") == "0")
    return "kernel.unprivileged_userns_clone is 0";
  if (read_knob("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1")
    return "kernel.apparmor_restrict_unprivileged_userns is 1 (AppArmor restricts them)";
  if (read_knob("/proc/sys/user/max_user_namespaces") == "0")
    return "user.max_user_namespaces is 0";
  return {};
}

// A pipe whose read end yields `data` then end of file (bubblewrap's --ro-bind-data).
Result<Fd> data_pipe(std::string_view data) {
  auto p = open_pipe();
  if (!p) return std::unexpected(std::move(p.error()));
  if (data.size() > 60000) return internal_error("sandbox: --ro-bind-data content too large");
  if (::write(p->write.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size()))
    return io_error(fmt::format("pipe: {}", std::strerror(errno)));
  return std::move(p->read);
}

// As root, RLIMIT_NPROC bounds nothing (the kernel exempts the real root user): a pids cgroup of
// the run does, when the pids controller can be used (cgroup v1 "pids" hierarchy, or v2 with pids
// available in the current cgroup). Returns the folder ("" when not possible).
fs::path make_pids_cgroup(int max_processes) {
  std::ifstream self("/proc/self/cgroup");
  std::string line, v1_path, v2_path;
  while (std::getline(self, line)) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    std::istringstream list(controllers);
    for (std::string c; std::getline(list, c, ',');)
      if (c == "pids") v1_path = path;
    if (line.starts_with("0::")) v2_path = path;
  }
  static unsigned serial = 0;
  const std::string name = fmt::format("wslplug-sandbox-{}-{}", ::getpid(), ++serial);
  std::error_code ec;
  std::vector<fs::path> candidates;
  if (!v1_path.empty()) candidates.push_back(fs::path("/sys/fs/cgroup/pids") / v1_path.substr(1));
  if (!v2_path.empty() && fs::exists("/sys/fs/cgroup/cgroup.controllers", ec))
    candidates.push_back(fs::path("/sys/fs/cgroup") / v2_path.substr(1));
  for (const auto& parent : candidates) {
    const fs::path dir = parent / name;
    if (::mkdir(dir.c_str(), 0755) != 0) continue;
    std::ofstream max(dir / "pids.max");
    max << max_processes << std::flush;
    if (max) return dir;
    ::rmdir(dir.c_str());
  }
  return {};
}

}  // namespace

struct Process::Link {
  std::mutex mutex;
  Fd sock;
  bool closed = false;

  // One request and its reply; nullopt when the machine is gone.
  std::optional<proto::Message> request(const std::string& text, const std::vector<int>& fds = {}) {
    std::lock_guard lock(mutex);
    if (closed || !sock) return std::nullopt;
    if (proto::send_message(sock.get(), text, fds) != 0) return std::nullopt;
    auto reply = proto::receive_message(sock.get());
    if (!reply) closed = true;
    return reply;
  }
};

struct Machine::Impl {
  MachineOptions options;
  std::shared_ptr<Process::Link> link = std::make_shared<Process::Link>();
  process::Child bwrap;
  fs::path cgroup;
  bool vm = false;
  std::uint64_t next_id = 0;

  std::expected<Process, int> spawn(const SpawnSpec& spec, const std::string& where);
};

// ---- Process

Process::Process(Process&& o) noexcept = default;
Process& Process::operator=(Process&& o) noexcept = default;
Process::~Process() = default;

std::optional<int> Process::status() {
  if (status_ || !exit_fd_) return status_;
  int code = 0;
  const ssize_t n = ::read(exit_fd_.get(), &code, sizeof code);
  if (n == static_cast<ssize_t>(sizeof code)) {
    status_ = code;
  } else if (n == 0) {
    status_ = 128 + SIGKILL;  // the agent ended (and with it the process) before reporting
  }
  return status_;
}

void Process::kill(int sig) {
  if (!link_ || status()) return;
  link_->request(fmt::format("kill {} {}", id_, sig));
}

// ---- Machine

Result<fs::path> find_agent() {
  return find_companion(
      "wslplug-sandbox", "WSLPLUG_SANDBOX_AGENT",
      "the sandbox agent wslplug-sandbox is not installed",
      "build the target wslplug_sandbox (it is built with wslplug, beside it), reinstall wslplug, "
      "or set WSLPLUG_SANDBOX_AGENT to a built wslplug-sandbox");
}

Result<std::unique_ptr<Machine>> Machine::start(const MachineOptions& options) {
  const auto bwrap =
      process::find_program(options.bwrap.empty() ? "bwrap" : options.bwrap.string());
  if (!bwrap)
    return io_error("bubblewrap is not installed (wslplug run builds its sandbox with it)",
                    options.bwrap.string(), "apt-get install bubblewrap");
  std::error_code ec;
  if (options.agent.empty() || !fs::is_regular_file(options.agent, ec))
    return io_error("the sandbox agent wslplug-sandbox is missing", options.agent.string(),
                    "build the target wslplug_sandbox, or set WSLPLUG_SANDBOX_AGENT");
  if (options.run_dir.empty() || !options.run_dir.is_absolute())
    return internal_error("sandbox: run_dir must be an absolute folder");
  fs::create_directories(options.run_dir, ec);
  if (ec || ::chmod(options.run_dir.c_str(), 0700) != 0)
    return io_error(fmt::format("cannot create the run folder: {}", ec.message()),
                    options.run_dir.string());

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  std::vector<std::string> argv = {bwrap->string(),
                                   "--unshare-user",
                                   "--uid",
                                   "0",
                                   "--gid",
                                   "0",
                                   "--unshare-pid",
                                   "--unshare-ipc",
                                   "--unshare-uts",
                                   "--unshare-cgroup-try",
                                   "--die-with-parent",
                                   "--new-session",
                                   "--as-pid-1",
                                   "--clearenv",
                                   "--cap-add",
                                   "ALL",
                                   "--ro-bind",
                                   "/usr",
                                   "/usr"};
  for (const char* name : {"bin", "sbin", "lib", "lib32", "lib64", "libx32"}) {
    const fs::path p = fs::path("/") / name;
    if (fs::is_symlink(p, ec)) {
      argv.insert(argv.end(), {"--symlink", fs::read_symlink(p, ec).string(), p.string()});
    } else if (fs::is_directory(p, ec)) {
      argv.insert(argv.end(), {"--ro-bind", p.string(), p.string()});
    }
  }
  argv.insert(argv.end(), {"--dir", "/etc"});
  for (const char* name : kEtcAllowList) {
    const fs::path p = fs::path("/etc") / name;
    if (fs::is_symlink(p, ec) && std::string_view(name) != "resolv.conf") {
      argv.insert(argv.end(), {"--symlink", fs::read_symlink(p, ec).string(), p.string()});
    } else if (fs::exists(p, ec)) {
      argv.insert(argv.end(), {"--ro-bind", p.string(), p.string()});
    }
  }
  if (fs::is_symlink("/etc/localtime", ec))
    argv.insert(argv.end(),
                {"--symlink", fs::read_symlink("/etc/localtime", ec).string(), "/etc/localtime"});
  // Descriptors of bubblewrap: 3 the control socket (inherited by the agent), 4 and 5 the
  // generated passwd and group, 6 the pids cgroup (as root).
  process::SpawnOptions spawn;
  spawn.environment = std::vector<std::string>{};
  spawn.new_session = true;
  auto passwd =
      data_pipe("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
  auto group = data_pipe("root:x:0:\nnogroup:x:65534:\n");
  if (!passwd) return std::unexpected(passwd.error());
  if (!group) return std::unexpected(group.error());
  spawn.fds[4] = passwd->get();
  spawn.fds[5] = group->get();
  argv.insert(argv.end(), {"--perms", "0644", "--ro-bind-data", "4", "/etc/passwd", "--perms",
                           "0644", "--ro-bind-data", "5", "/etc/group"});
  argv.insert(argv.end(),
              {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run", "--dir",
               "/run/wslplug", "--bind", options.run_dir.string(), std::string(kRunInside)});
  std::vector<std::string> agent_args = {std::string(kAgentInside),
                                         "--control",
                                         "3",
                                         "--run",
                                         std::string(kRunInside),
                                         "--max-processes",
                                         std::to_string(options.max_processes)};
  if (options.no_exec) agent_args.push_back("--no-exec");
  if (!options.prefix_template.empty()) {
    if (!fs::is_directory(options.prefix_template, ec))
      return io_error("the wine prefix template is not a folder", options.prefix_template.string());
    argv.insert(argv.end(),
                {"--ro-bind", options.prefix_template.string(), std::string(kTemplateInside)});
    agent_args.insert(agent_args.end(), {"--prefix-lower", std::string(kTemplateInside)});
  }
  int stage = 0;
  for (const auto& b : options.binds) {
    if (!fs::exists(b.host, ec))
      return io_error("a folder or file to show in the sandbox does not exist", b.host.string());
    if (!b.inside.is_absolute())
      return internal_error("sandbox: a bind's inside path must be absolute: " + b.inside.string());
    const std::string how = b.writable ? "--bind" : "--ro-bind";
    if (!options.prefix_template.empty() && is_prefix_of(fs::path(kPrefixInside), b.inside)) {
      const std::string staging = fmt::format("{}/{}", kStageInside, stage++);
      argv.insert(argv.end(), {how, b.host.string(), staging});
      agent_args.insert(agent_args.end(),
                        {"--prefix-bind", staging, b.inside.string(), b.writable ? "1" : "0"});
    } else {
      argv.insert(argv.end(), {how, b.host.string(), b.inside.string()});
    }
  }
  argv.insert(argv.end(), {"--ro-bind", options.agent.string(), std::string(kAgentInside),
                           "--chdir", "/", "--"});
  if (::geteuid() == 0) impl->cgroup = make_pids_cgroup(options.max_processes);
  Fd cgroup_procs;
  if (!impl->cgroup.empty()) {
    cgroup_procs = Fd(::open((impl->cgroup / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
    if (cgroup_procs) {
      spawn.fds[6] = cgroup_procs.get();
      agent_args.insert(agent_args.end(), {"--pids-cgroup", "6"});
    }
  }
  argv.insert(argv.end(), agent_args.begin(), agent_args.end());

  auto pair = open_socketpair(SOCK_SEQPACKET);
  if (!pair) return std::unexpected(std::move(pair.error()));
  impl->link->sock = std::move(pair->first);
  Fd agent_end = std::move(pair->second);
  const int buffer = static_cast<int>(proto::kMaxMessage * 2);
  ::setsockopt(impl->link->sock.get(), SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  auto err_pipe = open_pipe();
  if (!err_pipe) return std::unexpected(std::move(err_pipe.error()));
  Fd& err_r = err_pipe->read;
  Fd& err_w = err_pipe->write;
  spawn.fds[2] = err_w.get();
  spawn.fds[3] = agent_end.get();
  auto child = process::spawn(argv, spawn);
  err_w.reset();
  agent_end.reset();
  passwd->reset();
  group->reset();
  cgroup_procs.reset();
  if (!child) {
    if (!impl->cgroup.empty()) ::rmdir(impl->cgroup.c_str());
    return std::unexpected(child.error());
  }
  impl->bwrap = std::move(*child);

  // Until "ready": bubblewrap's own messages explain a failure.
  pollfd wait_ready{impl->link->sock.get(), POLLIN, 0};
  const int polled = ::poll(&wait_ready, 1, 20000);
  std::optional<proto::Message> first;
  if (polled > 0) first = proto::receive_message(impl->link->sock.get());
  if (!first || first->text != "ready") {
    ::kill(impl->bwrap.pid, SIGKILL);
    int status = 0;
    ::waitpid(impl->bwrap.pid, &status, 0);
    std::string stderr_text;
    char buf[4096];
    ::fcntl(err_r.get(), F_SETFL, O_NONBLOCK);
    for (ssize_t n; (n = ::read(err_r.get(), buf, sizeof buf)) > 0;)
      stderr_text.append(buf, static_cast<std::size_t>(n));
    while (!stderr_text.empty() && stderr_text.back() == '\n') stderr_text.pop_back();
    if (!impl->cgroup.empty()) ::rmdir(impl->cgroup.c_str());
    if (first && first->text.starts_with("fail ")) {
      const auto t = proto::split(first->text);
      return io_error("the sandbox agent could not set up the machine: " +
                          proto::decode(t.size() > 1 ? t[1] : "~").value_or("?"),
                      options.agent.string());
    }
    const bool userns = stderr_text.find("namespace") != std::string::npos ||
                        stderr_text.find("uid map") != std::string::npos ||
                        stderr_text.find("Operation not permitted") != std::string::npos;
    if (userns) {
      const std::string cause = userns_cause();
      return io_error(
          fmt::format("user namespaces are refused on this machine{}, and wslplug run's sandbox "
                      "is made of them (bubblewrap said: {})",
                      cause.empty() ? "" : " (" + cause + ")", stderr_text),
          bwrap->string(),
          "allow unprivileged user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 "
          "(Debian before 11), or on Ubuntu 24.04 and later sysctl -w "
          "kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap "
          "granting `userns`; or run without the sandbox: wslplug run --no-sandbox");
    }
    return io_error(fmt::format("the sandbox did not start{}",
                                stderr_text.empty() ? std::string(polled == 0 ? " (timeout)" : "")
                                                    : ": " + stderr_text),
                    bwrap->string(), "check that bubblewrap works: bwrap --ro-bind / / true");
  }
  std::unique_ptr<Machine> machine(new Machine());
  machine->impl_ = std::move(impl);
  return machine;
}

Machine::~Machine() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->link->mutex);
    impl_->link->closed = true;
    impl_->link->sock.reset();  // the agent sees end of file and ends, with every process in it
  }
  if (impl_->bwrap.pid > 0) {
    pollfd done{impl_->bwrap.pidfd.get(), POLLIN, 0};
    if (::poll(&done, 1, 5000) <= 0) ::kill(impl_->bwrap.pid, SIGKILL);
    while (::waitpid(impl_->bwrap.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  if (!impl_->cgroup.empty()) {
    // The cgroup empties as the kernel finishes tearing the PID namespace down.
    for (int i = 0; i < 100 && ::rmdir(impl_->cgroup.c_str()) != 0 && errno == EBUSY; ++i)
      ::usleep(10000);
  }
}

std::expected<Process, int> Machine::Impl::spawn(const SpawnSpec& spec, const std::string& where) {
  if (spec.argv.empty()) return std::unexpected(EINVAL);
  const std::uint64_t id = ++next_id;
  std::string text = fmt::format(
      "spawn {} {} {} {} {} {}", id, where, spec.confined ? 1 : 0, proto::encode(spec.cwd),
      proto::encode(spec.path.empty() ? spec.argv[0] : spec.path), spec.argv.size());
  for (const auto& a : spec.argv) text += " " + proto::encode(a);
  text += " " + std::to_string(spec.env.size());
  for (const auto& e : spec.env) text += " " + proto::encode(e);
  unsigned mask = 0;
  std::vector<int> fds;
  for (int k = 0; k < 3; ++k) {
    if (spec.stdio[k] >= 0) {
      mask |= 1U << k;
      fds.push_back(spec.stdio[k]);
    }
  }
  text += " " + std::to_string(mask);
  if (text.size() > proto::kMaxMessage) return std::unexpected(E2BIG);
  auto reply = link->request(text, fds);
  if (!reply) return std::unexpected(EPIPE);
  const auto t = proto::split(reply->text);
  if (t.size() == 2 && t[0] == "ok" && reply->fds.size() == 1) {
    Process p;
    p.link_ = link;
    p.id_ = id;
    p.pid_ = static_cast<pid_t>(std::atol(std::string(t[1]).c_str()));
    p.exit_fd_ = std::move(reply->fds[0]);
    ::fcntl(p.exit_fd_.get(), F_SETFL, O_NONBLOCK);
    return p;
  }
  if (t.size() >= 2 && t[0] == "err") return std::unexpected(std::atoi(std::string(t[1]).c_str()));
  return std::unexpected(EPROTO);
}

std::expected<Process, int> Machine::spawn(const SpawnSpec& spec) {
  return impl_->spawn(spec, "machine");
}

std::expected<Process, int> Machine::spawn_in_vm(const SpawnSpec& spec,
                                                 std::string_view distribution) {
  return impl_->spawn(spec, distribution.empty() ? std::string("vm") : proto::encode(distribution));
}

Status Machine::start_vm(const VmOptions& options) {
  auto reply = impl_->link->request(
      fmt::format("vm-start {} {}", options.network ? 1 : 0, proto::encode(options.hostname)));
  if (!reply) return io_error("the sandbox is gone (its agent ended)");
  const auto t = proto::split(reply->text);
  if (!t.empty() && t[0] == "ok") {
    impl_->vm = true;
    return {};
  }
  const std::string what = t.size() >= 3 ? proto::decode(t[2]).value_or("") : "";
  return io_error("the sandbox could not start the VM: " + (what.empty() ? reply->text : what));
}

Status Machine::stop_vm() {
  if (!impl_->vm) return {};
  auto reply = impl_->link->request("vm-stop");
  impl_->vm = false;
  if (!reply) return io_error("the sandbox is gone (its agent ended)");
  return {};
}

bool Machine::vm_running() const { return impl_->vm; }

int Machine::mount(const fs::path& source, const std::string& target, bool read_only) {
  if (target.empty() || target[0] != '/') return EINVAL;
  auto reply = impl_->link->request(fmt::format("mount {} {} {}", proto::encode(source.string()),
                                                proto::encode(target), read_only ? 1 : 0));
  if (!reply) return EPIPE;
  const auto t = proto::split(reply->text);
  if (!t.empty() && t[0] == "ok") return 0;
  return t.size() >= 2 ? std::atoi(std::string(t[1]).c_str()) : EPROTO;
}

int Machine::unmount(const std::string& target) {
  if (target.empty() || target[0] != '/') return EINVAL;
  auto reply = impl_->link->request("unmount " + proto::encode(target));
  if (!reply) return EPIPE;
  const auto t = proto::split(reply->text);
  if (!t.empty() && t[0] == "ok") return 0;
  return t.size() >= 2 ? std::atoi(std::string(t[1]).c_str()) : EPROTO;
}

Result<DistributionState> Machine::start_distribution(const DistributionSpec& spec) {
  std::optional<std::string> rootfs_inside;
  if (spec.rootfs) {
    const fs::path host = fs::absolute(*spec.rootfs).lexically_normal();
    for (const auto& b : impl_->options.binds) {
      const fs::path base = fs::absolute(b.host).lexically_normal();
      if (is_prefix_of(base, host)) {
        const fs::path rel = host.lexically_relative(base);
        rootfs_inside = (rel == "." ? b.inside : b.inside / rel).lexically_normal().string();
        break;
      }
    }
    if (!rootfs_inside)
      return input_error("the root file system folder is not visible in the sandbox",
                         spec.rootfs->string(), {},
                         "add it (or a folder above it) to MachineOptions::binds");
  }
  auto reply = impl_->link->request(fmt::format("dist-start {} {} {}", proto::encode(spec.id),
                                                proto::encode_optional(rootfs_inside),
                                                proto::encode_optional(spec.os_release)));
  if (!reply) return io_error("the sandbox is gone (its agent ended)");
  const auto t = proto::split(reply->text);
  if (t.size() == 3 && t[0] == "ok") {
    DistributionState state;
    state.init_pid = static_cast<std::uint32_t>(std::stoul(std::string(t[1])));
    state.pid_namespace = std::stoull(std::string(t[2]));
    return state;
  }
  const std::string what = t.size() >= 3 ? proto::decode(t[2]).value_or("") : "";
  // EAGAIN: the machine's process limit (every process of the run counts).
  const bool limit = t.size() >= 2 && t[0] == "err" && t[1] == std::to_string(EAGAIN);
  return std::unexpected(Error{ErrorKind::kIo,
                               fmt::format("the sandbox could not start the distribution {}: {}",
                                           spec.id, what.empty() ? reply->text : what),
                               spec.rootfs ? spec.rootfs->string() : std::string(),
                               limit ? "EAGAIN" : "",
                               {}});
}

Status Machine::stop_distribution(const std::string& id) {
  auto reply = impl_->link->request("dist-stop " + proto::encode(id));
  if (!reply) return io_error("the sandbox is gone (its agent ended)");
  if (reply->text != "ok")
    return io_error(fmt::format("the distribution {} is not running in the sandbox", id));
  return {};
}

// ---- root file systems

namespace {

Result<std::string> sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(fmt::format("cannot read: {}", std::strerror(errno)), path.string());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return internal_error("sha256: OpenSSL failed");
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0)
      EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return io_error("read error", path.string());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  std::string hex;
  for (unsigned i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

}  // namespace

Result<fs::path> prepare_rootfs(const fs::path& tarball_or_dir, const fs::path& cache_dir) {
  std::error_code ec;
  if (fs::is_directory(tarball_or_dir, ec)) return fs::absolute(tarball_or_dir);
  if (!fs::is_regular_file(tarball_or_dir, ec))
    return input_error("no such root file system (a tarball or a folder)", tarball_or_dir.string());
  auto hash = sha256_file(tarball_or_dir);
  if (!hash) return std::unexpected(hash.error());
  fs::create_directories(cache_dir, ec);
  if (ec)
    return io_error(fmt::format("cannot create the cache folder: {}", ec.message()),
                    cache_dir.string());
  const fs::path target = cache_dir / *hash;
  if (fs::is_directory(target, ec)) return target;
  // One unpacking at a time per cache: the second waiter finds the folder made.
  const Fd lock(::open((cache_dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock || ::flock(lock.get(), LOCK_EX) != 0)
    return io_error(fmt::format("cannot lock: {}", std::strerror(errno)),
                    (cache_dir / ".lock").string());
  if (fs::is_directory(target, ec)) return target;
  const fs::path temp = cache_dir / fmt::format(".unpack-{}-{}", *hash, ::getpid());
  fs::remove_all(temp, ec);
  fs::create_directories(temp, ec);
  if (ec) return io_error(fmt::format("cannot create: {}", ec.message()), temp.string());
  // Device nodes (under dev/) cannot be created without privileges and are not needed (the
  // distribution gets a /dev of its own); ownership is the caller's (the sandbox maps one user).
  process::Options opts;
  opts.capture_stdout = true;
  const fs::path err_file = temp.string() + ".stderr";
  const Fd err_fd(::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  opts.output_fd = err_fd ? err_fd.get() : 2;
  auto outcome = process::run({"tar", "-x", "-f", fs::absolute(tarball_or_dir).string(), "-C",
                               temp.string(), "--no-same-owner", "--delay-directory-restore",
                               "--anchored", "--wildcards", "--exclude=./dev/*", "--exclude=dev/*"},
                              opts);
  std::string tar_said;
  {
    std::ifstream in(err_file);
    std::ostringstream s;
    s << in.rdbuf();
    tar_said = s.str();
    while (!tar_said.empty() && tar_said.back() == '\n') tar_said.pop_back();
  }
  fs::remove(err_file, ec);
  if (!outcome || !outcome->ok()) {
    fs::permissions(temp, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(temp, ec);
    if (!outcome) return std::unexpected(outcome.error());
    return input_error(
        fmt::format("cannot unpack the root file system: tar said: {}",
                    tar_said.empty() ? "exit " + std::to_string(outcome->exit_code) : tar_said),
        tarball_or_dir.string());
  }
  if (::rename(temp.c_str(), target.c_str()) != 0)
    return io_error(fmt::format("cannot rename into the cache: {}", std::strerror(errno)),
                    target.string());
  return target;
}

}  // namespace wslplug::host::sandbox
