/*
 * store.c - URLs, the file:// store, and the listing of backups for
 * both kinds of store.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "bk.h"
#include "manifest.h"
#include "store.h"

#define LIST_MAX 1000000	/* objects under one prefix */

/* Decode %XX in place; -1 on a malformed escape or a NUL. */
static int
pct_decode(char *s)
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

/* Parse "k=v&k=v" into the known s3 settings. */
static int
parse_query(char *q, struct store_url *u, const char *url)
{
	char *p, *save = NULL, *eq, **dst;

	for (p = strtok_r(q, "&", &save); p != NULL;
	    p = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(p, '=')) == NULL)
			goto bad;
		*eq++ = '\0';
		if (strcmp(p, "profile") == 0)
			dst = &u->profile;
		else if (strcmp(p, "region") == 0)
			dst = &u->region;
		else if (strcmp(p, "endpoint") == 0)
			dst = &u->endpoint;
		else if (strcmp(p, "style") == 0)
			dst = &u->style;
		else
			goto bad;
		if (pct_decode(eq) != 0 || *eq == '\0' || *dst != NULL)
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

static int
parse_s3(char *rest, struct store_url *u, const char *url, int need_key)
{
	char *slash = strchr(rest, '/');

	if (slash != NULL)
		*slash = '\0';
	if (*rest == '\0' || strlen(rest) > 63) {
		warn0("%s: no bucket name", url);
		return -1;
	}
	/*
	 * Letters, digits, "-", "_" and inner dots, as S3 (and its legacy
	 * names) allow: "." or ".." would be a path segment, other bytes
	 * would change the host name of virtual-hosted requests.
	 */
	if (strspn(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_") != strlen(rest) || rest[0] == '.' ||
	    rest[strlen(rest) - 1] == '.') {
		warn0("%s: %s is not a bucket name", url, rest);
		return -1;
	}
	u->kind = STORE_S3;
	if ((u->bucket = strdup(rest)) == NULL ||
	    (u->key = strdup(slash ? slash + 1 : "")) == NULL) {
		warnp("malloc");
		return -1;
	}
	if (pct_decode(u->key) != 0) {
		warn0("%s: bad %%-escape in the key", url);
		return -1;
	}
	if (s3_key_check(u->key) != 0) {
		warn0("%s: a key with a \".\", \"..\" or empty segment names "
		    "another object", url);
		return -1;
	}
	if (need_key && (u->key[0] == '\0' ||
	    u->key[strlen(u->key) - 1] == '/')) {
		warn0("%s: names a prefix, not an object", url);
		return -1;
	}
	return 0;
}

static int
parse_file(char *rest, struct store_url *u, const char *url, int need_key)
{
	if (strncmp(rest, "localhost/", 10) == 0)
		rest += 9;
	if (*rest != '/') {
		warn0("%s: a file URL is file:///absolute/path", url);
		return -1;
	}
	u->kind = STORE_FILE;
	if ((u->key = strdup(rest)) == NULL) {
		warnp("malloc");
		return -1;
	}
	if (pct_decode(u->key) != 0) {
		warn0("%s: bad %%-escape in the path", url);
		return -1;
	}
	/* The leading "/" of the absolute path is no segment. */
	if (u->key[1] != '\0' && s3_key_check(u->key + 1) != 0) {
		warn0("%s: a path with a \".\", \"..\" or empty segment names "
		    "another file", url);
		return -1;
	}
	if (need_key && u->key[strlen(u->key) - 1] == '/') {
		warn0("%s: names a directory, not a file", url);
		return -1;
	}
	return 0;
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
	if (u->kind == STORE_S3)
		fprintf(f, "s3://%s/", u->bucket);
	else
		fputs("file://", f);
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

int
store_url_parse(const char *url, struct store_url *u, int need_key)
{
	char *copy, *q;
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
	if (strncmp(copy, "s3://", 5) == 0)
		rc = parse_s3(copy + 5, u, url, need_key);
	else if (strncmp(copy, "file://", 7) == 0) {
		rc = parse_file(copy + 7, u, url, need_key);
		if (rc == 0 && q != NULL) {
			warn0("%s: a file URL takes no settings", url);
			rc = -1;
		}
	} else
		warn0("%s: not an s3:// or file:/// URL", url);
	if (rc == 0 && q != NULL && u->kind == STORE_S3)
		rc = parse_query(q, u, u->url);
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
	free(u->url);
	free(u->query);
	free(u->bucket);
	free(u->key);
	free(u->profile);
	free(u->region);
	free(u->endpoint);
	free(u->style);
	memset(u, 0, sizeof(*u));
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
	if (s->u.kind == STORE_S3) {
		if (s3_target_init(&s->t, s->u.bucket, s->u.profile,
		    s->u.region, s->u.endpoint, s->u.style) != 0)
			goto err;
		if ((s->c = s3_client_new(&s->t)) == NULL)
			goto err;
	}
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
	s3_client_free(s->c);
	if (s->u.kind == STORE_S3)
		s3_target_free(&s->t);
	store_url_free(&s->u);
	free(s);
}

int
store_head(struct store *s, const char *key, int *exists, uint64_t *size)
{
	struct s3_resp r = { 0 };
	struct stat st;
	int rc;

	if (s->u.kind == STORE_FILE) {
		if (stat(key, &st) == 0) {
			*exists = 1;
			*size = (uint64_t)st.st_size;
			return S3_OK;
		}
		if (errno == ENOENT) {
			*exists = 0;
			*size = 0;
			return S3_OK;
		}
		warnp("stat %s", key);
		return S3_PERM;
	}
	rc = s3_head(s->c, key, NULL, &r);
	*exists = (rc == S3_OK && r.status != 404);
	*size = r.length;
	s3_resp_free(&r);
	return rc;
}

static int
file_digest(const char *path, unsigned char sha[32])
{
	static unsigned char buf[256 * 1024];
	EVP_MD_CTX *ctx;
	ssize_t n = -1;
	int fd;

	if ((fd = bk_open_regular(path, 0, "object")) == -1)
		return S3_PERM;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		warn0("SHA-256: cannot start");
		goto out;
	}
	while ((n = bk_read_full(fd, buf, sizeof(buf), path)) > 0)
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			warn0("SHA-256: cannot hash %s", path);
			n = -1;
			break;
		}
	if (n == 0 && EVP_DigestFinal_ex(ctx, sha, NULL) != 1) {
		warn0("SHA-256: cannot finish");
		n = -1;
	}
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return n == 0 ? S3_OK : S3_PERM;
}

