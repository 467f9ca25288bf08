// `wslplug sign --external-signer` and the two-step `prepare` / `finish`: the key stays with a
// command (here `openssl pkeyutl`, as a KMS CLI would be) or on another machine. The result
// must be byte-identical to `sign --key`, verify in osslsigncode, and bad signers must fail
// clearly with nothing written.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pki.hpp"
#include "support.hpp"

namespace wt = wslplug::test;

namespace {

class ExternalSignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WSLPLUG_REQUIRE_TOOL("osslsigncode");
    WSLPLUG_REQUIRE_TOOL("openssl");
    signer_ = wt::make_cert(tmp_.path(), "signer");
    other_ = wt::make_cert(tmp_.path(), "other", {.cn = "someone else"});
    ec_ = wt::make_cert(tmp_.path(), "ec", {.cn = "ec signer", .key = "ec-p256"});
    ASSERT_FALSE(signer_.cert.empty());
    ASSERT_FALSE(ec_.cert.empty());
    dll_ = wt::copy_to(wt::build_dll({.name = "external-x64-odd", .odd_size = true}), tmp_.path());
    ASSERT_FALSE(dll_.empty());
  }
  static std::string pkeyutl(const wt::fs::path& key, const std::string& digest = "sha256") {
    return fmt::format("openssl pkeyutl -sign -inkey '{}' -pkeyopt digest:{}", key.string(),
                       digest);
  }
  // Signs with --key (the reference) and returns its path.
  wt::fs::path reference(const std::vector<std::string>& extra, const std::string& name) {
    const auto out = tmp_ / name;
    std::vector<std::string> args = {"sign",  dll_.string(),        "--cert", signer_.cert.string(),
                                     "--key", signer_.key.string(), "-o",     out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = wt::wslplug(args);
    EXPECT_EQ(r.rc, 0) << r.both();
    return out;
  }
  wt::RunResult sign_external(const std::string& command, const wt::fs::path& out,
                              std::vector<std::string> extra = {}, const wt::fs::path& cert = {}) {
    std::vector<std::string> args = {"sign",
                                     dll_.string(),
                                     "--cert",
                                     (cert.empty() ? signer_.cert : cert).string(),
                                     "--external-signer",
                                     command,
                                     "-o",
                                     out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return wt::wslplug(args);
  }
  void expect_nothing_written(const wt::fs::path& out) {
    EXPECT_FALSE(wt::fs::exists(out)) << out;
    EXPECT_TRUE(wt::stray_temp_files(tmp_.path()).empty());
  }
  wt::TempDir tmp_;
  wt::CertPair signer_, other_, ec_;
  wt::fs::path dll_;
};

TEST_F(ExternalSignerTest, OpensslPkeyutlIsByteIdenticalToKeyFile) {
  for (const std::string hash : {"sha256", "sha384", "sha512"}) {
    const std::vector<std::string> extra = {
        "--time", "1700000000", "--hash", hash,
        "--name", "ext",        "--url",  "https://example.invalid"};
    const auto ref = reference(extra, "ref-" + hash + ".dll");
    const auto out = tmp_ / ("ext-" + hash + ".dll");
    auto r = sign_external(pkeyutl(signer_.key, hash), out, extra);
    ASSERT_EQ(r.rc, 0) << r.both();
    EXPECT_EQ(wt::read_bytes(out), wt::read_bytes(ref)) << hash << ": not byte-identical";
    auto v =
        wt::run({"osslsigncode", "verify", "-CAfile", signer_.cert.string(), "-in", out.string()});
    EXPECT_EQ(v.rc, 0) << v.both();
  }
}

TEST_F(ExternalSignerTest, CommandSeesDigestAndCertificateInEnvironment) {
  const auto env_file = tmp_ / "env.txt";
  const auto out = tmp_ / "out.dll";
  auto r = sign_external(fmt::format("env | grep ^WSLPLUG_ | sort > '{}'; {}", env_file.string(),
                                     pkeyutl(signer_.key)),
                         out);
  ASSERT_EQ(r.rc, 0) << r.both();
  const auto env = wt::read_text(env_file);
  EXPECT_NE(env.find("WSLPLUG_DIGEST_ALGORITHM=sha256\n"), std::string::npos) << env;
  EXPECT_NE(env.find("WSLPLUG_KEY_TYPE=rsa\n"), std::string::npos) << env;
  auto fp =
      wt::run({"openssl", "x509", "-in", signer_.cert.string(), "-noout", "-fingerprint", "-sha1"});
  std::string thumb;
  for (char c : fp.out.substr(fp.out.find('=') + 1))
    if (c != ':' && c != '\n') thumb += c;
  EXPECT_NE(env.find("WSLPLUG_CERT_THUMBPRINT=" + thumb + "\n"), std::string::npos) << env;
  EXPECT_NE(env.find("WSLPLUG_DIGEST_HEX="), std::string::npos) << env;
  EXPECT_NE(env.find("WSLPLUG_DIGEST_BASE64="), std::string::npos) << env;
}

TEST_F(ExternalSignerTest, EcdsaSignatureVerifiesInOsslsigncode) {
  const auto out = tmp_ / "ec.dll";
  auto r = sign_external(pkeyutl(ec_.key), out, {}, ec_.cert);
  ASSERT_EQ(r.rc, 0) << r.both();
  auto v = wt::run({"osslsigncode", "verify", "-CAfile", ec_.cert.string(), "-in", out.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
  auto w = wt::wslplug({"verify", out.string(), "--ca", ec_.cert.string()});
  EXPECT_EQ(w.rc, 0) << w.both();
}

TEST_F(ExternalSignerTest, BadSignersFailClearlyAndWriteNothing) {
  struct Case {
    std::string name, command;
    int rc;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"garbage", "cat >/dev/null; head -c 256 /dev/urandom", 2, "does not verify against"},
      {"nothing", "cat >/dev/null", 2, "wrote nothing on stdout"},
      {"other key", pkeyutl(other_.key), 2, "does not verify against"},
      {"base64", pkeyutl(signer_.key) + " | base64", 2, "does not verify against"},
      {"fails", "echo 'kms: access denied' >&2; exit 5", 3, "failed with exit code 5"},
      {"missing", "no-such-signer-command-xyz", 3, "command not found"},
      {"hangs", "sleep 60", 3, "did not finish within 1 s"},
  };
  for (const auto& c : cases) {
    const auto out = tmp_ / "bad.dll";
    const auto before = wt::sha256_file(dll_);
    auto r = sign_external(c.command, out, {"--external-signer-timeout", "1"});
    EXPECT_EQ(r.rc, c.rc) << c.name << "\n" << r.both();
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.name << "\n" << r.err;
    EXPECT_NE(r.err.find("fix:"), std::string::npos) << c.name << "\n" << r.err;
    expect_nothing_written(out);
    EXPECT_EQ(wt::sha256_file(dll_), before);
  }
}

TEST_F(ExternalSignerTest, RefusesKeyTogetherWithExternalSigner) {
  auto r = sign_external(pkeyutl(signer_.key), tmp_ / "x.dll", {"--key", signer_.key.string()});
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("cannot be combined"), std::string::npos) << r.err;
}

// ---- two-step signing ------------------------------------------------------------------------

TEST_F(ExternalSignerTest, PrepareSignElsewhereFinishIsByteIdentical) {
  const std::vector<std::string> extra = {"--time", "1700000000", "--name", "two step",
                                          "--commercial"};
  const auto ref = reference(extra, "ref.dll");
  const auto req = tmp_ / "req.json";
  const auto digest = tmp_ / "digest.bin";
  std::vector<std::string> prep = {"prepare", dll_.string(), "--cert",       signer_.cert.string(),
                                   "-o",      req.string(),  "--digest-out", digest.string()};
  prep.insert(prep.end(), extra.begin(), extra.end());
  auto p = wt::wslplug(prep);
  ASSERT_EQ(p.rc, 0) << p.both();
  // The request is documented JSON: its digest equals the raw digest file.
  auto j = nlohmann::json::parse(wt::read_text(req));
  EXPECT_EQ(j["format"], "wslplug-signing-request");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["digest_algorithm"], "sha256");
  EXPECT_EQ(j["key_type"], "rsa");
  EXPECT_EQ(j["signing_time"], 1700000000);
  std::string hex;
  for (auto b : wt::read_bytes(digest)) hex += fmt::format("{:02X}", std::to_integer<int>(b));
  EXPECT_EQ(j["to_sign_hex"], hex);

  const auto sig = tmp_ / "sig.bin";
  auto s = wt::run({"openssl", "pkeyutl", "-sign", "-inkey", signer_.key.string(), "-pkeyopt",
                    "digest:sha256", "-in", digest.string(), "-out", sig.string()});
  ASSERT_EQ(s.rc, 0) << s.both();
  const auto out = tmp_ / "finished.dll";
  auto f = wt::wslplug({"finish", dll_.string(), "--request", req.string(), "--signature",
                        sig.string(), "-o", out.string()});
  ASSERT_EQ(f.rc, 0) << f.both();
  EXPECT_EQ(wt::read_bytes(out), wt::read_bytes(ref)) << "finish is not byte-identical to sign";
  EXPECT_TRUE(f.out.empty()) << "status belongs on stderr: " << f.out;

  // --json: prepare reports the digest of the request, finish what it wrote.
  const auto req2 = tmp_ / "req2.json";
  std::vector<std::string> prep2 = {"prepare", dll_.string(), "--cert", signer_.cert.string(),
                                    "-o",      req2.string(), "--json"};
  prep2.insert(prep2.end(), extra.begin(), extra.end());
  auto pj = wt::wslplug(prep2);
  ASSERT_EQ(pj.rc, 0) << pj.both();
  auto pdoc = nlohmann::json::parse(pj.out);
  EXPECT_TRUE(pdoc.at("ok").get<bool>());
  EXPECT_EQ(pdoc.at("digest"), hex);
  EXPECT_EQ(pdoc.at("digest_algorithm"), "sha256");
  EXPECT_EQ(pdoc.at("key_type"), "rsa");
  EXPECT_EQ(pdoc.at("request"), req2.string());
  EXPECT_TRUE(pdoc.at("digest_file").is_null());
  const auto out2 = tmp_ / "finished2.dll";
  auto fj = wt::wslplug({"finish", dll_.string(), "--request", req2.string(), "--signature",
                         sig.string(), "-o", out2.string(), "--json"});
  ASSERT_EQ(fj.rc, 0) << fj.both();
  auto fdoc = nlohmann::json::parse(fj.out);
  EXPECT_TRUE(fdoc.at("ok").get<bool>());
  EXPECT_EQ(fdoc.at("output"), out2.string());
  EXPECT_EQ(fdoc.at("size").get<std::uintmax_t>(), wt::fs::file_size(out2));
  EXPECT_EQ(wt::read_bytes(out2), wt::read_bytes(ref));
  // A failure is a document too: the existing output is refused, exit 2.
  auto again = wt::wslplug({"finish", dll_.string(), "--request", req2.string(), "--signature",
                            sig.string(), "-o", out2.string(), "--json"});
  EXPECT_EQ(again.rc, 2) << again.both();
  auto adoc = nlohmann::json::parse(again.out);
  EXPECT_FALSE(adoc.at("ok").get<bool>());
  EXPECT_EQ(adoc.at("error").at("kind"), "input");
}

