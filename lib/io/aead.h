/*
 * aead.h - the bk encrypted container: a header, then AES-256-GCM
 * segments in the style of Tink's AES-GCM-HKDF-Streaming.  The format is
 * specified in bk-format(5); this is the only code that reads or writes it.
 */
#ifndef AEAD_H
#define AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "bk.h"

#define AEAD_VERSION 1
#define AEAD_ALG_AES256GCM_HKDF 1	/* the only algorithm of version 1 */
#define AEAD_KEYTYPE_KEYRING 1		/* keyref = keyring key id (8 bytes),
					   check value (6; older: none) */
#define AEAD_KEYTYPE_KMS 2		/* reserved: KMS-wrapped data key */
#define AEAD_KEYTYPE_X25519 3		/* keyref = recipient list, x25519.h */

#define AEAD_MAGICLEN 8
#define AEAD_FIXEDLEN 14	/* magic..keyref length, before the keyref */
#define AEAD_KEYLEN 32
#define AEAD_SALTLEN 32
#define AEAD_PREFIXLEN 7
#define AEAD_COMMITLEN 32
#define AEAD_TAGLEN 16
/*
 * Hard cap: room for a KMS ciphertext blob (about 200 bytes for a 256-bit
 * data key) and the name of its key, while the HKDF info stays under the
 * 1024 bytes some OpenSSL versions accept.
 */
#define AEAD_KEYREF_MAX 960
#define AEAD_HEADER_MAX (AEAD_FIXEDLEN + AEAD_KEYREF_MAX + AEAD_SALTLEN + \
    AEAD_PREFIXLEN + AEAD_COMMITLEN)

#define AEAD_SEGSHIFT 20	/* what bk-encrypt writes: 1 MiB segments */
#define AEAD_SEGSHIFT_MIN 8	/* what a reader accepts: 256 B .. */
#define AEAD_SEGSHIFT_MAX 24	/* .. 16 MiB, which bounds its memory */

struct aead_header {
	unsigned version;
	unsigned alg;
	unsigned segshift;
	unsigned keytype;
	size_t keyreflen;
	unsigned char keyref[AEAD_KEYREF_MAX];
	unsigned char salt[AEAD_SALTLEN];
	unsigned char prefix[AEAD_PREFIXLEN];
	unsigned char commit[AEAD_COMMITLEN];
	size_t len;			/* bytes of raw in use */
	unsigned char raw[AEAD_HEADER_MAX];	/* the header as on the wire */
};

struct aead_stats {
	uint64_t in;		/* bytes taken: sealed, or opened and verified */
	uint64_t out;		/* bytes passed on */
	uint64_t segments;
	int keyed;		/* the key is known (opening: found in ks) */
};

struct bk_keysrc;
struct bk_key;
struct bk_stage;

/*
 * A stage sealing what it takes into a container for next: the header
 * (naming k's type and reference), then segments of 2^segshift bytes
 * under k's key.  salt and prefix are normally NULL (fresh random
 * values); tests pass fixed ones to reproduce known answers.  NULL on
 * error (reported; next is freed, io/stage.h).
 */
struct bk_stage *bk_aead_seal(const struct bk_key *k, unsigned segshift,
    const unsigned char *salt, const unsigned char *prefix,
    struct bk_stage *next);
/*
 * A stage opening the container it takes (name: what it reads, for
 * messages), passing each segment's plaintext to next only after its tag
 * verifies.  Once the header is in, ks gives the key it names (ks must
 * outlive the stage).  Results: BK_NEGATIVE when the input is refused
 * (not a container this version opens, a wrong key, tampering,
 * truncation; reported with segment and byte offsets), BK_FAIL on an
 * operational failure (no such key in ks, an empty input, I/O further
 * on).  NULL on error (reported; next is freed).
 */
struct bk_stage *bk_aead_open(struct bk_keysrc *ks, const char *name,
    struct bk_stage *next);
/* The header of a sealing stage, or of an opening one once read; NULL. */
const struct aead_header *bk_aead_header(const struct bk_stage *s);
/* Counts of a sealing or opening stage so far (segments verified). */
void bk_aead_stats(const struct bk_stage *s, struct aead_stats *st);

#endif /* !AEAD_H */
