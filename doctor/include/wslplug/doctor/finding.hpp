// Findings of the static checks (doctor --dll, doctor --reg, build, register): what is wrong, how
// severe, which WSL error it would cause when the plugin is loaded, and how to fix it; and the one
// catalogue of finding kinds. Every finding is made from a catalogue constant (kUnsigned,
// ...), which fixes its id, severity and WSL error; callers compare with Finding::is, never with
// an id string. The catalogue is documented as tables in docs/doctor.md.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wslplug::doctor {

enum class Severity { kError, kWarning, kInfo };
// "error", "warning", "info".
std::string_view severity_name(Severity s);

// Which check reports a kind of finding (the sections of docs/doctor.md).
enum class CheckArea { kSignature, kImage, kExport, kRegistration, kLocation };
// "signature", "image", "export", "registration", "location".
std::string_view check_area_name(CheckArea a);

// One kind of finding: an entry of the catalogue.
struct FindingKind {
  std::string_view id;  // stable kebab-case identifier, e.g. "entry-point-missing"
  Severity severity = Severity::kError;
  std::string_view
      wsl_error;  // symbolic WSL error it causes, e.g. "ERROR_PROC_NOT_FOUND"; may be empty
  CheckArea area = CheckArea::kImage;
  std::string_view summary;  // when it is reported, in a few words
};

struct Finding {
  std::string id;  // the FindingKind's id ("nested-" + id for a nested signature's problem)
  Severity severity = Severity::kError;
  std::string wsl_error;  // may be empty
  std::string message;    // what is wrong, naming the file and the field
  std::string fix;        // how to fix it
  // True when this finding is of `kind` (a nested signature's finding is not its primary kind).
  [[nodiscard]] bool is(const FindingKind& kind) const { return id == kind.id; }
};

// The one way to make a finding: id, severity and WSL error from the catalogue entry.
Finding make_finding(const FindingKind& kind, std::string message, std::string fix);

// True when any finding has severity error.
bool has_errors(const std::vector<Finding>& findings);

// A problem of a nested (or secondary) signature is reported as "nested-<id>" with severity
// warning: WinVerifyTrust, and so WSL, checks only the primary signature.
inline constexpr std::string_view kNestedPrefix = "nested-";

// ---- signature (WinVerifyTrust, official WSL builds) ---------------------------------------
inline constexpr FindingKind kUnsigned{"unsigned", Severity::kError, "TRUST_E_NOSIGNATURE",
                                       CheckArea::kSignature, "no certificate table"};
inline constexpr FindingKind kSignatureUnreadable{"signature-unreadable", Severity::kError,
                                                  "TRUST_E_NOSIGNATURE", CheckArea::kSignature,
                                                  "the certificate table is structurally broken"};
inline constexpr FindingKind kSignatureMalformed{"signature-malformed", Severity::kError,
                                                 "TRUST_E_NOSIGNATURE", CheckArea::kSignature,
                                                 "PKCS#7 / SpcIndirectDataContent malformed"};
inline constexpr FindingKind kDigestMismatch{"digest-mismatch", Severity::kError,
                                             "TRUST_E_BAD_DIGEST", CheckArea::kSignature,
                                             "the file changed after signing"};
inline constexpr FindingKind kDigestUnsupported{"digest-unsupported", Severity::kError,
                                                "NTE_BAD_ALGID", CheckArea::kSignature,
                                                "digest algorithm not supported"};
inline constexpr FindingKind kSignatureInvalid{"signature-invalid", Severity::kError,
                                               "TRUST_E_CERT_SIGNATURE", CheckArea::kSignature,
                                               "the signer's signature does not verify"};
inline constexpr FindingKind kCertWrongUsage{"cert-wrong-usage", Severity::kError,
                                             "CERT_E_WRONG_USAGE", CheckArea::kSignature,
                                             "no Code Signing EKU / digitalSignature key usage"};
inline constexpr FindingKind kCertExpired{"cert-expired", Severity::kError, "CERT_E_EXPIRED",
                                          CheckArea::kSignature,
                                          "certificate expired, no valid timestamp"};
inline constexpr FindingKind kCertNotYetValid{"cert-not-yet-valid", Severity::kError,
                                              "CERT_E_EXPIRED", CheckArea::kSignature,
                                              "certificate not yet valid, no valid timestamp"};
