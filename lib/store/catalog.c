/*
 * store/catalog.c - the backups a store holds: pairing data objects with
 * their manifests, committing a stored backup (sidecar, then manifest),
 * and refusing to read one that was never committed.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bk.h"
#include "vec.h"
#include "store/catalog.h"
#include "store/driver.h"
#include "store/manifest.h"

#define LIST_MAX 1000000	/* objects under one prefix */

/* What a listing collects before it can pair data with manifests. */
struct entry {
	char *key;
	uint64_t size;
	int64_t mtime;
	char class[32];
};

struct collect {
	struct entry *e;
	size_t n, cap;
	const char *prefix;	/* what was listed */
};

static int
collect_fn(const struct store_obj *o, void *arg)
{
	struct collect *c = arg;
	size_t plen = strlen(c->prefix);
	const char *rest = o->key;

	/*
	 * Backups lie directly under the prefix; what is deeper (the audit
	 * digests bk-backup.sh keeps in PREFIX/audit/, another kind's
	 * prefix) is not one of them, as a file store's listing, which does
	 * not descend, never shows it.
	 */
	if (strncmp(rest, c->prefix, plen) == 0) {
		rest += plen;
		if (plen > 0 && c->prefix[plen - 1] != '/' && *rest == '/')
			rest++;
	}
	if (strchr(rest, '/') != NULL)
		return 0;
	if (c->n == LIST_MAX) {
		warn0("more than %d objects under the prefix", LIST_MAX);
		return BK_FAIL;
	}
	if (vec_grow(&c->e, &c->cap, c->n, sizeof(*c->e)) != 0)
		return BK_FAIL;
	if ((c->e[c->n].key = strdup(o->key)) == NULL) {
		warnp("malloc");
		return BK_FAIL;
	}
	c->e[c->n].size = o->size;
	c->e[c->n].mtime = o->mtime;
	snprintf(c->e[c->n].class, sizeof(c->e[c->n].class), "%s", o->class);
	c->n++;
	return 0;
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key,
	    ((const struct entry *)b)->key);
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

int
catalog_is_sidecar(const char *key)
{
	return has_suffix(key, CATALOG_SUM_SUFFIX) ||
	    has_suffix(key, CATALOG_MANIFEST_SUFFIX);
}

/* bk-prune's lock (".bk-prune.lock") and the like are no backups. */
static int
is_tool_object(const char *key)
{
	const char *slash = strrchr(key, '/');

	return strncmp(slash ? slash + 1 : key, ".bk-", 4) == 0;
}

static struct entry *
find_entry(struct collect *c, const char *key)
{
	struct entry k = { (char *)key, 0, 0, "" };

	if (c->n == 0)
		return NULL;
	return bsearch(&k, c->e, c->n, sizeof(k), cmp_entry);
}

/*
 * Fill b from the manifest mkey: committed, or damaged when it cannot be
 * read or parsed (reported, naming it: one unreadable manifest must not
 * hide the others).  Only BK_RETRY stops the listing (retry it later).
 */
static int
read_manifest(struct store *s, const char *mkey, struct catalog_backup *b,
    struct manifest *m, char *when, size_t whenlen, char **json)
{
	size_t len;
	int rc;

	rc = store_get_small(s, mkey, STORE_SMALL_MAX, json, &len);
	if (rc == BK_RETRY)
		return rc;
	if (rc != BK_OK || manifest_parse(*json, len, mkey, m) != 0) {
		b->damaged = 1;
		return BK_OK;
	}
	b->committed = 1;
	b->size = m->size;
	b->sha256 = m->sha256;
	b->kind = m->kindbuf;
	if (m->created[0] != '\0')
		snprintf(when, whenlen, "%s", m->created);
	b->manifest = *json;
	return BK_OK;
}

