#include "wslplug/core/io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace wslplug {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

Error os_error(const std::string& what, const std::string& path, int err) {
  ErrorKind kind = ErrorKind::kIo;
  std::string fix;
  if (err == ENOENT) {
    kind = ErrorKind::kInput;
    fix = "check the path";
  } else if (err == EACCES || err == EPERM) {
    fix = "check the file's permissions";
  } else if (err == ENOSPC) {
    fix = "free disk space and run the command again";
  }
  return Error{kind, fmt::format("{}: {}", what, errno_text(err)), path, {}, fix};
}

// True for "<prefix>XXXXXX.tmp": a temp-file name AtomicOutput gives `prefix`'s target (six
// characters of mkstemp's alphabet).
bool is_temp_name(std::string_view name, std::string_view prefix) {
  constexpr std::string_view kSuffix = ".tmp";
  if (name.size() != prefix.size() + 6 + kSuffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(kSuffix))
    return false;
  for (char c : name.substr(prefix.size(), 6))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

// Removes the temp files an earlier run for the same target left behind when it was killed.
// A writer holds an exclusive flock on its temp file from creation until it is renamed, so a
// temp file nobody holds locked belongs to a dead process; one that is locked is left alone.
// Only regular files owned by this user are considered. Best effort: failures are ignored.
void remove_stale_temps(const fs::path& dir, const std::string& prefix) {
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return;
  DIR* d = ::fdopendir(dir_fd.get());
  if (d == nullptr) return;
  // The directory stream owns the descriptor from here; closedir closes it.
  const int dfd = dir_fd.release();
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (!is_temp_name(name, prefix)) continue;
    const Fd fd(::openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) continue;
    struct stat st {
    }, now{};
    if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
        ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0 &&
        ::fstatat(dfd, e->d_name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st.st_dev &&
        now.st_ino == st.st_ino) {
      // Unlinked while locked: a writer that created this name and is waiting for its lock sees
      // the file gone (no links) and makes a new one.
      ::unlinkat(dfd, e->d_name, 0);
    }
  }
  ::closedir(d);
}

// An output that cannot be created is an I/O error (exit 3) whatever the cause; the message
// says whether the directory is missing or does not accept new files.
Error output_error(const fs::path& target, const fs::path& dir, int err) {
  std::error_code ec;
  if (err == ENOENT || err == ENOTDIR) {
    if (!fs::is_directory(dir, ec))
      return Error{
          ErrorKind::kIo,
          fmt::format("cannot write the output: the directory {} does not exist", dir.string()),
          target.string(),
          {},
          fmt::format("create it first (mkdir -p {}), or choose another output path",
                      dir.string())};
    return Error{ErrorKind::kIo,
                 fmt::format("cannot write the output: {} does not accept new files ({})",
                             dir.string(), errno_text(err)),
                 target.string(),
                 {},
                 "choose an output path on a writable file system"};
  }
  Error e = os_error("cannot write the output", target.string(), err);
  e.kind = ErrorKind::kIo;
  if (e.fix.empty()) e.fix = "choose another output path";
  return e;
}

}  // namespace

// ---------------------------------------------------------------- InputFile

