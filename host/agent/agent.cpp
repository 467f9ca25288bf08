// wslplug-sandbox: the agent inside the machine of `wslplug run` (see host/src/sandbox.hpp and
// docs/sandbox.md). bubblewrap starts it as the machine's pid 1 with every capability of the
// machine's user namespace; it keeps them for itself and starts, on the driver's requests (control
// protocol: protocol.hpp), the processes of the Windows side (no capabilities, optionally unable
// to exec), the VM (nested user, mount, PID, IPC, UTS and optionally network namespaces), the VM's
// mounts and the distributions (containers in the VM), and reports every process's exit.
//
// Namespaces are entered from here with setns (as nsenter does): the agent holds capabilities
// over every namespace it creates, so a VM or distribution process is forked by the agent itself
// (its parent, which reports its status) and then joins the VM's user namespace last. The /proc
// of the VM and of each distribution is mounted by a child of the agent inside the target PID
// namespace, in a mount namespace of the machine's user namespace, before the init process of the
// VM (or distribution) copies it into a mount namespace of its own: there the masks over /proc
// (sys, sysrq-trigger, irq, bus, fs) are locked, so root in the VM cannot lift them.
#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "protocol.hpp"
#include "wslplug/core/fd.hpp"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

namespace {

namespace proto = wslplug::host::agent;
using wslplug::Fd;

// Paths inside the machine (docs/sandbox.md).
constexpr const char* kPrefix = "/run/wslplug/prefix";
constexpr const char* kVmRoot = "/run/wslplug/vm";
constexpr const char* kDistRoots = "/run/wslplug/dist";

// ---- small helpers -------------------------------------------------------------------------

// The step that failed, for error messages sent to the driver.
std::string g_what;

int fail_errno(std::string what) {
  const int err = errno ? errno : EIO;
  g_what = std::move(what) + ": " + std::strerror(err);
  return err;
}

bool write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Reads exactly an int; false at end of file.
bool read_int(int fd, int& value) {
  std::size_t got = 0;
  char* p = reinterpret_cast<char*>(&value);
  while (got < sizeof value) {
    const ssize_t n = ::read(fd, p + got, sizeof value - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

[[noreturn]] void child_fail(int report_fd, int err) {
  write_all(report_fd, &err, sizeof err);
  ::_exit(127);
}

int write_file(const std::string& path, std::string_view content, mode_t mode = 0644) {
  const Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return fail_errno("create " + path);
  if (!write_all(fd.get(), content.data(), content.size())) return fail_errno("write " + path);
  return 0;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int mkdirs(const std::string& path, mode_t mode = 0755) {
  std::string partial;
  std::size_t pos = 0;
  while (pos < path.size()) {
    const auto slash = path.find('/', pos + 1);
    partial = path.substr(0, slash);
    pos = slash == std::string::npos ? path.size() : slash;
    if (partial.empty() || partial == "/") continue;
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST)
      return fail_errno("mkdir " + partial);
  }
  return 0;
}

int set_read_only(const std::string& path) {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(AT_FDCWD, path.c_str(), AT_RECURSIVE, &attr, sizeof attr) != 0)
    return fail_errno("make " + path + " read-only");
  return 0;
}

int bind(const std::string& source, const std::string& target, bool read_only) {
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return fail_errno("bind " + source + " at " + target);
  return read_only ? set_read_only(target) : 0;
}

// Removes a tree (run_dir's overlay layers); best effort.
void remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    ::chmod(path.c_str(), 0700);
    if (DIR* d = ::opendir(path.c_str())) {
      std::vector<std::string> names;
      while (dirent* e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      ::closedir(d);
      for (const auto& n : names) remove_tree(path + "/" + n);
    }
    ::rmdir(path.c_str());
  } else {
    ::unlink(path.c_str());
  }
}

// Closes every descriptor but `keep` (and 0-2).
void close_all_except(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned first = 3;
  for (int k : keep) {
    if (k < 3) continue;
    if (static_cast<unsigned>(k) > first) ::close_range(first, static_cast<unsigned>(k) - 1, 0);
    first = static_cast<unsigned>(k) + 1;
  }
  ::close_range(first, ~0U, 0);
}

void reset_signals() {
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
}

// (glibc 2.36's <sys/pidfd.h> lacks C linkage in C++: the system call itself.)
int pidfd_kill(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

pid_t clone3_pidfd(std::uint64_t flags, int* pidfd) {
  struct {
    std::uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
  } args{};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<std::uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

// "NSpid:" of /proc/PID/status: the pid in each namespace from the machine's down.
std::vector<long> ns_pids(pid_t pid) {
  std::vector<long> out;
  const auto status = read_file("/proc/" + std::to_string(pid) + "/status");
  if (!status) return out;
  const auto at = status->find("\nNSpid:");
  if (at == std::string::npos) return out;
  std::istringstream line(status->substr(at + 7, status->find('\n', at + 1) - at - 7));
  long v;
  while (line >> v) out.push_back(v);
  return out;
}

Fd open_ns(pid_t pid, const char* kind) {
  return Fd(::open(("/proc/" + std::to_string(pid) + "/ns/" + kind).c_str(), O_RDONLY | O_CLOEXEC));
}

// Makes the calling process the root of `root` (a mount point of the current mount namespace,
// which must be this process's own): the old root is detached.
int pivot_into(const std::string& root) {
  if (::mount(root.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return fail_errno("bind the new root onto itself");
  if (::chdir(root.c_str()) != 0) return fail_errno("enter the new root");
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return fail_errno("pivot_root");
  if (::umount2(".", MNT_DETACH) != 0) return fail_errno("detach the old root");
  if (::chdir("/") != 0) return fail_errno("chdir /");
  return 0;
}

// pid 1 of a PID namespace: reaps whatever is reparented to it, forever.
[[noreturn]] void init_loop() {
  close_all_except({});
  sigset_t set;
  sigfillset(&set);
  ::sigprocmask(SIG_SETMASK, &set, nullptr);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  while (true) {
    timespec timeout{5, 0};
    ::sigtimedwait(&chld, nullptr, &timeout);
    while (::waitpid(-1, nullptr, WNOHANG | __WALL) > 0) {
    }
  }
}

// ---- the roots of the VM and of distributions -------------------------------------------------

// The machine's system folders (/usr read-only, and /bin, /sbin, /lib* as they are here: symlinks
// stay symlinks, folders are bound read-only) inside `root`.
int add_system_dirs(const std::string& root) {
  if (::mkdir((root + "/usr").c_str(), 0755) != 0 && errno != EEXIST)
    return fail_errno("mkdir usr");
  if (int e = bind("/usr", root + "/usr", true)) return e;
  for (const char* name : {"bin", "sbin", "lib", "lib32", "lib64", "libx32"}) {
    const std::string host = std::string("/") + name;
    const std::string inside = root + host;
    struct stat st;
    if (::lstat(host.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      const ssize_t n = ::readlink(host.c_str(), target, sizeof target - 1);
      if (n < 0) continue;
      target[n] = 0;
      ::unlink(inside.c_str());
      if (::symlink(target, inside.c_str()) != 0 && errno != EEXIST)
        return fail_errno("symlink " + inside);
    } else if (S_ISDIR(st.st_mode)) {
      if (::mkdir(inside.c_str(), 0755) != 0 && errno != EEXIST)
        return fail_errno("mkdir " + inside);
      if (int e = bind(host, inside, true)) return e;
    }
  }
  return 0;
}

// A minimal /dev: the machine's null, zero, full, random, urandom and tty, a private devpts,
// /dev/shm and the usual symlinks.
int add_dev(const std::string& root) {
  const std::string dev = root + "/dev";
  if (int e = mkdirs(dev)) return e;
  if (::mount("tmpfs", dev.c_str(), "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") != 0)
    return fail_errno("mount tmpfs on /dev");
  for (const char* name : {"null", "zero", "full", "random", "urandom", "tty"}) {
    const std::string node = dev + "/" + name;
    if (const Fd fd(::open(node.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666)); !fd)
      return fail_errno("create " + node);
    if (int e = bind(std::string("/dev/") + name, node, false)) return e;
  }
  if (::mkdir((dev + "/pts").c_str(), 0755) != 0) return fail_errno("mkdir /dev/pts");
  if (::mount("devpts", (dev + "/pts").c_str(), "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620") != 0)
    return fail_errno("mount devpts");
  if (::mkdir((dev + "/shm").c_str(), 0755) != 0) return fail_errno("mkdir /dev/shm");
  if (::mount("tmpfs", (dev + "/shm").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
    return fail_errno("mount /dev/shm");
  const std::pair<const char*, const char*> links[] = {{"pts/ptmx", "ptmx"},
                                                       {"/proc/self/fd", "fd"},
                                                       {"/proc/self/fd/0", "stdin"},
                                                       {"/proc/self/fd/1", "stdout"},
                                                       {"/proc/self/fd/2", "stderr"}};
  for (const auto& [target, name] : links)
    if (::symlink(target, (dev + "/" + name).c_str()) != 0) return fail_errno("symlink /dev");
  return 0;
}

int add_tmpfs(const std::string& root, const char* name, const char* options) {
  const std::string path = root + "/" + name;
  if (int e = mkdirs(path)) return e;
  if (::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options) != 0)
    return fail_errno(std::string("mount tmpfs on /") + name);
  return 0;
}

int add_etc(const std::string& root, const std::string& hostname, bool resolv,
            const std::optional<std::string>& os_release) {
  const std::string etc = root + "/etc";
  if (int e = mkdirs(etc)) return e;
  if (int e = write_file(etc + "/passwd", "root:x:0:0:root:/root:/bin/sh\n")) return e;
  if (int e = write_file(etc + "/group", "root:x:0:\n")) return e;
  if (int e = write_file(etc + "/hostname", hostname + "\n")) return e;
  if (int e = write_file(etc + "/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\t" + hostname +
                                             "\n::1\tlocalhost ip6-localhost ip6-loopback\n"))
    return e;
  // The dynamic loader's cache: programs of /usr start without searching every library folder.
  if (auto cache = read_file("/etc/ld.so.cache"))
    if (int e = write_file(etc + "/ld.so.cache", *cache)) return e;
  if (resolv)
    if (auto text = read_file("/etc/resolv.conf"))
      if (int e = write_file(etc + "/resolv.conf", *text)) return e;
  if (os_release)
    if (int e = write_file(etc + "/os-release", *os_release)) return e;
  return 0;
}

// Run in a child of the agent whose active PID namespace is the target's: a new /proc at
// root/proc with the kernel's global knobs read-only.
[[noreturn]] void mount_proc_child(const std::string& root, int report) {
  const std::string proc = root + "/proc";
  if (mkdirs(proc) != 0) child_fail(report, errno);
  if (::mount("proc", proc.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    child_fail(report, errno);
  for (const char* name : {"sys", "sysrq-trigger", "irq", "bus", "fs"}) {
    const std::string path = proc + "/" + name;
    if (::access(path.c_str(), F_OK) != 0) continue;
    if (bind(path, path, true) != 0) child_fail(report, errno);
  }
  ::_exit(0);
}

// ---- seccomp: no exec after the last one ------------------------------------------------------

// A page at a random address (about 34 bits of entropy), so that the argument values the filter
// allows cannot be reproduced by the confined program.
void* random_pages(std::size_t size) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::uint64_t r = 0;
    if (::getrandom(&r, sizeof r, 0) != sizeof r) return nullptr;
    const std::uint64_t lo = 1ULL << 32, hi = 1ULL << 46;
    const std::uint64_t addr = (lo + r % (hi - lo)) & ~static_cast<std::uint64_t>(4095);
    void* p = ::mmap(reinterpret_cast<void*>(addr), size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != MAP_FAILED) return p;
  }
  return nullptr;
}

// Refuses (EACCES) execve and every execveat but the one with exactly these arguments, and every
// system call of another ABI (i386, x32).
int install_no_exec_filter(int fd, const char* path, char* const* argv, char* const* envp) {
  struct Insn {
    sock_filter f;
    int jt_label = -1, jf_label = -1;  // -1: the offsets in f
  };
  enum { kAllow = 1, kDeny = 2 };
  std::vector<Insn> prog;
  auto stmt = [&](std::uint16_t code, std::uint32_t k) { prog.push_back({BPF_STMT(code, k)}); };
  auto jump = [&](std::uint16_t code, std::uint32_t k, int jt, int jf) {
    prog.push_back({BPF_JUMP(code, k, 0, 0), jt, jf});
  };
  constexpr int kNext = 0;
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, kNext, kDeny);
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
  jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000U, kDeny, kNext);
  jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, kDeny, kNext);
  jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_execveat, kNext, kAllow);
  const std::uint64_t values[5] = {
      static_cast<std::uint64_t>(fd), reinterpret_cast<std::uint64_t>(path),
      reinterpret_cast<std::uint64_t>(argv), reinterpret_cast<std::uint64_t>(envp), AT_EMPTY_PATH};
  for (int i = 0; i < 5; ++i) {
    const std::uint32_t base = offsetof(seccomp_data, args) + 8 * i;
    stmt(BPF_LD | BPF_W | BPF_ABS, base);
    jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(values[i]), kNext, kDeny);
    stmt(BPF_LD | BPF_W | BPF_ABS, base + 4);
    jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(values[i] >> 32), kNext, kDeny);
  }
  const std::size_t allow_at = prog.size();
  stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  const std::size_t deny_at = prog.size();
  stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA));
  std::vector<sock_filter> code;
  for (std::size_t pc = 0; pc < prog.size(); ++pc) {
    sock_filter f = prog[pc].f;
    auto offset = [&](int label) -> std::uint8_t {
      if (label == kNext) return 0;
      const std::size_t target = label == kAllow ? allow_at : deny_at;
      return static_cast<std::uint8_t>(target - pc - 1);
    };
    if (prog[pc].jt_label >= 0) {
      f.jt = offset(prog[pc].jt_label);
      f.jf = offset(prog[pc].jf_label);
    }
    code.push_back(f);
  }
  sock_fprog fprog{static_cast<unsigned short>(code.size()), code.data()};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) return errno;
  return 0;
}