/* Report one data object, reading its manifest if it has one. */
static int
report_backup(struct store *s, struct collect *c, struct entry *e,
    catalog_backup_fn *fn, void *arg)
{
	struct catalog_backup b = { e->key, NULL, e->size, "-", e->class, 0,
	    0, (int64_t)time(NULL) - e->mtime, NULL, "" };
	struct manifest m;
	char *mkey = NULL, *json = NULL, when[32];
	struct tm tm;
	time_t t = (time_t)e->mtime;
	int rc = BK_OK;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	b.created = when;
	if (asprintf(&mkey, "%s%s", e->key, CATALOG_MANIFEST_SUFFIX) < 0) {
		warnp("malloc");
		return BK_FAIL;
	}
	if (find_entry(c, mkey) != NULL)
		rc = read_manifest(s, mkey, &b, &m, when, sizeof(when), &json);
	if (rc == BK_OK)
		rc = fn(&b, arg);
	free(json);
	free(mkey);
	return rc;
}

struct upctx {
	catalog_backup_fn *fn;
	void *arg;
};

static int
upload_fn(const struct store_obj *o, void *arg)
{
	struct upctx *u = arg;
	struct catalog_backup b = { o->key, o->stamp ? o->stamp : "", 0, "-",
	    o->class, 0, 0, o->mtime ? (int64_t)time(NULL) - o->mtime : 0,
	    NULL, "" };

	return u->fn(&b, u->arg);
}

int
catalog_backups(struct store *s, catalog_backup_fn *fn, void *arg)
{
	struct collect c = { NULL, 0, 0, s->u.key };
	struct upctx u = { fn, arg };
	size_t i;
	int rc;

	rc = store_list(s, s->u.key, collect_fn, &c);
	if (rc == BK_OK && c.n > 0)
		qsort(c.e, c.n, sizeof(c.e[0]), cmp_entry);
	for (i = 0; rc == BK_OK && i < c.n; i++) {
		if (catalog_is_sidecar(c.e[i].key) || is_tool_object(c.e[i].key))
			continue;
		rc = report_backup(s, &c, &c.e[i], fn, arg);
	}
	for (i = 0; i < c.n; i++)
		free(c.e[i].key);
	free(c.e);
	/* Killed uploads are invisible as objects but cost storage. */
	if (rc == BK_OK)
		rc = store_list_uploads(s, s->u.key, upload_fn, &u);
	return rc;
}

/* Read and parse the manifest mkey; *size gets its size unless vid. */
static int
manifest_size(struct store *s, const char *mkey, const char *vid,
    int64_t *size)
{
	struct manifest m;
	char *json = NULL;
	size_t len;
	int rc;

	rc = store_get_small(s, mkey, STORE_SMALL_MAX, &json, &len);
	if (rc == BK_OK && manifest_parse(json, len, mkey, &m) != 0)
		rc = BK_NEGATIVE;
	else if (rc == BK_OK && vid == NULL)
		*size = (int64_t)m.size;
	free(json);
	return rc;
}

int
catalog_readable(struct store *s, const char *vid, int uncommitted,
    int64_t *size)
{
	const char *key = s->u.key, *slash = strrchr(key, '/');
	char *mkey;
	uint64_t dsize;
	int exists, rc;

	*size = -1;
	if (uncommitted || catalog_is_sidecar(key))
		return BK_OK;
	if (asprintf(&mkey, "%s%s", key, CATALOG_MANIFEST_SUFFIX) < 0) {
		warnp("malloc");
		return BK_FAIL;
	}
	rc = store_head(s, mkey, &exists, &dsize);
	if (rc == BK_OK && exists)
		rc = manifest_size(s, mkey, vid, size);
	free(mkey);
	if (rc != BK_OK || exists)
		return rc;
	if ((rc = store_head(s, key, &exists, &dsize)) != BK_OK || !exists)
		return rc;
	warn0("%s: not a committed backup: %s%s missing; an incomplete run "
	    "(--uncommitted reads it anyway)", s->u.url,
	    slash ? slash + 1 : key, CATALOG_MANIFEST_SUFFIX);
	return BK_NEGATIVE;
}

/*
 * Put key unless it is already there with the same contents (a commit
 * being retried).  A manifest counts as the same when it records the same
 * size and SHA-256: its creation time differs from run to run.
 */
