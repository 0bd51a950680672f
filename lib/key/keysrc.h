/*
 * keysrc.h - where the keys of the encrypted container come from.
 *
 * A key source gives the key to seal a new stream with, with the
 * reference its header will keep (key type and key ref, bk-format(5)),
 * and finds the key for the reference in a header when a stream is
 * opened.  The keyring (key/keyring.h) gives both its AES keys (the
 * reference a key id and check value) and its X25519 recipients (the
 * reference a list of data keys wrapped to them, key/x25519.h); a KMS
 * (the reference a wrapped data key) is a further source behind the same
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
	 * into key.  A bk_result: BK_OK; BK_FAIL (-1) if the source has no
	 * such key or cannot get it; BK_NEGATIVE if it holds a key of that
	 * name that is not the one the header needs (a wrong key) or the
	 * reference is damaged; BK_RETRY for a transient failure.  Reported,
	 * naming the stream and the key.
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
/* ks->ops->open_key (a bk_result); the caller wipes key when done. */
int bk_keysrc_open_key(struct bk_keysrc *ks, unsigned type,
    const unsigned char *ref, size_t reflen, const char *name,
    unsigned char key[BK_KEY_LEN]);
/* NULL is a no-op. */
void bk_keysrc_free(struct bk_keysrc *ks);

/*
 * The keyring at path (key/keyring.h) as a key source: seals with its
 * current key (an X25519 one: a fresh data key wrapped to it and to the
 * keys marked recipient), opens with the key of the id a header names.
 * NULL on error (reported).
 */
struct bk_keysrc *bk_keysrc_keyring(const char *path);

/*
 * A source of the one key k (copied), which it gives for every header
 * whatever its reference: for tests and fuzzing, and for a caller that
 * already holds the key.  NULL on error (reported).
 */
struct bk_keysrc *bk_keysrc_fixed(const struct bk_key *k);

#endif /* !BK_KEY_KEYSRC_H */
