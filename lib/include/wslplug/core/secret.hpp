// Passwords and other secrets: read from an environment variable, a file or a terminal prompt,
// never from argv. The value is never logged; SecretString wipes its memory on destruction.
#pragma once

#include <string>

#include "wslplug/core/error.hpp"

namespace wslplug {

class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string value) : value_(std::move(value)) {}
  SecretString(SecretString&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
  SecretString& operator=(SecretString&& other) noexcept;
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  ~SecretString() { wipe(); }
  [[nodiscard]] const std::string& value() const { return value_; }
  [[nodiscard]] bool empty() const { return value_.empty(); }

 private:
  void wipe() noexcept;
  std::string value_;
};

// The value of environment variable `var`. An unset variable is an input error that names it.
Result<SecretString> secret_from_env(const std::string& var);
// The first line of `path` (a trailing "\n" or "\r\n" is dropped).
Result<SecretString> secret_from_file(const std::string& path);
// Prompts on /dev/tty without echo. Fails with an input error when there is no terminal
// (CI), naming the --*-env / --*-file alternatives given in `alternatives`.
Result<SecretString> secret_from_prompt(const std::string& prompt, const std::string& alternatives);

}  // namespace wslplug