inline constexpr FindingKind kChainIncomplete{"chain-incomplete", Severity::kError,
                                              "CERT_E_CHAINING", CheckArea::kSignature,
                                              "an intermediate certificate is missing"};
inline constexpr FindingKind kUntrustedRoot{
    "untrusted-root", Severity::kError, "CERT_E_UNTRUSTEDROOT", CheckArea::kSignature,
    "self-signed or untrusted root; the fix says how to trust it for LocalSystem"};
inline constexpr FindingKind kTimestampInvalid{"timestamp-invalid", Severity::kError,
                                               "TRUST_E_TIME_STAMP", CheckArea::kSignature,
                                               "bad timestamp countersignature"};
inline constexpr FindingKind kSignatureUnsignedData{
    "signature-unsigned-data", Severity::kError, "TRUST_E_NOSIGNATURE", CheckArea::kSignature,
    "data after the PKCS#7 inside its WIN_CERTIFICATE (refused where EnableCertPaddingCheck=1)"};
inline constexpr FindingKind kCertRevoked{"cert-revoked", Severity::kError, "CERT_E_REVOKED",
                                          CheckArea::kSignature,
                                          "a certificate of the chain is revoked (--crl)"};
inline constexpr FindingKind kSignatureProblem{"signature-problem", Severity::kError,
                                               "TRUST_E_FAIL", CheckArea::kSignature,
                                               "any other reason the signature does not verify"};
inline constexpr FindingKind kChecksumMismatch{
    "checksum-mismatch", Severity::kInfo, "", CheckArea::kSignature,
    "PE CheckSum wrong (Windows ignores it for user-mode DLLs)"};

// ---- image (LoadLibrary) -------------------------------------------------------------------
inline constexpr FindingKind kNotPe{
    "not-pe", Severity::kError, "TRUST_E_SUBJECT_FORM_UNKNOWN", CheckArea::kImage,
    "not a PE image (builds without the signature check: ERROR_BAD_EXE_FORMAT); no other check "
    "runs"};
inline constexpr FindingKind kMalformedPe{"malformed-pe", Severity::kError, "ERROR_BAD_EXE_FORMAT",
                                          CheckArea::kImage, "PE headers broken"};
inline constexpr FindingKind kWrongMachine{"wrong-machine", Severity::kError,
                                           "ERROR_BAD_EXE_FORMAT", CheckArea::kImage,
                                           "Machine is not x64 or ARM64 (x86, ARM32)"};
inline constexpr FindingKind kMachineArm64{"machine-arm64", Severity::kInfo, "", CheckArea::kImage,
                                           "ARM64 DLL: Windows on ARM only"};
inline constexpr FindingKind kNotDll{
    "not-dll", Severity::kError, "", CheckArea::kImage,
    "an EXE (no IMAGE_FILE_DLL): its runtime is never initialised"};
inline constexpr FindingKind kImportMingwRuntime{
    "import-mingw-runtime", Severity::kError, "ERROR_MOD_NOT_FOUND", CheckArea::kImage,
    "imports libstdc++-6.dll, libgcc_s_*.dll, libwinpthread-1.dll, ..."};
inline constexpr FindingKind kImportDebugRuntime{"import-debug-runtime", Severity::kError,
                                                 "ERROR_MOD_NOT_FOUND", CheckArea::kImage,
                                                 "imports VCRUNTIME140D.dll, ucrtbased.dll, ..."};
inline constexpr FindingKind kImportVcRuntime{
    "import-vc-runtime", Severity::kWarning, "ERROR_MOD_NOT_FOUND", CheckArea::kImage,
    "imports VCRUNTIME140.dll, MSVCP140.dll, ...: loads only where the VC++ Redistributable is "
    "installed"};
inline constexpr FindingKind kImportNotSystem{
    "import-not-system", Severity::kError, "ERROR_MOD_NOT_FOUND", CheckArea::kImage,
    "imports a DLL that does not ship in System32 (wslservice does not search the plugin's "
    "folder)"};
inline constexpr FindingKind kDelayImport{
    "delay-import", Severity::kWarning, "ERROR_MOD_NOT_FOUND", CheckArea::kImage,
    "a delay-loaded non-system DLL: the first call raises an exception inside wslservice"};
