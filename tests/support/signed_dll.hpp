// The one signed-DLL fixture: a plugin DLL built at test time (support.hpp), a code-signing
// certificate from the test PKI (pki.hpp), and the DLL signed by osslsigncode (the independent
// signer), with its signature extracted as DER. Tests that need "a DLL someone else signed"
// start here.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pki.hpp"

namespace wslplug::test {

struct SignedDllSpec {
  std::string fixture = "signed-x64";  // the DllSpec name (cache key) of the unsigned DLL
  bool odd_size = false;               // an odd-sized image, so signing must pad it
  std::string signer_cn = "wslplug test signer";
  std::vector<std::string> sign_args = {};  // extra osslsigncode sign arguments (-time T, -ts URL)
};

struct SignedDll {
  CertPair signer;                     // DIR/signer.pem, DIR/signer.key
  std::filesystem::path unsigned_dll;  // DIR/plugin.dll
  std::filesystem::path signed_dll;    // DIR/signed.dll
  std::filesystem::path sig_der;       // DIR/sig.der: the extracted PKCS#7
};

// Makes the files in `dir`; fails the calling test (ADD_FAILURE) when a tool fails.
SignedDll make_signed_dll(const std::filesystem::path& dir, const SignedDllSpec& spec = {});

}  // namespace wslplug::test
