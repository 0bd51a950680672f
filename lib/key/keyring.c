/*
 * keyring.c - load, extend and save the bk-encrypt keyring.
 *
 * The file is text so that it can be printed for an offline paper copy and
 * typed back in:
 *
 *	bk-keyring 1
 *	key ID CREATED current|old KEY
 *	x25519 ID CREATED current|old|recipient PUBLIC PRIVATE|-
 *
 * ID is 16 hex digits, CREATED is UTC "YYYY-MM-DDTHH:MM:SSZ", KEY, PUBLIC
 * and PRIVATE are 64 hex digits; "-" is a private key this keyring lacks.
 * Blank lines and lines starting with '#' are ignored.
 */
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bk.h"
#include "key/kdf.h"
#include "key/keyring.h"
#include "key/x25519.h"

#define MAGIC_LINE "bk-keyring 1"

struct keyring *
keyring_new(const char *path)
{
	struct keyring *kr;

	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		goto err0;
	if ((kr->path = strdup(path)) == NULL)
		goto err1;
	return kr;

err1:
	free(kr);
err0:
	warnp("malloc");
	return NULL;
}

void
keyring_free(struct keyring *kr)
{
	if (kr == NULL)
		return;
	if (kr->keys != NULL) {
		bk_wipe(kr->keys, kr->n * sizeof(kr->keys[0]));
		free(kr->keys);
	}
	free(kr->path);
	free(kr);
}

void
keyring_idhex(char out[2 * KEYRING_IDLEN + 1],
    const unsigned char id[KEYRING_IDLEN])
{
	bk_hex(out, id, KEYRING_IDLEN);
}

int
keyring_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = getrandom(p, len, 0)) < 0) {
			if (errno == EINTR)
				continue;
			warnp("getrandom");
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

const struct keyring_key *
keyring_current(const struct keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		if (kr->keys[i].current)
			return &kr->keys[i];
	return NULL;
}

const struct keyring_key *
keyring_find(const struct keyring *kr, const unsigned char id[KEYRING_IDLEN])
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		if (memcmp(kr->keys[i].id, id, KEYRING_IDLEN) == 0)
			return &kr->keys[i];
	return NULL;
}

/* Grow the array by one zeroed slot (keys are wiped, never realloc'd). */
static struct keyring_key *
keyring_slot(struct keyring *kr)
{
	struct keyring_key *nk;

	if (kr->n >= KEYRING_MAXKEYS) {
		warn0("%s: more than %d keys", kr->path, KEYRING_MAXKEYS);
		return NULL;
	}
	if ((nk = calloc(kr->n + 1, sizeof(*nk))) == NULL) {
		warnp("malloc");
		return NULL;
	}
	if (kr->n > 0) {
		memcpy(nk, kr->keys, kr->n * sizeof(*nk));
		bk_wipe(kr->keys, kr->n * sizeof(*nk));
	}
	free(kr->keys);
	kr->keys = nk;
	return &kr->keys[kr->n++];
}

/* A well-formed UTC timestamp as written by keyring_add. */
static int
valid_date(const char *s)
{
	struct tm tm;
	const char *end;

	if (strlen(s) != 20)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return end != NULL && *end == '\0';
}

/* The state field of a key line into k; 0, or -1 if it is not one. */
static int
parse_state(struct keyring_key *k, const char *f)
{
	k->current = strcmp(f, "current") == 0;
	k->recipient = k->type == KEYRING_X25519 &&
	    strcmp(f, "recipient") == 0;
	return k->current || k->recipient || strcmp(f, "old") == 0 ? 0 : -1;
}

/*
 * The key fields after the state (f, nf of them) into k: an AES key, or
 * an X25519 public key and its private key or "-".  0 or -1.
 */
