// The one place wslplug closes a descriptor (see wslplug/core/fd.hpp). Uses libc only: the
// sandbox agent compiles this file too.
#include "wslplug/core/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace wslplug {

void Fd::reset(int fd) noexcept {
  const int old = fd_;
  fd_ = fd < 0 ? -1 : fd;
  // close(2) releases the descriptor even when it reports an error (Linux): never retried.
  if (old >= 0 && old != fd_) ::close(old);
}

int Fd::close() noexcept {
  const int fd = release();
  if (fd < 0) return 0;
  return ::close(fd) == 0 ? 0 : errno;
}

Result<Pipe> open_pipe(int flags) {
  int p[2];
  if (::pipe2(p, flags | O_CLOEXEC) != 0) {
    const int err = errno;
    auto error = io_error(std::string("cannot create a pipe: ") + std::strerror(err));
    errno = err;  // callers may still report errno themselves
    return error;
  }
  return Pipe{Fd(p[0]), Fd(p[1])};
}

Result<SocketPair> open_socketpair(int type) {
  int p[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, p) != 0) {
    const int err = errno;
    auto error = io_error(std::string("cannot create a socket pair: ") + std::strerror(err));
    errno = err;
    return error;
  }
  return SocketPair{Fd(p[0]), Fd(p[1])};
}

}  // namespace wslplug
