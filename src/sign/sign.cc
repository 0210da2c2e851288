// The signing library's entry points: detect which signatures a payload
// carries, then dispatch to the note or the appended format; see sign.h.
//
// Detection looks at the end of the file first (the appended magic), then at
// the ELF content before any appended trailer (the note section), so a payload
// signed in either format, or - from some other tool - in both, is recognised.
#include "sign/sign.h"

#include "elf/atomic_file.h"
#include "sign/appended_signature.h"
#include "sign/key_source.h"
#include "sign/note_signature.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace lp::sign {
namespace {

struct Present {
  bool note = false;
  bool appended = false;
  std::span<const uint8_t> content; // the file without an appended trailer
};

// Throws unless the content is ELF64 - except under an appended signature,
// which covers bytes, not ELF structure: there a damaged ELF is left for the
// CMS check to refuse.
Present signatures_present(std::span<const uint8_t> file, const std::string &name) {
  Present p;
  p.appended = has_appended_magic(file);
  p.content = p.appended ? split_appended_signature(file, name).content : file;
  try {
    p.note = has_note_section(p.content, name);
  } catch (const FileError &) {
    if (!p.appended)
      throw;
  }
  return p;
}

std::string present_text(const Present &p) {
  if (p.note && p.appended)
    return "a note and an appended signature";
  return p.note ? "a .note.Xen.signature signature" : "an appended module signature";
}

// The payload with every existing signature removed, or a refusal if it has
// one and `replace` is off.
std::vector<uint8_t> unsigned_content(std::span<const uint8_t> payload, const std::string &name,
                                      bool replace) {
  Present p = signatures_present(payload, name);
  if ((p.note || p.appended) && !replace)
    throw FileError(name, "already carries " + present_text(p) +
                              "; use --replace to remove it and sign again");
  if (p.note)
    return remove_note_signature(p.content, name);
  return {p.content.begin(), p.content.end()};
}

void check_key_matches(EVP_PKEY *key, X509 *cert, const SignOptions &opt) {
  if (EVP_PKEY_eq(X509_get0_pubkey(cert), key) != 1)
    throw FileError(opt.key, "does not match the certificate " + opt.cert);
}

X509Ptr signer_certificate(const SignOptions &opt) {
  if (!opt.cert.empty())
    return load_certificate(opt.cert, opt.passphrase_file);
  X509Ptr cert = certificate_in_key_file(opt.key, opt.passphrase_file);
  if (!cert)
    throw FileError(opt.key, "an appended signature needs the signer's certificate: give --cert "
                             "(the key file holds none)");
  return cert;
}

std::vector<uint8_t> sign_content(std::span<const uint8_t> content, const std::string &name,
                                  const SignOptions &opt) {
  PkeyPtr key = load_private_key(opt.key, opt.passphrase_file);
  if (opt.format == Format::note) {
    if (!opt.cert.empty())
      check_key_matches(key.get(), load_certificate(opt.cert, opt.passphrase_file).get(), opt);
    return add_note_signature(content, name, key.get(), opt.key);
  }
  X509Ptr cert = signer_certificate(opt);
  return append_signature(content, key.get(), cert.get(), opt.key_id_ski, opt.key);
}

void check_verify_options(const VerifyOptions &opt, const std::string &name) {
  if (opt.cert.empty() == opt.pubkey.empty())
    throw FileError(name, "give exactly one of --cert and --pubkey to verify with");
}

// Runs `check`, reporting a malformed payload (its ELF structure, as seen
// while looking for the signature) as a verification failure rather than as
// an unusable input: a tampered payload is what verification is for.
template <typename F> auto as_verification(const std::string &name, F check) {
  try {
    return check();
  } catch (const VerificationError &) {
    throw;
  } catch (const FileError &e) {
    if (e.file() != name)
      throw;
    throw VerificationError(e.file(), e.problem());
  }
}

VerifyResult verify_note(std::span<const uint8_t> file, const std::string &name,
                         const VerifyOptions &opt) {
  PkeyPtr key;
  std::string text;
  if (!opt.pubkey.empty()) {
    key = load_public_key(opt.pubkey);
    text = describe_public_key(key.get());
  } else {
    X509Ptr cert = load_certificate(opt.cert, "");
    key.reset(X509_get_pubkey(cert.get()));
    text = describe_certificate(cert.get());
  }
  VerifyResult r;
  r.format = Format::note;
  r.signature_size =
      as_verification(name, [&] { return verify_note_signature(file, name, key.get(), text); });
  r.key = text;
  return r;
}

VerifyResult verify_appended(std::span<const uint8_t> file, const std::string &name,
                             const VerifyOptions &opt) {
  if (opt.cert.empty())
    throw FileError(opt.pubkey, "an appended CMS signature is verified with the signer's "
                                "certificate: give --cert");
  X509Ptr cert = load_certificate(opt.cert, "");
  VerifyResult r;
  r.format = Format::appended;
  r.key = describe_certificate(cert.get());
  r.signer = verify_appended_signature(file, name, cert.get(), r.key);
  r.signature_size = split_appended_signature(file, name).cms.size();
  return r;
}

} // namespace

std::string_view format_name(Format f) { return f == Format::note ? "note" : "appended"; }

std::vector<uint8_t> sign_payload(std::span<const uint8_t> payload, const std::string &name,
                                  const SignOptions &options) {
  std::vector<uint8_t> content = unsigned_content(payload, name, options.replace);
  return sign_content(content, name, options);
}

void sign_file(const std::string &in, const std::string &out, const SignOptions &options) {
  struct stat st;
  if (stat(in.c_str(), &st) != 0)
    throw FileError(in, std::strerror(errno));
  std::string bytes = read_file(in);
  auto span = std::span(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
  std::vector<uint8_t> signed_bytes = sign_payload(span, in, options);
  write_file_atomically(out, signed_bytes, st.st_mode & 07777);
}

VerifyResult verify_payload(std::span<const uint8_t> payload, const std::string &name,
                            const VerifyOptions &options) {
  check_verify_options(options, name);
  Present p = as_verification(name, [&] { return signatures_present(payload, name); });
  if (!p.note && !p.appended)
    throw VerificationError(name, "not signed: no .note.Xen.signature section and no appended "
                                  "module signature");
  if (p.note && p.appended)
    throw VerificationError(name, "carries both a note and an appended signature; re-sign it "
                                  "with --replace");
  return p.note ? verify_note(payload, name, options) : verify_appended(payload, name, options);
}

std::vector<SignatureInfo> show_payload(std::span<const uint8_t> payload,
                                        const std::string &name) {
  Present p = as_verification(name, [&] { return signatures_present(payload, name); });
  std::vector<SignatureInfo> out;
  if (p.note)
    out.push_back(describe_note_signature(p.content, name));
  if (p.appended)
    out.push_back(describe_appended_signature(payload, name));
  return out;
}

} // namespace lp::sign
