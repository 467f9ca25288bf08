// Which targets bypass the proxy (http::proxy_for with NO_PROXY): names and their subdomains,
// address literals however written, and CIDR ranges of IPv4 and IPv6 literals.
#include <gtest/gtest.h>

#include <string>

#include "wslplug/signing/http.hpp"

namespace http = wslplug::signing::http;

namespace {

// Whether `url` goes through the proxy with NO_PROXY = `no_proxy`.
bool proxied(const std::string& url, const std::string& no_proxy) {
  auto target = http::parse_url(url);
  EXPECT_TRUE(target) << url;
  if (!target) return false;
  wslplug::Status error;
  const http::ProxyEnv env{.https_proxy = "http://proxy.example:3128",
                           .http_proxy = "http://proxy.example:3128",
                           .no_proxy = no_proxy};
  auto p = http::proxy_for(*target, env, error);
  EXPECT_TRUE(error) << error.error().describe();
  return p.has_value();
}

}  // namespace

TEST(NoProxy, NamesAndSubdomains) {
  EXPECT_TRUE(proxied("http://tsa.example.com/", ""));
  EXPECT_FALSE(proxied("http://tsa.example.com/", "example.com"));
  EXPECT_FALSE(proxied("http://tsa.example.com/", ".example.com"));
  EXPECT_FALSE(proxied("http://tsa.example.com/", "*.example.com"));
  EXPECT_FALSE(proxied("http://TSA.Example.COM/", "example.com"));
  EXPECT_TRUE(proxied("http://tsa.badexample.com/", "example.com"));
  EXPECT_FALSE(proxied("http://tsa.example.com:8080/", "other.org, tsa.example.com:9"));
  EXPECT_FALSE(proxied("https://anything.org/", "*"));
}

TEST(NoProxy, AddressLiteralsMatchTheSameAddress) {
  EXPECT_FALSE(proxied("http://127.0.0.1:8318/", "127.0.0.1"));
  EXPECT_TRUE(proxied("http://127.0.0.2/", "127.0.0.1"));
  EXPECT_FALSE(proxied("http://[::1]:8318/", "::1"));
  EXPECT_FALSE(proxied("http://[::1]/", "0:0::1"));
  EXPECT_FALSE(proxied("http://[::1]/", "[::1]"));
  EXPECT_TRUE(proxied("http://[::2]/", "::1"));
}

TEST(NoProxy, CidrRangesOfIpv4AndIpv6Literals) {
  EXPECT_FALSE(proxied("http://10.20.30.40/", "10.0.0.0/8"));
  EXPECT_TRUE(proxied("http://11.0.0.1/", "10.0.0.0/8"));
  EXPECT_FALSE(proxied("http://192.168.7.200/", "example.com,192.168.4.0/22"));
  EXPECT_TRUE(proxied("http://192.168.8.1/", "192.168.4.0/22"));
  EXPECT_FALSE(proxied("http://172.16.0.1/", "172.16.0.1/32"));
  EXPECT_TRUE(proxied("http://172.16.0.2/", "172.16.0.1/32"));
  EXPECT_FALSE(proxied("http://8.8.8.8/", "0.0.0.0/0"));
  EXPECT_FALSE(proxied("http://[fd12:3456::1]/", "fd00::/8"));
  EXPECT_TRUE(proxied("http://[fe80::1]/", "fd00::/8"));
  EXPECT_FALSE(proxied("http://[2001:db8:1:2::9]/", "2001:db8:1::/48"));
  EXPECT_TRUE(proxied("http://[2001:db8:2::9]/", "2001:db8:1::/48"));
  // The family must match; a name is never resolved to be compared with a range.
  EXPECT_TRUE(proxied("http://[::ffff:10.0.0.1]/", "10.0.0.0/8"));
  EXPECT_TRUE(proxied("http://localhost/", "127.0.0.0/8"));
  // A malformed range matches nothing (and is not mistaken for a name).
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8", "/8"})
    EXPECT_TRUE(proxied("http://10.0.0.1/", bad)) << bad;
}
