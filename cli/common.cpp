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
    case F::kTimestampTlsCa:
      return "--timestamp-tls-ca";
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

Invocation& invocation() {
  static Invocation current;
  return current;
}

std::string help_hint(const CLI::App* cmd) {
  return fmt::format("try: {} --help", command_path(cmd));
}

namespace {

constexpr std::string_view kHintStart = "try: ";

// `fix` with the help hint of `cmd` at its end.
std::string add_hint(std::string fix, const CLI::App* cmd) {
  if (!fix.empty()) fix += fix.back() == '?' ? " " : "; ";
  return fix + help_hint(cmd);
}

// Where the help hint starts in `fix`, or npos.
std::size_t hint_at(std::string_view fix) {
  const auto at = fix.rfind(kHintStart);
  if (at == std::string_view::npos || !fix.ends_with(" --help")) return std::string_view::npos;
  if (at != 0 && fix[at - 1] != ' ') return std::string_view::npos;
  return at;
}

// Whether `where` names the command line of `cmd`: an option or argument of it.
bool names_command_line(const CLI::App* cmd, std::string_view where) {
  if (where == "command line") return true;
  while (!where.empty()) {
    const auto slash = where.find('/');
    std::string part(where.substr(0, slash));
    where = slash == std::string_view::npos ? std::string_view() : where.substr(slash + 1);
    part = part.substr(0, part.find(' '));  // "-o -" is about -o
    if (part.empty() || part.find('=') != std::string::npos) continue;
    for (const CLI::Option* opt : cmd->get_options())
      if (opt->check_name(part)) return true;
  }
  return false;
}

}  // namespace

Error usage_error(const CLI::App* cmd, std::string message, std::string where, std::string fix) {
  return Error{
      ErrorKind::kInput, std::move(message), {}, std::move(where), add_hint(std::move(fix), cmd)};
}

Error with_help_hint(Error error) {
  const CLI::App* cmd = invocation().command;
  if (cmd == nullptr || error.kind != ErrorKind::kInput || hint_at(error.fix) != std::string::npos)
    return error;
  if (!names_command_line(cmd, error.where)) return error;
  error.fix = add_hint(std::move(error.fix), cmd);
  return error;
}

int report_failure(const Error& error) {
  if (invocation().json) {
    print_json(json_error_document(invocation().command, error));
    return exit_code(error.kind);
  }
  return report(error);
}

int report(const Error& error_in) {
  const Error error = with_help_hint(with_flags(error_in));
  fmt::print(stderr, "wslplug: {} {}\n", paint(stderr, Tone::kError, "error:"), error.describe());
  std::string_view fix = error.fix;
  std::string_view hint;
  if (const auto at = hint_at(fix); at != std::string_view::npos) {
    hint = fix.substr(at);
    fix = fix.substr(0, at);
    while (!fix.empty() && (fix.back() == ' ' || fix.back() == ';')) fix.remove_suffix(1);
  }
  if (!fix.empty()) fmt::print(stderr, "  fix: {}\n", fix);
  if (!hint.empty()) fmt::print(stderr, "  {}\n", hint);
  return exit_code(error.kind);
}

void warn(std::string_view message) {
  fmt::print(stderr, "wslplug: {} {}\n", paint(stderr, Tone::kWarning, "warning:"), message);
}
void note(std::string_view message) { status(message); }

nlohmann::json error_json(const Error& error_in) {
  const Error error = with_help_hint(with_flags(error_in));
  return {{"kind", std::string(kind_name(error.kind))},
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
