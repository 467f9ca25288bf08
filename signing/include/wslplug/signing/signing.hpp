// Public API of the Authenticode signing library (wslplug_signing), one header per topic:
//   digest.hpp          digest algorithms
//   credentials.hpp     a certificate and where its key is (signer.hpp: the other key locations)
//   sign.hpp            sign, sign detached, attach, write a signature, unsign, the image digest
//   signatures.hpp      the one numbering of an image's signatures, rewriting one entry
//   signed_data.hpp     the parsed signature model (signer, certificates, attributes, nested)
//   signature_file.hpp  detached signature files
//   verify.hpp          verification and the verdict table
//   trust_cert.hpp      certificates to trust
//   test_cert.hpp       test certificates
//   timestamp.hpp       RFC 3161 time-stamping; oids.hpp: the OIDs
// This header includes them all, for code that uses several.
#pragma once

#include "wslplug/signing/credentials.hpp"
#include "wslplug/signing/digest.hpp"
#include "wslplug/signing/sign.hpp"
#include "wslplug/signing/signature_file.hpp"
#include "wslplug/signing/signatures.hpp"
#include "wslplug/signing/test_cert.hpp"
#include "wslplug/signing/trust_cert.hpp"
#include "wslplug/signing/verify.hpp"
