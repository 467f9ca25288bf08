#include "common.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>

#include "render/console.hpp"
#include "wslplug/core/json.hpp"
#include "wslplug/signing/field.hpp"

namespace wslplug::cli {

namespace {

// The flag that sets a field of a library's input.
std::string_view flag_of(signing::Field f) {
  using F = signing::Field;
  switch (f) {
    case F::kCert:
      return "--cert";
    case F::kChain:
      return "--chain";
    case F::kKey:
      return "--key";
    case F::kKeyPasswordEnv:
      return "--key-password-env";
    case F::kKeyPasswordFile:
      return "--key-password-file";
    case F::kPfx:
      return "--pfx";
    case F::kPkcs11Module:
      return "--pkcs11-module";
    case F::kPinEnv:
      return "--pin-env";
    case F::kPinFile:
      return "--pin-file";
    case F::kExternalSigner:
      return "--external-signer";
    case F::kExternalSignerTimeout:
      return "--external-signer-timeout";
    case F::kTimestampUrl:
      return "--timestamp";
    case F::kTimestampRetries:
      return "--timestamp-retries";
    case F::kTimestampHash:
      return "--timestamp-hash";
    case F::kTsaCa:
      return "--tsa-ca";
    case F::kCa:
      return "--ca";
    case F::kCrl:
      return "--crl";
    case F::kIndex:
      return "--index";
    case F::kAppend:
      return "--append";
    case F::kDetachedOut:
      return "--detached-out";
    case F::kSubject:
      return "--subject";
    case F::kDays:
      return "--days";
    case F::kTrustCert:
      return "--trust-cert";
  }
  return {};
}

}  // namespace

std::string with_flags(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const auto open = text.find('{');
    const auto close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) break;
    const auto field = signing::parse_field(text.substr(open + 1, close - open - 1));
    out += text.substr(0, open);
    out += field ? flag_of(*field) : text.substr(open, close - open + 1);
    text.remove_prefix(close + 1);
  }
  out += text;
  return out;
}

Error with_flags(Error error) {
  if (auto field = signing::parse_field(error.where)) error.where = flag_of(*field);
  error.where = with_flags(error.where);
  error.message = with_flags(error.message);
  error.fix = with_flags(error.fix);
  return error;
}

int report(const Error& error_in) {
  const Error error = with_flags(error_in);
  fmt::print(stderr, "wslplug: {} {}\n", paint(stderr, Tone::kError, "error:"), error.describe());
  if (!error.fix.empty()) fmt::print(stderr, "  fix: {}\n", error.fix);
  return exit_code(error.kind);
}

void warn(std::string_view message) {
  fmt::print(stderr, "wslplug: {} {}\n", paint(stderr, Tone::kWarning, "warning:"), message);
}
void note(std::string_view message) { status(message); }

nlohmann::json error_json(const Error& error_in) {
  const Error error = with_flags(error_in);
  const char* kind = "internal";
  switch (error.kind) {
    case ErrorKind::kBad:
      kind = "bad";
      break;
    case ErrorKind::kInput:
      kind = "input";
      break;
    case ErrorKind::kIo:
      kind = "io";
      break;
  }
  return {{"kind", kind},
          {"message", error.message},
          {"file", error.file},
          {"where", error.where},
          {"fix", error.fix}};
}

void print_json(const nlohmann::json& doc) { fmt::print("{}\n", json_text(doc, 2)); }

void set_examples(CLI::App* cmd, const std::vector<std::string>& examples) {
  std::string text = "\nExamples:\n";
  for (const auto& e : examples) text += "  " + e + "\n";
  cmd->footer(text);
}

namespace {
std::string format_utc(std::int64_t t, const char* format) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}
}  // namespace

std::string iso_utc(std::int64_t t) { return format_utc(t, "%Y-%m-%dT%H:%M:%SZ"); }
std::string human_utc(std::int64_t t) { return format_utc(t, "%Y-%m-%d %H:%M:%S UTC"); }

int combine_exit(int a, int b) { return a > b ? a : b; }

}  // namespace wslplug::cli
