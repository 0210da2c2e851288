// Owning handles for the OpenSSL objects the signing code uses, and one way of
// turning OpenSSL's error queue into the text of an lp::FileError.
//
// OpenSSL hands out raw pointers that must be released with a type-specific
// free function; wrapping each in a unique_ptr with that function keeps every
// early return (and every exception) leak-free, which matters because the
// sanitizer build runs the tests with leak detection on.
#pragma once

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace lp::sign {

template <auto Free> struct Deleter {
  template <typename T> void operator()(T *p) const { Free(p); }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using StoreCtxPtr = std::unique_ptr<OSSL_STORE_CTX, Deleter<OSSL_STORE_close>>;
using StoreInfoPtr = std::unique_ptr<OSSL_STORE_INFO, Deleter<OSSL_STORE_INFO_free>>;
using UiMethodPtr = std::unique_ptr<UI_METHOD, Deleter<UI_destroy_method>>;

struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

// The reason text of the innermost error in OpenSSL's queue (for example
// "bad decrypt"), or `fallback` if the queue is empty. Clears the queue, so
// that a later failure does not report a stale reason.
std::string openssl_reason(const std::string &fallback);

// A read-only memory BIO over `bytes` (which must outlive it).
BioPtr memory_bio(const void *bytes, size_t size);

} // namespace lp::sign
