/*
 * swap.c - the crash-safe swap of a protected database restore.
 *
 * A restore aside ends in renames: each target collection to its
 * "bk-old-" name, the restored one to the target's name.  No server bk
 * targets makes several renames atomic (FerretDB refuses even dropTarget),
 * so the renames are journalled in the target database first, in the
 * collection SWAP_JOURNAL:
 *
 *	{_id: NONCE, state: "swapping", home: DB, host, pid, since,
 *	 pairs: [{db, coll, aside, old, existed}, ...]}
 *
 * in the first target database, and {_id: NONCE, home: DB} in each other
 * one.  When every rename is done the state becomes "committed": that one
 * write is the commit point.  A restore killed anywhere in between leaves
 * the journal, and the next restore into one of its databases (which
 * takes the same databases' locks first) finishes a committed swap (drops
 * the previous contents) or undoes one that was not (renames back, drops
 * what was restored).  Each step of the undo looks at which collections
 * exist, so an undo killed in its turn is undone again by the next run.
 *
 * The lock is the document {_id: "lock"} of the same collection, so that
 * a second restore can neither sweep nor undo what a running one does.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <mongoc/mongoc.h>

#include "bk.h"
#include "swap.h"

#define NS_NOT_FOUND 26
#define DUPLICATE_KEY 11000
#define LOCK_ID "lock"

static mongoc_collection_t *
journal(mongoc_client_t *c, const char *db)
{
	return mongoc_client_get_collection(c, db, SWAP_JOURNAL);
}

/* opts with the majority write concern: a journal entry a failover could
 * lose would be no journal. */
static void
wc_opts(bson_t *opts)
{
	mongoc_write_concern_t *wc = mongoc_write_concern_new();

	bson_init(opts);
	mongoc_write_concern_set_w(wc, MONGOC_WRITE_CONCERN_W_MAJORITY);
	mongoc_write_concern_append(wc, opts);
	mongoc_write_concern_destroy(wc);
}

static const char *
str_field(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it))
		return bson_iter_utf8(&it, NULL);
	return NULL;
}

int
swap_rename(mongoc_client_t *c, const char *db, const char *from,
    const char *to, int missing_ok)
{
	char *f, *t;
	bson_error_t err;
	bson_t cmd, reply;
	int ok;

	f = bson_strdup_printf("%s.%s", db, from);
	t = bson_strdup_printf("%s.%s", db, to);
	bson_init(&cmd);
	BSON_APPEND_UTF8(&cmd, "renameCollection", f);
	BSON_APPEND_UTF8(&cmd, "to", t);
	ok = mongoc_client_command_simple(c, "admin", &cmd, NULL, &reply,
	    &err);
	bson_destroy(&reply);
	bson_destroy(&cmd);
	if (!ok && !(missing_ok && err.code == NS_NOT_FOUND))
		warn0("rename %s to %s: %s", f, t, err.message);
	bson_free(f);
	bson_free(t);
	return ok ? 0 : missing_ok && err.code == NS_NOT_FOUND ? 1 : -1;
}

int
swap_exists(mongoc_client_t *c, const char *db, const char *name)
{
	mongoc_database_t *d;
	bson_error_t err;
	char **names;
	size_t i;
	int found = 0;

	d = mongoc_client_get_database(c, db);
	names = mongoc_database_get_collection_names_with_opts(d, NULL, &err);
	mongoc_database_destroy(d);
	if (names == NULL) {
		warn0("%s: listCollections: %s", db, err.message);
		return -1;
	}
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			found = 1;
	bson_strfreev(names);
	return found;
}

int
swap_drop(mongoc_client_t *c, const char *db, const char *coll)
{
	mongoc_collection_t *k = mongoc_client_get_collection(c, db, coll);
	bson_error_t err;
	int rc = 0;

	if (!mongoc_collection_drop(k, &err) && err.code != NS_NOT_FOUND) {
		warn0("%s.%s: drop: %s", db, coll, err.message);
		rc = -1;
	}
	mongoc_collection_destroy(k);
	return rc;
}

