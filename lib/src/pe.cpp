#include "wslplug/core/pe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace wslplug::pe {

namespace {

constexpr std::uint64_t kMaxHeaderRead = 64 * 1024;  // e_lfanew + headers must fit in this
constexpr std::uint32_t kMaxExports = 1u << 16;
constexpr std::uint32_t kMaxImportDlls = 4096;
constexpr std::uint32_t kMaxImportFunctions = 1u << 16;
// All DLLs together: real plugins import a few hundred functions, large programs a few thousand.
constexpr std::uint64_t kMaxImportFunctionsTotal = 1u << 14;

std::uint64_t round8(std::uint64_t v) { return (v + 7) & ~std::uint64_t{7}; }

}  // namespace

std::string_view machine_name(std::uint16_t machine) {
  switch (static_cast<Machine>(machine)) {
    case Machine::kI386:
      return "x86";
    case Machine::kAmd64:
      return "x64";
    case Machine::kArm64:
      return "ARM64";
    case Machine::kArmNt:
      return "ARM";
    default:
      return "unknown";
  }
}

Result<Image> Image::open(const fs::path& path) {
  auto file = InputFile::open(path);
  if (!file) return std::unexpected(file.error());
  return from_file(std::move(*file));
}

namespace {

constexpr const char* kNotPeFix = "pass a Windows PE file (a .dll or .exe built for Windows)";

// What the COFF file header says about the headers that follow it.
struct CoffHeader {
  std::uint16_t nsections = 0;
  std::uint16_t opt_size = 0;
  std::uint64_t opt = 0;  // file offset of the optional header
};

// The DOS header: the 'MZ' signature and e_lfanew, which must leave room for the PE signature and
// the COFF header inside the bytes read.
Status read_dos_header(const std::string& path, std::span<const std::byte> head, Layout& l) {
  const std::byte* h = head.data();
  if (h[0] != std::byte{'M'} || h[1] != std::byte{'Z'}) {
    return input_error("not a PE image: no 'MZ' signature", path, offset_str(0), kNotPeFix);
  }
  l.e_lfanew = le32(h + 0x3c);
  if (static_cast<std::uint64_t>(l.e_lfanew) + 24 > head.size()) {
    return input_error(
        fmt::format(
            "e_lfanew ({:#x}) points beyond the {} of the file", l.e_lfanew,
            static_cast<std::uint64_t>(l.e_lfanew) + 24 > l.file_size ? "end" : "first 64 KiB"),
        path, "offset 0x3c (e_lfanew)", "the file is truncated or not a PE image; rebuild it");
  }
  return {};
}

// The PE signature and the COFF file header (machine, section count, optional header size).
Result<CoffHeader> read_coff_header(const std::string& path, std::span<const std::byte> head,
                                    Layout& l) {
  const std::byte* pe = head.data() + l.e_lfanew;
  if (std::memcmp(pe, "PE\0\0", 4) != 0) {
    return input_error("not a PE image: no 'PE\\0\\0' signature where e_lfanew points", path,
                       offset_str(l.e_lfanew), kNotPeFix);
  }
  CoffHeader c;
  l.machine = le16(pe + 4);
  c.nsections = le16(pe + 6);
  c.opt_size = le16(pe + 20);
  l.characteristics = le16(pe + 22);
  c.opt = static_cast<std::uint64_t>(l.e_lfanew) + 24;
  if (c.opt_size < 2 || c.opt + c.opt_size > head.size()) {
    return input_error(fmt::format("optional header (SizeOfOptionalHeader {}) is truncated or out "
                                   "of range",
                                   c.opt_size),
                       path, offset_str(c.opt), "the file is truncated or corrupt; rebuild it");
  }
  return c;
}

// The optional header: PE32 or PE32+, the fields the tools use, the data directories (the
// certificate table's among them) and where the section table starts.
Status read_optional_header(const std::string& path, std::span<const std::byte> head,
                            const CoffHeader& c, Layout& l) {
  const std::byte* o = head.data() + c.opt;
  const std::uint16_t magic = le16(o);
  if (magic == 0x10b) {
    l.pe32plus = false;
  } else if (magic == 0x20b) {
    l.pe32plus = true;
  } else {
    return input_error(fmt::format("unknown optional header magic {:#x} (expected 0x10b for PE32 "
                                   "or 0x20b for PE32+)",
                                   magic),
                       path, offset_str(c.opt) + " (OptionalHeader.Magic)", kNotPeFix);
  }
  const std::uint32_t dir_start = l.pe32plus ? 112 : 96;
  if (c.opt_size < dir_start) {
    return input_error(fmt::format("optional header is {} bytes, shorter than the {} a {} header "
                                   "needs",
                                   c.opt_size, dir_start, l.pe32plus ? "PE32+" : "PE32"),
                       path, offset_str(c.opt), "the file is corrupt; rebuild it");
  }
  l.image_base = l.pe32plus ? (static_cast<std::uint64_t>(le32(o + 24)) |
                               (static_cast<std::uint64_t>(le32(o + 28)) << 32))
                            : le32(o + 28);
  l.section_alignment = le32(o + 32);
  l.file_alignment = le32(o + 36);
  l.size_of_image = le32(o + 56);
  l.size_of_headers = le32(o + 60);
  l.checksum_offset = c.opt + 64;
  l.stored_checksum = le32(o + 64);
  l.subsystem = le16(o + 68);
  l.dll_characteristics = le16(o + 70);
  l.number_of_rva_and_sizes = le32(o + dir_start - 4);
  const std::uint32_t ndirs =
      std::min<std::uint32_t>({l.number_of_rva_and_sizes, 16, (c.opt_size - dir_start) / 8u});
  for (std::uint32_t i = 0; i < ndirs; ++i) {
    const std::byte* d = o + dir_start + 8 * i;
    l.directories.push_back({le32(d), le32(d + 4)});
  }
  if (ndirs > kDirSecurity) {
    l.cert_dir_offset = c.opt + dir_start + 8 * kDirSecurity;
    l.cert_table = l.directories[kDirSecurity];
  }
  l.section_table_offset = c.opt + c.opt_size;
  return {};
}

// The section table, read from the file (it may lie beyond the first 64 KiB).
Status read_section_table(const InputFile& file, const CoffHeader& c, Layout& l) {
  const std::uint64_t sect_end = l.section_table_offset + 40ull * c.nsections;
  if (sect_end > l.file_size) {
    return input_error(fmt::format("section table ({} sections, ends at {:#x}) lies beyond the end "
                                   "of the file ({} bytes)",
                                   c.nsections, sect_end, l.file_size),
                       file.path(), offset_str(l.section_table_offset),
                       "the file is truncated; rebuild or re-copy it");
  }
  std::vector<std::byte> sect(40ull * c.nsections);
  if (auto st = file.read_at(l.section_table_offset, sect); !st) return std::unexpected(st.error());
  for (std::uint16_t i = 0; i < c.nsections; ++i) {
    const std::byte* s = sect.data() + 40ull * i;
    Section sec;
    const char* name = reinterpret_cast<const char*>(s);
    sec.name.assign(name, strnlen(name, 8));
    sec.virtual_size = le32(s + 8);
    sec.virtual_address = le32(s + 12);
    sec.raw_size = le32(s + 16);
    sec.raw_offset = le32(s + 20);
    sec.characteristics = le32(s + 36);
    l.sections.push_back(std::move(sec));
  }
  return {};
}

}  // namespace

