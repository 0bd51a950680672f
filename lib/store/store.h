/*
 * store/store.h - where backups live, behind one interface: a store is
 * opened from a URL whose scheme chooses its driver once (file:///path,
 * s3://bucket/key?settings; see store/driver.h to add one), and every
 * operation below goes through that driver.  Nothing outside lib/store
 * knows which driver it talks to.
 *
 * Every int-returning operation returns an enum bk_result (bk.h): BK_OK,
 * BK_FAIL or BK_RETRY (reported where found), unless it says otherwise.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "bk.h"

#define STORE_SMALL_MAX (1024 * 1024)	/* sidecars and manifests */

struct store_driver;

/* A parsed URL: the driver, the key and the driver's own settings. */
struct store_url {
	const struct store_driver *drv;
	char *url;		/* as given, without the query */
	char *query;		/* what follows the '?', or NULL */
	char *base;		/* what store_url_for puts before a key */
	char *key;		/* object key or absolute path */
	void *conf;		/* the driver's settings (store/driver.h) */
};

/* An open store: its URL, and the driver's state. */
struct store {
	struct store_url u;
	void *priv;		/* the driver's */
};

/* How an object is written (a driver ignores what it has no use for). */
struct store_putopts {
	const char *storage_class;
	const char *sse;		/* "AES256" or "aws:kms" */
	const char *kms_key;
	const char *lock_mode;		/* GOVERNANCE or COMPLIANCE */
	const char *lock_until;		/* ISO 8601 */
	const char *tagging;		/* "k=v&k2=v2", URL-encoded */
	const char *content_type;
	int noclobber;			/* refuse to replace an object */
};

/* One entry of a listing: an object or file under a prefix. */
struct store_obj {
	const char *key;	/* object key, or file path */
	uint64_t size;
	int64_t mtime;		/* seconds since the epoch, UTC */
	const char *class;	/* storage class ("STANDARD", "FILE") */
	const char *stamp;	/* the store's own text for mtime, or NULL */
};

/* Called with each object of a listing; non-zero stops it (returned). */
typedef int store_list_fn(const struct store_obj *, void *);
/* Takes len bytes of a download; 0, or -1 (it reported). */
typedef int store_sink_fn(const void *, size_t, void *);

/*
 * Parse url into u: the driver is chosen by its scheme.  With need_key, a
 * key (a path that is not a directory) is required.  A key or path with a
 * "." or ".." segment, or an empty segment (before its end), is refused:
 * it would be sent or opened as another name.  0, or -1 (reported).
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

/* The driver's name ("file", "s3"). */
const char *store_scheme(const struct store_url *u);

/*
 * 0 if key (%-decoded) has no ".", ".." or empty segment (a trailing "/"
 * is allowed: a prefix); else -1, not reported.  Such a key would reach
 * another object once a client, proxy or server normalises the path.
 */
int store_key_check(const char *key);

/* Open a store for url (settings resolved, clients made); NULL (reported). */
struct store *store_open(const char *url, int need_key);
void store_close(struct store *s);

/* Attempts after the first for a failed request (stores that retry). */
void store_set_retries(struct store *s, int retries);

/*
 * While *flag is non-zero (a signal handler sets it), every driver
 * cancels its transfers in flight and retries nothing: the requests fail
 * at once (BK_FAIL, "cancelled").  NULL: never.
 */
void store_set_stop(volatile sig_atomic_t *flag);

/* Does key exist?  *exists and *size are set. */
int store_head(struct store *s, const char *key, int *exists,
    uint64_t *size);

/*
 * The SHA-256 of key as the store knows it: a file's is computed (the
 * file is read); an S3 object's is the checksum stored with a single
 * PutObject.  *known is 0 when the store cannot tell (a multipart upload,
 * a store that keeps no checksum, no object).
 */
int store_digest(struct store *s, const char *key, unsigned char sha[32],
    int *known);

/* Write a small object whole (sidecar, manifest), atomically. */
int store_put_small(struct store *s, const char *key, const void *buf,
    size_t len, int noclobber, const char *content_type);

/* Read a small object (at most max bytes) into a new NUL-ended buffer. */
int store_get_small(struct store *s, const char *key, size_t max,
    char **buf, size_t *len);

/*
 * Call fn for every object whose key (path) starts with prefix; a file
 * store reads the prefix's directory (not recursively).  Returns a
 * bk_result or fn's non-zero value.
 */
