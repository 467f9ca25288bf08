// Digest algorithm names, OIDs and OpenSSL mapping.
#include <algorithm>
#include <cctype>
#include <string>

#include "authenticode.hpp"

namespace wslplug::signing {

std::string_view digest_name(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha1:
      return "sha1";
    case DigestAlgorithm::kSha256:
      return "sha256";
    case DigestAlgorithm::kSha384:
      return "sha384";
    case DigestAlgorithm::kSha512:
      return "sha512";
  }
  return "sha256";
}

std::optional<DigestAlgorithm> parse_digest(std::string_view name) {
  std::string n;
  for (char c : name)
    if (c != '-' && c != '_') n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "sha1") return DigestAlgorithm::kSha1;
  if (n == "sha256" || n == "sha2") return DigestAlgorithm::kSha256;
  if (n == "sha384") return DigestAlgorithm::kSha384;
  if (n == "sha512") return DigestAlgorithm::kSha512;
  return std::nullopt;
}

const EVP_MD* evp_md(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha1:
      return EVP_sha1();
    case DigestAlgorithm::kSha256:
      return EVP_sha256();
    case DigestAlgorithm::kSha384:
      return EVP_sha384();
    case DigestAlgorithm::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

std::optional<DigestAlgorithm> digest_from_nid(int nid) {
  switch (nid) {
    case NID_sha1:
      return DigestAlgorithm::kSha1;
    case NID_sha256:
      return DigestAlgorithm::kSha256;
    case NID_sha384:
      return DigestAlgorithm::kSha384;
    case NID_sha512:
      return DigestAlgorithm::kSha512;
    default:
      return std::nullopt;
  }
}

std::string_view digest_oid(DigestAlgorithm alg) {
  switch (alg) {
    case DigestAlgorithm::kSha1:
      return "1.3.14.3.2.26";
    case DigestAlgorithm::kSha256:
      return "2.16.840.1.101.3.4.2.1";
    case DigestAlgorithm::kSha384:
      return "2.16.840.1.101.3.4.2.2";
    case DigestAlgorithm::kSha512:
      return "2.16.840.1.101.3.4.2.3";
  }
  return "2.16.840.1.101.3.4.2.1";
}

}  // namespace wslplug::signing
