#include "der.hpp"

#include <algorithm>
#include <charconv>

namespace wslplug::signing::der {

namespace {
constexpr std::byte b(unsigned v) { return static_cast<std::byte>(v & 0xff); }
constexpr unsigned u(std::byte v) { return std::to_integer<unsigned>(v); }
}  // namespace

Bytes tlv(std::uint8_t tag, std::span<const std::byte> content) {
  Bytes out;
  out.reserve(content.size() + 6);
  out.push_back(b(tag));
  const std::size_t n = content.size();
  if (n < 0x80) {
    out.push_back(b(static_cast<unsigned>(n)));
  } else {
    std::byte len[8];
    int k = 0;
    for (std::size_t v = n; v; v >>= 8) len[k++] = b(static_cast<unsigned>(v & 0xff));
    out.push_back(b(0x80u | static_cast<unsigned>(k)));
    while (k) out.push_back(len[--k]);
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes cat(std::initializer_list<std::span<const std::byte>> parts) {
  Bytes out;
  std::size_t total = 0;
  for (auto p : parts) total += p.size();
  out.reserve(total);
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes set_of(std::vector<Bytes> elements) {
  std::sort(elements.begin(), elements.end(), [](const Bytes& x, const Bytes& y) {
    // Compare as octet strings, the shorter padded with trailing zeros (X.690 11.6).
    const std::size_t n = std::max(x.size(), y.size());
    for (std::size_t i = 0; i < n; ++i) {
      const unsigned p = i < x.size() ? u(x[i]) : 0, q = i < y.size() ? u(y[i]) : 0;
      if (p != q) return p < q;
    }
    return x.size() < y.size();
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
    std::byte tmp[10];
    int k = 0;
    tmp[k++] = b(static_cast<unsigned>(v & 0x7f));
    for (v >>= 7; v; v >>= 7) tmp[k++] = b(0x80u | static_cast<unsigned>(v & 0x7f));
    while (k) content.push_back(tmp[--k]);
  };
  if (arcs.size() >= 2) {
    put(arcs[0] * 40 + arcs[1]);
    for (std::size_t i = 2; i < arcs.size(); ++i) put(arcs[i]);
  }
  return tlv(kOid, content);
}

Bytes null() { return {b(kNull), b(0)}; }

Bytes octets(std::span<const std::byte> data) { return tlv(kOctetString, data); }

Bytes integer_small(unsigned value) {
  Bytes content;
  do {
    content.insert(content.begin(), b(value & 0xff));
    value >>= 8;
  } while (value);
  if (u(content.front()) & 0x80) content.insert(content.begin(), b(0));
  return tlv(kInteger, content);
}

std::span<const std::byte> text(std::string_view s) { return std::as_bytes(std::span(s)); }

std::optional<Element> read(std::span<const std::byte>& in) {
  if (in.size() < 2) return std::nullopt;
  const auto tag = static_cast<std::uint8_t>(u(in[0]));
  if ((tag & 0x1f) == 0x1f) return std::nullopt;  // multi-byte tags are not used here
  std::size_t pos = 2;
  std::size_t len = u(in[1]);
  if (len & 0x80) {
    const std::size_t k = len & 0x7f;
    if (k == 0 || k > 4 || in.size() < 2 + k) return std::nullopt;  // indefinite or huge
    len = 0;
    for (std::size_t i = 0; i < k; ++i) len = (len << 8) | u(in[2 + i]);
    pos += k;
  }
  if (len > in.size() - pos) return std::nullopt;
  Element e{tag, in.subspan(pos, len), in.subspan(0, pos + len)};
  in = in.subspan(pos + len);
  return e;
}

std::optional<Element> read_all(std::span<const std::byte> in) {
  auto e = read(in);
  if (!e || !in.empty()) return std::nullopt;
  return e;
}

std::optional<std::span<const std::byte>> first(std::span<const std::byte> in) {
  auto e = read(in);
  if (!e) return std::nullopt;
  return e->whole;
}

std::string oid_text(std::span<const std::byte> content) {
  std::string out;
  std::uint64_t v = 0;
  bool first_arc = true;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const unsigned c = u(content[i]);
    v = (v << 7) | (c & 0x7f);
    if (v >> 56) return {};
    if (!(c & 0x80)) {
      if (first_arc) {
        const std::uint64_t a = v < 80 ? v / 40 : 2;
        out = std::to_string(a) + "." + std::to_string(v - a * 40);
        first_arc = false;
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