// Validates the headers phase by phase (DOS header, COFF header, optional header, section
// table); each phase reports the first defect it finds.
Result<Image> Image::from_file(InputFile file) {
  const std::string& path = file.path();
  const std::uint64_t size = file.size();
  if (size < 64) {
    return input_error(fmt::format("not a PE image: {} bytes is too small for a DOS header", size),
                       path, {}, kNotPeFix);
  }
  std::vector<std::byte> head(static_cast<std::size_t>(std::min(size, kMaxHeaderRead)));
  if (auto st = file.read_at(0, head); !st) return std::unexpected(st.error());
  Layout l;
  l.file_size = size;
  if (auto st = read_dos_header(path, head, l); !st) return std::unexpected(st.error());
  auto coff = read_coff_header(path, head, l);
  if (!coff) return std::unexpected(coff.error());
  if (auto st = read_optional_header(path, head, *coff, l); !st) return std::unexpected(st.error());
  if (auto st = read_section_table(file, *coff, l); !st) return std::unexpected(st.error());
  return Image(std::move(file), std::move(l));
}

Result<std::vector<CertificateEntry>> Image::certificate_entries() const {
  std::vector<CertificateEntry> entries;
  const Layout& l = layout_;
  const auto& path = file_.path();
  if (l.cert_table.address == 0 && l.cert_table.size == 0) return entries;
  const std::string where = "certificate table directory (DataDirectory[4])";
  if (l.cert_table.address == 0 || l.cert_table.size == 0) {
    return input_error(fmt::format("certificate table directory is half set (offset {:#x}, size "
                                   "{})",
                                   l.cert_table.address, l.cert_table.size),
                       path, where, "run `wslplug unsign` to clear it, then sign again");
  }
  const std::uint64_t start = l.cert_table.address;
  const std::uint64_t end = start + l.cert_table.size;
  if (end > l.file_size) {
    return input_error(fmt::format("certificate table (offset {:#x}, size {}) extends beyond the "
                                   "end of the file ({} bytes)",
                                   start, l.cert_table.size, l.file_size),
                       path, where,
                       "the file is truncated or corrupt; rebuild it or copy it again");
  }
  if (start < l.section_table_offset + 40ull * l.sections.size()) {
    return input_error(fmt::format("certificate table offset {:#x} overlaps the PE headers", start),
                       path, where, "the file is corrupt; rebuild it");
  }
  std::uint64_t pos = start;
  while (pos < end) {
    if (end - pos < 8) {
      return input_error(
          fmt::format("{} stray bytes at the end of the certificate table", end - pos), path,
          offset_str(pos), "the table is corrupt; run `wslplug unsign` and sign again");
    }
    std::array<std::byte, 8> hdr{};
    if (auto st = file_.read_at(pos, hdr); !st) return std::unexpected(st.error());
    CertificateEntry e{pos, le32(hdr.data()), WinCertRevision{le16(hdr.data() + 4)},
                       WinCertType{le16(hdr.data() + 6)}};
    if (e.length < 8 || pos + e.length > end) {
      return input_error(fmt::format("WIN_CERTIFICATE dwLength {} overruns the certificate table, "
                                     "which ends at {:#x}",
                                     e.length, end),
                         path, offset_str(pos) + " (WIN_CERTIFICATE.dwLength)",
                         "the table is corrupt; run `wslplug unsign` and sign again");
    }
    entries.push_back(e);
    if (entries.size() > 64) {
      return input_error("more than 64 WIN_CERTIFICATE entries", path, where,
                         "the table is corrupt; run `wslplug unsign` and sign again");
    }
    pos += round8(e.length);
  }
  return entries;
}

