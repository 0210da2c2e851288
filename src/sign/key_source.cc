// Loading keys and certificates through OSSL_STORE; see key_source.h.
//
// OSSL_STORE asks for a passphrase through a UI_METHOD. The method here wraps a
// PEM-style callback that hands out the passphrase found in the file or the
// environment and records that it was asked, so that a failure can be told
// apart afterwards: "encrypted and no passphrase given" versus "wrong
// passphrase" versus "nothing of that kind in the file".
#include "sign/key_source.h"

#include "elf/error.h"
#include "sign/digest.h"

#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/provider.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

namespace lp::sign {
namespace {

struct PassphraseState {
  std::optional<std::string> value;
  bool asked = false;
};

int passphrase_callback(char *buf, int size, int, void *userdata) {
  auto *state = static_cast<PassphraseState *>(userdata);
  state->asked = true;
  if (!state->value || state->value->size() >= static_cast<size_t>(size))
    return -1;
  std::memcpy(buf, state->value->data(), state->value->size());
  return static_cast<int>(state->value->size());
}

std::optional<std::string> nonempty_env(const char *name) {
  const char *v = std::getenv(name);
  if (!v || !*v)
    return std::nullopt;
  return std::string(v);
}

std::string read_passphrase_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw FileError(path, std::strerror(errno));
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

// pkcs11: URIs need a provider with a store for that scheme. openssl.cnf may
// already load one; otherwise try the module pkcs11-provider installs.
void load_pkcs11_provider_once() {
  static const bool tried = [] {
    if (!OSSL_PROVIDER_available(nullptr, "pkcs11"))
      OSSL_PROVIDER_try_load(nullptr, "pkcs11", 1);
    openssl_reason("");
    return true;
  }();
  (void)tried;
}

// The local path a file: URI (RFC 8089: file:/p, file:///p,
// file://localhost/p) names, or `spec` itself when it is a plain path.
std::string local_path(const std::string &spec) {
  if (spec.rfind("file://localhost/", 0) == 0)
    return spec.substr(16);
  if (spec.rfind("file://", 0) == 0)
    return spec.substr(7);
  if (spec.rfind("file:", 0) == 0)
    return spec.substr(5);
  return spec;
}

// ssh's rule: a private key must not be accessible by group or others.
void check_key_file_mode(const std::string &spec) {
  std::string path = local_path(spec);
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    throw FileError(spec, std::strerror(errno));
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    throw FileError(spec, fmt::format("private key is accessible by group or others (mode {:04o}); "
                                      "restrict it with chmod 600",
                                      st.st_mode & 07777));
}

// What is refused before OpenSSL sees the specification: a PIN written into
// a pkcs11: URI (it would sit on the command line), and a folder (OSSL_STORE
// would quietly take the first key or certificate among its files).
void check_spec(const std::string &spec) {
  if (is_pkcs11_uri(spec)) {
    if (spec.find("pin-value=") != std::string::npos)
      throw FileError("pkcs11: URI", "pin-value puts the PIN on the command line; use "
                                     "LIVEPATCH_SIGN_PIN or --passphrase-file instead");
    return;
  }
  struct stat st;
  if (stat(local_path(spec).c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw FileError(spec, "is a directory, not a key or certificate file");
}

StoreCtxPtr open_store(const std::string &spec, UI_METHOD *ui, PassphraseState &state) {
  check_spec(spec);
  if (is_pkcs11_uri(spec))
    load_pkcs11_provider_once();
  StoreCtxPtr ctx(
      OSSL_STORE_open_ex(spec.c_str(), nullptr, nullptr, ui, &state, nullptr, nullptr, nullptr));
  if (ctx)
    return ctx;
  if (is_pkcs11_uri(spec))
    throw FileError(spec, "no OpenSSL provider handles pkcs11: URIs (install pkcs11-provider "
                          "and load it in openssl.cnf): " +
                              openssl_reason("unregistered scheme"));
  struct stat st;
  if (stat(spec.c_str(), &st) != 0)
    throw FileError(spec, std::strerror(errno));
  throw FileError(spec, "cannot open: " + openssl_reason("unsupported input"));
}

// The first object of `type` (OSSL_STORE_INFO_*) that `spec` holds, or null.
// Objects that fail to decode (an encrypted key while looking for the
// certificate next to it) are skipped.
StoreInfoPtr load_first(const std::string &spec, int type, PassphraseState &state) {
  UiMethodPtr ui(UI_UTIL_wrap_read_pem_callback(passphrase_callback, 0));
  StoreCtxPtr ctx = open_store(spec, ui.get(), state);
  OSSL_STORE_expect(ctx.get(), type);
  for (int guard = 0; guard < 4096 && !OSSL_STORE_eof(ctx.get()); ++guard) {
    StoreInfoPtr info(OSSL_STORE_load(ctx.get()));
    if (info && OSSL_STORE_INFO_get_type(info.get()) == type)
      return info;
  }
  return nullptr;
}

[[noreturn]] void throw_not_found(const std::string &spec, const PassphraseState &state,
                                  const std::string &what) {
  std::string reason = openssl_reason("");
  if (state.asked && !state.value)
    throw FileError(spec, "is encrypted or needs a PIN: set LIVEPATCH_SIGN_PIN (or "
                          "KBUILD_SIGN_PIN) or use --passphrase-file");
  if (state.asked)
    throw FileError(spec, "cannot decrypt " + what + ": wrong passphrase or PIN");
  throw FileError(spec, "no " + what + " found" + (reason.empty() ? "" : " (" + reason + ")"));
}

std::string name_text(const X509_NAME *name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0)
    return "?";
  char *data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

} // namespace

bool is_pkcs11_uri(const std::string &spec) { return spec.rfind("pkcs11:", 0) == 0; }

std::optional<std::string> find_passphrase(const std::string &passphrase_file) {
  if (!passphrase_file.empty())
    return read_passphrase_file(passphrase_file);
  if (auto v = nonempty_env("LIVEPATCH_SIGN_PIN"))
    return v;
  return nonempty_env("KBUILD_SIGN_PIN");
}

PkeyPtr load_private_key(const std::string &spec, const std::string &passphrase_file) {
  check_spec(spec);
  if (!is_pkcs11_uri(spec))
    check_key_file_mode(spec);
  PassphraseState state{find_passphrase(passphrase_file)};
  StoreInfoPtr info = load_first(spec, OSSL_STORE_INFO_PKEY, state);
  if (!info)
    throw_not_found(spec, state, "private key");
  return PkeyPtr(OSSL_STORE_INFO_get1_PKEY(info.get()));
}

X509Ptr load_certificate(const std::string &spec, const std::string &passphrase_file) {
  PassphraseState state{find_passphrase(passphrase_file)};
  StoreInfoPtr info = load_first(spec, OSSL_STORE_INFO_CERT, state);
  if (!info)
    throw FileError(spec, "no X.509 certificate found (PEM or DER expected)");
  return X509Ptr(OSSL_STORE_INFO_get1_CERT(info.get()));
}

X509Ptr certificate_in_key_file(const std::string &spec, const std::string &passphrase_file) {
  PassphraseState state{find_passphrase(passphrase_file)};
  StoreInfoPtr info = load_first(spec, OSSL_STORE_INFO_CERT, state);
  openssl_reason("");
  return info ? X509Ptr(OSSL_STORE_INFO_get1_CERT(info.get())) : nullptr;
}

PkeyPtr load_public_key(const std::string &spec) {
  PassphraseState state;
  StoreInfoPtr info = load_first(spec, OSSL_STORE_INFO_PUBKEY, state);
  if (!info)
    throw FileError(spec, "no public key found (PEM or DER SubjectPublicKeyInfo expected; "
                          "a certificate goes to --cert)");
  return PkeyPtr(OSSL_STORE_INFO_get1_PUBKEY(info.get()));
}

std::string describe_certificate(X509 *cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  return fmt::format("certificate \"{}\" (SHA-256 fingerprint {})",
                     name_text(X509_get_subject_name(cert)), hex_colon({md, len}));
}

std::string describe_public_key(EVP_PKEY *key) {
  unsigned char *der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  std::string fp = len > 0 ? hex_colon(sha256({der, static_cast<size_t>(len)})) : "?";
  OPENSSL_free(der);
  const char *type = EVP_PKEY_get0_type_name(key);
  return fmt::format("{}-{} public key (SHA-256 fingerprint of SubjectPublicKeyInfo {})",
                     type ? type : "?", EVP_PKEY_get_bits(key), fp);
}

} // namespace lp::sign
