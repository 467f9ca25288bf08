// The sandbox of `wslplug run` (host/src/sandbox.hpp) with the real bubblewrap and the real agent:
// the machine's isolation, the prefix overlay, process limits, no-exec confinement, the VM, its
// mounts and distributions, and that nothing survives a stop.
#include "../../host/src/sandbox.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "support.hpp"

namespace wslplug::host::sandbox {
namespace {

using test::read_text;
using test::TempDir;
using test::write_text;

const std::vector<std::string> kEnv = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
                                       "HOME=/root"};

fs::path agent_path() { return fs::path(test::wslplug_bin()).parent_path() / "wslplug-sandbox"; }

struct Output {
  int status = -1;
  std::string out, err;
};

// Reads both pipes to their end, then the exit status.
Output collect(std::expected<Process, int> p, int out_r, int err_r) {
  Output o;
  if (!p) {
    ::close(out_r);
    ::close(err_r);
    o.status = -p.error();
    return o;
  }
  pollfd fds[2] = {{out_r, POLLIN, 0}, {err_r, POLLIN, 0}};
  int open_count = 2;
  while (open_count > 0) {
    if (::poll(fds, 2, 20000) <= 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !fds[i].revents) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      } else {
        (i == 0 ? o.out : o.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  pollfd done{p->exit_fd(), POLLIN, 0};
  ::poll(&done, 1, 20000);
  o.status = p->status().value_or(-1);
  return o;
}

enum class Where { kMachine, kVm };

Output run_in(Machine& m, const std::vector<std::string>& argv, Where where = Where::kMachine,
              std::string_view distribution = {}, std::vector<std::string> env = kEnv,
              bool confined = false) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return {};
  SpawnSpec spec;
  spec.argv = argv;
  spec.env = std::move(env);
  spec.stdio = {-1, out[1], err[1]};
  spec.confined = confined;
  auto p = where == Where::kMachine ? m.spawn(spec) : m.spawn_in_vm(spec, distribution);
  ::close(out[1]);
  ::close(err[1]);
  return collect(std::move(p), out[0], err[0]);
}

Output sh_in(Machine& m, const std::string& script, Where where = Where::kMachine,
             std::string_view distribution = {}) {
  return run_in(m, {"/bin/sh", "-c", script}, where, distribution);
}

// Processes of this host whose command line is exactly argv (a marker: sleep 1041.5).
int count_processes(const std::vector<std::string>& argv) {
  std::string wanted;
  for (const auto& a : argv) wanted += a + '\0';
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    if (s.str() == wanted) ++n;
  }
  return n;
}

// Waits up to 5 s for the count to become `expected`.
int wait_count(const std::vector<std::string>& argv, int expected) {
  int n = -1;
  for (int i = 0; i < 100; ++i) {
    if ((n = count_processes(argv)) == expected) return n;
    ::usleep(50000);
  }
  return n;
}

struct Fixture {
  TempDir dir;
  MachineOptions options;
  Fixture() {
    options.agent = agent_path();
    options.run_dir = dir / "run";
  }
  std::unique_ptr<Machine> start() {
    auto m = Machine::start(options);
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().describe() + " / " + m.error().fix);
    return m ? std::move(*m) : nullptr;
  }
};

TEST(Sandbox, MachineStartsRunsAndStops) {
  Fixture f;
  auto m = f.start();
  ASSERT_TRUE(m);
  const auto o = run_in(*m, {"/bin/echo", "hello"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out, "hello\n");
  EXPECT_EQ(run_in(*m, {"/bin/false"}).status, 1);
  EXPECT_EQ(run_in(*m, {"/no/such/program"}).status, -ENOENT);
  EXPECT_EQ(run_in(*m, {"/etc/passwd"}).status, -EACCES);  // generated, mode 0644
  const auto killed = sh_in(*m, "kill -TERM $$");
  EXPECT_EQ(killed.status, 128 + SIGTERM);
  // Process::kill
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  SpawnSpec spec{.argv = {"/bin/sleep", "1031.5"}, .env = kEnv};
  auto p = m->spawn(spec);
  ASSERT_TRUE(p.has_value());
  EXPECT_FALSE(p->status());
  p->kill(SIGKILL);
  pollfd done{p->exit_fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&done, 1, 5000), 1);
  EXPECT_EQ(p->status(), 128 + SIGKILL);
  ::close(out[0]);
  ::close(out[1]);
}

