// Building the C++ template against Microsoft's SDK header (`new --lang cpp --sdk`): a .nupkg the
// test assembles (a zip with build/native/include/WslPluginApi.h, as NuGet packs
// Microsoft.WSL.PluginApi) and an extracted folder build, and `build` says which header it
// compiled against; a header whose layout differs stops the configure naming the first field that
// differs; `nuget[:VERSION]` without a pinned SHA-256 stops before any download. The download from
// nuget.org itself is not exercised here (these machines have no network).
#include <gtest/gtest.h>

#include <string>

#include "support.hpp"

namespace wt = wslplug::test;

namespace {

// The SDK header the test "ships": the layout Microsoft's 2.9.x header has (written from the
// template's text, which the ABI test checks against the facts), optionally with one change.
std::string sdk_header(bool swap_session_fields) {
  std::string h = wt::read_text(wt::source_dir() / "templates/cpp/include/WslPluginApi.h");
  if (swap_session_fields) {
    const std::string a = "  LPCWSTR DisplayName;\n";
    const std::string b = "  DWORD ApplicationPid; /* the process that created the session */\n";
    const auto pa = h.find(a);
    const auto pb = h.find(b);
    EXPECT_NE(pa, std::string::npos);
    EXPECT_NE(pb, std::string::npos);
    if (pa != std::string::npos && pb != std::string::npos && pb == pa + a.size())
      h.replace(pa, a.size() + b.size(), b + a);
  }
  return "/* test SDK header */\n" + h;
}

// A .nupkg: a zip with the header at build/native/include/WslPluginApi.h (and a nuspec).
wt::fs::path make_nupkg(const wt::TempDir& tmp, const std::string& name,
                        const std::string& header) {
  const auto root = tmp / (name + "-content");
  wt::fs::create_directories(root / "build/native/include");
  wt::write_text(root / "build/native/include/WslPluginApi.h", header);
  wt::write_text(root / "Microsoft.WSL.PluginApi.nuspec",
                 "<?xml version=\"1.0\"?><package><metadata><id>Microsoft.WSL.PluginApi</id>"
                 "<version>2.9.3</version></metadata></package>\n");
  const auto pkg = tmp / (name + ".nupkg");
  auto z = wt::run({"python3", "-c",
                    "import os,sys,zipfile\n"
                    "root,out=sys.argv[1],sys.argv[2]\n"
                    "with zipfile.ZipFile(out,'w',zipfile.ZIP_DEFLATED) as z:\n"
                    "  for d,_,fs in os.walk(root):\n"
                    "    for f in fs:\n"
                    "      p=os.path.join(d,f); z.write(p,os.path.relpath(p,root))\n",
                    root.string(), pkg.string()});
  EXPECT_EQ(z.rc, 0) << z.both();
  return pkg;
}

// CMake wraps long messages at spaces: compare with whitespace runs collapsed.
std::string flat(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
  }
  return out;
}

}  // namespace

TEST(NewSdk, BuildsAgainstANupkgAndAFolderAndSaysWhichHeader) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  WSLPLUG_REQUIRE_TOOL("cmake");
  wt::TempDir tmp;
  const auto pkg = make_nupkg(tmp, "good", sdk_header(false));
  auto n =
      wt::wslplug({"new", "sdkp", "--lang", "cpp", "--hooks", "all,wslc", "--sdk", pkg.string()},
                  {}, {}, tmp.path());
  ASSERT_EQ(n.rc, 0) << n.both();
  const auto dir = tmp / "sdkp";
  EXPECT_NE(wt::read_text(dir / "cmake/wslplug-sdk.cmake").find(pkg.string()), std::string::npos);
  auto b = wt::wslplug({"build", "-C", dir.string()});
  ASSERT_EQ(b.rc, 0) << b.both();
  EXPECT_NE(b.both().find("compiled against " +
                          (dir / "build/x86_64-release/wslplug-sdk/extracted/build/native/include/"
                                 "WslPluginApi.h")
                              .string()),
            std::string::npos)
      << b.both();
  EXPECT_NE(b.both().find("WSLPLUG_SDK=" + pkg.string()), std::string::npos) << b.both();

  // A folder (the extracted package) works the same way.
  auto f = wt::wslplug({"new", "sdkf", "--lang", "cpp", "--sdk", (tmp / "good-content").string()},
                       {}, {}, tmp.path());
  ASSERT_EQ(f.rc, 0) << f.both();
  auto bf = wt::wslplug({"build", "-C", (tmp / "sdkf").string()});
  ASSERT_EQ(bf.rc, 0) << bf.both();
  EXPECT_NE(bf.both().find("compiled against " +
                           (tmp / "good-content/build/native/include/WslPluginApi.h").string()),
            std::string::npos)
      << bf.both();
  // Without --sdk: the project's own header, said so.
  auto own = wt::wslplug({"new", "own", "--lang", "cpp"}, {}, {}, tmp.path());
  ASSERT_EQ(own.rc, 0) << own.both();
  auto bo = wt::wslplug({"build", "-C", (tmp / "own").string()});
  ASSERT_EQ(bo.rc, 0) << bo.both();
  EXPECT_NE(bo.both().find("the project's own header"), std::string::npos) << bo.both();
}

