// A minimal HTTP/1.1 client (the signing library's RFC 3161 time-stamp requests): one POST over
// TCP or TLS (https, OpenSSL, peer and host name verified against the system store or given CA
// files), directly or through an http proxy (absolute-form for http, CONNECT for https) chosen
// by HTTPS_PROXY/HTTP_PROXY/NO_PROXY, with a deadline for the whole exchange. The reply parser is
// public so that it can be exercised on its own (fuzz/, tests) without a socket.
//
// Errors name fields, not command-line flags: `where` is "url" for the server's URL (parsing,
// connecting, replies) and "tls_ca" for its TLS trust anchors; callers relabel them.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::net::http {

struct Url {
  std::string scheme;           // "http" or "https"
  std::string host;             // "timestamp.example.com", "127.0.0.1", "::1"
  std::string port;             // "80" (http) or "443" (https) when not given
  std::string path;             // "/" when not given; includes the query string
  std::string text;             // the URL as given (for messages)
  std::string peer = "server";  // what the server is, in messages ("time-stamp server")
};

// Parses http(s)://host[:port][/path]. Other schemes are input errors with a fix.
Result<Url> parse_url(std::string_view url);

struct Response {
  int status = 0;
  std::string reason;
  std::string content_type;
  std::vector<std::byte> body;
};

// The proxy variables (lower-case names win over upper-case, as curl reads them).
struct ProxyEnv {
  std::string https_proxy, http_proxy, no_proxy;
};
ProxyEnv proxy_env_from_environment();

struct Proxy {
  Url url;                    // text without credentials (for messages)
  std::string authorization;  // "Basic ..." from user:password@ in the proxy URL, else empty
};
// The proxy for `target`: none when NO_PROXY lists its host ("*", "example.com" matches the host
// and its subdomains, ".example.com" too; ports ignored; an address literal matches the same
// address, "10.0.0.0/8" or "fd00::/8" the address literals inside it) or the variable is empty.
// `error` is set for a proxy URL that cannot be used (only http:// proxies are).
std::optional<Proxy> proxy_for(const Url& target, const ProxyEnv& env, Status& error);

struct PostOptions {
  std::vector<std::filesystem::path> tls_ca_files;  // https trust anchors; empty: system store
  ProxyEnv proxy_env = proxy_env_from_environment();
};

// POSTs `body` and reads the whole response. `timeout` bounds the whole exchange (connect, send,
// and reading the reply). Errors (kind kIo) name the URL and the cause: unreachable, timeout,
// connection closed, malformed response. Any HTTP status is returned as a Response.
Result<Response> post(const Url& url, std::string_view content_type, std::string_view accept,
                      std::span<const std::byte> body, std::chrono::milliseconds timeout,
                      std::size_t max_body = 4u << 20, const PostOptions& options = {});

// Parses a complete reply as read from the connection (status line, headers, then the body,
// de-chunked or cut to Content-Length): what post() does after reading. `max_body` bounds the
// decoded body. Errors (kind kIo) name the URL and say what is malformed.
Result<Response> parse_response(const Url& url, std::string_view raw,
                                std::size_t max_body = 4u << 20);

// Decodes a chunked transfer-coded body (RFC 9112 7.1); nullopt when malformed: a size that is
// not hex or does not fit 64 bits, a chunk longer than the data, a chunk not followed by CRLF.
std::optional<std::string> dechunk(std::string_view body);

}  // namespace wslplug::net::http