TEST(Sandbox, WindowsSideSeesNoHomeHasNoCapabilitiesAndExactlyItsEnvironment) {
  const char* home = std::getenv("HOME");
  ASSERT_TRUE(home && *home);
  const fs::path secret = fs::path(home) / ".wslplug-sandbox-test-secret";
  write_text(secret, "top secret\n");
  Fixture f;
  auto m = f.start();
  ASSERT_TRUE(m);
  const auto o = run_in(
      *m,
      {"/bin/sh", "-c",
       "cat \"$1\" 2>/dev/null; echo cat=$?; test -e \"$2\" && echo home-present; "
       "grep -E '^Cap(Eff|Prm|Bnd|Amb)' /proc/self/status; tr '\\0' '\\n' < /proc/$$/environ; "
       "test -e /etc/shadow && echo shadow-present; ls /",
       "sh", secret.string(), home},
      Where::kMachine, {}, {"PATH=/usr/bin:/bin", "ONLY=this"});
  fs::remove(secret);
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out.find("top secret"), std::string::npos);
  EXPECT_NE(o.out.find("cat=1"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("home-present"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("shadow-present"), std::string::npos) << o.out;
  for (const char* cap : {"CapEff", "CapPrm", "CapBnd", "CapAmb"})
    EXPECT_NE(o.out.find(std::string(cap) + ":\t0000000000000000"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\nPATH=/usr/bin:/bin\nONLY=this\n"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("HOME="), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("\nhome\n"), std::string::npos) << o.out;  // no /home in the root
  EXPECT_EQ(o.out.find("\nroot\n"), std::string::npos) << o.out;  // no /root either
}

TEST(Sandbox, PrefixIsAnOverlayAndTheTemplateIsNeverModified) {
  Fixture f;
  const fs::path tmpl = f.dir / "template";
  fs::create_directories(tmpl / "drive_c");
  write_text(tmpl / "drive_c" / "a.txt", "template\n");
  const fs::path shared = f.dir / "shared";
  fs::create_directories(shared);
  write_text(shared / "in.txt", "shared\n");
  f.options.prefix_template = tmpl;
  f.options.binds = {{shared, fs::path(kPrefixInside) / "drive_c" / "shared", false}};
  auto m = f.start();
  ASSERT_TRUE(m);
  const std::string p = std::string(kPrefixInside) + "/drive_c";
  const auto o = sh_in(*m, "echo changed > " + p + "/a.txt; echo new > " + p + "/b.txt; cat " + p +
                               "/a.txt " + p + "/shared/in.txt; echo x > " + p +
                               "/shared/w.txt || echo ro-refused; ls /run/wslplug");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "changed\nshared\nro-refused\nprefix\nrun\nwslplug-sandbox\n") << o.err;
  EXPECT_EQ(read_text(tmpl / "drive_c" / "a.txt"), "template\n");
  EXPECT_FALSE(fs::exists(tmpl / "drive_c" / "b.txt"));
  EXPECT_FALSE(fs::exists(shared / "w.txt"));
  EXPECT_EQ(read_text(f.options.run_dir / "prefix" / "upper" / "drive_c" / "b.txt"), "new\n");
  EXPECT_EQ(read_text(f.options.run_dir / "prefix" / "upper" / "drive_c" / "a.txt"), "changed\n");
}

TEST(Sandbox, ProcessCountIsBoundedAndTheMachineStillStops) {
  Fixture f;
  f.options.max_processes = 40;
  auto m = f.start();
  ASSERT_TRUE(m);
  const auto o = run_in(*m, {"/usr/bin/python3", "-c",
                             "import os, time\n"
                             "n = 0\n"
                             "for i in range(200):\n"
                             "    try:\n"
                             "        pid = os.fork()\n"
                             "    except OSError:\n"
                             "        break\n"
                             "    if pid == 0:\n"
                             "        os.closerange(0, 3)\n"
                             "        time.sleep(1033.5)\n"
                             "        os._exit(0)\n"
                             "    n += 1\n"
                             "print(n, flush=True)\n"});
  EXPECT_EQ(o.status, 0) << o.err;
  const int started = std::atoi(o.out.c_str());
  EXPECT_GT(started, 5);
  EXPECT_LT(started, 40);
  const auto t0 = std::chrono::steady_clock::now();
  m.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(Sandbox, ConfinedSpawnCannotExecAnything) {
  Fixture f;
  f.options.no_exec = true;
  auto m = f.start();
  ASSERT_TRUE(m);
  const std::string script =
      "/bin/true; echo true=$?; (exec /bin/true) ; echo sub=$?; "
      "/usr/bin/python3 -c 1 2>/dev/null; echo py=$?";
  const auto confined =
      run_in(*m, {"/bin/sh", "-c", script}, Where::kMachine, {}, kEnv, /*confined=*/true);
  EXPECT_EQ(confined.status, 0) << confined.err;
  EXPECT_EQ(confined.out, "true=126\nsub=126\npy=126\n") << confined.err;
  const auto free = run_in(*m, {"/bin/sh", "-c", script});
  EXPECT_EQ(free.out, "true=0\nsub=0\npy=0\n") << free.err;
  EXPECT_EQ(run_in(*m, {"/no/such"}, Where::kMachine, {}, kEnv, true).status, -ENOENT);
}

TEST(Sandbox, VmRunsAsRootInItsOwnNamespacesWithoutTheMachinesPaths) {
  Fixture f;
  const fs::path tmpl = f.dir / "template";
  fs::create_directories(tmpl / "drive_c");
  f.options.prefix_template = tmpl;
  auto m = f.start();
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->vm_running());
  EXPECT_EQ(run_in(*m, {"/bin/true"}, Where::kVm).status, -ESRCH);
  ASSERT_TRUE(m->start_vm({.network = false, .hostname = "test-vm"}).has_value());
  EXPECT_TRUE(m->vm_running());
  const auto o = sh_in(*m,
                       "id -u; cat /proc/1/comm; hostname; ls /run; "
                       "test -e /run/wslplug && echo machine-paths; "
                       "grep -q ffffffff /proc/self/status && echo caps; "
                       "touch /usr/x 2>/dev/null || echo usr-ro; "
                       "mount -o remount,rw /usr 2>/dev/null || echo usr-locked; "
                       "echo 1 > /proc/sys/kernel/panic 2>/dev/null || echo sys-ro; "
                       "cat /etc/passwd; echo hi > /tmp/t && cat /tmp/t; "
                       "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
                       Where::kVm);
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out,
            "0\nwslplug-sandbox\ntest-vm\ncaps\nusr-ro\nusr-locked\nsys-ro\n"
            "root:x:0:0:root:/root:/bin/sh\nhi\nlo\n")
      << o.err;
  // The PID namespace is the VM's: pid 1 is its init, the machine's agent is not there.
  const auto ps = sh_in(*m, "ls /proc | grep -c '^[0-9]'", Where::kVm);
  EXPECT_EQ(ps.out, "4\n");  // init, sh, ls, grep
  // A new /proc cannot be mounted in the VM (its /proc is masked): documented limitation.
  EXPECT_NE(sh_in(*m, "unshare -p -f --mount-proc true", Where::kVm).status, 0);
  ASSERT_TRUE(m->stop_vm().has_value());
  EXPECT_FALSE(m->vm_running());
  // A second VM starts clean.
  ASSERT_TRUE(m->start_vm({}).has_value());
  EXPECT_EQ(sh_in(*m, "test -e /tmp/t || echo clean", Where::kVm).out, "clean\n");
}

// The machine shares this machine's network namespace, and with it the abstract unix sockets of
// the user's session (D-Bus, X11, ...), which no file permission guards. With Landlock's scoping
// (Linux 6.12) neither the Windows side nor the VM can connect to one.
TEST(Sandbox, AbstractUnixSocketsOfThisMachineAreOutOfReach) {
  if (::syscall(444, nullptr, 0, 1) < 6) GTEST_SKIP() << "Landlock ABI 6 (Linux 6.12) is needed";
  const std::string name = "wslplug-sandbox-test-" + std::to_string(::getpid());
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  Fixture f;
  auto m = f.start();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->start_vm({}).has_value());
  const std::string probe =
      "import socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect('\\0" + name +
      "')\n    print('connected')\nexcept OSError as e:\n    print('refused', e.errno)\n";
  const auto machine = run_in(*m, {"/usr/bin/python3", "-c", probe});
  const auto vm = run_in(*m, {"/usr/bin/python3", "-c", probe}, Where::kVm);
  EXPECT_EQ(machine.out, "refused 1\n") << machine.err;  // EPERM
  EXPECT_EQ(vm.out, "refused 1\n") << vm.err;
  ::close(listener);
}

