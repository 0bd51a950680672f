/*
 * keysrc.h - where the keys of the encrypted container come from.
 *
 * A key source gives the key to seal a new stream with, with the
 * reference its header will keep (key type and key ref, bk-format(5)),
 * and finds the key for the reference in a header when a stream is
 * opened.  The keyring (key/keyring.h) is the one source today; a KMS
 * (the reference a wrapped data key) or public-key recipients (the
 * reference an ephemeral public key) are further sources behind the same
 * ops, with no change to the container code or to bk-encrypt.
 */
#ifndef BK_KEY_KEYSRC_H
#define BK_KEY_KEYSRC_H

#include <stddef.h>

#define BK_KEY_LEN 32		/* AES-256 */
#define BK_KEY_REFMAX 960	/* what a container header can hold */

/* A key and how a header names it. */
struct bk_key {
	unsigned type;		/* the header's key type (AEAD_KEYTYPE_*) */
	size_t reflen;
	unsigned char ref[BK_KEY_REFMAX];
	unsigned char key[BK_KEY_LEN];
};

struct bk_keysrc;

struct bk_keysrc_ops {
	/*
	 * The key to seal a new stream with, into *k.  0, or a bk_result
	 * (reported): -1 (BK_FAIL), or BK_RETRY from a service.
	 */
	int (*seal_key)(struct bk_keysrc *ks, struct bk_key *k);
	/*
	 * The key named by (type, ref) in the header of the stream name,
	 * into key.  0, or -1 if the source has no such key or cannot get
	 * it (reported, naming the stream and the key); a source that asks
	 * a service may also say BK_NEGATIVE (the reference is not its) or
	 * BK_RETRY.
	 */
	int (*open_key)(struct bk_keysrc *ks, unsigned type,
	    const unsigned char *ref, size_t reflen, const char *name,
	    unsigned char key[BK_KEY_LEN]);
	/* Wipe the keys and free ks. */
	void (*free)(struct bk_keysrc *ks);
};

/* The part every key source shares; a source embeds it first. */
struct bk_keysrc {
	const struct bk_keysrc_ops *ops;
};

/* ks->ops->seal_key; the caller wipes k (bk_wipe) when done. */
int bk_keysrc_seal_key(struct bk_keysrc *ks, struct bk_key *k);
/* ks->ops->open_key; the caller wipes key when done. */
int bk_keysrc_open_key(struct bk_keysrc *ks, unsigned type,
    const unsigned char *ref, size_t reflen, const char *name,
    unsigned char key[BK_KEY_LEN]);
/* NULL is a no-op. */
void bk_keysrc_free(struct bk_keysrc *ks);

/*
 * The keyring at path (key/keyring.h) as a key source: seals with its
 * current key, opens with the key of the id a header names.  NULL on
 * error (reported).
 */
struct bk_keysrc *bk_keysrc_keyring(const char *path);

/*
 * A source of the one key k (copied), which it gives for every header
 * whatever its reference: for tests and fuzzing, and for a caller that
 * already holds the key.  NULL on error (reported).
 */
struct bk_keysrc *bk_keysrc_fixed(const struct bk_key *k);

#endif /* !BK_KEY_KEYSRC_H */
