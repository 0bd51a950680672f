/*
 * swap.h - the crash-safe swap of a protected database restore: a lock
 * per target database, and a journal of the renames, in the collection
 * "bk-swap-journal" of the target databases, so that a restore killed
 * anywhere in its swap is finished (if it had committed) or undone (if
 * not) by the next restore into that database (bk-restore(1),
 * APPROVALS).
 */
#ifndef BK_DB_SWAP_H
#define BK_DB_SWAP_H

#include <stddef.h>

#include <mongoc/mongoc.h>

#define SWAP_JOURNAL "bk-swap-journal"

/* One collection of the swap: db.coll is replaced by db.aside; while
 * swapped out its previous contents are db.old.  existed: db.coll was
 * there when the swap was journalled. */
struct swap_pair {
	const char *db, *coll, *aside, *old;
	int existed;
};

/*
 * renameCollection db.from -> db.to (never dropTarget); 0, -1 (reported),
 * or 1 when from does not exist and missing_ok.
 */
int swap_rename(mongoc_client_t *c, const char *db, const char *from,
    const char *to, int missing_ok);
/* Drop db.coll (absent is fine); 0 or -1 (reported, naming it). */
int swap_drop(mongoc_client_t *c, const char *db, const char *coll);
/* Does db.name exist?  1, 0, or -1 (reported). */
int swap_exists(mongoc_client_t *c, const char *db, const char *name);
/*
 * Take the swap lock of database db for the restore nonce: a document
 * {_id: "lock"} in its journal.  A lock left by a restore of this host
 * whose process is gone, or any lock with break_lock, is broken (said).
 * BK_OK; BK_RETRY when another restore holds it (reported, naming it);
 * BK_FAIL.
 */
int swap_lock(mongoc_client_t *c, const char *db, const char *nonce,
    int break_lock);
/* Release db's lock if nonce holds it, and drop an emptied journal. */
void swap_unlock(mongoc_client_t *c, const char *db, const char *nonce);
/*
 * Finish or undo every swap journalled in db by a restore that did not
 * end it: finished (its previous contents dropped) when it had
 * committed, else undone (every collection as before it).  Each is
 * said.  0, or -1 (reported: the journal is kept for the next run).
 */
int swap_recover(mongoc_client_t *c, const char *db);
/*
 * Journal the swap of the n pairs about to begin (the first pair's
 * database holds the journal; each other database a pointer to it).
 * 0 or -1 (reported: nothing renamed yet).
 */
int swap_journal(mongoc_client_t *c, const char *nonce,
    const struct swap_pair *p, size_t n);
/* Record the swap committed (every rename done).  0 or -1 (reported). */
int swap_commit(mongoc_client_t *c, const char *nonce, const char *home);
/* After a commit that failed: did it happen?  1, 0, or -1 (the journal
 * cannot be read, or is gone). */
int swap_committed(mongoc_client_t *c, const char *nonce, const char *home);
/* Remove the journal of a swap that ended (pointers, then the journal
 * itself).  0 or -1 (reported). */
int swap_forget(mongoc_client_t *c, const char *nonce,
    const struct swap_pair *p, size_t n);

#endif /* !BK_DB_SWAP_H */
