// Hostile verification cases as one table: a file signed by wslplug, changed the way an attacker
// would (data hidden in the certificate table, WIN_CERTIFICATE header fields, SignedData fields
// no signature covers, broken certificate tables), the verdict and exit code `wslplug verify`
// must give, and what osslsigncode 2.9 says about the same file. Both are asserted, so the table
// documents both and a change in either fails here. Every file is made at test time.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "pki.hpp"
#include "support.hpp"
#include "wslplug/core/pe.hpp"

namespace wt = wslplug::test;
namespace pe = wslplug::pe;
using nlohmann::json;
using Bytes = std::vector<std::byte>;

namespace {

// ---- a small DER walker, to find the fields a case changes ----------------------------------
struct Tlv {
  std::size_t offset = 0;   // of the tag
  std::size_t content = 0;  // of the first content byte
  std::size_t length = 0;   // of the content
  [[nodiscard]] std::size_t end() const { return content + length; }
};

std::optional<Tlv> tlv_at(const Bytes& b, std::size_t off) {
  if (off + 2 > b.size()) return std::nullopt;
  std::size_t len = std::to_integer<std::size_t>(b[off + 1]);
  std::size_t hl = 2;
  if (len & 0x80) {
    const std::size_t n = len & 0x7f;
    if (n == 0 || n > 4 || off + 2 + n > b.size()) return std::nullopt;
    len = 0;
    for (std::size_t i = 0; i < n; ++i)
      len = (len << 8) | std::to_integer<std::size_t>(b[off + 2 + i]);
    hl += n;
  }
  return Tlv{off, off + hl, len};
}

std::vector<Tlv> children(const Bytes& b, const Tlv& parent) {
  std::vector<Tlv> out;
  for (std::size_t off = parent.content; off < parent.end();) {
    auto t = tlv_at(b, off);
    if (!t) break;
    out.push_back(*t);
    off = t->end();
  }
  return out;
}

// Where the fields of the first WIN_CERTIFICATE's PKCS#7 are, as file offsets.
struct Fields {
  std::size_t entry = 0;    // the WIN_CERTIFICATE header
  std::size_t der_end = 0;  // first byte after the DER
  Tlv sd_version, digest_algs, si_version, si_digest_alg, si_enc_alg;
};

Fields locate(const Bytes& file, const pe::Image& img) {
  Fields f;
  f.entry = img.layout().cert_table.address;
  const std::size_t der = f.entry + 8;
  auto ci = tlv_at(file, der);                    // ContentInfo
  auto ci_kids = children(file, *ci);             // contentType, [0]
  auto sd = tlv_at(file, ci_kids.at(1).content);  // SignedData
  auto sd_kids = children(file, *sd);             // version, algs, content, [0] certs, infos
  f.der_end = ci->end();
  f.sd_version = sd_kids.at(0);
  f.digest_algs = sd_kids.at(1);
  auto si = children(file, sd_kids.back()).at(0);  // the SignerInfo
  auto si_kids = children(file, si);  // version, issuerAndSerial, digestAlg, [0] attrs, encAlg, sig
  f.si_version = si_kids.at(0);
  f.si_digest_alg = si_kids.at(2);
  f.si_enc_alg = si_kids.at(4);
  return f;
}

void put32(Bytes& b, std::size_t off, std::uint32_t v) { pe::put_le32(b.data() + off, v); }
std::uint32_t get32(const Bytes& b, std::size_t off) { return pe::le32(b.data() + off); }

// The last byte of an AlgorithmIdentifier's OID and the first byte of its parameters.
std::size_t oid_last_byte(const Bytes& b, const Tlv& alg_id) {
  return children(b, alg_id).at(0).end() - 1;
}
std::size_t params_tag(const Bytes& b, const Tlv& alg_id) {
  return children(b, alg_id).at(1).offset;
}

enum class Ossl { kAccepts, kRefuses };

struct Case {
  std::string name;
  std::string how;  // what was done to the signed file
  std::function<void(Bytes&, const pe::Image&, const Fields&)> make;
  int exit_code;                     // wslplug verify
  std::vector<std::string> verdict;  // of signature 0; empty: file-level ok
  Ossl osslsigncode;                 // what osslsigncode verify says about the same file
};

// Grows the certificate table by `extra` bytes inside the (only) WIN_CERTIFICATE entry.
void grow_entry(Bytes& b, const pe::Image& img, const Fields& f, const Bytes& extra) {
  const auto dir = *img.layout().cert_dir_offset;
  b.insert(b.end(), extra.begin(), extra.end());
  put32(b, f.entry, get32(b, f.entry) + static_cast<std::uint32_t>(extra.size()));
  put32(b, dir + 4, get32(b, dir + 4) + static_cast<std::uint32_t>(extra.size()));
}

std::vector<Case> cases() {
  auto dir4 = [](const pe::Image& img) { return *img.layout().cert_dir_offset; };
  using B = Bytes;
  return {
      {"good",
       "signed by wslplug, unchanged",
       [](B&, const pe::Image&, const Fields&) {},
       0,
       {},
       Ossl::kAccepts},
      {"payload-1mib",
       "1 MiB of 0x41 appended inside the entry (dwLength and directory grown)",
       [](B& b, const pe::Image& img, const Fields& f) {
         grow_entry(b, img, f, B(1 << 20, std::byte{0x41}));
       },
       1,
       {"unsigned-data"},
       Ossl::kAccepts},
      {"zeros-past-padding",
       "64 zero bytes appended inside the entry",
       [](B& b, const pe::Image& img, const Fields& f) { grow_entry(b, img, f, B(64)); },
       1,
       {"unsigned-data"},
       Ossl::kAccepts},
      {"nonzero-padding",
       "the last alignment byte after the DER set to 0x01",
       [](B& b, const pe::Image&, const Fields& f) {
         b[f.entry + get32(b, f.entry) - 1] = std::byte{0x01};
       },
       1,
       {"unsigned-data"},
       Ossl::kAccepts},
      {"revision-0000",
       "wRevision 0x0000",
       [](B& b, const pe::Image&, const Fields& f) { pe::put_le16(b.data() + f.entry + 4, 0); },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"revision-0100",
       "wRevision 0x0100 (WIN_CERT_REVISION_1_0)",
       [](B& b, const pe::Image&, const Fields& f) {
         pe::put_le16(b.data() + f.entry + 4, 0x0100);
       },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"revision-ffff",
       "wRevision 0xFFFF",
       [](B& b, const pe::Image&, const Fields& f) {
         pe::put_le16(b.data() + f.entry + 4, 0xffff);
       },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"type-x509",
       "wCertificateType 0x0001 (WIN_CERT_TYPE_X509)",
       [](B& b, const pe::Image&, const Fields& f) { pe::put_le16(b.data() + f.entry + 6, 1); },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"type-ts-stack",
       "wCertificateType 0x0004 (WIN_CERT_TYPE_TS_STACK_SIGNED)",
       [](B& b, const pe::Image&, const Fields& f) { pe::put_le16(b.data() + f.entry + 6, 4); },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"signeddata-version-3",
       "SignedData.version 1 -> 3",
       [](B& b, const pe::Image&, const Fields& f) { b[f.sd_version.content] = std::byte{3}; },
       1,
       {"malformed"},
       Ossl::kAccepts},
      {"signerinfo-version-3",
       "SignerInfo.version 1 -> 3",
       [](B& b, const pe::Image&, const Fields& f) { b[f.si_version.content] = std::byte{3}; },
       1,
       {"malformed"},
       Ossl::kAccepts},
      {"digestalgorithms-sha384",
       "SignedData.digestAlgorithms sha256 -> sha384 (OID 2.1 -> 2.2)",
       [](B& b, const pe::Image&, const Fields& f) {
         b[oid_last_byte(b, children(b, f.digest_algs).at(0))] = std::byte{0x02};
       },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"digestalgorithms-params",
       "SignedData.digestAlgorithms parameters NULL -> empty OCTET STRING",
       [](B& b, const pe::Image&, const Fields& f) {
         b[params_tag(b, children(b, f.digest_algs).at(0))] = std::byte{0x04};
       },
       1,
       {"malformed"},
       Ossl::kAccepts},
      {"signer-digest-params",
       "SignerInfo.digestAlgorithm parameters NULL -> empty OCTET STRING",
       [](B& b, const pe::Image&, const Fields& f) {
         b[params_tag(b, f.si_digest_alg)] = std::byte{0x04};
       },
       1,
       {"malformed"},
       Ossl::kAccepts},
      {"encryption-sha256withrsa",
       "SignerInfo.digestEncryptionAlgorithm rsaEncryption -> sha256WithRSAEncryption (accepted, "
       "as Windows does)",
       [](B& b, const pe::Image&, const Fields& f) {
         b[oid_last_byte(b, f.si_enc_alg)] = std::byte{0x0b};
       },
       0,
       {},
       Ossl::kAccepts},
      {"encryption-sha384withrsa",
       "SignerInfo.digestEncryptionAlgorithm -> sha384WithRSAEncryption (not the signer's digest)",
       [](B& b, const pe::Image&, const Fields& f) {
         b[oid_last_byte(b, f.si_enc_alg)] = std::byte{0x0c};
       },
       1,
       {"malformed"},
       Ossl::kAccepts},
      {"encryption-md2withrsa",
       "SignerInfo.digestEncryptionAlgorithm -> md2WithRSAEncryption",
       [](B& b, const pe::Image&, const Fields& f) {
         b[oid_last_byte(b, f.si_enc_alg)] = std::byte{0x02};
       },
       1,
       {"malformed"},
       Ossl::kAccepts},
      {"encryption-params",
       "SignerInfo.digestEncryptionAlgorithm parameters NULL -> OCTET STRING",
       [](B& b, const pe::Image&, const Fields& f) {
         b[params_tag(b, f.si_enc_alg)] = std::byte{0x04};
       },
       1,
       {"malformed"},
       Ossl::kAccepts},
      {"table-beyond-eof",
       "directory size grown by 8 (the table ends past the file)",
       [dir4](B& b, const pe::Image& img, const Fields&) {
         put32(b, dir4(img) + 4, get32(b, dir4(img) + 4) + 8);
       },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"table-size-ffffffff",
       "directory size 0xFFFFFFFF",
       [dir4](B& b, const pe::Image& img, const Fields&) { put32(b, dir4(img) + 4, 0xffffffff); },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"table-wraps",
       "directory offset 0xFFFFFFF8 (offset + size wraps 32 bits)",
       [dir4](B& b, const pe::Image& img, const Fields&) { put32(b, dir4(img), 0xfffffff8); },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"table-into-text",
       "directory offset moved to the start of .text",
       [dir4](B& b, const pe::Image& img, const Fields&) {
         put32(b, dir4(img), img.layout().sections.at(0).raw_offset);
       },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"table-half-set",
       "directory offset 0, size kept",
       [dir4](B& b, const pe::Image& img, const Fields&) { put32(b, dir4(img), 0); },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"junk-after-table",
       "16 bytes appended after the table (directory unchanged)",
       [](B& b, const pe::Image&, const Fields&) { b.insert(b.end(), 16, std::byte{0x5a}); },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"junk-entry-in-table",
       "8 junk bytes appended to the table (directory grown by 8)",
       [dir4](B& b, const pe::Image& img, const Fields&) {
         b.insert(b.end(), 8, std::byte{0x5a});
         put32(b, dir4(img) + 4, get32(b, dir4(img) + 4) + 8);
       },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"dwlength-overrun",
       "WIN_CERTIFICATE dwLength grown by 8 past the table",
       [](B& b, const pe::Image&, const Fields& f) { put32(b, f.entry, get32(b, f.entry) + 8); },
       1,
       {"malformed"},
       Ossl::kRefuses},
      {"dwlength-4",
       "WIN_CERTIFICATE dwLength 4 (shorter than its header)",
       [](B& b, const pe::Image&, const Fields& f) { put32(b, f.entry, 4); },
       1,
       {"malformed"},
       Ossl::kRefuses},
  };
}

void fix_checksum(const wt::fs::path& f) {
  auto img = pe::Image::open(f);
  if (!img) return;  // headers broken on purpose: nothing to fix
  auto sum = pe::compute_checksum(img->file(), img->layout().checksum_offset);
  ASSERT_TRUE(sum);
  auto bytes = wt::read_bytes(f);
  pe::put_le32(bytes.data() + img->layout().checksum_offset, *sum);
  wt::write_bytes(f, bytes);
}

TEST(VerifyHostile, TableOfCasesAgainstWslplugAndOsslsigncode) {
  WSLPLUG_REQUIRE_TOOL("osslsigncode");
  WSLPLUG_REQUIRE_TOOL("openssl");
  wt::TempDir tmp;
  auto signer = wt::make_cert(tmp.path(), "signer");
  ASSERT_FALSE(signer.cert.empty());
  const auto dll = wt::build_dll({.name = "verify-x64-odd", .odd_size = true});
  // A signature whose DER does not end on 8 bytes, so the entry has alignment padding.
  wt::fs::path good;
  for (std::string name = "p"; name.size() < 16; name += "p") {
    good = tmp / ("good-" + std::to_string(name.size()) + ".dll");
    auto r = wt::wslplug({"sign", dll.string(), "--cert", signer.cert.string(), "--key",
                          signer.key.string(), "--name", name, "-o", good.string()});
    ASSERT_EQ(r.rc, 0) << r.both();
    auto img = pe::Image::open(good);
    ASSERT_TRUE(img);
    const auto bytes = wt::read_bytes(good);
    if ((locate(bytes, *img).der_end - img->layout().cert_table.address) % 8 != 0) break;
  }
  const Bytes original = wt::read_bytes(good);
  auto img = pe::Image::open(good);
  ASSERT_TRUE(img);
  const Fields fields = locate(original, *img);
  ASSERT_NE((fields.der_end - fields.entry) % 8, 0u) << "no signature with padding was made";

  int wslplug_accepted = 0, wslplug_exit1 = 0, ossl_accepted = 0, hostile = 0;
  std::string report = "\n| case | wslplug | osslsigncode |\n|---|---|---|\n";
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name + ": " + c.how);
    Bytes bytes = original;
    c.make(bytes, *img, fields);
    const auto file = tmp / (c.name + ".dll");
    wt::write_bytes(file, bytes);
    fix_checksum(file);
    auto r = wt::wslplug({"verify", file.string(), "--ca", signer.cert.string(), "--json"});
    EXPECT_EQ(r.rc, c.exit_code) << r.both();
    auto doc = wt::stdout_json(r);
    const auto& f = doc["files"][0];
    std::vector<std::string> verdict;
    if (!f["signatures"].empty())
      verdict = f["signatures"][0]["verdict"].get<std::vector<std::string>>();
    EXPECT_EQ(verdict, c.verdict) << f.dump(2);
    EXPECT_EQ(f["ok"].get<bool>(), c.exit_code == 0) << f.dump(2);
    auto o =
        wt::run({"osslsigncode", "verify", "-CAfile", signer.cert.string(), "-in", file.string()});
    const Ossl said = o.rc == 0 ? Ossl::kAccepts : Ossl::kRefuses;
    EXPECT_EQ(said, c.osslsigncode)
        << "osslsigncode now " << (o.rc == 0 ? "accepts" : "refuses") << ":\n"
        << o.both();
    if (c.exit_code != 0) {
      ++hostile;
      wslplug_accepted += r.rc == 0;
      wslplug_exit1 += r.rc == 1;
      ossl_accepted += o.rc == 0;
    }
    report += fmt::format("| {} | {} {} | {} |\n", c.name, r.rc,
                          verdict.empty() ? "ok" : fmt::format("{}", fmt::join(verdict, ",")),
                          o.rc == 0 ? "accepts" : "refuses");
  }
  // The summary the documentation quotes (docs/signing.md, Hostile files).
  std::cout << report
            << fmt::format(
                   "hostile cases: {}; wslplug accepts {} and exits 1 on {}; osslsigncode "
                   "accepts {}\n",
                   hostile, wslplug_accepted, wslplug_exit1, ossl_accepted);
  EXPECT_EQ(wslplug_accepted, 0);
  EXPECT_EQ(wslplug_exit1, hostile);
}

}  // namespace