// Drops every capability for good (bounding set, ambient, securebits locked, no new privileges).
int drop_capabilities() {
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (::prctl(PR_SET_SECUREBITS,
              SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                  SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                  SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
              0, 0, 0) != 0)
    return errno;
  for (int cap = 0; cap <= 63; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return errno;
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capset, &header, data) != 0) return errno;
  return 0;
}

// ---- the agent -------------------------------------------------------------------------------

struct Options {
  Fd control;
  Fd pids_cgroup;
  long max_processes = 1024;
  bool no_exec = false;
  std::string prefix_lower;  // empty: no prefix
  std::string run;           // run_dir inside the machine
  struct PrefixBind {
    std::string staging, inside;
    bool writable;
  };
  std::vector<PrefixBind> prefix_binds;
};

struct Child {
  std::uint64_t id = 0;
  Fd exit_w;  // the exit pipe's write end: the exit code goes there
};

struct Distribution {
  pid_t init = -1;  // machine view
  Fd pidfd;
  Fd ns_mnt, ns_pid;
  long init_vm_pid = 0;
  std::uint64_t pid_namespace = 0;
  std::string root;   // mount point in its build namespace
  std::string layer;  // overlay layers in run_dir ("" for a generated root)
};

struct Vm {
  pid_t init = -1;
  Fd pidfd;
  Fd ns_user, ns_mnt, ns_pid, ns_ipc, ns_uts, ns_net;
  Fd build_mnt;  // the machine-side mount namespace that holds the VM's root
  std::string hostname;
  bool network = true;
  std::map<std::string, Distribution> distributions;
};