TEST(Sandbox, VmMountsAppearInRunningProcessesReadOnlyWhenAskedAndUnmount) {
  Fixture f;
  const fs::path tmpl = f.dir / "template";
  fs::create_directories(tmpl / "drive_c" / "share");
  f.options.prefix_template = tmpl;
  auto m = f.start();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->start_vm({}).has_value());
  const std::string share = std::string(kPrefixInside) + "/drive_c/share";
  // A VM process started before the mount sees it.
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  SpawnSpec waiter{.argv = {"/bin/sh", "-c",
                            "i=0; while [ ! -e /mnt/c/share/flag ] && [ $i -lt 200 ]; do "
                            "sleep 0.05; i=$((i+1)); done; cat /mnt/c/share/flag"},
                   .env = kEnv,
                   .stdio = {-1, out[1], -1}};
  auto w = m->spawn_in_vm(waiter);
  ::close(out[1]);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(m->mount(share, "/mnt/c/share", false), 0);
  EXPECT_EQ(sh_in(*m, "echo flag-text > " + share + "/flag").status, 0);
  int err_dummy[2];
  ASSERT_EQ(::pipe2(err_dummy, O_CLOEXEC), 0);
  ::close(err_dummy[1]);
  const auto seen = collect(std::move(w), out[0], err_dummy[0]);
  EXPECT_EQ(seen.out, "flag-text\n");
  // Writes through a read-write mount land in the source.
  EXPECT_EQ(sh_in(*m, "echo from-vm > /mnt/c/share/back", Where::kVm).status, 0);
  EXPECT_EQ(read_text(f.options.run_dir / "prefix" / "upper" / "drive_c" / "share" / "back"),
            "from-vm\n");
  // Read-only: the write fails with EROFS and nothing appears in the source.
  EXPECT_EQ(m->mount(share, "/mnt/ro", true), 0);
  const auto ro = sh_in(*m, "cat /mnt/ro/flag; echo x > /mnt/ro/new", Where::kVm);
  EXPECT_NE(ro.status, 0);
  EXPECT_EQ(ro.out, "flag-text\n");
  EXPECT_NE(ro.err.find("Read-only file system"), std::string::npos) << ro.err;
  EXPECT_NE(sh_in(*m, "mount -o remount,rw /mnt/ro", Where::kVm).status, 0);
  EXPECT_FALSE(fs::exists(f.options.run_dir / "prefix" / "upper" / "drive_c" / "share" / "new"));
  // Errors.
  EXPECT_EQ(m->mount(share + "/missing", "/mnt/x", false), ENOENT);
  EXPECT_EQ(m->mount(share, "relative/path", false), EINVAL);
  EXPECT_EQ(m->unmount("/mnt"), EINVAL);  // not a mount point
  EXPECT_EQ(m->unmount("/mnt/ro"), 0);
  EXPECT_EQ(m->unmount("/mnt/ro"), EINVAL);
  EXPECT_EQ(sh_in(*m, "ls /mnt/ro | wc -l", Where::kVm).out, "0\n");
  // A symlink planted in the VM resolves inside the VM's root: /run/wslplug does not exist there
  // (it does where the agent mounts), then it does.
  EXPECT_EQ(sh_in(*m, "ln -s /run/wslplug /mnt/escape", Where::kVm).status, 0);
  EXPECT_EQ(m->mount(share, "/mnt/escape/prefix", false), ENOENT);
  EXPECT_EQ(sh_in(*m, "mkdir /run/wslplug", Where::kVm).status, 0);
  EXPECT_EQ(m->mount(share, "/mnt/escape/prefix", false), 0);
  EXPECT_EQ(sh_in(*m, "cat /run/wslplug/prefix/flag", Where::kVm).out, "flag-text\n");
  // The machine sees none of it: the VM's root is an empty folder in its view.
  EXPECT_EQ(sh_in(*m, "ls /run/wslplug; ls -A /run/wslplug/vm").out,
            "prefix\nrun\nvm\nwslplug-sandbox\n");
}

