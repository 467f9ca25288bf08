// The PKCS#7 / Authenticode reader on arbitrary DER: SignedData and SpcIndirectDataContent,
// nested signatures (1.3.6.1.4.1.311.2.4.1), RFC 3161 timestamp tokens in a SignerInfo, a
// TimeStampResp as a time-stamp server returns it, signature files (DER or PEM), and the whole
// verification of a PE image that carries the input as its WIN_CERTIFICATE (digest, signer,
// chain, usage, validity, timestamps), against a root made at start-up.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/nested.hpp"
#include "wslplug/signing/signing.hpp"
#include "wslplug/signing/timestamp.hpp"

namespace fs = std::filesystem;
namespace pe = wslplug::pe;
namespace sg = wslplug::signing;
namespace wf = wslplug::fuzz;

namespace {

struct State {
  fs::path dir;              // holds the root certificate; removed at exit
  sg::VerifyOptions verify;  // --ca and --tsa-ca: that root; a fixed verification time
  std::optional<sg::TimestampRequest> request;  // what check_timestamp_response compares with
};

State& state() {
  static State s;
  return s;
}

void remove_dir() {
  std::error_code ec;
  if (!state().dir.empty()) fs::remove_all(state().dir, ec);
}

// A minimal PE32+ x64 DLL: headers (0x200 bytes) and one 0x200-byte .text section.
std::vector<std::byte> pe_template() {
  std::vector<std::byte> f(0x400, std::byte{0});
  auto* p = f.data();
  p[0] = std::byte{'M'};
  p[1] = std::byte{'Z'};
  pe::put_le32(p + 0x3c, 0x40);
  p[0x40] = std::byte{'P'};
  p[0x41] = std::byte{'E'};
  auto* coff = p + 0x44;
  pe::put_le16(coff + 0, 0x8664);   // Machine
  pe::put_le16(coff + 2, 1);        // NumberOfSections
  pe::put_le16(coff + 16, 0xf0);    // SizeOfOptionalHeader
  pe::put_le16(coff + 18, 0x2022);  // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE | DLL
  auto* opt = p + 0x58;
  pe::put_le16(opt + 0, 0x20b);        // PE32+
  pe::put_le32(opt + 4, 0x200);        // SizeOfCode
  pe::put_le32(opt + 20, 0x1000);      // BaseOfCode
  pe::put_le32(opt + 24, 0x80000000);  // ImageBase (low half)
  pe::put_le32(opt + 28, 0x1);         // ImageBase (high half)
  pe::put_le32(opt + 32, 0x1000);      // SectionAlignment
  pe::put_le32(opt + 36, 0x200);       // FileAlignment
  pe::put_le16(opt + 40, 6);           // MajorOperatingSystemVersion
  pe::put_le16(opt + 48, 6);           // MajorSubsystemVersion
  pe::put_le32(opt + 56, 0x2000);      // SizeOfImage
  pe::put_le32(opt + 60, 0x200);       // SizeOfHeaders
  pe::put_le16(opt + 68, 3);           // Subsystem: console
  pe::put_le16(opt + 70, 0x160);       // DllCharacteristics
  pe::put_le32(opt + 108, 16);         // NumberOfRvaAndSizes
  auto* sec = p + 0x58 + 0xf0;
  std::memcpy(sec, ".text", 5);
  pe::put_le32(sec + 8, 0x200);        // VirtualSize
  pe::put_le32(sec + 12, 0x1000);      // VirtualAddress
  pe::put_le32(sec + 16, 0x200);       // SizeOfRawData
  pe::put_le32(sec + 20, 0x200);       // PointerToRawData
  pe::put_le32(sec + 36, 0x60000020);  // code, execute, read
  for (std::size_t i = 0x200; i < 0x400; ++i) p[i] = std::byte{0xc3};
  return f;
}

// The template with `der` as its one WIN_CERTIFICATE (revision 2.0, PKCS_SIGNED_DATA).
std::vector<std::byte> signed_image(std::span<const std::byte> der) {
  static const std::vector<std::byte> base = pe_template();
  std::vector<std::byte> f = base;
  const std::uint64_t len = 8 + der.size();
  const std::uint64_t padded = (len + 7) / 8 * 8;
  f.resize(base.size() + padded, std::byte{0});
  auto* cert = f.data() + base.size();
  pe::put_le32(cert, static_cast<std::uint32_t>(len));
  pe::put_le16(cert + 4, std::to_underlying(pe::kWinCertRevision2));
  pe::put_le16(cert + 6, std::to_underlying(pe::kWinCertTypePkcsSignedData));
  if (!der.empty()) std::memcpy(cert + 8, der.data(), der.size());
  auto* dir4 = f.data() + 0x58 + 112 + 4 * 8;
  pe::put_le32(dir4, static_cast<std::uint32_t>(base.size()));
  pe::put_le32(dir4 + 4, static_cast<std::uint32_t>(padded));
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  State& s = state();
  char tmpl[] = "/tmp/wslplug-fuzz-pkcs7.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) std::abort();
  s.dir = tmpl;
  std::atexit(remove_dir);
  sg::CertRequest req;
  req.subject = "CN=wslplug fuzz root";
  req.days = 36500;
  req.key = sg::KeyType::kEcdsaP256;
  auto made = sg::create_test_certificate(req, s.dir, false, nullptr, true);
  if (!made) {
    std::fprintf(stderr, "pkcs7 harness: %s\n", made.error().describe().c_str());
    std::abort();
  }
  s.verify.ca_files = {made->second.cert_pem};
  s.verify.tsa_ca_files = {made->second.cert_pem};
  s.verify.at_time = 1780000000;  // 2026-05-28: fixed, so a run is reproducible
  const std::string data = "wslplug fuzz";
  auto request = sg::make_timestamp_request(
      wf::bytes(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()),
      sg::DigestAlgorithm::kSha256);
  if (!request) std::abort();
  s.request = std::move(*request);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static wf::MemFile sig_file("fuzz-pkcs7-sig");
  static wf::MemFile image_file("fuzz-pkcs7-image");
  const State& s = state();
  const auto der = wf::bytes(data, size);

  (void)sg::indirect_data_digest(der, "fuzz.p7");
  if (auto all = sg::all_pkcs7(der, "fuzz.p7")) {
    WSLPLUG_FUZZ_CHECK(!all->empty());
    for (const auto& one : *all) {
      if (auto d = sg::indirect_data_digest(one, "fuzz.p7")) WSLPLUG_FUZZ_CHECK(!d->digest.empty());
      (void)sg::pkcs7_timestamp_time(one);
      (void)sg::verify_pkcs7_timestamp(one, s.verify.tsa_ca_files, "fuzz.p7");
    }
    if (auto nested = sg::nested_pkcs7(der, "fuzz.p7"))
      WSLPLUG_FUZZ_CHECK(nested->size() + 1 == all->size());
  }
  if (auto pem = sg::pkcs7_der_to_pem(der)) WSLPLUG_FUZZ_CHECK(!pem->empty());

  // The input as a signature file (DER or PEM) and as a time-stamp server's reply.
  (void)sg::read_signature_file(sig_file.write(der));
  (void)sg::check_timestamp_response(*s.request, der, "http://127.0.0.1:1/");

  // The input as the signature of an image.
  const auto image = signed_image(der);
  if (auto report = sg::verify_file(image_file.write(image), s.verify)) {
    WSLPLUG_FUZZ_CHECK(report->is_signed);
    WSLPLUG_FUZZ_CHECK(!report->signatures.empty());
    for (const auto& sig : report->signatures)
      if (sig.ok()) WSLPLUG_FUZZ_CHECK(sig.digest_ok && sig.signature_ok);
  }
  return 0;
}
