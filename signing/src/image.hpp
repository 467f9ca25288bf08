// The image-signature module: everything that reads or rewrites the signed bytes of a PE image
// goes through here. One streaming pass (stream_image: a reader thread, the Authenticode hash on
// the calling thread and each further digest on a thread of its own, an in-order thread and a few
// writer threads for the output) serves the image digest, verification, and the one image writer
// (rewrite) behind sign, attach, timestamp and unsign; signature_entries is the one reader of the
// certificate table. Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ossl.hpp"
#include "signable.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::signing::image {

// The Authenticode hash covers [0, hash_end) minus the CheckSum field and the certificate
// directory entry.
struct HashRanges {
  std::uint64_t checksum_offset = 0;
  std::optional<std::uint64_t> cert_dir_offset;
  std::uint64_t hash_end = 0;
};
HashRanges hash_ranges(const SignableLayout& layout);

// Called with (file offset, bytes) for consecutive chunks; a failure stops the pass.
using ChunkSink = std::function<Status(std::uint64_t, std::span<std::byte>)>;
// Called with (file offset of the first, the chunks) for a run of adjacent chunks.
using RunSink = std::function<Status(std::uint64_t, std::span<const std::span<const std::byte>>)>;

struct Stages {
  // On the reader thread, right after a chunk was read (verify: the PE checksum), so the
  // hashing thread only hashes.
  ChunkSink after_read;
  // On one thread, in file order, after the chunk was hashed (rewrite: zero the directory
  // entry, sum the checksum).
  ChunkSink in_order;
  // After `in_order`, on one of `writers` threads, in any order (rewrite: the positional write
  // of the output), with up to `max_run` adjacent chunks that are ready at once, so the device
  // gets large writes and a next one queued. Without it the chunk's buffer is reused as soon as
  // the earlier stages are done with it.
  RunSink consume;
  unsigned writers = 1;
  unsigned max_run = 1;
};

// Reads [0, read_end) of `file` once in 1 MiB page-aligned chunks through a small ring of
// buffers (memory does not depend on the file size), feeds the bytes the hash covers to every
// hasher (each on a thread of its own, in file order), and runs the stages. A failed hasher update
// is an error of the pass.
Status stream_image(const InputFile& file, const HashRanges& ranges, std::uint64_t read_end,
                    std::span<ossl::Hasher> hashes, const Stages& stages);

// The Authenticode digest of an image (with the zero padding to 8 bytes that signing appends to
// an unsigned image).
Result<std::vector<std::byte>> digest(const SignableImage& image, DigestAlgorithm alg);

// One WIN_CERTIFICATE entry and, for a revision 2.0 PKCS_SIGNED_DATA entry of sane size, its
// DER without the alignment padding; `problem` says why `der` is empty otherwise.
// `unsigned_data` describes bytes after the DER that are not zero padding to the next multiple of
// 8 (inside dwLength, or in the table's alignment gap after it): data no signature covers, which
// Windows refuses with EnableCertPaddingCheck (CVE-2013-3900). Empty when there are none.
struct SignatureEntry {
  pe::CertificateEntry header;
  std::vector<std::byte> der;
  std::string problem;
  std::string unsigned_data;
};
// Every entry of the (checked) certificate table, in file order; empty when unsigned.
Result<std::vector<SignatureEntry>> signature_entries(const SignableImage& image);

// The new certificate table of a rewrite, from the image digest (empty when no hash was asked
// for): the DER PKCS#7 to embed.
using SignatureProducer =
    std::function<Result<std::vector<std::byte>>(std::span<const std::byte> digest)>;
struct Rewrite {
  std::optional<DigestAlgorithm> hash;  // computed during the pass and passed to `produce`
  SignatureProducer produce;            // empty: remove the certificate table (unsign)
  // Existing WIN_CERTIFICATE entries written as they are before and after the new one (raw,
  // each padded to 8 bytes: numbering::raw_entries), so a rewrite of one entry keeps the rest.
  std::vector<std::byte> kept_before{};
  std::vector<std::byte> kept_after{};
};
// The one image writer: copies the image up to its certificate table into an AtomicOutput
// (O_DIRECT for the aligned bulk when the file system allows it), then either appends the zero
// padding to 8 bytes and one WIN_CERTIFICATE (revision 2.0, PKCS_SIGNED_DATA, dwLength = 8 +
// DER rounded up to 8, as osslsigncode writes it) between the kept entries, or nothing, patches
// the directory entry and the checksum (summed while writing, never read back) and commits.
Result<SignResult> rewrite(const SignableImage& image, const fs::path& output, const Rewrite& how,
                           const OutputOptions& out);

}  // namespace wslplug::signing::image
