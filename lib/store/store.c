/*
 * store/store.c - the store interface: the table of drivers, URLs, and
 * each operation handed to the driver the URL's scheme chose.  Also the
 * generic streaming writer, which cuts what it is given into parts.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "bk.h"
#include "io/sha256.h"
#include "store/driver.h"

/* Every driver, once: a new one adds its name here (and nowhere else). */
#define STORE_DRIVERS X(s3) X(file)

#define X(name) extern const struct store_driver store_driver_##name;
STORE_DRIVERS
#undef X
#define X(name) &store_driver_##name,
static const struct store_driver *const drivers[] = { STORE_DRIVERS };
#undef X
#define NDRIVERS (sizeof(drivers) / sizeof(drivers[0]))

/* The streaming writer's part size: within every driver's limits. */
#define WRITE_PART (8u << 20)

struct store_put {
	struct store *s;
	void *w;		/* the driver's write state */
	void *ctx;		/* its thread context */
	unsigned char *buf;
	size_t len;
	int seq;
};

int
store_pct_decode(char *s)
{
	char *o = s, hex[3] = { 0 };
	unsigned long v;

	for (; *s != '\0'; s++) {
		if (*s != '%') {
			*o++ = *s;
			continue;
		}
		if (!isxdigit((unsigned char)s[1]) ||
		    !isxdigit((unsigned char)s[2]))
			return -1;
		hex[0] = s[1];
		hex[1] = s[2];
		if ((v = strtoul(hex, NULL, 16)) == 0)
			return -1;
		*o++ = (char)v;
		s += 2;
	}
	*o = '\0';
	return 0;
}

int
store_key_check(const char *key)
{
	const char *p = key, *end;
	size_t n;

	for (;;) {
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		/* An empty last segment is a prefix's trailing "/". */
		if ((n == 0 && end != NULL) || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return -1;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

/* The driver for url's scheme, and where the rest starts; NULL if none. */
static const struct store_driver *
find_driver(const char *url, size_t *skip)
{
	size_t i, n;

	for (i = 0; i < NDRIVERS; i++) {
		n = strlen(drivers[i]->scheme);
		if (strncmp(url, drivers[i]->scheme, n) == 0 &&
		    strncmp(url + n, "://", 3) == 0) {
			*skip = n + 3;
			return drivers[i];
		}
	}
	return NULL;
}

/* Say that url is none of the known kinds ("not an s3:// or ... URL"). */
static void
unknown_scheme(const char *url)
{
	char known[256] = "";
	size_t i, n = 0;

	for (i = 0; i < NDRIVERS && n < sizeof(known); i++)
		n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s",
		    i ? " or " : "", drivers[i]->form);
	warn0("%s: not an %s URL", url, known);
}

int
store_url_parse(const char *url, struct store_url *u, int need_key)
{
	const struct store_driver *drv;
	char *copy, *q;
	size_t skip;
	int rc = -1;

	memset(u, 0, sizeof(*u));
	if ((copy = strdup(url)) == NULL) {
		warnp("malloc");
		return -1;
	}
	if ((q = strchr(copy, '?')) != NULL)
		*q++ = '\0';
	if ((u->url = strdup(copy)) == NULL ||
	    (q != NULL && (u->query = strdup(q)) == NULL)) {
		warnp("malloc");
		goto out;
	}
	if ((drv = find_driver(copy, &skip)) == NULL) {
		unknown_scheme(url);
		goto out;
	}
	u->drv = drv;
	rc = drv->parse(u, copy + skip, q, url, need_key);
out:
	free(copy);
	if (rc != 0)
		store_url_free(u);
	return rc;
}

void
store_url_free(struct store_url *u)
{
	if (u == NULL)
		return;
	if (u->drv != NULL && u->conf != NULL)
		u->drv->conf_free(u->conf);
	free(u->url);
	free(u->query);
	free(u->base);
	free(u->key);
	memset(u, 0, sizeof(*u));
}

char *
store_url_for(const struct store_url *u, const char *key)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *k;
	char *buf = NULL;
	size_t len;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL) {
		warnp("open_memstream");
		return NULL;
	}
	fputs(u->base, f);
	for (k = (const unsigned char *)key; *k != '\0'; k++) {
		if (*k <= ' ' || *k == 0x7f || *k == '%' || *k == '?' ||
		    *k == '#')
			fprintf(f, "%%%c%c", hex[*k >> 4], hex[*k & 15]);
		else
			fputc(*k, f);
	}
	if (u->query != NULL)
		fprintf(f, "?%s", u->query);
	if (fclose(f) != 0) {
		warnp("open_memstream");
		free(buf);
		return NULL;
	}
	return buf;
}

