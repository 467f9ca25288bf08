// sign_file and unsign_file: one streaming pass from the input to an AtomicOutput beside the
// target. The PE checksum is summed over the output bytes as they are written and patched at
// the end, so the output is never read back.
#include <fcntl.h>
#include <fmt/format.h>

#include <cstring>

#include "authenticode.hpp"

namespace wslplug::signing {

namespace {

// Starts asynchronous writeback of a just-written range, so the final fsync (AtomicOutput::commit)
// finds little left to flush and disk writes overlap hashing. Waits for the range written
// kLag bytes earlier, which bounds the dirty page cache. Best effort: errors surface at fsync.
void start_writeback(int fd, std::uint64_t off, std::size_t len) {
  constexpr std::uint64_t kLag = 16u << 20;
  ::sync_file_range(fd, static_cast<off64_t>(off), static_cast<off64_t>(len),
                    SYNC_FILE_RANGE_WRITE);
  if (off >= kLag) {
    ::sync_file_range(
        fd, static_cast<off64_t>(off - kLag), static_cast<off64_t>(len),
        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  }
}

// The output side of the streaming pass: zero the certificate directory entry (patched at the
// end), add the bytes to the checksum, write them, start their writeback.
ChunkSink copy_sink(AtomicOutput& out, pe::ChecksumAccumulator& acc, std::uint64_t cert_dir) {
  return [&out, &acc, cert_dir](std::uint64_t off, std::span<std::byte> data) -> Status {
    const std::uint64_t end = off + data.size();
    for (std::uint64_t i = std::max(cert_dir, off); i < std::min(cert_dir + 8, end); ++i)
      data[i - off] = std::byte{0};
    acc.add(off, data);
    if (auto w = out.write(data); !w) return w;
    start_writeback(out.fd(), off, data.size());
    return {};
  };
}

struct Opened {
  pe::Image image;
  std::uint64_t cert_dir = 0;
};

Result<Opened> open_for_rewrite(const fs::path& input) {
  auto img = pe::Image::open(input);
  if (!img) return std::unexpected(img.error());
  auto entries = img->checked_certificate_entries();
  if (!entries) return std::unexpected(entries.error());
  const std::uint64_t cert_dir = *img->layout().cert_dir_offset;  // checked above
  return Opened{std::move(*img), cert_dir};
}

}  // namespace

Result<SignResult> sign_file(const fs::path& input, const fs::path& output,
                             const Credentials& creds, const SignOptions& options,
                             const OutputOptions& out_options) {
  auto opened = open_for_rewrite(input);
  if (!opened) return std::unexpected(opened.error());
  const pe::Layout& layout = opened->image.layout();
  const HashRanges ranges = hash_ranges(layout);
  const std::uint64_t end = ranges.hash_end;
  const std::uint64_t pad = (8 - end % 8) % 8;
  const std::uint64_t table_offset = end + pad;
  if (table_offset > 0xffffffffull - 16) {
    return input_error(
        fmt::format("the image is {} bytes; a certificate table must start below 4 GiB", end),
        input.string(), "certificate table offset (32-bit)",
        "PE certificate offsets are 32-bit: make the image smaller");
  }

  auto out = AtomicOutput::create(output, out_options);
  if (!out) return std::unexpected(out.error());

  ossl::MdCtxPtr md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), evp_md(options.digest), nullptr) != 1) {
    return internal_error("cannot initialise the digest: " + ossl::take_errors());
  }
  pe::ChecksumAccumulator acc(layout.checksum_offset);
  const std::uint64_t cd = opened->cert_dir;
  EVP_MD_CTX* hashes[] = {md.get()};
  auto st = stream_image(opened->image.file(), ranges, end, hashes, copy_sink(*out, acc, cd));
  if (!st) return std::unexpected(st.error().in_file(input.string()));

  // Padding to 8 bytes: hashed and written, as osslsigncode does.
  const std::array<std::byte, 8> zeros{};
  if (pad) {
    EVP_DigestUpdate(md.get(), zeros.data(), pad);
    if (auto w = out->write(std::span(zeros.data(), pad)); !w) return std::unexpected(w.error());
  }
  std::vector<std::uint8_t> digest(EVP_MAX_MD_SIZE);
  unsigned int dlen = 0;
  EVP_DigestFinal_ex(md.get(), digest.data(), &dlen);
  digest.resize(dlen);

  auto p7 = build_signed_data(creds, options, digest);
  if (!p7) return std::unexpected(p7.error().in_file(input.string()));

  // WIN_CERTIFICATE: dwLength = 8 + DER + zero padding to 8 (as osslsigncode writes it).
  const std::size_t der_len = p7->size();
  const std::size_t entry_len = (8 + der_len + 7) & ~std::size_t{7};
  std::vector<std::byte> table(entry_len);
  pe::put_le32(table.data(), static_cast<std::uint32_t>(entry_len));
  pe::put_le16(table.data() + 4, pe::kWinCertRevision2);
  pe::put_le16(table.data() + 6, pe::kWinCertTypePkcsSignedData);
  std::memcpy(table.data() + 8, p7->data(), der_len);
  if (auto w = out->write(table); !w) return std::unexpected(w.error());
  acc.add(table_offset, table);

  std::array<std::byte, 8> dir{};
  pe::put_le32(dir.data(), static_cast<std::uint32_t>(table_offset));
  pe::put_le32(dir.data() + 4, static_cast<std::uint32_t>(entry_len));
  acc.add(cd, dir);
  if (auto w = out->write_at(cd, dir); !w) return std::unexpected(w.error());

  const std::uint64_t total = table_offset + entry_len;
  const std::uint32_t checksum = acc.finish(total);
  std::array<std::byte, 4> cs{};
  pe::put_le32(cs.data(), checksum);
  if (auto w = out->write_at(layout.checksum_offset, cs); !w) return std::unexpected(w.error());
  if (auto c = out->commit(); !c) return std::unexpected(c.error());
  return SignResult{total, ossl::hex_upper(digest), checksum};
}

Status unsign_file(const fs::path& input, const fs::path& output,
                   const OutputOptions& out_options) {
  auto opened = open_for_rewrite(input);
  if (!opened) return std::unexpected(opened.error());
  const pe::Layout& layout = opened->image.layout();
  if (!layout.has_cert_table()) {
    return input_error("the file is not signed (no certificate table)", input.string(),
                       "certificate table directory (DataDirectory[4])",
                       "nothing to remove; the file can be used as it is");
  }
  auto out = AtomicOutput::create(output, out_options);
  if (!out) return std::unexpected(out.error());
  const std::uint64_t end = layout.cert_table.address;
  const std::uint64_t cd = opened->cert_dir;
  pe::ChecksumAccumulator acc(layout.checksum_offset);
  auto st =
      stream_image(opened->image.file(), hash_ranges(layout), end, {}, copy_sink(*out, acc, cd));
  if (!st) return std::unexpected(st.error().in_file(input.string()));
  std::array<std::byte, 4> cs{};
  pe::put_le32(cs.data(), acc.finish(end));
  if (auto w = out->write_at(layout.checksum_offset, cs); !w) return std::unexpected(w.error());
  return out->commit();
}

}  // namespace wslplug::signing
