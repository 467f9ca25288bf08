// The HTTP reply parser and chunked-transfer decoder of the time-stamp client
// (wslplug/net/http.hpp) on arbitrary bytes: status line, headers, Content-Length, chunked
// bodies. A decoded body re-encoded as one chunk must decode to itself.
#include "wslplug/net/http.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common.hpp"

namespace http = wslplug::net::http;
namespace wf = wslplug::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const http::Url url = *http::parse_url("http://127.0.0.1:8318/tsa");
  constexpr std::size_t kMaxBody = 1u << 16;
  const auto raw = wf::text(data, size);

  if (auto resp = http::parse_response(url, raw, kMaxBody)) {
    WSLPLUG_FUZZ_CHECK(resp->status >= 0 && resp->status <= 999);
    WSLPLUG_FUZZ_CHECK(resp->body.size() <= kMaxBody);
    WSLPLUG_FUZZ_CHECK(resp->body.size() <= size);
  } else {
    WSLPLUG_FUZZ_CHECK(!resp.error().message.empty());
  }

  if (auto body = http::dechunk(raw)) {
    WSLPLUG_FUZZ_CHECK(body->size() <= size);
    const std::string one = fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", body->size(), *body);
    auto again = http::dechunk(one);
    WSLPLUG_FUZZ_CHECK(again.has_value() && *again == *body);
  }
  (void)http::parse_url(raw);
  return 0;
}
