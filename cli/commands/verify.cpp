// `wslplug verify`: check every Authenticode signature of PE files (human or --json output).
#include <fmt/format.h>

#include <ctime>
#include <optional>

#include "commands/commands.hpp"
#include "common.hpp"
#include "flags/project_flags.hpp"
#include "parallel.hpp"
#include "render/console.hpp"
#include "render/json_report.hpp"
#include "wslplug/project/layout.hpp"
#include "wslplug/project/manifest.hpp"
#include "wslplug/signing/signing.hpp"

namespace wslplug::cli {
namespace {

struct VerifyArgs {
  std::vector<std::string> files;
  std::vector<std::string> ca, tsa_ca, crl;
  std::optional<std::int64_t> time;
  bool json = false;
  const CLI::App* command = nullptr;  // for the usage error of a missing FILE
};

// A check's result: true, false, or null when it could not run.
std::vector<std::string> problems_with_flags(const std::vector<std::string>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(with_flags(p));
  return out;
}

nlohmann::json checked(bool ran, bool ok) { return ran ? nlohmann::json(ok) : nullptr; }

// "ok" / the failure word / "not checked", for the text summary line.
std::string check_word(bool ran, bool ok, std::string_view good, std::string_view bad) {
  return std::string(!ran ? "not checked" : ok ? good : bad);
}

nlohmann::json signature_json(const signing::SignatureReport& s) {
  nlohmann::json j = {
      {"index", s.index},
      {"entry", s.entry},
      {"nested", s.nested},
      {"ok", s.ok()},
      {"unreadable", s.unreadable.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.unreadable)},
      {"digest_algorithm", s.digest_algorithm},
      {"embedded_digest", s.embedded_digest},
      {"computed_digest", s.computed_digest},
      {"digest_ok", checked(s.digest_checked, s.digest_ok)},
      {"signature_ok", checked(s.signature_checked, s.signature_ok)},
      {"chain_ok", checked(s.chain_checked, s.chain_ok)},
      {"eku_ok", checked(s.chain_checked, s.eku_ok)},
      {"validity_ok", checked(s.chain_checked, s.validity_ok)},
      {"verdict", signing::verdict_names(s.verdict)},
      {"signer",
       {{"subject", s.signer_subject},
        {"issuer", s.signer_issuer},
        {"thumbprint_sha1", s.signer_thumbprint_sha1},
        {"fingerprint_sha256", s.signer_fingerprint_sha256},
        {"not_before",
         s.signer_not_before ? nlohmann::json(iso_utc(s.signer_not_before)) : nullptr},
        {"not_after", s.signer_not_after ? nlohmann::json(iso_utc(s.signer_not_after)) : nullptr},
        {"self_signed", s.self_signed}}},
      {"signing_time", s.signing_time ? nlohmann::json(iso_utc(*s.signing_time)) : nullptr},
      {"timestamp", nullptr},
      {"problems", problems_with_flags(s.problems)},
  };
  if (s.timestamp) {
    j["timestamp"] = {
        {"ok", s.timestamp->ok},
        {"time", s.timestamp->time ? nlohmann::json(iso_utc(s.timestamp->time)) : nullptr},
        {"digest_algorithm", s.timestamp->digest_algorithm},
        {"tsa_subject", s.timestamp->tsa_subject.empty()
                            ? nlohmann::json(nullptr)
                            : nlohmann::json(s.timestamp->tsa_subject)},
        {"problem", s.timestamp->problem}};
  }
  return j;
}

void print_human(const signing::FileReport& r) {
  fmt::print("{}: {}\n", r.file,
             paint(stdout, r.ok ? Tone::kGood : Tone::kBad,
                   r.ok ? "OK" : (r.is_signed ? "FAILED" : "NOT SIGNED")));
  fmt::print("  PE checksum: stored 0x{:08X}, computed 0x{:08X} ({})\n", r.stored_checksum,
             r.computed_checksum, r.checksum_ok ? "ok" : "MISMATCH");
  for (const auto& s : r.signatures) {
    const std::string role = s.nested       ? fmt::format("nested in certificate entry {}", s.entry)
                             : s.entry == 0 ? std::string("primary")
                                            : fmt::format("certificate entry {}", s.entry);
    fmt::print("  Signature {} ({}): {}\n", s.index, role, s.ok() ? "ok" : "FAILED");
    if (!s.unreadable.empty()) fmt::print("    Could not read: {}\n", s.unreadable);
    if (!s.digest_algorithm.empty() && s.digest_checked) {
      fmt::print(
          "    Digest ({}): {} {}\n", s.digest_algorithm, s.embedded_digest,
          s.digest_ok ? "matches the file" : fmt::format("!= computed {}", s.computed_digest));
    }
    if (!s.signer_subject.empty()) {
      fmt::print("    Signer:     {}\n    Issuer:     {}\n    Thumbprint: {}\n", s.signer_subject,
                 s.signer_issuer, s.signer_thumbprint_sha1);
      fmt::print("    Valid:      {} .. {}\n", iso_utc(s.signer_not_before),
                 iso_utc(s.signer_not_after));
    }
    if (s.signing_time) fmt::print("    Signed at:  {}\n", iso_utc(*s.signing_time));
    if (s.timestamp && s.timestamp->time != 0) {
      fmt::print("    Timestamp:  {} by {} ({})\n", iso_utc(s.timestamp->time),
                 s.timestamp->tsa_subject.empty() ? "an unnamed TSA" : s.timestamp->tsa_subject,
                 s.timestamp->ok ? "ok" : s.timestamp->problem);
    } else if (s.timestamp) {
      fmt::print("    Timestamp:  present but unreadable ({})\n", s.timestamp->problem);
    }
    fmt::print("    PKCS#7 signature {}, chain {}, code-signing usage {}, validity {}\n",
               check_word(s.signature_checked, s.signature_ok, "ok", "BAD"),
               check_word(s.chain_checked, s.chain_ok, "trusted", "NOT TRUSTED"),
               check_word(s.chain_checked, s.eku_ok, "ok", "MISSING"),
               check_word(s.chain_checked, s.validity_ok, "ok", "BAD"));
    for (const auto& p : s.problems) fmt::print("    problem: {}\n", with_flags(p));
  }
  if (r.table_error && !r.table_error->fix.empty()) fmt::print("  fix: {}\n", r.table_error->fix);
  if (!r.is_signed) fmt::print("  the file has no Authenticode signature (TRUST_E_NOSIGNATURE)\n");
}

int run_verify(const VerifyArgs& args) {
  VerifyArgs a = args;
  auto fail = [&](const Error& e) {
    if (a.json) {
      print_json({{"ok", false}, {"files", nlohmann::json::array()}, {"error", error_json(e)}});
      return exit_code(e.kind);
    }
    return report(e);
  };
  // Inside a project: its built DLL when no FILE is given, and its test certificate as the
  // trusted root when no --ca is (as build does).
  auto project = project::find_project(fs::current_path());
  if (!project) return fail(project.error());
  if (a.files.empty()) {
    auto dll = project_dll_or_missing(*project, "PE files to verify");
    // Outside a project that is a usage error, reported as every command's.
    if (!dll) return *project ? fail(dll.error()) : report_failure(dll.error());
    a.files.push_back(dll->string());
  }
  nlohmann::json trust = {{"source", a.ca.empty() ? "system" : "flag"}, {"files", a.ca}};
  if (a.ca.empty() && *project) {
    if (auto cert = project::existing_cert((*project)->manifest, (*project)->dir)) {
      a.ca.push_back(cert->string());
      trust = {{"source", "project"}, {"files", {cert->string()}}};
      note(fmt::format("trusting the project's certificate {} (pass --ca to choose others)",
                       cert->string()));
    }
  }
  signing::VerifyOptions opts;
  for (const auto& c : a.ca) opts.ca_files.emplace_back(c);
  for (const auto& c : a.tsa_ca) opts.tsa_ca_files.emplace_back(c);
  for (const auto& c : a.crl) opts.crl_files.emplace_back(c);
  opts.at_time = a.time;
  std::vector<std::pair<fs::path, std::string_view>> given;
  for (const auto& c : opts.ca_files) given.emplace_back(c, "--ca");
  for (const auto& c : opts.crl_files) given.emplace_back(c, "--crl");
  for (const auto& [c, option] : given) {
    std::error_code ec;
    if (!fs::is_regular_file(c, ec)) {
      Error e{ErrorKind::kInput, fmt::format("the {} file does not exist", option), c.string(),
              std::string(option),
              option == "--ca" ? "pass the cert.pem of the signer (or its root CA)"
                               : "pass the CRL file (PEM or DER) of the signer's CA"};
      if (a.json) {
        print_json({{"ok", false}, {"files", nlohmann::json::array()}, {"error", error_json(e)}});
        return exit_code(e.kind);
      }
      return report(e);
    }
  }
  std::vector<Result<signing::FileReport>> results(a.files.size(), std::unexpected(Error{}));
  parallel_for(a.files.size(),
               [&](std::size_t i) { results[i] = signing::verify_file(a.files[i], opts); });
  int code = kExitOk;
  nlohmann::json files = nlohmann::json::array();
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (!r) {
      code = combine_exit(code, exit_code(r.error().kind));
      if (a.json) {
        files.push_back({{"file", json_path(a.files[i])},
                         {"ok", false},
                         {"signed", false},
                         {"checksum_ok", false},
                         {"signatures", nlohmann::json::array()},
                         {"error", error_json(r.error())}});
      } else {
        report(r.error());
      }
      continue;
    }
    if (!r->ok) code = combine_exit(code, kExitBad);
    if (a.json) {
      nlohmann::json sigs = nlohmann::json::array();
      for (const auto& s : r->signatures) sigs.push_back(signature_json(s));
      files.push_back(
          {{"file", json_path(r->file)},
           {"ok", r->ok},
           {"signed", r->is_signed},
           {"checksum_ok", r->checksum_ok},
           {"stored_checksum", fmt::format("0x{:08X}", r->stored_checksum)},
           {"computed_checksum", fmt::format("0x{:08X}", r->computed_checksum)},
           {"table_error", r->table_error ? error_json(*r->table_error) : nlohmann::json(nullptr)},
           {"signatures", sigs}});
    } else {
      print_human(*r);
    }
  }
  if (a.json) print_json({{"ok", code == kExitOk}, {"trust", trust}, {"files", files}});
  return code;
}

}  // namespace

