/*
 * Unit tests for lib/keyring.c: save and load round trip, rotation keeps
 * old keys, hostile and sloppy files refused, noclobber; X25519 pairs,
 * public keyrings and their modes, check values.  Runs in the
 * scratch directory the runner gives it.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "key/keyring.h"
#include "unit.h"

static void
put(const char *path, const char *text, mode_t mode)
{
	unlink(path);
	CHECK(bk_atomic_write(path, text, strlen(text), mode, 0) == 0);
}

static void
test_roundtrip(void)
{
	struct keyring *kr, *back;
	const struct keyring_key *a, *b;
	unsigned char ida[KEYRING_IDLEN], keya[KEYRING_KEYLEN];
	struct stat st;

	unlink("kr1");
	CHECK((kr = keyring_new("kr1")) != NULL);
	CHECK((a = keyring_add(kr, 0)) != NULL);
	CHECK(strcmp(a->created, "1970-01-01T00:00:00Z") == 0);
	memcpy(ida, a->id, sizeof(ida));
	memcpy(keya, a->key, sizeof(keya));
	CHECK(keyring_save(kr, 1) == 0);
	CHECK(stat("kr1", &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(keyring_save(kr, 1) == -1);	/* noclobber */
	CHECK((b = keyring_add(kr, 86400)) != NULL);
	CHECK(keyring_current(kr) == b);
	CHECK(keyring_save(kr, 0) == 0);
	keyring_free(kr);

	CHECK((back = keyring_load("kr1")) != NULL);
	if (back == NULL)
		return;
	CHECK(back->n == 2);
	CHECK((a = keyring_find(back, ida)) != NULL);
	CHECK(a != NULL && !a->current &&
	    memcmp(a->key, keya, sizeof(keya)) == 0);
	CHECK((b = keyring_current(back)) != NULL &&
	    strcmp(b->created, "1970-01-02T00:00:00Z") == 0);
	CHECK(b != NULL && memcmp(b->id, ida, sizeof(ida)) != 0 &&
	    memcmp(b->key, keya, sizeof(keya)) != 0);
	keyring_free(back);
	keyring_free(NULL);
}

#define K1 "key 0001020304050607 2026-01-01T00:00:00Z current " \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
#define K2 "key 0101020304050607 2026-01-02T00:00:00Z old " \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"

static void
refused(const char *text, mode_t mode)
{
	struct keyring *kr;

	put("bad", text, mode);
	CHECK((kr = keyring_load("bad")) == NULL);
	if (kr != NULL)
		fprintf(stderr, "accepted: %s", text);
	keyring_free(kr);
}

static void
test_hostile(void)
{
	struct keyring *kr;

	put("ok", "# comment\n\nbk-keyring 1\r\n" K1 K2, 0600);
	CHECK((kr = keyring_load("ok")) != NULL && kr->n == 2);
	keyring_free(kr);
	refused("bk-keyring 1\n" K1, 0640);		/* group-readable */
	refused("bk-keyring 1\n" K1, 0604);		/* world-readable */
	refused(K1, 0600);				/* no magic line */
	refused("bk-keyring 2\n" K1, 0600);		/* unknown version */
	refused("bk-keyring 1\n", 0600);		/* no keys */
	refused("bk-keyring 1\n" K2, 0600);		/* none current */
	refused("bk-keyring 1\n" K1 K1, 0600);		/* duplicate id */
	refused("bk-keyring 1\n" K1
	    "key 0201020304050607 2026-01-02T00:00:00Z current "
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "\n", 0600);				/* two current */
	refused("bk-keyring 1\nkey 0001020304050607 2026-01-01T00:00:00Z "
	    "current 0001\n", 0600);			/* short key */
	refused("bk-keyring 1\nkey 00010203040506 2026-01-01T00:00:00Z "
	    "current "
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "\n", 0600);				/* short id */
	refused("bk-keyring 1\nkey 0001020304050607 yesterday current "
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "\n", 0600);				/* bad date */
	refused("bk-keyring 1\n" K1 "junk\n", 0600);
	CHECK(keyring_load("missing") == NULL);
	mkdir("adir", 0700);
	CHECK(keyring_load("adir") == NULL);
	symlink("ok", "link");
	CHECK(keyring_load("link") == NULL);		/* O_NOFOLLOW */
}

