// The public signing operations (sign, sign detached, attach, timestamped rewrite, unsign, the
// image digest, the embedded signatures, signature files), all on the one image writer and the
// one certificate-table reader of image.hpp.
#include <fmt/format.h>
#include <openssl/pem.h>

#include <algorithm>

#include "authenticode.hpp"
#include "image.hpp"
#include "numbering.hpp"
#include "signed_data_impl.hpp"
#include "timestamp_impl.hpp"
#include "wslplug/signing/field.hpp"

namespace wslplug::signing {

namespace {

Result<PeSignable> open_image(const fs::path& path) { return PeSignable::open(path); }

// What signing embeds for an image digest: the SignedData, timestamped and nested as asked.
// `outer` is options.nest_into already parsed (--append reads it from the image), else nullopt.
Result<std::vector<std::byte>> signature_for(const Credentials& creds, const SignOptions& options,
                                             std::span<const std::byte> digest,
                                             const std::string& file,
                                             std::optional<SignedData> outer) {
  SignOptions numbered;
  const SignOptions* opts = &options;
  if (options.nest_into && !outer) {
    auto parsed = SignedData::parse(*options.nest_into, file);
    if (!parsed) return std::unexpected(parsed.error());
    outer = std::move(*parsed);
  }
  if (outer && !options.sequence_number) {
    // osslsigncode numbers nested signatures 1, 2, ...: the count of nested ones before + 1.
    auto nested = nested_ders(*outer);
    if (!nested) return std::unexpected(nested.error());
    numbered = options;
    numbered.sequence_number = static_cast<long>(nested->size()) + 1;
    opts = &numbered;
  }
  auto der = build_signed_data(creds, *opts, digest);
  if (!der) return std::unexpected(der.error().in_file(file));
  if (!options.timestamp && !outer) return der;
  auto sd = SignedData::parse(*der, file);
  if (!sd) return std::unexpected(sd.error());
  if (options.timestamp) {
    auto stamped = timestamp_signature(*sd, *options.timestamp, 0);
    if (!stamped) return std::unexpected(stamped.error());
    sd = std::move(*stamped);
  }
  if (outer) sd = outer->with_nested(*sd);
  if (!sd) return std::unexpected(sd.error());
  return sd->der();
}

// --append: the options with nest_into set to the image's primary signature, and the entries
// before and after it kept in `how` (nothing to do for an unsigned image). Returns the index the
// new signature gets in the numbering (the last of its entry), nullopt when nothing is appended.
Result<std::optional<std::size_t>> resolve_append(const SignableImage& img, SignOptions& options,
                                                  std::optional<SignedData>& outer,
                                                  image::Rewrite* how) {
  if (!options.append) return std::nullopt;
  auto slots = numbering::slots(img);
  if (!slots) return std::unexpected(slots.error());
  if (slots->empty()) return std::nullopt;
  const auto primary = numbering::primary(*slots);
  if (!primary) {
    const auto& first = slots->front();
    return input_error(
        fmt::format("{{append}} needs a signature to nest into, but no WIN_CERTIFICATE entry "
                    "holds a readable PKCS#7 signature ({})",
                    first.problem),
        img.path(), offset_str(first.offset),
        "sign without {append} to replace the certificate table, or unsign the file first");
  }
  const auto& slot = (*slots)[*primary];
  options.nest_into = slot.der;
  outer = slot.signature;
  std::size_t nested_index = slot.index;
  for (const auto& s : *slots) nested_index += s.entry == slot.entry;
  if (how) {
    std::size_t entries = 0;
    for (const auto& s : *slots) entries = std::max(entries, s.entry + 1);
    auto before = numbering::raw_entries(img, 0, slot.entry);
    if (!before) return std::unexpected(before.error());
    auto after = numbering::raw_entries(img, slot.entry + 1, entries);
    if (!after) return std::unexpected(after.error());
    how->kept_before = std::move(*before);
    how->kept_after = std::move(*after);
  }
  return nested_index;
}

// The signature value (SignerInfo encryptedDigest) of each readable PKCS#7 in `ders`: what
// identifies a signature across re-encodings (nesting one adds an unsigned attribute to the
// outer signature but leaves its value as it was).
std::vector<std::vector<std::byte>> signature_values(const std::vector<SignedData>& signatures) {
  std::vector<std::vector<std::byte>> out;
  for (const auto& sd : signatures)
    if (!sd.signature_value().empty()) out.push_back(ossl::copy(sd.signature_value()));
  return out;
}

// Attaching to a signed image replaces its primary entry, which is safe only when the new
// PKCS#7 still carries every signature of that entry (made with sign --detached-out --append
// on this file); the other entries are kept as they are. Anything else would drop signatures:
// refused.
Status keep_existing_signatures(const SignableImage& img,
                                const std::vector<SignedData>& new_signatures,
                                const std::string& signature_file, image::Rewrite& how) {
  auto slots = numbering::slots(img);
  if (!slots) return std::unexpected(slots.error());
  if (slots->empty()) return {};
  const auto primary = numbering::primary(*slots);
  std::vector<SignedData> in_entry;
  std::size_t entry = 0;
  std::size_t in_entry_count = 0;
  if (primary) {
    entry = (*slots)[*primary].entry;
    for (const auto& s : *slots) {
      if (s.entry != entry || s.der.empty()) continue;
      ++in_entry_count;
      if (s.signature) in_entry.push_back(*s.signature);
    }
  }
  const auto carried = signature_values(new_signatures);
  const auto existing = signature_values(in_entry);
  std::size_t missing = primary ? 0 : slots->size();
  for (const auto& v : existing)
    if (std::ranges::find(carried, v) == carried.end()) ++missing;
  missing += in_entry_count - existing.size();  // unreadable ones cannot be shown to be kept
  if (missing > 0) {
    return input_error(
        fmt::format("the file already has {} signature{}, {} of which {} not in {}: attaching "
                    "it would drop {}",
                    slots->size(), slots->size() == 1 ? "" : "s", missing,
                    missing == 1 ? "is" : "are", signature_file, missing == 1 ? "it" : "them"),
        img.path(), "certificate table",
        "to add a signature, make it on this file with wslplug sign {detached_out} {append}; "
        "to replace the signatures on purpose, run wslplug unsign first");
  }
  std::size_t entries = 0;
  for (const auto& s : *slots) entries = std::max(entries, s.entry + 1);
  auto before = numbering::raw_entries(img, 0, entry);
  if (!before) return std::unexpected(before.error());
  auto after = numbering::raw_entries(img, entry + 1, entries);
  if (!after) return std::unexpected(after.error());
  how.kept_before = std::move(*before);
  how.kept_after = std::move(*after);
  return {};
}

}  // namespace

Result<SignResult> sign_file(const fs::path& input, const fs::path& output,
                             const Credentials& creds, const SignOptions& options_in,
                             const OutputOptions& out) {
  auto img = open_image(input);
  if (!img) return std::unexpected(img.error());
  SignOptions options = options_in;
  std::optional<SignedData> outer;
  image::Rewrite how{options.digest, [&](std::span<const std::byte> digest) {
                       return signature_for(creds, options, digest, input.string(), outer);
                     }};
  auto nested_index = resolve_append(*img, options, outer, &how);
  if (!nested_index) return std::unexpected(nested_index.error());
  auto r = image::rewrite(*img, output, how, out);
  if (r) r->nested_index = *nested_index;
  return r;
}

Result<DetachedSignature> sign_detached(const fs::path& input, const Credentials& creds,
                                        const SignOptions& options_in) {
  auto img = open_image(input);
  if (!img) return std::unexpected(img.error());
  SignOptions options = options_in;
  std::optional<SignedData> outer;
  auto nested_index = resolve_append(*img, options, outer, nullptr);
  if (!nested_index) return std::unexpected(nested_index.error());
  auto digest = image::digest(*img, options.digest);
  if (!digest) return std::unexpected(digest.error());
  auto der = signature_for(creds, options, *digest, input.string(), outer);
  if (!der) return std::unexpected(der.error());
  return DetachedSignature{std::move(*der), *nested_index};
}

Result<SignResult> replace_entry_signature(const fs::path& input, const fs::path& output,
                                           std::size_t entry, std::span<const std::byte> pkcs7_der,
                                           const OutputOptions& out) {
  if (auto top = der::read_all(pkcs7_der); !top || top->tag != der::kSequence)
    return input_error("the signature is not one DER-encoded PKCS#7 ContentInfo", input.string(),
                       "signature data", "pass a DER PKCS#7 SignedData (e.g. from extract)");
  auto img = open_image(input);
  if (!img) return std::unexpected(img.error());
  auto entries = img->checked_certificate_entries();
  if (!entries) return std::unexpected(entries.error());
  image::Rewrite how{std::nullopt, [&](std::span<const std::byte>) {
                       return Result<std::vector<std::byte>>(ossl::copy(pkcs7_der));
                     }};
  if (entry < entries->size()) {
    auto before = numbering::raw_entries(*img, 0, entry);
    if (!before) return std::unexpected(before.error());
    auto after = numbering::raw_entries(*img, entry + 1, entries->size());
    if (!after) return std::unexpected(after.error());
    how.kept_before = std::move(*before);
    how.kept_after = std::move(*after);
  }
  return image::rewrite(*img, output, how, out);
}

Result<SignResult> attach_signature(const fs::path& input, const fs::path& output,
                                    std::span<const std::byte> pkcs7_der,
                                    const std::string& signature_file, const OutputOptions& out) {
  auto signature = SignedData::parse(pkcs7_der, signature_file);
  if (!signature) return std::unexpected(signature.error());
  auto claimed = signature->indirect_digest();
  if (!claimed) return std::unexpected(claimed.error());
  // The signature itself (and each nested one) must verify before anything is written.
  std::vector<SignedData> all{*signature};
  for (const auto& step : walk_nested(*signature)) {
    if (step.signature == nullptr) return std::unexpected(*step.error);
    if (step.error != nullptr) {
      auto e = *step.error;
      e.where = fmt::format("nested signature {}", all.size());
      return std::unexpected(std::move(e));
    }
    all.push_back(*step.signature->signature);
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto problems = integrity_problems(all[i].impl().pkcs7());
    if (problems.empty()) continue;
    std::string why;
    for (const auto& p : problems) why += (why.empty() ? "" : "; ") + p;
    return input_error(
        fmt::format("the {} does not verify: {}",
                    i == 0 ? std::string("signature") : fmt::format("nested signature {}", i), why),
        signature_file, i == 0 ? "SignerInfo" : fmt::format("nested signature {}", i),
        "the signature was damaged or made with a certificate not meant for code signing: "
        "re-create it on the signing host (wslplug sign {detached_out}) with a code-signing "
        "certificate; nothing was written");
  }
  auto img = open_image(input);
  if (!img) return std::unexpected(img.error());
  // The digest is checked after the pass that computes it and before the output is committed.
  image::Rewrite how{
      claimed->algorithm, [&](std::span<const std::byte> actual) -> Result<std::vector<std::byte>> {
        if (std::ranges::equal(actual, claimed->digest)) return ossl::copy(pkcs7_der);
        return input_error(
            fmt::format(
                "the signature is for another file: it signs {} digest {}, the file's is {}",
                digest_name(claimed->algorithm), ossl::hex_upper(claimed->digest),
                ossl::hex_upper(actual)),
            input.string(), "Authenticode digest (SpcIndirectDataContent.messageDigest)",
            fmt::format("attach {} to the exact file it was made for (sign {{detached_out}} on "
                        "the same bytes); rebuilding changes the digest",
                        signature_file));
      }};
  if (auto st = keep_existing_signatures(*img, all, signature_file, how); !st)
    return std::unexpected(st.error());
  // digest_hex: the image digest, which the pass found equal to the one signed.
  return image::rewrite(*img, output, how, out);
}

Result<SignResult> write_signature(const fs::path& input, const fs::path& output,
                                   std::span<const std::byte> pkcs7_der, const OutputOptions& out) {
  if (auto top = der::read_all(pkcs7_der); !top || top->tag != der::kSequence)
    return input_error("the signature is not one DER-encoded PKCS#7 ContentInfo", input.string(),
                       "signature data", "pass a DER PKCS#7 SignedData (e.g. from extract)");
  auto img = open_image(input);
  if (!img) return std::unexpected(img.error());
  const image::Rewrite how{std::nullopt, [&](std::span<const std::byte>) {
                             return Result<std::vector<std::byte>>(ossl::copy(pkcs7_der));
                           }};
  return image::rewrite(*img, output, how, out);
}

Status unsign_file(const fs::path& input, const fs::path& output, const OutputOptions& out) {
  auto img = open_image(input);
  if (!img) return std::unexpected(img.error());
  auto r = image::rewrite(*img, output, image::Rewrite{}, out);
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<std::vector<std::byte>> image_digest(const fs::path& path, DigestAlgorithm alg) {
  auto img = open_image(path);
  if (!img) return std::unexpected(img.error());
  return image::digest(*img, alg);
}

Result<std::vector<std::vector<std::byte>>> embedded_signatures(const fs::path& path) {
  auto img = open_image(path);
  if (!img) return std::unexpected(img.error());
  if (auto e = img->checked_certificate_entries(); !e) return std::unexpected(e.error());
  auto entries = image::signature_entries(*img);
  if (!entries) return std::unexpected(entries.error());
  std::vector<std::vector<std::byte>> out;
  for (auto& e : *entries) {
    if (e.der.empty() && e.header.data_length() > 0) {
      auto raw = img->file().read_vec(e.header.data_offset(), e.header.data_length());
      if (!raw) return std::unexpected(raw.error());
      e.der = std::move(*raw);  // not a signature: the entry's bytes as they are
    }
    out.push_back(std::move(e.der));
  }
  return out;
}

Result<std::vector<std::byte>> embedded_signature(const fs::path& path) {
  auto img = open_image(path);
  if (!img) return std::unexpected(img.error());
  if (auto e = img->checked_certificate_entries(); !e) return std::unexpected(e.error());
  auto entries = image::signature_entries(*img);
  if (!entries) return std::unexpected(entries.error());
  if (entries->empty())
    return input_error("the file is not signed (no certificate table)", img->path(),
                       "DataDirectory[4] (certificate table)",
                       "sign it first: wslplug sign FILE {cert} ... {key} ...");
  for (auto& e : *entries) {
    if (e.header.revision != pe::kWinCertRevision2 ||
        e.header.type != pe::kWinCertTypePkcsSignedData || !e.problem.empty())
      continue;
    if (auto check = SignedData::parse(e.der, img->path()); !check) {
      auto err = check.error();
      err.where = fmt::format("{} (WIN_CERTIFICATE data)", offset_str(e.header.data_offset()));
      return std::unexpected(std::move(err));
    }
    return std::move(e.der);
  }
  return input_error("the certificate table has no PKCS#7 Authenticode entry", img->path(),
                     offset_str((*entries)[0].header.offset),
                     "the table holds only other certificate types; sign the file");
}

Result<IndirectDigest> indirect_data_digest(std::span<const std::byte> pkcs7_der,
                                            const std::string& file) {
  auto sd = SignedData::parse(pkcs7_der, file);
  if (!sd) return std::unexpected(sd.error());
  return sd->indirect_digest();
}

Result<std::vector<std::byte>> read_signature_file(const fs::path& path) {
  auto data = read_file(path, 16u << 20);
  if (!data) return std::unexpected(data.error());
  const std::string file = path.string();
  if (ossl::chars(*data).find("-----BEGIN ") != std::string_view::npos) {
    ossl::BioPtr bio(BIO_new_mem_buf(data->data(), static_cast<int>(data->size())));
    ossl::Pkcs7Ptr p7(bio ? PEM_read_bio_PKCS7(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!p7)
      return input_error(
          "not a PEM PKCS#7 (expected '-----BEGIN PKCS7-----'): " + ossl::take_errors(), file,
          "offset 0x0", "give the signature as DER or PEM PKCS#7 (wslplug sign {detached_out})");
    *data = ossl::to_der(p7.get(), i2d_PKCS7);
  }
  auto sd = SignedData::parse(*data, file);
  if (!sd) return std::unexpected(sd.error());
  return sd->der();
}

Result<std::string> pkcs7_der_to_pem(std::span<const std::byte> der) {
  auto sd = SignedData::parse(der, {});
  if (!sd) return std::unexpected(sd.error());
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS7(bio.get(), sd->impl().pkcs7()) != 1)
    return internal_error("cannot write PEM: " + ossl::take_errors());
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, static_cast<std::size_t>(n));
}

}  // namespace wslplug::signing