Result<InputFile> InputFile::open(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::unexpected(os_error("cannot open", path.string(), errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return std::unexpected(os_error("cannot stat", path.string(), errno));
  }
  if (S_ISDIR(st.st_mode)) {
    return input_error("is a directory, not a file", path.string(), {}, "pass a file path");
  }
  return InputFile(std::move(fd), static_cast<std::uint64_t>(st.st_size), path.string());
}

Status InputFile::read_at(std::uint64_t offset, std::span<std::byte> out) const {
  if (offset > size_ || out.size() > size_ - offset) {
    return input_error(fmt::format("truncated: {} bytes needed at offset {:#x} but the file has {} "
                                   "bytes",
                                   out.size(), offset, size_),
                       path_, offset_str(offset), "the file is incomplete; rebuild or re-copy it");
  }
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(fd_.get(), out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(
          os_error(fmt::format("read failed at offset {:#x}", offset + done), path_, errno));
    }
    if (n == 0) {
      return input_error("file shrank while being read", path_, offset_str(offset + done),
                         "make sure no other program is writing the file");
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<std::vector<std::byte>> InputFile::read_vec(std::uint64_t offset, std::size_t length) const {
  std::vector<std::byte> buf(length);
  if (auto st = read_at(offset, buf); !st) return std::unexpected(st.error());
  return buf;
}

void InputFile::advise_sequential() const {
  ::posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
}

// ---------------------------------------------------------------- AtomicOutput

namespace {

// The process's file mode creation mask, read without changing it (umask() can only be read by
// setting it, which would race with other threads creating files): /proc/self/status has it
// since Linux 4.7; elsewhere it is read once, by setting and restoring it.
mode_t process_umask() {
  if (FILE* f = std::fopen("/proc/self/status", "re")) {
    char line[256];
    unsigned mask = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f) != nullptr)
      found = std::sscanf(line, "Umask: %o", &mask) == 1;
    std::fclose(f);
    if (found) return static_cast<mode_t>(mask & 0777);
  }
  static const mode_t once = [] {
    const mode_t m = ::umask(022);
    ::umask(m);
    return m;
  }();
  return once;
}

}  // namespace

Result<AtomicOutput> AtomicOutput::create(const fs::path& requested, OutputOptions options) {
  fs::path target = requested;
  struct stat st {};
  bool exists = ::lstat(target.c_str(), &st) == 0;
  if (exists && !options.overwrite) {
    return input_error("output file already exists", target.string(), {},
                       "pass --force to replace it, or choose another output path");
  }
  if (exists && S_ISLNK(st.st_mode)) {
    // Replacing a symbolic link's file: the temp file goes beside the file it names and is
    // renamed over that file, so the link stays a link and its target gets the new content.
    char* real = ::realpath(target.c_str(), nullptr);
    if (real == nullptr) {
      const int err = errno;
      if (err == ENOENT || err == ENOTDIR)
        return input_error("output path is a symbolic link to a file that does not exist",
                           target.string(), {},
                           "remove the dangling link, or point it at the file to replace");
      return std::unexpected(os_error("cannot resolve the symbolic link", target.string(), err));
    }
    target = real;
    std::free(real);
    if (::stat(target.c_str(), &st) != 0)
      return std::unexpected(os_error("cannot stat", target.string(), errno));
  }
  if (exists && S_ISDIR(st.st_mode)) {
    return input_error("output path is a directory", requested.string(), {},
                       "name a file, not a directory");
  }
  if (exists && !S_ISREG(st.st_mode)) {
    return input_error("output path is not a regular file (a device, FIFO or socket)",
                       requested.string(), {}, "name a regular file as the output");
  }
  // Replacing in place keeps the file's permissions and owner; a new file gets the mode asked
  // for less the umask, as open(2) would give it.
  const bool keep = exists && options.keep_mode_of_existing;
  if (keep) {
    options.mode = st.st_mode & 07777;
  } else {
    options.mode &= ~process_umask();
  }

  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  const std::string prefix = "." + target.filename().string() + ".";
  remove_stale_temps(dir, prefix);
  const std::string tmpl = (dir / (prefix + "XXXXXX.tmp")).string();
  std::vector<char> buf;
  Fd fd;
  // The temp file is locked for as long as it exists under its name (see remove_stale_temps);
  // a name another run's cleanup unlinked before the lock was taken is dropped and replaced.
  for (int attempt = 0; !fd && attempt < 8; ++attempt) {
    buf.assign(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    fd.reset(::mkostemps(buf.data(), 4, O_CLOEXEC));
    if (!fd) {
      return std::unexpected(output_error(target, dir, errno));
    }
    // A file system without flock (the cleanup cannot take one either) keeps the file unlocked.
    int locked = 0;
    while ((locked = ::flock(fd.get(), LOCK_EX)) != 0 && errno == EINTR) {
    }
    struct stat tst {};
    if (locked == 0 && ::fstat(fd.get(), &tst) == 0 && tst.st_nlink == 0) fd.reset();
  }
  if (!fd)
    return io_error("cannot create and lock a temporary file beside the output", target.string());
  AtomicOutput out;
  out.fd_ = std::move(fd);
  out.target_ = target;
  out.temp_ = fs::path(buf.data());
  out.options_ = options;
  if (keep && (st.st_uid != ::geteuid() || st.st_gid != ::getegid()) &&
      ::fchown(out.fd_.get(), st.st_uid, st.st_gid) != 0) {
    // Never a silent change of owner: replacing another user's file needs their rights.
    const int err = errno;
    return std::unexpected(
        Error{ErrorKind::kIo,
              fmt::format("cannot keep the owner (uid {}, gid {}) of the file it replaces: {}",
                          st.st_uid, st.st_gid, errno_text(err)),
              target.string(),
              {},
              "run as the file's owner (or root), or write a new file with -o"});
  }
  if (::fchmod(out.fd_.get(), options.mode) != 0) {
    int err = errno;
    return std::unexpected(os_error("cannot set permissions", out.temp_.string(), err));
  }
  return out;
}

AtomicOutput::AtomicOutput(AtomicOutput&& other) noexcept
    : fd_(std::move(other.fd_)),
      target_(std::move(other.target_)),
      temp_(std::exchange(other.temp_, {})),
      options_(other.options_),
      written_(other.written_),
      committed_(other.committed_) {}

AtomicOutput& AtomicOutput::operator=(AtomicOutput&& other) noexcept {
  if (this != &other) {
    discard();
    fd_ = std::move(other.fd_);
    target_ = std::move(other.target_);
    temp_ = std::exchange(other.temp_, {});
    options_ = other.options_;
    written_ = other.written_;
    committed_ = other.committed_;
  }
  return *this;
}

AtomicOutput::~AtomicOutput() { discard(); }

void AtomicOutput::discard() noexcept {
  fd_.reset();
  if (!committed_ && !temp_.empty()) {
    ::unlink(temp_.c_str());
    temp_.clear();
  }
}

Status AtomicOutput::write(std::span<const std::byte> data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd_.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(os_error("write failed", target_.string(), errno));
    }
    done += static_cast<std::size_t>(n);
  }
  written_ += data.size();
  return {};
}

