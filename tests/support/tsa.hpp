// A local RFC 3161 time-stamping authority for tests: a TSA root (CA:TRUE) and a TSA leaf with a
// critical timeStamping EKU made with the test PKI (pki.hpp) in a temp dir, and
// tests/tsa/tsa_server.py (a python3 http.server that answers POST with `openssl ts -reply`)
// listening on a free port of 127.0.0.1. The server exits by itself after `lifetime_seconds`; the
// destructor kills it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support.hpp"

namespace wslplug::test {

enum class TsaMode {
  kNormal,      // a real reply
  kGarbage,     // HTTP 200 with a non-DER body
  kHttp500,     // HTTP 500
  kHang,        // never answers
  kReject,      // PKIStatus rejection with a status text
  kBadNonce,    // a real reply to the request with its nonce changed
  kBadImprint,  // a real reply to the request with its message imprint changed
  kChunked,     // a real reply with Transfer-Encoding: chunked
  kHugeChunk,   // chunked, the first chunk claiming 2^64 - 1 bytes (a size that wraps)
};
std::string tsa_mode_name(TsaMode mode);

struct TsaOptions {
  TsaMode mode = TsaMode::kNormal;
  TsaMode first_mode = TsaMode::kNormal;  // the first `first_count` requests get this mode
  int first_count = 0;
  int lifetime_seconds = 120;
  bool tls = false;  // https: a server certificate for 127.0.0.1 from a test TLS CA (tls_ca())
  std::string tls_names = "IP:127.0.0.1,DNS:localhost";  // its subjectAltName
};

class LocalTsa {
 public:
  explicit LocalTsa(TsaOptions options = {});
  ~LocalTsa();
  LocalTsa(const LocalTsa&) = delete;
  LocalTsa& operator=(const LocalTsa&) = delete;

  // False when the PKI or the server could not be set up; error() says why. Tests assert this.
  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const;     // "http://127.0.0.1:PORT/" (https:// with tls)
  [[nodiscard]] fs::path tls_ca() const;     // tlsca.pem: the CA of the https server certificate
  [[nodiscard]] fs::path root_cert() const;  // tsaroot.pem (trust anchor for --tsa-ca)
  [[nodiscard]] fs::path leaf_cert() const;  // tsa.pem
  [[nodiscard]] fs::path leaf_key() const;   // tsa.key
  [[nodiscard]] fs::path config() const;     // tsa.cnf (openssl ts -reply -config)
  [[nodiscard]] const fs::path& dir() const { return dir_.path(); }
  // The requests the server has seen so far (one line each: "<n> <content-type> <len> <mode>").
  [[nodiscard]] std::vector<std::string> requests() const;
  // The server's own stderr/stdout (for failure messages).
  [[nodiscard]] std::string server_log() const;

 private:
  std::string setup_pki();
  std::string start_server(const TsaOptions& options);
  TempDir dir_;
  bool tls_ = false;
  std::string tls_names_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string error_;
};

// A local http proxy on 127.0.0.1 (tests/tsa/connect_proxy.py): CONNECT tunnels (https) and
// absolute-form requests (http); with `require_auth` it answers 407 unless Basic user:secret.
class LocalProxy {
 public:
  explicit LocalProxy(bool require_auth = false, int lifetime_seconds = 120);
  ~LocalProxy();
  LocalProxy(const LocalProxy&) = delete;
  LocalProxy& operator=(const LocalProxy&) = delete;
  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] std::string url() const;  // "http://127.0.0.1:PORT"
  // One line per request: "CONNECT 127.0.0.1:443" or "POST http://127.0.0.1:8080/".
  [[nodiscard]] std::vector<std::string> requests() const;

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string error_;
};

// Runs osslsigncode and fails the calling test when it does not succeed.
RunResult osslsigncode(const std::vector<std::string>& args);

}  // namespace wslplug::test
