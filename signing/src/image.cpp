// The image digest, the certificate-table reader and the one image writer (see image.hpp).
#include "image.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>

#include "der.hpp"
#include "wslplug/core/fd.hpp"

namespace wslplug::signing::image {

namespace {

constexpr std::uint64_t kMaxSignatureSize = 64u << 20;
// Writes while copying an image: two writer threads, each writing up to eight adjacent 1 MiB
// chunks in one request, so the device gets large writes and the next one is already queued
// while one is on it (bench/RESULTS.md has the measurements).
constexpr unsigned kWriters = 2;
constexpr unsigned kMaxRun = 8;

std::uint64_t padding_to_8(std::uint64_t end) { return (8 - end % 8) % 8; }

// The one 4 GiB check: PE certificate tables are addressed by a 32-bit file offset and size,
// so the table must start and end below 4 GiB. `entry_len` is 8 (an empty entry) before the
// signature is known.
Status check_table_fits(const SignableImage& image, std::uint64_t table_offset,
                        std::uint64_t entry_len) {
  if (table_offset + entry_len <= 0xffffffffull) return {};
  return input_error(fmt::format("the image is {} bytes; its certificate table would end at byte "
                                 "{}, past the 4 GiB that PE certificate offsets can address",
                                 image.layout().signed_data_end(), table_offset + entry_len),
                     image.path(), "certificate table offset (32-bit)",
                     "PE certificate offsets are 32-bit: make the image smaller");
}

// The output side of the rewrite. `prepare` runs in file order: it zeroes the certificate
// directory entry (patched at the end) and sums the checksum. `write` runs on several writer
// threads at once and writes with positional writes. Whole 4 KiB-aligned chunks go out through
// a second descriptor of the temporary file opened with O_DIRECT, when the file system supports
// it (no page-cache copy and no dirty pages, so the final fsync has little left to flush, and
// several writes in flight keep the device busy while the hashing thread works); the unaligned
// tail, everything after it and any write that O_DIRECT refuses use the buffered descriptor.
class CopySink {
 public:
  CopySink(AtomicOutput& out, Checksum& acc, std::uint64_t cert_dir)
      : out_(out), acc_(acc), cert_dir_(cert_dir) {
    // Reopened through /proc so it is the same file, never whatever now has its name.
    const std::string self = fmt::format("/proc/self/fd/{}", out.fd());
    direct_fd_.reset(::open(self.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC));
    direct_ok_ = direct_fd_.valid();
  }
  CopySink(const CopySink&) = delete;
  CopySink& operator=(const CopySink&) = delete;
  ~CopySink() = default;

  Status prepare(std::uint64_t off, std::span<std::byte> data) {
    const std::uint64_t end = off + data.size();
    for (std::uint64_t i = std::max(cert_dir_, off); i < std::min(cert_dir_ + 8, end); ++i)
      data[i - off] = std::byte{0};
    acc_.add(off, data);
    return {};
  }

  // A run of adjacent chunks at `off`: its whole 4 KiB blocks in one vectored O_DIRECT write
  // when that works, the rest (the image's unaligned tail, or everything once O_DIRECT has
  // refused) chunk by chunk through the buffered descriptor.
  Status write(std::uint64_t off, std::span<const std::span<const std::byte>> parts) {
    std::size_t aligned = 0;
    while (aligned < parts.size() && parts[aligned].size() % 4096 == 0) ++aligned;
    if (direct_ok_ && off % 4096 == 0 && aligned > 0 && write_direct(off, parts.first(aligned))) {
      for (const auto& part : parts.first(aligned)) off += part.size();
      parts = parts.subspan(aligned);
    }
    for (const auto& part : parts) {
      if (auto st = out_.write_at(off, part); !st) return st;
      off += part.size();
    }
    return {};
  }

  // Everything after the copy goes through the buffered descriptor, from `end` on.
  Status finish(std::uint64_t end) {
    if (::lseek(out_.fd(), static_cast<off_t>(end), SEEK_SET) < 0)
      return io_error("cannot seek in the output", out_.temp_path().string());
    return {};
  }

 private:
  // False when O_DIRECT refused the write (alignment rules of this device or file system) or
  // a part is not a whole number of 4 KiB blocks: the caller writes the run buffered, and so
  // does every later write.
  bool write_direct(std::uint64_t off, std::span<const std::span<const std::byte>> parts) {
    std::array < iovec, IOV_MAX<64 ? IOV_MAX : 64> iov{};
    if (parts.size() > iov.size()) return false;
    std::size_t total = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].size() % 4096 != 0) return false;
      iov[i] = {const_cast<std::byte*>(parts[i].data()), parts[i].size()};
      total += parts[i].size();
    }
    while (true) {
      const ssize_t n = ::pwritev(direct_fd_.get(), iov.data(), static_cast<int>(parts.size()),
                                  static_cast<off_t>(off));
      if (n < 0 && errno == EINTR) continue;
      if (n == static_cast<ssize_t>(total)) return true;
      // Refused, or short (which would leave the rest unaligned): the caller rewrites the
      // whole run buffered.
      direct_ok_ = false;
      return false;
    }
  }

  AtomicOutput& out_;
  Checksum& acc_;
  std::uint64_t cert_dir_;
  Fd direct_fd_;
  std::atomic<bool> direct_ok_ = false;
};

