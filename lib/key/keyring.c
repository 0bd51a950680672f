/*
 * keyring.c - load, extend and save the bk-encrypt keyring.
 *
 * The file is text so that it can be printed for an offline paper copy and
 * typed back in:
 *
 *	bk-keyring 1
 *	key ID CREATED current|old KEY
 *
 * ID is 16 hex digits, CREATED is UTC "YYYY-MM-DDTHH:MM:SSZ", KEY is 64 hex
 * digits.  Blank lines and lines starting with '#' are ignored.
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
#include "key/keyring.h"

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

/* Parse one "key ID DATE STATE HEX" line (modified in place) into kr. */
static int
parse_key_line(struct keyring *kr, char *line, size_t lineno)
{
	char *f[6], *save = NULL, *p;
	struct keyring_key *k;
	size_t nf = 0;

	for (p = strtok_r(line, " \t", &save); p != NULL && nf < 6;
	    p = strtok_r(NULL, " \t", &save))
		f[nf++] = p;
	if (nf != 5 || strcmp(f[0], "key") != 0)
		goto bad;
	if ((k = keyring_slot(kr)) == NULL)
		return -1;
	if (strlen(f[1]) != 2 * KEYRING_IDLEN ||
	    bk_unhex(k->id, f[1], KEYRING_IDLEN) != 0 || !valid_date(f[2]) ||
	    (strcmp(f[3], "current") != 0 && strcmp(f[3], "old") != 0) ||
	    strlen(f[4]) != 2 * KEYRING_KEYLEN ||
	    bk_unhex(k->key, f[4], KEYRING_KEYLEN) != 0) {
		kr->n--;
		bk_wipe(k, sizeof(*k));
		goto bad;
	}
	memcpy(k->created, f[2], sizeof(k->created));
	k->current = strcmp(f[3], "current") == 0;
	if (keyring_find(kr, k->id) != k) {
		warn0("%s:%zu: duplicate key id %s", kr->path, lineno, f[1]);
		return -1;
	}
	return 0;
bad:
	/* Never echo the line: it may hold key material. */
	warn0("%s:%zu: not a keyring line (want \"key ID DATE current|old "
	    "KEY\")", kr->path, lineno);
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

struct keyring *
keyring_load(const char *path)
{
	struct keyring *kr;
	char *text;
	size_t len;

	if ((text = bk_read_secret_file(path, KEYRING_MAXFILE, &len)) == NULL)
		return NULL;
	if (memchr(text, '\0', len) != NULL) {
		warn0("%s: binary data; not a bk keyring", path);
		goto err0;
	}
	if ((kr = keyring_new(path)) == NULL)
		goto err0;
	if (parse_keyring(kr, text) != 0)
		goto err1;
	bk_wipe(text, len);
	free(text);
	return kr;

err1:
	keyring_free(kr);
err0:
	bk_wipe(text, len);
	free(text);
	return NULL;
}

const struct keyring_key *
keyring_add(struct keyring *kr, time_t now)
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
	if (keyring_random(k->key, sizeof(k->key)) != 0)
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

/* Append one key line to buf (of cap bytes) at *off. */
static int
format_key(char *buf, size_t cap, size_t *off, const struct keyring_key *k)
{
	char idhex[2 * KEYRING_IDLEN + 1], keyhex[2 * KEYRING_KEYLEN + 1];
	int n;

	keyring_idhex(idhex, k->id);
	bk_hex(keyhex, k->key, KEYRING_KEYLEN);
	n = snprintf(buf + *off, cap - *off, "key %s %s %s %s\n", idhex,
	    k->created, k->current ? "current" : "old", keyhex);
	bk_wipe(keyhex, sizeof(keyhex));
	if (n < 0 || (size_t)n >= cap - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

int
keyring_save(const struct keyring *kr, int noclobber)
{
	static const char head[] =
	    "# bk-encrypt keyring: secret, keep mode 0600 and an offline "
	    "copy.\n"
	    "# Every key listed here is needed to restore the backups made "
	    "with it.\n" MAGIC_LINE "\n";
	size_t cap = sizeof(head) + kr->n * 128, off = 0, i;
	char *buf;
	int rc = -1;

	if ((buf = malloc(cap)) == NULL) {
		warnp("malloc");
		return -1;
	}
	memcpy(buf, head, sizeof(head) - 1);
	off = sizeof(head) - 1;
	for (i = 0; i < kr->n; i++)
		if (format_key(buf, cap, &off, &kr->keys[i]) != 0) {
			warn0("%s: keyring too large to format", kr->path);
			goto done;
		}
	rc = bk_atomic_write(kr->path, buf, off, 0600, noclobber);
done:
	bk_wipe(buf, cap);
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