static int
parse_key_fields(struct keyring_key *k, char **f, size_t nf)
{
	const char *secret;

	if (nf != (k->type == KEYRING_AES ? 1 : 2))
		return -1;
	if (k->type == KEYRING_X25519 && (strlen(f[0]) != 2 * KEYRING_KEYLEN ||
	    bk_unhex(k->pub, f[0], KEYRING_KEYLEN) != 0))
		return -1;
	secret = f[nf - 1];
	if (k->type == KEYRING_X25519 && strcmp(secret, "-") == 0)
		return 0;
	k->secret = 1;
	return strlen(secret) == 2 * KEYRING_KEYLEN &&
	    bk_unhex(k->key, secret, KEYRING_KEYLEN) == 0 ? 0 : -1;
}

/* An X25519 private key must give its public key: a typo shows here. */
static int
check_pair(const struct keyring *kr, const struct keyring_key *k,
    size_t lineno)
{
	unsigned char pub[X25519_LEN];
	int ok;

	if (k->type != KEYRING_X25519 || !k->secret)
		return 0;
	if (x25519_public(k->key, pub) != 0)
		return -1;
	ok = memcmp(pub, k->pub, X25519_LEN) == 0;
	bk_wipe(pub, sizeof(pub));
	if (!ok)
		warn0("%s:%zu: the X25519 private key does not match its "
		    "public key (a mistyped copy?)", kr->path, lineno);
	return ok ? 0 : -1;
}

/*
 * Parse one "key ID DATE STATE HEX" or "x25519 ID DATE STATE PUBLIC
 * PRIVATE" line (modified in place) into kr.
 */
static int
parse_key_line(struct keyring *kr, char *line, size_t lineno)
{
	char *f[7], *save = NULL, *p;
	struct keyring_key *k;
	size_t nf = 0;

	for (p = strtok_r(line, " \t", &save); p != NULL && nf < 7;
	    p = strtok_r(NULL, " \t", &save))
		f[nf++] = p;
	if (nf < 5 || (strcmp(f[0], "key") != 0 && strcmp(f[0], "x25519")))
		goto bad;
	if ((k = keyring_slot(kr)) == NULL)
		return -1;
	k->type = strcmp(f[0], "key") == 0 ? KEYRING_AES : KEYRING_X25519;
	if (strlen(f[1]) != 2 * KEYRING_IDLEN ||
	    bk_unhex(k->id, f[1], KEYRING_IDLEN) != 0 || !valid_date(f[2]) ||
	    parse_state(k, f[3]) != 0 || parse_key_fields(k, f + 4, nf - 4)) {
		kr->n--;
		bk_wipe(k, sizeof(*k));
		goto bad;
	}
	memcpy(k->created, f[2], sizeof(k->created));
	if (keyring_find(kr, k->id) != k) {
		warn0("%s:%zu: duplicate key id %s", kr->path, lineno, f[1]);
		return -1;
	}
	return check_pair(kr, k, lineno);
bad:
	/* Never echo the line: it may hold key material. */
	warn0("%s:%zu: not a keyring line (want \"key ID DATE current|old "
	    "KEY\" or \"x25519 ID DATE current|old|recipient PUBLIC "
	    "PRIVATE|-\")", kr->path, lineno);
	return -1;
}

/* Parse the whole text (modified in place) into kr. */
static int
parse_keyring(struct keyring *kr, char *text)
{
	char *line, *next;
	size_t lineno = 0, ncur = 0, i;
	int seen_magic = 0;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		if (!seen_magic) {
			if (strcmp(line, MAGIC_LINE) != 0) {
				warn0("%s:%zu: not a bk keyring (want \""
				    MAGIC_LINE "\")", kr->path, lineno);
				return -1;
			}
			seen_magic = 1;
			continue;
		}
		if (parse_key_line(kr, line, lineno) != 0)
			return -1;
	}
	for (i = 0; i < kr->n; i++)
		ncur += kr->keys[i].current ? 1 : 0;
	if (!seen_magic || kr->n == 0 || ncur != 1) {
		warn0("%s: a keyring needs at least one key and exactly one "
		    "current key (has %zu keys, %zu current)", kr->path, kr->n,
		    ncur);
		return -1;
	}
	return 0;
}

