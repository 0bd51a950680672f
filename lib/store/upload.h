/*
 * store/upload.h - the parallel upload engine: one stream read once, cut
 * into parts held in a bounded ring of buffers, each part handed to every
 * destination store, whose driver stores it (in parallel and in any
 * order where it can).  Memory stays at jobs parts whatever the size.
 */
#ifndef STORE_UPLOAD_H
#define STORE_UPLOAD_H

#include <signal.h>
#include <stdint.h>

#include "store/store.h"

#define UPLOAD_JOBS_MAX 16
#define UPLOAD_PARTS_MAX 10000	/* S3's limit: no stream is longer */
#define UPLOAD_PART_MIN (5ULL << 20)
#define UPLOAD_PART_MAX (5ULL << 30)

struct upload_opts {
	uint64_t part;		/* first part size; doubles every 1000 */
	int jobs;		/* parts in flight per destination */
	int progress;		/* a meter on stderr */
	const struct store_putopts *put;	/* noclobber: refuse early */
	/* Set (to the signal's number) by a handler: abort everything. */
	volatile sig_atomic_t *stop;
};

/* One destination: a store opened at the object's key. */
struct upload_dest {
	struct store *st;	/* the caller's */
	int result;		/* enum bk_result of this destination */
	char error[512];	/* its message, when it failed */
};

/* What the stream came to. */
struct upload_stats {
	uint64_t bytes;
	int parts;		/* -1 when the stream could not be read */
};

/*
 * Read fd to its end and store it at each of the n destinations: under
 * noclobber an existing object is refused before anything moves; a
 * destination that fails is given up alone (its result and message kept)
 * while the others go on; a read error or *stop ends them all, and
 * whatever was started is aborted, leaving nothing behind.  Worker
 * threads run with every signal blocked.  Returns the worst result
 * (BK_RETRY before BK_FAIL).
 */
int upload_run(int fd, struct upload_dest *d, int n,
    const struct upload_opts *o, struct upload_stats *stats);

#endif /* !STORE_UPLOAD_H */