/* The document _id of db's journal, a copy in *out: 1, 0 (none), -1. */
static int
find_id(mongoc_client_t *c, const char *db, const char *id, bson_t **out)
{
	mongoc_collection_t *j = journal(c, db);
	mongoc_cursor_t *cur;
	const bson_t *doc;
	bson_error_t err;
	bson_t filter;
	int rc = 0;

	*out = NULL;
	bson_init(&filter);
	BSON_APPEND_UTF8(&filter, "_id", id);
	cur = mongoc_collection_find_with_opts(j, &filter, NULL, NULL);
	if (mongoc_cursor_next(cur, &doc)) {
		*out = bson_copy(doc);
		rc = 1;
	}
	if (mongoc_cursor_error(cur, &err)) {
		warn0("%s.%s: find %s: %s", db, SWAP_JOURNAL, id, err.message);
		if (*out != NULL)
			bson_destroy(*out);
		*out = NULL;
		rc = -1;
	}
	mongoc_cursor_destroy(cur);
	bson_destroy(&filter);
	mongoc_collection_destroy(j);
	return rc;
}

/* Delete db's journal document {_id: id[, nonce: nonce]}; 0 or -1. */
static int
delete_id(mongoc_client_t *c, const char *db, const char *id,
    const char *nonce)
{
	mongoc_collection_t *j = journal(c, db);
	bson_error_t err;
	bson_t sel, opts;
	int rc = 0;

	bson_init(&sel);
	BSON_APPEND_UTF8(&sel, "_id", id);
	if (nonce != NULL)
		BSON_APPEND_UTF8(&sel, "nonce", nonce);
	wc_opts(&opts);
	if (!mongoc_collection_delete_one(j, &sel, &opts, NULL, &err)) {
		warn0("%s.%s: delete %s: %s", db, SWAP_JOURNAL, id,
		    err.message);
		rc = -1;
	}
	bson_destroy(&opts);
	bson_destroy(&sel);
	mongoc_collection_destroy(j);
	return rc;
}

static void
when(char *buf, size_t len, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
}

/* This host's name, for the lock and the journal ("?" if unknown). */
static void
this_host(char *host, size_t len)
{
	if (gethostname(host, len) != 0)
		snprintf(host, len, "?");
	host[len - 1] = '\0';
}

