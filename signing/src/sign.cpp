// sign_file and unsign_file: one streaming pass from the input to an AtomicOutput beside the
// target. The PE checksum is summed over the output bytes as they are written and patched at
// the end, so the output is never read back.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>

#include "authenticode.hpp"

namespace wslplug::signing {

namespace {

// The output side of the streaming pass. prepare() runs on the writer thread, after the chunk
// was hashed and before it is written: it zeroes the certificate directory entry (patched at
// the end) and sums the checksum. operator() writes with positional writes (it would allow
// several writer threads; two were measured slower on ext4, which serialises extending direct
// writes): whole 4 KiB-aligned chunks go out with O_DIRECT when the file system supports it (no
// page-cache copy, no dirty pages, so the final fsync has nothing left to flush while the
// hashing thread works). The unaligned tail and everything after it use buffered writes.
class CopySink {
 public:
  CopySink(AtomicOutput& out, pe::ChecksumAccumulator& acc, std::uint64_t cert_dir)
      : out_(out), acc_(acc), cert_dir_(cert_dir) {
    const int flags = ::fcntl(out.fd(), F_GETFL);
    direct_ = flags >= 0 && ::fcntl(out.fd(), F_SETFL, flags | O_DIRECT) == 0;
  }
  CopySink(const CopySink&) = delete;
  CopySink& operator=(const CopySink&) = delete;

  Status prepare(std::uint64_t off, std::span<std::byte> data) {
    const std::uint64_t end = off + data.size();
    for (std::uint64_t i = std::max(cert_dir_, off); i < std::min(cert_dir_ + 8, end); ++i)
      data[i - off] = std::byte{0};
    acc_.add(off, data);
    return {};
  }
  Status operator()(std::uint64_t off, std::span<std::byte> data) {
    if (direct_ && (data.size() % 4096 != 0 || off % 4096 != 0)) buffered();
    if (out_.write_at(off, data)) return {};
    if (!direct_) return out_.write_at(off, data);  // report the buffered error
    // Direct I/O refused (alignment rules of this device or file system): continue buffered.
    buffered();
    return out_.write_at(off, data);
  }
  // Back to buffered writes, with the file offset at `end` for the appends that follow.
  Status finish(std::uint64_t end) {
    buffered();
    if (::lseek(out_.fd(), static_cast<off_t>(end), SEEK_SET) < 0)
      return io_error("cannot seek in the output", out_.temp_path().string());
    return {};
  }

