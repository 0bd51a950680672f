/*
 * store.h - where backups live, behind one interface: s3://bucket/key
 * (with per-destination settings in the URL's query) and file:///path (a
 * local or NAS directory).  Also the commit protocol's names and the
 * listing of committed backups.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "s3.h"

#define STORE_SUM_SUFFIX ".sha256"
#define STORE_MANIFEST_SUFFIX ".manifest.json"
#define STORE_SMALL_MAX (1024 * 1024)	/* sidecars and manifests */

enum store_kind { STORE_FILE, STORE_S3 };

struct store_url {
	enum store_kind kind;
	char *url;		/* as given, without the query: for messages */
	char *query;		/* the query as given (after '?'), or NULL */
	char *bucket;		/* s3 */
	char *key;		/* s3: object key; file: absolute path */
	char *profile, *region, *endpoint, *style;	/* s3 query */
};

struct store {
	struct store_url u;
	struct s3_target t;	/* s3 only */
	struct s3_client *c;	/* s3 only: the calling thread's client */
};

/* One entry of a listing: an object or file under a prefix. */
struct store_obj {
	const char *key;	/* s3 key, or file path */
	uint64_t size;
	int64_t mtime;		/* seconds since the epoch, UTC */
	const char *class;	/* storage class ("STANDARD", "FILE") */
};

/* One backup found under a prefix. */
struct store_backup {
	const char *name;	/* data object key or path */
	const char *created;	/* manifest's time, or the object's */
	uint64_t size;
	const char *sha256;	/* hex, "-" when not committed */
	const char *class;
	int committed;		/* has a manifest */
	int damaged;		/* has a manifest that cannot be read */
	int64_t age;		/* seconds since it was written */
	const char *manifest;	/* the manifest JSON, NULL if none */
	const char *kind;	/* the manifest's kind, "" if none */
};

/*
 * Parse url into u: "s3://bucket/key[?profile=P&region=R&endpoint=URL&
 * style=path|virtual]" or "file:///absolute/path".  With need_key, a key
 * (or a path that is not "/") is required.  A key or path with a "." or
 * ".." segment, or an empty segment (before its end), is refused: it
 * would be sent or opened as another name.  0, or -1 (reported).
 */
int store_url_parse(const char *url, struct store_url *u, int need_key);
void store_url_free(struct store_url *u);

/*
 * A URL for key in the store of u, that store_url_parse takes back to
 * the same key: characters that are not printable ASCII or that mean
 * something in a URL ("%", "?", "#", space, controls) are %-escaped,
 * and u's query is kept.  A new string, or NULL (reported).
 */
char *store_url_for(const struct store_url *u, const char *key);

/* Is key a backup's NAME.sha256 or NAME.manifest.json (not a backup)? */
int store_is_sidecar(const char *key);

/* Open a store for url (settings resolved; S3 client made). NULL on error. */
struct store *store_open(const char *url, int need_key);
void store_close(struct store *s);

/*
 * Does key exist?  *exists and *size are set.  S3_OK, or S3_PERM /
 * S3_TEMP (reported).
 */
int store_head(struct store *s, const char *key, int *exists,
    uint64_t *size);

/*
 * The SHA-256 of key as the store knows it: a file's is computed (the
 * file is read); an S3 object's is the checksum stored with a single
 * PutObject.  *known is 0 when the store cannot tell (a multipart upload,
 * a store that keeps no checksum, no object).  S3_OK, or S3_PERM /
 * S3_TEMP (reported).
 */
int store_digest(struct store *s, const char *key, unsigned char sha[32],
    int *known);

/*
 * Write a small object whole (sidecar, manifest): file stores go through
 * a temporary name, fsync and rename; noclobber refuses to replace.
 */
int store_put_small(struct store *s, const char *key, const void *buf,
    size_t len, int noclobber, const char *content_type);

/* Read a small object (at most max bytes) into a new NUL-ended buffer. */
int store_get_small(struct store *s, const char *key, size_t max,
    char **buf, size_t *len);

/*
 * Call fn for every object whose key (path) starts with prefix; for file
 * stores the prefix's directory is read (not recursively).  Returns
 * S3_OK, S3_PERM, S3_TEMP, or fn's non-zero value.
 */
int store_list(struct store *s, const char *prefix,
    int (*fn)(const struct store_obj *, void *), void *arg);

/*
 * The backups under the store's prefix (its key): each data object with
 * a manifest is committed (size, sha256, time from the manifest); one
 * without is incomplete, with its age; one whose manifest cannot be read
 * or parsed is damaged (reported by name, and fn still called, so a
 * listing goes on).  Sidecars and manifests are not backups.  fn is
 * called in name order; then, on S3, for each unfinished
 * multipart upload (an upload that was killed), as incomplete with class
 * "MULTIPART" and size 0.
 */
int store_backups(struct store *s, int (*fn)(const struct store_backup *,
    void *), void *arg);

#endif /* !STORE_H */
