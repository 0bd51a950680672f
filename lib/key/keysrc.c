/*
 * keysrc.c - the key-source calls; the keyring as a key source (key type
 * 1, the reference an 8-byte key id and its 6-byte check value; key type
 * 3, a recipient list, key/x25519.h); and a source of one fixed key.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "bk.h"
#include "io/aead.h"
#include "key/kdf.h"
#include "key/keyring.h"
#include "key/keysrc.h"
#include "key/x25519.h"

int
bk_keysrc_seal_key(struct bk_keysrc *ks, struct bk_key *k)
{
	return ks->ops->seal_key(ks, k);
}

int
bk_keysrc_open_key(struct bk_keysrc *ks, unsigned type,
    const unsigned char *ref, size_t reflen, const char *name,
    unsigned char key[BK_KEY_LEN])
{
	return ks->ops->open_key(ks, type, ref, reflen, name, key);
}

void
bk_keysrc_free(struct bk_keysrc *ks)
{
	if (ks != NULL)
		ks->ops->free(ks);
}

struct keyring_src {
	struct bk_keysrc ks;
	struct keyring *kr;
};

/*
 * Seal to the current X25519 key and every key marked recipient: a fresh
 * data key, wrapped to each.  0 or -1 (reported).
 */
static int
seal_x25519(const struct keyring *kr, struct bk_key *k)
{
	struct x25519_rcpt r[X25519_MAXRCPT];
	const struct keyring_key *c;
	size_t i, n = 0;
	int rc = -1;

	/* The current key first, then the recipients in keyring order. */
	for (i = 0; i <= kr->n; i++) {
		c = i == 0 ? keyring_current(kr) : &kr->keys[i - 1];
		if (i > 0 && !c->recipient)
			continue;
		if (n == X25519_MAXRCPT) {
			warn0("%s: more than %d recipients", kr->path,
			    X25519_MAXRCPT);
			return -1;
		}
		memcpy(r[n].id, c->id, X25519_IDLEN);
		memcpy(r[n++].pub, c->pub, X25519_LEN);
	}
	k->type = X25519_KEYTYPE;
	if (RAND_priv_bytes(k->key, BK_KEY_LEN) != 1)
		warn0("cannot get random bytes for a data key");
	else
		rc = x25519_seal_ref(r, n, k->key, NULL, k->ref, &k->reflen);
	return rc;
}

static int
keyring_seal_key(struct bk_keysrc *ks, struct bk_key *k)
{
	const struct keyring *kr = ((struct keyring_src *)ks)->kr;
	const struct keyring_key *cur = keyring_current(kr);

	memset(k, 0, sizeof(*k));
	if (cur->type == KEYRING_X25519)
		return seal_x25519(kr, k);
	k->type = AEAD_KEYTYPE_KEYRING;
	k->reflen = KEYRING_IDLEN + BK_CHECKLEN;
	memcpy(k->ref, cur->id, KEYRING_IDLEN);
	memcpy(k->key, cur->key, BK_KEY_LEN);
	return keyring_check_value(cur, k->ref + KEYRING_IDLEN);
}

/* Key k of keyring kr has a check value other than need: a wrong key. */
static int
wrong_key(const char *name, const struct keyring *kr,
    const struct keyring_key *k, const unsigned char *need)
{
	char idhex[2 * KEYRING_IDLEN + 1], have[2 * BK_CHECKLEN + 1];
	char want[2 * BK_CHECKLEN + 1];
	unsigned char cv[BK_CHECKLEN];

	if (keyring_check_value(k, cv) != 0)
		return BK_FAIL;
	keyring_idhex(idhex, k->id);
	bk_hex(have, cv, BK_CHECKLEN);
	bk_hex(want, need, BK_CHECKLEN);
	warn0("%s: this keyring's key %s has check value %s, the container "
	    "needs %s: %s holds another key under that id (a mistyped copy?)",
	    name, idhex, have, want, kr->path);
	return BK_NEGATIVE;
}

/* Whether the check value of k is cv. */
static int
check_value_is(const struct keyring_key *k, const unsigned char *cv)
{
	unsigned char have[BK_CHECKLEN];

	return keyring_check_value(k, have) == 0 &&
	    memcmp(have, cv, BK_CHECKLEN) == 0;
}

/* None of the n recipients of ref has a private key in kr. */
static int
no_recipient(const char *name, const struct keyring *kr,
    const unsigned char *ref, size_t n, const struct keyring_key *pub)
{
	char ids[X25519_MAXRCPT * (2 * KEYRING_IDLEN + 1)];
	size_t i;

	if (pub != NULL) {
		keyring_idhex(ids, pub->id);
		warn0("%s: no private key for recipient %s in keyring %s (a "
		    "public keyring can only encrypt)", name, ids, kr->path);
		return BK_FAIL;
	}
	for (i = 0; i < n; i++) {
		keyring_idhex(ids + i * (2 * KEYRING_IDLEN + 1),
		    ref + 1 + i * X25519_STANZALEN);
		ids[(i + 1) * (2 * KEYRING_IDLEN + 1) - 1] = ',';
	}
	ids[n * (2 * KEYRING_IDLEN + 1) - 1] = '\0';
	warn0("%s: none of the container's recipients (%s) is in keyring %s",
	    name, ids, kr->path);
	return BK_FAIL;
}