std::string readlink_in(Machine& m, const std::string& path, std::string_view distribution = {}) {
  auto o = run_in(m, {"/usr/bin/readlink", path}, Where::kVm, distribution);
  return o.out;
}

TEST(Sandbox, GeneratedDistributionsHaveTheirOwnInitAndOsRelease) {
  Fixture f;
  auto m = f.start();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->start_vm({}).has_value());
  auto a = m->start_distribution({.id = "a", .os_release = "NAME=\"Test Linux\"\nID=test\n"});
  ASSERT_TRUE(a.has_value()) << a.error().describe();
  auto b = m->start_distribution({.id = "b"});
  ASSERT_TRUE(b.has_value()) << b.error().describe();
  EXPECT_NE(a->init_pid, b->init_pid);
  EXPECT_NE(a->pid_namespace, b->pid_namespace);
  EXPECT_EQ(sh_in(*m, "cat /etc/os-release", Where::kVm, "a").out,
            "NAME=\"Test Linux\"\nID=test\n");
  EXPECT_EQ(sh_in(*m, "test -e /etc/os-release || echo none; id -u; echo $$; cat /proc/1/comm",
                  Where::kVm, "b")
                .out.substr(0, 7),
            "none\n0\n");
  // init_pid and pid_namespace as the VM's root sees them, and as the distribution sees itself.
  const std::string ns = "pid:[" + std::to_string(a->pid_namespace) + "]\n";
  EXPECT_EQ(readlink_in(*m, "/proc/1/ns/pid", "a"), ns);
  EXPECT_EQ(readlink_in(*m, "/proc/" + std::to_string(a->init_pid) + "/ns/pid"), ns);
  EXPECT_EQ(readlink_in(*m, "/proc/self/ns/pid", "a"), ns);
  // Stopping ends its processes; a restart gets a new init.
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  ::close(out[0]);
  SpawnSpec sleeper{.argv = {"/bin/sleep", "1035.5"}, .env = kEnv, .stdio = {-1, out[1], -1}};
  auto s = m->spawn_in_vm(sleeper, "a");
  ::close(out[1]);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(wait_count({"/bin/sleep", "1035.5"}, 1), 1);
  ASSERT_TRUE(m->stop_distribution("a").has_value());
  pollfd done{s->exit_fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&done, 1, 5000), 1);
  EXPECT_EQ(s->status(), 128 + SIGKILL);
  EXPECT_EQ(run_in(*m, {"/bin/true"}, Where::kVm, "a").status, -ESRCH);
  auto again = m->start_distribution({.id = "a"});
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(again->init_pid, a->init_pid);
  EXPECT_FALSE(m->start_distribution({.id = "a"}).has_value());  // already running
}

