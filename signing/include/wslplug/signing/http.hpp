// A minimal HTTP/1.1 client for RFC 3161 time-stamp requests: one POST over a plain TCP socket
// with a connect/read deadline. Used by timestamp.cpp; public so that the reply parser can be
// exercised on its own (fuzz/, tests) without a socket.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::signing::http {

struct Url {
  std::string scheme;  // "http"
  std::string host;    // "timestamp.example.com", "127.0.0.1", "::1"
  std::string port;    // "80" when not given
  std::string path;    // "/" when not given; includes the query string
  std::string text;    // the URL as given (for messages)
};

// Parses http://host[:port][/path]. https:// and other schemes are input errors with a fix.
Result<Url> parse_url(std::string_view url);

struct Response {
  int status = 0;
  std::string reason;
  std::string content_type;
  std::vector<std::byte> body;
};

// POSTs `body` and reads the whole response. `timeout` bounds the whole exchange (connect, send,
// and reading the reply). Errors (kind kIo) name the URL and the cause: unreachable, timeout,
// connection closed, malformed response. Any HTTP status is returned as a Response.
Result<Response> post(const Url& url, std::string_view content_type, std::string_view accept,
                      std::span<const std::byte> body, std::chrono::milliseconds timeout,
                      std::size_t max_body = 4u << 20);

// Parses a complete reply as read from the connection (status line, headers, then the body,
// de-chunked or cut to Content-Length): what post() does after reading. `max_body` bounds the
// decoded body. Errors (kind kIo) name the URL and say what is malformed.
Result<Response> parse_response(const Url& url, std::string_view raw,
                                std::size_t max_body = 4u << 20);

// Decodes a chunked transfer-coded body (RFC 9112 7.1); nullopt when malformed: a size that is
// not hex or does not fit 64 bits, a chunk longer than the data, a chunk not followed by CRLF.
std::optional<std::string> dechunk(std::string_view body);

}  // namespace wslplug::signing::http
