#include "wslplug/net/http.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>

#include "wslplug/core/fd.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/text.hpp"
#include "wslplug/core/version.hpp"

namespace wslplug::net::http {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kReachFix =
    "check the URL and that the server is reachable from this machine";

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept {
    if (p) F(p);
  }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

// The OpenSSL error queue as one line (first reason, then the others), emptied.
std::string tls_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    std::string text = reason ? reason : fmt::format("error {:#x}", e);
    if (out.find(text) != std::string::npos) continue;
    out += (out.empty() ? "" : "; ") + text;
  }
  return out;
}

// The trust anchors of a TLS connection: the certificates of `files` (PEM, several per file, or
// one DER certificate), or the system store when there are none.
Result<StorePtr> trust_store(const std::vector<std::filesystem::path>& files) {
  StorePtr store(X509_STORE_new());
  if (!store) return internal_error("cannot create a certificate store: " + tls_errors());
  if (files.empty()) {
    if (X509_STORE_set_default_paths(store.get()) != 1)
      return fail(ErrorKind::kInternal, "cannot load the system certificate store: " + tls_errors(),
                  {}, "tls_ca", "pass the trusted root as a CA file");
    return store;
  }
  for (const auto& f : files) {
    auto data = read_file(f);
    if (!data) return std::unexpected(data.error());
    std::size_t added = 0;
    BioPtr bio(BIO_new_mem_buf(data->data(), static_cast<int>(data->size())));
    const bool pem = std::string_view(reinterpret_cast<const char*>(data->data()), data->size())
                         .find("-----BEGIN") != std::string_view::npos;
    X509* c = nullptr;
    while (bio && (c = pem ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                           : d2i_X509_bio(bio.get(), nullptr)) != nullptr) {
      X509Ptr cert(c);
      if (X509_STORE_add_cert(store.get(), cert.get()) != 1)
        return internal_error("cannot add a certificate to the trust store: " + tls_errors(),
                              f.string());
      ++added;
      if (!pem) break;
    }
    ERR_clear_error();
    if (added == 0)
      return input_error("no X.509 certificate found (expected PEM \"BEGIN CERTIFICATE\" or DER)",
                         f.string(), "tls_ca", "pass the CA certificate file (PEM or DER)");
  }
  return store;
}

struct AddrInfoDeleter {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto cut = list.find(',');
    out.emplace_back(list.substr(0, cut));
    if (cut == std::string_view::npos) break;
    list.remove_prefix(cut + 1);
  }
  return out;
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

std::unexpected<Error> net_error(const Url& url, std::string cause) {
  return fail(ErrorKind::kIo, fmt::format("{} {}: {}", url.peer, url.text, cause), {}, "url",
              std::string(kReachFix));
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

Result<Fd> connect_any(const Url& url, Clock::time_point deadline,
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
    Fd sock(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (!sock) {
      last = std::strerror(errno);
      continue;
    }
    const int fd = sock.get();
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
    return sock;
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
    return input_error(fmt::format("'{}' is not a URL", text), {}, "url",
                       "give the server as http://host[:port]/path");
  url.scheme = ascii_lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https")
    return input_error(fmt::format("'{}': unsupported URL scheme '{}'", text, url.scheme), {},
                       "url", "give the server as http(s)://host[:port]/path");
  std::string_view rest = text.substr(sep + 3);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  url.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos)
    return input_error(fmt::format("'{}': user information in the URL is not supported", text), {},
                       "url", "remove 'user@' from the URL");
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return input_error(fmt::format("'{}': unterminated IPv6 address", text), {}, "url",
                         "write IPv6 hosts as http://[::1]:8080/");
    url.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return input_error(fmt::format("'{}': bad host", text), {}, "url",
                           "write IPv6 hosts as http://[::1]:8080/");
      url.port = std::string(after.substr(1));
    }
  } else {
    auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) url.port = std::string(authority.substr(colon + 1));
  }
  if (url.host.empty())
    return input_error(fmt::format("'{}': the URL has no host", text), {}, "url",
                       "give the server as http://host[:port]/path");
  if (url.port.empty()) url.port = url.scheme == "https" ? "443" : "80";
  if (!std::all_of(url.port.begin(), url.port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      url.port.size() > 5 || std::stoul(url.port) == 0 || std::stoul(url.port) > 65535)
    return input_error(fmt::format("'{}': bad port '{}'", text, url.port), {}, "url",
                       "the port must be a number from 1 to 65535");
  return url;
}

