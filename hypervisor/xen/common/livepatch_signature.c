/*
 * Payload signature check: the ".note.Xen.signature" proposal (ABI doc §8).
 *
 * The section holds ELF notes; the first note named "Xen" is the signature.
 * Its type encodes version 1, RSA, SHA-256 (0x00000001), its descriptor is
 * the raw RSASSA-PKCS1-v1_5 signature (1..1023 bytes). What is signed is the
 * whole upload with the descriptor bytes zeroed. The key is built into the
 * image (lp_plat_signing_key, extract-key blob format).
 *
 * Modes (lp_plat_signature_mode): off skips the check; warn logs a failure
 * and loads anyway, as Xen's v2/v3 series does; enforce refuses:
 *   - no signature section or note, no usable key, or a signature that does
 *     not verify: -EACCES;
 *   - a malformed note (truncated, second "Xen" note, bad type or size):
 *     -EINVAL, as the series returns for these.
 */
#include "xen/livepatch_core.h"
#include "xen/livepatch_platform.h"
#include "xen/rsa.h"
#include "xen/sha256.h"

#define SIG_SECTION ".note.Xen.signature"
#define SIG_TYPE 0x00000001u
#define MAX_SIG_NOTE_SIZE 1024

#define LOG(elf, fmt, ...) lp_plat_printk("livepatch: %s: " fmt "\n", (elf)->name, ##__VA_ARGS__)

static struct rsa_public_key builtin_key;
static bool key_loaded;

int lp_signature_init(void)
{
    uint32_t len = 0;
    const uint8_t *blob;

    key_loaded = false;
    if ( lp_plat_signature_mode() == LP_SIG_OFF )
        return 0;
    blob = lp_plat_signing_key(&len);
    if ( !blob )
    {
        lp_plat_printk("livepatch: no built-in payload signing key\n");
        return 0;
    }
    if ( rsa_public_key_parse(&builtin_key, blob, len) )
    {
        lp_plat_printk("livepatch: built-in payload signing key is invalid\n");
        return -LP_EINVAL;
    }
    key_loaded = true;
    return 0;
}

static uint64_t align4(uint64_t v) { return (v + 3) & ~3ull; }

/* Locate the one "Xen" note; its descriptor's offset in the file and size. */
static int find_signature(struct lp_elf *elf, uint64_t *desc_off, uint32_t *desc_len)
{
    const struct lp_elf_sec *sec = livepatch_elf_sec_by_name(elf, SIG_SECTION);
    bool found = false;
    uint32_t type = 0;

    if ( !sec )
    {
        LOG(elf, "no " SIG_SECTION " section");
        return -LP_ENOENT;
    }
    if ( !livepatch_elf_sec_data(elf, sec) )
    {
        LOG(elf, SIG_SECTION " has no data");
        return -LP_EINVAL;
    }
    for ( uint64_t off = 0; off < sec->sh.sh_size; )
    {
        const uint8_t *n = elf->raw + sec->sh.sh_offset + off;
        uint64_t left = sec->sh.sh_size - off;
        if ( left < LP_NOTE_HDR )
        {
            LOG(elf, "truncated note in " SIG_SECTION);
            return -LP_EINVAL;
        }
        uint32_t namesz = lp_get32(n), descsz = lp_get32(n + 4);
        uint64_t need = LP_NOTE_HDR + align4(namesz) + align4(descsz);
        if ( need > left )
        {
            LOG(elf, "truncated note in " SIG_SECTION);
            return -LP_EINVAL;
        }
        if ( namesz == 4 && !lp_memcmp(n + LP_NOTE_HDR, "Xen", 4) )
        {
            if ( found )
            {
                LOG(elf, "more than one signature note");
                return -LP_EINVAL;
            }
            found = true;
            type = lp_get32(n + 8);
            *desc_off = sec->sh.sh_offset + off + LP_NOTE_HDR + align4(namesz);
            *desc_len = descsz;
        }
        off += need;
    }
    if ( !found )
    {
        LOG(elf, "no signature note in " SIG_SECTION);
        return -LP_ENOENT;
    }
    if ( type != SIG_TYPE )
    {
        LOG(elf, "unsupported signature type 0x%x", type);
        return -LP_EINVAL;
    }
    if ( !*desc_len || *desc_len >= MAX_SIG_NOTE_SIZE )
    {
        LOG(elf, "bad signature size %u", *desc_len);
        return -LP_EINVAL;
    }
    return 0;
}

static int verify_signature(struct lp_elf *elf)
{
    uint64_t off = 0;
    uint32_t len = 0;
    static uint8_t sig[MAX_SIG_NOTE_SIZE]; /* under the payload lock */
    uint8_t digest[SHA256_DIGEST_SIZE];
    int rc = find_signature(elf, &off, &len);

    if ( rc )
        return rc;
    if ( !key_loaded )
    {
        LOG(elf, "no key to verify the signature with");
        return -LP_ENOENT;
    }
    lp_memcpy(sig, elf->raw + off, len);
    lp_memset(elf->raw + off, 0, len);
    sha256_hash(elf->raw, elf->len, digest);
    lp_memcpy(elf->raw + off, sig, len);
    if ( !rsa_sha256_verify(&builtin_key, digest, sig, len) )
    {
        LOG(elf, "signature verification failed");
        return -LP_EACCES;
    }
    return 0;
}

int lp_check_signature(struct lp_elf *elf)
{
    int mode = lp_plat_signature_mode();

    if ( mode == LP_SIG_OFF )
        return 0;
    int rc = verify_signature(elf);
    if ( !rc || mode == LP_SIG_WARN )
    {
        if ( rc )
            LOG(elf, "unverified payload loaded (signature mode warn)");
        return 0;
    }
    return rc == -LP_EINVAL ? rc : -LP_EACCES;
}