// WIN_CERTIFICATE: dwLength = 8 + DER + zero padding to 8 (as osslsigncode writes it).
std::vector<std::byte> win_certificate(std::span<const std::byte> der) {
  const std::size_t entry_len = (8 + der.size() + 7) & ~std::size_t{7};
  std::vector<std::byte> table(entry_len);
  pe::put_le32(table.data(), static_cast<std::uint32_t>(entry_len));
  pe::put_le16(table.data() + 4, std::to_underlying(pe::kWinCertRevision2));
  pe::put_le16(table.data() + 6, std::to_underlying(pe::kWinCertTypePkcsSignedData));
  std::memcpy(table.data() + 8, der.data(), der.size());
  return table;
}

// Phase 1 of a rewrite: stream [0, end) into `out`, hashing it when asked.
Status copy_image(const SignableImage& image, const HashRanges& ranges, std::uint64_t end,
                  std::span<ossl::Hasher> hashes, AtomicOutput& out, Checksum& acc) {
  CopySink sink(out, acc, *image.layout().cert_dir_offset);
  Stages stages;
  stages.in_order = [&sink](std::uint64_t off, std::span<std::byte> d) {
    return sink.prepare(off, d);
  };
  stages.consume = [&sink](std::uint64_t off, std::span<const std::span<const std::byte>> parts) {
    return sink.write(off, parts);
  };
  stages.writers = kWriters;
  stages.max_run = kMaxRun;
  auto st = stream_image(image.file(), ranges, end, hashes, stages);
  auto fin = sink.finish(end);
  if (!st) return std::unexpected(st.error().in_file(image.path()));
  return fin;
}

// Phase 2: the padding (hashed and written, as osslsigncode does), the digest, the new table.
Result<std::uint64_t> append_table(const SignableImage& image, const Rewrite& how,
                                   std::uint64_t end, std::optional<ossl::Hasher>& hasher,
                                   AtomicOutput& out, Checksum& acc, std::string& digest_hex) {
  const std::uint64_t pad = padding_to_8(end);
  const std::array<std::byte, 8> zeros{};
  if (pad) {
    if (hasher) hasher->update(std::span(zeros.data(), pad));
    if (auto w = out.write(std::span(zeros.data(), pad)); !w) return std::unexpected(w.error());
  }
  std::vector<std::byte> digest;
  if (hasher) {
    auto d = hasher->finish();
    if (!d) return std::unexpected(d.error().in_file(image.path()));
    digest = std::move(*d);
    digest_hex = ossl::hex_upper(digest);
  }
  auto der = how.produce(digest);
  if (!der) return std::unexpected(der.error().in_file(image.path()));
  const std::uint64_t table_offset = end + pad;
  auto table = how.kept_before;
  const auto entry = win_certificate(*der);
  table.insert(table.end(), entry.begin(), entry.end());
  table.insert(table.end(), how.kept_after.begin(), how.kept_after.end());
  if (auto st = check_table_fits(image, table_offset, table.size()); !st)
    return std::unexpected(st.error());
  if (auto w = out.write(table); !w) return std::unexpected(w.error());
  acc.add(table_offset, table);
  const auto dir = image.table_directory(table_offset, table.size());
  const std::uint64_t cd = *image.layout().cert_dir_offset;
  acc.add(cd, dir);
  if (auto w = out.write_at(cd, dir); !w) return std::unexpected(w.error());
  return table_offset + table.size();
}

}  // namespace

Result<std::vector<std::byte>> digest(const SignableImage& image, DigestAlgorithm alg) {
  if (auto e = image.checked_certificate_entries(); !e) return std::unexpected(e.error());
  const HashRanges ranges = hash_ranges(image.layout());
  auto h = ossl::Hasher::start(alg);
  if (!h) return std::unexpected(h.error().in_file(image.path()));
  if (auto st = stream_image(image.file(), ranges, ranges.hash_end, std::span(&*h, 1), {}); !st)
    return std::unexpected(st.error().in_file(image.path()));
  // An unsigned image that does not end on 8 bytes is hashed with the padding signing adds.
  const std::array<std::byte, 8> zeros{};
  h->update(std::span(zeros.data(), padding_to_8(ranges.hash_end)));
  auto d = h->finish();
  if (!d) return std::unexpected(d.error().in_file(image.path()));
  return d;
}

