#include "wslplug/core/secret.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>

#include "wslplug/core/fd.hpp"
#include "wslplug/core/io.hpp"

namespace wslplug {

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

void SecretString::wipe() noexcept {
  volatile char* p = value_.data();
  for (std::size_t i = 0; i < value_.size(); ++i) p[i] = 0;
  value_.clear();
}

Result<SecretString> secret_from_env(const std::string& var) {
  const char* v = std::getenv(var.c_str());
  if (v == nullptr) {
    return input_error(fmt::format("environment variable {} is not set", var), {}, {},
                       fmt::format("export {} with the password, or use the matching --*-file "
                                   "option",
                                   var));
  }
  return SecretString(v);
}

Result<SecretString> secret_from_file(const std::string& path) {
  auto text = read_text_file(path, 1 << 16);
  if (!text) return std::unexpected(text.error());
  std::string s = std::move(*text);
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return SecretString(std::move(s));
}

Result<SecretString> secret_from_prompt(const std::string& prompt,
                                        const std::string& alternatives) {
  const Fd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC));
  if (!tty) {
    return input_error("a password is needed but there is no terminal to ask on", {}, {},
                       fmt::format("pass it with {}", alternatives));
  }
  termios old{};
  bool have_term = ::tcgetattr(tty.get(), &old) == 0;
  if (have_term) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(tty.get(), TCSAFLUSH, &quiet);
  }
  (void)!::write(tty.get(), prompt.data(), prompt.size());
  std::string value;
  char c = 0;
  while (::read(tty.get(), &c, 1) == 1 && c != '\n' && c != '\r') value.push_back(c);
  if (have_term) ::tcsetattr(tty.get(), TCSAFLUSH, &old);
  (void)!::write(tty.get(), "\n", 1);
  return SecretString(std::move(value));
}

}  // namespace wslplug
