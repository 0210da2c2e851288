/*
 * RSA signature verification for live-patch payloads (ABI doc §8.1).
 *
 * Verification needs only s^e mod n. Numbers are little-endian arrays of
 * 32-bit limbs, fixed at 4096 bits. Modular multiplication is Montgomery's
 * (CIOS form): with R = 2^(32*limbs), mont(a, b) = a*b/R mod n, so after
 * mapping the base into the Montgomery domain (a*R mod n, computed by
 * doubling) square-and-multiply needs no division. The result is compared
 * with the PKCS#1 v1.5 encoding 00 01 FF.. 00 DigestInfo(SHA-256) H, which
 * is exactly what Xen's proposed rsa_sha256_verify checks.
 */
#include "xen/rsa.h"

#define RSA_EINVAL 22

typedef uint32_t bn_t[RSA_LIMBS];

/* Big-endian bytes -> limbs; false if the value needs more than `limbs`. */
static bool bn_from_be(uint32_t *r, unsigned int limbs, const uint8_t *p, size_t len)
{
    for ( unsigned int i = 0; i < limbs; i++ )
        r[i] = 0;
    for ( size_t i = 0; i < len; i++ )
    {
        size_t bit = 8 * (len - 1 - i);
        if ( bit / 32 >= limbs )
        {
            if ( p[i] )
                return false;
            continue;
        }
        r[bit / 32] |= (uint32_t)p[i] << (bit % 32);
    }
    return true;
}

