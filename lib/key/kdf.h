/*
 * kdf.h - the key derivations the container and the keyring share:
 * HKDF-SHA256 (RFC 5869) and the check value of a key.
 */
#ifndef BK_KEY_KDF_H
#define BK_KEY_KDF_H

#include <stddef.h>

#define BK_CHECKLEN 6		/* bytes of a check value */
#define BK_CHECK_LABEL "bk key check value"

/*
 * HKDF-SHA256 of ikm with salt and info, outlen bytes into out.  0, or -1
 * on error (reported).
 */
int bk_hkdf_sha256(const unsigned char *ikm, size_t ikmlen,
    const unsigned char *salt, size_t saltlen, const unsigned char *info,
    size_t infolen, unsigned char *out, size_t outlen);
/*
 * The check value of the 32-byte key material m: the first BK_CHECKLEN
 * bytes of HMAC-SHA256(m, BK_CHECK_LABEL).  0 or -1 (reported).
 */
int bk_check_value(const unsigned char m[32], unsigned char cv[BK_CHECKLEN]);

#endif /* !BK_KEY_KDF_H */
