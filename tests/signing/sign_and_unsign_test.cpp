// `wslplug sign` / `unsign` against real MinGW/clang DLLs, with osslsigncode, pefile and Wine's
// WinVerifyTrust as independent oracles.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pki.hpp"
#include "support.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/signing.hpp"

namespace wt = wslplug::test;
namespace pe = wslplug::pe;

namespace {

// pefile's checksum, asserting that the file stores exactly that value.
std::uint32_t checked_pefile_checksum(const wt::fs::path& p) {
  const auto c = wt::pefile_checksum(p);
  EXPECT_EQ(c.computed, c.stored) << p << ": stored checksum differs from pefile's";
  return c.computed;
}

wt::RunResult osslsigncode_verify(const wt::fs::path& file, const wt::fs::path& ca) {
  return wt::run({"osslsigncode", "verify", "-CAfile", ca.string(), "-in", file.string()});
}

std::vector<wt::fs::path> all_fixtures() {
  return {
      wt::build_dll({.name = "sign-x64"}),
      wt::build_dll({.name = "sign-x64-odd", .odd_size = true}),
      wt::build_dll({.name = "sign-x64-overlay", .overlay = 5001}),
      wt::build_dll({.name = "sign-x86", .arch = wt::Arch::kX86}),
      wt::build_dll({.name = "sign-x86-odd", .arch = wt::Arch::kX86, .odd_size = true}),
      wt::build_dll({.name = "sign-arm64", .arch = wt::Arch::kArm64}),
  };
}

class SignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WSLPLUG_REQUIRE_TOOL("osslsigncode");
    WSLPLUG_REQUIRE_TOOL("openssl");
    signer_ = wt::make_cert(tmp_.path(), "signer");
    ASSERT_FALSE(signer_.cert.empty());
  }
  wt::RunResult sign(const wt::fs::path& in, const wt::fs::path& out,
                     std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"sign",  in.string(),          "--cert", signer_.cert.string(),
                                     "--key", signer_.key.string(), "-o",     out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return wt::wslplug(args);
  }
  wt::TempDir tmp_;
  wt::CertPair signer_;
};

TEST_F(SignTest, EveryFixtureVerifiesInOsslsigncodeAndWslplug) {
  for (const auto& f : all_fixtures()) {
    ASSERT_FALSE(f.empty());
    const auto before = wt::sha256_file(f);
    const auto out = tmp_ / ("signed-" + f.filename().string());
    auto r = sign(f, out);
    ASSERT_EQ(r.rc, 0) << f << "\n" << r.both();
    EXPECT_EQ(wt::sha256_file(f), before) << "input modified";
    auto v = osslsigncode_verify(out, signer_.cert);
    EXPECT_EQ(v.rc, 0) << f << "\n" << v.both();
    EXPECT_NE(v.out.find("Signature verification: ok"), std::string::npos) << v.out;
    EXPECT_EQ(v.out.find("invalid PE checksum"), std::string::npos) << v.out;
    auto w = wt::wslplug({"verify", out.string(), "--ca", signer_.cert.string()});
    EXPECT_EQ(w.rc, 0) << w.both();
    checked_pefile_checksum(out);
    auto img = pe::Image::open(out);
    ASSERT_TRUE(img);
    EXPECT_EQ(img->layout().cert_table.address % 8, 0u);
    EXPECT_EQ(img->layout().cert_table.address + img->layout().cert_table.size,
              img->layout().file_size);
  }
}

