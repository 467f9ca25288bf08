// Nested (dual) Authenticode signatures on DER blobs: extra signatures live as values of the
// unauthenticated attribute 1.3.6.1.4.1.311.2.4.1 (SPC_NESTED_SIGNATURE) of the primary
// signature's first SignerInfo, each value a DER ContentInfo SignedData; several nested
// signatures are several values of that ONE attribute. The parsed view is SignedData::nested()
// and walk_nested (signed_data.hpp); these are its DER-level conveniences.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"

namespace wslplug::signing {

// outer + inner -> outer with inner appended to its nested signatures. `file` names the outer
// signature in errors.
Result<std::vector<std::byte>> nest_pkcs7(std::span<const std::byte> outer_der,
                                          std::span<const std::byte> inner_der,
                                          const std::string& file = {});
// The nested signatures of outer (not outer itself), at any depth, depth first.
Result<std::vector<std::vector<std::byte>>> nested_pkcs7(std::span<const std::byte> outer_der,
                                                         const std::string& file = {});
// Every signature in file order: [0] the outer one as given (its nested signatures included),
// then the nested ones.
Result<std::vector<std::vector<std::byte>>> all_pkcs7(std::span<const std::byte> outer_der,
                                                      const std::string& file = {});

}  // namespace wslplug::signing
