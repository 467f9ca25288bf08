#include "pki.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support.hpp"

namespace wslplug::test {

namespace {

bool ok(const RunResult& r, const std::string& what) {
  if (r.rc == 0) return true;
  ADD_FAILURE() << what << " failed (rc " << r.rc << "):\n" << r.both();
  return false;
}

}  // namespace

CertPair make_cert(const fs::path& dir, const std::string& name, const CertSpec& spec) {
  const fs::path key = dir / (name + ".key");
  const fs::path cert = dir / (name + ".pem");
  const fs::path csr = dir / (name + ".csr");
  const fs::path cfg = dir / (name + ".cnf");
  const fs::path db = dir / (name + ".index");
  const fs::path newcerts = dir / (name + ".newcerts");
  fs::create_directories(newcerts);
  write_text(db, "");
  write_text(dir / (name + ".serial"), "01\n");

  std::vector<std::string> gen = {"openssl", "genpkey", "-out", key.string()};
  if (spec.key == "ec-p256") {
    gen.insert(gen.end(), {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"});
  } else {
    const std::string bits = spec.key == "rsa3072" ? "3072" : "2048";
    gen.insert(gen.end(), {"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:" + bits});
  }
  if (!ok(run(gen), "openssl genpkey")) return {};

  std::string ext;
  if (spec.ca) {
    ext =
        "basicConstraints = critical,CA:TRUE\n"
        "keyUsage = critical,digitalSignature,keyCertSign,cRLSign\n";
  } else {
    ext =
        "basicConstraints = critical,CA:FALSE\n"
        "keyUsage = critical,digitalSignature\n";
    if (!spec.eku.empty()) ext += "extendedKeyUsage = " + spec.eku + "\n";
    if (!spec.san.empty()) ext += "subjectAltName = " + spec.san + "\n";
  }
  ext += "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n";
  write_text(cfg, fmt::format(R"([ca]
default_ca = c
[c]
database = {}
new_certs_dir = {}
serial = {}
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
[p]
organizationName = optional
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
{}CN = {}
[ext]
{})",
                              db.string(), newcerts.string(), (dir / (name + ".serial")).string(),
                              spec.org.empty() ? "" : "O = " + spec.org + "\n", spec.cn, ext));
  if (!ok(run({"openssl", "req", "-new", "-config", cfg.string(), "-key", key.string(), "-out",
               csr.string()}),
          "openssl req"))
    return {};
  std::vector<std::string> ca = {"openssl",     "ca",   "-batch",       "-config", cfg.string(),
                                 "-extensions", "ext",  "-rand_serial", "-notext", "-in",
                                 csr.string(),  "-out", cert.string()};
  if (spec.issuer) {
    ca.insert(ca.end(),
              {"-cert", spec.issuer->cert.string(), "-keyfile", spec.issuer->key.string()});
  } else {
    ca.insert(ca.end(), {"-selfsign", "-keyfile", key.string()});
  }
  if (!spec.start.empty()) ca.insert(ca.end(), {"-startdate", spec.start});
  if (!spec.end.empty()) {
    ca.insert(ca.end(), {"-enddate", spec.end});
  } else {
    ca.insert(ca.end(), {"-days", "365"});
  }
  if (!ok(run(ca), "openssl ca")) return {};
  fs::remove(csr);
  return {cert, key};
}

fs::path encrypt_key(const fs::path& key, const fs::path& out, const std::string& password) {
  auto r = run({"openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", key.string(), "-out",
                out.string(), "-passout", "env:WSLPLUG_TEST_KEYPASS"},
               {{"WSLPLUG_TEST_KEYPASS", password}});
  ok(r, "openssl pkcs8");
  return out;
}

}  // namespace wslplug::test