TEST_F(SignTest, ByteIdenticalToOsslsigncode) {
  auto inter_root = wt::make_cert(tmp_.path(), "root", {.cn = "wslplug test root", .ca = true});
  auto inter = wt::make_cert(
      tmp_.path(), "inter", {.cn = "wslplug test intermediate", .ca = true, .issuer = &inter_root});
  auto leaf =
      wt::make_cert(tmp_.path(), "leaf", {.cn = "wslplug chained signer", .issuer = &inter});
  ASSERT_FALSE(leaf.cert.empty());
  const auto chain_pem = tmp_ / "leaf-chain.pem";
  wt::write_text(chain_pem, wt::read_text(leaf.cert) + wt::read_text(inter.cert));

  struct Case {
    std::string name;
    wt::fs::path dll;
    std::vector<std::string> ours, theirs;
    const wt::CertPair* who;
    wt::fs::path osc_certs;
  };
  const auto odd = wt::build_dll({.name = "sign-x64-odd", .odd_size = true});
  const auto x86 = wt::build_dll({.name = "sign-x86", .arch = wt::Arch::kX86});
  const auto arm = wt::build_dll({.name = "sign-arm64", .arch = wt::Arch::kArm64});
  const auto overlay = wt::build_dll({.name = "sign-x64-overlay", .overlay = 5001});
  // Larger than the 1 MiB chunks and the 16 MiB writeback lag, odd size: exercises the
  // two-thread pipeline across many chunks.
  const auto large = wt::build_dll({.name = "sign-x64-large", .overlay = (20u << 20) + 13});
  std::vector<Case> cases = {
      {"plain", odd, {"--time", "1700000000"}, {"-time", "1700000000"}, &signer_, signer_.cert},
      {"name-url",
       x86,
       {"--time", "1556668800", "--name", "My plugin", "--url", "https://example.invalid/p"},
       {"-time", "1556668800", "-n", "My plugin", "-i", "https://example.invalid/p"},
       &signer_,
       signer_.cert},
      {"commercial-sha384",
       arm,
       {"--time", "1700000000", "--commercial", "--hash", "sha384", "--name", "x"},
       {"-time", "1700000000", "-comm", "-h", "sha384", "-n", "x"},
       &signer_,
       signer_.cert},
      {"sha512-url-only",
       overlay,
       {"--time", "1700000001", "--hash", "sha512", "--url", "http://a.example"},
       {"-time", "1700000001", "-h", "sha512", "-i", "http://a.example"},
       &signer_,
       signer_.cert},
      {"large", large, {"--time", "1700000000"}, {"-time", "1700000000"}, &signer_, signer_.cert},
      {"chain",
       odd,
       {"--time", "1700000000", "--chain", inter.cert.string(), "--name", "chained"},
       {"-time", "1700000000", "-n", "chained"},
       &leaf,
       chain_pem},
  };
  for (const auto& c : cases) {
    const auto ours = tmp_ / (c.name + "-ours.dll");
    const auto theirs = tmp_ / (c.name + "-osc.dll");
    std::vector<std::string> args = {"sign",  c.dll.string(),      "--cert", c.who->cert.string(),
                                     "--key", c.who->key.string(), "-o",     ours.string()};
    args.insert(args.end(), c.ours.begin(), c.ours.end());
    auto r = wt::wslplug(args);
    ASSERT_EQ(r.rc, 0) << c.name << "\n" << r.both();
    std::vector<std::string> osc = {
        "osslsigncode", "sign",         "-certs", c.osc_certs.string(), "-key", c.who->key.string(),
        "-in",          c.dll.string(), "-out",   theirs.string()};
    osc.insert(osc.end(), c.theirs.begin(), c.theirs.end());
    auto o = wt::run(osc);
    ASSERT_EQ(o.rc, 0) << o.both();
    EXPECT_EQ(wt::read_bytes(ours), wt::read_bytes(theirs)) << c.name << ": not byte-identical";
  }
}

TEST_F(SignTest, OsslsigncodeSignedFilesVerifyInWslplug) {
  for (const auto& f : all_fixtures()) {
    const auto out = tmp_ / ("osc-" + f.filename().string());
    auto o = wt::run({"osslsigncode", "sign", "-certs", signer_.cert.string(), "-key",
                      signer_.key.string(), "-n", "osc", "-in", f.string(), "-out", out.string()});
    ASSERT_EQ(o.rc, 0) << o.both();
    auto w = wt::wslplug({"verify", out.string(), "--ca", signer_.cert.string(), "--json"});
    EXPECT_EQ(w.rc, 0) << w.both();
    EXPECT_NE(w.out.find("\"digest_ok\": true"), std::string::npos) << w.out;
  }
}

