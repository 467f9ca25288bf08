// The one numbering of an image's signatures (its WIN_CERTIFICATE entries and the signatures
// nested in them), and rewriting one entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/core/io.hpp"
#include "wslplug/core/pe.hpp"
#include "wslplug/signing/sign.hpp"
#include "wslplug/signing/signed_data.hpp"

namespace wslplug::signing {

namespace fs = std::filesystem;

// The one numbering of an image's signatures, used by verify, extract --index, timestamp
// --index, sign --append and doctor (docs/signing.md): every WIN_CERTIFICATE entry in file
// order, each followed at once by the signatures nested in it. A dual-signed UEFI image (two
// entries, nothing nested) has 0 and 1; one entry with two nested signatures has 0, 1 and 2.
struct SignatureSlot {
  std::size_t index = 0;   // in the numbering
  std::size_t entry = 0;   // its WIN_CERTIFICATE entry (0-based, file order)
  std::size_t nested = 0;  // 0: the entry's own signature; n >= 1: the entry's nested signature n
  pe::WinCertRevision revision{};  // of the entry
  pe::WinCertType type{};          // of the entry
  std::uint64_t offset = 0;        // file offset of the entry
  // The DER PKCS#7: an entry's own with its nested ones inside, a nested one on its own. Empty
  // when it cannot be read; `problem` says why.
  std::vector<std::byte> der;
  std::optional<SignedData> signature;  // `der` parsed (nullopt when it cannot be read)
  std::string problem;
  // An entry's own signature only: a sentence about bytes after the PKCS#7 inside the entry that
  // are not zero padding to 8 bytes (unsigned data; verify's `unsigned-data`); empty otherwise.
  std::string unsigned_data;
};
// Every signature of the file, numbered (empty when unsigned).
Result<std::vector<SignatureSlot>> signature_slots(const fs::path& path);
// Signature `index` of the numbering; an input error naming --index (and the range) when there
// is none, or when it cannot be read.
Result<SignatureSlot> signature_at(const fs::path& path, std::size_t index);
// Writes `input` with the PKCS#7 of WIN_CERTIFICATE entry `entry` replaced by `pkcs7_der`
// (revision 2.0, PKCS_SIGNED_DATA), every other entry kept byte for byte, directory entry and
// checksum fixed. Not checked against the image (for `wslplug timestamp`); digest_hex is empty.
Result<SignResult> replace_entry_signature(const fs::path& input, const fs::path& output,
                                           std::size_t entry, std::span<const std::byte> pkcs7_der,
                                           const OutputOptions& out);

}  // namespace wslplug::signing