TEST_F(ExternalSignerTest, FinishRefusesWrongSignatureChangedFileAndEditedRequest) {
  const auto req = tmp_ / "req.json";
  const auto digest = tmp_ / "digest.bin";
  ASSERT_EQ(wt::wslplug({"prepare", dll_.string(), "--cert", signer_.cert.string(), "-o",
                         req.string(), "--digest-out", digest.string()})
                .rc,
            0);
  auto sign_with = [&](const wt::CertPair& who, const std::string& name) {
    const auto sig = tmp_ / name;
    EXPECT_EQ(wt::run({"openssl", "pkeyutl", "-sign", "-inkey", who.key.string(), "-pkeyopt",
                       "digest:sha256", "-in", digest.string(), "-out", sig.string()})
                  .rc,
              0);
    return sig;
  };
  const auto good = sign_with(signer_, "good.sig");
  const auto bad = sign_with(other_, "bad.sig");
  const auto out = tmp_ / "out.dll";
  auto finish = [&](const wt::fs::path& file, const wt::fs::path& request,
                    const wt::fs::path& sig) {
    return wt::wslplug({"finish", file.string(), "--request", request.string(), "--signature",
                        sig.string(), "-o", out.string()});
  };
  auto r = finish(dll_, req, bad);
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("does not verify against the certificate"), std::string::npos) << r.err;
  expect_nothing_written(out);

  const auto empty = tmp_ / "empty.sig";
  wt::write_text(empty, "");
  r = finish(dll_, req, empty);
  EXPECT_EQ(r.rc, 2) << r.both();
  expect_nothing_written(out);

  const auto changed = tmp_ / "changed.dll";
  auto bytes = wt::read_bytes(dll_);
  bytes[bytes.size() / 2] ^= std::byte{1};
  wt::write_bytes(changed, bytes);
  r = finish(changed, req, good);
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("the file changed since the request was prepared"), std::string::npos)
      << r.err;
  expect_nothing_written(out);

  // Editing a field (the signing time) without re-signing is detected.
  auto j = nlohmann::json::parse(wt::read_text(req));
  j["signing_time"] = 1600000000;
  const auto edited = tmp_ / "edited.json";
  wt::write_text(edited, j.dump());
  r = finish(dll_, edited, good);
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("do not match"), std::string::npos) << r.err;
  expect_nothing_written(out);

  const auto junk = tmp_ / "junk.json";
  wt::write_text(junk, "{\"format\": 3}");
  r = finish(dll_, junk, good);
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("not a usable signing request"), std::string::npos) << r.err;

  r = finish(dll_, req, good);
  EXPECT_EQ(r.rc, 0) << r.both();
  auto v =
      wt::run({"osslsigncode", "verify", "-CAfile", signer_.cert.string(), "-in", out.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
}

TEST_F(ExternalSignerTest, TwoStepWithEcdsaRawRsSignature) {
  // A KMS that returns ECDSA as raw r||s (Azure Key Vault) is accepted.
  const auto req = tmp_ / "req.json";
  const auto digest = tmp_ / "digest.bin";
  ASSERT_EQ(wt::wslplug({"prepare", dll_.string(), "--cert", ec_.cert.string(), "-o", req.string(),
                         "--digest-out", digest.string()})
                .rc,
            0);
  const auto der_sig = tmp_ / "sig.der";
  ASSERT_EQ(wt::run({"openssl", "pkeyutl", "-sign", "-inkey", ec_.key.string(), "-pkeyopt",
                     "digest:sha256", "-in", digest.string(), "-out", der_sig.string()})
                .rc,
            0);
  // DER -> r||s with openssl asn1parse: the two INTEGERs, left-padded to 32 bytes.
  auto parsed = wt::run({"openssl", "asn1parse", "-inform", "DER", "-in", der_sig.string()});
  ASSERT_EQ(parsed.rc, 0);
  std::vector<std::byte> raw;
  std::size_t pos = 0;
  while ((pos = parsed.out.find("INTEGER", pos)) != std::string::npos) {
    auto colon = parsed.out.find(':', pos);
    auto eol = parsed.out.find('\n', colon);
    std::string hex = parsed.out.substr(colon + 1, eol - colon - 1);
    while (hex.size() < 64) hex = "0" + hex;
    hex = hex.substr(hex.size() - 64);
    for (std::size_t i = 0; i < 64; i += 2)
      raw.push_back(static_cast<std::byte>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    pos = eol;
  }
  ASSERT_EQ(raw.size(), 64u) << parsed.out;
  const auto raw_sig = tmp_ / "sig.raw";
  wt::write_bytes(raw_sig, raw);
  const auto out = tmp_ / "out.dll";
  auto f = wt::wslplug({"finish", dll_.string(), "--request", req.string(), "--signature",
                        raw_sig.string(), "-o", out.string()});
  ASSERT_EQ(f.rc, 0) << f.both();
  auto v = wt::run({"osslsigncode", "verify", "-CAfile", ec_.cert.string(), "-in", out.string()});
  EXPECT_EQ(v.rc, 0) << v.both();
}

}  // namespace