Status AtomicOutput::write(std::string_view text) { return write(as_bytes(text)); }

Status AtomicOutput::write_at(std::uint64_t offset, std::span<const std::byte> data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd_.get(), data.data() + done, data.size() - done,
                         static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(os_error("write failed", target_.string(), errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Status AtomicOutput::commit() {
  if (committed_ || !fd_) return internal_error("output committed twice", target_.string());
  if (::fsync(fd_.get()) != 0)
    return std::unexpected(os_error("fsync failed", target_.string(), errno));
  // Renamed while still open (and so still locked): an unlocked temp file is a stale one.
  int rc = 0;
  if (options_.overwrite) {
    rc = ::rename(temp_.c_str(), target_.c_str());
  } else {
    rc = ::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
      // File system without RENAME_NOREPLACE: link() refuses an existing target too.
      rc = ::link(temp_.c_str(), target_.c_str());
      if (rc == 0) ::unlink(temp_.c_str());
    }
  }
  const int rename_errno = errno;
  // The data is on disk (fsync above); closing only releases the lock.
  fd_.reset();
  if (rc != 0) {
    int err = rename_errno;
    if (err == EEXIST) {
      return input_error("output file appeared while writing", target_.string(), {},
                         "pass --force to replace it, or choose another output path");
    }
    return std::unexpected(
        os_error("cannot rename the temporary file into place", target_.string(), err));
  }
  committed_ = true;
  fs::path dir = target_.parent_path();
  if (dir.empty()) dir = ".";
  if (const Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); dfd)
    ::fsync(dfd.get());
  return {};
}

Status write_file_atomic(const fs::path& target, std::span<const std::byte> data,
                         OutputOptions options) {
  auto out = AtomicOutput::create(target, options);
  if (!out) return std::unexpected(out.error());
  if (auto st = out->write(data); !st) return st;
  return out->commit();
}

Status write_file_atomic(const fs::path& target, std::string_view text, OutputOptions options) {
  return write_file_atomic(target, as_bytes(text), options);
}

Result<std::vector<std::byte>> read_file(const fs::path& path, std::uint64_t max_size) {
  auto f = InputFile::open(path);
  if (!f) return std::unexpected(f.error());
  if (f->size() > max_size) {
    return input_error(
        fmt::format("file is {} bytes, more than the {} expected", f->size(), max_size),
        path.string(), {}, "check that this is the right file");
  }
  return f->read_vec(0, static_cast<std::size_t>(f->size()));
}

Result<std::string> read_text_file(const fs::path& path, std::uint64_t max_size) {
  auto bytes = read_file(path, max_size);
  if (!bytes) return std::unexpected(bytes.error());
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

}  // namespace wslplug
