/*
 * bk-get - stream an object from a store (s3://, file:///) to standard
 * output, resuming with ranged GETs after a dropped connection; restore
 * archived objects on request; or list the backups stored under a prefix.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bson/bson.h>

#include "bk.h"
#include "manifest.h"
#include "s3.h"
#include "store.h"

#define BUFSIZE (256 * 1024)

struct getcfg {
	const char *vid;
	int restore, wait, days, retries, progress, all, json_list;
	int uncommitted;
	long interval;
	const char *tier;
	const char *json;
	const char *kind;	/* --list --kind */
};

struct out {
	struct bk_progress *prog;
	uint64_t bytes;
	int64_t size;		/* the size the manifest gives, or -1 */
};

/* The synopsis (and for --help every option): stdout and 0, or stderr, 2. */
static _Noreturn void
usage(int help)
{
	FILE *f = help ? stdout : stderr;

	fprintf(f,
	    "usage: bk-get [--version-id id] [--restore [--restore-days n] "
	    "[--restore-tier tier]\n"
	    "              [--wait [--wait-interval secs]]] [--retries n] "
	    "[--uncommitted]\n"
	    "              [--progress] [--json[=file]] src > stream\n"
	    "       bk-get --list [--all] [--kind kind] [--json] "
	    "prefix-url...\n");
	if (help)
		fprintf(f, "\n"
		    "  --version-id id     read that version of the object\n"
		    "  --restore           ask for a copy of an archived object"
		    "\n"
		    "  --restore-days n    keep the restored copy n days "
		    "(default 7)\n"
		    "  --restore-tier tier Standard (default), Bulk or "
		    "Expedited\n"
		    "  --wait              wait for the restore, then stream\n"
		    "  --wait-interval s   poll every s seconds (default 60)\n"
		    "  --retries n         retries of a failed request "
		    "(default 8)\n"
		    "  --uncommitted       read an object that has no "
		    "NAME.manifest.json\n"
		    "  --progress          a meter on stderr (default: if a "
		    "terminal)\n"
		    "  --no-progress       no meter\n"
		    "  --json[=file]       a status line on stderr (or file); "
		    "with --list,\n"
		    "                      the listing as JSON lines\n"
		    "  --list              list the backups under each "
		    "prefix-url, oldest first\n"
		    "  --all               with --list: incomplete backups "
		    "too\n"
		    "  --kind kind         with --list: only backups of that "
		    "kind (db, files)\n"
		    "  --help              this text\n"
		    "  --version           the version\n"
		    "See bk-get(1).\n");
	exit(help ? BK_EXIT_OK : BK_EXIT_USAGE);
}

static int
exit_for(int rc)
{
	return rc == S3_TEMP ? BK_EXIT_TEMP : BK_EXIT_FAIL;
}

static int
to_stdout(const void *p, size_t len, void *arg)
{
	struct out *o = arg;

	if (bk_write_full(STDOUT_FILENO, p, len, "<stdout>") != 0)
		return -1;
	o->bytes += len;
	bk_progress_add(o->prog, len);
	return 0;
}

static int
get_file(const char *path, struct out *o)
{
	static unsigned char buf[BUFSIZE];
	uint64_t size;
	ssize_t n;
	int fd, rc = BK_EXIT_FAIL;

	if ((fd = bk_open_regular(path, 0, "object")) == -1)
		return BK_EXIT_FAIL;
	if (o->size >= 0 && (size = bk_fd_size(fd)) != (uint64_t)o->size) {
		warn0("%s: the file is %llu bytes, its manifest says %lld",
		    path, (unsigned long long)size, (long long)o->size);
		goto out;
	}
	while ((n = bk_read_full(fd, buf, sizeof(buf), path)) > 0)
		if (to_stdout(buf, (size_t)n, o) != 0)
			goto out;
	if (n == 0 && o->size >= 0 && o->bytes != (uint64_t)o->size)
		warn0("%s: changed while read: %llu bytes, its manifest says "
		    "%lld", path, (unsigned long long)o->bytes,
		    (long long)o->size);
	else if (n == 0)
		rc = 0;
out:
	close(fd);
	return rc;
}

