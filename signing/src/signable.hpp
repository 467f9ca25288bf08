// The seam between the signing engine and the formats it signs. Everything below the public
// operations (the image digest, the certificate-table reader, the one image writer, the
// numbering, verification) works on a SignableImage: what a signable format must provide, namely
// the file and its layout (the ranges the Authenticode hash covers: everything up to the
// certificate table but the checksum field and the table's directory entry), its checksum, and
// reading and writing its certificate table (WIN_CERTIFICATE entries). The PE image is the one
// implementation today; a second format adds a class here and an open function. Internal.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/pe.hpp"

namespace wslplug::signing {

// Where a signable image keeps what signing reads and rewrites (file offsets).
struct SignableLayout {
  std::uint64_t file_size = 0;
  std::uint64_t checksum_offset = 0;  // the 4-byte checksum field (not hashed)
  std::uint32_t stored_checksum = 0;
  // The 8-byte directory entry of the certificate table (not hashed); nullopt when the image has
  // no room for one (it cannot be signed).
  std::optional<std::uint64_t> cert_dir_offset;
  pe::DataDirectory cert_table;  // {file offset, size}; {0,0} when unsigned

  [[nodiscard]] bool has_cert_table() const {
    return cert_table.address != 0 && cert_table.size != 0;
  }
  // The end of the hashed data: the certificate table's offset when there is one, else the end.
  [[nodiscard]] std::uint64_t signed_data_end() const {
    return has_cert_table() ? cert_table.address : file_size;
  }
};

// The image's checksum, summed over bytes given once each, in any order of whole chunks.
class Checksum {
 public:
  virtual ~Checksum() = default;
  // Adds bytes that lie at file offset `offset` (the checksum field itself is ignored).
  virtual void add(std::uint64_t offset, std::span<const std::byte> data) = 0;
  // The checksum of a file of `file_size` bytes.
  [[nodiscard]] virtual std::uint32_t finish(std::uint64_t file_size) const = 0;
};

class SignableImage {
 public:
  virtual ~SignableImage() = default;
  [[nodiscard]] virtual const std::string& path() const = 0;
  [[nodiscard]] virtual const InputFile& file() const = 0;
  [[nodiscard]] virtual const SignableLayout& layout() const = 0;
  // The certificate table's entries, checked (inside the file, after the headers, lengths that
  // fit), in file order; empty when unsigned.
  [[nodiscard]] virtual Result<std::vector<pe::CertificateEntry>> checked_certificate_entries()
      const = 0;
  [[nodiscard]] virtual std::unique_ptr<Checksum> start_checksum() const = 0;
  // The directory entry of a certificate table at `offset` of `size` bytes, as written at
  // layout().cert_dir_offset.
  [[nodiscard]] virtual std::array<std::byte, 8> table_directory(std::uint64_t offset,
                                                                 std::uint64_t size) const = 0;
};

// A PE image (wslplug/core/pe.hpp): the checksum of the optional header, DataDirectory[4].
class PeSignable final : public SignableImage {
 public:
  static Result<PeSignable> open(const std::filesystem::path& path);
  [[nodiscard]] const std::string& path() const override { return image_.path(); }
  [[nodiscard]] const InputFile& file() const override { return image_.file(); }
  [[nodiscard]] const SignableLayout& layout() const override { return layout_; }
  [[nodiscard]] Result<std::vector<pe::CertificateEntry>> checked_certificate_entries()
      const override {
    return image_.checked_certificate_entries();
  }
  [[nodiscard]] std::unique_ptr<Checksum> start_checksum() const override;
  [[nodiscard]] std::array<std::byte, 8> table_directory(std::uint64_t offset,
                                                         std::uint64_t size) const override;

 private:
  explicit PeSignable(pe::Image image);
  pe::Image image_;
  SignableLayout layout_;
};

}  // namespace wslplug::signing
