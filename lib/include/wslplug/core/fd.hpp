// Owned file descriptors: Fd (move-only, closes on destruction) and the pipes and socket pairs
// that come in twos. Every descriptor a wslplug library or program opens lives in an Fd from the
// moment it exists; raw descriptors are only borrowed (get()) or handed over (release()).
// Needs libc only (error.hpp is header-only), so the sandbox agent builds fd.cpp in as well.
#pragma once

#include <sys/socket.h>

#include "wslplug/core/error.hpp"

namespace wslplug {

class Fd {
 public:
  Fd() noexcept = default;
  // Takes ownership of fd (a negative value: no descriptor).
  explicit Fd(int fd) noexcept : fd_(fd < 0 ? -1 : fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~Fd() { reset(); }

  // The descriptor, still owned by this Fd (-1 when there is none).
  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }
  // Gives up ownership: the caller closes the returned descriptor (or hands it on).
  [[nodiscard]] int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the descriptor held (if any, ignoring errors) and takes ownership of fd.
  void reset(int fd = -1) noexcept;
  // Closes the descriptor now and says whether that succeeded: 0, or the errno (EIO, ...).
  // The descriptor is gone either way; closing an empty Fd (or closing twice) returns 0.
  int close() noexcept;

 private:
  int fd_ = -1;
};

// The two ends of a pipe: bytes written to `write` are read from `read`.
struct Pipe {
  Fd read;
  Fd write;
};
// The two ends of a connected socket pair.
struct SocketPair {
  Fd first;
  Fd second;
};

// A pipe whose ends are close-on-exec (pipe2 with O_CLOEXEC and `flags`, e.g. O_NONBLOCK).
// I/O error when the system refuses (EMFILE, ENFILE); errno is left as the call set it.
Result<Pipe> open_pipe(int flags = 0);
// A connected AF_UNIX socket pair of `type` (SOCK_STREAM, SOCK_SEQPACKET, ...), close-on-exec.
Result<SocketPair> open_socketpair(int type = SOCK_STREAM);

}  // namespace wslplug