std::uint64_t Image::bytes_after_cert_table() const {
  const Layout& l = layout_;
  if (!l.has_cert_table()) return 0;
  const std::uint64_t end = static_cast<std::uint64_t>(l.cert_table.address) + l.cert_table.size;
  return end < l.file_size ? l.file_size - end : 0;
}

Result<std::vector<CertificateEntry>> Image::checked_certificate_entries() const {
  if (!layout_.cert_dir_offset) {
    return input_error(fmt::format("the optional header has only {} data directories, so there is "
                                   "no certificate table slot (DataDirectory[4])",
                                   layout_.number_of_rva_and_sizes),
                       file_.path(), "OptionalHeader.NumberOfRvaAndSizes",
                       "link the image with a standard optional header (16 directories)");
  }
  auto entries = certificate_entries();
  if (!entries) return entries;
  if (std::uint64_t extra = bytes_after_cert_table(); extra != 0) {
    const std::uint64_t end =
        static_cast<std::uint64_t>(layout_.cert_table.address) + layout_.cert_table.size;
    return input_error(fmt::format("{} bytes of data follow the certificate table; the signature "
                                   "must be the last thing in the file",
                                   extra),
                       file_.path(), offset_str(end),
                       "rebuild the DLL, or remove the trailing bytes (truncate the file at this "
                       "offset) and sign again");
  }
  return entries;
}

