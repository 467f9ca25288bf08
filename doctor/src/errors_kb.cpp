// The knowledge base of WSL plugin error codes, as data. One entry per HRESULT of the WSL plugin
// error table (load, hooks, API calls, out-of-process host, trust and certificate codes).
// Facts: WSL PluginManager.cpp / install.cpp / wslutil.cpp (g_commonErrors) at master, WSL's
// PluginTests.cpp, the MS docs page on plugins, PR #40769 (out-of-process host).
#include <algorithm>

#include "wslplug/doctor/errors.hpp"

namespace wslplug::doctor {
namespace {

// Shared check and fix lines.
constexpr std::string_view kRegQuery =
    R"(reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss\Plugins" /reg:64)";
constexpr std::string_view kTestPath =
    R"(Test-Path -LiteralPath (Get-ItemPropertyValue 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss\Plugins' -Name <name>))";
constexpr std::string_view kSig = "Get-AuthenticodeSignature C:\\path\\plugin.dll | Format-List *";
constexpr std::string_view kVerify = "wslplug verify plugin.dll --ca cert.pem";
constexpr std::string_view kDoctorDll = "wslplug doctor --dll plugin.dll";
constexpr std::string_view kDoctorReg = "wslplug doctor --reg plugin.reg";
constexpr std::string_view kRestart =
    "Restart the service so the plugin is loaded again: Stop-Service WSLService -Force, then run "
    "any wsl.exe command";
constexpr std::string_view kResign =
    "Sign the DLL as the last build step: wslplug sign plugin.dll --cert cert.pem --key key.pem "
    "--in-place (or wslplug build --sign)";
constexpr std::string_view kTrustRoot =
    "Trust the signing root for LocalSystem: Import-Certificate -FilePath cert.cer "
    "-CertStoreLocation Cert:\\LocalMachine\\Root (elevated; sign-plugin.ps1 -Trust does the same)";
constexpr std::string_view kRootStore =
    "Get-ChildItem Cert:\\LocalMachine\\Root | Where-Object Thumbprint -eq <signer thumbprint>";
constexpr std::string_view kLoadNote =
    "Load failures are recorded when wslservice starts and reported at the next WSL2 VM start "
    "under .../CreateVm/Plugin/; every WSL2 launch fails the same way until the registry value is "
    "fixed or removed and the service is restarted. WSL1 distributions keep working.";
constexpr std::string_view kOfficialOnly =
    "Only official (Microsoft-signed) WSL builds verify the signature; a self-built WSL skips the "
    "check and would load the DLL.";
constexpr std::string_view kHostNote =
    "The out-of-process plugin host (wslpluginhost.exe) is PR #40769, not merged in WSL master; "
    "shipped WSL runs plugins inside wslservice.exe.";
constexpr std::string_view kHostCrash =
    "The out-of-process host treats this code as a host crash (IsHostCrash): in a start hook the "
    "crash is latched and every later start fails fast with the same code until the service "
    "restarts; the dead host is never re-activated.";
constexpr std::string_view kEventLog =
    "Get-WinEvent -LogName Application -MaxEvents 50 | Where-Object Message -match 'wslservice'";

constexpr std::string_view kStepOpen = "1. signature check: CreateFileW opens the registered path";
constexpr std::string_view kStepTrust = "1. signature check: WinVerifyTrust on the DLL";
constexpr std::string_view kStepLoad = "2. LoadLibrary(path) maps the DLL and its dependencies";
constexpr std::string_view kStepProc = "3. GetProcAddress(module, \"WSLPluginAPIV1_EntryPoint\")";
constexpr std::string_view kStepEntry = "4. the plugin's WSLPluginAPIV1_EntryPoint returned it";

constexpr std::string_view kStepCrash =
    "a crash in the plugin's code (DllMain, the entry point or a hook) inside wslservice.exe";
constexpr std::string_view kCrashEvents =
    "Get-WinEvent -FilterHashtable @{LogName='Application'; Id=1000} -MaxEvents 10 | "
    "Format-List TimeCreated, Message (faulting application wslservice.exe, faulting module)";
constexpr std::string_view kCrashDumps =
    "Crash dumps: New-Item 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\Windows Error "
    "Reporting\\LocalDumps\\wslservice.exe' -Force; reproduce; open the dump in WinDbg";
constexpr std::string_view kCrashNote =
    "Not printed by wsl.exe: an NTSTATUS exception code from the event log. In-process plugins "
    "share wslservice.exe, so the crash takes the service down and wsl.exe shows "
    "RPC_S_CALL_FAILED (or CO_E_SERVER_EXEC_FAILURE at start-up).";

constexpr unsigned L = kStageLoad, V = kStageVmStarted, D = kStageDistributionStarted,
                   A = kStageApiCall, H = kStageHost, R = kStageRegistration;

constexpr std::string_view k258 = "2.5.8 or earlier";

constexpr KnownError kTable[] = {
    // ---------------------------------------------------------------- registration / file open
    {.symbol = "ERROR_FILE_NOT_FOUND",
     .hresult = 0x80070002,
     .stages = L | A | R,
     .step = kStepOpen,
     .wsl_name_since = k258,
     .summary =
         "The DLL path in the registry does not exist (official builds open the file for the "
         "signature check before LoadLibrary); returned by MountFolder when the Windows "
         "source folder is missing.",
     .causes = {"The registry value names a file that is not there: a typo, a build output path "
                "that changed, or a file not copied yet",
                "Cargo/CMake output name differs from the registered one (Rust turns '-' into '_': "
                "my_plugin.dll, not my-plugin.dll)",
                "The value is registered in the 32-bit view (WOW6432Node) pointing to another "
                "copy, or the file was removed by an uninstall/antivirus",
                "api-call: MountFolder was given a Windows path that does not exist"},
     .checks = {kRegQuery, kTestPath, kDoctorReg},
     .fixes = {"Register the absolute path of the DLL as it exists on disk (wslplug register "
               "--emit-reg C:\\full\\path\\plugin.dll)",
               kRestart, "api-call: create the folder before calling MountFolder"},
     .notes =
         {"Older docs (2023 sample README, MS docs) list ERROR_MOD_NOT_FOUND for a wrong path; "
          "current WSL source opens the file first, so a wrong path shows "
          "ERROR_FILE_NOT_FOUND or ERROR_PATH_NOT_FOUND.",
          kLoadNote}},
    {.symbol = "ERROR_PATH_NOT_FOUND",
     .hresult = 0x80070003,
     .stages = L | R,
     .step = kStepOpen,
     .wsl_name_since = k258,
     .summary = "A folder in the registered DLL path does not exist.",
     .causes = {"A directory of the path is misspelled or was moved",
                "The value contains an unexpanded %VARIABLE% (WSL reads REG_SZ only and never "
                "expands environment variables)",
                "A relative path or a path on a drive letter that LocalSystem does not see (mapped "
                "network drive, subst)"},
     .checks = {kRegQuery, kTestPath, kDoctorReg},
     .fixes = {"Store the absolute, expanded path on a local drive as REG_SZ", kRestart},
     .notes = {kLoadNote}},
    {.symbol = "E_ACCESSDENIED",
     .aliases = {"ERROR_ACCESS_DENIED"},
     .hresult = 0x80070005,
     .stages = L | V | D,
     .step = kStepOpen,
     .wsl_name_since = k258,
     .summary = "Access denied: either LocalSystem cannot read the DLL, or the plugin itself "
                "refused the VM, the distribution, a WSLC session or a WSLC container.",
     .causes =
         {"vm-started/distribution-started: the plugin's own policy vetoed the start (WSL's "
          "test plugin rejects a custom kernel with it; the wslplugins-rs policy example "
          "denies unpackaged distributions)",
          "WSL Containers (.../Plugin/WslC/): OnSessionCreated vetoed the session (WSL's test "
          "plugin rejects sessions with it) or ContainerStarted vetoed the container",
          "load: the file ACL does not let SYSTEM read the DLL (copied from a user profile "
          "with inherited restrictions, EFS-encrypted file)",
          "load: the DLL lives in a folder SYSTEM cannot traverse (another user's profile)"},
     .checks = {"Get-Acl C:\\path\\plugin.dll | Format-List", "icacls C:\\path\\plugin.dll",
                "Read the text after \"Error message:\" (PluginError) and the plugin's log"},
     .fixes = {"If the plugin vetoed: satisfy or change the plugin's policy (e.g. remove "
               "kernel=/kernelCommandLine= from .wslconfig, or run an image the policy allows)",
               "Install the DLL under C:\\Program Files\\<vendor>\\ and grant SYSTEM read access "
               "(icacls plugin.dll /grant SYSTEM:R)"},
     .notes = {"ERROR_ACCESS_DENIED (5) and E_ACCESSDENIED are the same HRESULT, 0x80070005; WSL "
               "prints E_ACCESSDENIED."}},
    {.symbol = "ERROR_SHARING_VIOLATION",
     .hresult = 0x80070020,
     .stages = L,
     .step = kStepOpen,
     .wsl_name_since = k258,
     .summary = "The DLL was open for writing by another process when wslservice started.",
     .causes = {"The linker or signing tool was still writing the DLL when the service started",
                "An antivirus scan or a copy holds the file open without FILE_SHARE_READ"},
     .checks = {"Get-Process | Where-Object { $_.Modules.FileName -eq 'C:\\path\\plugin.dll' }",
                "handle.exe plugin.dll (Sysinternals)"},
     .fixes = {"Wait until build and signing finish, then restart the service", kRestart},
     .notes = {kLoadNote}},
    {.symbol = "ERROR_INVALID_NAME",
     .hresult = 0x8007007B,
     .stages = L | R,
     .step = kStepOpen,
     .wsl_name_since = k258,
     .summary = "The registered path has quotes or characters that are illegal in a file name.",
     .causes = {"The REG_SZ value is quoted (\"C:\\path\\plugin.dll\" with the quotes inside the "
                "value), e.g. from reg add with escaped quotes",
                "A .reg file without doubled backslashes produced an escape sequence",
                "Trailing whitespace or a stray character (<, >, |, *, ?) in the value"},
     .checks = {kRegQuery, kDoctorReg},
     .fixes = {"Store the bare absolute path, no quotes (wslplug register --emit-reg writes it "
               "correctly)",
               kRestart},
     .notes = {kLoadNote}},
    {.symbol = "ERROR_BAD_PATHNAME",
     .hresult = 0x800700A1,
     .stages = L | R,
     .step = kStepOpen,
     .wsl_name_since = "2.6.3",
     .summary = "The registered path is malformed.",
     .causes = {"A relative path, a path starting with a %VARIABLE%, or a Linux-style path "
                "(/mnt/c/...) in the registry value",
                "A device or UNC path that CreateFileW rejects"},
     .checks = {kRegQuery, kDoctorReg},
     .fixes = {"Store an absolute Windows path (C:\\...\\plugin.dll) as REG_SZ", kRestart},
     .notes = {kLoadNote}},
    // ---------------------------------------------------------------- LoadLibrary / GetProcAddress
    {.symbol = "ERROR_MOD_NOT_FOUND",
     .hresult = 0x8007007E,
     .stages = L,
     .step = kStepLoad,
     .wsl_name_since = k258,
     .summary = "LoadLibrary failed: the DLL or one of its dependencies was not found.",
     .causes = {"A dependency is not on the system search path: the MinGW runtime "
                "(libstdc++-6.dll, libgcc_s_seh-1.dll, libwinpthread-1.dll) or any DLL shipped "
                "beside the plugin (wslservice does not search the plugin's folder)",
                "The VC++ runtime (VCRUNTIME140.dll, MSVCP140.dll) is not installed, or a Debug "
                "build needs VCRUNTIME140D.dll/ucrtbased.dll, which no end-user machine has",
                "Older or self-built WSL without the signature check: the registered path itself "
                "is wrong",
                "Only under wine 8 (`wslplug run`): a Rust plugin built by rustc >= 1.78 imports "
                "bcryptprimitives.dll (ProcessPrng), which wine 8 lacks and Windows 10/11 has"},
     .checks = {kDoctorDll, "dumpbin /dependents plugin.dll",
                "x86_64-w64-mingw32-objdump -p plugin.dll | grep 'DLL Name'"},
     .fixes = {"MinGW: link the runtime statically (-static-libgcc -static-libstdc++ -static, or "
               "-Wl,-Bstatic -lwinpthread)",
               "MSVC: build Release with the static CRT (/MT); Rust: -C target-feature=+crt-static",
               "Install any other dependency into System32 or load it yourself with "
               "LoadLibraryExW and a full path",
               "bcryptprimitives.dll under wine 8: nothing to change in the plugin (WSL's "
               "Windows has the DLL); give the wine prefix a bcryptprimitives.dll that exports "
               "ProcessPrng, or use wine >= 9"},
     .notes = {"The 2023 sample README and MS docs say ERROR_MOD_NOT_FOUND means the registered "
               "path is wrong; in current WSL source (2.5.8 and later) official builds open the "
               "file for the signature check first, so a wrong path shows ERROR_FILE_NOT_FOUND "
               "or ERROR_PATH_NOT_FOUND and ERROR_MOD_NOT_FOUND points to a missing dependency. "
               "Older builds may differ.",
               "The out-of-process host (PR #40769) loads with LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR, "
               "so dependencies beside the plugin would be found there; shipped WSL does not.",
               "Not a cause: bcryptprimitives.dll, which every DLL built by Rust 1.78 or later "
               "imports (ProcessPrng), is in System32 on Windows 10 and later; wine 8 lacks it, "
               "so `wslplug run` puts a stand-in into its wine prefix and names any other "
               "System32 DLL the prefix lacks instead of blaming the plugin.",
               kLoadNote}},
    {.symbol = "ERROR_PROC_NOT_FOUND",
     .hresult = 0x8007007F,
     .stages = L,
     .step = kStepProc,
     .summary = "The DLL loaded but does not export WSLPluginAPIV1_EntryPoint under that exact "
                "name (or a dependency lacks a function the DLL imports).",
     .causes = {"C++ without extern \"C\": the export is mangled (_Z25WSLPluginAPIV1_EntryPoint... "
                "or ?WSLPluginAPIV1_EntryPoint@@...)",
                "The function is not exported at all (no __declspec(dllexport), no .def entry, "
                "Rust without #[no_mangle])",
                "Exported under the macro's name WSLPLUGINAPI_ENTRYPOINTV1 (e.g. via a .def file "
                "or a quoted string) instead of WSLPluginAPIV1_EntryPoint",
                "x86 stdcall decoration (_WSLPluginAPIV1_EntryPoint@8) from a 32-bit build",
                "A dependency exists but is older and lacks an imported function"},
     .checks = {kDoctorDll, "dumpbin /exports plugin.dll",
                "x86_64-w64-mingw32-objdump -p plugin.dll | sed -n '/Export/,/^$/p'"},
     .fixes = {"Declare the entry point with C linkage: EXTERN_C __declspec(dllexport) HRESULT "
               "WSLPLUGINAPI_ENTRYPOINTV1(const WSLPluginAPIV1* api, WSLPluginHooksV1* hooks)",
               "Rust: #[no_mangle] pub extern \"C\" fn WSLPluginAPIV1_EntryPoint(...)",
               "Build for x64 or ARM64, rebuild, re-sign, restart the service"},
     .notes = {"WSL prints this code as hex (0x8007007f); it is not in WSL's name table.",
               "Observed in microsoft/wsl-plugin-sample#6 "
               "(Wsl/Service/CreateInstance/CreateVm/Plugin/0x8007007f).",
               kLoadNote}},
    {.symbol = "ERROR_BAD_EXE_FORMAT",
     .hresult = 0x800700C1,
     .stages = L,
     .step = kStepLoad,
     .wsl_name_since = "master after 2.9.4 (PR #41074)",
     .summary = "The file is not a valid image for this machine: not a PE, or built for another "
                "architecture (an x86 DLL cannot load into the 64-bit wslservice).",
     .causes = {"The DLL was built for x86 (i686, Win32 platform) instead of x64",
                "An ARM64 DLL on x64 Windows or an x64 DLL on Windows on ARM",
                "The registered file is not a DLL (a .lib, an .exe renamed, a Linux .so)"},
     .checks = {kDoctorDll, "dumpbin /headers plugin.dll | findstr machine",
                "[Environment]::Is64BitOperatingSystem; $env:PROCESSOR_ARCHITECTURE"},
     .fixes = {"Build for the host architecture: x86_64-w64-mingw32, x86_64-pc-windows-msvc or "
               "aarch64-pc-windows-msvc",
               "Register the DLL, not the import library or an executable"},
     .notes = {"On official builds a file that is not a PE at all fails the signature check first "
               "(TRUST_E_SUBJECT_FORM_UNKNOWN).",
               kLoadNote}},
    {.symbol = "ERROR_DLL_INIT_FAILED",
     .hresult = 0x8007045A,
     .stages = L,
     .step = kStepLoad,
     .summary = "DllMain of the plugin (or of one of its dependencies) returned FALSE.",
     .causes = {"DllMain does real work (opens files, starts threads, loads libraries) and fails "
                "under LocalSystem or the loader lock",
                "A static constructor in the DLL threw or failed (C++ globals run from DllMain)",
                "A dependency's initialisation failed"},
     .checks = {"Run the plugin's initialisation in a test host as SYSTEM (psexec -s) and check "
                "its log",
                kEventLog},
     .fixes = {"Keep DllMain trivial; do initialisation in WSLPluginAPIV1_EntryPoint and return a "
               "failure HRESULT (with a log) instead"},
     .notes = {"WSL prints this code as hex (0x8007045a).", kLoadNote}},
    {.symbol = "ERROR_INVALID_IMAGE_HASH",
     .hresult = 0x80070241,
     .stages = L,
     .step = kStepLoad,
     .summary = "Windows code integrity (WDAC, Smart App Control, HVCI) refused to load the image.",
     .causes = {"A WDAC / App Control policy allows only specific signers and the plugin's "
                "certificate is not one of them",
                "Smart App Control blocks unsigned or unknown-reputation code",
                "The DLL was modified after signing and a page-hash policy applies"},
     .checks = {"Get-WinEvent -LogName Microsoft-Windows-CodeIntegrity/Operational -MaxEvents 20",
                "CiTool.exe --list-policies", kVerify},
     .fixes = {"Sign with a certificate the code-integrity policy allows, or add the signer to "
               "the WDAC policy",
               kResign},
     .notes = {"[general Windows] not produced by WSL itself; WSL prints it as hex (0x80070241).",
               kLoadNote}},
    {.symbol = "ERROR_ACCESS_DISABLED_BY_POLICY",
     .hresult = 0x800704EC,
     .stages = L,
     .step = kStepLoad,
     .wsl_name_since = k258,
     .summary = "AppLocker or Software Restriction Policies blocked the DLL.",
     .causes = {"AppLocker DLL rules are enforced and do not allow the plugin's path or publisher",
                "A Software Restriction Policy disallows the folder"},
     .checks = {"Get-AppLockerPolicy -Effective -Xml",
                "Get-WinEvent -LogName 'Microsoft-Windows-AppLocker/EXE and DLL' -MaxEvents 20"},
     .fixes = {"Add a publisher or path rule for the plugin, or install it under a folder the "
               "policy allows (C:\\Program Files)"},
     .notes = {"[general Windows] policy, not WSL.", kLoadNote}},
    // ---------------------------------------------------------------- trust (WinVerifyTrust)
    {.symbol = "TRUST_E_NOSIGNATURE",
     .hresult = 0x800B0100,
     .stages = L,
     .step = kStepTrust,
     .wsl_name_since = k258,
     .summary = "The DLL has no Authenticode signature (or its signature could not be read).",
     .causes = {"The DLL was never signed, or the build rewrote it after signing (a rebuild "
                "strips the signature)",
                "A post-build step (strip, objcopy, a resource editor) removed the certificate "
                "table",
                "The signature blob is malformed and Windows cannot decode it",
                "Bytes were appended after the signature (WSL's own test InvalidPluginSignature "
                "appends one byte and expects TRUST_E_NOSIGNATURE)"},
     .checks = {kSig, kVerify, kDoctorDll},
     .fixes = {kResign,
               "Trust the signing certificate's root in Cert:\\LocalMachine\\Root (wslplug cert "
               "new writes cert.cer for Import-Certificate)",
               kRestart},
     .notes = {kOfficialOnly,
               "The MS docs also describe enabling TESTSIGNING; WSL's code only calls "
               "WinVerifyTrust with the generic Authenticode policy.",
               kLoadNote}},
    {.symbol = "TRUST_E_BAD_DIGEST",
     .hresult = 0x80096010,
     .stages = L,
     .step = kStepTrust,
     .wsl_name_since = k258,
     .summary = "The DLL was changed after it was signed: its hash no longer matches the signed "
                "digest.",
     .causes = {"A build step ran after signing (linker re-run, strip, resource edit, version "
                "stamping, UPX)",
                "The file was patched or truncated when copied"},
     .checks = {kVerify, kSig, kDoctorDll},
     .fixes = {kResign, "Copy the signed DLL as-is; do not touch it after signing", kRestart},
     .notes = {kOfficialOnly, kLoadNote}},
    {.symbol = "TRUST_E_SUBJECT_FORM_UNKNOWN",
     .hresult = 0x800B0003,
     .stages = L,
     .step = kStepTrust,
     .summary = "WinVerifyTrust does not know the file type: the registered file is not a PE "
                "image.",
     .causes = {"The wrong file is registered (a .lib, .pdb, .reg, a text file or a Linux .so)",
                "The DLL is truncated or corrupt"},
     .checks = {kRegQuery, kDoctorDll},
     .fixes = {"Register the built DLL (absolute path)", kRestart},
     .notes = {"WSL prints this code as hex (0x800b0003).", kLoadNote}},
    {.symbol = "TRUST_E_PROVIDER_UNKNOWN",
     .hresult = 0x800B0001,
     .stages = L,
     .step = kStepTrust,
     .summary = "The Authenticode trust provider is not available on this system.",
     .causes = {"Broken Windows cryptography registration (wintrust.dll / SIP registration)",
                "A stripped-down Windows image"},
     .checks = {"sfc /scannow", "Get-AuthenticodeSignature C:\\Windows\\System32\\kernel32.dll"},
     .fixes = {"Repair Windows (sfc /scannow, DISM /Online /Cleanup-Image /RestoreHealth)"},
     .notes = {"System issue, not a plugin defect.", kLoadNote}},
    {.symbol = "TRUST_E_EXPLICIT_DISTRUST",
     .hresult = 0x800B0111,
     .stages = L,
     .step = kStepTrust,
     .summary = "The signing certificate is explicitly distrusted (in a Disallowed store).",
     .causes = {"The signer certificate or its CA was imported into Cert:\\LocalMachine\\"
                "Disallowed (or the user's Disallowed store)",
                "The certificate was revoked by an administrator or Windows Update"},
     .checks = {"Get-ChildItem Cert:\\LocalMachine\\Disallowed", kSig},
     .fixes = {"Remove the certificate from the Disallowed store if that was a mistake, or sign "
               "with another certificate"},
     .notes = {"WSL prints this code as hex (0x800b0111).", kLoadNote}},
    {.symbol = "TRUST_E_CERT_SIGNATURE",
     .hresult = 0x80096004,
     .stages = L,
     .step = kStepTrust,
     .summary = "A signature in the certificate chain or the PKCS#7 signer signature does not "
                "verify.",
     .causes = {"The signature blob was damaged or edited",
                "A signing tool produced an invalid "
                "signature (wrong key for the certificate)"},
     .checks = {kVerify, kSig},
     .fixes = {kResign},
     .notes = {kLoadNote}},
    {.symbol = "TRUST_E_NO_SIGNER_CERT",
     .hresult = 0x80096002,
     .stages = L,
     .step = kStepTrust,
     .summary = "The signature does not contain the signer's certificate.",
     .causes = {"The PKCS#7 blob was built without embedding the signing certificate",
                "The blob was damaged"},
     .checks = {kVerify, kSig},
     .fixes = {kResign},
     .notes = {kLoadNote}},
    {.symbol = "TRUST_E_TIME_STAMP",
     .hresult = 0x80096005,
     .stages = L,
     .step = kStepTrust,
     .summary = "The timestamp countersignature is invalid.",
     .causes = {"The timestamp was made over a different signature, or by a TSA certificate that "
                "is not trusted or lacks the timeStamping EKU",
                "The timestamp token is damaged"},
     .checks = {"wslplug verify plugin.dll --ca cert.pem --tsa-ca tsa-root.pem", kSig},
     .fixes = {"Re-sign and re-timestamp with a trusted TSA (wslplug timestamp plugin.dll "
               "--timestamp <tsa url> --in-place)"},
     .notes = {kLoadNote}},
    {.symbol = "TRUST_E_BASIC_CONSTRAINTS",
     .hresult = 0x80096019,
     .stages = L,
     .step = kStepTrust,
     .summary = "A certificate's basic constraints are invalid for its place in the chain.",
     .causes = {"A leaf certificate (CA:FALSE) was used to issue the signing certificate",
                "The root or intermediate lacks CA:TRUE"},
     .checks = {"openssl x509 -in ca.pem -noout -ext basicConstraints", kVerify},
     .fixes = {"Regenerate the chain with CA:TRUE on issuers and CA:FALSE on the signer (or use "
               "wslplug cert new)"},
     .notes = {kLoadNote}},
    {.symbol = "TRUST_E_FAIL",
     .hresult = 0x800B010B,
     .stages = L,
     .step = kStepTrust,
     .summary = "Generic trust failure.",
     .causes = {"Any chain problem Windows does not classify further"},
     .checks = {kSig, kVerify, "certutil -verify -urlfetch cert.cer"},
     .fixes = {"Check the full chain; re-sign with a certificate whose chain ends in "
               "Cert:\\LocalMachine\\Root"},
     .notes = {kLoadNote}},
    {.symbol = "CERT_E_UNTRUSTEDROOT",
     .hresult = 0x800B0109,
     .stages = L,
     .step = kStepTrust,
     .wsl_name_since = k258,
     .summary = "The signature is valid but its chain ends in a root that LocalSystem does not "
                "trust (typically a self-signed test certificate).",
     .causes = {"A self-signed or test certificate that is not in Cert:\\LocalMachine\\Root",
                "The root was imported into the user's store (Cert:\\CurrentUser\\Root) only; "
                "wslservice runs as LocalSystem and uses the LocalMachine stores",
                "The DLL was signed with a different certificate than the one trusted"},
     .checks = {kSig, kRootStore, kVerify},
     .fixes = {kTrustRoot,
               "For distribution, sign with a certificate from a CA that Windows trusts", kRestart},
     .notes = {kOfficialOnly, kLoadNote}},
    {.symbol = "CERT_E_UNTRUSTEDTESTROOT",
     .hresult = 0x800B010D,
     .stages = L,
     .step = kStepTrust,
     .summary = "The chain ends in a test root that is not trusted.",
     .causes = {"A test root (e.g. Microsoft Test Root or a makecert root) is not trusted on this "
                "machine"},
     .checks = {kSig, kRootStore},
     .fixes = {kTrustRoot, kRestart},
     .notes = {kLoadNote}},
    {.symbol = "CERT_E_UNTRUSTEDCA",
     .hresult = 0x800B0112,
     .stages = L,
     .step = kStepTrust,
     .summary = "A CA in the chain is not trusted for code signing.",
     .causes = {"An intermediate CA is not trusted for this use (EKU restrictions on the CA)",
                "The root is trusted but restricted to other purposes"},
     .checks = {kSig, "certutil -verify -urlfetch cert.cer"},
     .fixes = {"Trust the CA for code signing in Cert:\\LocalMachine, or use a chain without "
               "EKU restrictions"},
     .notes = {kLoadNote}},
    {.symbol = "CERT_E_CHAINING",
     .hresult = 0x800B010A,
     .stages = L,
     .step = kStepTrust,
     .summary = "The certificate chain cannot be built: an intermediate certificate is missing.",
     .causes = {"The signature does not embed the intermediate CA and the machine does not have it",
                "The intermediate is only in the user's store"},
     .checks = {kSig, "certutil -verify -urlfetch cert.cer", kVerify},
     .fixes = {"Re-sign embedding the chain (wslplug sign --chain intermediate.pem ...)",
               "Or install the intermediate into Cert:\\LocalMachine\\CA"},
     .notes = {"WSL prints this code as hex (0x800b010a).", kLoadNote}},
    {.symbol = "CERT_E_EXPIRED",
     .hresult = 0x800B0101,
     .stages = L,
     .step = kStepTrust,
     .summary = "The signing certificate is outside its validity period and the signature has no "
                "valid timestamp.",
     .causes = {"The (test) certificate expired and the signature was not timestamped",
                "The certificate is not yet valid (clock skew, or created with a future start)",
                "The machine clock is wrong"},
     .checks = {kSig, "openssl x509 -in cert.pem -noout -dates", kVerify},
     .fixes = {"Create a new certificate (wslplug cert new) and re-sign",
               "Timestamp signatures (wslplug timestamp) so they stay valid after the "
               "certificate expires",
               "Fix the system clock"},
     .notes = {"WSL prints this code as hex (0x800b0101).", kLoadNote}},
    {.symbol = "CERT_E_VALIDITYPERIODNESTING",
     .hresult = 0x800B0102,
     .stages = L,
     .step = kStepTrust,
     .summary = "The validity periods of the chain do not nest (the leaf outlives its issuer).",
     .causes = {"The signing certificate was issued with dates outside its CA's validity"},
     .checks = {"openssl x509 -in cert.pem -noout -dates; openssl x509 -in ca.pem -noout -dates"},
     .fixes = {"Regenerate the certificate within the CA's validity period"},
     .notes = {kLoadNote}},
    {.symbol = "CERT_E_PURPOSE",
     .hresult = 0x800B0106,
     .stages = L,
     .step = kStepTrust,
     .summary = "The certificate is not valid for code signing.",
     .causes = {"The certificate's Extended Key Usage lacks Code Signing (1.3.6.1.5.5.7.3.3), "
                "e.g. a TLS server certificate"},
     .checks = {"openssl x509 -in cert.pem -noout -ext extendedKeyUsage,keyUsage", kVerify,
                kDoctorDll},
     .fixes = {"Create a code-signing certificate (wslplug cert new, or New-SelfSignedCertificate "
               "-Type CodeSigningCert) and re-sign"},
     .notes = {kLoadNote}},
    {.symbol = "CERT_E_WRONG_USAGE",
     .hresult = 0x800B0110,
     .stages = L,
     .step = kStepTrust,
     .summary = "The certificate's key usage does not allow code signing.",
     .causes = {"The certificate has no Code Signing EKU (1.3.6.1.5.5.7.3.3): a serverAuth/TLS "
                "or S/MIME certificate was used",
                "keyUsage lacks digitalSignature"},
     .checks = {"openssl x509 -in cert.pem -noout -ext extendedKeyUsage,keyUsage", kVerify,
                kDoctorDll},
     .fixes = {"Create a code-signing certificate (wslplug cert new) and re-sign"},
     .notes = {kLoadNote}},
    {.symbol = "CERT_E_CRITEXTENSION",
     .hresult = 0x800B0105,
     .stages = L,
     .step = kStepTrust,
     .summary = "A certificate has a critical extension Windows does not understand.",
     .causes = {"A hand-made certificate marks a custom or unsupported extension critical"},
     .checks = {"openssl x509 -in cert.pem -noout -text"},
     .fixes = {"Regenerate the certificate without unknown critical extensions (wslplug cert new)"},
     .notes = {kLoadNote}},
    {.symbol = "CERT_E_MALFORMED",
     .hresult = 0x800B0108,
     .stages = L,
     .step = kStepTrust,
     .summary = "A certificate in the signature is malformed.",
     .causes = {"A hand-made certificate with invalid fields", "A damaged signature blob"},
     .checks = {"openssl x509 -in cert.pem -noout -text", kVerify},
     .fixes = {"Regenerate the certificate (wslplug cert new) and re-sign"},
     .notes = {kLoadNote}},
    {.symbol = "CERT_E_REVOKED",
     .hresult = 0x800B010C,
     .stages = L,
     .step = kStepTrust,
     .summary = "The signing certificate was revoked by its issuer.",
     .causes = {"The certificate is on its CA's revocation list (compromised or reissued key)"},
     .checks = {"certutil -verify -urlfetch cert.cer"},
     .fixes = {"Get a new certificate and re-sign"},
     .notes = {"WSL passes no revocation flags; revocation can still come from cached CRLs or "
               "policy.",
               kLoadNote}},
    {.symbol = "CRYPT_E_REVOKED",
     .hresult = 0x80092010,
     .stages = L,
     .step = kStepTrust,
     .summary = "A certificate in the chain was revoked.",
     .causes = {"The signer or an intermediate is revoked"},
     .checks = {"certutil -verify -urlfetch cert.cer"},
     .fixes = {"Get a new certificate and re-sign"},
     .notes = {kLoadNote}},
    {.symbol = "CRYPT_E_SECURITY_SETTINGS",
     .hresult = 0x80092026,
     .stages = L,
     .step = kStepTrust,
     .summary = "The administrator's Authenticode policy blocks this signature.",
     .causes = {"Group Policy restricts trusted publishers (e.g. only admin-approved publishers "
                "in TrustedPublisher)",
                "Software Restriction Policy certificate rules"},
     .checks = {"gpresult /h report.html (Software Restriction Policies, Trusted Publishers)",
                "Get-ChildItem Cert:\\LocalMachine\\TrustedPublisher"},
     .fixes = {"Ask the administrator to trust the publisher, or add the signer to "
               "Cert:\\LocalMachine\\TrustedPublisher when policy requires it"},
     .notes = {kLoadNote}},
    // ---------------------------------------------------------------- entry point and hooks
    {.symbol = "WSL_E_PLUGIN_REQUIRES_UPDATE",
     .hresult = 0x8004032A,
     .stages = L,
     .step = kStepEntry,
     .wsl_name_since = k258,
     .summary = "The plugin's entry point says this WSL is too old (WSL_PLUGIN_REQUIRE_VERSION "
                "failed); WSL shows \"The plugin '<name>' requires a newer version of WSL. Please "
                "run: wsl.exe --update\".",
     .causes = {"The installed WSL is older than the version the plugin requires",
                "The plugin requires a version that does not exist (e.g. 2.1.2, which was never "
                "tagged; releases went 2.1.1 -> 2.1.3)"},
     .checks = {"wsl --version", "Read the WSL_PLUGIN_REQUIRE_VERSION(...) line in the plugin"},
     .fixes = {"wsl --update",
               "Lower the plugin's requirement to the oldest version whose API it "
               "really uses"},
     .notes = {"Value: MAKE_HRESULT(SEVERITY_ERROR, FACILITY_ITF, 0x032A).", kLoadNote}},
    {.symbol = "E_ABORT",
     .hresult = 0x80004004,
     .stages = L | V | D,
     .step = kStepEntry,
     .wsl_name_since = k258,
     .summary = "The plugin aborted its own initialisation or hook.",
     .causes = {"The entry point could not set itself up (the MS sample returns E_ABORT when it "
                "cannot open C:\\wsl-plugin-demo.txt)",
                "wslplugins-rs: the plugin context was already initialised"},
     .checks = {"The plugin's log; run the entry point in a test host"},
     .fixes = {"Fix the condition the plugin reports; the sample needs C:\\wsl-plugin-demo.txt to "
               "be creatable by SYSTEM"},
     .notes = {kLoadNote}},
    {.symbol = "ERROR_ALREADY_INITIALIZED",
     .hresult = 0x800704DF,
     .stages = L,
     .step = kStepEntry,
     .summary = "The plugin's entry point ran twice (wslplugins-rs: the context is already "
                "initialised).",
     .causes = {"The same DLL is registered twice under different paths (hard link, copy, 8.3 "
                "name) so the entry point runs twice in one process",
                "The plugin calls its own initialisation twice"},
     .checks = {kRegQuery},
     .fixes = {"Register the plugin once", kRestart},
     .notes = {"WSL prints this code as hex (0x800704df). Duplicate paths that compare equal "
               "case-insensitively are loaded only once."}},
    {.symbol = "E_UNEXPECTED",
     .hresult = 0x8000FFFF,
     .stages = L | V | D,
     .step = kStepEntry,
     .wsl_name_since = k258,
     .summary = "A plugin-chosen failure: the entry point, OnVMStarted or OnDistributionStarted "
                "returned E_UNEXPECTED.",
     .causes = {"The plugin's hook failed and returned E_UNEXPECTED (WSL's own tests use it for "
                "a failing entry point and OnVMStarted)",
                "The plugin threw a C++ exception that its wrapper mapped to E_UNEXPECTED"},
     .checks = {"Read the text after \"Error message:\" if WSL printed one (PluginError)",
                "The plugin's own log"},
     .fixes = {"Fix the failing step in the plugin; call PluginError(message) before returning "
               "a failure so users see why"},
     .notes =
         {"With CreateVm/Plugin the failure came from loading (entry point) or "
          "OnVMStarted; without CreateVm from OnDistributionStarted.",
          "Failures returned by OnVMStopping, OnDistributionStopping and OnDistributionRegistered/"
          "Unregistered are only logged: WSL ignores them and users never see a code."}},
    {.symbol = "E_FAIL",
     .hresult = 0x80004005,
     .stages = L | V | D | A,
     .step = kStepEntry,
     .wsl_name_since = k258,
     .summary = "A generic plugin failure; ExecuteBinary also returns it for a Linux path that "
                "does not exist.",
     .causes = {"The plugin's hook returned E_FAIL (wslplugins-rs maps panics to E_FAIL and "
                "passes the panic text as the message)",
                "api-call: ExecuteBinary was given a path that does not exist in the VM root "
                "namespace"},
     .checks = {"Read the text after \"Error message:\" (PluginError / panic text)",
                "The plugin's own log; wsl --debug-shell to inspect the VM root namespace"},
     .fixes = {"Fix the failing step; report why with PluginError before returning"},
     .notes =
         {"Failures returned by OnVMStopping, OnDistributionStopping and OnDistributionRegistered/"
          "Unregistered are only logged: WSL ignores them and users never see a code."}},
    {.symbol = "E_ILLEGAL_STATE_CHANGE",
     .hresult = 0x8000000D,
     .stages = V | D | A,
     .wsl_name_since = "master after 2.9.4 (PR #41074)",
     .summary = "The plugin called PluginError but its hook returned success, or called "
                "PluginError twice in one hook.",
     .causes = {"The hook set a message with PluginError and then returned S_OK (the service "
                "throws E_ILLEGAL_STATE_CHANGE and the start fails)",
                "PluginError was called twice during one hook"},
     .checks = {"Review every PluginError call: it must be followed by returning a failure "
                "HRESULT"},
     .fixes = {"Call PluginError once, then return a failure HRESULT from the same hook"},
     .notes = {"Without a message, wsl.exe shows the generic text for this code: \"An install, "
               "uninstall, or conversion is in progress for this distribution.\", which is "
               "misleading."}},
    {.symbol = "E_ILLEGAL_METHOD_CALL",
     .hresult = 0x8000000E,
     .stages = A | H,
     .summary = "PluginError was called outside a start hook or from another thread.",
     .causes = {"PluginError called from a worker thread, not synchronously inside "
                "OnVMStarted/OnDistributionStarted",
                "PluginError called from the entry point or a stop/notification hook"},
     .checks = {"Find PluginError calls made off the hook's thread"},
     .fixes = {"Call PluginError synchronously inside OnVMStarted or OnDistributionStarted"},
     .notes = {"WSL prints this code as hex (0x8000000e)."}},
    {.symbol = "E_INVALIDARG",
     .hresult = 0x80070057,
     .stages = A,
     .wsl_name_since = k258,
     .summary = "An API call got an invalid argument (null message or null distribution GUID).",
     .causes = {"PluginError(nullptr)", "ExecuteBinaryInDistribution with a null GUID"},
     .checks = {"Check the arguments of the failing API call"},
     .fixes = {"Pass valid, non-null arguments"},
     .notes = {}},
    {.symbol = "E_POINTER",
     .hresult = 0x80004003,
     .stages = A,
     .summary = "A WSLC API call got a null pointer.",
     .causes = {"A WSLC call (WSLCCreateProcess, WSLCProcessGetFd, ...) with a null output or "
                "input pointer",
                "WSLCCreateProcess with a NULL Executable, Arguments or Process (Env and Errno "
                "may be NULL)",
                "WSLCMountFolder / WSLCUnmountFolder with a NULL path or mount point"},
     .checks = {"Check the arguments of the failing API call"},
     .fixes = {"Pass valid, non-null pointers"},
     .notes = {"WSL prints this code as hex (0x80004003)."}},
    {.symbol = "RPC_E_DISCONNECTED",
     .hresult = 0x80010108,
     .stages = A | H,
     .wsl_name_since = k258,
     .summary = "In-process: the session id is unknown or stale; out-of-process host: the host "
                "is gone.",
     .causes = {"The plugin cached a session id and used it after the VM stopped (ExecuteBinary / "
                "MountFolder / ExecuteBinaryInDistribution)",
                "host: the plugin host process crashed or was killed"},
     .checks = {"Log the session id used by the failing call and the VM start/stop hooks"},
     .fixes = {"Do not keep session ids across VM lifetimes; drop them in OnVMStopping"},
     .notes = {kHostCrash, kHostNote}},
    {.symbol = "ERROR_NOT_FOUND",
     .hresult = 0x80070490,
     .stages = A | H,
     .wsl_name_since = k258,
     .summary = "The session was not found (out-of-process host callback).",
     .causes = {"A stale or unknown session id used through the out-of-process host",
                "A WSLC call with a WSLC session id that does not exist (a WSLSessionId passed "
                "as a WSLCSessionId, or an id kept after OnSessionStopping); wslplug run answers "
                "this"},
     .checks = {"Log the session id used by the failing call"},
     .fixes = {"Do not keep session ids across VM lifetimes",
               "WSLC: use the SessionId of the WSLCSessionInformation the hook got"},
     .notes = {"The out-of-process host uses ERROR_NOT_FOUND instead of RPC_E_DISCONNECTED so a "
               "stale id is not mistaken for a host crash.",
               kHostNote}},
    {.symbol = "ERROR_INVALID_STATE",
     .hresult = 0x8007139F,
     .stages = A,
     .wsl_name_since = "2.8.0",
     .summary = "WSLCProcessGetExitCode was called before the process exited.",
     .causes = {"The plugin asked for the exit code without waiting on the exit event",
                "The plugin waited on the stdout handle's end of stream instead: a process can "
                "close its output before it exits"},
     .checks = {"Check that WSLCProcessGetExitEvent's event is signalled first",
                "wslplug run plugin.dll --wsl-version 2.9.5 (problem wslc-exit-code-early)"},
     .fixes = {"Wait on the exit event (WaitForSingleObject), then read the exit code",
               "Close the fd and event handles, then WSLCReleaseProcess on every path"},
     .notes = {"Value: HRESULT_FROM_WIN32(ERROR_INVALID_STATE). WSL prints the name since 2.8.0."}},
    {.symbol = "WSLC_E_VM_NOT_RUNNING",
     .hresult = 0x80040610,
     .stages = A,
     .summary = "A WSLC API call was made while the session has no running VM (WSLC calls never "
                "start a VM).",
     .causes = {"The plugin calls WSLC APIs before the VM started or after it stopped",
                "A WSLC call from OnSessionCreated: the session's VM does not run yet",
                "A WSLC call from OnSessionStopping, or from a worker thread after WslcVmStopping"},
     .checks = {"Log WslcVmStarted / WslcVmStopping (2.9.5) around the call",
                "wslplug run plugin.dll --wsl-version 2.9.5 (problem wslc-vm-not-running names "
                "the hook)"},
     .fixes = {"Act in WslcVmStarted or after it; stop before WslcVmStopping returns",
               "Before 2.9.5 (no VM hooks): act in ContainerStarted, when a container runs"},
     .notes = {"Value: MAKE_HRESULT(SEVERITY_ERROR, FACILITY_ITF, 0x0610).",
               "WslcVmStarted fires on every VM (re)start; WslcVmStopping runs while the VM "
               "still runs."}},
    {.symbol = "ERROR_DYNAMIC_CODE_BLOCKED",
     .hresult = 0x80070677,
     .stages = L | V | D,
     .step = kStepEntry,
     .summary = "The plugin tried to create executable memory; wslservice runs with Arbitrary Code "
                "Guard (ProhibitDynamicCode) and refuses it.",
     .causes = {"A JIT runtime inside the plugin (.NET, JavaScript engine, LuaJIT, regex JIT)",
                "A hooking/trampoline library that allocates executable memory"},
     .checks = {"Run the plugin logic in a test process with "
                "SetProcessMitigationPolicy(ProcessDynamicCodePolicy)"},
     .fixes = {"Do not use JIT or executable allocations in a plugin; move such work into a "
               "separate process"},
     .notes = {"[general Windows] plugin-internal; how it surfaces depends on the plugin. WSL "
               "prints it as hex (0x80070677)."}},
    {.symbol = "ERROR_UNHANDLED_EXCEPTION",
     .hresult = 0x8007023E,
     .stages = L | V | D,
     .step = kStepEntry,
     .wsl_name_since = k258,
     .summary = "An unhandled exception surfaced as an error.",
     .causes = {"The plugin threw a C++ exception or raised an SEH exception through a hook",
                "A delay-loaded dependency was missing when first called"},
     .checks = {kEventLog, "Collect a dump of wslservice.exe (WER LocalDumps)"},
     .fixes = {"Catch all exceptions at the hook boundary and return an HRESULT"},
     .notes = {}},
    // ---------------------------------------------------------------- RPC / COM / host
    {.symbol = "RPC_S_CALL_FAILED",
     .hresult = 0x800706BE,
     .stages = H,
     .wsl_name_since = k258,
     .summary = "The remote call failed: wslservice (in-process plugin crash) or the plugin host "
                "died during the call.",
     .causes = {"The plugin crashed inside wslservice.exe (in-process), killing the service mid "
                "call (e.g. the Intune WSL plugin with more than one distribution)",
                "host: wslpluginhost.exe crashed during a hook"},
     .checks = {kEventLog,
                "Get-WinEvent -FilterHashtable @{LogName='Application'; Id=1000} "
                "-MaxEvents 10 (faulting module)"},
     .fixes = {"Find and fix the crash in the plugin; temporarily remove its registry value to "
               "get WSL working"},
     .notes = {kHostCrash, kHostNote}},
    {.symbol = "RPC_S_CALL_FAILED_DNE",
     .hresult = 0x800706BF,
     .stages = H,
     .wsl_name_since = "master after 2.9.4 (PR #41074)",
     .summary = "The remote call failed and did not execute (host or service gone).",
     .causes = {"The plugin host or wslservice exited before the call ran"},
     .checks = {kEventLog},
     .fixes = {"Find the crash; restart the service"},
     .notes = {kHostCrash, kHostNote}},
    {.symbol = "RPC_S_SERVER_UNAVAILABLE",
     .hresult = 0x800706BA,
     .stages = H,
     .wsl_name_since = "2.8.0",
     .summary = "The RPC server is unavailable: the plugin host (or the service) process is gone.",
     .causes = {"wslpluginhost.exe or wslservice.exe exited or crashed"},
     .checks = {kEventLog},
     .fixes = {"Find the crash; restart the service"},
     .notes = {kHostCrash, kHostNote}},
    {.symbol = "RPC_E_SERVER_DIED",
     .hresult = 0x80010007,
     .stages = H,
     .summary = "The plugin host process died.",
     .causes = {"The plugin crashed wslpluginhost.exe"},
     .checks = {kEventLog},
     .fixes = {"Find the crash in the plugin; restart the service"},
     .notes = {kHostCrash, kHostNote}},
    {.symbol = "RPC_E_SERVER_DIED_DNE",
     .hresult = 0x80010012,
     .stages = H,
     .summary = "The plugin host process died before the call executed.",
     .causes = {"The plugin crashed wslpluginhost.exe"},
     .checks = {kEventLog},
     .fixes = {"Find the crash in the plugin; restart the service"},
     .notes = {kHostCrash, kHostNote}},
    {.symbol = "CO_E_OBJNOTCONNECTED",
     .hresult = 0x800401FD,
     .stages = H,
     .summary = "The plugin host COM object is disconnected.",
     .causes = {"wslpluginhost.exe exited or was terminated (job object closed)"},
     .checks = {kEventLog},
     .fixes = {"Find the crash; restart the service"},
     .notes = {kHostCrash, kHostNote}},
    {.symbol = "RPC_E_CALL_REJECTED",
     .hresult = 0x80010001,
     .stages = H,
     .summary = "The plugin host was busy and rejected the call; not treated as a crash.",
     .causes = {"A transient busy state of the host (the MTA host has no message filter)"},
     .checks = {"Retry the operation"},
     .fixes = {"Retry"},
     .notes = {"Deliberately excluded from IsHostCrash.", kHostNote}},
    {.symbol = "RPC_E_CALL_CANCELED",
     .hresult = 0x80010002,
     .stages = H,
     .wsl_name_since = "master after 2.9.4 (PR #41074)",
     .summary = "A cross-process call was cancelled.",
     .causes = {"The caller cancelled the call (timeout, Ctrl+C, shutdown)"},
     .checks = {"Retry the operation"},
     .fixes = {"Retry; check whether a hook blocks for a long time"},
     .notes = {}},
    {.symbol = "REGDB_E_CLASSNOTREG",
     .hresult = 0x80040154,
     .stages = H,
     .wsl_name_since = k258,
     .summary = "A COM class is not registered: the WSL installation is broken (plugin host or "
                "service class missing).",
     .causes = {"A damaged or partial WSL installation"},
     .checks = {"wsl --version", "Get-AppxPackage *WindowsSubsystemForLinux*"},
     .fixes = {"Repair or reinstall WSL (wsl --update, or reinstall the MSI)"},
     .notes = {kHostNote}},
    {.symbol = "CO_E_SERVER_EXEC_FAILURE",
     .hresult = 0x80080005,
     .stages = H,
     .wsl_name_since = "master after 2.9.4 (PR #41074)",
     .summary = "The COM server (the plugin host or wslservice) failed to start; also seen when a "
                "crashing plugin takes the service down.",
     .causes = {"A plugin crashes wslservice at startup or while loading (reported with the "
                "Intune WSL plugin)",
                "A broken WSL installation"},
     .checks = {kEventLog, kRegQuery},
     .fixes = {"Remove the plugin's registry value to confirm, then fix the crash",
               "Repair or reinstall WSL"},
     .notes = {kHostNote}},
    {.symbol = "E_OUTOFMEMORY",
     .hresult = 0x8007000E,
     .stages = L | V | D | A,
     .step = kStepEntry,
     .wsl_name_since = "master after 2.9.4 (PR #41074)",
     .summary = "Out of memory.",
     .causes = {"The plugin or the service ran out of memory", "A plugin hook returned it"},
     .checks = {"Get-Process wslservice | Select-Object WorkingSet64,PrivateMemorySize64"},
     .fixes = {"Find the leak in the plugin"},
     .notes = {}},
    {.symbol = "E_NOTIMPL",
     .hresult = 0x80004001,
     .stages = L | V | D | A,
     .step = kStepEntry,
     .wsl_name_since = "master after 2.9.4 (PR #41074)",
     .summary = "Not implemented.",
     .causes = {"A plugin hook returned E_NOTIMPL for a feature it does not support"},
     .checks = {"The plugin's log"},
     .fixes = {"Return S_OK from hooks the plugin does not need, or leave the hook pointer null"},
     .notes = {}},
    // ---------------------------------------------------------------- crashes (NTSTATUS)
    {.symbol = "STATUS_ACCESS_VIOLATION",
     .hresult = 0xC0000005,
     .stages = L | V | D,
     .step = kStepCrash,
     .summary = "The plugin crashed wslservice with an access violation (invalid memory access).",
     .causes = {"A pointer WSL passed to a hook (distribution information, names, settings) was "
                "used after the hook returned; those pointers are valid only during the call",
                "A newer API slot or hook field was used on an older WSL: the host's tables are "
                "shorter (check Api->Version first, or use WSL_PLUGIN_REQUIRE_VERSION)",
                "A null or dangling pointer, or a data race: hooks can run on several service "
                "threads at once",
                "A struct layout mismatch from a hand-written binding of WslPluginApi.h"},
     .checks = {kCrashEvents, kCrashDumps, kDoctorDll},
     .fixes = {"Copy what you need from hook arguments during the call",
               "Check Api->Version before using slots added after the version you require",
               "Make plugin state thread-safe; catch everything at the hook boundary"},
     .notes = {kCrashNote}},
    {.symbol = "STATUS_STACK_BUFFER_OVERRUN",
     .hresult = 0xC0000409,
     .stages = L | V | D,
     .step = kStepCrash,
     .summary = "A fail-fast in the plugin: abort(), std::terminate (an exception escaped a hook), "
                "__fastfail or a /GS stack-cookie check stopped wslservice.",
     .causes = {"A C++ exception escaped a hook or the entry point (std::terminate -> abort)",
                "A Rust panic with panic=abort", "A real stack buffer overrun detected by /GS"},
     .checks = {kCrashEvents, kCrashDumps},
     .fixes = {"Catch all exceptions (catch (...)) at every exported function and hook and return "
               "an HRESULT; in Rust use catch_unwind (wslplugins-rs maps panics to E_FAIL)"},
     .notes = {kCrashNote}},
    {.symbol = "STATUS_HEAP_CORRUPTION",
     .hresult = 0xC0000374,
     .stages = L | V | D,
     .step = kStepCrash,
     .summary = "The process heap was corrupted by the plugin and Windows stopped wslservice.",
     .causes = {"Memory freed with a different allocator or C runtime than the one that allocated "
                "it (mixing runtimes across modules)",
                "A double free or a write past the end of an allocation"},
     .checks = {kCrashEvents, kCrashDumps,
                "gflags /p /enable wslservice.exe /full (page heap, Debugging Tools)"},
     .fixes = {"Free memory in the module that allocated it; fix the overrun (AddressSanitizer / "
               "page heap in a test host)"},
     .notes = {kCrashNote}},
};

}  // namespace

std::span<const KnownError> knowledge_base() { return kTable; }

}  // namespace wslplug::doctor