class Agent {
 public:
  explicit Agent(Options o) : opt_(std::move(o)) {}
  int run();

 private:
  int start_up();
  void reply(const std::string& text, const std::vector<int>& fds = {}) {
    proto::send_message(opt_.control.get(), text, fds);
  }
  void handle(const proto::Message& m);
  void reap();
  // Waits (reaping) until pidfd is readable or `done` says so.
  void wait_for_exit(int pidfd);

  void do_spawn(const std::vector<std::string_view>& t, const std::vector<Fd>& fds);
  int vm_start(bool network, const std::string& hostname);
  void vm_stop();
  int vm_mount(const std::string& source, const std::string& target, bool read_only);
  int vm_unmount(const std::string& target);
  int dist_start(const std::string& id, const std::optional<std::string>& rootfs,
                 const std::optional<std::string>& os_release, Distribution& out);
  void dist_stop(const std::string& id);
  int resolve_in_vm(const std::string& target, bool create_dir, bool create_file, Fd& out_fd);

  // Enters a mount namespace for the scope, back to the machine's at its end.
  struct MountNsScope {
    int self;
    explicit MountNsScope(int machine) : self(machine) {}
    ~MountNsScope() { ::setns(self, CLONE_NEWNS); }
  };

  Options opt_;
  Fd self_mnt_, self_pid_;
  Fd sigfd_;
  std::map<pid_t, Child> children_;
  std::map<std::uint64_t, pid_t> by_id_;
  std::optional<Vm> vm_;
  std::uint64_t dist_serial_ = 0;
};