 private:
  void buffered() {
    if (!direct_.exchange(false)) return;
    const int flags = ::fcntl(out_.fd(), F_GETFL);
    if (flags >= 0) ::fcntl(out_.fd(), F_SETFL, flags & ~O_DIRECT);
  }
  AtomicOutput& out_;
  pe::ChecksumAccumulator& acc_;
  std::uint64_t cert_dir_;
  std::atomic<bool> direct_ = false;
};

// Streams [0, end) of the opened image into `out` through a CopySink.
Status copy_image(const pe::Image& image, const HashRanges& ranges, std::uint64_t end,
                  std::span<EVP_MD_CTX* const> hashes, AtomicOutput& out,
                  pe::ChecksumAccumulator& acc, std::uint64_t cert_dir) {
  CopySink sink(out, acc, cert_dir);
  auto st = stream_image(
      image.file(), ranges, end, hashes,
      [&sink](std::uint64_t off, std::span<std::byte> d) { return sink(off, d); },
      [&sink](std::uint64_t off, std::span<std::byte> d) { return sink.prepare(off, d); }, 1);
  auto fin = sink.finish(end);
  if (!st) return st;
  return fin;
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

namespace {

// Produces the PKCS#7 DER for the image digest (empty digest when `alg` is nullopt).
using DerProducer = std::function<Result<der::Bytes>(std::span<const std::uint8_t> digest)>;

// The common rewrite: copy the image up to its certificate table (hashing it with `alg` if
// given), pad to 8, append one WIN_CERTIFICATE with the produced DER, patch the directory entry
// and the checksum, commit.
Result<SignResult> rewrite_with_signature(const fs::path& input, const fs::path& output,
                                          std::optional<DigestAlgorithm> alg,
                                          const DerProducer& produce,
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

  ossl::MdCtxPtr md;
  std::vector<EVP_MD_CTX*> hashes;
  if (alg) {
    md.reset(EVP_MD_CTX_new());
    if (!md || EVP_DigestInit_ex(md.get(), evp_md(*alg), nullptr) != 1) {
      return internal_error("cannot initialise the digest: " + ossl::take_errors());
    }
    hashes.push_back(md.get());
  }
  pe::ChecksumAccumulator acc(layout.checksum_offset);
  const std::uint64_t cd = opened->cert_dir;
  auto st = copy_image(opened->image, ranges, end, hashes, *out, acc, cd);
  if (!st) return std::unexpected(st.error().in_file(input.string()));

  // Padding to 8 bytes: hashed and written, as osslsigncode does.
  const std::array<std::byte, 8> zeros{};
  if (pad) {
    if (md) EVP_DigestUpdate(md.get(), zeros.data(), pad);
    if (auto w = out->write(std::span(zeros.data(), pad)); !w) return std::unexpected(w.error());
  }
  std::vector<std::uint8_t> digest;
  if (md) {
    digest.resize(EVP_MAX_MD_SIZE);
    unsigned int dlen = 0;
    EVP_DigestFinal_ex(md.get(), digest.data(), &dlen);
    digest.resize(dlen);
  }

  auto p7 = produce(digest);
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
  return SignResult{total, digest.empty() ? std::string() : ossl::hex_upper(digest), checksum};
}

}  // namespace

Result<SignResult> sign_file(const fs::path& input, const fs::path& output,
                             const Credentials& creds, const SignOptions& options,
                             const OutputOptions& out_options) {
  return rewrite_with_signature(
      input, output, options.digest,
      [&](std::span<const std::uint8_t> digest) -> Result<der::Bytes> {
        auto p7 = build_signed_data(creds, options, digest);
        if (!p7 || !options.transform) return p7;
        // Timestamp / nest (issue 3): rewrite the signature before it is embedded.
        const auto* b = reinterpret_cast<const std::byte*>(p7->data());
        auto t = options.transform(std::vector<std::byte>(b, b + p7->size()));
        if (!t) return std::unexpected(std::move(t.error()));
        const auto* u = reinterpret_cast<const std::uint8_t*>(t->data());
        return der::Bytes(u, u + t->size());
      },
      out_options);
}

Result<SignResult> write_signature(const fs::path& input, const fs::path& output,
                                   std::span<const std::uint8_t> pkcs7_der,
                                   const OutputOptions& out_options) {
  auto top = der::read_all(pkcs7_der);
  if (!top || top->tag != der::kSequence) {
    return input_error("the signature is not one DER-encoded PKCS#7 ContentInfo", input.string(),
                       "signature data", "pass a DER PKCS#7 SignedData (e.g. from extract)");
  }
  return rewrite_with_signature(
      input, output, std::nullopt,
      [&](std::span<const std::uint8_t>) -> Result<der::Bytes> {
        return der::Bytes(pkcs7_der.begin(), pkcs7_der.end());
      },
      out_options);
}

Result<std::vector<std::uint8_t>> image_digest(const fs::path& path, DigestAlgorithm alg) {
  auto img = pe::Image::open(path);
  if (!img) return std::unexpected(img.error());
  if (auto e = img->checked_certificate_entries(); !e) return std::unexpected(e.error());
  const HashRanges ranges = hash_ranges(img->layout());
  ossl::MdCtxPtr md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), evp_md(alg), nullptr) != 1)
    return internal_error("cannot initialise the digest: " + ossl::take_errors());
  EVP_MD_CTX* hashes[] = {md.get()};
  if (auto st = stream_image(img->file(), ranges, ranges.hash_end, hashes, {}); !st)
    return std::unexpected(st.error());
  // An unsigned image that does not end on 8 bytes is hashed with the padding signing adds.
  const std::uint64_t pad = (8 - ranges.hash_end % 8) % 8;
  const std::array<std::uint8_t, 8> zeros{};
  if (pad) EVP_DigestUpdate(md.get(), zeros.data(), pad);
  std::vector<std::uint8_t> digest(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EVP_DigestFinal_ex(md.get(), digest.data(), &n);
  digest.resize(n);
  return digest;
}

Result<std::vector<std::vector<std::uint8_t>>> read_signatures(const fs::path& path) {
  auto img = pe::Image::open(path);
  if (!img) return std::unexpected(img.error());
  auto entries = img->checked_certificate_entries();
  if (!entries) return std::unexpected(entries.error());
  std::vector<std::vector<std::uint8_t>> out;
  for (const auto& e : *entries) {
    auto data = img->file().read_vec(e.data_offset(), e.data_length());
    if (!data) return std::unexpected(data.error());
    // Strip the zero padding after the DER.
    std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(data->data()),
                                        data->size());
    auto copy = bytes;
    if (auto el = der::read(copy)) bytes = el->whole;
    out.emplace_back(bytes.begin(), bytes.end());
  }
  return out;
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
  auto st = copy_image(opened->image, hash_ranges(layout), end, {}, *out, acc, cd);
  if (!st) return std::unexpected(st.error().in_file(input.string()));
  std::array<std::byte, 4> cs{};
  pe::put_le32(cs.data(), acc.finish(end));
  if (auto w = out->write_at(layout.checksum_offset, cs); !w) return std::unexpected(w.error());
  return out->commit();
}

}  // namespace wslplug::signing
