#include "signed_dll.hpp"

#include "support.hpp"
#include "tsa.hpp"

namespace wslplug::test {

SignedDll make_signed_dll(const fs::path& dir, const SignedDllSpec& spec) {
  SignedDll s;
  s.signer = make_cert(dir, "signer", {.cn = spec.signer_cn});
  s.unsigned_dll =
      copy_to(build_dll({.name = spec.fixture, .odd_size = spec.odd_size}), dir, "plugin.dll");
  s.signed_dll = dir / "signed.dll";
  s.sig_der = dir / "sig.der";
  std::vector<std::string> args{
      "sign", "-certs", s.signer.cert.string(), "-key", s.signer.key.string(), "-h", "sha256"};
  args.insert(args.end(), spec.sign_args.begin(), spec.sign_args.end());
  args.insert(args.end(), {"-in", s.unsigned_dll.string(), "-out", s.signed_dll.string()});
  osslsigncode(args);
  osslsigncode({"extract-signature", "-in", s.signed_dll.string(), "-out", s.sig_der.string()});
  return s;
}

}  // namespace wslplug::test
