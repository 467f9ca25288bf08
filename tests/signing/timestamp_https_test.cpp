// Time-stamp servers as CI runners reach them: https (a local TLS server with a test CA, trusted
// through --timestamp-tls-ca; --tsa-ca is the TSA's root the token must chain to) and http proxies
// from HTTPS_PROXY/HTTP_PROXY/NO_PROXY (a local proxy that tunnels CONNECT and forwards
// absolute-form requests), all on 127.0.0.1.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "pki.hpp"
#include "support.hpp"
#include "tsa.hpp"

namespace wt = wslplug::test;

namespace {

class TimestampHttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WSLPLUG_REQUIRE_TOOL("osslsigncode");
    signer_ = wt::make_cert(tmp_.path(), "signer");
    ASSERT_FALSE(signer_.cert.empty());
    dll_ = wt::copy_to(wt::build_dll({.name = "ts-https-x64"}), tmp_.path(), "plugin.dll");
    ASSERT_FALSE(dll_.empty());
  }
  wt::RunResult sign(const std::string& url, const wt::fs::path& out,
                     std::vector<std::string> extra = {},
                     const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> args = {"sign",
                                     dll_.string(),
                                     "--cert",
                                     signer_.cert.string(),
                                     "--key",
                                     signer_.key.string(),
                                     "--timestamp",
                                     url,
                                     "-o",
                                     out.string(),
                                     "--timestamp-timeout",
                                     "20"};
    args.insert(args.end(), extra.begin(), extra.end());
    // The proxy variables are always set, so the runner's own cannot leak in.
    std::map<std::string, std::string> e = {{"HTTPS_PROXY", ""}, {"https_proxy", ""},
                                            {"HTTP_PROXY", ""},  {"http_proxy", ""},
                                            {"NO_PROXY", ""},    {"no_proxy", ""}};
    for (const auto& [k, v] : env) e[k] = v;
    return wt::wslplug(args, e);
  }
  void expect_timestamp_verifies(const wt::fs::path& out, const wt::LocalTsa& tsa) {
    auto v = wt::run({"osslsigncode", "verify", "-CAfile", signer_.cert.string(), "-TSA-CAfile",
                      tsa.root_cert().string(), out.string()});
    EXPECT_EQ(v.rc, 0) << v.both();
    EXPECT_NE(v.out.find("Timestamp Server Signature verification: ok"), std::string::npos)
        << v.out;
  }
  wt::TempDir tmp_;
  wt::CertPair signer_;
  wt::fs::path dll_;
};

TEST_F(TimestampHttpsTest, HttpsServerTrustedThroughTimestampTlsCa) {
  wt::LocalTsa tsa({.tls = true});
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  ASSERT_TRUE(tsa.url().starts_with("https://")) << tsa.url();
  const auto out = tmp_ / "signed.dll";
  auto r = sign(tsa.url(), out, {"--timestamp-tls-ca", tsa.tls_ca().string()});
  ASSERT_EQ(r.rc, 0) << r.both() << tsa.server_log();
  EXPECT_EQ(tsa.requests().size(), 1u);
  expect_timestamp_verifies(out, tsa);
}

