/*
 * prune/lock.h - the prune lock: an object PREFIX.bk-prune.lock created
 * only if absent (store_create: file O_EXCL; S3 PutObject with
 * If-None-Match: *), holding who took it and when.  A store that refuses
 * the condition for an absent key gets a best-effort write and read-back.
 * A lock older than the stale age may be broken (its prune died).
 */
#ifndef PRUNE_LOCK_H
#define PRUNE_LOCK_H

#include <stdint.h>

#include "store/store.h"

#define PRUNE_LOCK_NAME ".bk-prune.lock"
#define PRUNE_LOCK_STALE 86400	/* the default age after which it is stale */

/*
 * Take the lock for the store's prefix.  With brk, an existing lock is
 * removed first.  BK_OK; BK_RETRY (reported) when another holds it;
 * BK_FAIL.
 */
int prune_lock(struct store *s, int64_t now, int64_t stale, int brk);

/* Release it (failures reported). */
int prune_unlock(struct store *s);

/*
 * Is a prune running on the store's prefix (its lock there, younger than
 * stale, or unreadable)?  BK_OK if not; BK_RETRY if so (reported, naming
 * the holder), for a reader such as bk-verify that must not check a
 * listing a prune is changing.  Taken by nobody: readers do not exclude
 * each other.
 */
int prune_lock_check(struct store *s, int64_t now, int64_t stale);

#endif /* !PRUNE_LOCK_H */