/* a < b ? -1 : a > b ? 1 : 0 */
static int bn_cmp(const uint32_t *a, const uint32_t *b, unsigned int limbs)
{
    for ( unsigned int i = limbs; i-- > 0; )
        if ( a[i] != b[i] )
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* r = a - b, returning the borrow. */
static uint32_t bn_sub(uint32_t *r, const uint32_t *a, const uint32_t *b, unsigned int limbs)
{
    uint64_t borrow = 0;

    for ( unsigned int i = 0; i < limbs; i++ )
    {
        uint64_t d = (uint64_t)a[i] - b[i] - borrow;
        r[i] = (uint32_t)d;
        borrow = (d >> 32) & 1;
    }
    return (uint32_t)borrow;
}

/* -n^-1 mod 2^32, by Newton's iteration (n odd). */
static uint32_t mont_n0(uint32_t n0)
{
    uint32_t x = 1;

    for ( unsigned int i = 0; i < 5; i++ )
        x *= 2 - n0 * x;
    return (uint32_t)0 - x;
}

/* r = a * b / R mod n (CIOS). r may alias a or b. */
static void mont_mul(uint32_t *r, const uint32_t *a, const uint32_t *b, const uint32_t *n,
                     unsigned int limbs, uint32_t n0)
{
    uint32_t t[RSA_LIMBS + 2] = { 0 };

    for ( unsigned int i = 0; i < limbs; i++ )
    {
        uint64_t c = 0;
        for ( unsigned int j = 0; j < limbs; j++ )
        {
            c += (uint64_t)a[j] * b[i] + t[j];
            t[j] = (uint32_t)c;
            c >>= 32;
        }
        c += t[limbs];
        t[limbs] = (uint32_t)c;
        t[limbs + 1] = (uint32_t)(c >> 32);

        uint32_t m = t[0] * n0;
        c = (uint64_t)m * n[0] + t[0];
        c >>= 32;
        for ( unsigned int j = 1; j < limbs; j++ )
        {
            c += (uint64_t)m * n[j] + t[j];
            t[j - 1] = (uint32_t)c;
            c >>= 32;
        }
        c += t[limbs];
        t[limbs - 1] = (uint32_t)c;
        t[limbs] = t[limbs + 1] + (uint32_t)(c >> 32);
    }
    if ( t[limbs] || bn_cmp(t, n, limbs) >= 0 )
        bn_sub(t, t, n, limbs);
    for ( unsigned int i = 0; i < limbs; i++ )
        r[i] = t[i];
}

/* r = a * R mod n, by doubling a (< n) 32*limbs times. */
static void to_mont(uint32_t *r, const uint32_t *a, const uint32_t *n, unsigned int limbs)
{
    for ( unsigned int i = 0; i < limbs; i++ )
        r[i] = a[i];
    for ( unsigned int k = 0; k < 32 * limbs; k++ )
    {
        uint32_t carry = r[limbs - 1] >> 31;
        for ( unsigned int i = limbs; i-- > 1; )
            r[i] = (r[i] << 1) | (r[i - 1] >> 31);
        r[0] <<= 1;
        if ( carry || bn_cmp(r, n, limbs) >= 0 )
            bn_sub(r, r, n, limbs);
    }
}

/* r = s^e mod n. */
static void mod_exp(uint32_t *r, const uint32_t *s, const struct rsa_public_key *key)
{
    unsigned int limbs = key->limbs;
    uint32_t n0 = mont_n0(key->n[0]);
    static bn_t base, acc, one = { 1 }; /* callers hold the payload lock */
    int top = RSA_LIMBS * 32 - 1;

    to_mont(base, s, key->n, limbs);
    to_mont(acc, one, key->n, limbs);
    while ( top >= 0 && !((key->e[top / 32] >> (top % 32)) & 1) )
        top--;
    for ( int bit = top; bit >= 0; bit-- )
    {
        mont_mul(acc, acc, acc, key->n, limbs, n0);
        if ( (key->e[bit / 32] >> (bit % 32)) & 1 )
            mont_mul(acc, acc, base, key->n, limbs, n0);
    }
    mont_mul(r, acc, one, key->n, limbs, n0);
}

static uint32_t get_le32(const uint8_t *p)
{
    return p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* One length-prefixed big-endian integer of the blob, leading zeros stripped. */
static bool blob_field(const uint8_t **p, uint32_t *left, const uint8_t **val, uint32_t *vlen)
{
    if ( *left < 4 )
        return false;
    uint32_t n = get_le32(*p);
    *p += 4;
    *left -= 4;
    if ( n > *left )
        return false;
    *val = *p;
    *vlen = n;
    *p += n;
    *left -= n;
    while ( *vlen && !**val )
    {
        (*val)++;
        (*vlen)--;
    }
    return true;
}

int rsa_public_key_parse(struct rsa_public_key *key, const uint8_t *blob, uint32_t len)
{
    const uint8_t *n, *e;
    uint32_t nlen, elen;

    if ( !blob || !blob_field(&blob, &len, &n, &nlen) || !blob_field(&blob, &len, &e, &elen) )
        return -RSA_EINVAL;
    if ( nlen < 12 || nlen > RSA_MAX_BITS / 8 || !(n[nlen - 1] & 1) || !elen )
        return -RSA_EINVAL;
    if ( !bn_from_be(key->n, RSA_LIMBS, n, nlen) || !bn_from_be(key->e, RSA_LIMBS, e, elen) )
        return -RSA_EINVAL;
    key->k = nlen;
    key->limbs = (nlen + 3) / 4;
    return 0;
}

static const uint8_t sha256_digest_info[19] = {
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

/* EM = 00 01 FF..FF 00 DigestInfo H, k octets (k >= 62 for 8 FFs). */
static bool encode_em(uint8_t *em, unsigned int k, const uint8_t digest[32])
{
    unsigned int t = sizeof(sha256_digest_info) + 32;

    if ( k < t + 11 )
        return false;
    em[0] = 0x00;
    em[1] = 0x01;
    for ( unsigned int i = 2; i < k - t - 1; i++ )
        em[i] = 0xff;
    em[k - t - 1] = 0x00;
    __builtin_memcpy(em + k - t, sha256_digest_info, sizeof(sha256_digest_info));
    __builtin_memcpy(em + k - 32, digest, 32);
    return true;
}

bool rsa_sha256_verify(const struct rsa_public_key *key, const uint8_t digest[32],
                       const uint8_t *sig, size_t siglen)
{
    static bn_t s, m, em_bn; /* kept off the hypervisor stack; callers serialize */
    static uint8_t em[RSA_MAX_BITS / 8];

    if ( !key->limbs || !siglen )
        return false;
    if ( !bn_from_be(s, key->limbs, sig, siglen) || bn_cmp(s, key->n, key->limbs) >= 0 )
        return false;
    if ( !encode_em(em, key->k, digest) )
        return false;
    bn_from_be(em_bn, key->limbs, em, key->k);
    mod_exp(m, s, key);
    return bn_cmp(m, em_bn, key->limbs) == 0;
}
