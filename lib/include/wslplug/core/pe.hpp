// PE/COFF image reader: headers, sections, data directories, the certificate table, exports and
// imports. Reads on demand with positional reads, so opening a 1 GiB image costs a few KiB.
// Every structural defect is an input error that names the file, the offset and the field.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/core/io.hpp"

namespace wslplug::pe {

enum class Machine : std::uint16_t {
  kUnknown = 0,
  kI386 = 0x014c,
  kArmNt = 0x01c4,
  kAmd64 = 0x8664,
  kArm64 = 0xaa64,
};
std::string_view machine_name(std::uint16_t machine);  // "x64", "x86", "ARM64", "0x1234"

inline constexpr std::uint16_t kImageFileDll = 0x2000;  // COFF Characteristics
inline constexpr std::size_t kDirExport = 0;
inline constexpr std::size_t kDirImport = 1;
inline constexpr std::size_t kDirSecurity = 4;  // the certificate table (a file offset!)
inline constexpr std::size_t kDirDelayImport = 13;

// WIN_CERTIFICATE wRevision and wCertificateType. A file may hold any 16-bit value; the named
// ones are those the PE format defines (Authenticode uses revision 2.0 and PKCS_SIGNED_DATA).
enum class WinCertRevision : std::uint16_t { k1_0 = 0x0100, k2_0 = 0x0200 };
enum class WinCertType : std::uint16_t {
  kX509 = 0x0001,
  kPkcsSignedData = 0x0002,
  kReserved1 = 0x0003,
  kTsStackSigned = 0x0004,
};
inline constexpr WinCertRevision kWinCertRevision2 = WinCertRevision::k2_0;
inline constexpr WinCertType kWinCertTypePkcsSignedData = WinCertType::kPkcsSignedData;

struct Section {
  std::string name;  // up to 8 chars, NULs stripped
  std::uint32_t virtual_size = 0;
  std::uint32_t virtual_address = 0;
  std::uint32_t raw_size = 0;
  std::uint32_t raw_offset = 0;
  std::uint32_t characteristics = 0;
};

struct DataDirectory {
  std::uint32_t address = 0;  // RVA, except the security directory: a file offset
  std::uint32_t size = 0;
};

// One WIN_CERTIFICATE entry of the certificate table.
struct CertificateEntry {
  std::uint64_t offset = 0;  // file offset of the 8-byte WIN_CERTIFICATE header
  std::uint32_t length = 0;  // dwLength (header + data + padding as written)
  WinCertRevision revision{};
  WinCertType type{};
  [[nodiscard]] std::uint64_t data_offset() const { return offset + 8; }
  [[nodiscard]] std::uint32_t data_length() const { return length >= 8 ? length - 8 : 0; }
};

// The fixed facts about an image's layout that hashing, signing and checking need.
struct Layout {
  std::uint64_t file_size = 0;
  std::uint32_t e_lfanew = 0;
  bool pe32plus = false;  // optional header magic 0x20b
  std::uint16_t machine = 0;
  std::uint16_t characteristics = 0;  // COFF characteristics
  std::uint16_t subsystem = 0;
  std::uint16_t dll_characteristics = 0;
  std::uint32_t section_alignment = 0;
  std::uint32_t file_alignment = 0;
  std::uint32_t size_of_headers = 0;
  std::uint32_t size_of_image = 0;
  std::uint64_t image_base = 0;
  std::uint32_t number_of_rva_and_sizes = 0;
  std::uint64_t checksum_offset = 0;  // file offset of OptionalHeader.CheckSum (e_lfanew + 88)
  std::uint32_t stored_checksum = 0;
  // File offset of DataDirectory[4] (the certificate table entry), or nullopt when the optional
  // header has fewer than 5 directories (such an image cannot carry a signature).
  std::optional<std::uint64_t> cert_dir_offset;
  DataDirectory cert_table;  // {file offset, size}; {0,0} when unsigned
  std::uint64_t section_table_offset = 0;
  std::vector<Section> sections;
  std::vector<DataDirectory> directories;

