// The secret option group: a password from --<name>-password-env VAR or --<name>-password-file
// FILE (never from argv), or a prompt on the terminal. One definition for sign (--key, --pfx)
// and cert new (--pfx).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "wslplug/core/error.hpp"
#include "wslplug/core/secret.hpp"

namespace wslplug::cli {

struct SecretFlags {
  std::string name;  // "key" or "pfx": the flags are --<name>-password-env / -file
  std::string env, file;
  std::string env_flag, file_flag;  // the option names (set by add_secret_flags)
  [[nodiscard]] bool given() const { return !env.empty() || !file.empty(); }
  [[nodiscard]] std::string hint() const;  // "--key-password-env VAR or --key-password-file FILE"
};

// Adds --<name>-password-env VAR and --<name>-password-file FILE (always both: every secret
// can come from either); `what` completes the help text ("the password of an encrypted --key").
void add_secret_flags(CLI::App* cmd, SecretFlags& flags, std::string name, std::string_view what);
// The same group named --<name>-env / --<name>-file (a PKCS#11 token PIN: --pin-env, --pin-file).
void add_named_secret_flags(CLI::App* cmd, SecretFlags& flags, std::string name,
                            std::string_view what);

// The secret the flags name (an input error when both are given or the source is unusable);
// nullopt when neither is given.
Result<std::optional<SecretString>> secret_from_flags(const SecretFlags& flags);

// Asks on the terminal ("Password for FILE: ", no echo) when stdin is one; nullopt otherwise.
Result<std::optional<SecretString>> prompt_secret(const SecretFlags& flags,
                                                  std::string_view for_file);
// The same with the whole prompt text given ("PIN for token X: ").
Result<std::optional<SecretString>> prompt_secret_text(const SecretFlags& flags,
                                                       const std::string& prompt);

}  // namespace wslplug::cli