/* Is the lock document's holder a process of this host that is gone? */
static int
holder_gone(const bson_t *lock, const char *host)
{
	const char *h = str_field(lock, "host");
	bson_iter_t it;
	int64_t pid = 0;

	if (bson_iter_init_find(&it, lock, "pid") && BSON_ITER_HOLDS_INT(&it))
		pid = bson_iter_as_int64(&it);
	if (h == NULL || strcmp(h, host) != 0 || pid <= 0 ||
	    pid > (int64_t)INT32_MAX)
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int
swap_lock(mongoc_client_t *c, const char *db, const char *nonce,
    int break_lock)
{
	mongoc_collection_t *j = journal(c, db);
	char host[256], since[32];
	bson_error_t err;
	bson_t doc, opts, *held = NULL;
	bson_iter_t it;
	int tries, rc = BK_FAIL, f, gone;

	this_host(host, sizeof(host));
	for (tries = 0; tries < 3; tries++) {
		bson_init(&doc);
		BSON_APPEND_UTF8(&doc, "_id", LOCK_ID);
		BSON_APPEND_UTF8(&doc, "nonce", nonce);
		BSON_APPEND_UTF8(&doc, "host", host);
		BSON_APPEND_INT64(&doc, "pid", (int64_t)getpid());
		BSON_APPEND_DATE_TIME(&doc, "since", (int64_t)time(NULL) * 1000);
		wc_opts(&opts);
		f = mongoc_collection_insert_one(j, &doc, &opts, NULL, &err);
		bson_destroy(&opts);
		bson_destroy(&doc);
		if (f) {
			rc = BK_OK;
			break;
		}
		if (err.code != DUPLICATE_KEY) {
			warn0("%s: the swap lock (%s.%s): %s", db, db,
			    SWAP_JOURNAL, err.message);
			break;
		}
		if ((f = find_id(c, db, LOCK_ID, &held)) < 0)
			break;
		if (f == 0)
			continue;	/* released meanwhile */
		since[0] = '\0';
		if (bson_iter_init_find(&it, held, "since") &&
		    BSON_ITER_HOLDS_DATE_TIME(&it))
			when(since, sizeof(since), bson_iter_date_time(&it));
		gone = holder_gone(held, host);
		if (!gone && !break_lock) {
			warn0("%s: another bk-restore holds its swap lock "
			    "(host %s, pid %lld, since %s): rerun when it has "
			    "ended, or with --break-lock if it died", db,
			    str_field(held, "host") ? str_field(held, "host") :
			    "?", bson_iter_init_find(&it, held, "pid") ?
			    (long long)bson_iter_as_int64(&it) : -1LL,
			    since[0] ? since : "?");
			rc = BK_RETRY;
			break;
		}
		warn0("%s: the swap lock of a restore (host %s, since %s) "
		    "broken: %s", db, str_field(held, "host") ?
		    str_field(held, "host") : "?", since[0] ? since : "?",
		    gone ? "its process is gone" : "--break-lock");
		if (delete_id(c, db, LOCK_ID, str_field(held, "nonce")) != 0)
			break;
		bson_destroy(held);
		held = NULL;
	}
	if (tries == 3)
		warn0("%s: the swap lock could not be taken", db);
	if (held != NULL)
		bson_destroy(held);
	mongoc_collection_destroy(j);
	return rc;
}

/* A journal with nothing in it (no lock either) is not left in the
 * user's database. */
static void
drop_if_empty(mongoc_client_t *c, const char *db)
{
	mongoc_collection_t *j = journal(c, db);
	bson_error_t err;
	int64_t n;

	n = mongoc_collection_count_documents(j, &(bson_t)BSON_INITIALIZER,
	    NULL, NULL, NULL, &err);
	mongoc_collection_destroy(j);
	if (n == 0)
		(void)swap_drop(c, db, SWAP_JOURNAL);
}

void
swap_unlock(mongoc_client_t *c, const char *db, const char *nonce)
{
	if (delete_id(c, db, LOCK_ID, nonce) == 0)
		drop_if_empty(c, db);
}

/* Append the pairs to doc as the array "pairs". */
static void
append_pairs(bson_t *doc, const struct swap_pair *p, size_t n)
{
	bson_t arr, e;
	char key[24];
	const char *k;
	size_t i;

	bson_append_array_begin(doc, "pairs", -1, &arr);
	for (i = 0; i < n; i++) {
		bson_uint32_to_string((uint32_t)i, &k, key, sizeof(key));
		bson_append_document_begin(&arr, k, -1, &e);
		BSON_APPEND_UTF8(&e, "db", p[i].db);
		BSON_APPEND_UTF8(&e, "coll", p[i].coll);
		BSON_APPEND_UTF8(&e, "aside", p[i].aside);
		BSON_APPEND_UTF8(&e, "old", p[i].old);
		BSON_APPEND_BOOL(&e, "existed", p[i].existed != 0);
		bson_append_document_end(&arr, &e);
	}
	bson_append_array_end(doc, &arr);
}

/* Is p[i].db the first of the pairs with that database? */
static int
first_of_db(const struct swap_pair *p, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (strcmp(p[k].db, p[i].db) == 0)
			return 0;
	return 1;
}

static int
insert(mongoc_client_t *c, const char *db, const bson_t *doc)
{
	mongoc_collection_t *j = journal(c, db);
	bson_error_t err;
	bson_t opts;
	int ok;

	wc_opts(&opts);
	ok = mongoc_collection_insert_one(j, doc, &opts, NULL, &err);
	if (!ok)
		warn0("%s.%s: journal: %s", db, SWAP_JOURNAL, err.message);
	bson_destroy(&opts);
	mongoc_collection_destroy(j);
	return ok ? 0 : -1;
}

int
swap_journal(mongoc_client_t *c, const char *nonce,
    const struct swap_pair *p, size_t n)
{
	char host[256];
	bson_t doc;
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	this_host(host, sizeof(host));
	bson_init(&doc);
	BSON_APPEND_UTF8(&doc, "_id", nonce);
	BSON_APPEND_UTF8(&doc, "state", "swapping");
	BSON_APPEND_UTF8(&doc, "home", p[0].db);
	BSON_APPEND_UTF8(&doc, "host", host);
	BSON_APPEND_INT64(&doc, "pid", (int64_t)getpid());
	BSON_APPEND_DATE_TIME(&doc, "since", (int64_t)time(NULL) * 1000);
	append_pairs(&doc, p, n);
	rc = insert(c, p[0].db, &doc);
	bson_destroy(&doc);
	/* The journal first, then its pointers: a pointer never outlives
	 * the journal it points to (swap_forget removes them first). */
	for (i = 1; i < n && rc == 0; i++) {
		if (!first_of_db(p, i) || strcmp(p[i].db, p[0].db) == 0)
			continue;
		bson_init(&doc);
		BSON_APPEND_UTF8(&doc, "_id", nonce);
		BSON_APPEND_UTF8(&doc, "home", p[0].db);
		rc = insert(c, p[i].db, &doc);
		bson_destroy(&doc);
	}
	if (rc != 0)
		(void)swap_forget(c, nonce, p, n);
	return rc;
}

int
swap_commit(mongoc_client_t *c, const char *nonce, const char *home)
{
	mongoc_collection_t *j = journal(c, home);
	bson_error_t err;
	bson_t sel, upd, set, opts, reply;
	bson_iter_t it;
	int rc = -1;

	bson_init(&sel);
	BSON_APPEND_UTF8(&sel, "_id", nonce);
	bson_init(&upd);
	BSON_APPEND_DOCUMENT_BEGIN(&upd, "$set", &set);
	BSON_APPEND_UTF8(&set, "state", "committed");
	bson_append_document_end(&upd, &set);
	wc_opts(&opts);
	if (!mongoc_collection_update_one(j, &sel, &upd, &opts, &reply, &err))
		warn0("%s.%s: commit: %s", home, SWAP_JOURNAL, err.message);
	else if (!bson_iter_init_find(&it, &reply, "matchedCount") ||
	    bson_iter_as_int64(&it) != 1)
		warn0("%s.%s: commit: the journal of this swap is gone", home,
		    SWAP_JOURNAL);
	else
		rc = 0;
	bson_destroy(&reply);
	bson_destroy(&opts);
	bson_destroy(&upd);
	bson_destroy(&sel);
	mongoc_collection_destroy(j);
	return rc;
}

int
swap_committed(mongoc_client_t *c, const char *nonce, const char *home)
{
	const char *st;
	bson_t *d;
	int f;

	if ((f = find_id(c, home, nonce, &d)) <= 0)
		return -1;
	st = str_field(d, "state");
	f = st != NULL && strcmp(st, "committed") == 0;
	bson_destroy(d);
	return f;
}

int
swap_forget(mongoc_client_t *c, const char *nonce,
    const struct swap_pair *p, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 1; i < n; i++)
		if (first_of_db(p, i) && strcmp(p[i].db, p[0].db) != 0 &&
		    delete_id(c, p[i].db, nonce, NULL) != 0)
			rc = -1;
	if (n > 0 && rc == 0 && delete_id(c, p[0].db, nonce, NULL) != 0)
		rc = -1;
	for (i = 0; i < n && rc == 0; i++)
		if (first_of_db(p, i))
			drop_if_empty(c, p[i].db);
	return rc;
}

