// The appended module signature: building, splitting, checking and describing
// it through OpenSSL's CMS API; see appended_signature.h for the layout.
//
// Signing mirrors sign-file: an empty partial SignedData, one signer added
// with SHA-256 and no signed attributes (CMS_NOATTR), no certificates, then
// CMS_final over the content as binary. With no signing-time attribute and
// PKCS#1 v1.5 padding the DER is a pure function of key, certificate and
// content.
#include "sign/appended_signature.h"

#include "sign/digest.h"
#include "sign/openssl_handles.h"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <cstring>

namespace lp::sign {
namespace {

constexpr size_t kTrailerSize = kModuleHeaderSize + kModuleMagic.size();

[[noreturn]] void refuse(const std::string &name, const std::string &problem) {
  throw VerificationError(name, problem);
}

std::vector<uint8_t> header_bytes(size_t sig_len) {
  std::vector<uint8_t> h(kModuleHeaderSize, 0);
  h[2] = kPkeyIdPkcs7;
  for (int i = 0; i < 4; ++i)
    h[8 + i] = static_cast<uint8_t>(sig_len >> (24 - 8 * i));
  return h;
}

// Linux's mod_check_sig: every field but sig_len has one permitted value.
void check_header(std::span<const uint8_t> h, const std::string &name) {
  static const char *const fields[] = {"algo", "hash", "id_type", "signer_len", "key_id_len",
                                       "pad", "pad", "pad"};
  for (size_t i = 0; i < 8; ++i) {
    uint8_t expected = i == 2 ? kPkeyIdPkcs7 : 0;
    if (h[i] != expected)
      refuse(name, fmt::format("appended signature header: {} is {}, expected {}", fields[i],
                               h[i], expected));
  }
}

std::vector<uint8_t> cms_der(CMS_ContentInfo *cms) {
  unsigned char *der = nullptr;
  int len = i2d_CMS_ContentInfo(cms, &der);
  if (len <= 0)
    throw std::runtime_error("CMS encoding failed: " + openssl_reason("?"));
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

CmsPtr parse_cms(std::span<const uint8_t> der, const std::string &name) {
  const unsigned char *p = der.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms)
    refuse(name, "appended signature is not a DER CMS structure: " +
                     openssl_reason("decoding failed"));
  if (p != der.data() + der.size())
    refuse(name, fmt::format("appended signature has {} bytes after its CMS structure",
                             der.data() + der.size() - p));
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed)
    refuse(name, "appended CMS structure is not SignedData");
  if (CMS_is_detached(cms.get()) != 1)
    refuse(name, "appended CMS signature is not detached (it embeds the content)");
  return cms;
}

std::string name_text(X509_NAME *name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char *data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string serial_text(ASN1_INTEGER *serial) {
  BIGNUM *bn = ASN1_INTEGER_to_BN(serial, nullptr);
  char *hex = bn ? BN_bn2hex(bn) : nullptr;
  std::string out = hex ? hex : "?";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

CMS_SignerInfo *only_signer(CMS_ContentInfo *cms, const std::string &name) {
  STACK_OF(CMS_SignerInfo) *signers = CMS_get0_SignerInfos(cms);
  int n = signers ? sk_CMS_SignerInfo_num(signers) : 0;
  if (n != 1)
    refuse(name, fmt::format("appended CMS signature has {} signers, expected 1", n));
  return sk_CMS_SignerInfo_value(signers, 0);
}

std::string signer_text(CMS_SignerInfo *si) {
  ASN1_OCTET_STRING *keyid = nullptr;
  X509_NAME *issuer = nullptr;
  ASN1_INTEGER *serial = nullptr;
  if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial) != 1)
    return "unknown signer";
  if (keyid)
    return "subjectKeyIdentifier " +
           hex_colon({ASN1_STRING_get0_data(keyid), static_cast<size_t>(ASN1_STRING_length(keyid))});
  return fmt::format("issuer \"{}\", serial {}", name_text(issuer), serial_text(serial));
}

int digest_nid(CMS_SignerInfo *si) {
  X509_ALGOR *digest = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, nullptr);
  const ASN1_OBJECT *oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, digest);
  return OBJ_obj2nid(oid);
}

void check_digest(CMS_SignerInfo *si, const std::string &name) {
  int nid = digest_nid(si);
  if (nid != NID_sha256)
    refuse(name, fmt::format("appended signature uses digest {}, expected sha256",
                             nid == NID_undef ? "unknown" : OBJ_nid2sn(nid)));
}

} // namespace