inline constexpr FindingKind kMalformedImports{"malformed-imports", Severity::kError,
                                               "ERROR_BAD_EXE_FORMAT", CheckArea::kImage,
                                               "import directory unreadable"};

// ---- export (GetProcAddress of WSLPluginAPIV1_EntryPoint) ----------------------------------
inline constexpr FindingKind kEntryPointMissing{
    "entry-point-missing", Severity::kError, "ERROR_PROC_NOT_FOUND", CheckArea::kExport,
    "not exported (the message lists what is exported)"};
inline constexpr FindingKind kEntryPointMangled{"entry-point-mangled", Severity::kError,
                                                "ERROR_PROC_NOT_FOUND", CheckArea::kExport,
                                                "exported under a C++-mangled name"};
inline constexpr FindingKind kEntryPointDecorated{
    "entry-point-decorated", Severity::kError, "ERROR_PROC_NOT_FOUND", CheckArea::kExport,
    "x86 stdcall decoration (_WSLPluginAPIV1_EntryPoint@8)"};
inline constexpr FindingKind kEntryPointMacroName{
    "entry-point-macro-name", Severity::kError, "ERROR_PROC_NOT_FOUND", CheckArea::kExport,
    "exported as the literal macro name WSLPLUGINAPI_ENTRYPOINTV1"};
inline constexpr FindingKind kEntryPointWrongCase{"entry-point-wrong-case", Severity::kError,
                                                  "ERROR_PROC_NOT_FOUND", CheckArea::kExport,
                                                  "differs only in case"};
inline constexpr FindingKind kEntryPointForwarded{"entry-point-forwarded", Severity::kWarning,
                                                  "ERROR_PROC_NOT_FOUND", CheckArea::kExport,
                                                  "forwarded to another DLL"};
inline constexpr FindingKind kMalformedExports{"malformed-exports", Severity::kError,
                                               "ERROR_PROC_NOT_FOUND", CheckArea::kExport,
                                               "export directory unreadable"};

// ---- registration (.reg files, doctor --reg) -----------------------------------------------
inline constexpr FindingKind kEncodingUtf8Bom{
    "encoding-utf8-bom", Severity::kWarning, "", CheckArea::kRegistration,
    "UTF-8 byte-order mark, which reg import (Wine's, at least) refuses"};
inline constexpr FindingKind kEncodingNonAscii{
    "encoding-non-ascii", Severity::kWarning, "ERROR_FILE_NOT_FOUND", CheckArea::kRegistration,
    "non-ASCII text without a byte-order mark: read in the ANSI code page"};
inline constexpr FindingKind kKeyWow6432Node{
    "key-wow6432node", Severity::kError, "", CheckArea::kRegistration,
    "the key is in the 32-bit view (WOW6432Node), which the 64-bit service never reads"};
inline constexpr FindingKind kKeyAbbreviated{"key-abbreviated", Severity::kError, "",
                                             CheckArea::kRegistration,
                                             "HKLM\\... instead of the full hive name"};
inline constexpr FindingKind kKeyWrong{"key-wrong", Severity::kError, "", CheckArea::kRegistration,
                                       "an Lxss key that is not the Plugins key"};
inline constexpr FindingKind kKeyOther{"key-other", Severity::kInfo, "", CheckArea::kRegistration,
                                       "values under an unrelated key"};
inline constexpr FindingKind kKeyDeleted{"key-deleted", Severity::kWarning, "",
                                         CheckArea::kRegistration,
                                         "[-...Plugins] deletes every plugin registration"};
inline constexpr FindingKind kNameDefaultValue{
    "name-default-value", Severity::kWarning, "", CheckArea::kRegistration,
    "@= (the key's default value): the plugin has an empty name"};
inline constexpr FindingKind kNameInvalid{"name-invalid", Severity::kError, "",
                                          CheckArea::kRegistration,
                                          "empty name or control characters in it"};
inline constexpr FindingKind kNameDuplicate{"name-duplicate", Severity::kWarning, "",
                                            CheckArea::kRegistration,
                                            "the same name set twice (the later line wins)"};
inline constexpr FindingKind kValueRemoved{"value-removed", Severity::kInfo, "",
                                           CheckArea::kRegistration,
                                           "\"name\"=- removes a registration"};
inline constexpr FindingKind kValueNotRegSz{
    "value-not-reg-sz", Severity::kError, "", CheckArea::kRegistration,
    "not REG_SZ (hex(2)/REG_EXPAND_SZ, REG_MULTI_SZ, dword, ...): WSL skips it silently"};