int
keyring_has_secret(const struct keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		if (kr->keys[i].secret)
			return 1;
	return 0;
}

/*
 * Nobody else may write a keyring (a public key put in would receive
 * every backup), nor read one that holds a secret.  0 or -1 (reported).
 */
static int
check_mode(const struct keyring *kr, int fd)
{
	struct stat st;

	if (keyring_has_secret(kr))
		return bk_check_private(fd, kr->path);
	if (fstat(fd, &st) != 0) {
		warnp("stat %s", kr->path);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		warn0("%s: writable by group or other (mode %04o); run chmod "
		    "go-w %s", kr->path, (unsigned)(st.st_mode & 07777),
		    kr->path);
		return -1;
	}
	return 0;
}

struct keyring *
keyring_load(const char *path)
{
	struct keyring *kr = NULL;
	char *text = NULL;
	size_t len = 0;
	int fd, fd2;

	if ((fd = bk_open_regular(path, O_NOFOLLOW, "keyring")) == -1)
		return NULL;
	if ((fd2 = dup(fd)) == -1) {
		warnp("dup");
		close(fd);
		return NULL;
	}
	if ((text = bk_read_text_fd(fd, path, KEYRING_MAXFILE, &len,
	    "keyring")) == NULL)
		goto err0;
	if (memchr(text, '\0', len) != NULL) {
		warn0("%s: binary data; not a bk keyring", path);
		goto err0;
	}
	if ((kr = keyring_new(path)) == NULL)
		goto err0;
	if (parse_keyring(kr, text) != 0 || check_mode(kr, fd2) != 0)
		goto err1;
	bk_wipe(text, len);
	free(text);
	close(fd2);
	return kr;

err1:
	keyring_free(kr);
err0:
	if (text != NULL) {
		bk_wipe(text, len);
		free(text);
	}
	close(fd2);
	return NULL;
}

const struct keyring_key *
keyring_add(struct keyring *kr, time_t now)
{
	return keyring_add_type(kr, now, KEYRING_AES);
}

const struct keyring_key *
keyring_add_type(struct keyring *kr, time_t now, enum keyring_type type)
{
	struct keyring_key *k;
	struct tm tm;
	size_t i;

	if ((k = keyring_slot(kr)) == NULL)
		return NULL;
	do {
		if (keyring_random(k->id, sizeof(k->id)) != 0)
			goto err;
	} while (keyring_find(kr, k->id) != k);
	k->type = type;
	k->secret = 1;
	if (keyring_random(k->key, sizeof(k->key)) != 0 ||
	    (type == KEYRING_X25519 && x25519_public(k->key, k->pub) != 0))
		goto err;
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(k->created, sizeof(k->created), "%Y-%m-%dT%H:%M:%SZ",
	    &tm) != 20) {
		warn0("cannot format the date %lld", (long long)now);
		goto err;
	}
	for (i = 0; i < kr->n; i++)
		kr->keys[i].current = 0;
	k->current = 1;
	return k;
err:
	bk_wipe(k, sizeof(*k));
	kr->n--;
	return NULL;
}

int
keyring_add_recipient(struct keyring *kr, const struct keyring_key *k)
{
	struct keyring_key *n;
	char idhex[2 * KEYRING_IDLEN + 1];

	if (k->type != KEYRING_X25519) {
		warn0("%s: only an X25519 key can be a recipient", kr->path);
		return -1;
	}
	if (keyring_find(kr, k->id) != NULL) {
		keyring_idhex(idhex, k->id);
		warn0("%s: already has a key with id %s", kr->path, idhex);
		return -1;
	}
	if ((n = keyring_slot(kr)) == NULL)
		return -1;
	memcpy(n->id, k->id, KEYRING_IDLEN);
	memcpy(n->created, k->created, sizeof(n->created));
	memcpy(n->pub, k->pub, KEYRING_KEYLEN);
	n->type = KEYRING_X25519;
	n->recipient = 1;
	return 0;
}

