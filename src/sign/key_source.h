// Where signing keys, certificates and verification keys come from.
//
// Every key and certificate is loaded through OSSL_STORE, so one code path
// reads PEM and DER files (plain or encrypted PKCS#8, key and certificate in
// one file as Linux's signing_key.pem has them) and `pkcs11:` URIs served by an
// OpenSSL 3 provider (pkcs11-provider, loaded from openssl.cnf or, failing
// that, by its module name "pkcs11"). There is no ENGINE code.
//
// Secrets never come from the command line: the passphrase of an encrypted key
// or the PIN of a token is read from --passphrase-file, else from the
// environment variable LIVEPATCH_SIGN_PIN, else KBUILD_SIGN_PIN (the variable
// Linux's and livepatch-build-tools' sign-file use). A private key file that
// group or others can access is refused before it is read, the way ssh
// refuses such a key.
#pragma once

#include "sign/openssl_handles.h"

#include <optional>
#include <string>

namespace lp::sign {

// True for "pkcs11:..." (RFC 7512) specifications.
bool is_pkcs11_uri(const std::string &spec);

// The passphrase to offer, if any: the first line of `passphrase_file` when it
// is non-empty, else $LIVEPATCH_SIGN_PIN, else $KBUILD_SIGN_PIN.
std::optional<std::string> find_passphrase(const std::string &passphrase_file);

// A private key from a file or a pkcs11: URI. Throws lp::FileError(spec, ...)
// naming the problem: missing file, permissions too open, no key in the file,
// an encrypted key without a passphrase, a wrong passphrase, no provider for
// pkcs11: URIs.
PkeyPtr load_private_key(const std::string &spec, const std::string &passphrase_file);

// An X.509 certificate (PEM or DER file, or pkcs11: URI). Throws lp::FileError.
X509Ptr load_certificate(const std::string &spec, const std::string &passphrase_file);

// The certificate stored next to the private key in the same file, or null.
X509Ptr certificate_in_key_file(const std::string &spec, const std::string &passphrase_file);

// A public key (PEM or DER SubjectPublicKeyInfo, as verify_key.pem). Throws
// lp::FileError.
PkeyPtr load_public_key(const std::string &spec);

// How reports name a key: `certificate "CN=..." (SHA-256 fingerprint AB:..)`
// and `RSA-2048 public key (SHA-256 fingerprint of SubjectPublicKeyInfo AB:..)`.
std::string describe_certificate(X509 *cert);
std::string describe_public_key(EVP_PKEY *key);

} // namespace lp::sign
