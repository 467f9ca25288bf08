// Detached signatures: claimed digest, signature files, embedded signature, writing an image
// with a given signature (see wslplug/detached.hpp).
#include "wslplug/signing/detached.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "timestamp_ossl.hpp"

namespace wslplug::signing {

using namespace ts_detail;

namespace {
constexpr const char* kOidIndirectData = "1.3.6.1.4.1.311.2.1.4";
constexpr std::uint64_t kChunk = 1u << 20;
}  // namespace

Result<IndirectDigest> indirect_data_digest(std::span<const std::byte> pkcs7_der,
                                            const std::string& file) {
  auto p7 = parse_signed_data(pkcs7_der, file);
  if (!p7) return std::unexpected(p7.error());
  PKCS7* contents = (*p7)->d.sign->contents;
  char type[80] = "";
  if (contents != nullptr && contents->type != nullptr)
    OBJ_obj2txt(type, sizeof type, contents->type, 1);
  if (contents == nullptr || std::strcmp(type, kOidIndirectData) != 0)
    return input_error(fmt::format("the signed content is {} , not SpcIndirectDataContent ({})",
                                   *type ? type : "missing", kOidIndirectData),
                       file, "contentInfo.contentType",
                       "give an Authenticode signature of a PE file");
  const ASN1_TYPE* other = contents->d.other;
  if (other == nullptr || other->type != V_ASN1_SEQUENCE || other->value.sequence == nullptr)
    return input_error("SpcIndirectDataContent is not a SEQUENCE", file, "contentInfo.content",
                       "give an Authenticode signature of a PE file");
  const unsigned char* p = ASN1_STRING_get0_data(other->value.sequence);
  const unsigned char* end = p + ASN1_STRING_length(other->value.sequence);
  long len = 0;
  int tag = 0;
  int cls = 0;
  auto bad = [&](const char* what) {
    ERR_clear_error();
    return input_error(fmt::format("malformed SpcIndirectDataContent: {}", what), file,
                       "SpcIndirectDataContent.messageDigest",
                       "re-create the signature (it is damaged)");
  };
  if (ASN1_get_object(&p, &len, &tag, &cls, end - p) & 0x80 || tag != V_ASN1_SEQUENCE)
    return bad("not a SEQUENCE");
  // Skip `data` (SpcAttributeTypeAndOptionalValue).
  const unsigned char* q = p;
  if (ASN1_get_object(&q, &len, &tag, &cls, end - p) & 0x80 || q + len > end)
    return bad("bad data element");
  p = q + len;
  X509SigPtr di(d2i_X509_SIG(nullptr, &p, end - p));
  if (!di) return bad("bad DigestInfo");
  const X509_ALGOR* alg = nullptr;
  const ASN1_OCTET_STRING* dig = nullptr;
  X509_SIG_get0(di.get(), &alg, &dig);
  auto a = digest_from_nid(OBJ_obj2nid(alg->algorithm));
  if (!a) {
    char buf[80] = "?";
    OBJ_obj2txt(buf, sizeof buf, alg->algorithm, 0);
    return input_error(fmt::format("digest algorithm {} is not supported", buf), file,
                       "SpcIndirectDataContent.messageDigest.digestAlgorithm",
                       "sign with sha1, sha256, sha384 or sha512");
  }
  return IndirectDigest{
      *a, to_bytes(ASN1_STRING_get0_data(dig), static_cast<std::size_t>(ASN1_STRING_length(dig)))};
}

Result<std::vector<std::byte>> read_signature_file(const std::filesystem::path& path) {
  auto data = read_file(path, 16u << 20);
  if (!data) return std::unexpected(data.error());
  const std::string file = path.string();
  std::string_view text(reinterpret_cast<const char*>(data->data()), data->size());
  if (text.find("-----BEGIN ") != std::string_view::npos) {
    BioPtr bio(BIO_new_mem_buf(data->data(), static_cast<int>(data->size())));
    Pkcs7Ptr p7(bio ? PEM_read_bio_PKCS7(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!p7)
      return input_error(
          "not a PEM PKCS#7 (expected '-----BEGIN PKCS7-----'): " + ossl::take_errors(), file,
          "offset 0x0", "give the signature as DER or PEM PKCS#7 (wslplug sign --detached-out)");
    auto der = i2d_bytes(p7.get(), i2d_PKCS7);
    if (auto check = parse_signed_data(der, file); !check) return std::unexpected(check.error());
    return der;
  }
  if (auto check = parse_signed_data(*data, file); !check) return std::unexpected(check.error());
  auto len = der_object_length(*data);
  if (len) data->resize(*len);
  return std::move(*data);
}

Result<std::string> pkcs7_der_to_pem(std::span<const std::byte> der) {
  auto p7 = parse_signed_data(der, {});
  if (!p7) return std::unexpected(p7.error());
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS7(bio.get(), p7->get()) != 1)
    return internal_error("cannot write PEM: " + ossl::take_errors());
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, static_cast<std::size_t>(n));
}