/* The pair of private key 0x20..0x3f (tests/vectors/x25519-kat.txt). */
#define XPUB "358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd166254"
#define XPRIV "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
#define X1 "x25519 1011121314151617 2026-01-03T00:00:00Z current " XPUB " " \
	XPRIV "\n"
#define X1PUB "x25519 1011121314151617 2026-01-03T00:00:00Z current " XPUB \
	" -\n"

static void
test_x25519(void)
{
	struct keyring *kr, *back;
	const struct keyring_key *k;
	unsigned char cv[6];
	char *text;
	size_t len;

	/* A full keyring: the pair, private (0600 only). */
	put("x", "bk-keyring 1\n" K2 X1, 0600);
	CHECK((kr = keyring_load("x")) != NULL && kr->n == 2);
	if (kr == NULL)
		return;
	k = keyring_current(kr);
	CHECK(k->type == KEYRING_X25519 && k->secret && keyring_has_secret(kr));
	CHECK(keyring_check_value(k, cv) == 0 &&
	    memcmp(cv, "\x80\x3f\x8e", 3) == 0);	/* the vectors' value */
	/* Exported: the public half alone, no AES key, nothing secret. */
	CHECK((text = keyring_format(kr, 1, &len)) != NULL);
	CHECK(strstr(text, XPRIV) == NULL && strstr(text, "\nkey ") == NULL);
	put("x.pub", text, 0644);
	free(text);
	CHECK((back = keyring_load("x.pub")) != NULL && back->n == 1);
	if (back != NULL) {
		CHECK(!keyring_has_secret(back) && !back->keys[0].secret);
		CHECK(memcmp(back->keys[0].pub, k->pub, 32) == 0);
		CHECK(keyring_add_recipient(back, &back->keys[0]) == -1);
	}
	/* A recipient added: public half only, state recipient. */
	put("y.pub", "bk-keyring 1\n" X1PUB, 0644);
	keyring_free(back);
	CHECK((back = keyring_load("y.pub")) != NULL);
	keyring_free(kr);
	CHECK((kr = keyring_new("z")) != NULL && keyring_add_type(kr, 0,
	    KEYRING_X25519) != NULL);
	if (back != NULL && kr != NULL) {
		CHECK(keyring_add_recipient(kr, keyring_current(back)) == 0);
		CHECK(kr->n == 2 && kr->keys[1].recipient &&
		    !kr->keys[1].secret && !kr->keys[1].current);
		CHECK(keyring_save(kr, 1) == 0);
	}
	keyring_free(back);
	keyring_free(kr);
	CHECK((kr = keyring_load("z")) != NULL && kr->n == 2 &&
	    kr->keys[1].recipient);
	keyring_free(kr);
	refused("bk-keyring 1\n" X1, 0644);		/* private, readable */
	refused("bk-keyring 1\n" X1PUB, 0664);	/* public, writable */
	refused("bk-keyring 1\n" X1PUB, 0606);
	refused("bk-keyring 1\nx25519 1011121314151617 2026-01-03T00:00:00Z "
	    "current " XPUB " 00"
	    "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n",
	    0600);					/* wrong private */
	refused("bk-keyring 1\nx25519 1011121314151617 2026-01-03T00:00:00Z "
	    "current " XPUB "\n", 0600);			/* no private field */
	refused("bk-keyring 1\nkey 0001020304050607 2026-01-01T00:00:00Z "
	    "recipient "
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "\n", 0600);				/* an AES recipient */
}

static void
test_lock(void)
{
	int fd;

	put("lk", "bk-keyring 1\n" K1, 0600);
	CHECK((fd = keyring_lock("lk")) >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(keyring_lock("missing") == -1);
}

int
main(void)
{
	test_roundtrip();
	test_hostile();
	test_x25519();
	test_lock();
	return unit_exit();
}
