// The PE reader (wslplug/core/pe.hpp) on arbitrary bytes: headers, section table, data
// directories, the certificate table, exports, imports and delay imports, RVA mapping, the
// checksum; then what sits on top of it: doctor's image checks and the signing library's
// certificate-table reader and image digest.
#include "wslplug/core/pe.hpp"

#include <cstddef>
#include <cstdint>

#include "common.hpp"
#include "wslplug/doctor/dll.hpp"
#include "wslplug/signing/signing.hpp"

namespace pe = wslplug::pe;
namespace wf = wslplug::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static wf::MemFile file("fuzz-pe");
  const std::string& path = file.write(wf::bytes(data, size));

  auto img = pe::Image::open(path);
  if (!img) {
    WSLPLUG_FUZZ_CHECK(!img.error().message.empty());
    return 0;
  }
  const pe::Layout& l = img->layout();
  WSLPLUG_FUZZ_CHECK(l.file_size == size);
  WSLPLUG_FUZZ_CHECK(l.checksum_offset + 4 <= size);

  if (auto entries = img->certificate_entries()) {
    std::uint64_t total = 0;
    for (const auto& e : *entries) {
      WSLPLUG_FUZZ_CHECK(e.length >= 8);
      WSLPLUG_FUZZ_CHECK(e.offset + e.length <= size);
      total += (std::uint64_t{e.length} + 7) / 8 * 8;
    }
    if (!entries->empty()) WSLPLUG_FUZZ_CHECK(total == l.cert_table.size);
  }
  (void)img->bytes_after_cert_table();
  (void)img->checked_certificate_entries();

  if (auto exports = img->exports()) {
    for (const auto& e : *exports) WSLPLUG_FUZZ_CHECK(e.name.size() <= 4096);
  }
  if (auto imports = img->imports()) {
    // Bounded whatever the tables claim: descriptors that share one thunk table must not
    // multiply into millions of entries.
    std::size_t functions = 0;
    for (const auto& i : *imports) functions += i.functions.size();
    WSLPLUG_FUZZ_CHECK(functions <= (1u << 14));
  }

  // RVA mapping at the edges of every section and directory.
  std::vector<std::uint32_t> rvas = {0, l.size_of_headers, l.size_of_image};
  for (const auto& s : l.sections) {
    rvas.push_back(s.virtual_address);
    rvas.push_back(s.virtual_address + s.virtual_size);
    rvas.push_back(s.virtual_address + s.virtual_size - 1);
  }
  for (const auto& d : l.directories) rvas.push_back(d.address);
  for (auto rva : rvas) {
    (void)img->rva_to_offset(rva);
    (void)img->read_string_at_rva(rva, 64);
  }

  (void)wslplug::doctor::check_image(*img);
  (void)pe::compute_checksum(img->file(), l.checksum_offset);
  (void)wslplug::signing::embedded_signatures(path);
  // Verification of whatever the certificate table holds: a table that cannot be read is a
  // failed report (never an error); trust anchors are a missing file, so nothing verifies.
  static const wslplug::signing::VerifyOptions verify = [] {
    wslplug::signing::VerifyOptions o;
    o.ca_files = {"/nonexistent/fuzz-ca.pem"};
    return o;
  }();
  if (auto report = wslplug::signing::verify_file(path, verify)) {
    WSLPLUG_FUZZ_CHECK(!report->ok);
    if (report->table_error)
      WSLPLUG_FUZZ_CHECK(report->is_signed && report->signatures.size() == 1);
    for (const auto& s : report->signatures) WSLPLUG_FUZZ_CHECK(!s.ok() && !s.problems.empty());
  } else {
    WSLPLUG_FUZZ_CHECK(report.error().kind != wslplug::ErrorKind::kInput ||
                       !report.error().message.empty());
  }
  (void)wslplug::signing::image_digest(path, wslplug::signing::DigestAlgorithm::kSha256);
  return 0;
}