  [[nodiscard]] bool is_dll() const { return (characteristics & kImageFileDll) != 0; }
  [[nodiscard]] bool has_cert_table() const {
    return cert_table.address != 0 && cert_table.size != 0;
  }
  // The end of the data covered by the Authenticode hash: the certificate table's offset when
  // there is one, else the file size.
  [[nodiscard]] std::uint64_t signed_data_end() const {
    return has_cert_table() ? cert_table.address : file_size;
  }
};

struct Export {
  std::string name;  // empty for ordinal-only exports
  std::uint32_t ordinal = 0;
  std::uint32_t rva = 0;
  std::string forwarder;  // "OTHER.Func" when the export is forwarded
};

struct Import {
  std::string dll;                     // as written in the image, e.g. "KERNEL32.dll"
  bool delayed = false;                // from the delay-load directory
  std::vector<std::string> functions;  // names; "#N" for imports by ordinal
};

// An opened PE image. Construction validates the headers and the section table; exports,
// imports and the certificate table are parsed on request.
class Image {
 public:
  static Result<Image> open(const fs::path& path);
  // Parses headers of an already opened file (takes ownership).
  static Result<Image> from_file(InputFile file);

  [[nodiscard]] const Layout& layout() const { return layout_; }
  [[nodiscard]] const InputFile& file() const { return file_; }
  [[nodiscard]] const std::string& path() const { return file_.path(); }

  // The WIN_CERTIFICATE entries, validated: the table lies inside the file, every dwLength is
  // at least 8 and the 8-byte-rounded lengths add up to the directory size. Empty when unsigned.
  [[nodiscard]] Result<std::vector<CertificateEntry>> certificate_entries() const;
  // Bytes after the certificate table (the table is not last in the file); 0 when unsigned.
  [[nodiscard]] std::uint64_t bytes_after_cert_table() const;
  // Checks that the image can be signed or verified: a certificate directory slot exists, the
  // table is well formed and last in the file. Returns the entries.
  [[nodiscard]] Result<std::vector<CertificateEntry>> checked_certificate_entries() const;

  [[nodiscard]] Result<std::vector<Export>> exports() const;
  [[nodiscard]] Result<std::vector<Import>> imports() const;  // normal then delay-load imports

  // Maps an RVA to a file offset through the section table (or the headers).
  [[nodiscard]] std::optional<std::uint64_t> rva_to_offset(std::uint32_t rva) const;
  // Reads a NUL-terminated ASCII string at an RVA (at most max_len bytes).
  [[nodiscard]] Result<std::string> read_string_at_rva(std::uint32_t rva,
                                                       std::size_t max_len = 512) const;

 private:
  Image(InputFile file, Layout layout) : file_(std::move(file)), layout_(std::move(layout)) {}
  InputFile file_;
  Layout layout_;
};

// Incremental PE checksum (the ImageHlp CheckSumMappedFile algorithm): the 16-bit little-endian
// word sum of the whole file with end-around carry, the CheckSum field counted as zero, plus the
// file length. An odd final byte counts as a low byte (as Microsoft, GNU ld and pefile do).
// Bytes may be fed in any order of regions, at their absolute file offsets.
class ChecksumAccumulator {
 public:
  explicit ChecksumAccumulator(std::uint64_t checksum_offset) : checksum_offset_(checksum_offset) {}
  // Adds bytes that lie at file offset `offset`. Bytes of the CheckSum field are ignored.
  void add(std::uint64_t offset, std::span<const std::byte> data);
  // The checksum for a file of `file_size` bytes, all of which were added exactly once.
  [[nodiscard]] std::uint32_t finish(std::uint64_t file_size) const;

 private:
  void add_even(std::span<const std::byte> data, bool odd_start);
  std::uint64_t checksum_offset_;
  std::uint64_t sum_ = 0;  // ones'-complement sum, folded lazily
};

// Reads the whole file and computes its checksum (streaming, constant memory).
Result<std::uint32_t> compute_checksum(const InputFile& file, std::uint64_t checksum_offset);

// Little-endian helpers for callers that patch headers.
inline std::uint16_t le16(const std::byte* p) {
  return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) |
                                    (std::to_integer<unsigned>(p[1]) << 8));
}
inline std::uint32_t le32(const std::byte* p) {
  return static_cast<std::uint32_t>(le16(p)) | (static_cast<std::uint32_t>(le16(p + 2)) << 16);
}
inline void put_le16(std::byte* p, std::uint16_t v) {
  p[0] = std::byte(v & 0xff);
  p[1] = std::byte(v >> 8);
}
inline void put_le32(std::byte* p, std::uint32_t v) {
  put_le16(p, static_cast<std::uint16_t>(v & 0xffff));
  put_le16(p + 2, static_cast<std::uint16_t>(v >> 16));
}

}  // namespace wslplug::pe
