// The secret option group (see secret_flags.hpp).
#include "flags/secret_flags.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace wslplug::cli {

std::string SecretFlags::hint() const {
  if (!env_flag.empty()) return fmt::format("{} VAR or {} FILE", env_flag, file_flag);
  return fmt::format("--{0}-password-env VAR or --{0}-password-file FILE", name);
}

namespace {

// The pair --<name><env_suffix> VAR / --<name><file_suffix> FILE.
void add_pair(CLI::App* cmd, SecretFlags& flags, std::string name, std::string_view stem,
              std::string_view what) {
  flags.name = std::move(name);
  flags.env_flag = fmt::format("--{}{}-env", flags.name, stem);
  flags.file_flag = fmt::format("--{}{}-file", flags.name, stem);
  cmd->add_option(flags.env_flag, flags.env, fmt::format("Environment variable holding {}", what))
      ->option_text("VAR");
  cmd->add_option(flags.file_flag, flags.file, fmt::format("File whose first line is {}", what))
      ->option_text("FILE");
}

}  // namespace

void add_secret_flags(CLI::App* cmd, SecretFlags& flags, std::string name, std::string_view what) {
  add_pair(cmd, flags, std::move(name), "-password", what);
}

void add_named_secret_flags(CLI::App* cmd, SecretFlags& flags, std::string name,
                            std::string_view what) {
  add_pair(cmd, flags, std::move(name), "", what);
}

Result<std::optional<SecretString>> secret_from_flags(const SecretFlags& flags) {
  if (!flags.env.empty() && !flags.file.empty())
    return input_error(fmt::format("{} and {} are exclusive", flags.env_flag, flags.file_flag), {},
                       flags.env_flag, "give the password one way");
  Result<SecretString> s = std::unexpected(Error{});
  if (!flags.env.empty()) {
    s = secret_from_env(flags.env);
  } else if (!flags.file.empty()) {
    s = secret_from_file(flags.file);
  } else {
    return std::optional<SecretString>{};
  }
  if (!s) return std::unexpected(s.error());
  return std::optional<SecretString>(std::move(*s));
}

Result<std::optional<SecretString>> prompt_secret(const SecretFlags& flags,
                                                  std::string_view for_file) {
  if (!::isatty(STDIN_FILENO)) return std::optional<SecretString>{};
  auto s = secret_from_prompt(fmt::format("Password for {}: ", for_file), flags.hint());
  if (!s) return std::unexpected(s.error());
  return std::optional<SecretString>(std::move(*s));
}

Result<std::optional<SecretString>> prompt_secret_text(const SecretFlags& flags,
                                                       const std::string& prompt) {
  if (!::isatty(STDIN_FILENO)) return std::optional<SecretString>{};
  auto s = secret_from_prompt(prompt, flags.hint());
  if (!s) return std::unexpected(s.error());
  return std::optional<SecretString>(std::move(*s));
}

}  // namespace wslplug::cli