int
keyring_check_value(const struct keyring_key *k, unsigned char *cv)
{
	return bk_check_value(k->type == KEYRING_AES ? k->key : k->pub, cv);
}

/* Append one key line to buf (of cap bytes) at *off. */
static int
format_key(char *buf, size_t cap, size_t *off, const struct keyring_key *k,
    int public_only)
{
	char idhex[2 * KEYRING_IDLEN + 1], keyhex[2 * KEYRING_KEYLEN + 1];
	char pubhex[2 * KEYRING_KEYLEN + 1];
	const char *state;
	int n;

	keyring_idhex(idhex, k->id);
	state = k->current ? "current" : k->recipient ? "recipient" : "old";
	if (k->secret && !public_only)
		bk_hex(keyhex, k->key, KEYRING_KEYLEN);
	else
		strcpy(keyhex, "-");
	if (k->type == KEYRING_AES)
		n = snprintf(buf + *off, cap - *off, "key %s %s %s %s\n",
		    idhex, k->created, state, keyhex);
	else {
		bk_hex(pubhex, k->pub, KEYRING_KEYLEN);
		n = snprintf(buf + *off, cap - *off, "x25519 %s %s %s %s %s\n",
		    idhex, k->created, state, pubhex, keyhex);
	}
	bk_wipe(keyhex, sizeof(keyhex));
	if (n < 0 || (size_t)n >= cap - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

char *
keyring_format(const struct keyring *kr, int public_only, size_t *len)
{
	static const char head[] =
	    "# bk-encrypt keyring: secret, keep mode 0600 and an offline "
	    "copy.\n"
	    "# Every key listed here is needed to restore the backups made "
	    "with it.\n" MAGIC_LINE "\n";
	static const char pubhead[] =
	    "# bk-encrypt public keyring: public keys only, nothing secret; "
	    "it encrypts\n# backups but cannot open them.\n" MAGIC_LINE "\n";
	const char *h = public_only ? pubhead : head;
	size_t cap = strlen(h) + 1 + kr->n * 200, off, i;
	char *buf;

	if ((buf = malloc(cap)) == NULL) {
		warnp("malloc");
		return NULL;
	}
	off = strlen(h);
	memcpy(buf, h, off);
	for (i = 0; i < kr->n; i++) {
		if (public_only && kr->keys[i].type != KEYRING_X25519)
			continue;
		if (format_key(buf, cap, &off, &kr->keys[i],
		    public_only) != 0) {
			warn0("%s: keyring too large to format", kr->path);
			bk_wipe(buf, cap);
			free(buf);
			return NULL;
		}
	}
	*len = off;
	return buf;
}

int
keyring_save(const struct keyring *kr, int noclobber)
{
	size_t len;
	char *buf;
	int rc;

	if ((buf = keyring_format(kr, 0, &len)) == NULL)
		return -1;
	rc = bk_atomic_write(kr->path, buf, len, 0600, noclobber);
	bk_wipe(buf, len);
	free(buf);
	return rc;
}

int
keyring_lock(const char *path)
{
	struct stat a, b;
	int fd;

	/* A rename may replace the file while we wait: retry until the lock
	 * is held on the inode the path names. */
	for (;;) {
		if ((fd = bk_open_regular(path, O_NOFOLLOW, "keyring")) == -1)
			return -1;
		if (flock(fd, LOCK_EX) != 0 || fstat(fd, &a) != 0) {
			warnp("lock %s", path);
			goto err;
		}
		if (stat(path, &b) != 0) {
			warnp("stat %s", path);
			goto err;
		}
		if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
err:
	close(fd);
	return -1;
}
