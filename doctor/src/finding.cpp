// The finding factory and the catalogue of finding kinds (see wslplug/doctor/finding.hpp).
#include "wslplug/doctor/finding.hpp"

#include <algorithm>

namespace wslplug::doctor {

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "error";
}

std::string_view check_area_name(CheckArea a) {
  switch (a) {
    case CheckArea::kSignature:
      return "signature";
    case CheckArea::kImage:
      return "image";
    case CheckArea::kExport:
      return "export";
    case CheckArea::kRegistration:
      return "registration";
    case CheckArea::kLocation:
      return "location";
  }
  return "image";
}

Finding make_finding(const FindingKind& kind, std::string message, std::string fix) {
  return Finding{std::string(kind.id), kind.severity, std::string(kind.wsl_error),
                 std::move(message), std::move(fix)};
}

bool has_errors(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::kError; });
}

namespace {

constexpr const FindingKind* kCatalogue[] = {
    // signature
    &kUnsigned, &kSignatureUnreadable, &kSignatureMalformed, &kDigestMismatch, &kDigestUnsupported,
    &kSignatureInvalid, &kCertWrongUsage, &kCertExpired, &kCertNotYetValid, &kChainIncomplete,
    &kUntrustedRoot, &kTimestampInvalid, &kSignatureUnsignedData, &kCertRevoked, &kSignatureProblem,
    &kChecksumMismatch,
    // image
    &kNotPe, &kMalformedPe, &kWrongMachine, &kMachineArm64, &kNotDll, &kImportMingwRuntime,
    &kImportDebugRuntime, &kImportVcRuntime, &kImportNotSystem, &kDelayImport, &kMalformedImports,
    // export
    &kEntryPointMissing, &kEntryPointMangled, &kEntryPointDecorated, &kEntryPointMacroName,
    &kEntryPointWrongCase, &kEntryPointForwarded, &kMalformedExports,
    // registration
    &kEncodingUtf8Bom, &kEncodingNonAscii, &kKeyWow6432Node, &kKeyAbbreviated, &kKeyWrong,
    &kKeyOther, &kKeyDeleted, &kNameDefaultValue, &kNameInvalid, &kNameDuplicate, &kValueRemoved,
    &kValueNotRegSz, &kPathDuplicate, &kNoRegistration, &kPathEmpty, &kPathControlCharacter,
    &kPathQuotes, &kPathEnvVar, &kPathInDistribution, &kPathUnc, &kPathLinux, &kPathRelative,
    &kPathInvalidCharacter, &kPathForwardSlashes, &kPathNotDll, &kPathUserWritable,
    &kPathReservedName, &kPathNameTooLong,
    // location
    &kDllUserWritable};

}  // namespace

std::span<const FindingKind* const> finding_catalogue() { return kCatalogue; }

const FindingKind* find_finding_kind(std::string_view id) {
  if (id.starts_with(kNestedPrefix)) id.remove_prefix(kNestedPrefix.size());
  for (const auto* k : finding_catalogue())
    if (k->id == id) return k;
  return nullptr;
}

}  // namespace wslplug::doctor