namespace {

// A connection: the socket, with TLS over it for https.
struct Channel {
  int fd = -1;
  SSL* ssl = nullptr;
};

// One non-blocking transfer: > 0 bytes moved, 0 the peer closed, < 0 an error (`why`), or
// `want` set to the poll events to wait for before retrying.
ssize_t transfer(Channel& ch, bool write, char* data, std::size_t n, short& want,
                 std::string& why) {
  want = 0;
  if (ch.ssl) {
    std::size_t done = 0;
    const int r =
        write ? SSL_write_ex(ch.ssl, data, n, &done) : SSL_read_ex(ch.ssl, data, n, &done);
    if (r == 1) return static_cast<ssize_t>(done);
    const int e = SSL_get_error(ch.ssl, r);
    if (e == SSL_ERROR_WANT_READ) want = POLLIN;
    if (e == SSL_ERROR_WANT_WRITE) want = POLLOUT;
    if (want != 0) return -1;
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    why = "TLS: " + tls_errors();
    if (why == "TLS: ") why = std::string("TLS: ") + std::strerror(errno);
    return -1;
  }
  const ssize_t r = write ? ::send(ch.fd, data, n, MSG_NOSIGNAL) : ::recv(ch.fd, data, n, 0);
  if (r >= 0) return r;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    want = write ? POLLOUT : POLLIN;
    return -1;
  }
  why = std::strerror(errno);
  return -1;
}

Status send_all(const Url& url, Channel& ch, std::string request, Clock::time_point deadline,
                std::chrono::milliseconds timeout) {
  std::size_t sent = 0;
  while (sent < request.size()) {
    short want = 0;
    std::string why;
    const ssize_t n = transfer(ch, true, request.data() + sent, request.size() - sent, want, why);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (want == 0)
      return net_error(url, fmt::format("sending the request failed: {}",
                                        why.empty() ? "connection closed" : why));
    if (!wait_fd(ch.fd, want, deadline))
      return net_error(url,
                       fmt::format("timed out after {} ms sending the request", timeout.count()));
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
  const std::string head_l = ascii_lower(head);
  const auto cl = header_value(head_l, head, "content-length");
  if (!cl.empty()) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), v);
    if (ec != std::errc{} || end != cl.data() + cl.size())
      return net_error(url, fmt::format("bad Content-Length '{}' in the reply", cl));
    r.content_length = static_cast<std::size_t>(v);
    r.have_length = true;
  }
  r.chunked = ascii_lower(header_value(head_l, head, "transfer-encoding")).find("chunked") !=
              std::string::npos;
  if (r.chunked) r.have_length = false;
  return {};
}