TEST(NewSdk, ADifferentLayoutStopsTheConfigureAtTheFirstDifferingField) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  WSLPLUG_REQUIRE_TOOL("cmake");
  wt::TempDir tmp;
  const auto pkg = make_nupkg(tmp, "swapped", sdk_header(true));
  ASSERT_EQ(
      wt::wslplug({"new", "bad", "--lang", "cpp", "--sdk", pkg.string()}, {}, {}, tmp.path()).rc,
      0);
  auto b = wt::wslplug({"build", "-C", (tmp / "bad").string()});
  EXPECT_EQ(b.rc, 1) << b.both();
  EXPECT_NE(
      flat(b.both()).find("WSLCSessionInformation.ApplicationPid is not at offset 16 in the SDK's "
                          "header"),
      std::string::npos)
      << b.both();
  // Swapping DisplayName and ApplicationPid packs ApplicationPid at 4 and DisplayName stays at 8:
  // the first field that differs is ApplicationPid; the ones before it are not named.
  EXPECT_EQ(flat(b.both()).find("WSLCSessionInformation.SessionId is not"), std::string::npos);
  EXPECT_EQ(flat(b.both()).find("WSLCSessionInformation.DisplayName is not"), std::string::npos);
}

TEST(NewSdk, NugetNeedsAPinnedSha256AndTheFlagsAreChecked) {
  WSLPLUG_REQUIRE_TOOL("x86_64-w64-mingw32-g++");
  WSLPLUG_REQUIRE_TOOL("cmake");
  wt::TempDir tmp;
  ASSERT_EQ(
      wt::wslplug({"new", "ng", "--lang", "cpp", "--sdk", "nuget:2.9.3"}, {}, {}, tmp.path()).rc,
      0);
  // No download is attempted without a pin: the configure stops and says how to pin it.
  auto b = wt::wslplug({"build", "-C", (tmp / "ng").string()});
  EXPECT_EQ(b.rc, 1) << b.both();
  EXPECT_NE(flat(b.both()).find("no SHA-256 pinned for Microsoft.WSL.PluginApi 2.9.3"),
            std::string::npos)
      << b.both();
  EXPECT_FALSE(wt::fs::exists(tmp / "ng/build/x86_64-release/wslplug-sdk/"
                                    "Microsoft.WSL.PluginApi.2.9.3.nupkg"));
  // The pin lands in the CMake file.
  const std::string sha(64, 'a');
  ASSERT_EQ(wt::wslplug({"new", "ng2", "--lang", "cpp", "--sdk", "nuget", "--sdk-sha256", sha}, {},
                        {}, tmp.path())
                .rc,
            0);
  EXPECT_NE(wt::read_text(tmp / "ng2/cmake/wslplug-sdk.cmake").find(sha), std::string::npos);
  // Usage errors: a missing path, a bad version, a bad hash, Rust.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--lang", "cpp", "--sdk", (tmp / "missing.nupkg").string()},
        std::vector<std::string>{"--lang", "cpp", "--sdk", "nuget:2.9.3;rm"},
        std::vector<std::string>{"--lang", "cpp", "--sdk", "nuget", "--sdk-sha256", "xyz"},
        std::vector<std::string>{"--lang", "rust", "--sdk", "nuget"}}) {
    std::vector<std::string> argv = {"new", "u"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = wt::wslplug(argv, {}, {}, tmp.path());
    EXPECT_EQ(r.rc, 2) << r.both();
    EXPECT_NE(r.both().find("--sdk"), std::string::npos) << r.both();
    EXPECT_FALSE(wt::fs::exists(tmp / "u"));
  }
}