TEST_F(SignTest, ReplacesAnExistingSignatureAndUnsignRoundTrips) {
  const auto dll = wt::build_dll({.name = "sign-x64-odd", .odd_size = true});
  const auto once = tmp_ / "once.dll";
  const auto twice = tmp_ / "twice.dll";
  ASSERT_EQ(sign(dll, once, {"--time", "1700000000"}).rc, 0);
  // Sign the signed file again with another name: the old table is dropped, not nested.
  auto r = sign(once, twice, {"--time", "1700000000"});
  ASSERT_EQ(r.rc, 0) << r.both();
  EXPECT_EQ(wt::read_bytes(once), wt::read_bytes(twice));
  // Re-signing with different options gives one signature only.
  const auto other = tmp_ / "other.dll";
  ASSERT_EQ(sign(once, other, {"--hash", "sha512"}).rc, 0);
  auto img = pe::Image::open(other);
  ASSERT_TRUE(img);
  auto entries = img->certificate_entries();
  ASSERT_TRUE(entries);
  EXPECT_EQ(entries->size(), 1u);

  // unsign == osslsigncode remove-signature (input + zero padding, fixed checksum).
  const auto ours = tmp_ / "unsigned-ours.dll";
  const auto theirs = tmp_ / "unsigned-osc.dll";
  auto u = wt::wslplug({"unsign", once.string(), "-o", ours.string()});
  ASSERT_EQ(u.rc, 0) << u.both();
  ASSERT_EQ(
      wt::run({"osslsigncode", "remove-signature", "-in", once.string(), "-out", theirs.string()})
          .rc,
      0);
  EXPECT_EQ(wt::read_bytes(ours), wt::read_bytes(theirs));
  checked_pefile_checksum(ours);
  auto orig = wt::read_bytes(dll);
  auto back = wt::read_bytes(ours);
  ASSERT_EQ(back.size(), (orig.size() + 7) / 8 * 8);
  auto img2 = pe::Image::open(ours);
  ASSERT_TRUE(img2);
  EXPECT_FALSE(img2->layout().has_cert_table());
  // In place: unsign FILE.
  const auto inplace = wt::copy_to(once, tmp_.path(), "inplace.dll");
  ASSERT_EQ(wt::wslplug({"unsign", inplace.string(), "--in-place"}).rc, 0);
  EXPECT_EQ(wt::read_bytes(inplace), back);
  // Unsigning an unsigned file is a no-op with a note (the result asked for already exists).
  auto again = wt::wslplug({"unsign", inplace.string(), "--in-place"});
  EXPECT_EQ(again.rc, 0) << again.both();
  EXPECT_NE(again.err.find("has no signature"), std::string::npos) << again.err;
  EXPECT_EQ(wt::read_bytes(inplace), back);
}

TEST_F(SignTest, SeveralFilesInPlaceInParallel) {
  std::vector<std::string> args = {
      "sign", "--cert", signer_.cert.string(), "--key", signer_.key.string(), "--in-place"};
  std::vector<wt::fs::path> files;
  int i = 0;
  for (const auto& f : all_fixtures()) {
    files.push_back(wt::copy_to(f, tmp_.path(), fmt::format("multi{}.dll", i++)));
    args.push_back(files.back().string());
  }
  auto r = wt::wslplug(args);
  ASSERT_EQ(r.rc, 0) << r.both();
  for (const auto& f : files) {
    EXPECT_EQ(osslsigncode_verify(f, signer_.cert).rc, 0) << f;
  }
  EXPECT_TRUE(wt::stray_temp_files(tmp_.path()).empty());
  // -o with several files needs a directory.
  auto bad =
      wt::wslplug({"sign", files[0].string(), files[1].string(), "--cert", signer_.cert.string(),
                   "--key", signer_.key.string(), "-o", (tmp_ / "x.dll").string()});
  EXPECT_EQ(bad.rc, 2) << bad.both();
  const auto outdir = tmp_ / "outdir";
  wt::fs::create_directory(outdir);
  auto good =
      wt::wslplug({"sign", files[0].string(), files[1].string(), "--cert", signer_.cert.string(),
                   "--key", signer_.key.string(), "-o", outdir.string()});
  EXPECT_EQ(good.rc, 0) << good.both();
  EXPECT_TRUE(wt::fs::exists(outdir / files[1].filename()));
  // --out-dir, the spelling of the other commands: created when missing, the same bytes as -o DIR.
  const auto made = tmp_ / "made" / "here";
  auto via_out_dir =
      wt::wslplug({"sign", files[0].string(), files[1].string(), "--cert", signer_.cert.string(),
                   "--key", signer_.key.string(), "--out-dir", made.string()});
  ASSERT_EQ(via_out_dir.rc, 0) << via_out_dir.both();
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(osslsigncode_verify(made / files[k].filename(), signer_.cert).rc, 0);
    // In-place signing of `files` changes only the signing time; compare the sizes.
    EXPECT_EQ(wt::fs::file_size(made / files[k].filename()),
              wt::fs::file_size(outdir / files[k].filename()));
  }
  // ... and refused beside -o or --in-place, with nothing made.
  for (const auto& other :
       std::vector<std::vector<std::string>>{{"-o", (tmp_ / "y.dll").string()}, {"--in-place"}}) {
    std::vector<std::string> args2 = {
        "sign",  files[0].string(),    "--cert",    signer_.cert.string(),
        "--key", signer_.key.string(), "--out-dir", (tmp_ / "never").string()};
    args2.insert(args2.end(), other.begin(), other.end());
    auto both = wt::wslplug(args2);
    EXPECT_EQ(both.rc, 2) << both.both();
    EXPECT_NE(both.err.find("both say where the output goes"), std::string::npos) << both.err;
    EXPECT_FALSE(wt::fs::exists(tmp_ / "never"));
  }
}