/* Is a restore of the archived object finished (x-amz-restore)? */
static int
restored(struct store *s, const char *vid, int *done)
{
	struct s3_resp r = { 0 };
	int rc;

	*done = 0;
	if ((rc = s3_head(s->c, s->u.key, vid, &r)) != S3_OK)
		return rc;
	*done = strstr(r.restore, "ongoing-request=\"false\"") != NULL;
	s3_resp_free(&r);
	return S3_OK;
}

/* Ask for a restore and, with --wait, poll until it is done. */
static int
do_restore(struct store *s, const struct getcfg *g)
{
	int rc, done;

	if ((rc = s3_restore(s->c, s->u.key, g->vid, g->days, g->tier)) !=
	    S3_OK) {
		if (bk_last_error()[0] == '\0' ||
		    strstr(bk_last_error(), "RestoreAlreadyInProgress") == NULL)
			return exit_for(rc);
	}
	warn0("%s: restore requested (%s, %d days)", s->u.url, g->tier,
	    g->days);
	if (!g->wait) {
		warn0("%s: not readable until the restore finishes; run again "
		    "later", s->u.url);
		return BK_EXIT_TEMP;
	}
	for (;;) {
		if ((rc = restored(s, g->vid, &done)) != S3_OK)
			return exit_for(rc);
		if (done)
			return 0;
		sleep((unsigned int)g->interval);
	}
}

static int
get_s3(struct store *s, const struct getcfg *g, struct out *o)
{
	uint64_t off = 0;
	int archived, rc, tries;

	for (tries = 0; tries < 2; tries++) {
		rc = s3_get(s->c, s->u.key, g->vid, to_stdout, o, &off,
		    o->size, &archived);
		if (!archived)
			return rc == S3_OK ? 0 : exit_for(rc);
		if (!g->restore || tries > 0) {
			warn0("%s: InvalidObjectState: the object is in an "
			    "archive storage class; --restore requests a copy"
			    "%s", s->u.url, g->restore ? "" :
			    " (--wait waits for it)");
			return BK_EXIT_FAIL;
		}
		if ((rc = do_restore(s, g)) != 0)
			return rc;
	}
	return BK_EXIT_FAIL;
}

/*
 * A data object is read only when its backup was committed (the manifest
 * is written last): one small GET of NAME.manifest.json, whose size the
 * download must then match (*size; -1 when not checked, as for another
 * --version-id than the one the manifest describes).  The sidecar and
 * the manifest themselves, and anything with --uncommitted, are read as
 * they are.  An object that is not there at all is left to the download
 * to report.  0, or an exit status (reported).
 */
static int
check_committed(struct store *s, const struct getcfg *g, int64_t *size)
{
	struct manifest m;
	char *mkey, *json = NULL;
	uint64_t dsize;
	size_t len;
	int exists, rc;

	*size = -1;
	if (g->uncommitted || store_is_sidecar(s->u.key))
		return 0;
	if (asprintf(&mkey, "%s%s", s->u.key, STORE_MANIFEST_SUFFIX) < 0) {
		warnp("malloc");
		return BK_EXIT_FAIL;
	}
	rc = store_head(s, mkey, &exists, &dsize);
	if (rc == S3_OK && exists) {
		rc = store_get_small(s, mkey, STORE_SMALL_MAX, &json, &len);
		if (rc == S3_OK && manifest_parse(json, len, mkey, &m) != 0)
			rc = BK_EXIT_NEGATIVE;
		else if (rc == S3_OK && g->vid == NULL)
			*size = (int64_t)m.size;
		free(json);
	}
	free(mkey);
	if (rc == BK_EXIT_NEGATIVE)
		return rc;
	if (rc != S3_OK)
		return exit_for(rc);
	if (exists)
		return 0;
	if ((rc = store_head(s, s->u.key, &exists, &dsize)) != S3_OK)
		return exit_for(rc);
	if (!exists)
		return 0;
	warn0("%s: not a committed backup: %s%s missing; an incomplete run "
	    "(--uncommitted reads it anyway)", s->u.url,
	    strrchr(s->u.key, '/') ? strrchr(s->u.key, '/') + 1 : s->u.key,
	    STORE_MANIFEST_SUFFIX);
	return BK_EXIT_NEGATIVE;
}