std::optional<std::uint64_t> Image::rva_to_offset(std::uint32_t rva) const {
  const Layout& l = layout_;
  if (rva < l.size_of_headers) {
    return rva < l.file_size ? std::optional<std::uint64_t>(rva) : std::nullopt;
  }
  for (const auto& s : l.sections) {
    const std::uint32_t span = std::max(s.virtual_size, s.raw_size);
    if (rva >= s.virtual_address && rva - s.virtual_address < span) {
      const std::uint32_t delta = rva - s.virtual_address;
      if (delta >= s.raw_size) return std::nullopt;  // uninitialised data
      const std::uint64_t off = static_cast<std::uint64_t>(s.raw_offset) + delta;
      return off < l.file_size ? std::optional<std::uint64_t>(off) : std::nullopt;
    }
  }
  return std::nullopt;
}

Result<std::string> Image::read_string_at_rva(std::uint32_t rva, std::size_t max_len) const {
  auto off = rva_to_offset(rva);
  if (!off) {
    return input_error(fmt::format("string RVA {:#x} is outside every section", rva), path(), {},
                       "the file is corrupt; rebuild it");
  }
  const std::size_t len =
      static_cast<std::size_t>(std::min<std::uint64_t>(max_len, layout_.file_size - *off));
  auto buf = file_.read_vec(*off, len);
  if (!buf) return std::unexpected(buf.error());
  const char* p = reinterpret_cast<const char*>(buf->data());
  return std::string(p, strnlen(p, len));
}

namespace {

// Reads `count` little-endian u32 values at an RVA.
Result<std::vector<std::uint32_t>> read_u32_array(const Image& img, std::uint32_t rva,
                                                  std::uint32_t count, const char* what) {
  auto off = img.rva_to_offset(rva);
  if (!off || *off + 4ull * count > img.layout().file_size) {
    return input_error(
        fmt::format("{} (RVA {:#x}, {} entries) lies outside the file", what, rva, count),
        img.path(), {}, "the file is corrupt; rebuild it");
  }
  auto buf = img.file().read_vec(*off, 4ull * count);
  if (!buf) return std::unexpected(buf.error());
  std::vector<std::uint32_t> out(count);
  for (std::uint32_t i = 0; i < count; ++i) out[i] = le32(buf->data() + 4ull * i);
  return out;
}

}  // namespace