int
store_digest(struct store *s, const char *key, unsigned char sha[32],
    int *known)
{
	struct s3_resp r = { 0 };
	unsigned char raw[48];
	int rc;

	*known = 0;
	if (s->u.kind == STORE_FILE) {
		if ((rc = file_digest(key, sha)) == S3_OK)
			*known = 1;
		return rc;
	}
	if ((rc = s3_head_checksum(s->c, key, &r)) == S3_OK &&
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

int
store_put_small(struct store *s, const char *key, const void *buf,
    size_t len, int noclobber, const char *content_type)
{
	struct s3_putopts o = { .content_type = content_type,
	    .noclobber = noclobber };
	unsigned char sum[32];
	int exists, rc;
	uint64_t size;

	if (s->u.kind == STORE_FILE)
		return bk_atomic_write(key, buf, len, 0640, noclobber) == 0 ?
		    S3_OK : S3_PERM;
	/* Stores without conditional writes: refuse what we can see. */
	if (noclobber) {
		if ((rc = store_head(s, key, &exists, &size)) != S3_OK)
			return rc;
		if (exists) {
			warn0("%s/%s: already exists; not overwritten",
			    s->t.name, key);
			return S3_PERM;
		}
	}
	SHA256(buf, len, sum);
	return s3_put_object(s->c, key, buf, len, sum, &o);
}

/* A sidecar or manifest in a directory: a FIFO there never blocks. */
static int
file_get_small(const char *path, size_t max, char **buf, size_t *len)
{
	if ((*buf = bk_read_small_file(path, max, len, "file")) == NULL)
		return S3_PERM;
	return S3_OK;
}

int
store_get_small(struct store *s, const char *key, size_t max, char **buf,
    size_t *len)
{
	if (s->u.kind == STORE_FILE)
		return file_get_small(key, max, buf, len);
	return s3_get_small(s->c, key, max, buf, len);
}

static int
file_list(const char *prefix, int (*fn)(const struct store_obj *, void *),
    void *arg)
{
	char *dir, *slash, *path = NULL;
	const char *base;
	struct store_obj o;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = S3_OK;

	if ((dir = strdup(prefix)) == NULL) {
		warnp("malloc");
		return S3_PERM;
	}
	slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = '\0';
	base = prefix + (strrchr(prefix, '/') - prefix) + 1;
	if ((d = opendir(dir)) == NULL) {
		warnp("open directory %s", dir);
		free(dir);
		return S3_PERM;
	}
	while (rc == S3_OK && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, strlen(base)) != 0 ||
		    de->d_name[0] == '.' || strstr(de->d_name, ".tmp.") != NULL)
			continue;
		if (asprintf(&path, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
		    de->d_name) < 0) {
			warnp("malloc");
			rc = S3_PERM;
			break;
		}
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			o = (struct store_obj){ path, (uint64_t)st.st_size,
			    (int64_t)st.st_mtime, "FILE" };
			rc = fn(&o, arg);
		}
		free(path);
	}
	closedir(d);
	free(dir);
	return rc;
}

struct s3_adapt {
	int (*fn)(const struct store_obj *, void *);
	void *arg;
};

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

