/*
 * store/s3store.c - the s3:// driver: the store operations on the S3
 * client (store/s3.c).  A write is one PutObject when the stream fits
 * in its first part, else a multipart upload whose parts go in parallel,
 * each with its SHA-256 (x-amz-checksum-sha256), completed or aborted.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "bk.h"
#include "io/sha256.h"
#include "vec.h"
#include "store/driver.h"
#include "store/s3.h"

/* An open s3 store: the bucket's settings and the main thread's client. */
struct s3store {
	struct s3_target t;
	struct s3_client *c;
	int versioning;		/* the bucket's, once asked: 1, 0; -1 */
};

/* A write in progress. */
struct s3write {
	struct s3store *st;
	char *key;
	const char *url;	/* for messages */
	const struct store_putopts *o;
	pthread_mutex_t mu;	/* guards upload_id creation */
	char *upload_id;
	char (*etags)[256];
	unsigned char (*sums)[32];
	int single;		/* whole stream in one PutObject */
};

/* Parse "k=v&k=v" into the known s3 settings. */
static int
parse_query(char *q, struct s3_location *l, const char *url)
{
	char *p, *save = NULL, *eq, **dst;

	for (p = strtok_r(q, "&", &save); p != NULL;
	    p = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(p, '=')) == NULL)
			goto bad;
		*eq++ = '\0';
		if (strcmp(p, "profile") == 0)
			dst = &l->profile;
		else if (strcmp(p, "region") == 0)
			dst = &l->region;
		else if (strcmp(p, "endpoint") == 0)
			dst = &l->endpoint;
		else if (strcmp(p, "style") == 0)
			dst = &l->style;
		else
			goto bad;
		if (store_pct_decode(eq) != 0 || *eq == '\0' || *dst != NULL)
			goto bad;
		if ((*dst = strdup(eq)) == NULL) {
			warnp("malloc");
			return -1;
		}
	}
	return 0;
bad:
	warn0("%s: bad or unknown setting %s (known: profile, region, "
	    "endpoint, style)", url, p);
	return -1;
}

/*
 * Letters, digits, "-", "_" and inner dots, as S3 (and its legacy names)
 * allow: "." or ".." would be a path segment, other bytes would change
 * the host name of virtual-hosted requests.  0, or -1 (reported).
 */
