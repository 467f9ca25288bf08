// Text, token, path and file-listing helpers of the driver.
#include <sys/random.h>

#include "../protocol/host_protocol.hpp"
#include "driver.hpp"

namespace wslplug::host::driver {

// ------------------------------------------------------------------ text helpers
void append_capped(std::string& to, std::string_view data, std::size_t max) {
  if (to.size() >= max) return;
  to.append(data.substr(0, max - to.size()));
}

std::string hex8(std::uint32_t v) { return doctor::hresult_hex(v); }
json symbol_of(std::uint32_t hr) {
  if (hr == 0) return "S_OK";
  if (hr == 1) return "S_FALSE";
  auto s = doctor::hresult_symbol(hr);
  return s ? json(*s) : json(nullptr);
}
std::string name_or_hex(std::uint32_t hr) {
  auto s = symbol_of(hr);
  return s.is_string() ? s.get<std::string>() : hex8(hr);
}
bool failed(std::uint32_t hr) { return (hr & 0x80000000u) != 0; }

std::uint32_t parse_hex(std::string_view s) {
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  std::uint64_t v = 0;
  for (char c : s) {
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) break;
    v = v * 16 + static_cast<unsigned>(d);
  }
  return static_cast<std::uint32_t>(v);
}

std::string encode(const std::optional<std::string>& s) {
  return s ? protocol::encode(*s) : std::string(protocol::kNull);
}
// A protocol string token: nullopt for "~" (NULL) or a malformed token.
std::optional<std::string> decode(std::string_view t, bool* is_null) {
  std::string out;
  bool null_token = false;
  const bool ok = protocol::decode(t, &out, &null_token);
  if (is_null) *is_null = null_token;
  if (!ok || null_token) return std::nullopt;
  return out;
}
json token_json(std::string_view t) {
  bool is_null = false;
  auto s = decode(t, &is_null);
  if (is_null) return nullptr;
  if (s) return utf8_lossy(*s);
  // A raw number.
  return std::strtoll(std::string(t).c_str(), nullptr, 10);
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    const size_t j = s.find(',', i);
    out.emplace_back(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) return out;
    i = j + 1;
  }
}

std::vector<std::string> split(std::string_view line) { return protocol::split(line); }

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double round1(double v) { return static_cast<double>(static_cast<long long>(v * 10 + 0.5)) / 10; }

std::string windows_path_of(const fs::path& p) {
  std::string s = fs::absolute(p).lexically_normal().string();
  for (char& c : s)
    if (c == '/') c = '\\';
  return "Z:" + s;
}

// Inside WSL: the Windows path of a Linux path (wslpath -w); the path itself if that fails.
std::string interop_path(const fs::path& p) {
  process::Options po;
  po.capture_stdout = true;
  auto r = process::run({"wslpath", "-w", fs::absolute(p).string()}, po);
  if (!r || !r->ok()) return fs::absolute(p).string();
  std::string out = r->captured;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

void set_nonblock(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }
int status_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// ------------------------------------------------------------------ files under C: (drive_c)

Snapshot snapshot(const fs::path& root) {
  Snapshot out;
  if (root.empty()) return out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const auto& entry = *it;
    if (entry.is_symlink(ec) || !entry.is_regular_file(ec)) continue;
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0) continue;
    out[entry.path().lexically_relative(root).string()] = {
        static_cast<std::uintmax_t>(st.st_size),
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  }
  return out;
}

json file_changes(const Snapshot& before, const Snapshot& after, const fs::path& root,
                  const std::string& windows_root) {
  json out = json::array();
  for (const auto& [rel, st] : after) {
    auto it = before.find(rel);
    const char* change = nullptr;
    if (it == before.end())
      change = "created";
    else if (it->second.size != st.size || it->second.mtime != st.mtime)
      change = "modified";
    if (!change) continue;
    std::string win = windows_root;
    if (!win.empty() && win.back() != '\\') win.push_back('\\');
    win += rel;
    for (char& c : win)
      if (c == '/') c = '\\';
    out.push_back({{"path", utf8_lossy(win)},
                   {"host_path", utf8_lossy((root / rel).string())},
                   {"size", st.size},
                   {"change", change}});
  }
  return out;
}

// 128 random bits as hex: the secret every request of one version's host carries.
std::string random_secret() {
  unsigned char bytes[16] = {};
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  std::string out;
  for (unsigned char b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace wslplug::host::driver
