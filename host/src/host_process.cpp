// The host process of one version: starting it, the protocol lines it writes, its end.
#include "driver.hpp"
#include "wslplug/core/process.hpp"

namespace wslplug::host::driver {

Status VersionRun::start() {
  started_ = Clock::now();
  listen_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (!listen_.valid() ||
      ::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_.get(), 16) != 0 ||
      ::getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return io_error(fmt::format("cannot listen on 127.0.0.1: {}", std::strerror(errno)), {},
                    "wslplug run needs loopback TCP for ExecuteBinary");
  set_nonblock(listen_.get());
  const int port = ntohs(addr.sin_port);

  auto in = open_pipe(), out = open_pipe(), err = open_pipe();
  if (!in || !out || !err)
    return io_error(fmt::format("cannot create pipes: {}", std::strerror(errno)));
  secret_ = random_secret();
  if (box_) {
    // In the sandbox: the host under wine in the machine, with nothing but its streams.
    sandbox::SpawnSpec spec;
    spec.path = box_->wine;
    spec.argv = {box_->wine, box_->host_exe};
    spec.env = box_->env;
    spec.stdio = {in->read.get(), out->write.get(), err->write.get()};
    spec.confined = box_->confined;
    auto p = box_->machine->spawn(spec);
    in->read.reset();
    out->write.reset();
    err->write.reset();
    if (!p)
      return io_error(
          fmt::format("cannot start the plugin host in the sandbox: {}", std::strerror(p.error())),
          {}, "run again; if it persists, try --no-sandbox and report it");
    host_pid_ = p->pid();
    boxed_host_.emplace(std::move(*p));
    to_host_ = std::move(in->write);
    from_host_ = std::move(out->read);
    console_ = std::move(err->read);
    set_nonblock(from_host_.get());
    set_nonblock(console_.get());
    send(fmt::format("channel {} {}", port, secret_));
    return {};
  }
  std::vector<std::string> argv;
  if (e_.kind == "wine")
    argv = {e_.wine.string(), e_.exe.string()};
  else
    argv = {e_.exe.string()};
  // The plugin gets an allow-listed environment: what wine needs, nothing of the caller's.
  process::SpawnOptions options;
  options.environment = host_environment(e_);
  options.fds = {{0, in->read.get()}, {1, out->write.get()}, {2, err->write.get()}};
  options.new_session = true;  // its own process group: kill_host ends wine's children too
  auto child = process::spawn(argv, options);
  in->read.reset();
  out->write.reset();
  err->write.reset();
  if (!child) return std::unexpected(child.error());
  host_pid_ = child->pid;
  to_host_ = std::move(in->write);
  from_host_ = std::move(out->read);
  console_ = std::move(err->read);
  set_nonblock(from_host_.get());
  set_nonblock(console_.get());
  host_pidfd_ = std::move(child->pidfd);
  // Before anything else: where requests go and the secret they must carry (never in argv).
  send(fmt::format("channel {} {}", port, secret_));
  return {};
}

long VersionRun::count_threads() const {
  // In the sandbox the host's pid is not in this PID namespace: the host counts itself.
  if (box_ || e_.kind != "wine" || host_pid_ <= 0 || host_exited_) return -1;
  std::error_code ec;
  long n = 0;
  for (fs::directory_iterator it(fmt::format("/proc/{}/task", host_pid_), ec), end;
       !ec && it != end; it.increment(ec))
    ++n;
  return ec ? -1 : n;
}

void VersionRun::send(const std::string& line) {
  if (!to_host_.valid()) return;
  const std::string data = line + "\n";
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(to_host_.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void VersionRun::reap_host(bool block) {
  if (host_exited_ || host_pid_ < 0) return;
  bool ended = false;
  int status = 0;
  if (boxed_host_) {
    if (block) {
      pollfd p{boxed_host_->exit_fd(), POLLIN, 0};
      ::poll(&p, 1, 10000);
    }
    if (const auto code = boxed_host_->status()) {
      ended = true;
      // As a wait status, so that status_code() reads it back.
      status = *code >= 128 ? (*code - 128) : (*code << 8);
    }
  } else {
    ended = ::waitpid(host_pid_, &status, block ? 0 : WNOHANG) == host_pid_;
  }
  if (ended) {
    host_exited_ = true;
    host_status_ = status;
    host_pidfd_.reset();
    // What the host wrote before it ended.
    char buf[65536];
    for (ssize_t n; (n = ::read(from_host_.get(), buf, sizeof buf)) > 0;) {
      proto_buf_.append(buf, static_cast<size_t>(n));
    }
    for (size_t nl; (nl = proto_buf_.find('\n')) != std::string::npos;) {
      const std::string line = proto_buf_.substr(0, nl);
      proto_buf_.erase(0, nl + 1);
      on_line(line);
    }
    for (ssize_t n; (n = ::read(console_.get(), buf, sizeof buf)) > 0;)
      append_capped(output_, {buf, static_cast<size_t>(n)}, kOutputMax);
  }
}

void VersionRun::kill_host() {
  if (host_pid_ > 0 && !host_exited_) {
    if (boxed_host_) {
      boxed_host_->kill(SIGKILL);
    } else {
      ::kill(-host_pid_, SIGKILL);
      ::kill(host_pid_, SIGKILL);
    }
    reap_host(true);
  }
}

// Only the host process: wine's services may share its process group.
void VersionRun::kill_host_process_only() {
  if (host_pid_ <= 0 || host_exited_) return;
  if (boxed_host_)
    boxed_host_->kill(SIGKILL);
  else
    ::kill(host_pid_, SIGKILL);
  reap_host(true);
}

void VersionRun::cleanup() {
  kill_host();
  for (auto& x : execs_) {
    // A connection that never sent a whole request line is no request of the host's.
    if (x->tcp.valid() && !x->have_header && x->verb.empty()) {
      ++refused_connections_;
      x->verb = "refused-connection";
    }
    if (x->process && !x->exit_code) {
      x->process->kill();
      x->exit_code = x->process->status();
    }
    x->tcp.reset();
    x->sp.reset();
    x->err.reset();
  }
  to_host_.reset();
  from_host_.reset();
  console_.reset();
  listen_.reset();
  host_pidfd_.reset();
}

void VersionRun::pump(std::chrono::milliseconds timeout) {
  std::vector<pollfd> fds;
  auto add = [&](int fd, short events) -> int {
    if (fd < 0) return -1;
    fds.push_back({fd, events, 0});
    return static_cast<int>(fds.size() - 1);
  };
  const int i_proto = add(from_host_.get(), POLLIN);
  const int i_console = add(console_.get(), POLLIN);
  const int i_listen = add(listen_.get(), POLLIN);
  const int i_host =
      add(boxed_host_ && !host_exited_ ? boxed_host_->exit_fd() : host_pidfd_.get(), POLLIN);
  struct Slots {
    int tcp, sp, err, pid;
  };
  std::vector<Slots> slots;
  for (auto& x : execs_) {
    Slots s{-1, -1, -1, -1};
    if (x->tcp.valid()) {
      short ev = 0;
      if (!x->tcp_eof && (x->to_child.size() < kCaptureMax)) ev |= POLLIN;
      if (!x->to_tcp.empty()) ev |= POLLOUT;
      s.tcp = add(x->tcp.get(), ev);
    }
    if (x->sp.valid()) {
      short ev = 0;
      if (!x->child_eof && x->to_tcp.size() < kCaptureMax) ev |= POLLIN;
      if (!x->to_child.empty()) ev |= POLLOUT;
      s.sp = add(x->sp.get(), ev);
    }
    s.err = add(x->err.get(), POLLIN);
    if (x->process && !x->exit_code) s.pid = add(x->process->exit_fd(), POLLIN);
    slots.push_back(s);
  }
  const int n = ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
  if (n <= 0) {
    if (!host_pidfd_.valid() && !boxed_host_) reap_host(false);
    return;
  }
  char buf[65536];
  if (i_proto >= 0 && fds[i_proto].revents) {
    const ssize_t r = ::read(from_host_.get(), buf, sizeof buf);
    if (r > 0) {
      proto_buf_.append(buf, static_cast<size_t>(r));
      for (size_t nl; (nl = proto_buf_.find('\n')) != std::string::npos;) {
        const std::string line = proto_buf_.substr(0, nl);
        proto_buf_.erase(0, nl + 1);
        on_line(line);
      }
    } else if (r == 0) {
      from_host_.reset();
    }
  }
  if (i_console >= 0 && fds[i_console].revents) {
    const ssize_t r = ::read(console_.get(), buf, sizeof buf);
    if (r > 0)
      append_capped(output_, {buf, static_cast<size_t>(r)}, kOutputMax);
    else if (r == 0)
      console_.reset();
  }
  if (i_listen >= 0 && fds[i_listen].revents) on_accept();
  for (size_t k = 0; k < slots.size() && k < execs_.size(); ++k) {
    const Slots& s = slots[k];
    exec_io(*execs_[k], s.tcp >= 0 ? &fds[s.tcp] : nullptr, s.sp >= 0 ? &fds[s.sp] : nullptr,
            s.err >= 0 ? &fds[s.err] : nullptr, s.pid >= 0 ? &fds[s.pid] : nullptr);
  }
  if (i_host >= 0 && fds[i_host].revents) reap_host(false);
  if (!host_pidfd_.valid() && !boxed_host_) reap_host(false);
}

// ------------------------------------------------------------------ host lines
void VersionRun::on_line(const std::string& line) {
  const std::vector<std::string> t = split(line);
  if (t.empty()) return;
  const std::string& kind = t[0];
  if (kind == "ready") {
    ready_ = true;
    baseline_threads_ = count_threads();
  } else if (kind == "load" && t.size() >= 4) {
    const std::uint32_t hr = parse_hex(t[2]);
    load_["step"] = t[1];
    load_["hresult"] = hex8(hr);
    load_["symbol"] = symbol_of(hr);
    load_["duration_ms"] = round1(std::strtod(t[3].c_str(), nullptr) / 1000.0);
    if (t[1] != "EntryPoint" || failed(hr)) load_done_ = true;
  } else if (kind == "hooks" && t.size() >= 2) {
    hooks_set_.assign(slots_.size(), false);
    if (t[1] != "-") {
      for (const std::string& part : split_commas(t[1])) {
        const size_t i = std::strtoul(part.c_str(), nullptr, 10);
        if (i < hooks_set_.size()) hooks_set_[i] = true;
      }
    }
    for (size_t i = 0; i < slots_.size(); ++i)
      if (hooks_set_[i]) hooks_set_names_.push_back(slots_[i]);
    load_done_ = true;
  } else if (kind == "begin" && t.size() >= 3) {
    running_seq_ = std::strtol(t[1].c_str(), nullptr, 10);
    begun_.insert(running_seq_);
    // The hook thread it runs on: 0 the main thread, 1.. a service thread.
    if (auto it = event_index_.find(running_seq_); it != event_index_.end() && t.size() >= 5)
      events_[it->second]["thread"] = std::strtol(t[4].c_str(), nullptr, 10);
  } else if (kind == "end" && t.size() >= 5) {
    const long seq = std::strtol(t[1].c_str(), nullptr, 10);
    if (auto it = event_index_.find(seq); it != event_index_.end()) {
      json& ev = events_[it->second];
      const std::uint32_t hr = parse_hex(t[3]);
      ev["hresult"] = hex8(hr);
      ev["symbol"] = symbol_of(hr);
      const double d = std::strtod(t[4].c_str(), nullptr) / 1000.0;
      ev["duration_ms"] = round1(d);
      ev["slow"] = d > kSlowMs;
    }
    begun_.erase(seq);
    running_seq_ = begun_.empty() ? 0 : *begun_.rbegin();
  } else if (kind == "api" && t.size() >= 7) {
    on_api_line(t);
  } else if (kind == "crash" && t.size() >= 9) {
    on_crash_line(t);
  } else if (kind == "guard" && t.size() >= 9) {
    on_guard_line(t);
  } else if (kind == "threads" && t.size() >= 2) {
    threads_ = std::strtol(t[1].c_str(), nullptr, 10);
  } else if (kind == "bye") {
    bye_ = true;
  } else if (kind == "error") {
    protocol_errors_.push_back(line);
  }
}

// api CID SEQ THREAD NAME HRESULT T KEY=VALUE...: one call the plugin made into the API table.
void VersionRun::on_api_line(const std::vector<std::string>& t) {
  Call c;
  c.cid = std::strtol(t[1].c_str(), nullptr, 10);
  c.seq = std::strtol(t[2].c_str(), nullptr, 10);
  c.name = t[4];
  c.hr = parse_hex(t[5]);
  json args = json::object();
  for (size_t i = 7; i < t.size(); ++i) {
    const std::string& kv = t[i];
    if (kv.starts_with("env=") || kv.starts_with("env~")) {
      if (!args.contains("environment")) args["environment"] = json::array();
      args["environment"].push_back(token_json(kv.substr(3)));
      continue;
    }
    if (kv.starts_with("arg=") || kv.starts_with("arg~")) {
      if (!args.contains("arguments") || args["arguments"].is_null())
        args["arguments"] = json::array();
      args["arguments"].push_back(token_json(kv.substr(3)));
      continue;
    }
    // KEY followed by a string token ("=..." or "~"); session, read_only and fd are numbers.
    size_t split_at = 0;
    while (split_at < kv.size() && kv[split_at] != '=' && kv[split_at] != '~') ++split_at;
    const std::string key = kv.substr(0, split_at);
    const std::string value = kv.substr(split_at);
    json v;
    if (key == "session" || key == "read_only" || key == "fd" || key == "exit_code")
      v = value.size() > 1 ? json(std::strtoll(value.c_str() + 1, nullptr, 10)) : json(nullptr);
    else
      v = token_json(value);
    if (key == "read_only") v = v.is_number() && v.get<long long>() != 0;
    args[key] = v;
  }
  if ((c.name == "ExecuteBinary" || c.name == "ExecuteBinaryInDistribution" ||
       c.name == "WSLCCreateProcess") &&
      !args.contains("arguments"))
    args["arguments"] = json::array();
  if (c.name == "WSLCCreateProcess" && !args.contains("environment")) args["environment"] = nullptr;
  if (c.name == "ExecuteBinaryInDistribution" && args.contains("distribution") &&
      args["distribution"].is_string()) {
    args["distribution_name"] = nullptr;
    if (auto g = normalize_guid(args["distribution"].get<std::string>()))
      for (const auto& d : o_.distributions)
        if (d.guid == *g) args["distribution_name"] = d.name;
  }
  c.j = {{"call", c.name},
         {"args", args},
         {"hresult", hex8(c.hr)},
         {"symbol", symbol_of(c.hr)},
         {"thread", t[3]},
         {"hook", nullptr},
         {"t_ms", round1(std::strtod(t[6].c_str(), nullptr) / 1000.0)},
         {"note", nullptr}};
  calls_.push_back(std::move(c));
}

// crash CODE ADDRESS MODULE OFFSET ACCESS FAULT_ADDRESS THREAD SEQ: an unhandled exception.
void VersionRun::on_crash_line(const std::vector<std::string>& t) {
  const std::uint32_t code = parse_hex(t[1]);
  auto name = doctor::ntstatus_name(code);
  json crash = {{"code", hex8(code)},
                {"name", name ? json(std::string(*name)) : json(nullptr)},
                {"kind", "exception"},
                {"address", t[2]},
                {"module", token_json(t[3])},
                {"offset", fmt::format("0x{:X}", parse_hex(t[4]))},
                {"access", t[5] == "-" ? json(nullptr) : json(t[5])},
                {"fault_address", t[6] == "-" ? json(nullptr) : json(t[6])},
                {"thread", t[7]},
                {"seq", std::strtol(t[8].c_str(), nullptr, 10)},
                {"exit_code", nullptr}};
  if (t[3] == "~") crash["offset"] = nullptr;
  crash_ = crash;
}

// guard REGION KIND OFFSET ACCESS THREAD SEQ MODULE MODULE_OFFSET: an ABI violation.
void VersionRun::on_guard_line(const std::vector<std::string>& t) {
  abi_ = {{"region", t[1]},
          {"kind", t[2]},
          {"offset", std::strtoll(t[3].c_str(), nullptr, 10)},
          {"access", t[4]},
          {"thread", t[5]},
          {"seq", std::strtol(t[6].c_str(), nullptr, 10)},
          {"module", token_json(t[7])},
          {"module_offset", fmt::format("0x{:X}", parse_hex(t[8]))}};
}

}  // namespace wslplug::host::driver
