#include "tsa.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "pki.hpp"

extern char** environ;

namespace wslplug::test {

std::string tsa_mode_name(TsaMode mode) {
  switch (mode) {
    case TsaMode::kNormal:
      return "normal";
    case TsaMode::kGarbage:
      return "garbage";
    case TsaMode::kHttp500:
      return "http500";
    case TsaMode::kHang:
      return "hang";
    case TsaMode::kReject:
      return "reject";
    case TsaMode::kBadNonce:
      return "nonce";
    case TsaMode::kBadImprint:
      return "imprint";
    case TsaMode::kChunked:
      return "chunked";
    case TsaMode::kHugeChunk:
      return "hugechunk";
  }
  return "normal";
}

LocalTsa::LocalTsa(TsaOptions options) : tls_(options.tls), tls_names_(options.tls_names) {
  error_ = setup_pki();
  if (error_.empty()) error_ = start_server(options);
}

LocalTsa::~LocalTsa() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

std::string LocalTsa::url() const {
  return fmt::format("{}://127.0.0.1:{}/", tls_ ? "https" : "http", port_);
}
fs::path LocalTsa::tls_ca() const { return dir_ / "tlsca.pem"; }
fs::path LocalTsa::root_cert() const { return dir_ / "tsaroot.pem"; }
fs::path LocalTsa::leaf_cert() const { return dir_ / "tsa.pem"; }
fs::path LocalTsa::leaf_key() const { return dir_ / "tsa.key"; }
fs::path LocalTsa::config() const { return source_dir() / "tests" / "tsa" / "tsa.cnf"; }

std::vector<std::string> LocalTsa::requests() const {
  std::vector<std::string> lines;
  std::ifstream in(dir_ / "requests.log");
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

std::string LocalTsa::server_log() const {
  std::ifstream in(dir_ / "server.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string LocalTsa::setup_pki() {
  const auto d = dir_.path();
  // The usual DER order (O before CN), so names show as "CN=..., O=wslplug tests".
  const auto root = make_cert(d, "tsaroot",
                              {.cn = "wslplug test TSA root",
                               .org = "wslplug tests",
                               .ca = true,
                               .end = "20360101000000Z"});
  if (root.cert.empty()) return "cannot create the TSA root certificate";
  const auto leaf = make_cert(d, "tsa",
                              {.cn = "wslplug test TSA",
                               .org = "wslplug tests",
                               .eku = "critical,timeStamping",
                               .end = "20360101000000Z",
                               .issuer = &root});
  if (leaf.cert.empty()) return "cannot create the TSA certificate";
  write_text(d / "tsa-chain.pem", read_text(d / "tsaroot.pem"));
  if (tls_) {
    const auto ca = make_cert(d, "tlsca", {.cn = "wslplug test TLS CA", .ca = true});
    const auto server = make_cert(
        d, "tlsserver", {.cn = "127.0.0.1", .eku = "serverAuth", .issuer = &ca, .san = tls_names_});
    if (server.cert.empty()) return "cannot create the TLS server certificate";
  }
  write_text(d / "serial", "01\n");
  return {};
}

std::string LocalTsa::start_server(const TsaOptions& options) {
  const auto d = dir_.path();
  const auto port_file = d / "port";
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   (source_dir() / "tests" / "tsa" / "tsa_server.py").string(),
                                   "--dir",
                                   d.string(),
                                   "--config",
                                   config().string(),
                                   "--port-file",
                                   port_file.string(),
                                   "--log",
                                   (d / "requests.log").string(),
                                   "--mode",
                                   tsa_mode_name(options.mode),
                                   "--first-mode",
                                   tsa_mode_name(options.first_mode),
                                   "--first-count",
                                   std::to_string(options.first_count),
                                   "--lifetime",
                                   std::to_string(options.lifetime_seconds)};
  if (options.tls) {
    argv.insert(argv.end(), {"--tls-cert", (d / "tlsserver.pem").string(), "--tls-key",
                             (d / "tlsserver.key").string()});
  }
  const auto log = (d / "server.log").string();
  pid_ = fork();
  if (pid_ < 0) return "fork failed";
  if (pid_ == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stdout);
    if (f != nullptr) dup2(fileno(stdout), 2);
    setenv("WSLPLUG_TSA_DIR", d.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(port_file)) {
      port_ = std::atoi(read_text(port_file).c_str());
      if (port_ > 0) return {};
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return "the TSA server exited at start: " + server_log();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "the TSA server did not report its port within 15 s: " + server_log();
}

namespace {

// Starts `argv` with stdout/stderr in `log` and waits for it to write its port to `port_file`.
std::string start_python(const std::vector<std::string>& argv, const fs::path& port_file,
                         const fs::path& log, pid_t& pid, int& port) {
  pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stdout);
    if (f != nullptr) dup2(fileno(stdout), 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(port_file)) {
      port = std::atoi(read_text(port_file).c_str());
      if (port > 0) return {};
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return "the server exited at start: " + read_text(log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "the server did not report its port within 15 s: " + read_text(log);
}

}  // namespace

LocalProxy::LocalProxy(bool require_auth, int lifetime_seconds) {
  const auto d = dir_.path();
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   (source_dir() / "tests" / "tsa" / "connect_proxy.py").string(),
                                   "--port-file",
                                   (d / "port").string(),
                                   "--log",
                                   (d / "requests.log").string(),
                                   "--lifetime",
                                   std::to_string(lifetime_seconds)};
  if (require_auth) argv.push_back("--require-auth");
  error_ = start_python(argv, d / "port", d / "server.log", pid_, port_);
}

LocalProxy::~LocalProxy() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

std::string LocalProxy::url() const { return fmt::format("http://127.0.0.1:{}", port_); }

std::vector<std::string> LocalProxy::requests() const {
  std::vector<std::string> lines;
  std::ifstream in(dir_ / "requests.log");
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

RunResult osslsigncode(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"osslsigncode"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv);
  if (r.rc != 0)
    ADD_FAILURE() << fmt::format("{} failed (rc {}):\n{}", fmt::join(argv, " "), r.rc, r.both());
  return r;
}

}  // namespace wslplug::test
