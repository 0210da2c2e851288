/*
 * RSA public-key verification, RSASSA-PKCS1-v1_5 with SHA-256 (ABI doc §8.1).
 *
 * Keys come in the blob format of Xen's extract-key.py (v3): le32 len(n),
 * n big-endian, le32 len(e), e big-endian. The modulus may be up to 4096
 * bits; it must be odd and at least 12 octets long, as in Xen's
 * rsa_public_key_prepare.
 */
#ifndef XEN_RSA_H
#define XEN_RSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSA_MAX_BITS 4096
#define RSA_LIMBS (RSA_MAX_BITS / 32)

struct rsa_public_key {
    uint32_t n[RSA_LIMBS];  /* little-endian limbs */
    uint32_t e[RSA_LIMBS];
    unsigned int k;         /* modulus length in octets */
    unsigned int limbs;     /* limbs in use for n */
};

/* Parse a key blob: 0, or -EINVAL (22) if malformed or unsupported. */
int rsa_public_key_parse(struct rsa_public_key *key, const uint8_t *blob, uint32_t len);
/* True if sig (big-endian, siglen octets) is a valid signature of digest. */
bool rsa_sha256_verify(const struct rsa_public_key *key, const uint8_t digest[32],
                       const uint8_t *sig, size_t siglen);

#endif /* XEN_RSA_H */
