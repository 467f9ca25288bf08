// Every object identifier the Authenticode code uses, declared once. Arrays of char, so a name
// works both as `const char*` (OBJ_txt2obj) and as std::string_view (comparisons, der::oid).
#pragma once

namespace wslplug::signing::oid {

// PKCS#7 content types.
inline constexpr char kData[] = "1.2.840.113549.1.7.1";
inline constexpr char kSignedData[] = "1.2.840.113549.1.7.2";
inline constexpr char kTstInfo[] = "1.2.840.113549.1.9.16.1.4";

// Authenticode (SPC) structures and attributes.
inline constexpr char kSpcIndirectData[] = "1.3.6.1.4.1.311.2.1.4";
inline constexpr char kSpcPeImageData[] = "1.3.6.1.4.1.311.2.1.15";
inline constexpr char kSpcStatementType[] = "1.3.6.1.4.1.311.2.1.11";
inline constexpr char kSpcSpOpusInfo[] = "1.3.6.1.4.1.311.2.1.12";
inline constexpr char kSpcIndividual[] = "1.3.6.1.4.1.311.2.1.21";
inline constexpr char kSpcCommercial[] = "1.3.6.1.4.1.311.2.1.22";
inline constexpr char kNestedSignature[] = "1.3.6.1.4.1.311.2.4.1";
inline constexpr char kRfc3161Timestamp[] = "1.3.6.1.4.1.311.3.3.1";

// PKCS#9 attributes.
inline constexpr char kContentType[] = "1.2.840.113549.1.9.3";
inline constexpr char kMessageDigest[] = "1.2.840.113549.1.9.4";
inline constexpr char kSigningTime[] = "1.2.840.113549.1.9.5";
inline constexpr char kSequenceNumber[] = "1.2.840.113549.1.9.25.4";

// Digest and signature algorithms.
inline constexpr char kSha1[] = "1.3.14.3.2.26";
inline constexpr char kSha256[] = "2.16.840.1.101.3.4.2.1";
inline constexpr char kSha384[] = "2.16.840.1.101.3.4.2.2";
inline constexpr char kSha512[] = "2.16.840.1.101.3.4.2.3";
inline constexpr char kRsaEncryption[] = "1.2.840.113549.1.1.1";
inline constexpr char kSha1WithRsa[] = "1.2.840.113549.1.1.5";
inline constexpr char kSha256WithRsa[] = "1.2.840.113549.1.1.11";
inline constexpr char kSha384WithRsa[] = "1.2.840.113549.1.1.12";
inline constexpr char kSha512WithRsa[] = "1.2.840.113549.1.1.13";
inline constexpr char kEcPublicKey[] = "1.2.840.10045.2.1";
inline constexpr char kEcdsaWithSha1[] = "1.2.840.10045.4.1";
inline constexpr char kEcdsaWithSha256[] = "1.2.840.10045.4.3.2";
inline constexpr char kEcdsaWithSha384[] = "1.2.840.10045.4.3.3";
inline constexpr char kEcdsaWithSha512[] = "1.2.840.10045.4.3.4";

}  // namespace wslplug::signing::oid