/* Undo pair p of a swap killed before its commit, from what exists.
 * 0 or -1 (reported). */
static int
undo_pair(mongoc_client_t *c, const struct swap_pair *p)
{
	int o, k, a;

	if ((o = swap_exists(c, p->db, p->old)) < 0 ||
	    (k = swap_exists(c, p->db, p->coll)) < 0 ||
	    (a = swap_exists(c, p->db, p->aside)) < 0)
		return -1;
	if (o) {
		/* Swapped out; the name holds the restored collection. */
		if (k && a) {
			warn0("%s.%s: cannot be undone: %s.%s and %s.%s both "
			    "exist", p->db, p->old, p->db, p->coll, p->db,
			    p->aside);
			return -1;
		}
		if (k && swap_rename(c, p->db, p->coll, p->aside, 0) != 0)
			return -1;
		return swap_rename(c, p->db, p->old, p->coll, 0) != 0 ? -1 : 0;
	}
	/* Nothing swapped out: the restored collection was moved in only
	 * if the target did not exist and the aside name is free. */
	if (!p->existed && k && !a &&
	    swap_rename(c, p->db, p->coll, p->aside, 0) != 0)
		return -1;
	return 0;
}

/* Finish or undo the swap journalled in doc (of database home). */
static int
recover_doc(mongoc_client_t *c, const char *home, const bson_t *doc)
{
	const char *nonce = str_field(doc, "_id"), *state;
	struct swap_pair *p = NULL;
	bson_iter_t it, arr, e;
	size_t n = 0, i;
	int rc = -1, committed;

	state = str_field(doc, "state");
	if (nonce == NULL || state == NULL ||
	    !bson_iter_init_find(&it, doc, "pairs") ||
	    !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr)) {
		warn0("%s.%s: a journal entry bk did not write; left alone",
		    home, SWAP_JOURNAL);
		return -1;
	}
	while (bson_iter_next(&arr)) {
		struct swap_pair *q;

		if ((q = realloc(p, (n + 1) * sizeof(*p))) == NULL) {
			warnp("malloc");
			goto out;
		}
		p = q;
		memset(&p[n], 0, sizeof(*p));
		if (BSON_ITER_HOLDS_DOCUMENT(&arr) &&
		    bson_iter_recurse(&arr, &e))
			while (bson_iter_next(&e)) {
				const char *key = bson_iter_key(&e);

				if (strcmp(key, "existed") == 0)
					p[n].existed = bson_iter_as_bool(&e);
				else if (!BSON_ITER_HOLDS_UTF8(&e))
					continue;
				else if (strcmp(key, "db") == 0)
					p[n].db = bson_iter_utf8(&e, NULL);
				else if (strcmp(key, "coll") == 0)
					p[n].coll = bson_iter_utf8(&e, NULL);
				else if (strcmp(key, "aside") == 0)
					p[n].aside = bson_iter_utf8(&e, NULL);
				else if (strcmp(key, "old") == 0)
					p[n].old = bson_iter_utf8(&e, NULL);
			}
		if (p[n].db == NULL || p[n].coll == NULL ||
		    p[n].aside == NULL || p[n].old == NULL ||
		    strncmp(p[n].aside, "bk-restore-", 11) != 0 ||
		    strncmp(p[n].old, "bk-old-", 7) != 0) {
			warn0("%s.%s: swap %s: a pair bk did not write; left "
			    "alone", home, SWAP_JOURNAL, nonce);
			goto out;
		}
		n++;
	}
	if (n == 0 || strcmp(p[0].db, home) != 0) {
		warn0("%s.%s: swap %s: a journal bk did not write; left alone",
		    home, SWAP_JOURNAL, nonce);
		goto out;
	}
	committed = strcmp(state, "committed") == 0;
	if (committed) {
		for (i = 0; i < n; i++)
			if (swap_drop(c, p[i].db, p[i].old) != 0)
				goto out;
	} else {
		for (i = n; i-- > 0;)
			if (undo_pair(c, &p[i]) != 0) {
				warn0("%s: the swap %s, killed before its "
				    "commit, could not be undone: its journal "
				    "is kept for the next run", home, nonce);
				goto out;
			}
		for (i = 0; i < n; i++)
			if (swap_drop(c, p[i].db, p[i].aside) != 0)
				goto out;
	}
	if (swap_forget(c, nonce, p, n) != 0)
		goto out;
	if (committed)
		warn0("%s: the swap %s, killed after its commit, finished: "
		    "the restored collections are in place, their previous "
		    "contents dropped", home, nonce);
	else
		warn0("%s: the swap %s, killed before its commit, undone: "
		    "every collection is as it was before it", home, nonce);
	rc = 0;