// A tiny root file system: dash, cat, touch and rm with the C library, and an /etc/issue.net.
fs::path make_rootfs(const fs::path& dir) {
  const fs::path root = dir / "rootfs";
  fs::create_directories(root / "usr" / "bin");
  fs::create_directories(root / "usr" / "lib" / "x86_64-linux-gnu");
  fs::create_directories(root / "usr" / "lib64");
  fs::create_directories(root / "etc");
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"/usr/bin/dash", "usr/bin/sh"},
           {"/usr/bin/cat", "usr/bin/cat"},
           {"/usr/bin/touch", "usr/bin/touch"},
           {"/usr/bin/rm", "usr/bin/rm"},
           {"/lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libc.so.6"},
           {"/lib64/ld-linux-x86-64.so.2", "usr/lib64/ld-linux-x86-64.so.2"}})
    fs::copy_file(fs::canonical(from), root / to);
  fs::create_directory_symlink("usr/bin", root / "bin");
  fs::create_directory_symlink("usr/lib", root / "lib");
  fs::create_directory_symlink("usr/lib64", root / "lib64");
  write_text(root / "etc" / "issue.net", "hello from the rootfs\n");
  return root;
}

TEST(Sandbox, RootfsDistributionIsAnOverlayThatNeverModifiesTheFolder) {
  Fixture f;
  const fs::path rootfs = make_rootfs(f.dir.path());
  f.options.binds = {{f.dir / "rootfs", "/run/rootfs", false}};
  auto m = f.start();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->start_vm({}).has_value());
  auto d = m->start_distribution({.id = "r", .rootfs = rootfs});
  ASSERT_TRUE(d.has_value()) << d.error().describe();
  const auto o = sh_in(*m,
                       "cat /etc/issue.net; echo changed > /etc/issue.net; touch /new; "
                       "rm /usr/bin/touch; cat /etc/issue.net; cat /proc/1/comm",
                       Where::kVm, "r");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "hello from the rootfs\nchanged\nwslplug-sandbox\n") << o.err;
  EXPECT_EQ(read_text(rootfs / "etc" / "issue.net"), "hello from the rootfs\n");
  EXPECT_FALSE(fs::exists(rootfs / "new"));
  EXPECT_TRUE(fs::exists(rootfs / "usr" / "bin" / "touch"));
  ASSERT_TRUE(m->stop_distribution("r").has_value());
  EXPECT_FALSE(fs::exists(f.options.run_dir / "dist" / "1"));
  // A folder the machine cannot see is refused.
  EXPECT_FALSE(m->start_distribution({.id = "x", .rootfs = f.dir / "elsewhere"}).has_value());
}

