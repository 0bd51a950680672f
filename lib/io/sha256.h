/*
 * sha256.h - SHA-256, the one way bk computes it (OpenSSL's EVP API), as
 * an incremental hash, a one-shot function and a stream stage.
 */
#ifndef BK_IO_SHA256_H
#define BK_IO_SHA256_H

#include <stddef.h>

#include "bk.h"

struct bk_stage;
struct bk_sha256;

/* A new hash; NULL on error (reported). */
struct bk_sha256 *bk_sha256_new(void);
/* Hash len more bytes.  0 or -1 (reported). */
int bk_sha256_update(struct bk_sha256 *c, const void *buf, size_t len);
/*
 * The digest of everything hashed; c then starts again, empty (so a hash
 * per document reuses one c).  0 or -1.
 */
int bk_sha256_final(struct bk_sha256 *c, unsigned char d[BK_SHA256_LEN]);
/* NULL is a no-op. */
void bk_sha256_free(struct bk_sha256 *c);
/* The digest of len bytes at buf.  0 or -1 (reported). */
int bk_sha256(const void *buf, size_t len, unsigned char d[BK_SHA256_LEN]);

/* A stage hashing what passes through it to next (NULL: nowhere). */
struct bk_stage *bk_stage_sha256(struct bk_stage *next);
/*
 * After bk_stage_finish: the digest of everything the stage took.  0, or
 * -1 if the stage has not finished cleanly (nothing reported).
 */
int bk_stage_sha256_digest(const struct bk_stage *s,
    unsigned char d[BK_SHA256_LEN]);

#endif /* !BK_IO_SHA256_H */