/* --- --list --- */

/* One store's copy of a backup. */
struct copy {
	char *url;		/* works as given; NULL: no copy there */
	char created[40];
	char class[32];
	char sha256[65];
	uint64_t size;
	int64_t age;
	int committed, damaged;
};

/* A backup as found under one or more prefixes. */
struct item {
	char *rel;		/* its name below its prefix's directory */
	int upload;		/* an unfinished multipart upload */
	char kind[32];
	struct copy *c;		/* one per prefix */
};

struct listctx {
	const struct getcfg *g;
	struct store *s;
	int idx, nstores;	/* this store's place among the prefixes */
	size_t plen;		/* length of the prefix's directory part */
	struct item *it;
	size_t n, cap;
	int damaged;		/* manifests that could not be read */
};

static int
add_item(struct listctx *l, const struct store_backup *b)
{
	struct item *ni, *e;
	struct copy *c;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((ni = realloc(l->it, l->cap * sizeof(*ni))) == NULL) {
			warnp("malloc");
			return S3_PERM;
		}
		l->it = ni;
	}
	e = &l->it[l->n];
	memset(e, 0, sizeof(*e));
	/* A name below the prefix is named relative to its directory. */
	if ((e->c = calloc((size_t)l->nstores, sizeof(*e->c))) == NULL ||
	    (e->rel = strdup(strncmp(b->name, l->s->u.key, l->plen) == 0 ?
	    b->name + l->plen : b->name)) == NULL ||
	    (e->c[l->idx].url = store_url_for(&l->s->u, b->name)) == NULL) {
		if (e->c == NULL || e->rel == NULL)
			warnp("malloc");
		free(e->rel);
		free(e->c);
		return S3_PERM;
	}
	l->n++;
	e->upload = strcmp(b->class, "MULTIPART") == 0 && b->size == 0 &&
	    !b->committed;
	snprintf(e->kind, sizeof(e->kind), "%s", b->kind);
	c = &e->c[l->idx];
	snprintf(c->created, sizeof(c->created), "%s", b->created);
	snprintf(c->class, sizeof(c->class), "%s", b->class);
	snprintf(c->sha256, sizeof(c->sha256), "%s", b->sha256);
	c->size = b->size;
	c->age = b->age;
	c->committed = b->committed;
	c->damaged = b->damaged;
	return 0;
}

static int
collect_fn(const struct store_backup *b, void *arg)
{
	struct listctx *l = arg;

	l->damaged += b->damaged;
	return add_item(l, b);
}

static int
cmp_rel(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int d = strcmp(x->rel, y->rel);

	return d != 0 ? d : x->upload - y->upload;
}

/* The copy a listing line shows: the first committed one, else the first. */
static const struct copy *
primary(const struct item *e, int n)
{
	int i, first = -1;

	for (i = 0; i < n; i++) {
		if (e->c[i].url == NULL)
			continue;
		if (e->c[i].committed)
			return &e->c[i];
		if (first < 0)
			first = i;
	}
	return &e->c[first];
}

static int
cmp_created(const void *a, const void *b, void *arg)
{
	const struct item *x = a, *y = b;
	int n = *(int *)arg, d;

	d = strcmp(primary(x, n)->created, primary(y, n)->created);
	return d != 0 ? d : cmp_rel(a, b);
}