Runner setup_verify(CLI::App& root) {
  auto a = std::make_shared<VerifyArgs>();
  auto* cmd = root.add_subcommand(
      "verify",
      "Verify every Authenticode signature (primary and nested) of PE files: digest, PKCS#7 "
      "signature, chain, codeSigning usage, validity, and the PE checksum. Exit 0 only if all "
      "ok");
  cmd->add_option("FILE", a->files, "PE files to verify (default inside a project: its built DLL)");
  cmd->add_option("--ca", a->ca,
                  "Trusted root certificate(s) (PEM/DER); default: inside a project its test "
                  "certificate (.wslplug/cert.pem, as build), else the system store")
      ->option_text("FILE");
  cmd->add_option("--tsa-ca", a->tsa_ca, "Trusted timestamp root(s); default: same as --ca")
      ->option_text("FILE");
  cmd->add_option("--time", a->time, "Verify as of this unix time (default: now)")
      ->option_text("UNIX_SECONDS");
  cmd->add_option("--crl", a->crl,
                  "Check revocation against these CRLs (PEM/DER); every certificate of the "
                  "chain needs one. Default: revocation is not checked")
      ->option_text("FILE");
  cmd->add_flag("--json", a->json, "Machine-readable output (schema: docs/verify-json.md)");
  set_exit_codes(cmd, {{0, "every signature of every file checks out"},
                       {1,
                        "a digest, signature, chain, certificate table or checksum "
                        "does not check out"}});
  set_examples(
      cmd, {"wslplug verify                    # in a project: its built DLL, trusting "
            ".wslplug/cert.pem",
            "wslplug -C my-plugin verify --json", "wslplug verify plugin.dll --ca certs/cert.pem",
            "wslplug verify build/*.dll --ca root.pem --json",
            "wslplug verify plugin.dll   # trust the system store"});
  a->command = cmd;
  return [a] { return run_verify(*a); };
}

}  // namespace wslplug::cli