bool has_appended_magic(std::span<const uint8_t> file) {
  return file.size() >= kModuleMagic.size() &&
         std::memcmp(file.data() + file.size() - kModuleMagic.size(), kModuleMagic.data(),
                     kModuleMagic.size()) == 0;
}

AppendedSignature split_appended_signature(std::span<const uint8_t> file,
                                           const std::string &name) {
  if (!has_appended_magic(file))
    refuse(name, "not signed: no appended module signature");
  if (file.size() < kTrailerSize)
    refuse(name, "appended signature header is truncated");
  auto header = file.subspan(file.size() - kTrailerSize, kModuleHeaderSize);
  check_header(header, name);
  uint32_t sig_len = uint32_t{header[8]} << 24 | uint32_t{header[9]} << 16 |
                     uint32_t{header[10]} << 8 | header[11];
  size_t room = file.size() - kTrailerSize;
  if (sig_len == 0 || sig_len > room)
    refuse(name, fmt::format("appended signature length {} does not fit the {} bytes before "
                             "its header", sig_len, room));
  return {file.first(room - sig_len), file.subspan(room - sig_len, sig_len)};
}

std::vector<uint8_t> append_signature(std::span<const uint8_t> content, EVP_PKEY *key, X509 *cert,
                                      bool use_ski, const std::string &key_name) {
  unsigned flags = CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED;
  CmsPtr cms(CMS_sign_ex(nullptr, nullptr, nullptr, nullptr, flags, nullptr, nullptr));
  unsigned signer_flags = CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOATTR |
                          (use_ski ? CMS_USE_KEYID : 0);
  if (!cms || !CMS_add1_signer(cms.get(), cert, key, EVP_sha256(), signer_flags))
    throw FileError(key_name, "cannot add CMS signer: " + openssl_reason("failed"));
  BioPtr in = memory_bio(content.data(), content.size());
  if (CMS_final(cms.get(), in.get(), nullptr, CMS_NOCERTS | CMS_BINARY | CMS_DETACHED) != 1)
    throw FileError(key_name, "CMS signing failed: " + openssl_reason("failed"));
  std::vector<uint8_t> sig = cms_der(cms.get());
  std::vector<uint8_t> out(content.begin(), content.end());
  out.insert(out.end(), sig.begin(), sig.end());
  auto header = header_bytes(sig.size());
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), kModuleMagic.begin(), kModuleMagic.end());
  return out;
}

std::string verify_appended_signature(std::span<const uint8_t> file, const std::string &name,
                                      X509 *cert, const std::string &cert_text) {
  AppendedSignature parts = split_appended_signature(file, name);
  CmsPtr cms = parse_cms(parts.cms, name);
  CMS_SignerInfo *si = only_signer(cms.get(), name);
  std::string signer = signer_text(si);
  check_digest(si, name);
  X509StackPtr certs(sk_X509_new_null());
  if (!certs || !X509_up_ref(cert))
    throw std::bad_alloc();
  sk_X509_push(certs.get(), cert);
  BioPtr content = memory_bio(parts.content.data(), parts.content.size());
  unsigned flags = CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | CMS_NOINTERN;
  if (CMS_verify(cms.get(), certs.get(), nullptr, content.get(), nullptr, flags) != 1)
    refuse(name, fmt::format("appended signature by {} does not verify with {}: {}", signer,
                             cert_text, openssl_reason("verification failed")));
  return signer;
}

SignatureInfo describe_appended_signature(std::span<const uint8_t> file, const std::string &name) {
  AppendedSignature parts = split_appended_signature(file, name);
  CmsPtr cms = parse_cms(parts.cms, name);
  CMS_SignerInfo *si = only_signer(cms.get(), name);
  int nid = digest_nid(si);
  bool attrs = CMS_signed_get_attr_count(si) > 0;
  SignatureInfo info;
  info.format = Format::appended;
  info.signature_size = parts.cms.size();
  info.signed_size = parts.content.size();
  info.algorithm = fmt::format("CMS SignedData, {}{}", nid == NID_undef ? "unknown" : OBJ_nid2sn(nid),
                               attrs ? ", with signed attributes" : ", no signed attributes");
  info.signer = signer_text(si);
  return info;
}

} // namespace lp::sign