Result<std::vector<std::byte>> embedded_signature(const pe::Image& image) {
  auto entries = image.checked_certificate_entries();
  if (!entries) return std::unexpected(entries.error());
  if (entries->empty())
    return input_error("the file is not signed (no certificate table)", image.path(),
                       "DataDirectory[4] (certificate table)",
                       "sign it first: wslplug sign FILE --cert ... --key ...");
  for (const auto& e : *entries) {
    if (e.revision != pe::kWinCertRevision2 || e.type != pe::kWinCertTypePkcsSignedData) continue;
    auto data = image.file().read_vec(e.data_offset(), e.data_length());
    if (!data) return std::unexpected(data.error());
    auto check = parse_signed_data(*data, image.path());
    if (!check) {
      auto err = check.error();
      err.where = fmt::format("{} (WIN_CERTIFICATE data)", offset_str(e.data_offset()));
      return std::unexpected(std::move(err));
    }
    if (auto len = der_object_length(*data)) data->resize(*len);
    return std::move(*data);
  }
  return input_error("the certificate table has no PKCS#7 Authenticode entry", image.path(),
                     offset_str((*entries)[0].offset),
                     "the table holds only other certificate types; sign the file");
}

Status write_signed_image(const pe::Image& input, const std::filesystem::path& output,
                          std::span<const std::byte> pkcs7_der, const OutputOptions& out) {
  const auto& l = input.layout();
  if (!l.cert_dir_offset)
    return input_error(
        "the image has no certificate directory slot (fewer than 5 data "
        "directories)",
        input.path(), "OptionalHeader.NumberOfRvaAndSizes",
        "relink the DLL with a standard linker (MinGW, lld-link, MSVC)");
  if (l.has_cert_table()) {
    auto entries = input.checked_certificate_entries();
    if (!entries) return std::unexpected(entries.error());
  }
  const std::uint64_t base_end = l.signed_data_end();
  const std::uint64_t pad = (8 - base_end % 8) % 8;
  const std::uint64_t table_off = base_end + pad;
  const std::uint64_t entry_len = 8 + pkcs7_der.size();
  const std::uint64_t padded_len = (entry_len + 7) / 8 * 8;
  if (table_off > 0xffffffffu || padded_len > 0xffffffffu)
    return input_error("the signed image would exceed 4 GiB", input.path(), {},
                       "PE certificate tables need 32-bit offsets");
  const std::uint64_t total = table_off + padded_len;

  std::array<std::byte, 8> dir{};
  pe::put_le32(dir.data(), static_cast<std::uint32_t>(table_off));
  pe::put_le32(dir.data() + 4, static_cast<std::uint32_t>(padded_len));
  const std::uint64_t dir_off = *l.cert_dir_offset;

  auto sink = AtomicOutput::create(output, out);
  if (!sink) return std::unexpected(sink.error());
  pe::ChecksumAccumulator sum(l.checksum_offset);
  std::vector<std::byte> buf;
  for (std::uint64_t pos = 0; pos < base_end; pos += buf.size()) {
    const auto n = static_cast<std::size_t>(std::min(kChunk, base_end - pos));
    buf.resize(n);
    if (auto st = input.file().read_at(pos, buf); !st) return st;
    for (std::uint64_t i = 0; i < dir.size(); ++i)
      if (dir_off + i >= pos && dir_off + i < pos + n) buf[dir_off + i - pos] = dir[i];
    sum.add(pos, buf);
    if (auto st = sink->write(buf); !st) return st;
  }
  std::vector<std::byte> tail(static_cast<std::size_t>(pad + padded_len), std::byte{0});
  std::byte* hdr = tail.data() + pad;
  pe::put_le32(hdr, static_cast<std::uint32_t>(padded_len));
  pe::put_le16(hdr + 4, pe::kWinCertRevision2);
  pe::put_le16(hdr + 6, pe::kWinCertTypePkcsSignedData);
  std::copy(pkcs7_der.begin(), pkcs7_der.end(), hdr + 8);
  sum.add(base_end, tail);
  if (auto st = sink->write(tail); !st) return st;
  std::array<std::byte, 4> ck{};
  pe::put_le32(ck.data(), sum.finish(total));
  if (auto st = sink->write_at(l.checksum_offset, ck); !st) return st;
  return sink->commit();
}

}  // namespace wslplug::signing