const char *
store_scheme(const struct store_url *u)
{
	return u->drv->scheme;
}

struct store *
store_open(const char *url, int need_key)
{
	struct store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		warnp("malloc");
		return NULL;
	}
	if (store_url_parse(url, &s->u, need_key) != 0)
		goto err;
	if (s->u.drv->open(s) != 0)
		goto err;
	return s;
err:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->u.drv != NULL)
		s->u.drv->close(s);
	store_url_free(&s->u);
	free(s);
}

void
store_set_retries(struct store *s, int retries)
{
	if (s->u.drv->set_retries != NULL)
		s->u.drv->set_retries(s, retries);
}

void
store_set_stop(volatile sig_atomic_t *flag)
{
	size_t i;

	for (i = 0; i < NDRIVERS; i++)
		if (drivers[i]->set_stop != NULL)
			drivers[i]->set_stop(flag);
}

int
store_head(struct store *s, const char *key, int *exists, uint64_t *size)
{
	return s->u.drv->head(s, key, exists, size);
}

int
store_digest(struct store *s, const char *key, unsigned char sha[32],
    int *known)
{
	*known = 0;
	return s->u.drv->digest(s, key, sha, known);
}

int
store_put_small(struct store *s, const char *key, const void *buf,
    size_t len, int noclobber, const char *content_type)
{
	return s->u.drv->put_small(s, key, buf, len, noclobber, content_type);
}

int
store_get_small(struct store *s, const char *key, size_t max, char **buf,
    size_t *len)
{
	return s->u.drv->get_small(s, key, max, buf, len);
}

int
store_list(struct store *s, const char *prefix, store_list_fn *fn,
    void *arg)
{
	return s->u.drv->list(s, prefix, fn, arg);
}

int
store_list_uploads(struct store *s, const char *prefix, store_list_fn *fn,
    void *arg)
{
	if (s->u.drv->list_uploads == NULL)
		return BK_OK;
	return s->u.drv->list_uploads(s, prefix, fn, arg);
}

int
store_remove(struct store *s, const char *key)
{
	return s->u.drv->remove(s, key);
}

int
store_remove_keep(struct store *s, const char *key, const char *run,
    int *kept)
{
	int exists, rc;
	uint64_t size;

	*kept = 0;
	if (s->u.drv->remove_keep != NULL)
		return s->u.drv->remove_keep(s, key, run, kept);
	if ((rc = store_head(s, key, &exists, &size)) != BK_OK || !exists)
		return rc;
	return store_remove(s, key);
}

int
store_create(struct store *s, const char *key, const void *buf, size_t len)
{
	int exists, rc;
	uint64_t size;

	if (s->u.drv->create != NULL)
		return s->u.drv->create(s, key, buf, len);
	if ((rc = store_head(s, key, &exists, &size)) != BK_OK)
		return rc;
	if (exists)
		return BK_NEGATIVE;
	return store_put_small(s, key, buf, len, 0, NULL);
}

int
store_remove_all(struct store *s, const char *key)
{
	if (s->u.drv->remove_all != NULL)
		return s->u.drv->remove_all(s, key);
	return store_remove(s, key);
}

int
store_undelete(struct store *s, const char *key)
{
	if (s->u.drv->undelete == NULL) {
		warn0("%s: this store cannot bring back what was removed",
		    s->u.url);
		return BK_FAIL;
	}
	return s->u.drv->undelete(s, key);
}

int
store_can_undelete(struct store *s, int *on)
{
	*on = 0;
	if (s->u.drv->can_undelete == NULL)
		return BK_OK;
	return s->u.drv->can_undelete(s, on);
}