TEST_F(TimestampHttpsTest, UntrustedServerCertificateIsRefused) {
  wt::LocalTsa tsa({.tls = true});
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  const auto out = tmp_ / "signed.dll";
  // Not in the system store, and another CA given: both refused before any request is sent.
  auto other = wt::make_cert(tmp_.path(), "otherca", {.cn = "other CA", .ca = true});
  for (const auto& extra :
       std::vector<std::vector<std::string>>{{}, {"--timestamp-tls-ca", other.cert.string()}}) {
    auto r = sign(tsa.url(), out, extra);
    EXPECT_EQ(r.rc, 3) << r.both();
    EXPECT_NE(r.err.find("TLS certificate is not trusted"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--timestamp-tls-ca"), std::string::npos) << r.err;
    EXPECT_FALSE(wt::fs::exists(out));
  }
  EXPECT_TRUE(tsa.requests().empty());
}

// --tsa-ca is the TSA's trusted root, as in verify: the token the server returned must chain to
// it before sign or timestamp write anything; the TLS anchor is --timestamp-tls-ca.
TEST_F(TimestampHttpsTest, TsaCaChecksTheReturnedTokenBeforeWriting) {
  wt::LocalTsa tsa({.tls = true});
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::LocalTsa other;  // another TSA PKI: its root did not issue tsa's signing certificate
  ASSERT_TRUE(other.ok()) << other.error();
  const std::vector<std::string> tls = {"--timestamp-tls-ca", tsa.tls_ca().string()};
  auto with = [&](std::vector<std::string> a, const wt::fs::path& root) {
    a.insert(a.end(), tls.begin(), tls.end());
    a.insert(a.end(), {"--tsa-ca", root.string()});
    return a;
  };
  auto expect_refused = [&](const wt::RunResult& r) {
    EXPECT_EQ(r.rc, 1) << r.both();
    EXPECT_NE(r.err.find("does not verify against --tsa-ca"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("give --tsa-ca the root CA"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("{tsa_ca}"), std::string::npos) << r.err;
  };

  // sign: the wrong root fails with nothing written, with -o and with --in-place.
  const auto out = tmp_ / "signed.dll";
  auto r = sign(tsa.url(), out, with({}, other.root_cert()));
  expect_refused(r);
  EXPECT_FALSE(wt::fs::exists(out));
  const auto in_place = wt::copy_to(dll_, tmp_.path(), "in-place.dll");
  const auto in_place_before = wt::sha256_file(in_place);
  r = wt::wslplug(with({"sign", in_place.string(), "--cert", signer_.cert.string(), "--key",
                        signer_.key.string(), "--timestamp", tsa.url(), "--in-place"},
                       other.root_cert()));
  expect_refused(r);
  EXPECT_EQ(wt::sha256_file(in_place), in_place_before);
  // The right root: signed and timestamped.
  r = sign(tsa.url(), out, with({}, tsa.root_cert()));
  ASSERT_EQ(r.rc, 0) << r.both();
  expect_timestamp_verifies(out, tsa);

  // timestamp: the same rule on an already signed file.
  const auto plain = tmp_ / "plain.dll";
  ASSERT_EQ(wt::wslplug({"sign", dll_.string(), "--cert", signer_.cert.string(), "--key",
                         signer_.key.string(), "-o", plain.string()})
                .rc,
            0);
  const auto plain_before = wt::sha256_file(plain);
  const auto stamped = tmp_ / "stamped.dll";
  r = wt::wslplug(
      with({"timestamp", plain.string(), "--timestamp", tsa.url(), "-o", stamped.string()},
           other.root_cert()));
  expect_refused(r);
  EXPECT_FALSE(wt::fs::exists(stamped));
  r = wt::wslplug(with({"timestamp", plain.string(), "--timestamp", tsa.url(), "--in-place"},
                       other.root_cert()));
  expect_refused(r);
  EXPECT_EQ(wt::sha256_file(plain), plain_before);
  r = wt::wslplug(
      with({"timestamp", plain.string(), "--timestamp", tsa.url(), "-o", stamped.string()},
           tsa.root_cert()));
  ASSERT_EQ(r.rc, 0) << r.both();
  expect_timestamp_verifies(stamped, tsa);

  // A --tsa-ca that is no certificate is an input error before any request.
  const auto requests = tsa.requests().size();
  const auto junk = tmp_ / "junk.pem";
  std::ofstream(junk) << "not a certificate\n";
  r = sign(tsa.url(), tmp_ / "never.dll", with({}, junk));
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("--tsa-ca"), std::string::npos) << r.err;
  EXPECT_FALSE(wt::fs::exists(tmp_ / "never.dll"));
  EXPECT_EQ(tsa.requests().size(), requests);
}

TEST_F(TimestampHttpsTest, HostNameIsChecked) {
  // A certificate from the trusted CA, but for another name than 127.0.0.1.
  wt::LocalTsa tsa({.tls = true, .tls_names = "DNS:tsa.wslplug.invalid"});
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  const auto out = tmp_ / "signed.dll";
  auto r = sign(tsa.url(), out, {"--timestamp-tls-ca", tsa.tls_ca().string()});
  EXPECT_EQ(r.rc, 3) << r.both();
  EXPECT_NE(r.err.find("not trusted"), std::string::npos) << r.err;
  EXPECT_FALSE(wt::fs::exists(out));
}

TEST_F(TimestampHttpsTest, HttpsThroughConnectProxy) {
  wt::LocalTsa tsa({.tls = true});
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::LocalProxy proxy;
  ASSERT_TRUE(proxy.ok()) << proxy.error();
  const auto out = tmp_ / "signed.dll";
  auto r = sign(tsa.url(), out, {"--timestamp-tls-ca", tsa.tls_ca().string()},
                {{"HTTPS_PROXY", proxy.url()}});
  ASSERT_EQ(r.rc, 0) << r.both();
  ASSERT_EQ(proxy.requests().size(), 1u);
  EXPECT_EQ(proxy.requests()[0], fmt::format("CONNECT 127.0.0.1:{}", tsa.port()));
  expect_timestamp_verifies(out, tsa);
}

TEST_F(TimestampHttpsTest, HttpThroughProxyWithCredentials) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::LocalProxy proxy(/*require_auth=*/true);
  ASSERT_TRUE(proxy.ok()) << proxy.error();
  const auto out = tmp_ / "signed.dll";
  auto with_creds = proxy.url().replace(0, 7, "http://user:secret@");
  auto r = sign(tsa.url(), out, {}, {{"http_proxy", with_creds}});
  ASSERT_EQ(r.rc, 0) << r.both();
  ASSERT_EQ(proxy.requests().size(), 1u);
  EXPECT_EQ(proxy.requests()[0], fmt::format("POST {} auth", tsa.url()));
  EXPECT_EQ(r.both().find("secret"), std::string::npos) << "the proxy password was printed";
  expect_timestamp_verifies(out, tsa);

  // Wrong credentials: the proxy's 407 is reported, the password is not.
  const auto out2 = tmp_ / "signed2.dll";
  auto bad = proxy.url().replace(0, 7, "http://user:wrongpass@");
  r = sign(fmt::format("https://127.0.0.1:{}/", tsa.port()), out2, {}, {{"HTTPS_PROXY", bad}});
  EXPECT_EQ(r.rc, 3) << r.both();
  EXPECT_NE(r.err.find("407"), std::string::npos) << r.err;
  EXPECT_EQ(r.both().find("wrongpass"), std::string::npos) << r.err;
  EXPECT_FALSE(wt::fs::exists(out2));
}

TEST_F(TimestampHttpsTest, NoProxyBypassesTheProxy) {
  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  wt::LocalProxy proxy;
  ASSERT_TRUE(proxy.ok()) << proxy.error();
  for (const std::string no_proxy : {"127.0.0.1", "example.com, 127.0.0.1:9", "*"}) {
    const auto out = tmp_ / "signed.dll";
    wt::fs::remove(out);
    auto r = sign(tsa.url(), out, {}, {{"HTTP_PROXY", proxy.url()}, {"NO_PROXY", no_proxy}});
    ASSERT_EQ(r.rc, 0) << no_proxy << "\n" << r.both();
  }
  EXPECT_TRUE(proxy.requests().empty());
  // A proxy that is not listening is reported as the proxy.
  const auto out = tmp_ / "signed3.dll";
  auto r = sign(tsa.url(), out, {}, {{"HTTP_PROXY", "http://127.0.0.1:9"}});
  EXPECT_EQ(r.rc, 3) << r.both();
  EXPECT_NE(r.err.find("via proxy http://127.0.0.1:9"), std::string::npos) << r.err;
}

}  // namespace
