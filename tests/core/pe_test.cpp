// PE reader and checksum against real MinGW/clang DLLs, with pefile (Debian python3-pefile) and
// MinGW objdump as independent oracles.
#include "wslplug/core/pe.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support.hpp"

namespace wt = wslplug::test;
namespace pe = wslplug::pe;

TEST(PeReader, ParsesX64Dll) {
  auto dll = wt::build_dll({.name = "pe-x64"});
  ASSERT_FALSE(dll.empty());
  auto img = pe::Image::open(dll);
  ASSERT_TRUE(img) << img.error().describe();
  const auto& l = img->layout();
  EXPECT_TRUE(l.pe32plus);
  EXPECT_EQ(l.machine, 0x8664);
  EXPECT_TRUE(l.is_dll());
  EXPECT_EQ(l.checksum_offset, l.e_lfanew + 88u);
  ASSERT_TRUE(l.cert_dir_offset.has_value());
  EXPECT_EQ(*l.cert_dir_offset, l.e_lfanew + 24u + 144u);
  EXPECT_FALSE(l.has_cert_table());
  auto exports = img->exports();
  ASSERT_TRUE(exports) << exports.error().describe();
  ASSERT_EQ(exports->size(), 1u);
  EXPECT_EQ((*exports)[0].name, "WSLPluginAPIV1_EntryPoint");
  auto imports = img->imports();
  ASSERT_TRUE(imports) << imports.error().describe();
  bool kernel32 = false;
  for (const auto& i : *imports) kernel32 |= (i.dll == "KERNEL32.dll");
  EXPECT_TRUE(kernel32);
}

TEST(PeReader, ParsesX86AndArm64) {
  auto x86 = wt::build_dll({.name = "pe-x86", .arch = wt::Arch::kX86});
  auto arm = wt::build_dll({.name = "pe-arm64", .arch = wt::Arch::kArm64});
  ASSERT_FALSE(x86.empty());
  ASSERT_FALSE(arm.empty());
  auto a = pe::Image::open(x86);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_FALSE(a->layout().pe32plus);
  EXPECT_EQ(a->layout().machine, 0x14c);
  EXPECT_EQ(*a->layout().cert_dir_offset, a->layout().e_lfanew + 24u + 128u);
  auto b = pe::Image::open(arm);
  ASSERT_TRUE(b) << b.error().describe();
  EXPECT_EQ(b->layout().machine, 0xaa64);
  EXPECT_EQ(pe::machine_name(b->layout().machine), "ARM64");
  auto ex = b->exports();
  ASSERT_TRUE(ex);
  ASSERT_EQ(ex->size(), 1u);
  EXPECT_EQ((*ex)[0].name, "WSLPluginAPIV1_EntryPoint");
}

TEST(PeChecksum, MatchesPefileOnEvenOddAndOverlay) {
  std::vector<wt::fs::path> files = {
      wt::build_dll({.name = "pe-x64"}),
      wt::build_dll({.name = "pe-x64-odd", .odd_size = true}),
      wt::build_dll({.name = "pe-x64-overlay", .overlay = 4099}),
      wt::build_dll({.name = "pe-x86", .arch = wt::Arch::kX86}),
      wt::build_dll({.name = "pe-arm64", .arch = wt::Arch::kArm64}),
  };
  for (const auto& f : files) {
    ASSERT_FALSE(f.empty());
    auto img = pe::Image::open(f);
    ASSERT_TRUE(img) << img.error().describe();
    auto sum = pe::compute_checksum(img->file(), img->layout().checksum_offset);
    ASSERT_TRUE(sum);
    EXPECT_EQ(*sum, wt::pefile_checksum(f).computed) << f;
  }
}

TEST(PeChecksum, ChunkingAndOrderDoNotMatter) {
  auto f = wt::build_dll({.name = "pe-x64-odd", .odd_size = true});
  auto data = wt::read_bytes(f);
  auto img = pe::Image::open(f);
  ASSERT_TRUE(img);
  const auto co = img->layout().checksum_offset;
  pe::ChecksumAccumulator whole(co);
  whole.add(0, data);
  // Odd-sized chunks fed back to front.
  pe::ChecksumAccumulator pieces(co);
  std::size_t pos = data.size();
  std::size_t step = 1;
  while (pos > 0) {
    std::size_t n = std::min(pos, step);
    pos -= n;
    pieces.add(pos, std::span(data).subspan(pos, n));
    step = step * 3 + 1;
  }
  EXPECT_EQ(whole.finish(data.size()), pieces.finish(data.size()));
}

TEST(PeReader, RejectsBadInputWithLocation) {
  wt::TempDir tmp;
  auto good = wt::read_bytes(wt::build_dll({.name = "pe-x64"}));
  auto write = [&](const std::string& name, std::vector<std::byte> bytes) {
    wt::write_bytes(tmp / name, bytes);
    return tmp / name;
  };
  // Not a PE.
  auto r = pe::Image::open(write("text.dll", std::vector<std::byte>(200, std::byte{'A'})));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("MZ"), std::string::npos);
  EXPECT_EQ(r.error().kind, wslplug::ErrorKind::kInput);
  // Truncated headers.
  r = pe::Image::open(write("trunc.dll", std::vector<std::byte>(good.begin(), good.begin() + 100)));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().describe().find("e_lfanew"), std::string::npos) << r.error().describe();
  // e_lfanew out of range.
  auto bad = good;
  pe::put_le32(bad.data() + 0x3c, 0x7fffff00);
  r = pe::Image::open(write("lfanew.dll", bad));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().where.find("e_lfanew"), std::string::npos);
  // Section table out of range: claim 60000 sections.
  bad = good;
  const auto lfanew = pe::le32(good.data() + 0x3c);
  pe::put_le16(bad.data() + lfanew + 6, 60000);
  r = pe::Image::open(write("sections.dll", bad));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("section table"), std::string::npos);
  // Certificate directory beyond the file.
  bad = good;
  const auto certdir = lfanew + 24 + 144;
  pe::put_le32(bad.data() + certdir, static_cast<std::uint32_t>(good.size() - 8));
  pe::put_le32(bad.data() + certdir + 4, 4096);
  auto img = pe::Image::open(write("certdir.dll", bad));
  ASSERT_TRUE(img);
  auto entries = img->certificate_entries();
  ASSERT_FALSE(entries);
  EXPECT_NE(entries.error().message.find("beyond the end"), std::string::npos);
}
