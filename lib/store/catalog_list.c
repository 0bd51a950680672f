/*
 * store/catalog_list.c - the listing of backups merged across stores:
 * each prefix's backups are collected, the copies of one backup (the
 * same name below each prefix's directory) merged into one line, and
 * the lines printed oldest first, as text or JSON lines, with everything
 * that came from a store escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "bk.h"
#include "vec.h"
#include "store/catalog.h"
#include "store/driver.h"

/* One store's copy of a backup. */
struct copy {
	char *url;		/* works as given; NULL: no copy there */
	char created[40];
	char class[32];
	char sha256[65];
	uint64_t size;
	int64_t age;
	int committed, damaged;
	char key_id[40];	/* the manifest's, "" if none */
	bson_t *counts;		/* the manifest's counts, or NULL */
};

/* A backup as found under one or more prefixes. */
struct item {
	char *rel;		/* its name below its prefix's directory */
	int upload;		/* an unfinished multipart upload */
	char kind[32];
	struct copy *c;		/* one per prefix */
};

struct listctx {
	const struct catalog_listopts *o;
	struct store *s;
	int idx, nstores;	/* this store's place among the prefixes */
	size_t plen;		/* length of the prefix's directory part */
	struct item *it;
	size_t n, cap;
	int damaged;		/* manifests that could not be read */
};

/*
 * The manifest's key id and counts, for the JSON listing (a recovery
 * picks by them).  What is not there, or not of the expected type, is
 * left out: the manifest was already checked for what listing needs.
 */
static void
manifest_extras(struct copy *c, const char *manifest)
{
	bson_iter_t it;
	bson_t *m;
	const char *v;
	uint32_t len;
	const uint8_t *data;

	if ((m = bson_new_from_json((const uint8_t *)manifest, -1,
	    NULL)) == NULL)
		return;
	if (bson_iter_init_find(&it, m, "key_id") &&
	    BSON_ITER_HOLDS_UTF8(&it) && (v = bson_iter_utf8(&it, &len)) &&
	    len < sizeof(c->key_id) && strspn(v, "0123456789abcdef") == len)
		memcpy(c->key_id, v, (size_t)len + 1);
	if (bson_iter_init_find(&it, m, "counts") &&
	    BSON_ITER_HOLDS_DOCUMENT(&it)) {
		bson_iter_document(&it, &len, &data);
		c->counts = bson_new_from_data(data, len);
	}
	bson_destroy(m);
}

static int
add_item(struct listctx *l, const struct catalog_backup *b)
{
	struct item *e;
	struct copy *c;

	if (vec_grow(&l->it, &l->cap, l->n, sizeof(*l->it)) != 0)
		return BK_FAIL;
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
		return BK_FAIL;
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
	if (b->manifest != NULL)
		manifest_extras(c, b->manifest);
	return 0;
}

static void
free_copy(struct copy *c)
{
	free(c->url);
	c->url = NULL;
	if (c->counts != NULL)
		bson_destroy(c->counts);
	c->counts = NULL;
}

static int
collect_fn(const struct catalog_backup *b, void *arg)
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
				l->it[i].c[k].counts = NULL;
			}
		if (l->it[o].kind[0] == '\0')
			memcpy(l->it[o].kind, l->it[i].kind,
			    sizeof(l->it[o].kind));
		for (k = 0; k < l->nstores; k++)
			free_copy(&l->it[i].c[k]);
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
	if (p->key_id[0] != '\0')
		BSON_APPEND_UTF8(&doc, "key_id", p->key_id);
	if (p->counts != NULL)
		BSON_APPEND_DOCUMENT(&doc, "counts", p->counts);
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
		return l->o->all && l->o->kind == NULL;
	return l->o->kind == NULL || strcmp(e->kind, l->o->kind) == 0;
}

/* Collect the backups of store idx into l. */
static int
list_store(struct listctx *l, struct store *s, int idx)
{
	const char *slash = strrchr(s->u.key, '/');
	int rc;

	l->s = s;
	l->idx = idx;
	l->plen = slash ? (size_t)(slash - s->u.key) + 1 : 0;
	rc = catalog_backups(s, collect_fn, l);
	return rc == BK_OK || rc == BK_RETRY ? rc : BK_FAIL;
}

/* Print the lines shown; BK_FAIL when out fails. */
static int
print_items(FILE *out, struct store **st, const struct listctx *l,
    int *differ)
{
	size_t i;
	int r;

	for (i = 0; i < l->n; i++) {
		if (!shown(l, &l->it[i]))
			continue;
		r = l->o->json ? print_json(out, st, l, &l->it[i], differ) :
		    print_text(out, st, l, &l->it[i], differ);
		if (r != 0)
			return BK_FAIL;
	}
	return BK_OK;
}

static void
free_items(struct listctx *l)
{
	size_t i;
	int k;

	for (i = 0; i < l->n; i++) {
		for (k = 0; k < l->nstores; k++)
			free_copy(&l->it[i].c[k]);
		free(l->it[i].c);
		free(l->it[i].rel);
	}
	free(l->it);
}

int
catalog_list(struct store **st, int n, const struct catalog_listopts *o,
    FILE *out)
{
	struct listctx l = { o, NULL, 0, n, 0, NULL, 0, 0, 0 };
	int k, rc = BK_OK, differ = 0;

	for (k = 0; k < n; k++)
		rc = bk_result_worse(rc, list_store(&l, st[k], k));
	merge_items(&l);
	rc = bk_result_worse(rc, print_items(out, st, &l, &differ));
	if (l.damaged > 0)
		warn0("%d backup manifest%s could not be read (named above); "
		    "the listing shows the others", l.damaged,
		    l.damaged == 1 ? "" : "s");
	if (differ)
		warn0("copies of a backup differ between the stores (marked "
		    "\"differs\")");
	if (l.damaged > 0 || differ)
		rc = bk_result_worse(rc, BK_NEGATIVE);
	free_items(&l);
	return rc;
}
