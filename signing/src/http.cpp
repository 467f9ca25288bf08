#include "wslplug/signing/http.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>

#include "wslplug/core/version.hpp"

namespace wslplug::signing::http {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kTsaFix =
    "check the --timestamp URL and that the time-stamp server is reachable from this machine; "
    "--timestamp-retries N retries flaky servers";

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct AddrInfoDeleter {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

std::unexpected<Error> net_error(const Url& url, std::string cause) {
  return fail(ErrorKind::kIo, fmt::format("time-stamp server {}: {}", url.text, cause), {},
              "--timestamp", std::string(kTsaFix));
}

// Waits until fd is ready for `events`; false on timeout.
bool wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ms = remaining_ms(deadline);
    if (ms == 0) return false;
    int r = ::poll(&p, 1, ms);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

Result<int> connect_any(const Url& url, Clock::time_point deadline,
                        std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  int gai = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &raw);
  if (gai != 0)
    return net_error(
        url, fmt::format("unreachable: cannot resolve host '{}': {}", url.host, gai_strerror(gai)));
  std::unique_ptr<addrinfo, AddrInfoDeleter> list(raw);
  std::string last = "no address";
  for (addrinfo* a = list.get(); a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    Fd guard(fd);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = std::strerror(errno);
        continue;
      }
      if (!wait_fd(fd, POLLOUT, deadline)) {
        last = fmt::format("connection timed out after {} ms", timeout.count());
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last = std::strerror(err);
        continue;
      }
    }
    guard.fd = -1;
    return fd;
  }
  return net_error(
      url, fmt::format("unreachable: cannot connect to {}:{}: {}", url.host, url.port, last));
}

std::string header_value(const std::string& headers_lower, const std::string& headers,
                         std::string_view name) {
  // headers_lower is the lower-cased copy of headers (same offsets).
  std::string key = "\r\n" + std::string(name) + ":";
  auto pos = headers_lower.find(key);
  if (pos == std::string::npos) return {};
  pos += key.size();
  auto end = headers.find("\r\n", pos);
  std::string v = headers.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
  auto b = v.find_first_not_of(" \t");
  auto e = v.find_last_not_of(" \t");
  return b == std::string::npos ? std::string{} : v.substr(b, e - b + 1);
}

}  // namespace

std::optional<std::string> dechunk(std::string_view in) {
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    const auto eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos) return std::nullopt;
    std::string_view size_text = in.substr(pos, eol - pos);
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
    while (!size_text.empty() && (size_text.back() == ' ' || size_text.back() == '\t'))
      size_text.remove_suffix(1);
    std::uint64_t size = 0;
    const auto [end, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc{} || end != size_text.data() + size_text.size() || size_text.empty())
      return std::nullopt;  // not hex, or too large for 64 bits
    pos = eol + 2;
    if (size == 0) return out;
    // Compared without adding to `pos`, so a huge size cannot wrap around.
    if (in.size() - pos < 2 || size > in.size() - pos - 2) return std::nullopt;
    const auto n = static_cast<std::size_t>(size);
    if (in.substr(pos + n, 2) != "\r\n") return std::nullopt;
    out.append(in.substr(pos, n));
    pos += n + 2;
  }
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  url.text = std::string(text);
  auto sep = text.find("://");
  if (sep == std::string_view::npos)
    return input_error(fmt::format("'{}' is not a URL", text), {}, "--timestamp",
                       "give the time-stamp server as http://host[:port]/path");
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme == "https")
    return input_error(
        fmt::format("'{}': https time-stamp servers are not supported", text), {}, "--timestamp",
        "use the server's http:// URL (RFC 3161 replies are signed by the TSA, so TLS adds no "
        "integrity); public TSAs such as http://timestamp.digicert.com answer over http");
  if (url.scheme != "http")
    return input_error(fmt::format("'{}': unsupported URL scheme '{}'", text, url.scheme), {},
                       "--timestamp", "give the time-stamp server as http://host[:port]/path");
  std::string_view rest = text.substr(sep + 3);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  url.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos)
    return input_error(fmt::format("'{}': user information in the URL is not supported", text), {},
                       "--timestamp", "remove 'user@' from the URL");
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return input_error(fmt::format("'{}': unterminated IPv6 address", text), {}, "--timestamp",
                         "write IPv6 hosts as http://[::1]:8080/");
    url.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return input_error(fmt::format("'{}': bad host", text), {}, "--timestamp",
                           "write IPv6 hosts as http://[::1]:8080/");
      url.port = std::string(after.substr(1));
    }
  } else {
    auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) url.port = std::string(authority.substr(colon + 1));
  }
  if (url.host.empty())
    return input_error(fmt::format("'{}': the URL has no host", text), {}, "--timestamp",
                       "give the time-stamp server as http://host[:port]/path");
  if (url.port.empty()) url.port = "80";
  if (!std::all_of(url.port.begin(), url.port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      url.port.size() > 5 || std::stoul(url.port) == 0 || std::stoul(url.port) > 65535)
    return input_error(fmt::format("'{}': bad port '{}'", text, url.port), {}, "--timestamp",
                       "the port must be a number from 1 to 65535");
  return url;
}

namespace {

Status send_all(const Url& url, int fd, std::string_view request, Clock::time_point deadline,
                std::chrono::milliseconds timeout) {
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_fd(fd, POLLOUT, deadline))
      return net_error(url,
                       fmt::format("timed out after {} ms sending the request", timeout.count()));
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return net_error(url, fmt::format("sending the request failed: {}", std::strerror(errno)));
    }
    sent += static_cast<std::size_t>(n);
  }
  return {};
}

