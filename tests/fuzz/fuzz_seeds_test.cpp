// Seed corpora of the fuzz targets (fuzz/), made from the test fixtures: DLLs built by MinGW-w64
// and clang/lld and signed by osslsigncode (plain, nested, timestamped by the local TSA), their
// PKCS#7 and TimeStampResp bytes, the TSA's raw HTTP replies in every mode, .reg files in every
// encoding the parser reads, manifests, error codes and wsl.exe output. Each test writes one
// target's seeds to <build>/fuzz-seeds/TARGET (or $WSLPLUG_FUZZ_SEED_DIR/TARGET), where
// scripts/fuzz starts its corpus from, and then replays them through fuzz_replay_TARGET: the
// harness must run every real input without a crash or a failed invariant.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "signed_dll.hpp"
#include "support.hpp"
#include "tsa.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/doctor/errors.hpp"
#include "wslplug/project/manifest.hpp"
#include "wslplug/registry/regfile.hpp"
#include "wslplug/registry/registration.hpp"
#include "wslplug/signing/signing.hpp"
#include "wslplug/signing/timestamp.hpp"

namespace wt = wslplug::test;
namespace fs = std::filesystem;
namespace sg = wslplug::signing;
namespace reg = wslplug::registry;

namespace {

fs::path seed_dir(const std::string& target) {
  const char* env = std::getenv("WSLPLUG_FUZZ_SEED_DIR");
  const fs::path dir = fs::path(env && *env ? env : WSLPLUG_FUZZ_SEED_DIR) / target;
  fs::create_directories(dir);
  return dir;
}

void seed(const std::string& target, const std::string& name, const std::vector<std::byte>& data) {
  wt::write_bytes(seed_dir(target) / name, data);
}
void seed_text(const std::string& target, const std::string& name, std::string_view text) {
  wt::write_text(seed_dir(target) / name, text);
}
void seed_file(const std::string& target, const std::string& name, const fs::path& from) {
  ASSERT_FALSE(from.empty()) << name;
  fs::copy_file(from, seed_dir(target) / name, fs::copy_options::overwrite_existing);
}

// Replays the target's seeds through the harness built with this compiler.
void replay(const std::string& target, std::size_t at_least) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(seed_dir(target))) n += e.is_regular_file();
  EXPECT_GE(n, at_least) << "seeds of " << target;
  const fs::path bin = fs::path(WSLPLUG_FUZZ_REPLAY_DIR) / ("fuzz_replay_" + target);
  auto r = wt::run({bin.string(), seed_dir(target).string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  EXPECT_NE(r.out.find("replayed"), std::string::npos) << r.both();
}

// The raw reply (status line, headers, body as sent) of the local TSA to a real request.
std::vector<std::byte> raw_tsa_reply(const wt::LocalTsa& tsa) {
  auto req = sg::make_timestamp_request(wt::bytes_of("fuzz seed"), sg::DigestAlgorithm::kSha256);
  EXPECT_TRUE(req);
  if (!req) return {};
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(tsa.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string request =
      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
      "application/timestamp-query\r\nContent-Length: " +
      std::to_string(req->der.size()) + "\r\nConnection: close\r\n\r\n";
  request.append(reinterpret_cast<const char*>(req->der.data()), req->der.size());
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::vector<std::byte> reply;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;  // a hanging mode: what arrived so far
    char buf[16384];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    const auto* b = reinterpret_cast<const std::byte*>(buf);
    reply.insert(reply.end(), b, b + n);
  }
  ::close(fd);
  return reply;
}

// The body of an HTTP reply (after the blank line).
std::vector<std::byte> body_of(const std::vector<std::byte>& reply) {
  const std::string_view s(reinterpret_cast<const char*>(reply.data()), reply.size());
  const auto end = s.find("\r\n\r\n");
  if (end == std::string_view::npos) return {};
  return {reply.begin() + static_cast<std::ptrdiff_t>(end + 4), reply.end()};
}

// A DLL with a delay-load import: GNU ld leaves the delay-import directory empty, so lld-link
// links it (freestanding, like the ARM64 fixtures).
fs::path delay_load_dll() {
  const auto dll = wt::fixture_dir() / "fuzz-delay.dll";
  if (fs::exists(dll)) return dll;
  wt::TempDir tmp;
  wt::write_text(tmp / "user.def", "LIBRARY fuzzdep.dll\nEXPORTS\nfuzz_dep_version\n");
  wt::write_text(tmp / "p.c", R"(const char* fuzz_dep_version(void);
__declspec(dllexport) long WSLPluginAPIV1_EntryPoint(const void* a, void* h) {
  (void)a; (void)h; return fuzz_dep_version() ? 0 : 1;
}
void* __delayLoadHelper2(const void* d, void** f) { (void)d; return *f; }
int __stdcall _DllMainCRTStartup(void* h, unsigned long r, void* p) { (void)h; (void)r; (void)p; return 1; }
)");
  auto r = wt::run({"llvm-dlltool", "-m", "i386:x86-64", "-d", (tmp / "user.def").string(), "-l",
                    (tmp / "fuzzdep.lib").string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  r = wt::run({"clang", "--target=x86_64-pc-windows-msvc", "-O2", "-c", (tmp / "p.c").string(),
               "-o", (tmp / "p.obj").string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  r = wt::run({"lld-link", "/dll", "/nodefaultlib", "/entry:_DllMainCRTStartup", "/machine:x64",
               (tmp / "p.obj").string(), (tmp / "fuzzdep.lib").string(), "/delayload:fuzzdep.dll",
               "/out:" + (tmp / "d.dll").string()});
  EXPECT_EQ(r.rc, 0) << r.both();
  if (r.rc != 0) return {};
  fs::copy_file(tmp / "d.dll", dll.string() + ".part", fs::copy_options::overwrite_existing);
  fs::rename(dll.string() + ".part", dll);
  return dll;
}

const std::string kCppPlugin =
    "#include <string>\n#include <windows.h>\nextern \"C\" __declspec(dllexport) HRESULT "
    "WSLPluginAPIV1_EntryPoint(const void* a, void* h) {\n  (void)h; "
    "std::string s(static_cast<const char*>(a)); return s.empty() ? E_FAIL : S_OK;\n}\n";

}  // namespace

TEST(FuzzSeeds, PeImages) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-gcc");
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  wt::TempDir dir;
  seed_file("pe", "x64.dll", wt::build_dll({.name = "fuzz-x64"}));
  seed_file("pe", "x86.dll", wt::build_dll({.name = "fuzz-x86", .arch = wt::Arch::kX86}));
  seed_file("pe", "arm64.dll", wt::build_dll({.name = "fuzz-arm64", .arch = wt::Arch::kArm64}));
  seed_file("pe", "cpp.dll",
            wt::build_dll({.name = "fuzz-cpp", .source = kCppPlugin, .cplusplus = true}));
  seed_file("pe", "overlay-odd.dll",
            wt::build_dll({.name = "fuzz-overlay", .overlay = 300, .odd_size = true}));
  seed_file("pe", "delay.dll", delay_load_dll());
  const auto s = wt::make_signed_dll(dir.path());
  seed_file("pe", "signed.dll", s.signed_dll);
  wt::osslsigncode({"sign", "-certs", s.signer.cert.string(), "-key", s.signer.key.string(), "-h",
                    "sha1", "-nest", "-in", s.signed_dll.string(), "-out",
                    (dir / "nested.dll").string()});
  seed_file("pe", "nested.dll", dir / "nested.dll");
  // Hostile certificate tables (verify refuses each): data after the PKCS#7 inside the entry,
  // a WIN_CERTIFICATE revision other than 2.0, a table that runs past the end of the file.
  {
    const auto good = wt::read_bytes(s.signed_dll);
    auto img = wslplug::pe::Image::open(s.signed_dll);
    ASSERT_TRUE(img);
    const auto table = img->layout().cert_table;
    const auto dir4 = *img->layout().cert_dir_offset;
    auto payload = good;
    payload.insert(payload.end(), 64, std::byte{0x41});
    wslplug::pe::put_le32(payload.data() + table.address,
                          wslplug::pe::le32(payload.data() + table.address) + 64);
    wslplug::pe::put_le32(payload.data() + dir4 + 4, table.size + 64);
    seed("pe", "hostile-payload-in-entry.dll", payload);
    auto revision = good;
    wslplug::pe::put_le16(revision.data() + table.address + 4, 0x0100);
    seed("pe", "hostile-revision-0100.dll", revision);
    auto beyond = good;
    wslplug::pe::put_le32(beyond.data() + dir4 + 4, table.size + 8);
    seed("pe", "hostile-table-beyond-eof.dll", beyond);
  }
  replay("pe", 11);
}

TEST(FuzzSeeds, Pkcs7Signatures) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  wt::TempDir dir;
  const auto s = wt::make_signed_dll(dir.path());
  seed_file("pkcs7", "signed.p7", s.sig_der);
  auto pem = sg::pkcs7_der_to_pem(wt::read_bytes(s.sig_der));
  ASSERT_TRUE(pem);
  seed_text("pkcs7", "signed.pem", *pem);
  wt::osslsigncode({"sign", "-certs", s.signer.cert.string(), "-key", s.signer.key.string(), "-h",
                    "sha512", "-nest", "-in", s.signed_dll.string(), "-out",
                    (dir / "nested.dll").string()});
  auto nested = sg::embedded_signature(dir / "nested.dll");
  ASSERT_TRUE(nested) << nested.error().describe();
  seed("pkcs7", "nested.p7", *nested);

  wt::LocalTsa tsa;
  ASSERT_TRUE(tsa.ok()) << tsa.error();
  const auto ts = wt::make_signed_dll(dir / "ts", {.sign_args = {"-ts", tsa.url()}});
  seed_file("pkcs7", "timestamped.p7", ts.sig_der);
  const auto resp = body_of(raw_tsa_reply(tsa));
  ASSERT_FALSE(resp.empty());
  seed("pkcs7", "timestamp-response.der", resp);
  replay("pkcs7", 5);
}

TEST(FuzzSeeds, HttpReplies) {
  for (auto mode : {wt::TsaMode::kNormal, wt::TsaMode::kChunked, wt::TsaMode::kHttp500,
                    wt::TsaMode::kGarbage, wt::TsaMode::kReject, wt::TsaMode::kHugeChunk}) {
    wt::LocalTsa tsa({.mode = mode});
    ASSERT_TRUE(tsa.ok()) << tsa.error();
    const auto reply = raw_tsa_reply(tsa);
    EXPECT_FALSE(reply.empty()) << wt::tsa_mode_name(mode) << "\n" << tsa.server_log();
    seed("http", wt::tsa_mode_name(mode) + ".http", reply);
  }
  seed_text("http", "length.http",
            "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\n"
            "Content-Length: 5\r\n\r\nhello");
  seed_text("http", "chunks.http",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "4;ext=1\r\nwsl \r\n7\r\nplugins\r\n0\r\n\r\n");
  replay("http", 8);
}

namespace {
std::string_view reg_head() {
  return "Windows Registry Editor Version 5.00\r\n\r\n"
         "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins]\r\n";
}
}  // namespace

TEST(FuzzSeeds, RegFiles) {
  const auto doc = reg::registration_document("my_plugin", R"(C:\Program Files\WSL\my.dll)");
  const auto removal = reg::removal_document("my_plugin");
  for (auto enc : {reg::Encoding::kUtf16le, reg::Encoding::kUtf8}) {
    const std::string name(reg::encoding_name(enc));
    auto a = reg::serialize(doc, enc);
    auto b = reg::serialize(removal, enc);
    ASSERT_TRUE(a && b);
    seed("reg", "register." + name + ".reg", *a);
    seed("reg", "unregister." + name + ".reg", *b);
  }
  for (const auto& e : fs::directory_iterator(wt::source_dir() / "tests/golden/registry"))
    if (e.path().extension() == ".reg")
      seed_file("reg", "golden-" + e.path().filename().string(), e.path());
  const std::string every_kind =
      "Windows Registry Editor Version 5.00\r\n\r\n; a comment\r\n"
      "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Lxss\\Plugins]\r\n"
      "\"Demo\"=\"C:\\\\Plugins\\\\demo.dll\"\r\n@=\"default\"\r\n\"Gone\"=-\r\n"
      "\"Count\"=dword:0000002a\r\n\"Bin\"=hex:01,02,03,\\\r\n  04,05\r\n"
      "\"Exp\"=hex(2):25,00,50,00,00,00\r\n\"Multi\"=hex(7):61,00,00,00,62,00,00,00,00,00\r\n"
      "\"Q\"=hex(b):01,00,00,00,00,00,00,00\r\n\"None\"=hex(0):\r\n\r\n"
      "[-HKEY_CURRENT_USER\\Software\\Old]\r\n";
  seed_text("reg", "every-kind.utf8.reg", every_kind);
  seed_text("reg", "every-kind.bom.reg", "\xef\xbb\xbf" + every_kind);
  auto utf16 = reg::encode(every_kind, reg::Encoding::kUtf16le);
  ASSERT_TRUE(utf16);
  seed("reg", "every-kind.utf16.reg", *utf16);
  seed_text(
      "reg", "ansi.reg",
      "REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Caf\xe9]\r\n\"Na\xefve\"=\"\xe9t\xe9\"\r\n");
  // DLL paths the path checks refuse or flag: device names, an over-long name, user-writable
  // folders under Windows.
  seed_text("reg", "device-names.reg",
            std::string(reg_head()) +
                "\"a\"=\"C:\\\\Program Files\\\\WSL Plugins\\\\con\\\\p.dll\"\r\n"
                "\"b\"=\"C:\\\\P\\\\nul.dll\"\r\n\"c\"=\"C:\\\\Windows\\\\Tasks\\\\p.dll\"\r\n"
                "\"d\"=\"C:\\\\Windows\\\\System32\\\\spool\\\\drivers\\\\color\\\\p.dll\"\r\n");
  seed_text("reg", "long-name.reg",
            std::string(reg_head()) + "\"p\"=\"C:\\\\x\\\\" + std::string(300, 'a') + ".dll\"\r\n");
  seed_text("reg", "path-com1.txt", "C:\\x\\com1.txt\\p.dll");
  replay("reg", 15);
}

TEST(FuzzSeeds, Manifests) {
  wslplug::project::Manifest rust;
  rust.name = "my-plugin";
  rust.registry_name = "MyPlugin";
  rust.dll = wslplug::project::cargo_dll_name(rust.name);
  rust.build_dir = "target";
  rust.hooks = {"vm-started", "distribution-started"};
  rust.requires_version = "2.1.2";
  seed_text("manifest", "rust.json", wslplug::project::manifest_to_json(rust));
  wslplug::project::Manifest cpp = rust;
  cpp.name = "cpp_plugin";
  cpp.language = wslplug::project::Language::kCpp;
  cpp.target = wslplug::project::TargetArch::kArm64;
  cpp.dll = "cpp_plugin.dll";
  cpp.build_dir = "build";
  cpp.hooks = {};
  cpp.requires_version = "";
  seed_text("manifest", "cpp-arm64.json", wslplug::project::manifest_to_json(cpp));
  seed_text("manifest", "minimal.json", R"({"name": "p"})");
  seed_text("manifest", "paths.json",
            R"({"schema": 1, "name": "p", "language": "cpp", "target": "aarch64",)"
            R"( "paths": {"dll": "out/p.dll", "build_dir": "out", "cert_dir": "certs",)"
            R"( "registration": "reg"}, "hooks": ["session-created"], "requires": "2.0.0"})");
  replay("manifest", 4);
}

TEST(FuzzSeeds, ErrorCodes) {
  std::size_t i = 0;
  for (const auto& e : wslplug::doctor::knowledge_base()) {
    const std::string n = std::to_string(i++);
    seed_text("errcode", n + "-symbol.txt", e.symbol);
    seed_text("errcode", n + "-hex.txt", wslplug::doctor::hresult_hex(e.hresult));
    seed_text("errcode", n + "-wsl.txt",
              "Wsl/Service/CreateInstance/CreateVm/Plugin/" +
                  wslplug::doctor::wsl_code_string(e.hresult));
    seed_text("errcode", n + "-signed.txt", std::to_string(static_cast<std::int32_t>(e.hresult)));
  }
  seed_text("errcode", "win32.txt", "126");
  seed_text("errcode", "win32-hex.txt", "0x7e");
  seed_text("errcode", "error-code-line.txt", "Error code: Wsl/Service/0x8007007f");
  seed_text("errcode", "near-miss.txt", "TRUST_E_NOSIGNATUR");
  replay("errcode", 8);
}

TEST(FuzzSeeds, PastedText) {
  std::size_t i = 0;
  for (const auto& e : wslplug::doctor::knowledge_base()) {
    if (i > 12) break;
    const auto code = wslplug::doctor::wsl_code_string(e.hresult);
    seed_text("paste", std::to_string(i++) + ".txt",
              "A fatal error was returned by plugin 'DemoPlugin'. Error message: 'no config'\r\n"
              "Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/" +
                  code + "\r\n\r\nPress any key to continue...\r\n");
  }
  seed_text("paste", "lines.txt", "0x8007007e\nTRUST_E_NOSIGNATURE\n\n-2147024770\n");
  seed_text("paste", "newer-wsl.txt",
            "The plugin 'X' requires a newer version of WSL. Please run: wsl.exe --update\n"
            "Error code: Wsl/Service/CreateInstance/CreateVm/Plugin/"
            "WSL_E_PLUGIN_REQUIRES_UPDATE\n");
  replay("paste", 3);
}
