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
#define AEAD_KEYTYPE_KEYRING 1		/* keyref = 8-byte keyring key id */
#define AEAD_KEYTYPE_KMS 2		/* reserved: KMS-wrapped data key */

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

/* Returned when the input is refused: not ours, tampered, truncated. */
#define AEAD_REFUSED (-2)

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
	uint64_t in;		/* bytes read */
	uint64_t out;		/* bytes written */
	uint64_t segments;
};

/*
 * Prepare a version 1 header naming key (keytype, keyref) with segments
 * of 2^segshift bytes.  salt and prefix are normally NULL (fresh random
 * values); tests pass fixed ones to reproduce known answers.  0 or -1.
 */
int aead_header_init(struct aead_header *h, unsigned keytype,
    const unsigned char *keyref, size_t keyreflen, unsigned segshift,
    const unsigned char *salt, const unsigned char *prefix);
/*
 * Read and check a header from fd (name for messages), without any key:
 * magic, version, algorithm, segment size, key type and the caps.
 * 0; -1 on an I/O error; AEAD_REFUSED if the input is not a container
 * this version can open (reported, with the byte offset).
 */
int aead_header_read(int fd, const char *name, struct aead_header *h);
/*
 * Complete h with the key commitment for key, write the header and the
 * segments of everything read from in to out.  prog may be NULL.
 * 0 or -1 (reported).
 */
int aead_encrypt_stream(int in, int out, struct aead_header *h,
    const unsigned char key[AEAD_KEYLEN], struct bk_progress *prog,
    struct aead_stats *st);
/*
 * After aead_header_read, check key against the header's commitment and
 * decrypt the segments from in (name for messages) to out, writing each
 * segment's plaintext only after its tag verifies.  0; -1 on an I/O
 * error; AEAD_REFUSED on a wrong key, tampering or truncation (reported,
 * with segment and byte offsets).
 */
int aead_decrypt_stream(int in, const char *name, int out,
    const struct aead_header *h, const unsigned char key[AEAD_KEYLEN],
    struct bk_progress *prog, struct aead_stats *st);

#endif /* !AEAD_H */