out:
	free(p);
	return rc;
}

int
swap_recover(mongoc_client_t *c, const char *db)
{
	mongoc_collection_t *j = journal(c, db);
	mongoc_cursor_t *cur;
	const bson_t *d;
	bson_error_t err;
	bson_t filter, ne, **docs = NULL, **q, *h;
	size_t n = 0, i;
	int rc = 0, f;
	const char *home, *id;

	/* Read them all first: recovering changes the collection. */
	bson_init(&filter);
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &ne);
	BSON_APPEND_UTF8(&ne, "$ne", LOCK_ID);
	bson_append_document_end(&filter, &ne);
	cur = mongoc_collection_find_with_opts(j, &filter, NULL, NULL);
	while (mongoc_cursor_next(cur, &d)) {
		if ((q = realloc(docs, (n + 1) * sizeof(*docs))) == NULL) {
			warnp("malloc");
			rc = -1;
			break;
		}
		docs = q;
		docs[n++] = bson_copy(d);
	}
	if (rc == 0 && mongoc_cursor_error(cur, &err)) {
		warn0("%s.%s: find: %s", db, SWAP_JOURNAL, err.message);
		rc = -1;
	}
	mongoc_cursor_destroy(cur);
	bson_destroy(&filter);
	mongoc_collection_destroy(j);
	for (i = 0; i < n; i++) {
		if (rc == 0 && bson_has_field(docs[i], "pairs"))
			rc = recover_doc(c, db, docs[i]);
		else if (rc == 0 && (home = str_field(docs[i], "home")) &&
		    (id = str_field(docs[i], "_id"))) {
			if ((f = find_id(c, home, id, &h)) < 0)
				rc = -1;
			else if (f == 0) {
				warn0("%s.%s: swap %s points to a journal in "
				    "%s that is gone; removed", db,
				    SWAP_JOURNAL, id, home);
				rc = delete_id(c, db, id, NULL);
			} else {
				rc = recover_doc(c, home, h);
				bson_destroy(h);
			}
		} else if (rc == 0) {
			warn0("%s.%s: a journal entry bk did not write; left "
			    "alone", db, SWAP_JOURNAL);
			rc = -1;
		}
		bson_destroy(docs[i]);
	}
	free(docs);
	return rc;
}
