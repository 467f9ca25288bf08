// The digest algorithms of Authenticode signatures and their names.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace wslplug::signing {

namespace fs = std::filesystem;

enum class DigestAlgorithm { kSha1, kSha256, kSha384, kSha512 };
std::string_view digest_name(DigestAlgorithm alg);                   // "sha256"
std::optional<DigestAlgorithm> parse_digest(std::string_view name);  // "sha256", "SHA-256", ...

}  // namespace wslplug::signing
