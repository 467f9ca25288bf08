// An owned file descriptor (a pipe end, a socket, a file), closed when it goes out of scope.
#pragma once

#include <unistd.h>

namespace wslplug {

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd = other.release();
    }
    return *this;
  }
  // Gives up ownership.
  int release() {
    const int f = fd;
    fd = -1;
    return f;
  }
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace wslplug