static int
s3_adapt_fn(const struct s3_object *so, void *arg)
{
	struct s3_adapt *a = arg;
	struct store_obj o = { so->key, so->size, iso_time(so->last_modified),
	    so->storage_class };

	return a->fn(&o, a->arg);
}

int
store_list(struct store *s, const char *prefix,
    int (*fn)(const struct store_obj *, void *), void *arg)
{
	struct s3_adapt a = { fn, arg };

	if (s->u.kind == STORE_FILE)
		return file_list(prefix, fn, arg);
	return s3_list(s->c, prefix, s3_adapt_fn, &a);
}

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
};

static int
collect_fn(const struct store_obj *o, void *arg)
{
	struct collect *c = arg;
	struct entry *ne;

	if (c->n == LIST_MAX) {
		warn0("more than %d objects under the prefix", LIST_MAX);
		return S3_PERM;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		if ((ne = realloc(c->e, c->cap * sizeof(*ne))) == NULL) {
			warnp("malloc");
			return S3_PERM;
		}
		c->e = ne;
	}
	if ((c->e[c->n].key = strdup(o->key)) == NULL) {
		warnp("malloc");
		return S3_PERM;
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
store_is_sidecar(const char *key)
{
	return has_suffix(key, STORE_SUM_SUFFIX) ||
	    has_suffix(key, STORE_MANIFEST_SUFFIX);
}

static struct entry *
find_entry(struct collect *c, const char *key)
{
	struct entry k = { (char *)key, 0, 0, "" };

	if (c->n == 0)
		return NULL;
	return bsearch(&k, c->e, c->n, sizeof(k), cmp_entry);
}

/* Report one data object, reading its manifest if it has one. */
static int
report_backup(struct store *s, struct collect *c, struct entry *e,
    int (*fn)(const struct store_backup *, void *), void *arg)
{
	struct store_backup b = { e->key, NULL, e->size, "-", e->class, 0, 0,
	    (int64_t)time(NULL) - e->mtime, NULL, "" };
	struct manifest m;
	char *mkey = NULL, *json = NULL, when[32];
	size_t len;
	struct tm tm;
	time_t t = (time_t)e->mtime;
	int rc;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	b.created = when;
	if (asprintf(&mkey, "%s%s", e->key, STORE_MANIFEST_SUFFIX) < 0) {
		warnp("malloc");
		return S3_PERM;
	}
	if (find_entry(c, mkey) != NULL) {
		/*
		 * One unreadable manifest must not hide the others: it is
		 * reported (naming it) and the backup marked damaged.  Only a
		 * temporary failure stops the listing (retry it later).
		 */
		rc = store_get_small(s, mkey, STORE_SMALL_MAX, &json, &len);
		if (rc == S3_TEMP)
			goto out;
		if (rc != S3_OK || manifest_parse(json, len, mkey, &m) != 0) {
			b.damaged = 1;
		} else {
			b.committed = 1;
			b.size = m.size;
			b.sha256 = m.sha256;
			b.kind = m.kindbuf;
			if (m.created[0] != '\0') {
				memcpy(when, m.created, sizeof(when));
				when[sizeof(when) - 1] = '\0';
			}
			b.manifest = json;
		}
	}
	rc = fn(&b, arg);
out:
	free(json);
	free(mkey);
	return rc;
}

struct upctx {
	int (*fn)(const struct store_backup *, void *);
	void *arg;
};

static int
upload_fn(const struct s3_object *o, void *arg)
{
	struct upctx *u = arg;
	int64_t t = iso_time(o->last_modified);
	struct store_backup b = { o->key, o->last_modified, 0, "-",
	    o->storage_class, 0, 0, t ? (int64_t)time(NULL) - t : 0, NULL,
	    "" };

	return u->fn(&b, u->arg);
}

/* Killed uploads are invisible as objects but cost storage: show them. */
static int
report_uploads(struct store *s, int (*fn)(const struct store_backup *,
    void *), void *arg)
{
	struct upctx u = { fn, arg };

	return s3_list_uploads(s->c, s->u.key, upload_fn, &u);
}

int
store_backups(struct store *s, int (*fn)(const struct store_backup *,
    void *), void *arg)
{
	struct collect c = { NULL, 0, 0 };
	size_t i;
	int rc;

	rc = store_list(s, s->u.key, collect_fn, &c);
	if (rc == S3_OK && c.n > 0)
		qsort(c.e, c.n, sizeof(c.e[0]), cmp_entry);
	for (i = 0; rc == S3_OK && i < c.n; i++) {
		if (store_is_sidecar(c.e[i].key))
			continue;
		rc = report_backup(s, &c, &c.e[i], fn, arg);
	}
	for (i = 0; i < c.n; i++)
		free(c.e[i].key);
	free(c.e);
	if (rc == S3_OK && s->u.kind == STORE_S3)
		rc = report_uploads(s, fn, arg);
	return rc;
}
