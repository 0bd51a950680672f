/*
 * keysrc.c - the key-source calls; the keyring as a key source (key type
 * 1, the reference an 8-byte key id); and a source of one fixed key.
 */
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "io/aead.h"
#include "key/keyring.h"
#include "key/keysrc.h"

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

static int
keyring_seal_key(struct bk_keysrc *ks, struct bk_key *k)
{
	const struct keyring_key *cur;

	cur = keyring_current(((struct keyring_src *)ks)->kr);
	memset(k, 0, sizeof(*k));
	k->type = AEAD_KEYTYPE_KEYRING;
	k->reflen = KEYRING_IDLEN;
	memcpy(k->ref, cur->id, KEYRING_IDLEN);
	memcpy(k->key, cur->key, BK_KEY_LEN);
	return 0;
}

static int
keyring_open_key(struct bk_keysrc *ks, unsigned type,
    const unsigned char *ref, size_t reflen, const char *name,
    unsigned char key[BK_KEY_LEN])
{
	const struct keyring *kr = ((struct keyring_src *)ks)->kr;
	const struct keyring_key *k;
	char idhex[2 * KEYRING_IDLEN + 1];

	if (type != AEAD_KEYTYPE_KEYRING || reflen != KEYRING_IDLEN) {
		warn0("%s: key type %u is not a keyring key", name, type);
		return -1;
	}
	if ((k = keyring_find(kr, ref)) == NULL) {
		keyring_idhex(idhex, ref);
		warn0("%s: key id %s (bytes 14..21) is not in keyring %s:"
		    " use the keyring that holds it, or the header is "
		    "corrupted", name, idhex, kr->path);
		return -1;
	}
	memcpy(key, k->key, BK_KEY_LEN);
	return 0;
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