static int
put_once(struct store *s, const char *key, const char *text,
    const char *ctype, const struct manifest *m)
{
	struct manifest old;
	uint64_t size;
	size_t len;
	char *buf;
	int exists, rc, same;

	if ((rc = store_head(s, key, &exists, &size)) != BK_OK)
		return rc;
	if (!exists)
		return store_put_small(s, key, text, strlen(text), 1, ctype);
	if ((rc = store_get_small(s, key, STORE_SMALL_MAX, &buf, &len)) !=
	    BK_OK)
		return rc;
	if (m != NULL)
		same = manifest_parse(buf, len, key, &old) == 0 &&
		    old.size == m->size && strcmp(old.sha256, m->sha256) == 0;
	else
		same = len == strlen(text) && memcmp(buf, text, len) == 0;
	free(buf);
	if (!same) {
		warn0("%s: %s exists with other contents; not overwritten",
		    s->u.url, key);
		return BK_FAIL;
	}
	return BK_OK;
}

/*
 * Does the sum text vouch for the object at s?  It must hold a line for
 * the object's base name, and its digest must be the one the store knows
 * (a file is hashed; S3 keeps one for a single PutObject; a multipart
 * upload's cannot be compared).
 */
static int
check_sum(struct store *s, const struct catalog_commit *c, const char *base,
    unsigned char digest[32])
{
	unsigned char have[32];
	char hex[2][65];
	int known, rc;

	/* A malformed sum file fails the commit (3, as bk-hash -c says);
	 * one that does not name this object is a negative answer (1). */
	if ((rc = bk_sumtext_lookup(c->sumtext, c->sumfile, base, digest)) !=
	    BK_OK)
		return rc;
	if ((rc = store_digest(s, s->u.key, have, &known)) != BK_OK)
		return rc;
	if (known && memcmp(have, digest, 32) != 0) {
		bk_hex(hex[0], digest, 32);
		bk_hex(hex[1], have, 32);
		warn0("%s: SHA-256 %s in %s, but the store holds %s; not "
		    "committed", s->u.url, hex[0], c->sumfile, hex[1]);
		return BK_NEGATIVE;
	}
	return BK_OK;
}

/* The sidecar, then the manifest, of the backup base of size bytes. */
static int
write_commit(struct store *s, const struct catalog_commit *c,
    const char *base, uint64_t size, const unsigned char digest[32])
{
	struct manifest m = { .name = base, .kind = c->kind, .size = size,
	    .key_id = c->key_id, .compression = c->compression,
	    .source = c->source, .counts_json = c->counts };
	char *sidecar = NULL, *mkey = NULL, *line = NULL, *json = NULL;
	int rc = BK_FAIL;

	bk_hex(m.sha256, digest, 32);
	if (asprintf(&sidecar, "%s%s", s->u.key, CATALOG_SUM_SUFFIX) < 0 ||
	    asprintf(&mkey, "%s%s", s->u.key, CATALOG_MANIFEST_SUFFIX) < 0) {
		warnp("malloc");
		goto out;
	}
	/* The sidecar names the base name, so sha256sum -c works beside it. */
	if ((line = bk_sumline(digest, base)) == NULL ||
	    (json = manifest_build(&m)) == NULL)
		goto out;
	if ((rc = put_once(s, sidecar, line, "text/plain", NULL)) == BK_OK)
		rc = put_once(s, mkey, json, "application/json", &m);
out:
	free(sidecar);
	free(mkey);
	free(line);
	free(json);
	return rc;
}

int
catalog_commit(struct store *s, const struct catalog_commit *c)
{
	char *base = NULL, *copy = NULL;
	unsigned char digest[32];
	uint64_t size;
	int exists, rc;

	if ((rc = store_head(s, s->u.key, &exists, &size)) != BK_OK)
		return rc;
	if (!exists) {
		warn0("%s: no such object; nothing to commit", s->u.url);
		return BK_FAIL;
	}
	if ((copy = strdup(s->u.key)) == NULL ||
	    (base = strdup(basename(copy))) == NULL) {
		warnp("malloc");
		rc = BK_FAIL;
	} else if ((rc = check_sum(s, c, base, digest)) == BK_OK)
		rc = write_commit(s, c, base, size, digest);
	free(copy);
	free(base);
	return rc;
}