/* Merge the items of all stores that are the same backup (same name). */
static void
merge_items(struct listctx *l)
{
	size_t i, o = 0;
	int k;

	if (l->n == 0)
		return;
	qsort(l->it, l->n, sizeof(*l->it), cmp_rel);
	for (i = 1; i < l->n; i++) {
		/* Each unfinished upload is its own line. */
		if (cmp_rel(&l->it[o], &l->it[i]) != 0 || l->it[i].upload) {
			l->it[++o] = l->it[i];
			continue;
		}
		for (k = 0; k < l->nstores; k++)
			if (l->it[o].c[k].url == NULL && l->it[i].c[k].url) {
				l->it[o].c[k] = l->it[i].c[k];
				l->it[i].c[k].url = NULL;
			}
		if (l->it[o].kind[0] == '\0')
			memcpy(l->it[o].kind, l->it[i].kind,
			    sizeof(l->it[o].kind));
		for (k = 0; k < l->nstores; k++)
			free(l->it[i].c[k].url);
		free(l->it[i].c);
		free(l->it[i].rel);
	}
	l->n = o + 1;
	qsort_r(l->it, l->n, sizeof(*l->it), cmp_created, &l->nstores);
}

/* A copy's state next to the primary p. */
static const char *
copy_state(const struct copy *c, const struct copy *p)
{
	if (c->url == NULL)
		return "missing";
	if (c->damaged)
		return "damaged";
	if (!c->committed)
		return "incomplete";
	if (p->committed && (c->size != p->size ||
	    strcmp(c->sha256, p->sha256) != 0))
		return "differs";
	return "committed";
}

/*
 * Text that came from a store, escaped as sha256sum escapes names
 * (backslash, newline, and here tab and other controls too), so that it
 * cannot forge a listing line or field.  *esc is set when anything was.
 */