TEST(Sandbox, StopVmEndsEverythingInItAndDestroyingTheMachineEndsTheRest) {
  Fixture f;
  auto m = f.start();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->start_vm({}).has_value());
  ASSERT_TRUE(m->start_distribution({.id = "d"}).has_value());
  const std::vector<std::string> vm_sleep = {"sleep", "1037.5"}, dist_sleep = {"sleep", "1038.5"},
                                 win_sleep = {"sleep", "1039.5"};
  EXPECT_EQ(sh_in(*m, "setsid sleep 1037.5 >/dev/null 2>&1 </dev/null &", Where::kVm).status, 0);
  EXPECT_EQ(sh_in(*m, "setsid sleep 1038.5 >/dev/null 2>&1 </dev/null &", Where::kVm, "d").status,
            0);
  EXPECT_EQ(wait_count(vm_sleep, 1), 1);
  EXPECT_EQ(wait_count(dist_sleep, 1), 1);
  ASSERT_TRUE(m->stop_vm().has_value());
  EXPECT_EQ(count_processes(vm_sleep), 0);
  EXPECT_EQ(count_processes(dist_sleep), 0);
  // Now the machine: a detached Windows-side process and a new VM's process.
  ASSERT_TRUE(m->start_vm({}).has_value());
  EXPECT_EQ(sh_in(*m, "setsid sleep 1037.5 >/dev/null 2>&1 </dev/null &", Where::kVm).status, 0);
  EXPECT_EQ(sh_in(*m, "setsid sleep 1039.5 >/dev/null 2>&1 </dev/null &").status, 0);
  EXPECT_EQ(wait_count(win_sleep, 1), 1);
  m.reset();
  EXPECT_EQ(count_processes(vm_sleep), 0);
  EXPECT_EQ(count_processes(win_sleep), 0);
}