// A write that fails in the middle of the stream (the file-size limit, as a full disk would)
// stops every stage of the pipeline: an I/O error naming the output, exit 3, no output and no
// temp file left, and no hang (the test's timeout would catch one).
TEST_F(SignTest, WriteFailureMidStreamIsAnIoErrorAndLeavesNothing) {
  const auto large = wt::build_dll({.name = "sign-x64-large", .overlay = (20u << 20) + 13});
  const auto out = tmp_ / "limited.dll";
  // bash's ulimit -f counts 1024-byte blocks: 4 MiB, inside the 20 MiB image; SIGXFSZ ignored
  // (kept across exec) so the write fails with EFBIG instead of killing the process.
  auto r = wt::run({"bash", "-c", "trap '' XFSZ; ulimit -f 4096; exec \"$0\" \"$@\"",
                    wt::wslplug_bin(), "sign", large.string(), "--cert", signer_.cert.string(),
                    "--key", signer_.key.string(), "-o", out.string()});
  EXPECT_EQ(r.rc, 3) << r.both();
  EXPECT_NE(r.err.find(out.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("too large"), std::string::npos) << r.err;
  EXPECT_FALSE(wt::fs::exists(out));
  EXPECT_TRUE(wt::stray_temp_files(tmp_.path()).empty());
}

TEST_F(SignTest, ExistingOutputNeedsForceAndEncryptedKeyNeedsPassword) {
  const auto dll = wt::build_dll({.name = "sign-x64"});
  const auto out = tmp_ / "out.dll";
  wt::write_text(out, "existing");
  auto r = sign(dll, out);
  EXPECT_EQ(r.rc, 2) << r.both();
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(wt::read_text(out), "existing");
  EXPECT_EQ(sign(dll, out, {"--force"}).rc, 0);
  EXPECT_EQ(osslsigncode_verify(out, signer_.cert).rc, 0);

  const auto enc = wt::encrypt_key(signer_.key, tmp_ / "enc.key", "s3cret");
  const auto out2 = tmp_ / "out2.dll";
  auto r2 = wt::wslplug({"sign", dll.string(), "--cert", signer_.cert.string(), "--key",
                         enc.string(), "-o", out2.string(), "--key-password-env", "MYPASS"},
                        {{"MYPASS", "s3cret"}});
  EXPECT_EQ(r2.rc, 0) << r2.both();
  EXPECT_EQ(osslsigncode_verify(out2, signer_.cert).rc, 0);
  auto wrong =
      wt::wslplug({"sign", dll.string(), "--cert", signer_.cert.string(), "--key", enc.string(),
                   "-o", (tmp_ / "o3.dll").string(), "--key-password-env", "MYPASS"},
                  {{"MYPASS", "nope"}});
  EXPECT_EQ(wrong.rc, 2) << wrong.both();
  EXPECT_NE(wrong.err.find("password"), std::string::npos) << wrong.err;
  EXPECT_FALSE(wt::fs::exists(tmp_ / "o3.dll"));
}

TEST_F(SignTest, WineWinVerifyTrustAcceptsOurSignature) {
  WSLPLUG_REQUIRE_TOOL("wine");
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-gcc");
  const auto vt_src = tmp_ / "vt.c";
  wt::write_text(vt_src, R"(#include <windows.h>
#include <wintrust.h>
#include <softpub.h>
#include <stdio.h>
int wmain(int argc, wchar_t** argv) {
  if (argc < 2) return 2;
  WINTRUST_FILE_INFO fi = {0};
  fi.cbStruct = sizeof fi;
  fi.pcwszFilePath = argv[1];
  WINTRUST_DATA wd = {0};
  wd.cbStruct = sizeof wd;
  wd.dwUIChoice = WTD_UI_NONE;
  wd.fdwRevocationChecks = WTD_REVOKE_NONE;
  wd.dwUnionChoice = WTD_CHOICE_FILE;
  wd.pFile = &fi;
  wd.dwStateAction = WTD_STATEACTION_VERIFY;
  GUID action = WINTRUST_ACTION_GENERIC_VERIFY_V2;
  LONG rc = WinVerifyTrust(INVALID_HANDLE_VALUE, &action, &wd);
  wd.dwStateAction = WTD_STATEACTION_CLOSE;
  WinVerifyTrust(INVALID_HANDLE_VALUE, &action, &wd);
  printf("0x%08lx\n", (unsigned long)rc);
  return 0;
}
)");
  const auto vt = tmp_ / "vt.exe";
  auto cc = wt::run({"x86_64-w64-mingw32-gcc", "-O2", "-municode", "-o", vt.string(),
                     vt_src.string(), "-lwintrust"});
  ASSERT_EQ(cc.rc, 0) << cc.both();
  const auto dll = wt::build_dll({.name = "sign-x64"});
  const auto signed_dll = tmp_ / "wine-signed.dll";
  ASSERT_EQ(sign(dll, signed_dll).rc, 0);
  auto tampered_bytes = wt::read_bytes(signed_dll);
  auto img = pe::Image::open(signed_dll);
  ASSERT_TRUE(img);
  tampered_bytes[img->layout().sections[0].raw_offset + 16] ^= std::byte{0x01};
  const auto tampered = tmp_ / "wine-tampered.dll";
  wt::write_bytes(tampered, tampered_bytes);

  auto ok = wt::wine({vt.string(), signed_dll.string()});
  EXPECT_NE(ok.out.find("0x00000000"), std::string::npos) << ok.both();
  auto unsigned_r = wt::wine({vt.string(), dll.string()});
  EXPECT_NE(unsigned_r.out.find("0x800b0100"), std::string::npos) << unsigned_r.both();
  auto bad = wt::wine({vt.string(), tampered.string()});
  EXPECT_NE(bad.out.find("0x80096010"), std::string::npos) << bad.both();
}

}  // namespace