/*
 * The data key of the recipient list ref: unwrapped with the first
 * recipient whose private key kr holds.  A bk_result (reported).
 */
static int
open_x25519(const struct keyring *kr, const unsigned char *ref,
    size_t reflen, const char *name, unsigned char key[BK_KEY_LEN])
{
	const struct keyring_key *k, *pub = NULL, *other = NULL;
	const unsigned char *st, *need = NULL;
	size_t n, i, off;
	char idhex[2 * KEYRING_IDLEN + 1];
	int rc;

	if ((n = x25519_ref_count(ref, reflen)) == 0) {
		warn0("%s: damaged recipient list (bytes 14..%zu)", name,
		    13 + reflen);
		return BK_NEGATIVE;
	}
	for (i = 0; i < n; i++) {
		st = ref + 1 + i * X25519_STANZALEN;
		if ((k = keyring_find(kr, st)) == NULL ||
		    k->type != KEYRING_X25519)
			continue;
		if (!k->secret) {
			pub = pub != NULL ? pub : k;
			continue;
		}
		if (!check_value_is(k, st + X25519_IDLEN)) {
			other = k;
			need = st + X25519_IDLEN;
			continue;
		}
		if ((rc = x25519_unwrap(ref, i, k->key, k->pub, key)) ==
		    BK_NEGATIVE) {
			off = 15 + i * X25519_STANZALEN;
			keyring_idhex(idhex, k->id);
			warn0("%s: the data key wrapped to recipient %s (bytes "
			    "%zu..%zu) does not authenticate: a tampered "
			    "header", name, idhex, off,
			    off + X25519_STANZALEN - 1);
		}
		return rc;
	}
	if (other != NULL)
		return wrong_key(name, kr, other, need);
	return no_recipient(name, kr, ref, n, pub);
}

static int
keyring_open_key(struct bk_keysrc *ks, unsigned type,
    const unsigned char *ref, size_t reflen, const char *name,
    unsigned char key[BK_KEY_LEN])
{
	const struct keyring *kr = ((struct keyring_src *)ks)->kr;
	const struct keyring_key *k;
	char idhex[2 * KEYRING_IDLEN + 1];

	if (type == X25519_KEYTYPE)
		return open_x25519(kr, ref, reflen, name, key);
	if (type != AEAD_KEYTYPE_KEYRING || (reflen != KEYRING_IDLEN &&
	    reflen != KEYRING_IDLEN + BK_CHECKLEN)) {
		warn0("%s: key type %u is not a keyring key", name, type);
		return BK_FAIL;
	}
	if ((k = keyring_find(kr, ref)) == NULL || k->type != KEYRING_AES) {
		keyring_idhex(idhex, ref);
		warn0("%s: key id %s (bytes 14..21) is not in keyring %s:"
		    " use the keyring that holds it, or the header is "
		    "corrupted", name, idhex, kr->path);
		return BK_FAIL;
	}
	/* Containers before the check value have only the id. */
	if (reflen > KEYRING_IDLEN &&
	    !check_value_is(k, ref + KEYRING_IDLEN))
		return wrong_key(name, kr, k, ref + KEYRING_IDLEN);
	memcpy(key, k->key, BK_KEY_LEN);
	return BK_OK;
}

static void
keyring_src_free(struct bk_keysrc *ks)
{
	keyring_free(((struct keyring_src *)ks)->kr);
	free(ks);
}

static const struct bk_keysrc_ops keyring_ops = {
	keyring_seal_key, keyring_open_key, keyring_src_free
};

struct bk_keysrc *
bk_keysrc_keyring(const char *path)
{
	struct keyring_src *s;

	if ((s = malloc(sizeof(*s))) == NULL) {
		warnp("malloc");
		return NULL;
	}
	s->ks.ops = &keyring_ops;
	if ((s->kr = keyring_load(path)) == NULL) {
		free(s);
		return NULL;
	}
	return &s->ks;
}

struct fixed_src {
	struct bk_keysrc ks;
	struct bk_key k;
};

static int
fixed_seal_key(struct bk_keysrc *ks, struct bk_key *k)
{
	*k = ((struct fixed_src *)ks)->k;
	return 0;
}

static int
fixed_open_key(struct bk_keysrc *ks, unsigned type,
    const unsigned char *ref, size_t reflen, const char *name,
    unsigned char key[BK_KEY_LEN])
{
	(void)type;
	(void)ref;
	(void)reflen;
	(void)name;
	memcpy(key, ((struct fixed_src *)ks)->k.key, BK_KEY_LEN);
	return 0;
}

static void
fixed_src_free(struct bk_keysrc *ks)
{
	bk_wipe(ks, sizeof(struct fixed_src));
	free(ks);
}

static const struct bk_keysrc_ops fixed_ops = {
	fixed_seal_key, fixed_open_key, fixed_src_free
};

struct bk_keysrc *
bk_keysrc_fixed(const struct bk_key *k)
{
	struct fixed_src *s;

	if ((s = malloc(sizeof(*s))) == NULL) {
		warnp("malloc");
		return NULL;
	}
	s->ks.ops = &fixed_ops;
	s->k = *k;
	return &s->ks;
}