namespace {

// What follows the DER of an entry: only zero bytes up to the next multiple of 8 (counted from
// the entry's start) are padding. `data` is the entry's data (dwLength - 8 bytes), `gap` the
// table's alignment bytes after dwLength.
std::string describe_unsigned_data(const pe::CertificateEntry& e, std::size_t der_size,
                                   std::span<const std::byte> data,
                                   std::span<const std::byte> gap) {
  const std::uint64_t padded_end = (8 + der_size + 7) & ~std::uint64_t{7};  // from e.offset
  const std::uint64_t after = data.size() - der_size + gap.size();
  auto nonzero = [](std::span<const std::byte> s) {
    return std::ranges::any_of(s, [](std::byte b) { return b != std::byte{0}; });
  };
  const bool junk = nonzero(data.subspan(der_size)) || nonzero(gap);
  if (8 + der_size + after <= padded_end && !junk) return {};
  return fmt::format(
      "the WIN_CERTIFICATE at {} holds {} bytes after its {}-byte PKCS#7 ({}; at most {} zero "
      "bytes of padding are allowed): data no signature covers, which Windows refuses when "
      "EnableCertPaddingCheck is set",
      offset_str(e.offset), after, der_size, junk ? "not all zero" : "zero, but past the padding",
      padded_end - 8 - der_size);
}

}  // namespace

Result<std::vector<SignatureEntry>> signature_entries(const SignableImage& image) {
  std::vector<SignatureEntry> out;
  if (!image.layout().cert_dir_offset) return out;  // no slot: cannot be signed
  auto entries = image.checked_certificate_entries();
  if (!entries) return std::unexpected(entries.error());
  for (const auto& e : *entries) {
    SignatureEntry s{e, {}, {}, {}};
    if (e.type != pe::kWinCertTypePkcsSignedData) {
      s.problem = fmt::format(
          "WIN_CERTIFICATE at {} has type {:#06x}, not WIN_CERT_TYPE_PKCS_SIGNED_DATA (0x0002)",
          offset_str(e.offset), std::to_underlying(e.type));
    } else if (e.revision != pe::kWinCertRevision2) {
      s.problem = fmt::format(
          "WIN_CERTIFICATE at {} has revision {:#06x}, not WIN_CERT_REVISION_2_0 (0x0200), the "
          "only revision Authenticode defines",
          offset_str(e.offset), std::to_underlying(e.revision));
    } else if (e.data_length() > kMaxSignatureSize) {
      s.problem = fmt::format("WIN_CERTIFICATE at {} is {} bytes, too large for a signature",
                              offset_str(e.offset), e.data_length());
    } else {
      auto data = image.file().read_vec(e.data_offset(), e.data_length());
      if (!data) return std::unexpected(data.error());
      const auto& table = image.layout().cert_table;
      const std::uint64_t table_end = std::uint64_t{table.address} + table.size;
      const std::uint64_t entry_end = e.offset + e.length;
      auto gap = image.file().read_vec(
          entry_end, std::min(padding_to_8(e.length), table_end - std::min(table_end, entry_end)));
      if (!gap) return std::unexpected(gap.error());
      // Drop the zero padding after the DER (kept whole when it is not DER at all).
      if (auto whole = der::first(*data)) {
        s.unsigned_data = describe_unsigned_data(e, whole->size(), *data, *gap);
        data->resize(whole->size());
      }
      s.der = std::move(*data);
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<SignResult> rewrite(const SignableImage& image, const fs::path& output, const Rewrite& how,
                           const OutputOptions& out_options) {
  if (auto e = image.checked_certificate_entries(); !e) return std::unexpected(e.error());
  const SignableLayout& layout = image.layout();
  const HashRanges ranges = hash_ranges(layout);
  const std::uint64_t end = ranges.hash_end;
  if (how.produce) {
    if (auto st = check_table_fits(image, end + padding_to_8(end), 8); !st)
      return std::unexpected(st.error());
  } else if (!layout.has_cert_table()) {
    return input_error("the file is not signed (no certificate table)", image.path(),
                       "certificate table directory (DataDirectory[4])",
                       "nothing to remove; the file can be used as it is");
  }
  std::optional<ossl::Hasher> hasher;
  if (how.hash) {
    auto h = ossl::Hasher::start(*how.hash);
    if (!h) return std::unexpected(h.error().in_file(image.path()));
    hasher.emplace(std::move(*h));
  }
  auto out = AtomicOutput::create(output, out_options);
  if (!out) return std::unexpected(out.error());
  const auto checksum = image.start_checksum();
  Checksum& acc = *checksum;
  std::span<ossl::Hasher> hashes;
  if (hasher) hashes = std::span(&*hasher, 1);
  if (auto st = copy_image(image, ranges, end, hashes, *out, acc); !st)
    return std::unexpected(st.error());

  SignResult result;
  result.output_size = end;  // unsign: the image ends where its table began
  if (how.produce) {
    auto total = append_table(image, how, end, hasher, *out, acc, result.digest_hex);
    if (hasher) result.digest_algorithm = how.hash;
    if (!total) return std::unexpected(total.error());
    result.output_size = *total;
  }
  result.checksum = acc.finish(result.output_size);
  std::array<std::byte, 4> cs{};
  pe::put_le32(cs.data(), result.checksum);
  if (auto w = out->write_at(layout.checksum_offset, cs); !w) return std::unexpected(w.error());
  if (auto c = out->commit(); !c) return std::unexpected(c.error());
  return result;
}

}  // namespace wslplug::signing::image