namespace {

// The library contract other commands use (build --sign, doctor): create_test_certificate,
// Credentials::from_pem, sign_file in place, verify_file with Verdict bits, unsign_file.
TEST(SigningLibrary, CertificateSignVerifyUnsignInProcess) {
  namespace sg = wslplug::signing;
  wt::TempDir tmp;
  sg::CertRequest req;
  req.subject = "CN=library test";
  req.key = sg::KeyType::kRsa2048;
  auto made = sg::create_test_certificate(req, tmp / "certs", false, nullptr, false);
  ASSERT_TRUE(made) << made.error().describe();
  EXPECT_EQ(made->first.subject, "CN=library test");
  EXPECT_EQ(made->first.thumbprint_sha1.size(), 40u);
  EXPECT_EQ(made->first.not_after - made->first.not_before, 365 * 86400 + 600);
  auto again = sg::create_test_certificate(req, tmp / "certs", false, nullptr, false);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, wslplug::ErrorKind::kInput);

  auto creds = sg::Credentials::from_pem(made->second.cert_pem, made->second.key_pem, {}, nullptr);
  ASSERT_TRUE(creds) << creds.error().describe();
  EXPECT_EQ(creds->subject(), "CN=library test");
  const auto dll =
      wt::copy_to(wt::build_dll({.name = "sign-x86-odd", .arch = wt::Arch::kX86, .odd_size = true}),
                  tmp.path(), "lib.dll");
  sg::SignOptions opts;
  opts.description = "library";
  wslplug::OutputOptions oo;
  oo.overwrite = true;
  oo.keep_mode_of_existing = true;
  auto signed_r = sg::sign_file(dll, dll, *creds, opts, oo);
  ASSERT_TRUE(signed_r) << signed_r.error().describe();
  EXPECT_EQ(signed_r->output_size, wt::fs::file_size(dll));
  EXPECT_EQ(signed_r->digest_hex.size(), 64u);