// Reads until the connection closes or the announced body is complete.
Result<RawReply> read_reply(const Url& url, Channel& ch, Clock::time_point deadline,
                            std::chrono::milliseconds timeout, std::size_t max_body,
                            bool headers_only = false) {
  RawReply r;
  char buf[16384];
  for (;;) {
    if (r.header_end != std::string::npos &&
        (headers_only || (r.have_length && r.data.size() - r.header_end - 4 >= r.content_length)))
      break;
    short want = 0;
    std::string why;
    // A proxy's CONNECT reply is read byte by byte: what follows belongs to the tunnel.
    const ssize_t n = transfer(ch, false, buf, headers_only ? 1 : sizeof buf, want, why);
    if (n < 0 && want != 0) {
      if (!wait_fd(ch.fd, want, deadline))
        return net_error(url, fmt::format("no reply within {} ms (the server accepted the "
                                          "connection but did not answer)",
                                          timeout.count()));
      continue;
    }
    if (n < 0) return net_error(url, fmt::format("reading the reply failed: {}", why));
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
  resp.content_type = header_value(ascii_lower(head), head, "content-type");
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

namespace {

// An IPv4 or IPv6 address literal ("10.1.2.3", "::1", "[::1]") as its bytes; nullopt for a name.
std::optional<std::vector<unsigned char>> ip_bytes(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  const std::string s(text);
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return std::vector<unsigned char>(buf, buf + 4);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return std::vector<unsigned char>(buf, buf + 16);
  return std::nullopt;
}

// A NO_PROXY entry "ADDRESS/BITS" (10.0.0.0/8, fd00::/8): whether `addr` (ip_bytes of the
// target host, nullopt for a name: names are not resolved, as curl does it) is inside it.
bool in_cidr(const std::optional<std::vector<unsigned char>>& addr, std::string_view entry) {
  const auto slash = entry.find('/');
  if (slash == std::string_view::npos) return false;
  const auto net = ip_bytes(entry.substr(0, slash));
  if (!net || !addr || net->size() != addr->size()) return false;
  const auto digits = entry.substr(slash + 1);
  unsigned bits = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
      bits > net->size() * 8)
    return false;
  for (std::size_t i = 0; i < net->size() && bits > 0; ++i) {
    const unsigned take = std::min(bits, 8u);
    const auto mask = static_cast<unsigned char>(0xFFu << (8 - take));
    if (((*net)[i] ^ (*addr)[i]) & mask) return false;
    bits -= take;
  }
  return true;
}

}  // namespace

std::optional<Proxy> proxy_for(const Url& target, const ProxyEnv& env, Status& error) {
  error = {};
  const auto host_ip = ip_bytes(target.host);
  for (const auto& entry : split_list(env.no_proxy)) {
    std::string_view e = trim_view(entry);
    if (e == "*") return std::nullopt;
    if (e.find('/') != std::string_view::npos) {
      if (in_cidr(host_ip, e)) return std::nullopt;
      continue;
    }
    if (const auto a = ip_bytes(e); a && host_ip && *a == *host_ip)
      return std::nullopt;  // the same address however written ("[::1]", "::0:1")
    if (e.starts_with("*.")) e.remove_prefix(1);
    if (!e.empty() && e.front() != '[' && e.find(':') == e.rfind(':'))
      e = e.substr(0, e.find(':'));  // host:port -> host (not for IPv6 literals)
    if (!e.empty() && e.front() == '.') e.remove_prefix(1);
    if (e.empty()) continue;
    if (iequals(target.host, e) || (target.host.size() > e.size() && iends_with(target.host, e) &&
                                    target.host[target.host.size() - e.size() - 1] == '.'))
      return std::nullopt;
  }
  const std::string& raw = target.scheme == "https" ? env.https_proxy : env.http_proxy;
  std::string_view text = trim_view(raw);
  if (text.empty()) return std::nullopt;
  const std::string var = target.scheme == "https" ? "HTTPS_PROXY" : "HTTP_PROXY";
  std::string with_scheme(text);
  if (with_scheme.find("://") == std::string::npos) with_scheme = "http://" + with_scheme;
  const auto sep = with_scheme.find("://");
  if (ascii_lower(std::string_view(with_scheme).substr(0, sep)) != "http") {
    error = input_error(fmt::format("{}: only http:// proxies are supported", var), {}, var,
                        "give the proxy as http://host:port (https targets go through it with "
                        "CONNECT)");
    return std::nullopt;
  }
  Proxy proxy;
  std::string rest = with_scheme.substr(sep + 3);
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (const auto at = authority.rfind('@'); at != std::string::npos) {
    std::string creds = authority.substr(0, at);
    authority = authority.substr(at + 1);
    // Basic credentials as the proxy URL gives them (%-escapes resolved).
    std::string decoded;
    for (std::size_t i = 0; i < creds.size(); ++i) {
      if (creds[i] == '%' && i + 2 < creds.size()) {
        decoded += static_cast<char>(std::stoi(creds.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        decoded += creds[i];
      }
    }
    std::string b64(4 * ((decoded.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                  reinterpret_cast<const unsigned char*>(decoded.data()),
                                  static_cast<int>(decoded.size()));
    b64.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    proxy.authorization = "Basic " + b64;
  }
  const bool has_port = authority.find(':') != std::string::npos && authority.back() != ']';
  auto url = parse_url("http://" + authority + (has_port ? "" : ":1080") + "/");
  if (!url) {
    error = input_error(fmt::format("{} is not a usable proxy: {}", var, url.error().message), {},
                        var, "give the proxy as http://host:port");
    return std::nullopt;
  }
  proxy.url = std::move(*url);
  proxy.url.text = fmt::format("http://{}:{}", proxy.url.host, proxy.url.port);  // no credentials
  return proxy;
}

ProxyEnv proxy_env_from_environment() {
  auto get = [](const char* a, const char* b) {
    const char* v = std::getenv(a);
    if (v == nullptr || *v == 0) v = std::getenv(b);
    return std::string(v ? v : "");
  };
  return {get("https_proxy", "HTTPS_PROXY"), get("http_proxy", "HTTP_PROXY"),
          get("no_proxy", "NO_PROXY")};
}

namespace {

std::string host_header(const Url& url) {
  const std::string host =
      url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  const bool default_port = url.port == (url.scheme == "https" ? "443" : "80");
  return default_port ? host : host + ":" + url.port;
}

// CONNECT host:port through the proxy; the channel then talks to the target.
Status open_tunnel(const Url& url, const Proxy& proxy, Channel& ch, Clock::time_point deadline,
                   std::chrono::milliseconds timeout) {
  const std::string target = fmt::format(
      "{}:{}", url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host, url.port);
  std::string request = fmt::format(
      "CONNECT {0} HTTP/1.1\r\nHost: {0}\r\nUser-Agent: wslplug/{1}\r\n", target, kVersion);
  if (!proxy.authorization.empty())
    request += "Proxy-Authorization: " + proxy.authorization + "\r\n";
  request += "\r\n";
  if (auto st = send_all(proxy.url, ch, std::move(request), deadline, timeout); !st)
    return net_error(url, fmt::format("via proxy {}: {}", proxy.url.text, st.error().message));
  auto reply = read_reply(proxy.url, ch, deadline, timeout, 0, /*headers_only=*/true);
  if (!reply)
    return net_error(url, fmt::format("via proxy {}: {}", proxy.url.text, reply.error().message));
  const std::string status_line = reply->data.substr(0, reply->data.find("\r\n"));
  const auto sp = status_line.find(' ');
  if (sp == std::string::npos || status_line.compare(sp + 1, 1, "2") != 0)
    return fail(ErrorKind::kIo,
                fmt::format("{} {}: the proxy {} refused CONNECT {}: {}", url.peer, url.text,
                            proxy.url.text, target, status_line),
                {}, "url",
                "check HTTPS_PROXY (and its credentials), or list the server in NO_PROXY");
  return {};
}

Status start_tls(const Url& url, Channel& ch, SslCtxPtr& ctx, SslPtr& ssl,
                 const std::vector<std::filesystem::path>& ca_files, Clock::time_point deadline,
                 std::chrono::milliseconds timeout) {
  ctx.reset(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return internal_error("cannot create a TLS context: " + tls_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  auto store = trust_store(ca_files);
  if (!store) return std::unexpected(store.error());
  SSL_CTX_set_cert_store(ctx.get(), store->release());
  ssl.reset(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), ch.fd) != 1)
    return internal_error("cannot start TLS: " + tls_errors());
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  const bool ip = X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str()) == 1;
  ERR_clear_error();
  if (!ip && (SSL_set_tlsext_host_name(ssl.get(), url.host.c_str()) != 1 ||
              SSL_set1_host(ssl.get(), url.host.c_str()) != 1))
    return internal_error("cannot set the TLS server name: " + tls_errors());
  ch.ssl = ssl.get();
  for (;;) {
    const int r = SSL_connect(ssl.get());
    if (r == 1) return {};
    const int e = SSL_get_error(ssl.get(), r);
    short want = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (want != 0) {
      if (!wait_fd(ch.fd, want, deadline))
        return net_error(url, fmt::format("TLS handshake timed out after {} ms", timeout.count()));
      continue;
    }
    const long verify = SSL_get_verify_result(ssl.get());
    std::string why = tls_errors();
    if (verify != X509_V_OK)
      return fail(ErrorKind::kIo,
                  fmt::format("{} {}: its TLS certificate is not trusted: {}", url.peer, url.text,
                              X509_verify_cert_error_string(verify)),
                  {}, "tls_ca",
                  "for a private server pass its CA certificate; public servers are checked "
                  "against the system store (ca-certificates)");
    return net_error(url, fmt::format("TLS handshake failed: {}",
                                      why.empty() ? std::string(std::strerror(errno)) : why));
  }
}

}  // namespace

Result<Response> post(const Url& url, std::string_view content_type, std::string_view accept,
                      std::span<const std::byte> body, std::chrono::milliseconds timeout,
                      std::size_t max_body, const PostOptions& options) {
  const auto deadline = Clock::now() + timeout;
  Status proxy_error;
  const auto proxy = proxy_for(url, options.proxy_env, proxy_error);
  if (!proxy_error) return std::unexpected(proxy_error.error());
  auto fd_or = connect_any(proxy ? proxy->url : url, deadline, timeout);
  if (!fd_or) {
    if (!proxy) return std::unexpected(fd_or.error());
    return net_error(url, fmt::format("via proxy {}: {}", proxy->url.text, fd_or.error().message));
  }
  const Fd fd = std::move(*fd_or);
  Channel ch{fd.get(), nullptr};
  const bool https = url.scheme == "https";
  if (proxy && https)
    if (auto st = open_tunnel(url, *proxy, ch, deadline, timeout); !st)
      return std::unexpected(st.error());
  SslCtxPtr ctx;
  SslPtr ssl;
  if (https)
    if (auto st = start_tls(url, ch, ctx, ssl, options.tls_ca_files, deadline, timeout); !st)
      return std::unexpected(st.error());
  // Through a proxy, plain http asks for the absolute URL.
  const std::string target =
      proxy && !https ? fmt::format("http://{}{}", host_header(url), url.path) : url.path;
  std::string request = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: wslplug/{}\r\nContent-Type: {}\r\n"
      "Accept: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
      target, host_header(url), kVersion, content_type, accept, body.size());
  if (proxy && !https && !proxy->authorization.empty())
    request += "Proxy-Authorization: " + proxy->authorization + "\r\n";
  request += "\r\n";
  request.append(reinterpret_cast<const char*>(body.data()), body.size());
  if (auto st = send_all(url, ch, std::move(request), deadline, timeout); !st)
    return std::unexpected(st.error());
  auto reply = read_reply(url, ch, deadline, timeout, max_body);
  if (!reply) return std::unexpected(reply.error());
  return parse_response(url, reply->data, max_body);
}

}  // namespace wslplug::net::http