static int
check_bucket(const char *b, const char *url)
{
	if (*b == '\0' || strlen(b) > 63) {
		warn0("%s: no bucket name", url);
		return -1;
	}
	if (strspn(b, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_") != strlen(b) || b[0] == '.' ||
	    b[strlen(b) - 1] == '.') {
		warn0("%s: %s is not a bucket name", url, b);
		return -1;
	}
	return 0;
}

static int
s3d_parse(struct store_url *u, char *rest, char *query, const char *url,
    int need_key)
{
	struct s3_location *l;
	char *slash = strchr(rest, '/');

	if (slash != NULL)
		*slash = '\0';
	if (check_bucket(rest, url) != 0)
		return -1;
	if ((u->conf = l = calloc(1, sizeof(*l))) == NULL ||
	    (l->bucket = strdup(rest)) == NULL ||
	    (u->key = strdup(slash ? slash + 1 : "")) == NULL ||
	    asprintf(&u->base, "s3://%s/", rest) < 0) {
		u->base = NULL;
		warnp("malloc");
		return -1;
	}
	if (store_pct_decode(u->key) != 0) {
		warn0("%s: bad %%-escape in the key", url);
		return -1;
	}
	if (store_key_check(u->key) != 0) {
		warn0("%s: a key with a \".\", \"..\" or empty segment names "
		    "another object", url);
		return -1;
	}
	if (need_key && (u->key[0] == '\0' ||
	    u->key[strlen(u->key) - 1] == '/')) {
		warn0("%s: names a prefix, not an object", url);
		return -1;
	}
	return query != NULL ? parse_query(query, l, u->url) : 0;
}

static void
s3d_conf_free(void *conf)
{
	struct s3_location *l = conf;

	free(l->bucket);
	free(l->profile);
	free(l->region);
	free(l->endpoint);
	free(l->style);
	free(l);
}

static int
s3d_open(struct store *s)
{
	static int curl_ready;
	struct s3_location *l = s->u.conf;
	struct s3store *st;

	/* store_open runs before any thread starts: libcurl's global state. */
	if (!curl_ready && s3_global_init() != 0)
		return -1;
	curl_ready = 1;
	if ((s->priv = st = calloc(1, sizeof(*st))) == NULL) {
		warnp("malloc");
		return -1;
	}
	st->versioning = -1;
	if (s3_target_init(&st->t, l->bucket, l->profile, l->region,
	    l->endpoint, l->style) != 0)
		return -1;
	if ((st->c = s3_client_new(&st->t)) == NULL)
		return -1;
	return 0;
}

static void
s3d_close(struct store *s)
{
	struct s3store *st = s->priv;

	if (st == NULL)
		return;
	s3_client_free(st->c);
	s3_target_free(&st->t);
	free(st);
	s->priv = NULL;
}

static void
s3d_set_retries(struct store *s, int retries)
{
	((struct s3store *)s->priv)->t.retries = retries;
}

static int
s3d_head(struct store *s, const char *key, int *exists, uint64_t *size)
{
	struct s3store *st = s->priv;
	struct s3_resp r = { 0 };
	int rc;

	rc = s3_head(st->c, key, NULL, &r);
	*exists = (rc == BK_OK && r.status != 404);
	*size = r.length;
	s3_resp_free(&r);
	return rc;
}

static int
s3d_digest(struct store *s, const char *key, unsigned char sha[32],
    int *known)
{
	struct s3store *st = s->priv;
	struct s3_resp r = { 0 };
	unsigned char raw[48];
	int rc;

	if ((rc = s3_head_checksum(st->c, key, &r)) == BK_OK &&
	    r.status == 200 && strlen(r.checksum_sha256) == 44 &&
	    EVP_DecodeBlock(raw, (const unsigned char *)r.checksum_sha256,
	    44) == 33) {
		/* 44 base64 characters: 32 bytes and one of padding. */
		memcpy(sha, raw, 32);
		*known = 1;
	}
	s3_resp_free(&r);
	return rc;
}

static int
s3d_get(struct store *s, const char *key, const char *vid,
    store_sink_fn *sink, void *arg, uint64_t *offset, int64_t size,
    int *archived)
{
	struct s3store *st = s->priv;
	int rc;

	rc = s3_get(st->c, key, vid, sink, arg, offset, size, archived);
	return *archived ? BK_NEGATIVE : rc;
}

static int
s3d_get_small(struct store *s, const char *key, size_t max, char **buf,
    size_t *len)
{
	return s3_get_small(((struct s3store *)s->priv)->c, key, max, buf,
	    len);
}

static int
s3d_put_small(struct store *s, const char *key, const void *buf, size_t len,
    int noclobber, const char *content_type)
{
	struct store_putopts o = { .content_type = content_type,
	    .noclobber = noclobber };
	struct s3store *st = s->priv;
	unsigned char sum[32];
	int exists, rc;
	uint64_t size;

	/* Stores without conditional writes: refuse what we can see. */
	if (noclobber) {
		if ((rc = s3d_head(s, key, &exists, &size)) != BK_OK)
			return rc;
		if (exists) {
			warn0("%s/%s: already exists; not overwritten",
			    st->t.name, key);
			return BK_FAIL;
		}
	}
	if (bk_sha256(buf, len, sum) != 0)
		return BK_FAIL;
	return s3_put_object(st->c, key, buf, len, sum, &o);
}

/* ISO 8601 "2026-11-26T15:00:00.000Z" to seconds; 0 if unparsable. */
static int64_t
iso_time(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return (int64_t)timegm(&tm);
}

struct adapt {
	store_list_fn *fn;
	void *arg;
	int uploads;		/* keep the server's time text */
};

static int
adapt_fn(const struct s3_object *so, void *arg)
{
	struct adapt *a = arg;
	struct store_obj o = { so->key, so->size, iso_time(so->last_modified),
	    so->storage_class, a->uploads ? so->last_modified : NULL };

	return a->fn(&o, a->arg);
}

static int
s3d_list(struct store *s, const char *prefix, store_list_fn *fn, void *arg)
{
	struct adapt a = { fn, arg, 0 };

	return s3_list(((struct s3store *)s->priv)->c, prefix, 0, adapt_fn,
	    &a);
}

static int
s3d_list_uploads(struct store *s, const char *prefix, store_list_fn *fn,
    void *arg)
{
	struct adapt a = { fn, arg, 1 };

	return s3_list(((struct s3store *)s->priv)->c, prefix, 1, adapt_fn,
	    &a);
}

static int
s3d_remove(struct store *s, const char *key)
{
	return s3_delete(((struct s3store *)s->priv)->c, key);
}

static int
s3d_restore(struct store *s, const char *key, const char *vid, int days,
    const char *tier)
{
	return s3_restore(((struct s3store *)s->priv)->c, key, vid, days,
	    tier);
}

/* Is a restore of the archived object finished (x-amz-restore)? */
static int
s3d_restored(struct store *s, const char *key, const char *vid, int *done)
{
	struct s3_resp r = { 0 };
	int rc;

	*done = 0;
	if ((rc = s3_head(((struct s3store *)s->priv)->c, key, vid, &r)) !=
	    BK_OK)
		return rc;
	*done = strstr(r.restore, "ongoing-request=\"false\"") != NULL;
	s3_resp_free(&r);
	return BK_OK;
}

static int
s3d_create(struct store *s, const char *key, const void *buf, size_t len)
{
	return s3_put_if_absent(((struct s3store *)s->priv)->c, key, buf, len);
}

static int
s3d_remove_all(struct store *s, const char *key)
{
	return s3_delete_all(((struct s3store *)s->priv)->c, key);
}

/* Asked once per store: a prune asks for every object it removes. */
static int
s3d_can_undelete(struct store *s, int *on)
{
	struct s3store *st = s->priv;
	int rc;

	if (st->versioning < 0 &&
	    (rc = s3_versioning(st->c, &st->versioning)) != BK_OK) {
		st->versioning = -1;
		return rc;
	}
	*on = st->versioning;
	return BK_OK;
}

/* A delete: with versioning on, a delete marker over the old version. */
static int
s3d_remove_keep(struct store *s, const char *key, const char *run,
    int *kept)
{
	uint64_t size;
	int exists, rc;

	(void)run;
	*kept = 0;
	if ((rc = s3d_head(s, key, &exists, &size)) != BK_OK || !exists)
		return rc;
	if ((rc = s3d_remove(s, key)) == BK_OK)
		rc = s3d_can_undelete(s, kept);
	return rc;
}

static int
s3d_undelete(struct store *s, const char *key)
{
	struct s3store *st = s->priv;
	char *vid;
	int rc;

	if ((rc = s3_latest_marker(st->c, key, &vid)) != BK_OK)
		return rc;
	if (vid == NULL)
		return BK_NEGATIVE;
	rc = s3_delete_version(st->c, key, vid);
	free(vid);
	return rc;
}

static int
s3d_lock_until(struct store *s, const char *key, int64_t *until)
{
	struct s3_resp r = { 0 };
	int rc;

	*until = 0;
	if ((rc = s3_head(((struct s3store *)s->priv)->c, key, NULL, &r)) ==
	    BK_OK) {
		if (strcmp(r.legal_hold, "ON") == 0)
			*until = INT64_MAX;
		else if (r.lock_until[0] != '\0')
			*until = iso_time(r.lock_until);
	}
	s3_resp_free(&r);
	return rc;
}

static int
s3d_tag(struct store *s, const char *key, const char *name,
    const char *value)
{
	return s3_put_tag(((struct s3store *)s->priv)->c, key, name, value);
}

struct upload {
	char *key, *id;
};

struct uploads {
	struct upload *u;
	size_t n, cap;
	int64_t before;
};

static int
old_upload(const struct s3_object *o, void *arg)
{
	struct uploads *l = arg;

	if (o->upload_id == NULL || iso_time(o->last_modified) >= l->before)
		return 0;
	if (vec_grow(&l->u, &l->cap, l->n, sizeof(*l->u)) != 0)
		return BK_FAIL;
	l->u[l->n].key = strdup(o->key);
	l->u[l->n].id = strdup(o->upload_id);
	if (l->u[l->n].key == NULL || l->u[l->n].id == NULL) {
		warnp("malloc");
		free(l->u[l->n].key);
		free(l->u[l->n].id);
		return BK_FAIL;
	}
	l->n++;
	return 0;
}

static int
s3d_abort_uploads(struct store *s, const char *prefix, int64_t before,
    int *aborted)
{
	struct s3store *st = s->priv;
	struct uploads l = { NULL, 0, 0, before };
	size_t i;
	int rc;

	*aborted = 0;
	rc = s3_list(st->c, prefix, 1, old_upload, &l);
	for (i = 0; i < l.n; i++) {
		if (rc == BK_OK &&
		    (rc = s3_mpu_abort(st->c, l.u[i].key, l.u[i].id)) == BK_OK)
			(*aborted)++;
		free(l.u[i].key);
		free(l.u[i].id);
	}
	free(l.u);
	return rc;
}

static void
w_free(struct s3write *w)
{
	pthread_mutex_destroy(&w->mu);
	free(w->key);
	free(w->upload_id);
	free(w->etags);
	free(w->sums);
	free(w);
}

static void *
s3d_w_open(struct store *s, const char *key, const struct store_putopts *o)
{
	struct s3write *w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		warnp("malloc");
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	w->st = s->priv;
	w->url = s->u.url;
	w->o = o;
	if ((w->key = strdup(key)) == NULL ||
	    (w->etags = calloc(S3_MAX_PARTS, sizeof(*w->etags))) == NULL ||
	    (w->sums = calloc(S3_MAX_PARTS, sizeof(*w->sums))) == NULL) {
		warnp("malloc");
		w_free(w);
		return NULL;
	}
	return w;
}

/* Each thread that stores parts has its own client (curl handle). */
static int
s3d_w_thread(struct store *s, void **ctx)
{
	struct s3store *st = s->priv;

	return (*ctx = s3_client_new(&st->t)) == NULL ? -1 : 0;
}

static void
s3d_w_thread_free(void *ctx)
{
	s3_client_free(ctx);
}

/* The multipart upload, created by the first part that needs it. */
static int
ensure_upload(struct s3write *w, struct s3_client *c)
{
	int rc = BK_OK;

	pthread_mutex_lock(&w->mu);
	if (w->upload_id == NULL)
		rc = s3_mpu_create(c, w->key, w->o, &w->upload_id);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

static int
s3d_w_part(void *wp, void *ctx, const struct store_wpart *p)
{
	struct s3write *w = wp;
	struct s3_client *c = ctx;
	int rc;

	if (p->seq >= S3_MAX_PARTS) {
		warn0("%s: more than %d parts", w->url, S3_MAX_PARTS);
		return BK_FAIL;
	}
	if (p->seq == 0 && p->last) {
		w->single = 1;
		return s3_put_object(c, w->key, p->buf, p->len, p->sum, w->o);
	}
	if ((rc = ensure_upload(w, c)) != BK_OK)
		return rc;
	memcpy(w->sums[p->seq], p->sum, 32);
	return s3_mpu_part(c, w->key, w->upload_id, p->seq + 1, p->buf,
	    p->len, p->sum, w->etags[p->seq]);
}

/* Nothing half-made stays behind (parts cost money, too). */
static void
s3d_w_abort(void *wp)
{
	struct s3write *w = wp;

	if (w->upload_id != NULL &&
	    s3_mpu_abort(w->st->c, w->key, w->upload_id) == BK_OK)
		warn0("%s: multipart upload aborted", w->url);
	w_free(w);
}

static int
s3d_w_commit(void *wp, int nparts)
{
	struct s3write *w = wp;
	int rc = BK_OK;

	if (!w->single)
		rc = s3_mpu_complete(w->st->c, w->key, w->upload_id, nparts,
		    w->etags, (const unsigned char (*)[32])w->sums,
		    w->o->noclobber);
	if (rc != BK_OK) {
		s3d_w_abort(w);
		return rc;
	}
	w_free(w);
	return BK_OK;
}

const struct store_driver store_driver_s3 = {
	.scheme = "s3",
	.form = "s3://",
	.parallel = 1,
	.part_sums = 1,		/* x-amz-checksum-sha256 on every part */
	.versions = 1,
	.parse = s3d_parse,
	.conf_free = s3d_conf_free,
	.open = s3d_open,
	.close = s3d_close,
	.set_retries = s3d_set_retries,
	.set_stop = s3_set_stop,
	.head = s3d_head,
	.digest = s3d_digest,
	.get = s3d_get,
	.get_small = s3d_get_small,
	.put_small = s3d_put_small,
	.list = s3d_list,
	.list_uploads = s3d_list_uploads,
	.remove = s3d_remove,
	.remove_keep = s3d_remove_keep,
	.remove_all = s3d_remove_all,
	.create = s3d_create,
	.undelete = s3d_undelete,
	.can_undelete = s3d_can_undelete,
	.lock_until = s3d_lock_until,
	.tag = s3d_tag,
	.abort_uploads = s3d_abort_uploads,
	.restore = s3d_restore,
	.restored = s3d_restored,
	.w_open = s3d_w_open,
	.w_thread = s3d_w_thread,
	.w_thread_free = s3d_w_thread_free,
	.w_part = s3d_w_part,
	.w_commit = s3d_w_commit,
	.w_abort = s3d_w_abort,
};
