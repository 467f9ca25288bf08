// The PE image as a SignableImage (see signable.hpp).
#include "signable.hpp"

namespace wslplug::signing {

namespace {

class PeChecksum final : public Checksum {
 public:
  explicit PeChecksum(std::uint64_t checksum_offset) : acc_(checksum_offset) {}
  void add(std::uint64_t offset, std::span<const std::byte> data) override {
    acc_.add(offset, data);
  }
  [[nodiscard]] std::uint32_t finish(std::uint64_t file_size) const override {
    return acc_.finish(file_size);
  }

 private:
  pe::ChecksumAccumulator acc_;
};

}  // namespace

PeSignable::PeSignable(pe::Image image) : image_(std::move(image)) {
  const pe::Layout& l = image_.layout();
  layout_ = SignableLayout{l.file_size, l.checksum_offset, l.stored_checksum, l.cert_dir_offset,
                           l.cert_table};
}

Result<PeSignable> PeSignable::open(const std::filesystem::path& path) {
  auto image = pe::Image::open(path);
  if (!image) return std::unexpected(image.error());
  return PeSignable(std::move(*image));
}

std::unique_ptr<Checksum> PeSignable::start_checksum() const {
  return std::make_unique<PeChecksum>(layout_.checksum_offset);
}

std::array<std::byte, 8> PeSignable::table_directory(std::uint64_t offset,
                                                     std::uint64_t size) const {
  std::array<std::byte, 8> dir{};
  pe::put_le32(dir.data(), static_cast<std::uint32_t>(offset));
  pe::put_le32(dir.data() + 4, static_cast<std::uint32_t>(size));
  return dir;
}

}  // namespace wslplug::signing
