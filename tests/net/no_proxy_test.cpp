// Which targets bypass the proxy (http::proxy_for with NO_PROXY): names and their subdomains,
// address literals however written, and CIDR ranges of IPv4 and IPv6 literals.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "wslplug/net/http.hpp"

namespace http = wslplug::net::http;

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

struct Case {
  const char* url;
  const char* no_proxy;
  bool proxied;
};

void check(std::initializer_list<Case> cases) {
  for (const auto& c : cases)
    EXPECT_EQ(proxied(c.url, c.no_proxy), c.proxied) << c.url << " with NO_PROXY=" << c.no_proxy;
}

}  // namespace

TEST(NoProxy, NamesAndSubdomains) {
  check({{"http://tsa.example.com/", "", true},
         {"http://tsa.example.com/", "example.com", false},
         {"http://tsa.example.com/", ".example.com", false},
         {"http://tsa.example.com/", "*.example.com", false},
         {"http://TSA.Example.COM/", "example.com", false},
         {"http://tsa.badexample.com/", "example.com", true},
         {"http://tsa.example.com:8080/", "other.org, tsa.example.com:9", false},
         {"https://anything.org/", "*", false}});
}

TEST(NoProxy, AddressLiteralsMatchTheSameAddress) {
  check({{"http://127.0.0.1:8318/", "127.0.0.1", false},
         {"http://127.0.0.2/", "127.0.0.1", true},
         {"http://[::1]:8318/", "::1", false},
         {"http://[::1]/", "0:0::1", false},
         {"http://[::1]/", "[::1]", false},
         {"http://[::2]/", "::1", true}});
}

TEST(NoProxy, CidrRangesOfIpv4AndIpv6Literals) {
  check({{"http://10.20.30.40/", "10.0.0.0/8", false},
         {"http://11.0.0.1/", "10.0.0.0/8", true},
         {"http://192.168.7.200/", "example.com,192.168.4.0/22", false},
         {"http://192.168.8.1/", "192.168.4.0/22", true},
         {"http://172.16.0.1/", "172.16.0.1/32", false},
         {"http://172.16.0.2/", "172.16.0.1/32", true},
         {"http://8.8.8.8/", "0.0.0.0/0", false},
         {"http://[fd12:3456::1]/", "fd00::/8", false},
         {"http://[fe80::1]/", "fd00::/8", true},
         {"http://[2001:db8:1:2::9]/", "2001:db8:1::/48", false},
         {"http://[2001:db8:2::9]/", "2001:db8:1::/48", true},
         // The family must match; a name is never resolved to be compared with a range.
         {"http://[::ffff:10.0.0.1]/", "10.0.0.0/8", true},
         {"http://localhost/", "127.0.0.0/8", true},
         // A malformed range matches nothing (and is not mistaken for a name).
         {"http://10.0.0.1/", "10.0.0.0/33", true},
         {"http://10.0.0.1/", "10.0.0.0/", true},
         {"http://10.0.0.1/", "10.0.0.0/x", true},
         {"http://10.0.0.1/", "10.0.0/8", true},
         {"http://10.0.0.1/", "/8", true}});
}
