// The time-stamp client's HTTP reply parser (http::parse_response, what post() runs on the bytes
// it read) and the chunked-transfer decoder, without a socket.
#include <gtest/gtest.h>

#include <string>

#include "wslplug/net/http.hpp"

namespace http = wslplug::net::http;

namespace {

const http::Url& url() {
  static const http::Url u = *http::parse_url("http://127.0.0.1:8318/tsa");
  return u;
}

std::string body_text(const http::Response& r) {
  return {reinterpret_cast<const char*>(r.body.data()), r.body.size()};
}

}  // namespace

TEST(HttpReply, StatusHeadersAndLengthCutBody) {
  auto r = http::parse_response(url(),
                                "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\n"
                                "Content-Length: 5\r\n\r\nhello, and more");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->reason, "OK");
  EXPECT_EQ(r->content_type, "application/timestamp-reply");
  EXPECT_EQ(body_text(*r), "hello");
}

TEST(HttpReply, ChunkedBodyIsDecoded) {
  auto r = http::parse_response(url(),
                                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "4;ext=1\r\nwsl \r\n7\r\nplugins\r\n0\r\n\r\n");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(body_text(*r), "wsl plugins");
}

TEST(HttpReply, StatusCodeMustBeThreeDigits) {
  // from_chars alone reads "-01" as -1 (found by the http fuzz target).
  for (const char* line : {"HTTP/1.1 -01 Odd", "HTTP/1.1 +20 Odd", "HTTP/1.1 2x0 Odd"}) {
    auto r = http::parse_response(url(), std::string(line) + "\r\n\r\n");
    ASSERT_FALSE(r) << line;
    EXPECT_NE(r.error().message.find("malformed HTTP status line"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("127.0.0.1:8318"), std::string::npos) << r.error().message;
  }
  auto ok = http::parse_response(url(), "HTTP/1.0 500 Internal\r\n\r\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 500);
}

TEST(HttpReply, NotHttpCutOffAndTooLarge) {
  auto empty = http::parse_response(url(), "");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("without a reply"), std::string::npos);
  auto not_http = http::parse_response(url(), "SSH-2.0-OpenSSH\r\n\r\n");
  ASSERT_FALSE(not_http);
  EXPECT_NE(not_http.error().message.find("not an HTTP response"), std::string::npos);
  auto cut = http::parse_response(url(), "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message.find("cut off after 3 of 10"), std::string::npos);
  auto big = http::parse_response(url(), "HTTP/1.1 200 OK\r\n\r\n0123456789", 4);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("larger than 4 bytes"), std::string::npos);
  auto bad_chunk =
      http::parse_response(url(), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  ASSERT_FALSE(bad_chunk);
  EXPECT_NE(bad_chunk.error().message.find("malformed chunked body"), std::string::npos);
}

TEST(HttpReply, DechunkRefusesWrappingSizes) {
  EXPECT_EQ(http::dechunk("3\r\nabc\r\n0\r\n\r\n"), std::optional<std::string>("abc"));
  EXPECT_FALSE(http::dechunk("ffffffffffffffff\r\nabc\r\n0\r\n\r\n"));
  EXPECT_FALSE(http::dechunk("10000000000000000\r\nabc\r\n"));
  EXPECT_FALSE(http::dechunk("3\r\nabcd\r\n0\r\n\r\n"));
}
