// A minimal DER writer and reader for the Authenticode structures wslplug builds and checks
// byte for byte (SpcIndirectDataContent, signed attributes, SignedData). The one DER walker of
// the library: lengths of encoded objects, padding after a signature and the indirect-data
// decoder all use read(). Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wslplug::signing::der {

using Bytes = std::vector<std::byte>;

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
Bytes tlv(std::uint8_t tag, std::span<const std::byte> content);
// Concatenation of already encoded elements.
Bytes cat(std::initializer_list<std::span<const std::byte>> parts);
inline Bytes seq(std::initializer_list<std::span<const std::byte>> parts) {
  return tlv(kSequence, cat(parts));
}
// A DER SET OF: elements sorted by their encodings (X.690 11.6).
Bytes set_of(std::vector<Bytes> elements);
// OID from dotted text ("1.3.6.1.4.1.311.2.1.4").
Bytes oid(std::string_view dotted);
Bytes null();
Bytes octets(std::span<const std::byte> data);
Bytes integer_small(unsigned value);
// Text bytes (ASCII / UTF-8 as they are).
std::span<const std::byte> text(std::string_view s);

// A parsed element. `whole` spans tag..end, `content` the value bytes.
struct Element {
  std::uint8_t tag = 0;
  std::span<const std::byte> content;
  std::span<const std::byte> whole;
};

// Reads one element at the front of `in` and advances it. nullopt on malformed input (bad
// length, indefinite length, multi-byte tags, overrun).
std::optional<Element> read(std::span<const std::byte>& in);
// Reads exactly one element spanning all of `in`.
std::optional<Element> read_all(std::span<const std::byte> in);
// The first element of `in` without what follows it (e.g. the zero padding after a PKCS#7 in
// a WIN_CERTIFICATE); nullopt when `in` does not start with a well-formed element.
std::optional<std::span<const std::byte>> first(std::span<const std::byte> in);
// Dotted text of an OID element's content ("" when malformed).
std::string oid_text(std::span<const std::byte> content);

}  // namespace wslplug::signing::der
