/*
 * keyring.h - the bk-encrypt keyring: a small private text file holding
 * several 256-bit keys, each with an 8-byte id and a creation date, one of
 * them current.  Encryption uses the current key; decryption uses the key
 * a container's header names.  A key is a 256-bit AES key or an X25519
 * key pair, whose private half a public keyring lacks; X25519 keys marked
 * recipient are sealed to as well when the current key is an X25519 one.
 * Format in bk-encrypt(1).
 */
#ifndef KEYRING_H
#define KEYRING_H

#include <stddef.h>
#include <time.h>

#define KEYRING_KEYLEN 32	/* AES-256 */
#define KEYRING_IDLEN 8
#define KEYRING_MAXKEYS 1000	/* hard cap; a key a day for years */
#define KEYRING_MAXFILE (256 * 1024)

enum keyring_type { KEYRING_AES, KEYRING_X25519 };

struct keyring_key {
	unsigned char id[KEYRING_IDLEN];
	char created[21];	/* "YYYY-MM-DDTHH:MM:SSZ" */
	int current;
	int recipient;		/* X25519: sealed to beside the current key */
	enum keyring_type type;
	int secret;		/* key holds a secret (always for AES) */
	unsigned char key[KEYRING_KEYLEN];	/* AES key, X25519 private */
	unsigned char pub[KEYRING_KEYLEN];	/* X25519 public */
};

struct keyring {
	struct keyring_key *keys;
	size_t n;
	char *path;		/* for messages */
};

/* An empty keyring that will be saved to path; NULL on error (reported). */
struct keyring *keyring_new(const char *path);
/*
 * Read and parse the keyring at path, refusing it unless it is a regular
 * file with exactly one current key, private (mode 0600 or stricter)
 * unless it holds public keys only.  An X25519 private key must match
 * its public key.  NULL on error (reported, naming path and line).
 */
struct keyring *keyring_load(const char *path);
/*
 * Add a fresh key of type from the OS RNG with a new unique id, created
 * now, and make it current (the previous current key stays, for
 * decryption).  Returns the new key, or NULL on error (reported).
 */
const struct keyring_key *keyring_add_type(struct keyring *kr, time_t now,
    enum keyring_type type);
/* keyring_add_type of an AES key. */
const struct keyring_key *keyring_add(struct keyring *kr, time_t now);
/*
 * Add the public half of the X25519 key k (from another keyring) as a
 * recipient.  0, or -1 if its id is taken or on error (reported).
 */
int keyring_add_recipient(struct keyring *kr, const struct keyring_key *k);
/* Whether kr holds a secret (an AES key or an X25519 private key). */
int keyring_has_secret(const struct keyring *kr);
/*
 * The keyring as text in a new buffer (its length in *len; the caller
 * wipes and frees it); with public_only, its X25519 keys without their
 * private halves, and no AES key.  NULL on error (reported).
 */
char *keyring_format(const struct keyring *kr, int public_only, size_t *len);
/*
 * The check value of k (kdf.h): of the AES key, or of an X25519 public
 * key, which a public keyring shows alike.  0 or -1 (reported).
 */
int keyring_check_value(const struct keyring_key *k, unsigned char *cv);
/* The current key, or NULL if there is none. */
const struct keyring_key *keyring_current(const struct keyring *kr);
/* The key with this id, or NULL. */
const struct keyring_key *keyring_find(const struct keyring *kr,
    const unsigned char id[KEYRING_IDLEN]);
/*
 * Write the keyring to its path atomically with mode 0600.  With noclobber
 * an existing file is never replaced.  0, or -1 on error (reported).
 */
int keyring_save(const struct keyring *kr, int noclobber);
/* Format id as 16 lowercase hex digits into out[17]. */
void keyring_idhex(char out[2 * KEYRING_IDLEN + 1],
    const unsigned char id[KEYRING_IDLEN]);
/* Fill buf with len bytes from the OS RNG (getrandom); 0 or -1 (reported). */
int keyring_random(void *buf, size_t len);
/*
 * Take an exclusive lock on the existing keyring at path, so that two
 * rotations cannot lose a key; waits.  Returns the descriptor holding the
 * lock (close it to release), or -1 on error (reported).
 */
int keyring_lock(const char *path);
/* Wipe every key and free kr; NULL is a no-op. */
void keyring_free(struct keyring *kr);

#endif /* !KEYRING_H */
