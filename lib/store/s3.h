/*
 * store/s3.h - a small S3 client over libcurl: SigV4-signed requests with
 * retries, and the handful of operations the s3 driver needs.  One
 * s3_client per thread; the s3_target it points at is shared read-only.
 */
#ifndef S3_H
#define S3_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "store/awsconf.h"
#include "bk.h"
#include "store/store.h"

/*
 * Every call below returns an enum bk_result (bk.h): BK_OK, BK_FAIL
 * (reported) or BK_RETRY (reported: the retries were spent on failures
 * that may pass).
 */

#define S3_PART_MIN (5ULL << 20)	/* smallest part but the last */
#define S3_PART_MAX (5ULL << 30)
#define S3_MAX_PARTS 10000

/* An s3:// URL's bucket and settings (store_url's conf for s3). */
struct s3_location {
	char *bucket;
	char *profile, *region, *endpoint, *style;	/* NULL if not set */
};

/* Where objects go: one bucket with its settings (a destination). */
struct s3_target {
	struct awsconf conf;
	char *bucket;
	char *name;		/* "s3://bucket" for messages */
	int path_style;
	int retries;		/* attempts after the first */
};

struct s3_resp {
	long status;		/* HTTP status, 0 if none */
	char *body;		/* captured body (errors, XML), NUL-ended */
	size_t len;
	char etag[256];
	char version_id[256];
	char storage_class[64];
	char restore[256];	/* x-amz-restore */
	char last_modified[64];
	char content_range[128];
	char checksum_sha256[128];	/* x-amz-checksum-sha256 (base64) */
	char lock_until[64];	/* x-amz-object-lock-retain-until-date */
	char legal_hold[16];	/* x-amz-object-lock-legal-hold */
	uint64_t length;	/* Content-Length */
	int has_length;		/* a Content-Length header was seen */
	char code[128];		/* S3 error code from the body */
	char message[512];
};

/* One listed object. */
struct s3_object {
	const char *key;
	uint64_t size;
	const char *last_modified;	/* ISO 8601 as the server wrote it */
	const char *storage_class;
	const char *upload_id;		/* an unfinished upload's, or NULL */
};

struct s3_client;

/* Once, before any thread starts: libcurl's global state. 0 or -1. */
int s3_global_init(void);
/*
 * While *flag is non-zero (a signal handler sets it), every transfer in
 * flight is cancelled, backoff sleeps end and nothing is retried: the
 * requests fail at once (BK_FAIL, "cancelled").  NULL: never.
 */
void s3_set_stop(volatile sig_atomic_t *flag);

/*
 * Fill t for bucket with the settings of profile (NULL for the usual
 * AWS CLI resolution); opts is the URL's query (region=, endpoint=,
 * style=path|virtual) or NULL.  0, or -1 (reported).
 */
int s3_target_init(struct s3_target *t, const char *bucket,
    const char *profile, const char *region, const char *endpoint,
    const char *style);
void s3_target_free(struct s3_target *t);

/* A client (one curl handle) for target t; NULL on error (reported). */
struct s3_client *s3_client_new(const struct s3_target *t);
void s3_client_free(struct s3_client *c);

/*
 * Parse one ListObjectsV2 reply body: call fn for each Contents entry
 * (stopping at its first non-zero answer); *token gets the next
 * continuation token, or NULL on the last page.  An entry without Key or
 * with a Size that is not a decimal number is BK_FAIL (reported).
 */
int s3_list_page(const struct s3_resp *r,
    int (*fn)(const struct s3_object *, void *), void *arg, char **token);

/* One page of ListMultipartUploads: fn for each Upload; m gets the next
 * key and upload-id markers (NULL, NULL on the last page).  BK_*. */
int s3_uploads_page(const struct s3_resp *r,
    int (*fn)(const struct s3_object *, void *), void *arg, char *m[2]);

/* libcurl's header callback: one response header line (not NUL-ended)
 * into the s3_resp at arg (status, ETag, lengths, Content-Range...). */
size_t s3_on_header(char *p, size_t size, size_t n, void *arg);

/* "bytes A-B/T" into a, b and t; 0, or -1 if it is not exactly that. */
int s3_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *t);

/* Free what an s3_resp holds and clear it. */
void s3_resp_free(struct s3_resp *r);

/*
 * HEAD key (versionId vid if not NULL).  BK_OK with r->status 200 or 404
 * (absent: not reported), else BK_FAIL/BK_RETRY (reported).
 */
int s3_head(struct s3_client *c, const char *key, const char *vid,
    struct s3_resp *r);

/*
 * s3_head asking for the stored checksum (x-amz-checksum-mode: ENABLED):
 * r->checksum_sha256 is the object's SHA-256 in base64 after a single
 * PutObject with one, "BASE64-N" (of the parts) after a multipart upload,
 * or empty.
 */