Result<std::vector<Export>> Image::exports() const {
  std::vector<Export> out;
  const Layout& l = layout_;
  if (l.directories.size() <= kDirExport || l.directories[kDirExport].address == 0) return out;
  const DataDirectory dir = l.directories[kDirExport];
  auto off = rva_to_offset(dir.address);
  if (!off) {
    return input_error(
        fmt::format("export directory RVA {:#x} is outside every section", dir.address), path(),
        "DataDirectory[0] (exports)", "the file is corrupt; rebuild it");
  }
  std::array<std::byte, 40> ed{};
  if (auto st = file_.read_at(*off, ed); !st) return std::unexpected(st.error());
  const std::uint32_t base = le32(ed.data() + 16);
  const std::uint32_t nfuncs = le32(ed.data() + 20);
  const std::uint32_t nnames = le32(ed.data() + 24);
  if (nfuncs > kMaxExports || nnames > nfuncs) {
    return input_error(
        fmt::format("export directory claims {} functions and {} names", nfuncs, nnames), path(),
        offset_str(*off), "the file is corrupt; rebuild it");
  }
  auto funcs = read_u32_array(*this, le32(ed.data() + 28), nfuncs, "export address table");
  if (!funcs) return std::unexpected(funcs.error());
  std::vector<std::uint32_t> names;
  std::vector<std::uint16_t> ords;
  if (nnames > 0) {
    auto n = read_u32_array(*this, le32(ed.data() + 32), nnames, "export name table");
    if (!n) return std::unexpected(n.error());
    names = std::move(*n);
    auto ooff = rva_to_offset(le32(ed.data() + 36));
    if (!ooff || *ooff + 2ull * nnames > l.file_size) {
      return input_error("export ordinal table lies outside the file", path(), {},
                         "the file is corrupt; rebuild it");
    }
    auto ob = file_.read_vec(*ooff, 2ull * nnames);
    if (!ob) return std::unexpected(ob.error());
    for (std::uint32_t i = 0; i < nnames; ++i) ords.push_back(le16(ob->data() + 2ull * i));
  }
  std::vector<std::string> name_of(nfuncs);
  for (std::uint32_t i = 0; i < nnames; ++i) {
    if (ords[i] >= nfuncs) continue;
    auto s = read_string_at_rva(names[i]);
    if (!s) return std::unexpected(s.error());
    name_of[ords[i]] = std::move(*s);
  }
  for (std::uint32_t i = 0; i < nfuncs; ++i) {
    if ((*funcs)[i] == 0) continue;
    Export e;
    e.name = name_of[i];
    e.ordinal = base + i;
    e.rva = (*funcs)[i];
    if (e.rva >= dir.address && e.rva - dir.address < dir.size) {
      auto fwd = read_string_at_rva(e.rva);
      if (fwd) e.forwarder = *fwd;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<Import>> Image::imports() const {
  std::vector<Import> out;
  const Layout& l = layout_;
  const unsigned thunk = l.pe32plus ? 8 : 4;
  const std::uint64_t ord_flag = l.pe32plus ? (1ull << 63) : (1ull << 31);

  // One budget for every DLL's functions: descriptors may share one thunk table, so per-DLL
  // limits alone would let a 600 KB file list 4096 x 65536 imports (hours, gigabytes).
  std::uint64_t total = 0;
  auto read_thunks = [&](std::uint32_t rva, std::vector<std::string>& fns) -> Status {
    auto off = rva_to_offset(rva);
    if (!off) return {};
    for (std::uint32_t i = 0; i < kMaxImportFunctions; ++i) {
      std::array<std::byte, 8> t{};
      if (*off + thunk * (i + 1ull) > l.file_size) break;
      if (auto st = file_.read_at(*off + thunk * i, std::span(t.data(), thunk)); !st) return st;
      std::uint64_t v = le32(t.data());
      if (thunk == 8) v |= static_cast<std::uint64_t>(le32(t.data() + 4)) << 32;
      if (v == 0) break;
      if (total++ == kMaxImportFunctionsTotal) {
        return input_error(
            fmt::format("the import tables list more than {} functions", kMaxImportFunctionsTotal),
            path(), offset_str(*off + thunk * i), "the file is corrupt; rebuild it");
      }
      if (v & ord_flag) {
        fns.push_back(fmt::format("#{}", v & 0xffff));
      } else {
        auto name = read_string_at_rva(static_cast<std::uint32_t>(v) + 2);
        fns.push_back(name ? *name : std::string("?"));
      }
    }
    return {};
  };

  if (l.directories.size() > kDirImport && l.directories[kDirImport].address != 0) {
    auto off = rva_to_offset(l.directories[kDirImport].address);
    if (!off) {
      return input_error("import directory is outside every section", path(),
                         "DataDirectory[1] (imports)", "the file is corrupt; rebuild it");
    }
    for (std::uint32_t i = 0; i < kMaxImportDlls; ++i) {
      std::array<std::byte, 20> d{};
      if (auto st = file_.read_at(*off + 20ull * i, d); !st) return std::unexpected(st.error());
      const std::uint32_t oft = le32(d.data()), name = le32(d.data() + 12),
                          ft = le32(d.data() + 16);
      if (oft == 0 && name == 0 && ft == 0) break;
      Import imp;
      auto n = read_string_at_rva(name);
      if (!n) return std::unexpected(n.error());
      imp.dll = *n;
      if (auto st = read_thunks(oft != 0 ? oft : ft, imp.functions); !st) {
        return std::unexpected(st.error());
      }
      out.push_back(std::move(imp));
    }
  }
  if (l.directories.size() > kDirDelayImport && l.directories[kDirDelayImport].address != 0) {
    auto off = rva_to_offset(l.directories[kDirDelayImport].address);
    if (off) {
      for (std::uint32_t i = 0; i < kMaxImportDlls; ++i) {
        std::array<std::byte, 32> d{};
        if (!file_.read_at(*off + 32ull * i, d)) break;
        const std::uint32_t attrs = le32(d.data());
        std::uint32_t name = le32(d.data() + 4), int_rva = le32(d.data() + 16);
        if (name == 0) break;
        if ((attrs & 1) == 0) {  // old VA-based descriptors
          name = static_cast<std::uint32_t>(name - l.image_base);
          int_rva = static_cast<std::uint32_t>(int_rva - l.image_base);
        }
        Import imp;
        imp.delayed = true;
        auto n = read_string_at_rva(name);
        if (!n) return std::unexpected(n.error());
        imp.dll = *n;
        if (auto st = read_thunks(int_rva, imp.functions); !st) return std::unexpected(st.error());
        out.push_back(std::move(imp));
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- checksum

void ChecksumAccumulator::add_even(std::span<const std::byte> data, bool odd_start) {
  // Sum 16-bit little-endian words; 32-bit words are equivalent modulo 0xffff because
  // 2^16 == 1 (mod 0xffff). A region that starts at an odd offset contributes byte-swapped.
  std::uint64_t s = 0;
  std::size_t i = 0;
  const std::byte* p = data.data();
  const std::size_t n = data.size();
  for (; i + 8 <= n; i += 8) {
    std::uint32_t a, b;
    std::memcpy(&a, p + i, 4);
    std::memcpy(&b, p + i + 4, 4);
    s += a;
    s += b;
  }
  for (; i + 2 <= n; i += 2) s += le16(p + i);
  if (i < n) s += std::to_integer<std::uint32_t>(p[i]);  // odd tail: low byte
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  if (odd_start) s = ((s & 0xff) << 8) | (s >> 8);
  sum_ += s;
}

void ChecksumAccumulator::add(std::uint64_t offset, std::span<const std::byte> data) {
  const std::uint64_t cs_begin = checksum_offset_, cs_end = checksum_offset_ + 4;
  const std::uint64_t end = offset + data.size();
  if (end <= cs_begin || offset >= cs_end) {
    add_even(data, offset & 1);
    return;
  }
  if (offset < cs_begin) add_even(data.first(cs_begin - offset), offset & 1);
  if (end > cs_end) add_even(data.subspan(cs_end - offset), cs_end & 1);
}

std::uint32_t ChecksumAccumulator::finish(std::uint64_t file_size) const {
  std::uint64_t s = sum_;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint32_t>(s + file_size);
}

Result<std::uint32_t> compute_checksum(const InputFile& file, std::uint64_t checksum_offset) {
  ChecksumAccumulator acc(checksum_offset);
  // 1 MiB at a time, no more than the file needs (a small DLL costs no 1 MiB buffer).
  std::vector<std::byte> buf(
      static_cast<std::size_t>(std::min<std::uint64_t>(std::uint64_t{1} << 20, file.size())));
  for (std::uint64_t off = 0; off < file.size();) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), file.size() - off));
    if (auto st = file.read_at(off, std::span(buf.data(), n)); !st)
      return std::unexpected(st.error());
    acc.add(off, std::span(buf.data(), n));
    off += n;
  }
  return acc.finish(file.size());
}

}  // namespace wslplug::pe