TEST(Sandbox, PrepareRootfsUnpacksOnceAndReturnsFoldersAsTheyAre) {
  TempDir dir;
  const fs::path src = make_rootfs(dir.path());
  EXPECT_EQ(prepare_rootfs(src, dir / "cache").value(), src);
  const fs::path tarball = dir / "rootfs.tar.gz";
  ASSERT_EQ(test::run({"tar", "-czf", tarball.string(), "-C", src.string(), "."}).rc, 0);
  auto first = prepare_rootfs(tarball, dir / "cache");
  ASSERT_TRUE(first.has_value()) << first.error().describe();
  EXPECT_EQ(first->parent_path(), dir / "cache");
  EXPECT_EQ(first->filename().string().size(), 64u);
  EXPECT_EQ(read_text(*first / "etc" / "issue.net"), "hello from the rootfs\n");
  const auto mtime = fs::last_write_time(*first);
  EXPECT_EQ(prepare_rootfs(tarball, dir / "cache").value(), *first);
  EXPECT_EQ(fs::last_write_time(*first), mtime);
  write_text(dir / "bad.tar", "not a tarball");
  auto bad = prepare_rootfs(dir / "bad.tar", dir / "cache");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("tar said"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(prepare_rootfs(dir / "missing.tar", dir / "cache").has_value());
}

TEST(Sandbox, MissingBubblewrapAndAgentAreNamed) {
  Fixture f;
  f.options.bwrap = "/nonexistent/bwrap";
  auto m = Machine::start(f.options);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("bubblewrap is not installed"), std::string::npos);
  EXPECT_EQ(m.error().fix, "apt-get install bubblewrap");
  Fixture g;
  g.options.agent = g.dir / "no-agent";
  auto n = Machine::start(g.options);
  ASSERT_FALSE(n.has_value());
  EXPECT_NE(n.error().message.find("wslplug-sandbox"), std::string::npos);
}

TEST(Sandbox, RefusedUserNamespacesAreExplainedWithTheirFixes) {
  Fixture f;
  const fs::path fake = f.dir / "bwrap";
  write_text(fake, "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n");
  fs::permissions(fake, fs::perms::owner_all);
  f.options.bwrap = fake;
  auto m = Machine::start(f.options);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().kind, ErrorKind::kIo);
  EXPECT_NE(m.error().message.find("user namespaces are refused"), std::string::npos)
      << m.error().message;
  EXPECT_NE(m.error().message.find("setting up uid map: Permission denied"), std::string::npos);
  for (const char* fix : {"kernel.unprivileged_userns_clone=1",
                          "kernel.apparmor_restrict_unprivileged_userns=0", "--no-sandbox"})
    EXPECT_NE(m.error().fix.find(fix), std::string::npos) << fix;
}

// Costs, printed for the record (median of 5): start a machine, spawn, start a VM, start a
// distribution.
TEST(Sandbox, Costs) {
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  using clock = std::chrono::steady_clock;
  auto ms = [](clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::vector<double> machine, spawn, vm, vm_spawn, dist, stop;
  for (int i = 0; i < 5; ++i) {
    Fixture f;
    auto t = clock::now();
    auto m = f.start();
    machine.push_back(ms(clock::now() - t));
    ASSERT_TRUE(m);
    t = clock::now();
    EXPECT_EQ(run_in(*m, {"/bin/true"}).status, 0);
    spawn.push_back(ms(clock::now() - t));
    t = clock::now();
    ASSERT_TRUE(m->start_vm({}).has_value());
    vm.push_back(ms(clock::now() - t));
    t = clock::now();
    EXPECT_EQ(run_in(*m, {"/bin/true"}, Where::kVm).status, 0);
    vm_spawn.push_back(ms(clock::now() - t));
    t = clock::now();
    ASSERT_TRUE(m->start_distribution({.id = "x"}).has_value());
    dist.push_back(ms(clock::now() - t));
    t = clock::now();
    m.reset();
    stop.push_back(ms(clock::now() - t));
  }
  std::cout << "sandbox costs (median of 5, ms): machine start " << median(machine)
            << ", spawn+exit /bin/true " << median(spawn) << ", VM start " << median(vm)
            << ", VM spawn+exit " << median(vm_spawn) << ", distribution start " << median(dist)
            << ", machine stop " << median(stop) << "\n";
}

}  // namespace
}  // namespace wslplug::host::sandbox
