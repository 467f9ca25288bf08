// Signature findings of the plugin DLL check (wslplug/doctor/dll.hpp) as a pure function of a
// signing::FileReport: every Verdict bit maps to the WinVerifyTrust error official WSL builds
// report. Reports are constructed here; end-to-end tests with real signed DLLs run the binary.
#include <gtest/gtest.h>

#include "wslplug/doctor/dll.hpp"
#include "wslplug/doctor/errors.hpp"

namespace sg = wslplug::signing;
using wslplug::doctor::Finding;
using wslplug::doctor::Severity;

namespace {

sg::FileReport signed_report(sg::Verdict verdict, bool nested = false) {
  sg::FileReport r;
  r.file = "plugin.dll";
  r.is_signed = true;
  r.checksum_ok = true;
  sg::SignatureReport s;
  s.index = 0;
  s.digest_algorithm = "sha256";
  s.embedded_digest = "AA";
  s.computed_digest = sg::has(verdict, sg::Verdict::kBadDigest) ? "BB" : "AA";
  s.signer_subject = "CN=wslplug test code signing";
  s.signer_issuer = "CN=wslplug test code signing";
  s.self_signed = true;
  s.verdict = verdict;
  r.signatures.push_back(s);
  if (nested) {
    sg::SignatureReport n = s;
    n.index = 1;
    n.nested = true;
    n.verdict = verdict;
    r.signatures[0].verdict = sg::Verdict::kOk;
    r.signatures.push_back(n);
  }
  r.ok = verdict == sg::Verdict::kOk;
  return r;
}

const Finding* by_error(const std::vector<Finding>& v, std::string_view wsl_error) {
  for (const auto& f : v)
    if (f.wsl_error == wsl_error) return &f;
  return nullptr;
}

}  // namespace

TEST(SignatureFindings, EachVerdictMapsToItsWslError) {
  struct Case {
    sg::Verdict verdict;
    std::string wsl_error;
    std::string id;
  };
  const std::vector<Case> cases = {
      {sg::Verdict::kBadDigest, "TRUST_E_BAD_DIGEST", "digest-mismatch"},
      {sg::Verdict::kBadSignature, "TRUST_E_CERT_SIGNATURE", "signature-invalid"},
      {sg::Verdict::kUntrustedRoot, "CERT_E_UNTRUSTEDROOT", "untrusted-root"},
      {sg::Verdict::kChainIncomplete, "CERT_E_CHAINING", "chain-incomplete"},
      {sg::Verdict::kExpired, "CERT_E_EXPIRED", "cert-expired"},
      {sg::Verdict::kNotYetValid, "CERT_E_EXPIRED", "cert-not-yet-valid"},
      {sg::Verdict::kWrongUsage, "CERT_E_WRONG_USAGE", "cert-wrong-usage"},
      {sg::Verdict::kMalformed, "TRUST_E_NOSIGNATURE", "signature-malformed"},
      {sg::Verdict::kUnsupportedDigest, "NTE_BAD_ALGID", "digest-unsupported"},
      {sg::Verdict::kBadTimestamp, "TRUST_E_TIME_STAMP", "timestamp-invalid"},
      {sg::Verdict::kUnsignedData, "TRUST_E_NOSIGNATURE", "signature-unsigned-data"},
      {sg::Verdict::kRevoked, "CERT_E_REVOKED", "cert-revoked"},
  };
  ASSERT_EQ(cases.size(), sg::kVerdicts.size());  // every verdict bit has its case
  for (const auto& c : cases) {
    SCOPED_TRACE(c.id);
    auto findings = wslplug::doctor::signature_findings(signed_report(c.verdict), {});
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].wsl_error, c.wsl_error);
    // The finding catalogue and the signing library's verdict table name the same WSL error.
    EXPECT_EQ(findings[0].wsl_error, sg::wsl_error(c.verdict));
    EXPECT_EQ(findings[0].id, c.id);
    EXPECT_EQ(findings[0].severity, Severity::kError);
    EXPECT_NE(findings[0].message.find("plugin.dll"), std::string::npos);
    EXPECT_FALSE(findings[0].fix.empty());
    // Every wsl_error is a name doctor can explain.
    EXPECT_TRUE(wslplug::doctor::symbol_value(c.wsl_error).has_value()) << c.wsl_error;
  }
}