// The raw reply and what its headers announce.
struct RawReply {
  std::string data;
  std::size_t header_end = std::string::npos;  // offset of "\r\n\r\n"
  std::size_t content_length = 0;
  bool have_length = false;
  bool chunked = false;
};

Status parse_headers(const Url& url, RawReply& r) {
  const std::string head = r.data.substr(0, r.header_end);
  const std::string head_l = lower(head);
  const auto cl = header_value(head_l, head, "content-length");
  if (!cl.empty()) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), v);
    if (ec != std::errc{} || end != cl.data() + cl.size())
      return net_error(url, fmt::format("bad Content-Length '{}' in the reply", cl));
    r.content_length = static_cast<std::size_t>(v);
    r.have_length = true;
  }
  r.chunked =
      lower(header_value(head_l, head, "transfer-encoding")).find("chunked") != std::string::npos;
  if (r.chunked) r.have_length = false;
  return {};
}

// Reads until the connection closes or the announced body is complete.
Result<RawReply> read_reply(const Url& url, int fd, Clock::time_point deadline,
                            std::chrono::milliseconds timeout, std::size_t max_body) {
  RawReply r;
  char buf[16384];
  for (;;) {
    if (r.header_end != std::string::npos && r.have_length &&
        r.data.size() - r.header_end - 4 >= r.content_length)
      break;
    if (!wait_fd(fd, POLLIN, deadline))
      return net_error(url, fmt::format("no reply within {} ms (the server accepted the "
                                        "connection but did not answer)",
                                        timeout.count()));
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return net_error(url, fmt::format("reading the reply failed: {}", std::strerror(errno)));
    }
    if (n == 0) break;
    r.data.append(buf, static_cast<std::size_t>(n));
    if (r.data.size() > max_body + 65536)
      return net_error(url, fmt::format("the reply is larger than {} bytes", max_body));
    if (r.header_end == std::string::npos) {
      r.header_end = r.data.find("\r\n\r\n");
      if (r.header_end != std::string::npos) {
        if (auto st = parse_headers(url, r); !st) return std::unexpected(st.error());
      }
    }
  }
  return r;
}

// Status line, content type and the (de-chunked, length-checked) body.
Result<Response> to_response(const Url& url, const RawReply& r, std::size_t max_body) {
  Response resp;
  const std::string head = r.data.substr(0, r.header_end);
  const std::string status_line = head.substr(0, head.find("\r\n"));
  const auto sp1 = status_line.find(' ');
  if (sp1 == std::string::npos || status_line.size() < sp1 + 4)
    return net_error(url, fmt::format("malformed HTTP status line '{}'", status_line));
  // Three digits: from_chars alone would take "-01" as -1.
  const auto code = std::string_view(status_line).substr(sp1 + 1, 3);
  const auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), resp.status);
  if (ec != std::errc{} || end != code.data() + code.size() ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return net_error(url, fmt::format("malformed HTTP status line '{}'", status_line));
  if (status_line.size() > sp1 + 5) resp.reason = status_line.substr(sp1 + 5);
  resp.content_type = header_value(lower(head), head, "content-type");
  std::string_view raw_body = std::string_view(r.data).substr(r.header_end + 4);
  std::string decoded;
  if (r.chunked) {
    auto d = dechunk(raw_body);
    if (!d) return net_error(url, "malformed chunked body in the reply");
    decoded = std::move(*d);
    raw_body = decoded;
  } else if (r.have_length) {
    if (raw_body.size() < r.content_length)
      return net_error(url, fmt::format("the reply was cut off after {} of {} body bytes",
                                        raw_body.size(), r.content_length));
    raw_body = raw_body.substr(0, r.content_length);
  }
  if (raw_body.size() > max_body)
    return net_error(url, fmt::format("the reply is larger than {} bytes", max_body));
  const auto body_bytes = std::as_bytes(std::span(raw_body));
  resp.body.assign(body_bytes.begin(), body_bytes.end());
  return resp;
}

}  // namespace

Result<Response> parse_response(const Url& url, std::string_view raw, std::size_t max_body) {
  if (raw.empty()) return net_error(url, "the server closed the connection without a reply");
  RawReply r;
  r.data = std::string(raw);
  r.header_end = r.data.find("\r\n\r\n");
  if (r.header_end == std::string::npos || r.data.compare(0, 5, "HTTP/") != 0)
    return net_error(url, "the reply is not an HTTP response");
  if (auto st = parse_headers(url, r); !st) return std::unexpected(st.error());
  return to_response(url, r, max_body);
}

Result<Response> post(const Url& url, std::string_view content_type, std::string_view accept,
                      std::span<const std::byte> body, std::chrono::milliseconds timeout,
                      std::size_t max_body) {
  const auto deadline = Clock::now() + timeout;
  auto fd_or = connect_any(url, deadline, timeout);
  if (!fd_or) return std::unexpected(fd_or.error());
  Fd fd(*fd_or);
  const bool default_port = url.port == "80";
  const std::string host =
      url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  std::string request = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}{}\r\nUser-Agent: wslplug/{}\r\nContent-Type: {}\r\n"
      "Accept: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
      url.path, host, default_port ? "" : ":" + url.port, kVersion, content_type, accept,
      body.size());
  request.append(reinterpret_cast<const char*>(body.data()), body.size());
  if (auto st = send_all(url, fd.fd, request, deadline, timeout); !st)
    return std::unexpected(st.error());
  auto reply = read_reply(url, fd.fd, deadline, timeout, max_body);
  if (!reply) return std::unexpected(reply.error());
  return parse_response(url, reply->data, max_body);
}

}  // namespace wslplug::signing::http
