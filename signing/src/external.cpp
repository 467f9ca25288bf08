// The external-command signer (signer.hpp): a shell command reads the digest on stdin and
// writes the raw signature on stdout, with a deadline. The command runs in its own process
// group so a timeout ends everything it started.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "authenticode.hpp"
#include "wslplug/core/fd.hpp"
#include "wslplug/signing/field.hpp"

extern char** environ;

namespace wslplug::signing {

namespace {

using Clock = std::chrono::steady_clock;

std::string base64(std::span<const std::byte> data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), ossl::uchars(data),
                                static_cast<int>(data.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

// What a run of the command gave.
struct Run {
  std::vector<std::byte> out;
  int status = 0;
  bool timed_out = false;
};

Result<Run> run_command(const std::string& command, std::span<const std::byte> input,
                        const std::vector<std::string>& extra_env,
                        std::chrono::milliseconds timeout) {
  auto io_fail = [&](const std::string& what) {
    return fail(ErrorKind::kIo,
                fmt::format("cannot run the external signer: {}: {}", what, std::strerror(errno)),
                {}, field(Field::kExternalSigner), "check the command and the system's limits");
  };
  // stdin is a sealed in-memory file, so a command that never reads it cannot block us or make
  // us take SIGPIPE.
  Fd in(::memfd_create("wslplug-digest", MFD_CLOEXEC));
  if (!in) return io_fail("memfd_create");
  if (::write(in.get(), input.data(), input.size()) != static_cast<ssize_t>(input.size()) ||
      ::lseek(in.get(), 0, SEEK_SET) != 0)
    return io_fail("writing the digest");
  auto out_pipe = open_pipe();
  if (!out_pipe) return io_fail("pipe");
  Fd& out_r = out_pipe->read;
  Fd& out_w = out_pipe->write;

  // The environment is built before fork: the child only calls async-signal-safe functions.
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("WSLPLUG_DIGEST") || kv.starts_with("WSLPLUG_CERT_") ||
        kv.starts_with("WSLPLUG_KEY_TYPE="))
      continue;
    env_strings.emplace_back(kv);
  }
  for (const auto& kv : extra_env) env_strings.push_back(kv);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

  const pid_t pid = ::fork();
  if (pid < 0) return io_fail("fork");
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(in.get(), STDIN_FILENO);
    ::dup2(out_w.get(), STDOUT_FILENO);
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so the group exists before a timeout can kill it
  out_w.reset();
  in.reset();

  Run run;
  const auto deadline = Clock::now() + timeout;
  constexpr std::size_t kMaxOut = 1u << 20;
  char buf[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      run.timed_out = true;
      break;
    }
    pollfd p{out_r.get(), POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      run.timed_out = true;
      break;
    }
    const ssize_t n = ::read(out_r.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (run.out.size() < kMaxOut) {
      const auto* b = reinterpret_cast<const std::byte*>(buf);
      run.out.insert(run.out.end(), b, b + n);
    }
  }
  if (run.timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (run.timed_out) {
    // The command's own children may still hold the pipe; the group is gone now.
    run.status = -1;
    return run;
  }
  run.status = status;
  return run;
}

class ExternalSigner final : public Signer {
 public:
  ExternalSigner(ExternalSignerOptions options, const X509* cert, KeyKind kind)
      : options_(std::move(options)), cert_(cert), kind_(kind) {
    thumbprint_ = ossl::hex_upper(ossl::cert_digest(cert, EVP_sha1()));
    sha256_ = ossl::hex_upper(ossl::cert_digest(cert, EVP_sha256()));
  }

  Result<std::vector<std::byte>> sign(DigestAlgorithm alg,
                                      std::span<const std::byte> digest) const override {
    const std::vector<std::string> env = {
        fmt::format("WSLPLUG_DIGEST_ALGORITHM={}", digest_name(alg)),
        fmt::format("WSLPLUG_DIGEST_HEX={}", ossl::hex_upper(digest)),
        fmt::format("WSLPLUG_DIGEST_BASE64={}", base64(digest)),
        fmt::format("WSLPLUG_KEY_TYPE={}", key_kind_name(kind_)),
        fmt::format("WSLPLUG_CERT_THUMBPRINT={}", thumbprint_),
        fmt::format("WSLPLUG_CERT_SHA256={}", sha256_),
    };
    auto run = run_command(options_.command, digest, env, options_.timeout);
    if (!run) return std::unexpected(run.error());
    const std::string fix =
        "run the command by hand (it reads the digest on stdin, writes the raw signature on "
        "stdout) and check its messages above";
    if (run->timed_out)
      return fail(ErrorKind::kIo,
                  fmt::format("{} did not finish within {} s and was stopped", describe(),
                              options_.timeout.count() / 1000.0),
                  {}, field(Field::kExternalSigner),
                  "check that the command does not wait for input (a login or an approval); "
                  "{external_signer_timeout} SECONDS gives it longer");
    if (WIFSIGNALED(run->status))
      return fail(ErrorKind::kIo,
                  fmt::format("{} was killed by signal {}", describe(), WTERMSIG(run->status)), {},
                  field(Field::kExternalSigner), fix);
    if (WEXITSTATUS(run->status) != 0)
      return fail(ErrorKind::kIo,
                  fmt::format("{} failed with exit code {}{}", describe(), WEXITSTATUS(run->status),
                              WEXITSTATUS(run->status) == 127 ? " (command not found)" : ""),
                  {}, field(Field::kExternalSigner), fix);
    if (run->out.empty())
      return input_error(fmt::format("{} wrote nothing on stdout", describe()), {},
                         field(Field::kExternalSigner),
                         "the command must write the raw binary signature on stdout");
    if (kind_ == KeyKind::kEcdsa) return ecdsa_to_der(cert_, std::move(run->out));
    return std::move(run->out);
  }
  [[nodiscard]] std::string describe() const override {
    return fmt::format("the external signer `{}`", options_.command);
  }

 private:
  ExternalSignerOptions options_;
  const X509* cert_;  // owned by the credentials that own this signer
  KeyKind kind_;
  std::string thumbprint_, sha256_;
};

}  // namespace

Result<Credentials> external_credentials(const fs::path& cert, const std::vector<fs::path>& chain,
                                         const ExternalSignerOptions& options) {
  if (options.command.empty())
    return input_error("the external signer command is empty", {}, field(Field::kExternalSigner),
                       "give the command that signs a digest, e.g. \"openssl pkeyutl -sign "
                       "-inkey key.pem -pkeyopt digest:sha256\"");
  if (cert.empty())
    return input_error("an external signer needs the signer's certificate", {}, field(Field::kCert),
                       "pass {cert} CERT.pem (the signer first, then intermediates)");
  auto certs = ossl::load_certs(cert, field(Field::kCert));
  if (!certs) return std::unexpected(certs.error());
  auto impl = std::make_unique<Credentials::Impl>();
  for (auto& c : *certs) {
    if (!impl->cert)
      impl->cert = std::move(c);
    else
      impl->chain.push_back(std::move(c));
  }
  for (const auto& path : chain) {
    auto more = ossl::load_certs(path, field(Field::kChain));
    if (!more) return std::unexpected(more.error());
    for (auto& c : *more) impl->chain.push_back(std::move(c));
  }
  auto kind = cert_key_kind(impl->cert.get(), cert.string());
  if (!kind) return std::unexpected(kind.error());
  impl->signer = std::make_unique<ExternalSigner>(options, impl->cert.get(), *kind);
  return Credentials::adopt(std::move(impl));
}

}  // namespace wslplug::signing