int s3_head_checksum(struct s3_client *c, const char *key,
    struct s3_resp *r);

/*
 * PUT a whole object of len bytes (sha256: its digest, 32 bytes) with
 * the options; etag receives the ETag.  BK_OK, BK_FAIL or BK_RETRY
 * (reported; an existing object under noclobber is BK_FAIL).
 */
int s3_put_object(struct s3_client *c, const char *key, const void *buf,
    size_t len, const unsigned char sha256[32], const struct store_putopts *o);

/* CreateMultipartUpload; *upload_id gets a new string. */
int s3_mpu_create(struct s3_client *c, const char *key,
    const struct store_putopts *o, char **upload_id);

/* UploadPart number num (1..10000); etag gets the part's ETag. */
int s3_mpu_part(struct s3_client *c, const char *key, const char *upload_id,
    int num, const void *buf, size_t len, const unsigned char sha256[32],
    char etag[256]);

/*
 * CompleteMultipartUpload of n parts with their ETags and SHA-256
 * digests (32 bytes each, in order).  noclobber sends If-None-Match: *.
 */
int s3_mpu_complete(struct s3_client *c, const char *key,
    const char *upload_id, int n, char (*etags)[256],
    const unsigned char (*sums)[32], int noclobber);

/* GetBucketVersioning: *on when its Status is Enabled. */
int s3_versioning(struct s3_client *c, int *on);

/* DeleteObject of version vid of key (a delete marker's, to undo). */
int s3_delete_version(struct s3_client *c, const char *key, const char *vid);

/*
 * The delete marker that hides key (the latest version of key is one):
 * *vid gets its version id (a new string), or NULL when key is not
 * deleted that way.
 */
int s3_latest_marker(struct s3_client *c, const char *key, char **vid);

/*
 * Delete key for good: every version and delete marker of it (so that a
 * later conditional put finds nothing), then the key itself.
 */
int s3_delete_all(struct s3_client *c, const char *key);

/*
 * PutObject with If-None-Match: *: BK_NEGATIVE (not reported) when the
 * store refuses (412: the key exists, or versitygw's versioned buckets,
 * once the key was ever deleted).
 */
int s3_put_if_absent(struct s3_client *c, const char *key, const void *buf,
    size_t len);

/* PutObjectTagging: key's tag set becomes the one tag name=value. */
int s3_put_tag(struct s3_client *c, const char *key, const char *name,
    const char *value);

/*
 * AbortMultipartUpload, retried, and confirmed: the upload is looked for
 * again (ListParts) and aborted again should a late part have brought it
 * back.  Failures are reported.
 */
int s3_mpu_abort(struct s3_client *c, const char *key, const char *upload_id);

/*
 * Stream key (version vid) to sink from byte *offset on, resuming with
 * ranged GETs (If-Match on the first ETag) after a dropped connection.
 * Every answer is checked before its bytes reach sink: status, Content-
 * Range, Content-Length, the bytes announced all delivered, the first
 * answer's size and ETag; and, when size is not -1, that the object has
 * that size (a manifest's).  *offset advances as bytes are delivered.
 * sink returns 0 or -1 (it reported).  BK_OK, BK_FAIL or BK_RETRY
 * (reported).  When the object is archived, *archived is set and nothing
 * is reported.
 */
int s3_get(struct s3_client *c, const char *key, const char *vid,
    int (*sink)(const void *, size_t, void *), void *arg,
    uint64_t *offset, int64_t size, int *archived);

/*
 * ListObjectsV2 under prefix, calling fn for each object (stop with a
 * non-zero return, which s3_list returns).  With uploads, ListMultipart-
 * Uploads instead: fn gets each unfinished upload as an s3_object (size
 * 0, last_modified = its Initiated time, storage_class "MULTIPART").
 * BK_OK, BK_FAIL, BK_RETRY, or fn's non-zero value.
 */
int s3_list(struct s3_client *c, const char *prefix, int uploads,
    int (*fn)(const struct s3_object *, void *), void *arg);

/*
 * RestoreObject for days days at tier (Standard, Bulk, Expedited).  A
 * restore already under way (409 RestoreAlreadyInProgress) is what was
 * asked for: BK_OK, not reported.
 */
int s3_restore(struct s3_client *c, const char *key, const char *vid,
    int days, const char *tier);

/* DeleteObject key; an absent key is BK_OK too (nothing to remove). */
int s3_delete(struct s3_client *c, const char *key);

/* A small object whole into a new buffer (at most max bytes). */
int s3_get_small(struct s3_client *c, const char *key, size_t max,
    char **buf, size_t *len);

#endif /* !S3_H */
