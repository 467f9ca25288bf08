// The one numbering of an image's signatures (see signature_slots in signing.hpp) on an open
// image, and the raw bytes of WIN_CERTIFICATE entries a rewrite keeps. Internal.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "signable.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::signing::numbering {

// Every signature of the image in the one numbering (empty when unsigned).
Result<std::vector<SignatureSlot>> slots(const SignableImage& image);

// The slot of the primary signature: the first entry of revision 2.0 and type
// PKCS_SIGNED_DATA whose PKCS#7 parses as SignedData; nullopt when there is none.
std::optional<std::size_t> primary(const std::vector<SignatureSlot>& slots);

// The WIN_CERTIFICATE entries [first, last) of the table as stored (header, data, zero padding
// to 8 bytes), for a rewrite that keeps them beside a new entry.
Result<std::vector<std::byte>> raw_entries(const SignableImage& image, std::size_t first,
                                           std::size_t last);

}  // namespace wslplug::signing::numbering