int store_list(struct store *s, const char *prefix, store_list_fn *fn,
    void *arg);

/*
 * Unfinished uploads under prefix (killed multipart uploads, which cost
 * storage but are no objects): fn gets each with size 0, its start time
 * and class "MULTIPART".  A store without them calls nothing.
 */
int store_list_uploads(struct store *s, const char *prefix,
    store_list_fn *fn, void *arg);

/* Remove key; an absent key is BK_OK (nothing left to remove). */
int store_remove(struct store *s, const char *key);

/*
 * Remove key so that store_undelete can bring it back for a while: a
 * file store moves it to DIR/.bk-trash/RUN/ (run: a UTC time
 * "YYYYMMDDTHHMMSSZ" naming this removal), S3 deletes it and the bucket's
 * versioning (if on) keeps the old version.  *kept: it can be brought
 * back.  An absent key is BK_OK with *kept 0.
 */
int store_remove_keep(struct store *s, const char *key, const char *run,
    int *kept);

/*
 * Create key with buf only if nothing is there, atomically where the
 * store can (file: O_EXCL; S3: If-None-Match: *).  BK_NEGATIVE (not
 * reported): the store refused because key exists (or, on a store that
 * refuses the condition for a key that once existed, might).
 */
int store_create(struct store *s, const char *key, const void *buf,
    size_t len);

/*
 * Remove key and every old version of it (S3: versions and delete
 * markers), so that nothing of it remains: a lock released.
 */
int store_remove_all(struct store *s, const char *key);

/*
 * Bring key back as it was before store_remove_keep: from the newest
 * trash run, or by removing the S3 delete marker that hides its previous
 * version.  BK_NEGATIVE (not reported): nothing to bring back (or key
 * is there already).
 */
int store_undelete(struct store *s, const char *key);

/* *on: removals can be undone (file: the trash; S3: versioning on). */
int store_can_undelete(struct store *s, int *on);

/*
 * Empty the trash runs beside prefix named before the time before (same
 * form as run); *purged counts them.  Stores without a trash (S3: a
 * lifecycle rule expires old versions) do nothing.
 */
int store_trash_purge(struct store *s, const char *prefix,
    const char *before, int *purged);

/*
 * *until: the time (seconds since the epoch) until which key is under
 * object lock (retention or legal hold: INT64_MAX), 0 if it is not.
 */
int store_lock_until(struct store *s, const char *key, int64_t *until);

/* Set the object tag name=value on key (stores without tags: nothing). */
int store_tag(struct store *s, const char *key, const char *name,
    const char *value);

/*
 * Abort the unfinished uploads under prefix started before the time
 * before (seconds since the epoch); *aborted counts them.
 */
int store_abort_uploads(struct store *s, const char *prefix, int64_t before,
    int *aborted);

/*
 * Stream key (version vid; NULL for the current one: a store without
 * versions refuses any other) to sink from byte *offset on, which
 * advances as bytes are delivered.  When size is not -1 the object must
 * have that size (a manifest's).  An object that cannot be read until it
 * is restored from an archive is BK_NEGATIVE with *archived set, not
 * reported.
 */
int store_get(struct store *s, const char *key, const char *vid,
    store_sink_fn *sink, void *arg, uint64_t *offset, int64_t size,
    int *archived);

/* Does the store keep versions (--version-id)? */
int store_has_versions(const struct store *s);

/*
 * Ask for a readable copy of an archived object for days days at tier
 * (Standard, Bulk, Expedited); one already under way is BK_OK.  *done
 * (store_restored) says whether the copy is ready.
 */
int store_restore(struct store *s, const char *key, const char *vid,
    int days, const char *tier);
int store_restored(struct store *s, const char *key, const char *vid,
    int *done);

/*
 * A streaming writer: bytes written go to key, and nothing appears
 * there until store_put_commit succeeds; store_put_abort (or a failed
 * commit) leaves nothing behind.  Both free w.  NULL on error (reported).
 */
struct store_put;
struct store_put *store_put_open(struct store *s, const char *key,
    const struct store_putopts *o);
int store_put_write(struct store_put *w, const void *buf, size_t len);
int store_put_commit(struct store_put *w);
void store_put_abort(struct store_put *w);

#endif /* !STORE_STORE_H */
