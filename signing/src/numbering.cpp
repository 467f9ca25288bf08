// The one numbering of signatures shared by verify, extract, timestamp, sign --append and doctor.
#include "numbering.hpp"

#include <fmt/format.h>

#include "image.hpp"
#include "ossl.hpp"
#include "wslplug/signing/nested.hpp"

namespace wslplug::signing {

namespace numbering {

namespace {

// Signatures nested inside nested ones are numbered too: depth first, each followed at once by
// its own nested ones (the order of nested_pkcs7), at most kMaxDepth levels deep.
constexpr int kMaxDepth = 32;
void add_nested(PKCS7* p7, std::size_t outer, std::size_t entry, std::uint64_t offset,
                const std::string& file, int depth, std::vector<SignatureSlot>& out) {
  auto nested = nested_signatures(ossl::first_signer(p7));
  const auto next_nested = [&] {
    std::size_t first = out.size();
    while (first > 0 && out[first - 1].entry == entry && out[first - 1].nested != 0) --first;
    return out.size() - first + 1;  // slots of this entry so far, after its own signature
  };
  if (!nested || (!nested->empty() && depth >= kMaxDepth)) {
    SignatureSlot bad;
    bad.index = out.size();
    bad.entry = entry;
    bad.nested = next_nested();
    bad.offset = offset;
    bad.problem = !nested ? fmt::format("the nested signatures of signature {} cannot be read: {}",
                                        outer, nested.error().message)
                          : fmt::format(
                                "signature {} has signatures nested more than {} levels "
                                "deep",
                                outer, kMaxDepth);
    out.push_back(std::move(bad));
    return;
  }
  for (std::size_t n = 0; n < nested->size(); ++n) {
    SignatureSlot ns;
    ns.index = out.size();
    ns.entry = entry;
    ns.nested = next_nested();
    ns.offset = offset;
    auto check = ossl::parse_signed_data((*nested)[n], file);
    if (!check) {
      ns.problem = fmt::format("nested signature {} of signature {} cannot be read: {}", n + 1,
                               outer, check.error().message);
      out.push_back(std::move(ns));
      continue;
    }
    ns.der = std::move((*nested)[n]);
    const std::size_t self = ns.index;
    out.push_back(std::move(ns));
    add_nested(check->get(), self, entry, offset, file, depth + 1, out);
  }
}

}  // namespace

Result<std::vector<SignatureSlot>> slots(const pe::Image& image) {
  auto entries = image::signature_entries(image);
  if (!entries) return std::unexpected(entries.error());
  std::vector<SignatureSlot> out;
  for (std::size_t e = 0; e < entries->size(); ++e) {
    auto& entry = (*entries)[e];
    SignatureSlot slot;
    slot.index = out.size();
    slot.entry = e;
    slot.revision = entry.header.revision;
    slot.type = entry.header.type;
    slot.offset = entry.header.offset;
    slot.unsigned_data = std::move(entry.unsigned_data);
    if (!entry.problem.empty()) {
      slot.problem = std::move(entry.problem);
      out.push_back(std::move(slot));
      continue;
    }
    auto p7 = ossl::parse_signed_data(entry.der, image.path());
    if (!p7) {
      slot.problem = fmt::format("the PKCS#7 data of the WIN_CERTIFICATE at {} cannot be read: {}",
                                 offset_str(entry.header.offset), p7.error().message);
      out.push_back(std::move(slot));
      continue;
    }
    slot.der = std::move(entry.der);
    out.push_back(std::move(slot));
    add_nested(p7->get(), out.back().index, e, entry.header.offset, image.path(), 0, out);
  }
  return out;
}

std::optional<std::size_t> primary(const std::vector<SignatureSlot>& slots) {
  for (const auto& s : slots)
    if (s.nested == 0 && !s.der.empty() && s.revision == pe::kWinCertRevision2 &&
        s.type == pe::kWinCertTypePkcsSignedData)
      return s.index;
  return std::nullopt;
}

Result<std::vector<std::byte>> raw_entries(const pe::Image& image, std::size_t first,
                                           std::size_t last) {
  auto entries = image.checked_certificate_entries();
  if (!entries) return std::unexpected(entries.error());
  std::vector<std::byte> out;
  for (std::size_t i = first; i < last && i < entries->size(); ++i) {
    const auto& e = (*entries)[i];
    auto bytes = image.file().read_vec(e.offset, e.length);
    if (!bytes) return std::unexpected(bytes.error());
    out.insert(out.end(), bytes->begin(), bytes->end());
    out.resize((out.size() + 7) & ~std::size_t{7});
  }
  return out;
}

}  // namespace numbering

Result<std::vector<SignatureSlot>> signature_slots(const fs::path& path) {
  auto img = pe::Image::open(path);
  if (!img) return std::unexpected(img.error());
  return numbering::slots(*img);
}

Result<SignatureSlot> signature_at(const fs::path& path, std::size_t index) {
  auto all = signature_slots(path);
  if (!all) return std::unexpected(all.error());
  if (all->empty())
    return input_error("the file is not signed (no certificate table)", path.string(),
                       "DataDirectory[4] (certificate table)",
                       "sign it first: wslplug sign FILE --cert ... --key ...");
  if (index >= all->size())
    return input_error(
        fmt::format("there is no signature with index {}: the file has {} (0 to {}, numbered as "
                    "`wslplug verify` lists them)",
                    index, all->size(), all->size() - 1),
        path.string(), "--index",
        fmt::format("pass an index from 0 to {} (wslplug verify {} lists them)", all->size() - 1,
                    path.string()));
  auto& slot = (*all)[index];
  if (slot.der.empty())
    return input_error(fmt::format("signature {} cannot be used: {}", index, slot.problem),
                       path.string(), offset_str(slot.offset),
                       "pick another --index (wslplug verify lists them), or re-sign the file");
  return std::move(slot);
}

}  // namespace wslplug::signing