TEST(SignatureFindings, UnsignedIsNoSignature) {
  sg::FileReport r;
  r.file = "plugin.dll";
  r.checksum_ok = true;
  auto findings = wslplug::doctor::signature_findings(r, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].id, "unsigned");
  EXPECT_EQ(findings[0].wsl_error, "TRUST_E_NOSIGNATURE");
  EXPECT_NE(findings[0].fix.find("wslplug sign"), std::string::npos);
}

TEST(SignatureFindings, GoodSignatureHasNoFindings) {
  EXPECT_TRUE(wslplug::doctor::signature_findings(signed_report(sg::Verdict::kOk), {}).empty());
}

TEST(SignatureFindings, SeveralBitsGiveSeveralFindings) {
  auto findings = wslplug::doctor::signature_findings(
      signed_report(sg::Verdict::kWrongUsage | sg::Verdict::kUntrustedRoot | sg::Verdict::kExpired),
      {});
  EXPECT_EQ(findings.size(), 3u);
  EXPECT_NE(by_error(findings, "CERT_E_WRONG_USAGE"), nullptr);
  EXPECT_NE(by_error(findings, "CERT_E_UNTRUSTEDROOT"), nullptr);
  EXPECT_NE(by_error(findings, "CERT_E_EXPIRED"), nullptr);
}

TEST(SignatureFindings, UntrustedRootSaysHowToTrustIt) {
  auto findings =
      wslplug::doctor::signature_findings(signed_report(sg::Verdict::kUntrustedRoot), {});
  const auto* f = by_error(findings, "CERT_E_UNTRUSTEDROOT");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->fix.find("Cert:\\LocalMachine\\Root"), std::string::npos) << f->fix;
  EXPECT_NE(f->fix.find("Import-Certificate"), std::string::npos);
  EXPECT_NE(f->fix.find("--ca"), std::string::npos);  // no --ca given: suggest it
  EXPECT_NE(f->message.find("self-signed"), std::string::npos);
  sg::VerifyOptions with_ca;
  with_ca.ca_files.emplace_back("root.pem");
  findings =
      wslplug::doctor::signature_findings(signed_report(sg::Verdict::kUntrustedRoot), with_ca);
  f = by_error(findings, "CERT_E_UNTRUSTEDROOT");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("--ca"), std::string::npos);
}

TEST(SignatureFindings, NestedSignatureProblemsAreWarnings) {
  auto findings =
      wslplug::doctor::signature_findings(signed_report(sg::Verdict::kBadDigest, true), {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_EQ(findings[0].id, "nested-digest-mismatch");
  EXPECT_FALSE(wslplug::doctor::has_errors(findings));
}

TEST(SignatureFindings, ChecksumMismatchIsInformational) {
  auto r = signed_report(sg::Verdict::kOk);
  r.checksum_ok = false;
  r.stored_checksum = 0;
  r.computed_checksum = 0x1234;
  auto findings = wslplug::doctor::signature_findings(r, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].id, "checksum-mismatch");
  EXPECT_EQ(findings[0].severity, Severity::kInfo);
  EXPECT_FALSE(wslplug::doctor::has_errors(findings));
}

// A certificate table that cannot be read is reported by verify_file as a failed report with
// table_error; doctor names it signature-unreadable with the table's reason and fix.
TEST(SignatureFindings, BrokenTableIsUnreadable) {
  sg::FileReport r = signed_report(sg::Verdict::kMalformed);
  r.table_error =
      wslplug::Error{wslplug::ErrorKind::kInput, "certificate table extends beyond the end",
                     "plugin.dll", "DataDirectory[4]", "rebuild it"};
  auto findings = wslplug::doctor::signature_findings(r, {});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].id, "signature-unreadable");
  EXPECT_NE(findings[0].message.find("beyond the end"), std::string::npos);
  EXPECT_EQ(findings[0].fix, "rebuild it");
}
