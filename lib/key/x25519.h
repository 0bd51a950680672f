/*
 * x25519.h - public-key recipients of the container (key type 3,
 * bk-format(5)): a fresh data key wrapped to each recipient by
 * ephemeral-static X25519, HKDF-SHA256 and AES-256-GCM.  The key
 * reference is the recipient list:
 *
 *	count(1) then count stanzas of
 *	key id(8) check value(6) ephemeral public key(32) wrapped key(48)
 */
#ifndef BK_KEY_X25519_H
#define BK_KEY_X25519_H

#include <stddef.h>

#include "key/kdf.h"
#include "key/keysrc.h"

#define X25519_LEN 32
#define X25519_IDLEN 8
#define X25519_WRAPLEN (BK_KEY_LEN + 16)	/* ciphertext and tag */
#define X25519_STANZALEN (X25519_IDLEN + BK_CHECKLEN + X25519_LEN + \
    X25519_WRAPLEN)
#define X25519_MAXRCPT 10	/* 1 + 10 * 94 bytes fit BK_KEY_REFMAX */
#define X25519_INFO "bk-encrypt x25519 data key"
#define X25519_KEYTYPE 3

_Static_assert(1 + X25519_MAXRCPT * X25519_STANZALEN <= BK_KEY_REFMAX,
    "a full recipient list fits a header");

/* A recipient as a sealer knows it: its key id and public key. */
struct x25519_rcpt {
	unsigned char id[X25519_IDLEN];
	unsigned char pub[X25519_LEN];
};

/* The public key of the private key sk into pk.  0 or -1 (reported). */
int x25519_public(const unsigned char sk[X25519_LEN],
    unsigned char pk[X25519_LEN]);
/*
 * Wrap the data key dk to the n recipients r (1..X25519_MAXRCPT) into
 * the recipient list ref (of BK_KEY_REFMAX bytes), its length in
 * *reflen.  esk holds n ephemeral private keys, or is NULL for fresh
 * random ones (tests pass fixed ones for known answers).  0 or -1
 * (reported).
 */
int x25519_seal_ref(const struct x25519_rcpt *r, size_t n,
    const unsigned char dk[BK_KEY_LEN], const unsigned char *esk,
    unsigned char *ref, size_t *reflen);
/*
 * The number of recipients of the list ref of reflen bytes, or 0 if it
 * is not a well-formed list.
 */
size_t x25519_ref_count(const unsigned char *ref, size_t reflen);
/*
 * Unwrap the data key of stanza i of the well-formed list ref with the
 * key pair (sk, pk) into dk.  BK_OK; BK_NEGATIVE if the wrapped key does
 * not authenticate (not said here); BK_FAIL (reported).
 */
int x25519_unwrap(const unsigned char *ref, size_t i,
    const unsigned char sk[X25519_LEN], const unsigned char pk[X25519_LEN],
    unsigned char dk[BK_KEY_LEN]);

#endif /* !BK_KEY_X25519_H */