inline constexpr FindingKind kPathDuplicate{"path-duplicate", Severity::kWarning, "",
                                            CheckArea::kRegistration,
                                            "the same DLL registered under two names"};
inline constexpr FindingKind kNoRegistration{"no-registration", Severity::kWarning, "",
                                             CheckArea::kRegistration,
                                             "no value under the Plugins key"};
inline constexpr FindingKind kPathEmpty{"path-empty", Severity::kError, "ERROR_PATH_NOT_FOUND",
                                        CheckArea::kRegistration, "the path is empty"};
inline constexpr FindingKind kPathControlCharacter{"path-control-character", Severity::kError,
                                                   "ERROR_INVALID_NAME", CheckArea::kRegistration,
                                                   "control characters in the path"};
inline constexpr FindingKind kPathQuotes{"path-quotes", Severity::kError, "ERROR_INVALID_NAME",
                                         CheckArea::kRegistration, "double quotes in the path"};
inline constexpr FindingKind kPathEnvVar{"path-env-var", Severity::kError, "ERROR_PATH_NOT_FOUND",
                                         CheckArea::kRegistration,
                                         "%VARS% in the path (never expanded)"};
inline constexpr FindingKind kPathInDistribution{
    "path-in-distribution", Severity::kError, "", CheckArea::kRegistration,
    "\\\\wsl$\\ or \\\\wsl.localhost\\ path: inside a distribution"};
inline constexpr FindingKind kPathUnc{"path-unc", Severity::kWarning, "ERROR_ACCESS_DENIED",
                                      CheckArea::kRegistration,
                                      "a network share, reached as the computer account"};
inline constexpr FindingKind kPathLinux{"path-linux", Severity::kError, "ERROR_PATH_NOT_FOUND",
                                        CheckArea::kRegistration, "a Linux path"};
// A bare file name (no folder) gives ERROR_FILE_NOT_FOUND instead (set by the checker).
inline constexpr FindingKind kPathRelative{
    "path-relative", Severity::kError, "ERROR_PATH_NOT_FOUND", CheckArea::kRegistration,
    "not an absolute path (a bare file name: ERROR_FILE_NOT_FOUND)"};
inline constexpr FindingKind kPathInvalidCharacter{"path-invalid-character", Severity::kError,
                                                   "ERROR_INVALID_NAME", CheckArea::kRegistration,
                                                   "< > | ? * or ':' past the drive"};
inline constexpr FindingKind kPathForwardSlashes{"path-forward-slashes", Severity::kWarning, "",
                                                 CheckArea::kRegistration, "'/' as the separator"};
inline constexpr FindingKind kPathNotDll{"path-not-dll", Severity::kWarning, "",
                                         CheckArea::kRegistration, "the path does not end in .dll"};
inline constexpr FindingKind kPathUserWritable{
    "path-user-writable", Severity::kWarning, "", CheckArea::kRegistration,
    "in a folder ordinary users can write: C:\\Users\\, a temp folder, ProgramData, a top-level "
    "folder of a drive, a user-writable folder under C:\\Windows (Tasks, tracing, "
    "System32\\spool\\drivers\\color, ...), or the WSL mount path of one"};
inline constexpr FindingKind kPathReservedName{
    "path-reserved-name", Severity::kError, "", CheckArea::kRegistration,
    "a folder or file named like a device (con, nul.dll, COM1, LPT3.txt): it cannot exist"};
inline constexpr FindingKind kPathNameTooLong{
    "path-name-too-long", Severity::kError, "", CheckArea::kRegistration,
    "a folder or file name longer than 255 characters: it cannot exist"};

// ---- location (doctor --dll on a WSL mount path) -------------------------------------------
inline constexpr FindingKind kDllUserWritable{
    "dll-user-writable", Severity::kInfo, "", CheckArea::kLocation,
    "a DLL given by its WSL mount path (/mnt/c/...) is in a folder ordinary users can write"};

// Every finding kind, in the order of the constants above (one entry per id).
std::span<const FindingKind* const> finding_catalogue();
// The kind with this id (a "nested-" id gives its primary kind), or null.
const FindingKind* find_finding_kind(std::string_view id);

}  // namespace wslplug::doctor
