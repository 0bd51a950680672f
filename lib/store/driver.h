/*
 * store/driver.h - what a store driver provides (inside lib/store only).
 *
 * A driver is one file defining one `const struct store_driver
 * store_driver_NAME'; adding one (Azure, GCS) is that file plus its name
 * in store.c's STORE_DRIVERS.  The
 * generic code (store.c, upload.c, download.c, catalog.c) calls only
 * these operations.  Operations a driver has no use for may be NULL
 * where marked.  Results are enum bk_result values.
 */
#ifndef STORE_DRIVER_H
#define STORE_DRIVER_H

#include "store/store.h"

/*
 * A write in progress, written as parts numbered from 0: a driver with
 * `parallel' set takes them in any order from several threads at once
 * (each with its own thread context), others in order from one thread.
 */
struct store_wpart {
	int seq;			/* part number, from 0 */
	const void *buf;
	size_t len;
	const unsigned char *sum;	/* its SHA-256 (part_sums), or NULL */
	int last;			/* the stream's last part */
};

struct store_driver {
	const char *scheme;	/* "s3": URLs start "s3://" */
	const char *form;	/* how its URLs start, for messages */
	int parallel;		/* parts may go in parallel, any order */
	int part_sums;		/* wants each part's SHA-256 */
	int versions;		/* reads a version id */

	/*
	 * Parse rest (the URL after "scheme://", without the query) and the
	 * query (NULL if none) into u->key, u->base and u->conf; url is for
	 * messages.  0 or -1 (reported).
	 */
	int (*parse)(struct store_url *u, char *rest, char *query,
	    const char *url, int need_key);
	void (*conf_free)(void *conf);
	/* Resolve settings, make clients: s->priv.  0 or -1 (reported). */
	int (*open)(struct store *s);
	void (*close)(struct store *s);
	void (*set_retries)(struct store *s, int retries);	/* or NULL */
	void (*set_stop)(volatile sig_atomic_t *flag);	/* or NULL */

	int (*head)(struct store *s, const char *key, int *exists,
	    uint64_t *size);
	int (*digest)(struct store *s, const char *key, unsigned char sha[32],
	    int *known);
	int (*get)(struct store *s, const char *key, const char *vid,
	    store_sink_fn *sink, void *arg, uint64_t *offset, int64_t size,
	    int *archived);
	int (*get_small)(struct store *s, const char *key, size_t max,
	    char **buf, size_t *len);
	int (*put_small)(struct store *s, const char *key, const void *buf,
	    size_t len, int noclobber, const char *content_type);
	int (*list)(struct store *s, const char *prefix, store_list_fn *fn,
	    void *arg);
	int (*list_uploads)(struct store *s, const char *prefix,
	    store_list_fn *fn, void *arg);			/* or NULL */
	int (*remove)(struct store *s, const char *key);
	/* What store.h's functions of the same names do; or NULL. */
	int (*remove_keep)(struct store *s, const char *key, const char *run,
	    int *kept);
	int (*remove_all)(struct store *s, const char *key);
	int (*create)(struct store *s, const char *key, const void *buf,
	    size_t len);
	int (*undelete)(struct store *s, const char *key);
	int (*can_undelete)(struct store *s, int *on);
	int (*trash_purge)(struct store *s, const char *prefix,
	    const char *before, int *purged);
	int (*lock_until)(struct store *s, const char *key, int64_t *until);
	int (*tag)(struct store *s, const char *key, const char *name,
	    const char *value);
	int (*abort_uploads)(struct store *s, const char *prefix,
	    int64_t before, int *aborted);
	int (*restore)(struct store *s, const char *key, const char *vid,
	    int days, const char *tier);			/* or NULL */
	int (*restored)(struct store *s, const char *key, const char *vid,
	    int *done);					/* or NULL */

	/*
	 * The writer: w_open returns the driver's write state (NULL on
	 * error, reported); w_thread makes a context for one thread that
	 * stores parts (*ctx may stay NULL), w_thread_free frees it;
	 * w_part stores one part; w_commit makes the nparts parts visible
	 * under the key, w_abort removes whatever was started.  Both free
	 * the state.
	 */
	void *(*w_open)(struct store *s, const char *key,
	    const struct store_putopts *o);
	int (*w_thread)(struct store *s, void **ctx);	/* or NULL */
	void (*w_thread_free)(void *ctx);			/* or NULL */
	int (*w_part)(void *w, void *ctx, const struct store_wpart *p);
	int (*w_commit)(void *w, int nparts);
	void (*w_abort)(void *w);
};

/* Decode %XX in place; -1 on a malformed escape or a NUL. */
int store_pct_decode(char *s);


#endif /* !STORE_DRIVER_H */
