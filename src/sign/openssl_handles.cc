// OpenSSL error text and memory BIOs; see openssl_handles.h.
#include "sign/openssl_handles.h"

#include <openssl/err.h>

#include <stdexcept>

namespace lp::sign {

std::string openssl_reason(const std::string &fallback) {
  // The first error queued is the innermost cause; later ones are the
  // callers reporting that they failed too.
  unsigned long first = ERR_get_error();
  ERR_clear_error();
  if (first == 0)
    return fallback;
  const char *reason = ERR_reason_error_string(first);
  return reason ? reason : fallback;
}

BioPtr memory_bio(const void *bytes, size_t size) {
  BioPtr bio(BIO_new_mem_buf(bytes, static_cast<int>(size)));
  if (!bio)
    throw std::bad_alloc();
  return bio;
}

} // namespace lp::sign
