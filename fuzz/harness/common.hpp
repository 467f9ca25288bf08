// Shared pieces of the fuzz harnesses (fuzz/harness/*.cpp). Each harness defines
// LLVMFuzzerTestOneInput (and, when it needs set-up, LLVMFuzzerInitialize); the same file is
// linked with libFuzzer by clang (fuzz_TARGET) and with replay_main.cpp by any compiler
// (fuzz_replay_TARGET, run by ctest on fuzz/regressions/TARGET).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace wslplug::fuzz {

// An invariant of the code under test: when it does not hold, the harness aborts, which
// libFuzzer reports as a crash (and the replay test as a failure).
#define WSLPLUG_FUZZ_CHECK(cond)                                                        \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

inline std::span<const std::byte> bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}
inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// An anonymous in-memory file (memfd) whose contents are replaced for every input, for the
// readers that take a path: path() is /proc/self/fd/N, so the real open/pread code runs, with
// no disk I/O and nothing to clean up.
class MemFile {
 public:
  explicit MemFile(const char* name) : fd_(::memfd_create(name, 0)) {
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  ~MemFile() { ::close(fd_); }

  // Replaces the contents; returns path().
  const std::string& write(std::span<const std::byte> data) {
    if (::ftruncate(fd_, 0) != 0) std::abort();
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n =
          ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(done));
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace wslplug::fuzz
