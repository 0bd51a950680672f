/*
 * Unit tests for lib/store without the tools, through the store
 * interface only: the streaming writer (commit makes the object appear
 * whole, abort leaves nothing, not even an unfinished upload), get from
 * an offset, list, remove, the parallel upload engine (one stream to two
 * destinations; an existing object refused) and the catalog (commit, then
 * readable and listed as committed).
 *
 * test-upload [BASE-URL]: against a fresh file:// directory, or against
 * the store under BASE-URL (ending in "/"), e.g. an S3 prefix on a test
 * server (tests/0218-store-driver-s3.sh).
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "bk.h"
#include "store/catalog.h"
#include "store/store.h"
#include "store/upload.h"
#include "unit.h"

#define BIG ((size_t)(11u << 20))	/* more than one writer part */
#define ENGINE (BIG + (5u << 20))	/* four engine parts of 5 MiB */

static char base[512];		/* the store's URL, ending in "/" */
static int is_file;

/* base + name as a store URL. */
static const char *
url(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s%s", base, name);
	return buf;
}

static unsigned char *
pattern(size_t len)
{
	unsigned char *p = malloc(len);
	size_t i;

	for (i = 0; p != NULL && i < len; i++)
		p[i] = (unsigned char)(i * 131 + i / 4096);
	return p;
}

/* Collects what a sink gets. */
struct got {
	unsigned char *buf;
	size_t len, cap;
};

static int
sink(const void *p, size_t len, void *arg)
{
	struct got *g = arg;

	if (g->len + len > g->cap)
		return -1;
	memcpy(g->buf + g->len, p, len);
	g->len += len;
	return 0;
}

static int
count_fn(const struct store_obj *o, void *arg)
{
	(void)o;
	(*(int *)arg)++;
	return 0;
}

/* Objects (or, with uploads, unfinished uploads) under prefix. */
static int
count(struct store *s, const char *prefix, int uploads)
{
	int n = 0;

	CHECK((uploads ? store_list_uploads(s, prefix, count_fn, &n) :
	    store_list(s, prefix, count_fn, &n)) == BK_OK);
	return n;
}

/* Does key hold exactly len bytes of data (read from byte 0)? */
static int
holds(struct store *s, const char *key, const unsigned char *data,
    size_t len)
{
	struct got g = { malloc(len + 1), 0, len + 1 };
	uint64_t off = 0;
	int archived, ok;

	ok = g.buf != NULL && store_get(s, key, NULL, sink, &g, &off,
	    (int64_t)len, &archived) == BK_OK && off == len && g.len == len &&
	    memcmp(g.buf, data, len) == 0;
	free(g.buf);
	return ok;
}

/* Abort: after a part has gone out, nothing stays behind. */
static void
test_abort(struct store *s, const char *key, const unsigned char *data)
{
	struct store_putopts po = { .noclobber = 1 };
	struct store_put *w;
	uint64_t size;
	int exists;

	CHECK((w = store_put_open(s, key, &po)) != NULL);
	if (w == NULL)
		return;
	CHECK(store_put_write(w, data, BIG) == BK_OK);
	store_put_abort(w);
	CHECK(store_head(s, key, &exists, &size) == BK_OK && !exists);
	CHECK(count(s, s->u.key, 0) == 0 && count(s, s->u.key, 1) == 0);
}

/* Reads from an offset, and one of the wrong size, refused. */
static void
test_get(struct store *s, const char *key, const unsigned char *data)
{
	struct got g = { malloc(BIG), 0, BIG };
	uint64_t off = BIG - 5000;
	int archived;

	CHECK(store_get(s, key, NULL, sink, &g, &off, -1, &archived) ==
	    BK_OK && g.len == 5000 && off == BIG &&
	    memcmp(g.buf, data + BIG - 5000, 5000) == 0);
	off = 0;
	g.len = 0;
	CHECK(store_get(s, key, NULL, sink, &g, &off, 7, &archived) ==
	    BK_FAIL);
	free(g.buf);
}

static void
test_writer(const unsigned char *data)
{
	struct store_putopts po = { .noclobber = 1 };
	struct store_put *w;
	struct store *s;
	char u[640], key[640];
	uint64_t size;
	int exists;

	CHECK((s = store_open(url(u, sizeof(u), "w/"), 0)) != NULL);
	if (s == NULL)
		return;
	snprintf(key, sizeof(key), "%sobj", s->u.key);
	test_abort(s, key, data);
	/* Written in pieces across parts, visible only once committed. */
	CHECK((w = store_put_open(s, key, &po)) != NULL);
	CHECK(w != NULL && store_put_write(w, data, 3) == BK_OK);
	CHECK(w != NULL && store_put_write(w, data + 3, BIG - 3) == BK_OK);
	CHECK(store_head(s, key, &exists, &size) == BK_OK && !exists);
	CHECK(w != NULL && store_put_commit(w) == BK_OK);
	CHECK(store_head(s, key, &exists, &size) == BK_OK && exists &&
	    size == BIG);
	CHECK(holds(s, key, data, BIG));
	test_get(s, key, data);
	/* A file store refuses the replacement at the commit itself. */
	if (is_file && (w = store_put_open(s, key, &po)) != NULL) {
		CHECK(store_put_write(w, data, 10) == BK_OK);
		CHECK(store_put_commit(w) == BK_FAIL);
		CHECK(holds(s, key, data, BIG));
	}
	CHECK(count(s, s->u.key, 0) == 1);
	/* Remove, and removing what is gone is no failure. */
	CHECK(store_remove(s, key) == BK_OK);
	CHECK(store_head(s, key, &exists, &size) == BK_OK && !exists);
	CHECK(store_remove(s, key) == BK_OK);
	CHECK(count(s, s->u.key, 0) == 0);
	store_close(s);
}

