// The Linux side of a version: ExecuteBinary, ExecuteBinaryInDistribution and WSLCCreateProcess
// requests from the host, served by Linux processes (or canned replies, or refusals).
#include "driver.hpp"

namespace wslplug::host::driver {

void VersionRun::on_accept() {
  for (;;) {
    Fd fd(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) return;
    auto x = std::make_unique<Exec>();
    x->tcp = std::move(fd);
    execs_.push_back(std::move(x));
  }
}

void reply(int fd, std::string_view line) {
  std::string data(line);
  data.push_back('\n');
  size_t done = 0;
  // The host waits for this line before it hands the socket to the plugin: a few bytes into an
  // empty socket buffer, so this does not block.
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// One frame of the WSLC process transport: [type:1][length:4 LE][bytes].
void append_frame(std::string& to, char type, std::string_view data) {
  const auto n = static_cast<std::uint32_t>(data.size());
  to.push_back(type);
  for (int i = 0; i < 4; ++i) to.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  to.append(data);
}

// Answers the host's exec request with a failure; the plugin's call returns `hr`.
void refuse(Exec& x, std::uint32_t hr, std::string note, int child_errno = 0) {
  x.served_by = "refused";
  x.note = std::move(note);
  reply(x.tcp.get(), "fail " + hex8(hr) + (x.wslc ? " " + std::to_string(child_errno) : ""));
  x.tcp.reset();
}

// Answers a mount or unmount request.
void answer(Exec& x, std::uint32_t hr, std::string served_by, std::string note) {
  x.served_by = std::move(served_by);
  x.note = std::move(note);
  reply(x.tcp.get(), hr == kSOk ? std::string("ok") : "fail " + hex8(hr));
  x.tcp.reset();
}

// The run's secret, compared in constant time.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// One request from the host: "SECRET VERB ..." (host/win/wslplug_host.cpp has the grammar).
void VersionRun::exec_header(Exec& x) {
  std::vector<std::string> t = split(x.header);
  if (t.empty() || !same_secret(t[0], secret_)) {
    // Not the host of this run: another local process found the port.
    ++refused_connections_;
    x.verb = "refused-connection";
    x.tcp.reset();
    return;
  }
  t.erase(t.begin());
  if (t.size() >= 2) x.cid = std::strtol(t[1].c_str(), nullptr, 10);
  if (!t.empty()) x.verb = t[0];
  if (x.verb == "mount" && t.size() == 6) return mount_request(x, t);
  if (x.verb == "unmount" && t.size() == 3) return unmount_request(x, t);
  // exec CID KIND GUID PATH ARG... [+ ENV...]
  if (t.size() < 5 || t[0] != "exec") return refuse(x, kEFail, "malformed request from the host");
  x.wslc = t[2] == "wslc";
  auto path = decode(t[4]);
  std::vector<std::string> args;
  std::optional<std::vector<std::string>> env;
  for (size_t i = 5; i < t.size(); ++i) {
    if (t[i] == "+") {
      env.emplace();
      continue;
    }
    (env ? *env : args).push_back(decode(t[i]).value_or(""));
  }
  if (!path) return refuse(x, kEFail, "malformed request from the host");
  std::string distribution;
  if (!x.wslc) {
    // LxssUserSessionImpl::CreateLinuxProcess: no VM -> E_NOT_VALID_STATE; a GUID that is not a
    // running distribution -> WSL_E_VM_MODE_INVALID_STATE.
    if (!vm_running_)
      return refuse(x, kInvalidState,
                    "the VM is not running (the call came before OnVMStarted or after "
                    "OnVMStopping): WSL answers E_NOT_VALID_STATE");
    if (t[2] == "distribution") {
      const auto guid = normalize_guid(t[3]);
      if (!guid || !running_distributions_.contains(*guid))
        return refuse(x, kVmModeInvalidState,
                      fmt::format("{} is not a running distribution: WSL answers "
                                  "WSL_E_VM_MODE_INVALID_STATE",
                                  t[3]));
      distribution = *guid;
    }
    for (const CannedCommand& c : o_.commands) {
      if (c.path != *path) continue;
      if (c.arguments && *c.arguments != args) continue;
      if (c.result) return refuse(x, *c.result, "refused by the scenario's canned reply");
      x.canned = true;
      x.served_by = "canned";
      reply(x.tcp.get(), "ok");
      x.to_tcp = c.stdout_text;
      append_capped(x.output, c.stdout_text, kCaptureMax);
      x.child_eof = true;
      return;
    }
  }
  if (o_.no_exec)
    return refuse(x, kEFail, "--no-exec refuses every command with E_FAIL", x.wslc ? ENOENT : 0);
  spawn(x, *path, std::move(args), env ? &*env : nullptr, distribution);
}

// MountFolder (vm) and WSLCMountFolder (wslc): the host checked the arguments and that the
// Windows folder exists; here the folder is mounted in the VM.
void VersionRun::mount_request(Exec& x, const std::vector<std::string>& t) {
  // mount CID KIND UNIXPATH LINUXPATH RO
  const bool wslc = t[2] == "wslc";
  const auto source = decode(t[3]);
  const auto target = decode(t[4]).value_or("");
  const bool read_only = t[5] == "1";
  if (wslc && wslc_mounts_.contains(target))
    return answer(x, kAlreadyExists, "refused",
                  fmt::format("a folder is already mounted at {}: WSLC answers "
                              "HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)",
                              utf8_lossy(target)));
  if (!source)
    return answer(x, kEFail, "refused",
                  "the Windows folder has no Linux path in this host (not under wine): nothing "
                  "can be mounted");
  const int rc = linux_.mount(*source, target, read_only);
  if (wslc && (rc == 0 || rc == ENOSYS)) wslc_mounts_.insert(target);
  if (rc == ENOSYS)
    return answer(x, kSOk, "not-mounted",
                  "recorded; nothing is mounted (--no-sandbox: the Linux side is this machine)");
  if (rc != 0)
    return answer(x, kEFail, "refused",
                  fmt::format("mounting {} at {} failed in the VM: {} (WSL answers E_FAIL)",
                              utf8_lossy(*source), utf8_lossy(target), std::strerror(rc)));
  answer(x, kSOk, "mounted",
         fmt::format("mounted in the VM at {}{}", utf8_lossy(target),
                     read_only ? " (read-only)" : ""));
}

void VersionRun::unmount_request(Exec& x, const std::vector<std::string>& t) {
  // unmount CID LINUXPATH
  const auto target = decode(t[2]).value_or("");
  if (!wslc_mounts_.contains(target))
    return answer(x, kNotFound, "refused",
                  fmt::format("nothing was mounted at {} with WSLCMountFolder: WSLC answers "
                              "HRESULT_FROM_WIN32(ERROR_NOT_FOUND)",
                              utf8_lossy(target)));
  wslc_mounts_.erase(target);
  const int rc = linux_.unmount(target);
  if (rc != 0 && rc != ENOSYS)
    return answer(
        x, kEFail, "refused",
        fmt::format("unmounting {} failed in the VM: {}", utf8_lossy(target), std::strerror(rc)));
  answer(x, kSOk, rc == ENOSYS ? "not-mounted" : "unmounted", "");
}

// Starts `path` as a Linux process for the exec request: stdin and stdout on a socket pair,
// stderr on a pipe.
void VersionRun::spawn(Exec& x, const std::string& path, std::vector<std::string> args,
                       const std::vector<std::string>* env, const std::string& distribution) {
  auto sp = open_socketpair();
  if (!sp) return refuse(x, kEFail, fmt::format("cannot create sockets: {}", std::strerror(errno)));
  auto err = open_pipe();
  if (!err) return refuse(x, kEFail, fmt::format("cannot create pipes: {}", std::strerror(errno)));
  if (args.empty()) args.push_back(path);
  SpawnRequest request;
  request.path = path;
  request.argv = std::move(args);
  request.env = env ? *env
                    : std::vector<std::string>{
                          "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "LANG=C.UTF-8", "HOME=/root"};
  request.distribution = distribution;
  request.stdio = {sp->second.get(), sp->second.get(), err->write.get()};
  auto started = linux_.spawn(request);
  sp->second.reset();
  err->write.reset();
  if (!started) {
    const int e = started.error();
    if (e == EAGAIN) process_limit(fmt::format("{} could not start", utf8_lossy(path)));
    return refuse(x, kEFail,
                  fmt::format("{} cannot be executed in the {}: {} (WSL answers E_FAIL{})",
                              utf8_lossy(path), distribution.empty() ? "VM" : "distribution",
                              std::strerror(e), x.wslc ? ", Errno " + std::to_string(e) : ""),
                  e);
  }
  x.process = std::move(*started);
  x.sp = std::move(sp->first);
  x.err = std::move(err->read);
  set_nonblock(x.sp.get());
  set_nonblock(x.err.get());
  x.served_by = "process";
  reply(x.tcp.get(), "ok");
}

void VersionRun::exec_io(Exec& x, const pollfd* tcp, const pollfd* sp, const pollfd* err,
                         const pollfd* pid) {
  char buf[65536];
  if (tcp && tcp->revents && x.tcp.valid()) {
    if (!x.have_header) {
      const ssize_t n = ::recv(x.tcp.get(), buf, sizeof buf, 0);
      if (n <= 0) {
        x.tcp.reset();
        return;
      }
      x.header.append(buf, static_cast<size_t>(n));
      const size_t nl = x.header.find('\n');
      if (nl != std::string::npos) {
        const std::string rest = x.header.substr(nl + 1);
        x.header.resize(nl);
        x.have_header = true;
        exec_header(x);
        if (x.tcp.valid() && !rest.empty()) {
          append_capped(x.input, rest, kCaptureMax);
          if (!x.canned) x.to_child += rest;
        }
      } else if (x.header.size() > 1 << 20) {
        x.tcp.reset();
      }
      return;
    }
    if ((tcp->revents & (POLLIN | POLLHUP | POLLERR)) && !x.tcp_eof) {
      const ssize_t n = ::recv(x.tcp.get(), buf, sizeof buf, 0);
      if (n > 0) {
        append_capped(x.input, {buf, static_cast<size_t>(n)}, kCaptureMax);
        if (!x.canned) x.to_child.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        x.tcp_eof = true;
      }
    }
    if ((tcp->revents & POLLOUT) && !x.to_tcp.empty()) {
      const ssize_t n = ::send(x.tcp.get(), x.to_tcp.data(), x.to_tcp.size(), MSG_NOSIGNAL);
      if (n > 0)
        x.to_tcp.erase(0, static_cast<size_t>(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        x.to_tcp.clear();  // the plugin closed its socket
    }
  }
  if (sp && sp->revents && x.sp.valid()) {
    if ((sp->revents & (POLLIN | POLLHUP | POLLERR)) && !x.child_eof) {
      const ssize_t n = ::read(x.sp.get(), buf, sizeof buf);
      if (n > 0) {
        append_capped(x.output, {buf, static_cast<size_t>(n)}, kCaptureMax);
        if (x.wslc)
          append_frame(x.to_tcp, 1, {buf, static_cast<size_t>(n)});
        else
          x.to_tcp.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        x.child_eof = true;
      }
    }
    if ((sp->revents & POLLOUT) && !x.to_child.empty()) {
      const ssize_t n = ::send(x.sp.get(), x.to_child.data(), x.to_child.size(), MSG_NOSIGNAL);
      if (n > 0)
        x.to_child.erase(0, static_cast<size_t>(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        x.to_child.clear();
    }
  }
  if (err && err->revents && x.err.valid()) {
    const ssize_t n = ::read(x.err.get(), buf, sizeof buf);
    if (n > 0 && x.wslc) {
      append_capped(x.stderr_text, {buf, static_cast<size_t>(n)}, kCaptureMax);
      append_frame(x.to_tcp, 2, {buf, static_cast<size_t>(n)});
    } else if (n > 0) {
      append_capped(x.dmesg, {buf, static_cast<size_t>(n)}, kCaptureMax);
      append_capped(dmesg_, {buf, static_cast<size_t>(n)}, kOutputMax);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      x.err.reset();
    }
  }
  if (pid && pid->revents && x.process && !x.exit_code) x.exit_code = x.process->status();
  // A WSLC process's exit goes to the host after its last output.
  if (x.wslc && !x.exit_sent && x.child_eof && !x.err.valid() && x.exit_code && x.tcp.valid()) {
    const auto code = static_cast<std::uint32_t>(*x.exit_code);
    std::string four;
    for (int i = 0; i < 4; ++i) four.push_back(static_cast<char>((code >> (8 * i)) & 0xff));
    append_frame(x.to_tcp, 3, four);
    x.exit_sent = true;
    // Start sending now: poll asks for POLLOUT next round.
    const ssize_t n = ::send(x.tcp.get(), x.to_tcp.data(), x.to_tcp.size(), MSG_NOSIGNAL);
    if (n > 0) x.to_tcp.erase(0, static_cast<size_t>(n));
  }
  // Half-closes, in both directions, once the pending bytes are through.
  if (x.tcp_eof && x.to_child.empty() && !x.child_shut && x.sp.valid()) {
    ::shutdown(x.sp.get(), SHUT_WR);
    x.child_shut = true;
  }
  if (x.child_eof && x.to_tcp.empty() && !x.tcp_shut && x.tcp.valid() && x.have_header &&
      (!x.wslc || x.exit_sent)) {
    ::shutdown(x.tcp.get(), SHUT_WR);
    x.tcp_shut = true;
  }
  if (x.child_eof && x.sp.valid() && (x.child_shut || !x.tcp.valid())) x.sp.reset();
  if (x.tcp_eof && x.tcp_shut) x.tcp.reset();
}

}  // namespace wslplug::host::driver
