// The Linux side of a version: ExecuteBinary, ExecuteBinaryInDistribution and WSLCCreateProcess
// requests from the host, served by Linux processes (or canned replies, or refusals).
#include "driver.hpp"

namespace wslplug::host::driver {

void VersionRun::on_accept() {
  for (;;) {
    const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    auto x = std::make_unique<Exec>();
    x->tcp = fd;
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
  reply(x.tcp, "fail " + hex8(hr) + (x.wslc ? " " + std::to_string(child_errno) : ""));
  close_fd(x.tcp);
}

void VersionRun::exec_header(Exec& x) {
  const std::vector<std::string> t = split(x.header);
  // exec CID KIND GUID PATH ARG...
  if (t.size() < 5 || t[0] != "exec") return refuse(x, kEFail, "malformed request from the host");
  x.cid = std::strtol(t[1].c_str(), nullptr, 10);
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
  if (x.wslc) {
    if (o_.no_exec) return refuse(x, kEFail, "--no-exec refuses every command with E_FAIL", ENOENT);
    struct stat st {};
    if (::stat(path->c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        ::access(path->c_str(), X_OK) != 0)
      return refuse(x, kEFail,
                    fmt::format("{} is not an executable file on this machine (this harness "
                                "answers E_FAIL with Errno ENOENT/EACCES)",
                                utf8(*path)),
                    errno == 0 ? ENOENT : errno);
    return spawn(x, *path, std::move(args), env ? &*env : nullptr);
  }
  if (t[2] == "distribution") {
    const auto guid = normalize_guid(t[3]);
    const bool known = guid && std::any_of(o_.distributions.begin(), o_.distributions.end(),
                                           [&](const Distribution& d) { return d.guid == *guid; });
    if (!known)
      return refuse(x, kNotFound,
                    fmt::format("no distribution has GUID {} (ERROR_NOT_FOUND is this harness's "
                                "answer; WSL's exact code for an unknown distribution is not "
                                "documented)",
                                t[3]));
  }
  for (const CannedCommand& c : o_.commands) {
    if (c.path != *path) continue;
    if (c.arguments && *c.arguments != args) continue;
    if (c.result) return refuse(x, *c.result, "refused by the scenario's canned reply");
    x.canned = true;
    x.served_by = "canned";
    reply(x.tcp, "ok");
    x.to_tcp = c.stdout_text;
    append_capped(x.output, c.stdout_text, kCaptureMax);
    x.child_eof = true;
    return;
  }
  if (o_.no_exec) return refuse(x, kEFail, "--no-exec refuses every command with E_FAIL");
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(path->c_str(), X_OK) != 0)
    return refuse(x, kEFail,
                  fmt::format("{} is not an executable file on this machine (WSL answers "
                              "E_FAIL for a binary that does not exist)",
                              utf8(*path)));
  spawn(x, *path, std::move(args));
}

// Starts `path` as a real Linux process for the exec request: stdin and stdout on a socket pair,
// stderr on a pipe; a failed execve comes back over a close-on-exec status pipe.
void VersionRun::spawn(Exec& x, const std::string& path, std::vector<std::string> args,
                       const std::vector<std::string>* env) {
  int sp[2], err[2], status[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0 ||
      ::pipe2(err, O_CLOEXEC) != 0 || ::pipe2(status, O_CLOEXEC) != 0)
    return refuse(x, kEFail, fmt::format("cannot create pipes: {}", std::strerror(errno)));
  if (args.empty()) args.push_back(path);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(sp[1], 0);
    ::dup2(sp[1], 1);
    ::dup2(err[1], 2);
    ::dup2(status[1], 3);
    ::close_range(4, ~0u, 0);
    ::fcntl(3, F_SETFD, FD_CLOEXEC);
    if (::chdir("/") != 0) {
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    char env0[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    char env1[] = "LANG=C.UTF-8";
    char env2[] = "HOME=/root";
    std::vector<char*> envp = {env0, env1, env2, nullptr};
    std::vector<std::string> given = env ? *env : std::vector<std::string>{};
    if (env) {
      envp.clear();
      for (auto& e : given) envp.push_back(e.data());
      envp.push_back(nullptr);
    }
    ::execve(path.c_str(), argv.data(), envp.data());
    const int e = errno;
    if (::write(3, &e, sizeof e) < 0) {
    }
    ::_exit(127);
  }
  ::close(sp[1]);
  ::close(err[1]);
  ::close(status[1]);
  if (pid < 0) {
    ::close(sp[0]);
    ::close(err[0]);
    ::close(status[0]);
    return refuse(x, kEFail, fmt::format("fork failed: {}", std::strerror(errno)));
  }
  ::setpgid(pid, pid);
  int child_errno = 0;
  const ssize_t got = ::read(status[0], &child_errno, sizeof child_errno);
  ::close(status[0]);
  if (got > 0) {
    int st2 = 0;
    ::waitpid(pid, &st2, 0);
    ::close(sp[0]);
    ::close(err[0]);
    return refuse(x, kEFail,
                  fmt::format("{} cannot be executed: {} (WSL answers E_FAIL)", utf8(path),
                              std::strerror(child_errno)),
                  child_errno);
  }
  x.pid = pid;
  x.pidfd = pidfd_open(pid);
  x.sp = sp[0];
  x.err = err[0];
  set_nonblock(x.sp);
  set_nonblock(x.err);
  x.served_by = "process";
  reply(x.tcp, "ok");
}

void VersionRun::exec_io(Exec& x, const pollfd* tcp, const pollfd* sp, const pollfd* err,
                         const pollfd* pid) {
  char buf[65536];
  if (tcp && tcp->revents && x.tcp >= 0) {
    if (!x.have_header) {
      const ssize_t n = ::recv(x.tcp, buf, sizeof buf, 0);
      if (n <= 0) {
        close_fd(x.tcp);
        return;
      }
      x.header.append(buf, static_cast<size_t>(n));
      const size_t nl = x.header.find('\n');
      if (nl != std::string::npos) {
        const std::string rest = x.header.substr(nl + 1);
        x.header.resize(nl);
        x.have_header = true;
        exec_header(x);
        if (x.tcp >= 0 && !rest.empty()) {
          append_capped(x.input, rest, kCaptureMax);
          if (!x.canned) x.to_child += rest;
        }
      } else if (x.header.size() > 1 << 20) {
        close_fd(x.tcp);
      }
      return;
    }
    if ((tcp->revents & (POLLIN | POLLHUP | POLLERR)) && !x.tcp_eof) {
      const ssize_t n = ::recv(x.tcp, buf, sizeof buf, 0);
      if (n > 0) {
        append_capped(x.input, {buf, static_cast<size_t>(n)}, kCaptureMax);
        if (!x.canned) x.to_child.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        x.tcp_eof = true;
      }
    }
    if ((tcp->revents & POLLOUT) && !x.to_tcp.empty()) {
      const ssize_t n = ::send(x.tcp, x.to_tcp.data(), x.to_tcp.size(), MSG_NOSIGNAL);
      if (n > 0)
        x.to_tcp.erase(0, static_cast<size_t>(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        x.to_tcp.clear();  // the plugin closed its socket
    }
  }
  if (sp && sp->revents && x.sp >= 0) {
    if ((sp->revents & (POLLIN | POLLHUP | POLLERR)) && !x.child_eof) {
      const ssize_t n = ::read(x.sp, buf, sizeof buf);
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
      const ssize_t n = ::send(x.sp, x.to_child.data(), x.to_child.size(), MSG_NOSIGNAL);
      if (n > 0)
        x.to_child.erase(0, static_cast<size_t>(n));
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        x.to_child.clear();
    }
  }
  if (err && err->revents && x.err >= 0) {
    const ssize_t n = ::read(x.err, buf, sizeof buf);
    if (n > 0 && x.wslc) {
      append_capped(x.stderr_text, {buf, static_cast<size_t>(n)}, kCaptureMax);
      append_frame(x.to_tcp, 2, {buf, static_cast<size_t>(n)});
    } else if (n > 0) {
      append_capped(x.dmesg, {buf, static_cast<size_t>(n)}, kCaptureMax);
      append_capped(dmesg_, {buf, static_cast<size_t>(n)}, kOutputMax);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      close_fd(x.err);
    }
  }
  if (pid && pid->revents && x.pidfd >= 0) {
    int status = 0;
    if (::waitpid(x.pid, &status, WNOHANG) == x.pid) {
      x.exit_code = status_code(status);
      close_fd(x.pidfd);
    }
  }
  // A WSLC process's exit goes to the host after its last output.
  if (x.wslc && !x.exit_sent && x.child_eof && x.err < 0 && x.exit_code && x.tcp >= 0) {
    const auto code = static_cast<std::uint32_t>(*x.exit_code);
    std::string four;
    for (int i = 0; i < 4; ++i) four.push_back(static_cast<char>((code >> (8 * i)) & 0xff));
    append_frame(x.to_tcp, 3, four);
    x.exit_sent = true;
    // Start sending now: poll asks for POLLOUT next round.
    const ssize_t n = ::send(x.tcp, x.to_tcp.data(), x.to_tcp.size(), MSG_NOSIGNAL);
    if (n > 0) x.to_tcp.erase(0, static_cast<size_t>(n));
  }
  // Half-closes, in both directions, once the pending bytes are through.
  if (x.tcp_eof && x.to_child.empty() && !x.child_shut && x.sp >= 0) {
    ::shutdown(x.sp, SHUT_WR);
    x.child_shut = true;
  }
  if (x.child_eof && x.to_tcp.empty() && !x.tcp_shut && x.tcp >= 0 && x.have_header &&
      (!x.wslc || x.exit_sent)) {
    ::shutdown(x.tcp, SHUT_WR);
    x.tcp_shut = true;
  }
  if (x.child_eof && x.sp >= 0 && (x.child_shut || x.tcp < 0)) close_fd(x.sp);
  if (x.tcp_eof && x.tcp_shut) close_fd(x.tcp);
}

}  // namespace wslplug::host::driver