int
store_trash_purge(struct store *s, const char *prefix, const char *before,
    int *purged)
{
	*purged = 0;
	if (s->u.drv->trash_purge == NULL)
		return BK_OK;
	return s->u.drv->trash_purge(s, prefix, before, purged);
}

int
store_lock_until(struct store *s, const char *key, int64_t *until)
{
	*until = 0;
	if (s->u.drv->lock_until == NULL)
		return BK_OK;
	return s->u.drv->lock_until(s, key, until);
}

int
store_tag(struct store *s, const char *key, const char *name,
    const char *value)
{
	if (s->u.drv->tag == NULL)
		return BK_OK;
	return s->u.drv->tag(s, key, name, value);
}

int
store_abort_uploads(struct store *s, const char *prefix, int64_t before,
    int *aborted)
{
	*aborted = 0;
	if (s->u.drv->abort_uploads == NULL)
		return BK_OK;
	return s->u.drv->abort_uploads(s, prefix, before, aborted);
}

int
store_get(struct store *s, const char *key, const char *vid,
    store_sink_fn *sink, void *arg, uint64_t *offset, int64_t size,
    int *archived)
{
	*archived = 0;
	return s->u.drv->get(s, key, vid, sink, arg, offset, size, archived);
}

int
store_has_versions(const struct store *s)
{
	return s->u.drv->versions;
}

int
store_restore(struct store *s, const char *key, const char *vid, int days,
    const char *tier)
{
	if (s->u.drv->restore == NULL) {
		warn0("%s: this store keeps no archived objects", s->u.url);
		return BK_FAIL;
	}
	return s->u.drv->restore(s, key, vid, days, tier);
}

int
store_restored(struct store *s, const char *key, const char *vid, int *done)
{
	*done = 1;
	if (s->u.drv->restored == NULL)
		return BK_OK;
	return s->u.drv->restored(s, key, vid, done);
}

struct store_put *
store_put_open(struct store *s, const char *key, const struct store_putopts *o)
{
	struct store_put *p;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->buf = malloc(WRITE_PART)) == NULL) {
		warnp("malloc");
		goto err;
	}
	p->s = s;
	if (s->u.drv->w_thread != NULL && s->u.drv->w_thread(s, &p->ctx) != 0)
		goto err;
	if ((p->w = s->u.drv->w_open(s, key, o)) == NULL)
		goto err;
	return p;
err:
	store_put_abort(p);
	return NULL;
}

/* Store the buffered bytes as the next part. */
static int
put_flush(struct store_put *p, int last)
{
	const struct store_driver *drv = p->s->u.drv;
	unsigned char sum[32];
	struct store_wpart part = { p->seq, p->buf, p->len, NULL, last };
	int rc;

	if (drv->part_sums) {
		if (bk_sha256(p->buf, p->len, sum) != 0)
			return BK_FAIL;
		part.sum = sum;
	}
	if ((rc = drv->w_part(p->w, p->ctx, &part)) == BK_OK) {
		p->seq++;
		p->len = 0;
	}
	return rc;
}

int
store_put_write(struct store_put *p, const void *buf, size_t len)
{
	size_t n;
	int rc;

	while (len > 0) {
		/* A full part goes only once more follows: it is not last. */
		if (p->len == WRITE_PART && (rc = put_flush(p, 0)) != BK_OK)
			return rc;
		n = WRITE_PART - p->len < len ? WRITE_PART - p->len : len;
		memcpy(p->buf + p->len, buf, n);
		p->len += n;
		buf = (const unsigned char *)buf + n;
		len -= n;
	}
	return BK_OK;
}

int
store_put_commit(struct store_put *p)
{
	int rc;

	if ((rc = put_flush(p, 1)) == BK_OK) {
		rc = p->s->u.drv->w_commit(p->w, p->seq);
		p->w = NULL;
	}
	store_put_abort(p);
	return rc;
}

void
store_put_abort(struct store_put *p)
{
	if (p == NULL)
		return;
	if (p->w != NULL)
		p->s->u.drv->w_abort(p->w);
	if (p->ctx != NULL)
		p->s->u.drv->w_thread_free(p->ctx);
	free(p->buf);
	free(p);
}
