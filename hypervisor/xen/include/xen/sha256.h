/*
 * SHA-256 (FIPS 180-4) for the payload signature check: freestanding,
 * incremental, no allocation.
 */
#ifndef XEN_SHA256_H
#define XEN_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32

struct sha256_state {
    uint32_t h[8];
    uint64_t count;      /* bytes hashed */
    uint8_t buf[64];
    unsigned int used;   /* bytes in buf */
};

void sha256_init(struct sha256_state *s);
void sha256_update(struct sha256_state *s, const void *data, size_t len);
void sha256_final(struct sha256_state *s, uint8_t digest[SHA256_DIGEST_SIZE]);
void sha256_hash(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE]);

#endif /* XEN_SHA256_H */