  sg::VerifyOptions vo;
  vo.ca_files = {made->second.cert_pem};
  auto rep = sg::verify_file(dll, vo);
  ASSERT_TRUE(rep) << rep.error().describe();
  EXPECT_TRUE(rep->ok);
  ASSERT_EQ(rep->signatures.size(), 1u);
  EXPECT_EQ(rep->signatures[0].computed_digest, signed_r->digest_hex);
  EXPECT_EQ(rep->computed_checksum, signed_r->checksum);
  // Without trust anchors (system store): exactly the untrusted-root bit.
  auto untrusted = sg::verify_file(dll, {});
  ASSERT_TRUE(untrusted);
  EXPECT_EQ(untrusted->signatures[0].verdict, sg::Verdict::kUntrustedRoot);
  // Far in the future: expired as well.
  vo.at_time = made->first.not_after + 86400;
  auto expired = sg::verify_file(dll, vo);
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->signatures[0].verdict, sg::Verdict::kExpired);

  ASSERT_TRUE(sg::unsign_file(dll, dll, oo));
  auto unsigned_rep = sg::verify_file(dll, vo);
  ASSERT_TRUE(unsigned_rep);
  EXPECT_FALSE(unsigned_rep->is_signed);
  EXPECT_TRUE(unsigned_rep->checksum_ok);
  EXPECT_TRUE(wt::stray_temp_files(tmp.path()).empty());
}

}  // namespace

namespace {

// write_signature / embedded_signatures / image_digest: an osslsigncode signature moved onto the
// unsigned image gives exactly osslsigncode's signed file; the digest matches the one
// osslsigncode reports.
TEST(SigningLibrary, AttachExtractAndDigestMatchOsslsigncode) {
  namespace sg = wslplug::signing;
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  wt::TempDir tmp;
  auto signer = wt::make_cert(tmp.path(), "signer");
  const auto dll = wt::build_dll({.name = "sign-x64-odd", .odd_size = true});
  const auto osc = tmp / "osc.dll";
  ASSERT_EQ(
      wt::run({"osslsigncode", "sign", "-certs", signer.cert.string(), "-key", signer.key.string(),
               "-time", "1700000000", "-in", dll.string(), "-out", osc.string()})
          .rc,
      0);
  const auto sig = tmp / "sig.der";
  ASSERT_EQ(
      wt::run({"osslsigncode", "extract-signature", "-in", osc.string(), "-out", sig.string()}).rc,
      0);
  auto sigs = sg::embedded_signatures(osc);
  ASSERT_TRUE(sigs) << sigs.error().describe();
  ASSERT_EQ(sigs->size(), 1u);
  const auto der = wt::read_bytes(sig);
  ASSERT_EQ(sigs->at(0).size(), der.size());
  EXPECT_EQ(sigs->at(0), der);

  const auto attached = tmp / "attached.dll";
  auto w = sg::write_signature(dll, attached, sigs->at(0), {});
  ASSERT_TRUE(w) << w.error().describe();
  EXPECT_EQ(wt::read_bytes(attached), wt::read_bytes(osc));
  EXPECT_TRUE(sg::embedded_signatures(dll)->empty());

  // image_digest of the unsigned odd-sized input == the signed digest.
  auto digest = sg::image_digest(dll, sg::DigestAlgorithm::kSha256);
  ASSERT_TRUE(digest);
  auto v =
      wt::run({"osslsigncode", "verify", "-CAfile", signer.cert.string(), "-in", osc.string()});
  std::string hex;
  for (auto b : *digest) hex += fmt::format("{:02X}", std::to_integer<unsigned>(b));
  EXPECT_NE(v.out.find("Current message digest    : " + hex), std::string::npos) << v.out << hex;
  // Garbage is refused, the output not created.
  const std::vector<std::byte> junk = {std::byte{1}, std::byte{2}, std::byte{3}};
  auto bad = sg::write_signature(dll, tmp / "bad.dll", junk, {});
  EXPECT_FALSE(bad);
  EXPECT_FALSE(wt::fs::exists(tmp / "bad.dll"));
}

}  // namespace
