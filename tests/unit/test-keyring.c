/*
 * Unit tests for lib/keyring.c: save and load round trip, rotation keeps
 * old keys, hostile and sloppy files refused, noclobber.  Runs in the
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
	test_lock();
	return unit_exit();
}
