// File I/O primitives: a read-only file with positional reads, and an atomic output file that
// is written beside its target, flushed and renamed into place (or removed on failure).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "wslplug/core/error.hpp"
#include "wslplug/core/fd.hpp"

namespace wslplug {

namespace fs = std::filesystem;

// A file opened read-only. Move-only; closes on destruction.
class InputFile {
 public:
  static Result<InputFile> open(const fs::path& path);
  InputFile(InputFile&& other) noexcept = default;
  InputFile& operator=(InputFile&& other) noexcept = default;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile() = default;

  [[nodiscard]] std::uint64_t size() const { return size_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] int fd() const { return fd_.get(); }

  // Reads exactly out.size() bytes at offset; an error names the file and offset when the
  // file is shorter ("truncated") or the read fails.
  Status read_at(std::uint64_t offset, std::span<std::byte> out) const;
  Result<std::vector<std::byte>> read_vec(std::uint64_t offset, std::size_t length) const;
  // Hints the kernel that the file will be read sequentially from start to end.
  void advise_sequential() const;

 private:
  InputFile(Fd fd, std::uint64_t size, std::string path)
      : fd_(std::move(fd)), size_(size), path_(std::move(path)) {}
  Fd fd_;
  std::uint64_t size_ = 0;
  std::string path_;
};

struct OutputOptions {
  bool overwrite = false;  // replace an existing target (--force / --in-place)
  // Permissions of a new file, less the umask (0666 & ~umask; 0600 for private keys).
  mode_t mode = 0666;
  // When replacing, keep the existing file's permissions and owner (refused when the owner
  // cannot be kept).
  bool keep_mode_of_existing = false;
};

// An output file written to a temp file beside the target ("<dir>/.<name>.XXXXXX.tmp").
// commit() fsyncs and renames it into place; if commit() is not reached the destructor removes
// the temp file, so a failure never leaves a partial output or a stray temp file behind. The
// temp file is flock()ed from creation until it is renamed; create() first removes the temp
// files of the same target that no process holds locked (left by a run that was killed), never
// a live one.
class AtomicOutput {
 public:
  // Fails with an input error if the target exists and !options.overwrite, naming --force, and
  // when it is a directory or not a regular file. A target that is a symbolic link (with
  // overwrite) is followed: the file it names is replaced, beside itself, and the link stays; a
  // dangling link is refused.
  static Result<AtomicOutput> create(const fs::path& target, OutputOptions options = {});
  AtomicOutput(AtomicOutput&& other) noexcept;
  AtomicOutput& operator=(AtomicOutput&& other) noexcept;
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  ~AtomicOutput();

  Status write(std::span<const std::byte> data);
  Status write(std::string_view text);
  Status write_at(std::uint64_t offset, std::span<const std::byte> data);
  [[nodiscard]] std::uint64_t bytes_written() const { return written_; }
  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] const fs::path& target() const { return target_; }
  [[nodiscard]] const fs::path& temp_path() const { return temp_; }
  // fsync + rename into place. When !overwrite, refuses (without clobbering) a target that
  // appeared meanwhile.
  Status commit();

 private:
  AtomicOutput() = default;
  void discard() noexcept;
  Fd fd_;
  fs::path target_;
  fs::path temp_;
  OutputOptions options_;
  std::uint64_t written_ = 0;
  bool committed_ = false;
};

// Convenience: writes a whole file atomically.
Status write_file_atomic(const fs::path& target, std::span<const std::byte> data,
                         OutputOptions options = {});
Status write_file_atomic(const fs::path& target, std::string_view text, OutputOptions options = {});
// Reads a whole (small) file. Refuses files larger than max_size with an input error.
Result<std::vector<std::byte>> read_file(const fs::path& path, std::uint64_t max_size = 64u << 20);
Result<std::string> read_text_file(const fs::path& path, std::uint64_t max_size = 64u << 20);

inline std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace wslplug