static void
put_text(FILE *f, const char *s, int *esc)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\' || *p < ' ' || *p == 0x7f)
			*esc = 1;
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p == '\r')
			fputs("\\r", f);
		else if (*p < ' ' || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

/* The URL a copy would have in store k (for "missing="). */
static char *
url_in(struct store **st, int k, const struct item *e)
{
	char *key, *url;
	size_t plen = strrchr(st[k]->u.key, '/') ?
	    (size_t)(strrchr(st[k]->u.key, '/') - st[k]->u.key) + 1 : 0;

	if (asprintf(&key, "%.*s%s", (int)plen, st[k]->u.key, e->rel) < 0) {
		warnp("malloc");
		return NULL;
	}
	url = store_url_for(&st[k]->u, key);
	free(key);
	return url;
}

/* One listing line in text; -1 on error. */
static int
print_text(FILE *out, struct store **st, const struct listctx *l,
    const struct item *e, int *differ)
{
	const struct copy *p = primary(e, l->nstores);
	const char *state;
	char *line = NULL, *u;
	size_t len;
	FILE *f;
	int esc = 0, k, have = 0, sep = '\t';

	if ((f = open_memstream(&line, &len)) == NULL) {
		warnp("open_memstream");
		return -1;
	}
	fprintf(f, "%s\t", p->url);
	put_text(f, p->created, &esc);
	fprintf(f, "\t%llu\t%s\t", (unsigned long long)p->size,
	    p->committed ? p->sha256 : "-");
	put_text(f, p->class, &esc);
	if (!p->committed) {
		fprintf(f, "\t%s age=%llds", p->damaged ? "damaged" :
		    "incomplete", (long long)p->age);
		sep = ' ';
	}
	if (l->nstores > 1) {
		for (k = 0; k < l->nstores; k++)
			have += strcmp(copy_state(&e->c[k], p), "committed") ==
			    0;
		fprintf(f, "%ccopies=%d/%d", sep, have, l->nstores);
		for (k = 0; k < l->nstores; k++) {
			state = copy_state(&e->c[k], p);
			if (strcmp(state, "committed") == 0 || &e->c[k] == p)
				continue;
			*differ |= strcmp(state, "differs") == 0;
			u = e->c[k].url ? e->c[k].url : url_in(st, k, e);
			fprintf(f, " %s=%s", state, u ? u : "?");
			if (u != e->c[k].url)
				free(u);
		}
	}
	fputc('\n', f);
	if (fclose(f) != 0) {
		warnp("open_memstream");
		free(line);
		return -1;
	}
	k = fprintf(out, "%s%s", esc ? "\\" : "", line) < 0 ? -1 : 0;
	free(line);
	return k;
}

/* A string for JSON: itself if valid UTF-8, else its escaped text. */
static void
json_utf8(bson_t *doc, const char *key, const char *s)
{
	char *buf = NULL;
	size_t len;
	FILE *f;
	int esc = 0;

	if (bson_utf8_validate(s, strlen(s), false) ||
	    (f = open_memstream(&buf, &len)) == NULL) {
		BSON_APPEND_UTF8(doc, key, s);
		return;
	}
	put_text(f, s, &esc);
	fclose(f);
	/* Bytes above 127 that are not UTF-8 stay: replace them. */
	for (len = 0; buf != NULL && buf[len] != '\0'; len++)
		if ((unsigned char)buf[len] > 127)
			buf[len] = '?';
	BSON_APPEND_UTF8(doc, key, buf ? buf : "?");
	free(buf);
}

/* One listing line in JSON; -1 on error. */
static int
print_json(FILE *out, struct store **st, const struct listctx *l,
    const struct item *e, int *differ)
{
	const struct copy *p = primary(e, l->nstores);
	const char *base = strrchr(e->rel, '/'), *state;
	char *json, idx[16], *u;
	size_t len;
	bson_t doc, arr, one;
	int rc, k, agree = 1;

	bson_init(&doc);
	BSON_APPEND_UTF8(&doc, "url", p->url);
	json_utf8(&doc, "name", base ? base + 1 : e->rel);
	json_utf8(&doc, "created", p->created);
	BSON_APPEND_INT64(&doc, "size", (int64_t)p->size);
	if (p->committed)
		BSON_APPEND_UTF8(&doc, "sha256", p->sha256);
	if (e->kind[0] != '\0')
		BSON_APPEND_UTF8(&doc, "kind", e->kind);
	json_utf8(&doc, "storage_class", p->class);
	BSON_APPEND_BOOL(&doc, "committed", p->committed);
	if (p->damaged)
		BSON_APPEND_BOOL(&doc, "damaged", true);
	BSON_APPEND_INT64(&doc, "age", p->age);
	if (l->nstores > 1) {
		BSON_APPEND_ARRAY_BEGIN(&doc, "copies", &arr);
		for (k = 0; k < l->nstores; k++) {
			state = copy_state(&e->c[k], p);
			agree &= strcmp(state, "differs") != 0;
			u = e->c[k].url ? e->c[k].url : url_in(st, k, e);
			snprintf(idx, sizeof(idx), "%d", k);
			BSON_APPEND_DOCUMENT_BEGIN(&arr, idx, &one);
			BSON_APPEND_UTF8(&one, "url", u ? u : "?");
			BSON_APPEND_UTF8(&one, "state", state);
			if (e->c[k].committed) {
				BSON_APPEND_INT64(&one, "size",
				    (int64_t)e->c[k].size);
				BSON_APPEND_UTF8(&one, "sha256",
				    e->c[k].sha256);
			}
			bson_append_document_end(&arr, &one);
			if (u != e->c[k].url)
				free(u);
		}
		bson_append_array_end(&doc, &arr);
		BSON_APPEND_BOOL(&doc, "agree", agree);
		*differ |= !agree;
	}
	json = bson_as_relaxed_extended_json(&doc, &len);
	bson_destroy(&doc);
	if (json == NULL) {
		warn0("cannot format the listing");
		return -1;
	}
	rc = fprintf(out, "%s\n", json) < 0 ? -1 : 0;
	bson_free(json);
	return rc;
}

/* Is item e shown (committed somewhere, or --all; of --kind)? */
static int
shown(const struct listctx *l, const struct item *e)
{
	const struct copy *p = primary(e, l->nstores);

	if (!p->committed)
		return l->g->all && l->g->kind == NULL;
	return l->g->kind == NULL || strcmp(e->kind, l->g->kind) == 0;
}

/* List one prefix into l; its exit status (0 if listed). */
static int
list_store(struct listctx *l, struct store **st, const char *url, int idx)
{
	const char *slash;
	int rc;

	if ((st[idx] = store_open(url, 0)) == NULL)
		return BK_EXIT_USAGE;
	if (st[idx]->u.kind == STORE_S3)
		st[idx]->t.retries = l->g->retries;
	l->s = st[idx];
	l->idx = idx;
	slash = strrchr(st[idx]->u.key, '/');
	l->plen = slash ? (size_t)(slash - st[idx]->u.key) + 1 : 0;
	rc = store_backups(st[idx], collect_fn, l);
	return rc == S3_OK ? 0 : exit_for(rc);
}

/* The worse of two exit statuses: retry later, failure, negative. */
static int
worse(int a, int b)
{
	static const int order[] = { BK_EXIT_TEMP, BK_EXIT_USAGE, BK_EXIT_FAIL,
	    BK_EXIT_NEGATIVE };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (a == order[i] || b == order[i])
			return order[i];
	return a ? a : b;
}

static int
run_list(char **urls, int n, const struct getcfg *g)
{
	struct listctx l = { g, NULL, 0, n, 0, NULL, 0, 0, 0 };
	struct store **st;
	size_t i;
	int k, ex = 0, differ = 0, r;

	if ((st = calloc((size_t)n, sizeof(*st))) == NULL) {
		warnp("malloc");
		return BK_EXIT_FAIL;
	}
	for (k = 0; k < n; k++) {
		/* A bad URL is a usage error before anything is listed. */
		if ((r = list_store(&l, st, urls[k], k)) == BK_EXIT_USAGE) {
			ex = r;
			goto out;
		}
		ex = worse(ex, r);
	}
	merge_items(&l);
	for (i = 0; i < l.n; i++) {
		if (!shown(&l, &l.it[i]))
			continue;
		r = g->json_list ? print_json(stdout, st, &l, &l.it[i], &differ) :
		    print_text(stdout, st, &l, &l.it[i], &differ);
		if (r != 0) {
			ex = worse(ex, BK_EXIT_FAIL);
			break;
		}
	}
	if (l.damaged > 0)
		warn0("%d backup manifest%s could not be read (named above); "
		    "the listing shows the others", l.damaged,
		    l.damaged == 1 ? "" : "s");
	if (differ)
		warn0("copies of a backup differ between the stores (marked "
		    "\"differs\")");
	if (l.damaged > 0 || differ)
		ex = worse(ex, BK_EXIT_NEGATIVE);
	if (bk_close_stdout() != 0)
		ex = worse(ex, BK_EXIT_FAIL);
out:
	for (i = 0; i < l.n; i++) {
		for (k = 0; k < n; k++)
			free(l.it[i].c[k].url);
		free(l.it[i].c);
		free(l.it[i].rel);
	}
	free(l.it);
	for (k = 0; k < n; k++)
		store_close(st[k]);
	free(st);
	return ex;
}

static void
parse_args(int argc, char *argv[], struct getcfg *g, int *list)
{
	static const struct option longopts[] = {
		{ "version-id", required_argument, NULL, 'v' },
		{ "restore", no_argument, NULL, 'R' },
		{ "restore-days", required_argument, NULL, 'D' },
		{ "restore-tier", required_argument, NULL, 'T' },
		{ "wait", no_argument, NULL, 'W' },
		{ "wait-interval", required_argument, NULL, 'I' },
		{ "retries", required_argument, NULL, 'r' },
		{ "list", no_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "kind", required_argument, NULL, 'k' },
		{ "uncommitted", no_argument, NULL, 'u' },
		{ "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'Q' },
		{ "json", optional_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	long v;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'v': g->vid = optarg; break;
		case 'R': g->restore = 1; break;
		case 'D':
			if (bk_parse_long(optarg, 1, 3650, &v) != 0)
				usage(0);
			g->days = (int)v;
			break;
		case 'T': g->tier = optarg; break;
		case 'W': g->wait = 1; break;
		case 'I':
			if (bk_parse_long(optarg, 1, 86400, &g->interval) != 0)
				usage(0);
			break;
		case 'r':
			if (bk_parse_long(optarg, 0, 100, &v) != 0)
				usage(0);
			g->retries = (int)v;
			break;
		case 'l': *list = 1; break;
		case 'a': g->all = 1; break;
		case 'k': g->kind = optarg; break;
		case 'u': g->uncommitted = 1; break;
		case 'P': g->progress = 1; break;
		case 'Q': g->progress = 0; break;
		case 'J': g->json = optarg ? optarg : ""; break;
		case 'V': bk_print_version(); exit(0);
		case 'h': usage(1);
		default: usage(0);
		}
	}
	if (optind == argc || (!*list && optind != argc - 1)) {
		warn0(optind == argc ? "no source" : "one source only");
		usage(0);
	}
	if (!*list && (g->all || g->kind != NULL)) {
		warn0("--all and --kind go with --list");
		usage(0);
	}
	if (g->tier != NULL && strcmp(g->tier, "Standard") != 0 &&
	    strcmp(g->tier, "Bulk") != 0 &&
	    strcmp(g->tier, "Expedited") != 0) {
		warn0("--restore-tier %s: want Standard, Bulk or Expedited",
		    g->tier);
		usage(0);
	}
	if (g->tier == NULL)
		g->tier = "Standard";
}

int
main(int argc, char *argv[])
{
	struct getcfg g = { NULL, 0, 0, 7, 8, 0, 0, 0, 0, 60, NULL, NULL,
	    NULL };
	struct out o = { NULL, 0, -1 };
	struct bk_status *st;
	struct store *s = NULL;
	int list = 0, ex = BK_EXIT_FAIL;

	bk_setprogname(argv[0]);
	g.progress = bk_progress_default();
	parse_args(argc, argv, &g, &list);
	bk_ignore_sigpipe();
	if (s3_global_init() != 0)
		return BK_EXIT_FAIL;
	if (list) {
		/* The listing is the output: --json makes it JSON lines. */
		g.json_list = g.json != NULL;
		return run_list(argv + optind, argc - optind, &g);
	}
	st = bk_status_new(g.json, STDERR_FILENO);
	if (g.json != NULL && st == NULL)
		return BK_EXIT_FAIL;
	if ((s = store_open(argv[optind], 1)) == NULL) {
		ex = BK_EXIT_USAGE;
		goto out;
	}
	bk_status_str(st, "url", s->u.url);
	if (s->u.kind == STORE_S3)
		s->t.retries = g.retries;
	if ((ex = check_committed(s, &g, &o.size)) != 0)
		goto out;
	o.prog = bk_progress_new("downloading", 0, g.progress);
	if (s->u.kind == STORE_FILE) {
		ex = g.vid ? (warn0("--version-id: not for file:// stores"),
		    BK_EXIT_USAGE) : get_file(s->u.key, &o);
	} else {
		s->t.retries = g.retries;
		ex = get_s3(s, &g, &o);
	}
	bk_progress_done(o.prog);
	if (bk_close_stdout() != 0 && ex == 0)
		ex = BK_EXIT_FAIL;
	bk_status_int(st, "bytes", (int64_t)o.bytes);
out:
	store_close(s);
	if (bk_status_emit(st, ex) != 0 && ex == 0)
		ex = BK_EXIT_FAIL;
	return ex;
}
