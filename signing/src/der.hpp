// A minimal DER writer and reader for the Authenticode structures wslplug builds and checks
// byte for byte (SpcIndirectDataContent, signed attributes, SignedData). Internal.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace wslplug::signing::der {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kBoolean = 0x01;
inline constexpr std::uint8_t kInteger = 0x02;
inline constexpr std::uint8_t kBitString = 0x03;
inline constexpr std::uint8_t kOctetString = 0x04;
inline constexpr std::uint8_t kNull = 0x05;
inline constexpr std::uint8_t kOid = 0x06;
inline constexpr std::uint8_t kUtcTime = 0x17;
inline constexpr std::uint8_t kSequence = 0x30;
inline constexpr std::uint8_t kSet = 0x31;
// Context-specific tags: [n] constructed / primitive.
constexpr std::uint8_t ctx_cons(int n) { return static_cast<std::uint8_t>(0xa0 | n); }
constexpr std::uint8_t ctx_prim(int n) { return static_cast<std::uint8_t>(0x80 | n); }

// tag + length + content.
Bytes tlv(std::uint8_t tag, std::span<const std::uint8_t> content);
// Concatenation of already encoded elements.
Bytes cat(std::initializer_list<std::span<const std::uint8_t>> parts);
inline Bytes seq(std::initializer_list<std::span<const std::uint8_t>> parts) {
  return tlv(kSequence, cat(parts));
}
// A DER SET OF: elements sorted by their encodings (X.690 11.6).
Bytes set_of(std::vector<Bytes> elements);
// OID from dotted text ("1.3.6.1.4.1.311.2.1.4").
Bytes oid(std::string_view dotted);
Bytes null();
Bytes octets(std::span<const std::uint8_t> data);
Bytes integer_small(unsigned value);

// A parsed element. `whole` spans tag..end, `content` the value bytes.
struct Element {
  std::uint8_t tag = 0;
  std::span<const std::uint8_t> content;
  std::span<const std::uint8_t> whole;
};

// Reads one element at the front of `in` and advances it. nullopt on malformed input (bad
// length, indefinite length, multi-byte tags, overrun).
std::optional<Element> read(std::span<const std::uint8_t>& in);
// Reads exactly one element spanning all of `in`.
std::optional<Element> read_all(std::span<const std::uint8_t> in);
// Dotted text of an OID element's content ("" when malformed).
std::string oid_text(std::span<const std::uint8_t> content);

}  // namespace wslplug::signing::der
