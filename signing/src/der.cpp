#include "der.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace wslplug::signing::der {

Bytes tlv(std::uint8_t tag, std::span<const std::uint8_t> content) {
  Bytes out;
  out.reserve(content.size() + 6);
  out.push_back(tag);
  const std::size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    std::uint8_t len[8];
    int k = 0;
    for (std::size_t v = n; v; v >>= 8) len[k++] = static_cast<std::uint8_t>(v & 0xff);
    out.push_back(static_cast<std::uint8_t>(0x80 | k));
    while (k) out.push_back(len[--k]);
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes cat(std::initializer_list<std::span<const std::uint8_t>> parts) {
  Bytes out;
  std::size_t total = 0;
  for (auto p : parts) total += p.size();
  out.reserve(total);
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes set_of(std::vector<Bytes> elements) {
  std::sort(elements.begin(), elements.end(), [](const Bytes& a, const Bytes& b) {
    // Compare as octet strings, the shorter padded with trailing zeros (X.690 11.6).
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t x = i < a.size() ? a[i] : 0, y = i < b.size() ? b[i] : 0;
      if (x != y) return x < y;
    }
    return a.size() < b.size();
  });
  Bytes content;
  for (const auto& e : elements) content.insert(content.end(), e.begin(), e.end());
  return tlv(kSet, content);
}

Bytes oid(std::string_view dotted) {
  std::vector<std::uint64_t> arcs;
  while (!dotted.empty()) {
    auto dot = dotted.find('.');
    auto part = dotted.substr(0, dot);
    std::uint64_t v = 0;
    std::from_chars(part.data(), part.data() + part.size(), v);
    arcs.push_back(v);
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  Bytes content;
  auto put = [&](std::uint64_t v) {
    std::uint8_t tmp[10];
    int k = 0;
    tmp[k++] = static_cast<std::uint8_t>(v & 0x7f);
    for (v >>= 7; v; v >>= 7) tmp[k++] = static_cast<std::uint8_t>(0x80 | (v & 0x7f));
    while (k) content.push_back(tmp[--k]);
  };
  if (arcs.size() >= 2) {
    put(arcs[0] * 40 + arcs[1]);
    for (std::size_t i = 2; i < arcs.size(); ++i) put(arcs[i]);
  }
  return tlv(kOid, content);
}

Bytes null() { return {kNull, 0x00}; }

Bytes octets(std::span<const std::uint8_t> data) { return tlv(kOctetString, data); }

Bytes integer_small(unsigned value) {
  Bytes content;
  do {
    content.insert(content.begin(), static_cast<std::uint8_t>(value & 0xff));
    value >>= 8;
  } while (value);
  if (content.front() & 0x80) content.insert(content.begin(), 0);
  return tlv(kInteger, content);
}

std::optional<Element> read(std::span<const std::uint8_t>& in) {
  if (in.size() < 2) return std::nullopt;
  const std::uint8_t tag = in[0];
  if ((tag & 0x1f) == 0x1f) return std::nullopt;  // multi-byte tags are not used here
  std::size_t pos = 2;
  std::size_t len = in[1];
  if (len & 0x80) {
    const std::size_t k = len & 0x7f;
    if (k == 0 || k > 4 || in.size() < 2 + k) return std::nullopt;  // indefinite or huge
    len = 0;
    for (std::size_t i = 0; i < k; ++i) len = (len << 8) | in[2 + i];
    pos += k;
  }
  if (len > in.size() - pos) return std::nullopt;
  Element e{tag, in.subspan(pos, len), in.subspan(0, pos + len)};
  in = in.subspan(pos + len);
  return e;
}

std::optional<Element> read_all(std::span<const std::uint8_t> in) {
  auto e = read(in);
  if (!e || !in.empty()) return std::nullopt;
  return e;
}

std::string oid_text(std::span<const std::uint8_t> content) {
  std::string out;
  std::uint64_t v = 0;
  bool first = true;
  for (std::size_t i = 0; i < content.size(); ++i) {
    v = (v << 7) | (content[i] & 0x7f);
    if (v >> 56) return {};
    if (!(content[i] & 0x80)) {
      if (first) {
        const std::uint64_t a = v < 80 ? v / 40 : 2;
        out = std::to_string(a) + "." + std::to_string(v - a * 40);
        first = false;
      } else {
        out += "." + std::to_string(v);
      }
      v = 0;
    } else if (i + 1 == content.size()) {
      return {};
    }
  }
  return out;
}

}  // namespace wslplug::signing::der
