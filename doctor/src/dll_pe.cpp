// The image and export checks of a WSL plugin DLL (see wslplug/doctor/dll.hpp). Facts: WSL's
// LoadPlugin (signature check, LoadLibrary with the default search order, GetProcAddress of
// "WSLPluginAPIV1_EntryPoint"), the WSL plugin error table.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "wslplug/core/text.hpp"
#include "wslplug/doctor/dll.hpp"

namespace wslplug::doctor {
namespace {

// DLLs that ship in %SystemRoot%\System32 of Windows 10/11 (x64 and ARM64) and that a plugin may
// reasonably import. Lowercase, sorted (binary search). API sets (api-ms-win-*, ext-ms-win-*)
// are resolved by the loader and handled separately.
constexpr std::string_view kSystemDlls[] = {
    "activeds.dll",
    "advapi32.dll",
    "apphelp.dll",
    "authz.dll",
    "bcrypt.dll",
    "bcryptprimitives.dll",
    "cabinet.dll",
    "cfgmgr32.dll",
    "clbcatq.dll",
    "combase.dll",
    "comctl32.dll",
    "comdlg32.dll",
    "computecore.dll",
    "computenetwork.dll",
    "computestorage.dll",
    "credui.dll",
    "crypt32.dll",
    "cryptbase.dll",
    "cryptnet.dll",
    "cryptsp.dll",
    "cryptui.dll",
    "d2d1.dll",
    "d3d11.dll",
    "d3d12.dll",
    "dbgeng.dll",
    "dbghelp.dll",
    "dhcpcsvc.dll",
    "dnsapi.dll",
    "dpapi.dll",
    "dwmapi.dll",
    "dwrite.dll",
    "dxgi.dll",
    "esent.dll",
    "fltlib.dll",
    "fwpuclnt.dll",
    "gdi32.dll",
    "gdiplus.dll",
    "hid.dll",
    "httpapi.dll",
    "imagehlp.dll",
    "imm32.dll",
    "iphlpapi.dll",
    "kernel32.dll",
    "kernelbase.dll",
    "ktmw32.dll",
    "logoncli.dll",
    "lz32.dll",
    "mpr.dll",
    "msasn1.dll",
    "mscoree.dll",
    "msi.dll",
    "msvcp_win.dll",
    "msvcrt.dll",
    "mswsock.dll",
    "ncrypt.dll",
    "netapi32.dll",
    "netutils.dll",
    "newdev.dll",
    "normaliz.dll",
    "ntdll.dll",
    "ntdsapi.dll",
    "ole32.dll",
    "oleacc.dll",
    "oleaut32.dll",
    "pdh.dll",
    "powrprof.dll",
    "profapi.dll",
    "propsys.dll",
    "psapi.dll",
    "rasapi32.dll",
    "rpcrt4.dll",
    "rstrtmgr.dll",
    "samcli.dll",
    "sechost.dll",
    "secur32.dll",
    "setupapi.dll",
    "shcore.dll",
    "shell32.dll",
    "shlwapi.dll",
    "srvcli.dll",
    "sspicli.dll",
    "tbs.dll",
    "tdh.dll",
    "ucrtbase.dll",
    "urlmon.dll",
    "user32.dll",
    "userenv.dll",
    "usp10.dll",
    "uxtheme.dll",
    "version.dll",
    "vertdll.dll",
    "virtdisk.dll",
    "vmcompute.dll",
    "vssapi.dll",
    "wevtapi.dll",
    "winbrand.dll",
    "winhttp.dll",
    "wininet.dll",
    "winmm.dll",
    "winscard.dll",
    "winspool.drv",
    "winsta.dll",
    "wintrust.dll",
    "wkscli.dll",
    "wlanapi.dll",
    "wldap32.dll",
    "wmi.dll",
    "wmiclnt.dll",
    "ws2_32.dll",
    "wsclient.dll",
    "wslapi.dll",
    "wsock32.dll",
    "wtsapi32.dll",
    "xmllite.dll",
};
static_assert(std::is_sorted(std::begin(kSystemDlls), std::end(kSystemDlls)));

constexpr std::array<std::string_view, 12> kMingwRuntime = {
    "libatomic-1.dll",   "libgcc_s_dw2-1.dll",  "libgcc_s_seh-1.dll", "libgcc_s_sjlj-1.dll",
    "libgfortran-5.dll", "libgomp-1.dll",       "libquadmath-0.dll",  "libssp-0.dll",
    "libstdc++-6.dll",   "libwinpthread-1.dll", "libc++.dll",         "libunwind.dll",
};

constexpr std::array<std::string_view, 14> kVcRuntime = {
    "concrt140.dll",
    "msvcp140.dll",
    "msvcp140_1.dll",
    "msvcp140_2.dll",
    "msvcp140_atomic_wait.dll",
    "msvcp140_codecvt_ids.dll",
    "vccorlib140.dll",
    "vcomp140.dll",
    "vcruntime140.dll",
    "vcruntime140_1.dll",
    "vcruntime140_threads.dll",
    "msvcp120.dll",
    "msvcr120.dll",
    "msvcr100.dll",
};

constexpr std::array<std::string_view, 6> kDebugRuntime = {
    "msvcp140d.dll",       "ucrtbased.dll",   "vcruntime140d.dll",
    "vcruntime140_1d.dll", "msvcp140_1d.dll", "concrt140d.dll",
};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// _WSLPluginAPIV1_EntryPoint@8 or WSLPluginAPIV1_EntryPoint@8 (x86 stdcall decoration).
bool is_decorated(std::string_view name) {
  if (name.starts_with('_')) name.remove_prefix(1);
  if (!name.starts_with(kEntryPoint)) return false;
  name.remove_prefix(kEntryPoint.size());
  if (name.size() < 2 || name[0] != '@') return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

ImportKind classify_import(std::string_view dll) {
  const std::string n = ascii_lower(dll);
  if (n.starts_with("api-ms-win-") || n.starts_with("ext-ms-win-")) return ImportKind::kSystem;
  if (std::binary_search(std::begin(kSystemDlls), std::end(kSystemDlls), n))
    return ImportKind::kSystem;
  if (contains(kMingwRuntime, n)) return ImportKind::kMingwRuntime;
  if (contains(kDebugRuntime, n)) return ImportKind::kDebugRuntime;
  if (contains(kVcRuntime, n)) return ImportKind::kVcRuntime;
  return ImportKind::kOther;
}

std::vector<Finding> check_machine(const pe::Layout& layout, const std::string& file) {
  std::vector<Finding> out;
  const auto m = layout.machine;
  if (m == static_cast<std::uint16_t>(pe::Machine::kAmd64) ||
      m == static_cast<std::uint16_t>(pe::Machine::kArm64)) {
    // Fine for its own host; say which one when it is the less common ARM64.
    if (m == static_cast<std::uint16_t>(pe::Machine::kArm64))
      out.push_back(make_finding(kMachineArm64,
                                 fmt::format("{}: ARM64 DLL: loads on Windows on ARM only (an x64 "
                                             "Windows fails with ERROR_BAD_EXE_FORMAT)",
                                             file),
                                 "ship an x64 build as well for x64 machines"));
  } else {
    out.push_back(make_finding(
        kWrongMachine,
        fmt::format("{}: COFF header field Machine is {} ({:#06x}); wslservice is a 64-bit "
                    "process and loads only x64 or ARM64 DLLs",
                    file, pe::machine_name(m), m),
        "build for x64 (x86_64-w64-mingw32, x86_64-pc-windows-msvc) or ARM64 "
        "(aarch64-pc-windows-msvc)"));
  }
  if (!layout.is_dll()) {
    out.push_back(make_finding(
        kNotDll,
        fmt::format("{}: COFF Characteristics {:#06x} lack IMAGE_FILE_DLL (0x2000): this is an "
                    "executable, not a DLL; its runtime is never initialised when LoadLibrary maps "
                    "it, so the plugin would crash wslservice",
                    file, layout.characteristics),
        "link with -shared (MinGW), /DLL (MSVC) or crate-type = [\"cdylib\"] (Rust)"));
  }
  return out;
}

std::vector<Finding> check_exports(const std::vector<pe::Export>& exports,
                                   const std::string& file) {
  std::vector<Finding> out;
  for (const auto& e : exports) {
    if (e.name != kEntryPoint) continue;
    if (!e.forwarder.empty())
      out.push_back(
          make_finding(kEntryPointForwarded,
                       fmt::format("{}: export {} is forwarded to {}; GetProcAddress fails if "
                                   "that DLL or function cannot be found",
                                   file, kEntryPoint, e.forwarder),
                       "export the function from the plugin DLL itself; `wslplug run` shows "
                       "whether GetProcAddress resolves it"));
    return out;
  }
  const std::string fix_c =
      "declare it with C linkage: EXTERN_C __declspec(dllexport) HRESULT "
      "WSLPLUGINAPI_ENTRYPOINTV1(const WSLPluginAPIV1* Api, WSLPluginHooksV1* Hooks) (Rust: "
      "#[no_mangle] pub extern \"C\" fn WSLPluginAPIV1_EntryPoint)";
  for (const auto& e : exports) {
    if (e.name.empty()) continue;
    const bool mentions = e.name.find(kEntryPoint) != std::string::npos;
    if (is_decorated(e.name)) {
      out.push_back(
          make_finding(kEntryPointDecorated,
                       fmt::format("{}: the entry point is exported as '{}' (x86 stdcall "
                                   "decoration); WSL looks up exactly '{}'",
                                   file, e.name, kEntryPoint),
                       "use the default calling convention and build for x64/ARM64; with a "
                       ".def file export the undecorated name"));
      return out;
    }
    if (mentions && (e.name.starts_with("_Z") || e.name.starts_with("?"))) {
      out.push_back(
          make_finding(kEntryPointMangled,
                       fmt::format("{}: the entry point is exported under the C++-mangled name "
                                   "'{}'; WSL looks up exactly '{}'",
                                   file, e.name, kEntryPoint),
                       fix_c));
      return out;
    }
    if (e.name == "WSLPLUGINAPI_ENTRYPOINTV1") {
      out.push_back(
          make_finding(kEntryPointMacroName,
                       fmt::format("{}: exports the macro name 'WSLPLUGINAPI_ENTRYPOINTV1' "
                                   "instead of the name it expands to, '{}'",
                                   file, kEntryPoint),
                       "export WSLPluginAPIV1_EntryPoint (in C/C++ use the macro as the "
                       "function name so the preprocessor expands it; in a .def file or "
                       "another language write the expanded name)"));
      return out;
    }
    if (iequals(e.name, kEntryPoint)) {
      out.push_back(
          make_finding(kEntryPointWrongCase,
                       fmt::format("{}: exports '{}'; GetProcAddress is case-sensitive and WSL "
                                   "looks up exactly '{}'",
                                   file, e.name, kEntryPoint),
                       fmt::format("rename the export to {}", kEntryPoint)));
      return out;
    }
  }
  std::string names;
  std::size_t shown = 0;
  for (const auto& e : exports) {
    if (shown == 5) {
      names += ", ...";
      break;
    }
    names +=
        (names.empty() ? "" : ", ") + (e.name.empty() ? fmt::format("#{}", e.ordinal) : e.name);
    ++shown;
  }
  out.push_back(make_finding(
      kEntryPointMissing,
      exports.empty()
          ? fmt::format("{}: exports nothing; WSL needs the export '{}'", file, kEntryPoint)
          : fmt::format("{}: does not export '{}' (exports: {})", file, kEntryPoint, names),
      "export the entry point: " + fix_c));
  return out;
}

std::vector<Finding> check_imports(const std::vector<pe::Import>& imports,
                                   const std::string& file) {
  std::vector<Finding> out;
  for (const auto& imp : imports) {
    const auto kind = classify_import(imp.dll);
    if (kind == ImportKind::kSystem) continue;
    const std::string how = imp.delayed ? "delay-loads" : "imports";
    if (imp.delayed) {
      out.push_back(make_finding(
          kDelayImport,
          fmt::format("{}: delay-loads {}, which is not a System32 DLL: loading succeeds, but the "
                      "first call into it raises an exception inside wslservice when Windows "
                      "cannot find it (the plugin's folder is not searched)",
                      file, imp.dll),
          "link the code statically or load the DLL yourself with LoadLibraryExW and a full "
          "path; `wslplug run` drives the hooks, so a first call that fails shows as a crash"));
      continue;
    }
    switch (kind) {
      case ImportKind::kMingwRuntime:
        out.push_back(make_finding(
            kImportMingwRuntime,
            fmt::format("{}: {} {}, a MinGW runtime DLL that Windows does not ship; wslservice "
                        "loads plugins with the default search order (not the plugin's folder), "
                        "so LoadLibrary fails",
                        file, how, imp.dll),
            "link the runtime statically: -static-libgcc -static-libstdc++ (and -static or "
            "-Wl,-Bstatic -lwinpthread for libwinpthread-1.dll)"));
        break;
      case ImportKind::kDebugRuntime:
        out.push_back(make_finding(
            kImportDebugRuntime,
            fmt::format("{}: {} {}, the debug C runtime, which exists only where Visual Studio is "
                        "installed",
                        file, how, imp.dll),
            "build Release with the static runtime (/MT); never ship Debug builds"));
        break;
      case ImportKind::kVcRuntime:
        out.push_back(make_finding(
            kImportVcRuntime,
            fmt::format("{}: {} {}, part of the VC++ Redistributable: the plugin loads only on "
                        "machines where it is installed",
                        file, how, imp.dll),
            "link the C runtime statically (/MT; Rust: -C target-feature=+crt-static) or install "
            "the VC++ Redistributable with the plugin"));
        break;
      case ImportKind::kOther:
      case ImportKind::kSystem:
        out.push_back(make_finding(
            kImportNotSystem,
            fmt::format("{}: {} {}, which is not a System32 DLL; wslservice loads plugins with "
                        "the default search order, which does not include the plugin's folder, so "
                        "LoadLibrary fails unless the DLL is on the system PATH",
                        file, how, imp.dll),
            "link that library statically, or install it into System32, or delay-load it and "
            "load it with LoadLibraryExW(full path); `wslplug run` loads the DLL as WSL does "
            "and confirms"));
        break;
    }
  }
  return out;
}

}  // namespace wslplug::doctor
