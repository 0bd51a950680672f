/*
 * store/download.h - reading one object out of a store whole: from the
 * driver's checked, resumable get, through an archived object's restore
 * when asked for, to the sink.
 */
#ifndef STORE_DOWNLOAD_H
#define STORE_DOWNLOAD_H

#include <stdint.h>

#include "store/store.h"

struct download_opts {
	const char *vid;	/* a version, or NULL for the current one */
	int64_t size;		/* the size it must have, or -1 */
	int restore;		/* an archived object: ask for a copy */
	int wait;		/* ... and wait for it, polling */
	long interval;		/* seconds between polls */
	int days;		/* keep the copy so long */
	const char *tier;	/* Standard, Bulk or Expedited */
};

/*
 * Stream the store's object (its key) to sink.  Every answer is checked
 * (size, range, ETag) before its bytes reach sink, and a dropped
 * connection resumes where it stopped.  An archived object is BK_FAIL
 * unless o->restore; then a copy is asked for and, with o->wait, waited
 * for; without it the result is BK_RETRY (read it later).  *bytes counts
 * what reached sink.
 */
int store_download(struct store *s, const struct download_opts *o,
    store_sink_fn *sink, void *arg, uint64_t *bytes);

#endif /* !STORE_DOWNLOAD_H */
