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

/*
 * Take the lock for the store's prefix.  With brk, an existing lock is
 * removed first.  BK_OK; BK_RETRY (reported) when another holds it;
 * BK_FAIL.
 */
int prune_lock(struct store *s, int64_t now, int64_t stale, int brk);

/* Release it (failures reported). */
int prune_unlock(struct store *s);

#endif /* !PRUNE_LOCK_H */
