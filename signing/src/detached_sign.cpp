// Detached signing and attaching with the engine's streaming hash (see wslplug/detached.hpp).
#include <fmt/format.h>

#include "authenticode.hpp"
#include "wslplug/signing/detached.hpp"

namespace wslplug::signing {

Result<std::vector<std::byte>> image_digest(const pe::Image& image, DigestAlgorithm alg) {
  if (!image.layout().cert_dir_offset)
    return input_error("the image has no certificate directory slot", image.path(),
                       "OptionalHeader.NumberOfRvaAndSizes",
                       "relink the DLL with a standard linker (MinGW, lld-link, MSVC)");
  auto entries = image.checked_certificate_entries();
  if (!entries) return std::unexpected(entries.error());
  const HashRanges ranges = hash_ranges(image.layout());
  ossl::MdCtxPtr md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), evp_md(alg), nullptr) != 1)
    return internal_error("cannot initialise the digest: " + ossl::take_errors());
  EVP_MD_CTX* hashes[] = {md.get()};
  if (auto st = stream_image(image.file(), ranges, ranges.hash_end, hashes, {}); !st)
    return std::unexpected(st.error().in_file(image.path()));
  const std::uint64_t pad = (8 - ranges.hash_end % 8) % 8;
  const std::array<std::uint8_t, 8> zeros{};
  if (pad) EVP_DigestUpdate(md.get(), zeros.data(), pad);
  std::array<unsigned char, EVP_MAX_MD_SIZE> buf{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(md.get(), buf.data(), &len);
  const auto* b = reinterpret_cast<const std::byte*>(buf.data());
  return std::vector<std::byte>(b, b + len);
}

Result<std::vector<std::byte>> sign_detached(const std::filesystem::path& input,
                                             const Credentials& creds, const SignOptions& options) {
  auto img = pe::Image::open(input);
  if (!img) return std::unexpected(img.error());
  auto digest = image_digest(*img, options.digest);
  if (!digest) return std::unexpected(digest.error());
  const auto* u = reinterpret_cast<const std::uint8_t*>(digest->data());
  auto p7 = build_signed_data(creds, options, std::span<const std::uint8_t>(u, digest->size()));
  if (!p7) return std::unexpected(p7.error().in_file(input.string()));
  const auto* b = reinterpret_cast<const std::byte*>(p7->data());
  std::vector<std::byte> der(b, b + p7->size());
  if (options.transform) {
    auto t = options.transform(std::move(der));
    if (!t) return std::unexpected(std::move(t.error()).in_file(input.string()));
    der = std::move(*t);
  }
  return der;
}

Status attach_signature(const std::filesystem::path& input, const std::filesystem::path& output,
                        std::span<const std::byte> pkcs7_der, const std::string& signature_file,
                        const OutputOptions& out) {
  auto claimed = indirect_data_digest(pkcs7_der, signature_file);
  if (!claimed) return std::unexpected(claimed.error());
  auto img = pe::Image::open(input);
  if (!img) return std::unexpected(img.error());
  auto actual = image_digest(*img, claimed->algorithm);
  if (!actual) return std::unexpected(actual.error());
  if (*actual != claimed->digest) {
    const auto* c = reinterpret_cast<const std::uint8_t*>(claimed->digest.data());
    const auto* a = reinterpret_cast<const std::uint8_t*>(actual->data());
    return input_error(
        fmt::format("the signature is for another file: it signs {} digest {}, the file's is {}",
                    digest_name(claimed->algorithm),
                    ossl::hex_upper(std::span<const std::uint8_t>(c, claimed->digest.size())),
                    ossl::hex_upper(std::span<const std::uint8_t>(a, actual->size()))),
        input.string(), "Authenticode digest (SpcIndirectDataContent.messageDigest)",
        fmt::format("attach {} to the exact file it was made for (sign --detached-out on the "
                    "same bytes); rebuilding changes the digest",
                    signature_file));
  }
  return write_signed_image(*img, output, pkcs7_der, out);
}

}  // namespace wslplug::signing
