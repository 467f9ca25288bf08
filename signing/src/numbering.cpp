// The one numbering of signatures shared by verify, extract, timestamp, sign --append and doctor.
#include "numbering.hpp"

#include <fmt/format.h>

#include "image.hpp"
#include "signed_data_impl.hpp"
#include "wslplug/signing/field.hpp"

namespace wslplug::signing {

namespace numbering {

Result<std::vector<SignatureSlot>> slots(const SignableImage& image) {
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
    auto sd = SignedData::parse(entry.der, image.path());
    if (!sd) {
      slot.problem = fmt::format("the PKCS#7 data of the WIN_CERTIFICATE at {} cannot be read: {}",
                                 offset_str(entry.header.offset), sd.error().message);
      out.push_back(std::move(slot));
      continue;
    }
    slot.der = std::move(entry.der);
    slot.signature = std::move(*sd);
    const std::size_t base = out.size();  // the entry's own signature
    out.push_back(std::move(slot));
    // Its nested signatures at any depth, each followed at once by its own nested ones.
    const auto steps = walk_nested(*out[base].signature);
    std::vector<std::size_t> children(steps.size() + 1, 0);  // per signature of the walk so far
    for (const auto& step : steps) {
      SignatureSlot ns;
      ns.index = out.size();
      ns.entry = e;
      ns.nested = out.size() - base;
      ns.offset = entry.header.offset;
      const std::size_t outer = base + step.parent;
      if (step.signature == nullptr) {
        ns.problem = step.too_deep ? fmt::format(
                                         "signature {} has signatures nested more than {} levels "
                                         "deep",
                                         outer, kMaxNestingDepth)
                                   : fmt::format(
                                         "the nested signatures of signature {} cannot be "
                                         "read: {}",
                                         outer, step.error->message);
      } else if (step.error != nullptr) {
        ns.problem = fmt::format("nested signature {} of signature {} cannot be read: {}",
                                 children[step.parent] + 1, outer, step.error->message);
      } else {
        ns.der = step.signature->der;
        ns.signature = step.signature->signature;
      }
      if (step.signature != nullptr) ++children[step.parent];
      out.push_back(std::move(ns));
    }
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

Result<std::vector<std::byte>> raw_entries(const SignableImage& image, std::size_t first,
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
  auto img = PeSignable::open(path);
  if (!img) return std::unexpected(img.error());
  return numbering::slots(*img);
}

Result<SignatureSlot> signature_at(const fs::path& path, std::size_t index) {
  auto all = signature_slots(path);
  if (!all) return std::unexpected(all.error());
  if (all->empty())
    return input_error("the file is not signed (no certificate table)", path.string(),
                       "DataDirectory[4] (certificate table)",
                       "sign it first: wslplug sign FILE {cert} ... {key} ...");
  if (index >= all->size())
    return input_error(
        fmt::format("there is no signature with index {}: the file has {} (0 to {}, numbered as "
                    "`wslplug verify` lists them)",
                    index, all->size(), all->size() - 1),
        path.string(), field(Field::kIndex),
        fmt::format("pass an index from 0 to {} (wslplug verify {} lists them)", all->size() - 1,
                    path.string()));
  auto& slot = (*all)[index];
  if (slot.der.empty())
    return input_error(fmt::format("signature {} cannot be used: {}", index, slot.problem),
                       path.string(), offset_str(slot.offset),
                       "pick another {index} (wslplug verify lists them), or re-sign the file");
  return std::move(slot);
}

}  // namespace wslplug::signing