int Agent::start_up() {
  if (opt_.pids_cgroup) {
    // Only this process and its descendants join the run's pids cgroup (the real user is root,
    // whom RLIMIT_NPROC does not bound).
    if (!write_all(opt_.pids_cgroup.get(), "0", 1)) return fail_errno("join the pids cgroup");
    opt_.pids_cgroup.reset();
  }
  rlimit limit{static_cast<rlim_t>(opt_.max_processes), static_cast<rlim_t>(opt_.max_processes)};
  if (::setrlimit(RLIMIT_NPROC, &limit) != 0) return fail_errno("setrlimit RLIMIT_NPROC");
  if (!opt_.prefix_lower.empty()) {
    const std::string upper = opt_.run + "/prefix/upper", work = opt_.run + "/prefix/work";
    if (int e = mkdirs(upper)) return e;
    if (int e = mkdirs(work)) return e;
    if (int e = mkdirs(kPrefix)) return e;
    const std::string options =
        "lowerdir=" + opt_.prefix_lower + ",upperdir=" + upper + ",workdir=" + work + ",userxattr";
    if (::mount("overlay", kPrefix, "overlay", MS_NOSUID | MS_NODEV, options.c_str()) != 0)
      return fail_errno("mount the prefix overlay at " + std::string(kPrefix));
    ::umount2(opt_.prefix_lower.c_str(), MNT_DETACH);  // the overlay keeps its own reference
    ::rmdir(opt_.prefix_lower.c_str());
  }
  for (const auto& b : opt_.prefix_binds) {
    struct stat st;
    if (::stat(b.staging.c_str(), &st) != 0) return fail_errno("stat " + b.staging);
    const std::string target = b.inside;
    const auto slash = target.rfind('/');
    if (int e = mkdirs(target.substr(0, slash))) return e;
    if (S_ISDIR(st.st_mode)) {
      if (::mkdir(target.c_str(), 0755) != 0 && errno != EEXIST)
        return fail_errno("mkdir " + target);
    } else {
      if (const Fd fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)); !fd)
        return fail_errno("create " + target);
    }
    if (int e = bind(b.staging, target, !b.writable)) return e;
    ::umount2(b.staging.c_str(), MNT_DETACH);
    if (S_ISDIR(st.st_mode))
      ::rmdir(b.staging.c_str());
    else
      ::unlink(b.staging.c_str());
  }
  ::rmdir("/run/wslplug/stage");
  self_mnt_.reset(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
  self_pid_.reset(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
  if (!self_mnt_ || !self_pid_) return fail_errno("open /proc/self/ns");
  return 0;
}

int Agent::run() {
  ::fcntl(opt_.control.get(), F_SETFD, FD_CLOEXEC);
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  sigfd_.reset(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  const int buffer = static_cast<int>(proto::kMaxMessage * 2);
  ::setsockopt(opt_.control.get(), SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  if (start_up() != 0) {
    reply("fail " + proto::encode(g_what));
    return 1;
  }
  reply("ready");
  while (true) {
    pollfd fds[2] = {{opt_.control.get(), POLLIN, 0}, {sigfd_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return 1;
    if (fds[1].revents) reap();
    if (fds[0].revents) {
      auto m = proto::receive_message(opt_.control.get());
      if (!m) {
        if (errno == EMSGSIZE) {
          reply("err " + std::to_string(E2BIG));
          continue;
        }
        // The driver is gone: as pid 1 of the machine, leaving ends every process in it.
        return 0;
      }
      handle(*m);  // the descriptors received with it are closed with it
    }
  }
}

void Agent::reap() {
  signalfd_siginfo info;
  while (::read(sigfd_.get(), &info, sizeof info) > 0) {
  }
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (auto it = children_.find(pid); it != children_.end()) {
      write_all(it->second.exit_w.get(), &code, sizeof code);
      by_id_.erase(it->second.id);
      children_.erase(it);
    }
  }
}

void Agent::wait_for_exit(int pidfd) {
  while (true) {
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {sigfd_.get(), POLLIN, 0}};
    if (::poll(fds, 2, 1000) < 0 && errno != EINTR) return;
    reap();
    if (fds[0].revents) return;
  }
}

void Agent::handle(const proto::Message& m) {
  const auto t = proto::split(m.text);
  if (t.empty()) return;
  const std::string_view verb = t[0];
  auto str = [&](std::size_t i) -> std::optional<std::string> {
    return i < t.size() ? proto::decode(t[i]) : std::nullopt;
  };
  if (verb == "spawn") {
    do_spawn(t, m.fds);
  } else if (verb == "kill" && t.size() == 3) {
    const auto it = by_id_.find(std::strtoull(std::string(t[1]).c_str(), nullptr, 10));
    if (it == by_id_.end()) return reply("err " + std::to_string(ESRCH));
    if (::kill(it->second, std::atoi(std::string(t[2]).c_str())) != 0)
      return reply("err " + std::to_string(errno));
    reply("ok");
  } else if (verb == "vm-start" && t.size() == 3) {
    g_what.clear();
    const int e = vm_start(t[1] == "1", str(2).value_or("wslplug-vm"));
    reply(e ? "err " + std::to_string(e) + " " + proto::encode(g_what) : "ok");
  } else if (verb == "vm-stop") {
    vm_stop();
    reply("ok");
  } else if (verb == "mount" && t.size() == 4) {
    const auto source = str(1), target = str(2);
    if (!source || !target) return reply("err " + std::to_string(EINVAL));
    const int e = vm_mount(*source, *target, t[3] == "1");
    reply(e ? "err " + std::to_string(e) : "ok");
  } else if (verb == "unmount" && t.size() == 2) {
    const auto target = str(1);
    const int e = target ? vm_unmount(*target) : EINVAL;
    reply(e ? "err " + std::to_string(e) : "ok");
  } else if (verb == "dist-start" && t.size() == 4) {
    const auto id = str(1);
    if (!id) return reply("err " + std::to_string(EINVAL) + " " + proto::encode("bad request"));
    Distribution d;
    g_what.clear();
    const int e = dist_start(*id, str(2), str(3), d);
    if (e) return reply("err " + std::to_string(e) + " " + proto::encode(g_what));
    reply("ok " + std::to_string(d.init_vm_pid) + " " + std::to_string(d.pid_namespace));
  } else if (verb == "dist-stop" && t.size() == 2) {
    const auto id = str(1);
    if (!id || !vm_ || !vm_->distributions.contains(*id))
      return reply("err " + std::to_string(ESRCH));
    dist_stop(*id);
    reply("ok");
  } else {
    reply("err " + std::to_string(EINVAL));
  }
}

// spawn ID WHERE CONFINED =CWD =PATH ARGC =ARG... ENVC =ENV... MASK
void Agent::do_spawn(const std::vector<std::string_view>& t, const std::vector<Fd>& fds) {
  auto bad = [&] { reply("err " + std::to_string(EINVAL)); };
  if (t.size() < 8) return bad();
  const std::uint64_t id = std::strtoull(std::string(t[1]).c_str(), nullptr, 10);
  const std::string_view where = t[2];
  const bool confined = t[3] == "1" && opt_.no_exec;
  const auto cwd = proto::decode(t[4]);
  const auto program = proto::decode(t[5]);
  if (!program || program->empty()) return bad();
  std::size_t i = 6;
  std::vector<std::string> argv, env;
  const std::size_t argc = std::strtoull(std::string(t[i++]).c_str(), nullptr, 10);
  for (std::size_t k = 0; k < argc && i < t.size(); ++k, ++i) {
    auto a = proto::decode(t[i]);
    if (!a) return bad();
    argv.push_back(*a);
  }
  if (i >= t.size()) return bad();
  const std::size_t envc = std::strtoull(std::string(t[i++]).c_str(), nullptr, 10);
  for (std::size_t k = 0; k < envc && i < t.size(); ++k, ++i) {
    auto e = proto::decode(t[i]);
    if (!e) return bad();
    env.push_back(*e);
  }
  if (i + 1 != t.size() || !cwd || argv.empty() || argv.size() != argc) return bad();
  const unsigned mask = static_cast<unsigned>(std::strtoul(std::string(t[i]).c_str(), nullptr, 10));
  int stdio[3] = {-1, -1, -1};
  std::size_t next_fd = 0;
  for (int k = 0; k < 3; ++k) {
    if (mask & (1U << k)) {
      if (next_fd >= fds.size()) return bad();
      stdio[k] = fds[next_fd++].get();
    }
  }

  // Where: the namespaces to join (none for the machine).
  const Distribution* dist = nullptr;
  const bool in_vm = where != "machine";
  if (in_vm) {
    if (!vm_) return reply("err " + std::to_string(ESRCH));
    if (where != "vm") {
      const auto name = proto::decode(where);
      if (!name) return bad();
      const auto it = vm_->distributions.find(*name);
      if (it == vm_->distributions.end()) return reply("err " + std::to_string(ESRCH));
      dist = &it->second;
    }
  }
  auto report = wslplug::open_pipe();
  if (!report) return reply("err " + std::to_string(errno));
  auto exit_pipe = wslplug::open_pipe();
  if (!exit_pipe) return reply("err " + std::to_string(errno));
  const int target_pid_ns = dist ? dist->ns_pid.get() : in_vm ? vm_->ns_pid.get() : -1;
  if (target_pid_ns >= 0 && ::setns(target_pid_ns, CLONE_NEWPID) != 0)
    return reply("err " + std::to_string(errno));
  const pid_t pid = ::fork();
  if (target_pid_ns >= 0) ::setns(self_pid_.get(), CLONE_NEWPID);
  if (pid == 0) {
    const int rep = report->write.get();
    if (in_vm) {
      const int mnt = dist ? dist->ns_mnt.get() : vm_->ns_mnt.get();
      if (::setns(mnt, CLONE_NEWNS) != 0) child_fail(rep, errno);
      for (const Fd* ns : {&vm_->ns_ipc, &vm_->ns_uts, &vm_->ns_net})
        if (*ns && ::setns(ns->get(), 0) != 0) child_fail(rep, errno);
      if (::setns(vm_->ns_user.get(), CLONE_NEWUSER) != 0) child_fail(rep, errno);
    }
    ::setsid();
    // Standard streams: the received fds (or /dev/null), moved above 2 first so that none is
    // overwritten before it is duplicated.
    int moved[3];
    for (int k = 0; k < 3; ++k) {
      const int src = stdio[k] >= 0 ? stdio[k] : ::open("/dev/null", O_RDWR | O_CLOEXEC);
      moved[k] = src >= 0 ? ::fcntl(src, F_DUPFD_CLOEXEC, 3) : -1;
      if (moved[k] < 0) child_fail(rep, errno ? errno : EBADF);
    }
    for (int k = 0; k < 3; ++k)
      if (::dup2(moved[k], k) < 0) child_fail(rep, errno);
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    reset_signals();
    if (!in_vm) {
      if (int e = drop_capabilities()) child_fail(rep, e);
    }
    if (::chdir(cwd->c_str()) != 0) child_fail(rep, errno);
    std::vector<char*> cargv, cenv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (auto& e : env) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    if (confined) {
      const int exe = ::open(program->c_str(), O_PATH);
      if (exe < 0) child_fail(rep, errno);
      char* path = static_cast<char*>(random_pages(4096));
      const std::size_t bytes = sizeof(char*) * (cargv.size() + cenv.size());
      char** arrays = static_cast<char**>(random_pages((bytes + 4095) & ~std::size_t{4095}));
      if (!path || !arrays) child_fail(rep, ENOMEM);
      path[0] = 0;
      std::copy(cargv.begin(), cargv.end(), arrays);
      char** envp = arrays + cargv.size();
      std::copy(cenv.begin(), cenv.end(), envp);
      if (int e = install_no_exec_filter(exe, path, arrays, envp)) child_fail(rep, e);
      ::syscall(SYS_execveat, exe, path, arrays, envp, AT_EMPTY_PATH);
    } else {
      ::execve(program->c_str(), cargv.data(), cenv.data());
    }
    child_fail(rep, errno);
  }
  const int fork_errno = errno;
  report->write.reset();  // the child's copy alone stays open, until its exec
  if (pid < 0) return reply("err " + std::to_string(fork_errno));
  int err = 0;
  const bool failed = read_int(report->read.get(), err);
  report->read.reset();
  if (failed) {
    ::waitpid(pid, nullptr, 0);
    return reply("err " + std::to_string(err));
  }
  children_[pid] = Child{id, std::move(exit_pipe->write)};
  by_id_[id] = pid;
  long shown = pid;
  if (in_vm) {
    const auto pids = ns_pids(pid);
    if (pids.size() >= 2) shown = pids[1];
  }
  reply("ok " + std::to_string(shown), {exit_pipe->read.get()});
}

// ---- the VM ----------------------------------------------------------------------------------

int Agent::vm_start(bool network, const std::string& hostname) {
  if (vm_) {
    g_what = "the VM is already running";
    return EBUSY;
  }
  Vm vm;
  vm.hostname = hostname;
  vm.network = network;
  MountNsScope back(self_mnt_.get());
  if (::unshare(CLONE_NEWNS) != 0) return fail_errno("unshare the VM's build mount namespace");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return fail_errno("make the build namespace private");
  const std::string root = kVmRoot;
  if (int e = mkdirs(root)) return e;
  if (::mount("tmpfs", kVmRoot, "tmpfs", MS_NOSUID, "mode=0755") != 0)
    return fail_errno("mount the VM's root tmpfs");
  if (int e = add_system_dirs(root)) return e;
  if (int e = add_etc(root, hostname, network, std::nullopt)) return e;
  if (int e = add_dev(root)) return e;
  if (int e = add_tmpfs(root, "tmp", "mode=1777")) return e;
  if (int e = add_tmpfs(root, "run", "mode=0755")) return e;
  for (const char* dir : {"/root", "/mnt", "/proc", "/home", "/var", "/var/tmp", "/sys"})
    if (int e = mkdirs(root + dir, std::string_view(dir) == "/root" ? 0700 : 0755)) return e;
  // Shared: what mount() binds later in this namespace appears in the VM's (its slave).
  if (::mount(nullptr, kVmRoot, nullptr, MS_REC | MS_SHARED, nullptr) != 0)
    return fail_errno("make the VM's root shared");
  vm.build_mnt.reset(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));

  auto go = wslplug::open_pipe();
  if (!go) return fail_errno("pipe");
  auto done = wslplug::open_pipe();
  if (!done) return fail_errno("pipe");
  const std::uint64_t flags =
      CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | (network ? 0 : CLONE_NEWNET);
  int vm_pidfd = -1;
  vm.init = clone3_pidfd(flags, &vm_pidfd);
  if (vm.init == 0) {
    const int go_r = go->read.get(), done_w = done->write.get();
    close_all_except({go_r, done_w});
    int token = 0;
    if (!read_int(go_r, token) || token != 0) ::_exit(1);
    if (::unshare(CLONE_NEWNS) != 0) child_fail(done_w, errno);
    if (pivot_into(kVmRoot) != 0) child_fail(done_w, errno);
    if (::sethostname(hostname.data(), hostname.size()) != 0) child_fail(done_w, errno);
    if (!network) {
      const Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      ifreq ifr{};
      std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
      if (!s || ::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) child_fail(done_w, errno);
      ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
      if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) child_fail(done_w, errno);
    }
    const int ok = 0;
    write_all(done_w, &ok, sizeof ok);
    init_loop();
  }
  vm.pidfd.reset(vm_pidfd);
  go->read.reset();
  done->write.reset();
  // On failure the VM's init is killed; its descriptors and the pipes close with vm, go and done.
  auto abandon = [&](int err) {
    if (vm.init > 0) {
      ::kill(vm.init, SIGKILL);
      ::waitpid(vm.init, nullptr, __WALL);
    }
    return err;
  };
  if (vm.init < 0) return abandon(fail_errno("create the VM's namespaces"));
  for (const char* map : {"uid_map", "gid_map"}) {
    if (int e = write_file("/proc/" + std::to_string(vm.init) + "/" + map, "0 0 1\n"))
      return abandon(e);
  }
  vm.ns_user = open_ns(vm.init, "user");
  vm.ns_pid = open_ns(vm.init, "pid");
  vm.ns_ipc = open_ns(vm.init, "ipc");
  vm.ns_uts = open_ns(vm.init, "uts");
  if (!network) vm.ns_net = open_ns(vm.init, "net");
  if (!vm.ns_user || !vm.ns_pid || !vm.ns_ipc || !vm.ns_uts)
    return abandon(fail_errno("open the VM's namespaces"));
  // The VM's /proc, mounted from inside its PID namespace.
  auto rep = wslplug::open_pipe();
  if (!rep) return abandon(fail_errno("pipe"));
  if (::setns(vm.ns_pid.get(), CLONE_NEWPID) != 0)
    return abandon(fail_errno("enter the VM's PID ns"));
  const pid_t helper = ::fork();
  ::setns(self_pid_.get(), CLONE_NEWPID);
  if (helper == 0) mount_proc_child(root, rep->write.get());
  rep->write.reset();
  int err = 0;
  const bool helper_failed = read_int(rep->read.get(), err);
  rep->read.reset();
  if (helper > 0) ::waitpid(helper, nullptr, __WALL);
  if (helper < 0) return abandon(fail_errno("fork"));
  if (helper_failed) {
    errno = err;
    return abandon(fail_errno("mount the VM's /proc"));
  }
  const int token = 0;
  write_all(go->write.get(), &token, sizeof token);
  go->write.reset();
  if (!read_int(done->read.get(), err)) err = EIO;
  done->read.reset();
  if (err != 0) {
    errno = err;
    return abandon(fail_errno("set up the VM's init (pivot_root, hostname, loopback)"));
  }
  vm.ns_mnt = open_ns(vm.init, "mnt");
  if (!vm.ns_mnt) return abandon(fail_errno("open the VM's mount namespace"));
  vm_ = std::move(vm);
  return 0;
}

void Agent::vm_stop() {
  if (!vm_) return;
  pidfd_kill(vm_->pidfd.get(), SIGKILL);
  // The VM's init ends only once every process of its PID namespace (distributions included) is
  // gone; meanwhile this agent reaps its own children there.
  wait_for_exit(vm_->pidfd.get());
  ::waitpid(vm_->init, nullptr, __WALL);
  for (auto& [id, d] : vm_->distributions) {
    d.pidfd.reset();
    d.ns_mnt.reset();
    d.ns_pid.reset();
    if (!d.layer.empty()) remove_tree(d.layer);
    ::rmdir(d.root.c_str());
  }
  vm_.reset();  // closes the VM's pidfd and namespaces
  ::rmdir(kVmRoot);
}

// Opens `target` (absolute, inside the VM's root) with every lookup confined to that root,
// creating missing folders (and the last component as a folder or an empty file) when asked.
int Agent::resolve_in_vm(const std::string& target, bool create_dir, bool create_file, Fd& out_fd) {
  if (target.empty() || target[0] != '/') return EINVAL;
  const Fd root(::open(kVmRoot, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return errno;
  std::vector<std::string> parts;
  std::istringstream s(target);
  for (std::string part; std::getline(s, part, '/');)
    if (!part.empty() && part != ".") parts.push_back(part);
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string path = ".";
  Fd fd(::fcntl(root.get(), F_DUPFD_CLOEXEC, 0));
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string next = path + "/" + parts[i];
    auto open_next = [&] {
      return Fd(
          static_cast<int>(::syscall(SYS_openat2, root.get(), next.c_str(), &how, sizeof how)));
    };
    Fd child = open_next();
    if (!child && errno == ENOENT && (create_dir || create_file)) {
      const bool last = i + 1 == parts.size();
      if (last && create_file) {
        (void)Fd(::openat(fd.get(), parts[i].c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
      } else {
        ::mkdirat(fd.get(), parts[i].c_str(), 0755);
      }
      child = open_next();
    }
    if (!child) return errno;
    fd = std::move(child);
    path = next;
  }
  out_fd = std::move(fd);
  return 0;
}

int Agent::vm_mount(const std::string& source, const std::string& target, bool read_only) {
  if (!vm_) return ESRCH;
  if (target.empty() || target[0] != '/') return EINVAL;
  if (::setns(vm_->build_mnt.get(), CLONE_NEWNS) != 0) return errno;
  MountNsScope back(self_mnt_.get());
  // The source as the machine sees it (this namespace is a copy of the machine's).
  const Fd tree(
      ::open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (!tree) return errno;
  struct stat st;
  if (::fstat(tree.get(), &st) != 0) return errno;
  Fd target_fd;
  if (int e = resolve_in_vm(target, S_ISDIR(st.st_mode), !S_ISDIR(st.st_mode), target_fd)) return e;
  if (read_only) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
      return errno;
  }
  if (::move_mount(tree.get(), "", target_fd.get(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    return errno;
  return 0;
}

int Agent::vm_unmount(const std::string& target) {
  if (!vm_) return ESRCH;
  if (target.empty() || target[0] != '/') return EINVAL;
  if (::setns(vm_->build_mnt.get(), CLONE_NEWNS) != 0) return errno;
  MountNsScope back(self_mnt_.get());
  Fd fd;
  if (int e = resolve_in_vm(target, false, false, fd)) return e;
  struct statx stx {};
  if (::statx(fd.get(), "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) != 0) return errno;
  if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
      !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) || target == "/")
    return EINVAL;
  if (::umount2(("/proc/self/fd/" + std::to_string(fd.get())).c_str(), MNT_DETACH) != 0)
    return errno;
  return 0;
}

// ---- distributions ---------------------------------------------------------------------------

int Agent::dist_start(const std::string& id, const std::optional<std::string>& rootfs,
                      const std::optional<std::string>& os_release, Distribution& d) {
  if (!vm_) {
    g_what = "the VM is not running";
    return ESRCH;
  }
  if (vm_->distributions.contains(id)) {
    g_what = "the distribution is already running";
    return EBUSY;
  }
  const std::string serial = std::to_string(++dist_serial_);
  d.root = std::string(kDistRoots) + "/" + serial;
  if (int e = mkdirs(d.root)) return e;
  if (rootfs) {
    // Checked in the machine's namespace, before entering the build one.
    struct stat st;
    if (::stat(rootfs->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      if (errno == 0) errno = ENOTDIR;
      return fail_errno("the root file system folder " + *rootfs);
    }
  }
  if (::setns(vm_->build_mnt.get(), CLONE_NEWNS) != 0) return fail_errno("enter the VM's build ns");
  MountNsScope back(self_mnt_.get());
  if (::unshare(CLONE_NEWNS) != 0) return fail_errno("unshare a build namespace");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return fail_errno("make the build namespace private");
  auto cleanup = [&](int err) {
    d.pidfd.reset();
    d.ns_mnt.reset();
    d.ns_pid.reset();
    if (!d.layer.empty()) remove_tree(d.layer);
    ::rmdir(d.root.c_str());
    return err;
  };
  if (rootfs) {
    d.layer = opt_.run + "/dist/" + serial;
    const std::string upper = d.layer + "/upper", work = d.layer + "/work";
    if (int e = mkdirs(upper); e) return cleanup(e);
    if (int e = mkdirs(work); e) return cleanup(e);
    const std::string options =
        "lowerdir=" + *rootfs + ",upperdir=" + upper + ",workdir=" + work + ",userxattr";
    if (::mount("overlay", d.root.c_str(), "overlay", MS_NOSUID, options.c_str()) != 0)
      return cleanup(fail_errno("mount the distribution's overlay"));
    for (const char* dir : {"/proc", "/dev", "/tmp", "/root", "/etc"})
      if (int e = mkdirs(d.root + dir, std::string_view(dir) == "/root" ? 0700 : 0755))
        return cleanup(e);
  } else {
    if (::mount("tmpfs", d.root.c_str(), "tmpfs", MS_NOSUID, "mode=0755") != 0)
      return cleanup(fail_errno("mount the distribution's root tmpfs"));
    if (int e = add_system_dirs(d.root)) return cleanup(e);
    if (int e = add_etc(d.root, vm_->hostname, vm_->network, os_release)) return cleanup(e);
    for (const char* dir : {"/proc", "/root", "/mnt", "/home", "/var/tmp", "/run"})
      if (int e = mkdirs(d.root + dir, std::string_view(dir) == "/root" ? 0700 : 0755))
        return cleanup(e);
  }
  if (int e = add_dev(d.root)) return cleanup(e);
  if (int e = add_tmpfs(d.root, "tmp", "mode=1777")) return cleanup(e);

  // The init: created by a child of the agent that has joined the VM (its user namespace owns the
  // distribution's PID namespace), so it becomes a child of the VM's init once that child exits.
  auto sock = wslplug::open_socketpair(SOCK_SEQPACKET);
  if (!sock) return cleanup(fail_errno("pipe"));
  auto go = wslplug::open_pipe();
  if (!go) return cleanup(fail_errno("pipe"));
  auto done = wslplug::open_pipe();
  if (!done) return cleanup(fail_errno("pipe"));
  // Closes the synchronisation pipes and socket early (they would close at the return).
  auto close_sync = [&] {
    for (Fd* fd : {&sock->first, &sock->second, &go->read, &go->write, &done->read, &done->write})
      fd->reset();
  };
  if (::setns(vm_->ns_pid.get(), CLONE_NEWPID) != 0) {
    close_sync();
    return cleanup(fail_errno("enter the VM's PID namespace"));
  }
  const pid_t creator = ::fork();
  ::setns(self_pid_.get(), CLONE_NEWPID);
  if (creator == 0) {
    const int sock_w = sock->second.get(), go_r = go->read.get(), done_w = done->write.get();
    close_all_except({sock_w, go_r, done_w, vm_->ns_ipc.get(), vm_->ns_uts.get(), vm_->ns_net.get(),
                      vm_->ns_user.get()});
    for (const Fd* ns : {&vm_->ns_ipc, &vm_->ns_uts, &vm_->ns_net})
      if (*ns && ::setns(ns->get(), 0) != 0) child_fail(done_w, errno);
    if (::setns(vm_->ns_user.get(), CLONE_NEWUSER) != 0) child_fail(done_w, errno);
    int pidfd = -1;
    const pid_t init = clone3_pidfd(CLONE_NEWPID, &pidfd);
    if (init < 0) child_fail(done_w, errno);
    if (init == 0) {
      close_all_except({go_r, done_w});
      int token = 0;
      if (!read_int(go_r, token) || token != 0) ::_exit(1);
      if (::unshare(CLONE_NEWNS) != 0) child_fail(done_w, errno);
      if (pivot_into(d.root) != 0) child_fail(done_w, errno);
      const int ok = 0;
      write_all(done_w, &ok, sizeof ok);
      init_loop();
    }
    proto::send_message(sock_w, "init", {pidfd});
    ::_exit(0);
  }
  sock->second.reset();
  go->read.reset();
  done->write.reset();
  if (creator < 0) {
    close_sync();
    return cleanup(fail_errno("fork"));
  }
  auto got = proto::receive_message(sock->first.get());
  ::waitpid(creator, nullptr, __WALL);
  if (!got || got->fds.size() != 1) {
    int err = EIO;
    read_int(done->read.get(), err);
    close_sync();
    errno = err;
    return cleanup(fail_errno("create the distribution's init"));
  }
  d.pidfd = std::move(got->fds[0]);
  const auto fdinfo = read_file("/proc/self/fdinfo/" + std::to_string(d.pidfd.get()));
  if (fdinfo) {
    const auto at = fdinfo->find("\nPid:");
    if (at != std::string::npos) d.init = std::atoi(fdinfo->c_str() + at + 5);
  }
  auto kill_init = [&] {
    pidfd_kill(d.pidfd.get(), SIGKILL);
    wait_for_exit(d.pidfd.get());
  };
  if (d.init > 0) d.ns_pid = open_ns(d.init, "pid");
  if (!d.ns_pid) {
    const int e = fail_errno("open the distribution's PID namespace");
    kill_init();
    close_sync();
    return cleanup(e);
  }
  auto rep = wslplug::open_pipe();
  if (!rep || ::setns(d.ns_pid.get(), CLONE_NEWPID) != 0) {
    const int e = fail_errno("enter the distribution's PID namespace");
    kill_init();
    close_sync();
    return cleanup(e);
  }
  const pid_t helper = ::fork();
  ::setns(self_pid_.get(), CLONE_NEWPID);
  if (helper == 0) mount_proc_child(d.root, rep->write.get());
  rep->write.reset();
  int err = 0;
  const bool helper_failed = read_int(rep->read.get(), err);
  rep->read.reset();
  if (helper > 0) ::waitpid(helper, nullptr, __WALL);
  if (helper < 0 || helper_failed) {
    errno = helper < 0 ? errno : err;
    const int e = fail_errno("mount the distribution's /proc");
    kill_init();
    close_sync();
    return cleanup(e);
  }
  const int token = 0;
  write_all(go->write.get(), &token, sizeof token);
  if (!read_int(done->read.get(), err)) err = EIO;
  close_sync();
  if (err != 0) {
    errno = err;
    const int e = fail_errno("set up the distribution's init (pivot_root)");
    kill_init();
    return cleanup(e);
  }
  d.ns_mnt = open_ns(d.init, "mnt");
  struct stat st;
  if (!d.ns_mnt || ::fstat(d.ns_pid.get(), &st) != 0) {
    const int e = fail_errno("open the distribution's namespaces");
    kill_init();
    return cleanup(e);
  }
  d.pid_namespace = st.st_ino;
  const auto pids = ns_pids(d.init);
  d.init_vm_pid = pids.size() >= 2 ? pids[1] : 0;
  vm_->distributions[id] = std::move(d);
  return 0;
}

void Agent::dist_stop(const std::string& id) {
  auto it = vm_->distributions.find(id);
  Distribution& d = it->second;
  pidfd_kill(d.pidfd.get(), SIGKILL);
  wait_for_exit(d.pidfd.get());
  d.pidfd.reset();
  d.ns_mnt.reset();
  d.ns_pid.reset();
  if (!d.layer.empty()) remove_tree(d.layer);
  ::rmdir(d.root.c_str());
  vm_->distributions.erase(it);
}

int usage(const char* message) {
  std::fprintf(
      stderr,
      "wslplug-sandbox: %s\n"
      "usage: wslplug-sandbox --control FD --run DIR [--max-processes N] [--no-exec]\n"
      "       [--pids-cgroup FD] [--prefix-lower DIR] [--prefix-bind STAGING INSIDE 0|1]...\n"
      "(started by wslplug run inside bubblewrap; not meant to be run by hand)\n",
      message);
  return 2;
}

}  // namespace

// Landlock scoping (Linux 6.12, Landlock ABI 6): nothing of the machine or its VM can connect to an
// abstract unix socket of this machine's (a desktop session's D-Bus, X11, container shims: they
// ignore file permissions and namespaces other than the network one, which the machine shares) or
// signal a process outside. Older kernels: nothing is done (docs/sandbox.md says so).
void scope_abstract_sockets() {
  struct RulesetAttr {
    std::uint64_t handled_access_fs, handled_access_net, scoped;
  };
  constexpr std::uint64_t kScopeAbstractUnixSocket = 1, kScopeSignal = 2;
  constexpr long kCreateRuleset = 444, kRestrictSelf = 446;  // x86_64
  constexpr unsigned kCreateRulesetVersion = 1;
  const long abi = ::syscall(kCreateRuleset, nullptr, 0, kCreateRulesetVersion);
  if (abi < 6) return;
  const RulesetAttr attr{0, 0, kScopeAbstractUnixSocket | kScopeSignal};
  const Fd ruleset(static_cast<int>(::syscall(kCreateRuleset, &attr, sizeof attr, 0)));
  if (!ruleset) return;
  ::syscall(kRestrictSelf, ruleset.get(), 0);
}

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--control" && (v = value())) {
      o.control.reset(std::atoi(v));
    } else if (a == "--pids-cgroup" && (v = value())) {
      o.pids_cgroup.reset(std::atoi(v));
    } else if (a == "--max-processes" && (v = value())) {
      o.max_processes = std::atol(v);
    } else if (a == "--no-exec") {
      o.no_exec = true;
    } else if (a == "--prefix-lower" && (v = value())) {
      o.prefix_lower = v;
    } else if (a == "--run" && (v = value())) {
      o.run = v;
    } else if (a == "--prefix-bind" && i + 3 < argc) {
      o.prefix_binds.push_back({argv[i + 1], argv[i + 2], std::string_view(argv[i + 3]) == "1"});
      i += 3;
    } else {
      return usage(("unknown or incomplete argument: " + std::string(a)).c_str());
    }
  }
  if (!o.control || o.run.empty()) return usage("--control and --run are required");
  scope_abstract_sockets();
  Agent agent(std::move(o));
  return agent.run();
}
