// The control protocol between the driver (host/src/sandbox.cpp) and the sandbox agent
// (host/agent/agent.cpp), shared by both: one SOCK_SEQPACKET datagram per message, made of text
// tokens separated by single spaces, with file descriptors attached as SCM_RIGHTS.
//
// Strings are sent as "=" + percent-encoded bytes (so the empty string is "=") and an absent value
// as "~"; numbers and keywords are sent as is. Requests and their replies:
//
//   ready | fail =MESSAGE                       agent -> driver, once, after start-up
//   spawn ID WHERE CONFINED =CWD =PATH ARGC =ARG... ENVC =ENV... MASK   (+ the fds of MASK's bits
//   0..2)
//        WHERE: machine | vm | =DISTRIBUTION_ID       -> ok PID (+ the exit pipe) | err ERRNO
//   kill ID SIGNAL                              -> ok | err ERRNO
//   vm-start NETWORK =HOSTNAME                  -> ok | err ERRNO =MESSAGE
//   vm-stop                                     -> ok
//   mount =SOURCE =TARGET READONLY              -> ok | err ERRNO
//   unmount =TARGET                             -> ok | err ERRNO
//   dist-start =ID =ROOTFS|~ =OS_RELEASE|~      -> ok INIT_PID PIDNS | err ERRNO =MESSAGE
//   dist-stop =ID                               -> ok | err ERRNO
//
// The exit pipe of a process yields 4 bytes (its exit code, or 128 + signal, native byte order)
// when it ends, then end of file.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wslplug/core/fd.hpp"

namespace wslplug::host::agent {

// Large enough for a spawn with a big environment; the sockets' buffers are raised to match.
inline constexpr std::size_t kMaxMessage = 256 * 1024;
inline constexpr int kMaxFds = 8;

inline std::string encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "=";
  for (unsigned char c : s) {
    if (c > 0x20 && c < 0x7f && c != '%' && c != '=' && c != '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

inline std::string encode_optional(const std::optional<std::string>& s) {
  return s ? encode(*s) : "~";
}

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// nullopt for "~" and for a malformed token.
inline std::optional<std::string> decode(std::string_view token) {
  if (token.empty() || token[0] != '=') return std::nullopt;
  std::string out;
  for (std::size_t i = 1; i < token.size(); ++i) {
    if (token[i] != '%') {
      out += token[i];
      continue;
    }
    if (i + 2 >= token.size()) return std::nullopt;
    const int hi = hex_value(token[i + 1]), lo = hex_value(token[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

inline std::vector<std::string_view> split(std::string_view message) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos <= message.size()) {
    auto space = message.find(' ', pos);
    if (space == std::string_view::npos) space = message.size();
    if (space > pos) out.push_back(message.substr(pos, space - pos));
    pos = space + 1;
  }
  return out;
}

// Sends one message with fds; 0 or an errno.
inline int send_message(int sock, std::string_view text, const std::vector<int>& fds = {}) {
  iovec iov{const_cast<char*>(text.data()), text.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  if (!fds.empty()) {
    if (fds.size() > static_cast<std::size_t>(kMaxFds)) return EINVAL;
    std::memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  while (true) {
    const ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

struct Message {
  std::string text;
  std::vector<wslplug::Fd> fds;  // received with the message (O_CLOEXEC)
};

// One message; nullopt at end of stream or on an error (errno set; 0 at end of stream).
inline std::optional<Message> receive_message(int sock) {
  Message m;
  m.text.resize(kMaxMessage);
  iovec iov{m.text.data(), m.text.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    if (n == 0) errno = 0;
    return std::nullopt;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      m.fds.emplace_back(fd);
    }
  }
  m.text.resize(static_cast<std::size_t>(n));
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
    m.fds.clear();
    errno = EMSGSIZE;
    return std::nullopt;
  }
  return m;
}

}  // namespace wslplug::host::agent