/* Feed len bytes of data to the engine through a pipe, from a child. */
static int
run_upload(struct upload_dest *d, int n, const unsigned char *data,
    size_t len, struct upload_stats *st)
{
	struct store_putopts po = { .noclobber = 1 };
	struct upload_opts o = { UPLOAD_PART_MIN, 3, 0, &po, NULL };
	int fds[2], rc;
	pid_t pid;

	if (pipe(fds) != 0)
		return -99;
	if ((pid = fork()) == 0) {
		close(fds[0]);
		_exit(bk_write_full(fds[1], data, len, "pipe") == 0 ? 0 : 1);
	}
	close(fds[1]);
	rc = upload_run(fds[0], d, n, &o, st);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return rc;
}

static void
test_engine(const unsigned char *data)
{
	struct upload_dest d[2];
	struct upload_stats st;
	char u[640];
	int i;

	memset(d, 0, sizeof(d));
	d[0].st = store_open(url(u, sizeof(u), "a/x.bk"), 1);
	d[1].st = store_open(url(u, sizeof(u), "b/x.bk"), 1);
	CHECK(d[0].st != NULL && d[1].st != NULL);
	if (d[0].st == NULL || d[1].st == NULL)
		return;
	CHECK(run_upload(d, 2, data, ENGINE, &st) == BK_OK);
	CHECK(st.bytes == ENGINE && st.parts == 4);
	for (i = 0; i < 2; i++)
		CHECK(d[i].result == BK_OK &&
		    holds(d[i].st, d[i].st->u.key, data, ENGINE));
	/* Again: both refuse before anything moves; the objects stay. */
	CHECK(run_upload(d, 2, data, 100, &st) == BK_FAIL);
	CHECK(d[0].result == BK_FAIL && d[1].result == BK_FAIL &&
	    strstr(d[0].error, "already exists") != NULL);
	CHECK(holds(d[0].st, d[0].st->u.key, data, ENGINE));
	for (i = 0; i < 2; i++) {
		CHECK(store_remove(d[i].st, d[i].st->u.key) == BK_OK);
		store_close(d[i].st);
	}
}

static int
backup_fn(const struct catalog_backup *b, void *arg)
{
	int *committed = arg;

	*committed = b->committed && b->size == 3 &&
	    strcmp(b->kind, "db") == 0;
	return 0;
}

/* Put "abc" at the store's key. */
static int
put_abc(struct store *s)
{
	struct store_putopts po = { .noclobber = 1 };
	struct store_put *w;

	if ((w = store_put_open(s, s->u.key, &po)) == NULL)
		return BK_FAIL;
	if (store_put_write(w, "abc", 3) != BK_OK) {
		store_put_abort(w);
		return BK_FAIL;
	}
	return store_put_commit(w);
}

static void
test_catalog(void)
{
	struct catalog_commit c = { "sums", NULL, "db", NULL, NULL, NULL,
	    NULL };
	unsigned char sha[32];
	char u[640], *line;
	struct store *s;
	int64_t size;
	int committed = -1;

	CHECK((s = store_open(url(u, sizeof(u), "c/db.bk"), 1)) != NULL);
	if (s == NULL)
		return;
	CHECK(put_abc(s) == BK_OK);
	/* Not committed: not readable. */
	CHECK(catalog_readable(s, NULL, 0, &size) == BK_NEGATIVE);
	/* A sum for another name vouches for nothing. */
	SHA256((const unsigned char *)"abc", 3, sha);
	c.sumtext = line = bk_sumline(sha, "other.bk");
	CHECK(catalog_commit(s, &c) == BK_NEGATIVE);
	free(line);
	c.sumtext = line = bk_sumline(sha, "db.bk");
	CHECK(catalog_commit(s, &c) == BK_OK);
	CHECK(catalog_commit(s, &c) == BK_OK);	/* retried: the same */
	CHECK(catalog_readable(s, NULL, 0, &size) == BK_OK && size == 3);
	free(line);
	store_close(s);
	CHECK((s = store_open(url(u, sizeof(u), "c/"), 0)) != NULL);
	CHECK(s != NULL && catalog_backups(s, backup_fn, &committed) ==
	    BK_OK && committed == 1);
	store_close(s);
}

int
main(int argc, char *argv[])
{
	unsigned char *data;
	char dir[64] = "/tmp/test-upload.XXXXXX", cmd[128];

	bk_setprogname("test-upload");
	bk_set_quiet(1);
	if (argc > 1) {
		snprintf(base, sizeof(base), "%s", argv[1]);
	} else if (mkdtemp(dir) != NULL) {
		snprintf(base, sizeof(base), "file://%s/", dir);
		is_file = 1;
	} else {
		perror("mkdtemp");
		return 1;
	}
	if ((data = pattern(ENGINE)) == NULL) {
		perror("malloc");
		return 1;
	}
	test_writer(data);
	test_engine(data);
	test_catalog();
	free(data);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (is_file && system(cmd) != 0)
		perror(cmd);
	return unit_exit();
}
