// Connects the RFC 3161 verifier (wslplug/timestamp.hpp) to the engine's verification of each
// SignerInfo (authenticode.hpp timestamp_hook()).
#include "authenticode.hpp"
#include "wslplug/signing/timestamp.hpp"

namespace wslplug::signing {

TimestampHook default_timestamp_hook() {
  return [](PKCS7* /*signed_data*/, PKCS7_SIGNER_INFO* si,
            const VerifyOptions& options) -> std::optional<TimestampReport> {
    const auto& cas = options.tsa_ca_files.empty() ? options.ca_files : options.tsa_ca_files;
    return verify_signer_timestamp(si, cas);
  };
}

}  // namespace wslplug::signing
