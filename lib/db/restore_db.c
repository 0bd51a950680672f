/*
 * restore_db.c - bk-restore's database mode: a mongodump --archive stream
 * (plain, gzip or zstd, detected by magic) on standard input -> MongoDB.
 *
 * One pass over the stream: each namespace is created (with its options)
 * when first met, its documents go in unordered bulk inserts of bounded
 * size, and at its EOF block (CRC checked by the reader) its indexes are
 * built.  Views are created last, when what they read exists.  With
 * --dry-run nothing is sent anywhere: the stream is only checked.
 * --validate then compares each collection's count and an
 * order-independent digest (sum mod 2^256 of the SHA-256 of each raw
 * document) with what the server holds.
 *
 * Into a protected target (the approvals' target_check says so) every
 * selected namespace is restored aside into a temporary collection,
 * validated, and swapped in by renames only when all are; any failure
 * leaves the target as it was (bk-restore(1), APPROVALS).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mongoc/mongoc.h>
#include <openssl/rand.h>

#include "bk.h"
#include "io/sha256.h"
#include "archive.h"
#include "compress.h"
#include "db.h"
#include "mongo.h"
#include "swap.h"

#define SERVER_NAMESPACE_EXISTS 48
#define SERVER_NAMESPACE_NOT_FOUND 26
#define SERVER_DUPLICATE_KEY 11000
#define ASIDE_PREFIX "bk-restore-"


struct rs_ns {
	char *src;		/* db.coll in the archive */
	char *tdb, *tcoll;	/* where it goes (aside: the temporary name) */
	char *fcoll;		/* aside: the target collection, else NULL */
	char *bcoll;		/* aside: the target's name while swapped out */
	int moved_old, moved_new;	/* aside: the swap's steps done */
	int locked;		/* aside: holds its database's swap lock */
	/* A pointer (bson_new): a bson_t needs 128-byte alignment, which an
	 * element of a calloc'ed array does not have. */
	bson_t *meta;
	int selected, view, prepared, finished, nindexes;
	uint64_t inserted, failed;
	/* --merge: documents whose _id was there already; the collection's
	 * count before; whether it existed. */
	uint64_t present, before;
	int existed;
	unsigned char digest[32];	/* of the archive's documents */
};

struct rs {
	const struct restore_db_opts *o;
	struct bk_zreader *zr;
	struct archive_reader *ar;
	struct archive_ns *ans;
	struct rs_ns *ns;
	size_t n;
	mongoc_client_pool_t *pool;
	mongoc_client_t *c;
	mongoc_collection_t *bcoll;	/* the open bulk insert */
	mongoc_bulk_operation_t *bulk;
	size_t bns;
	uint64_t bdocs, bbytes;
	struct bk_progress *prog;
	uint64_t lastin;
	int write_errors;
	int aside;		/* a protected target: restore aside, swap */
	char nonce[17];
};

static ssize_t
zread(void *ctx, void *buf, size_t len)
{
	return bk_zreader_read(ctx, buf, len);
}

/* Add the 256-bit big-endian numbers: acc += v (mod 2^256). */
static void
add256(unsigned char acc[32], const unsigned char v[32])
{
	unsigned int carry = 0, s;
	int i;

	for (i = 31; i >= 0; i--) {
		s = acc[i] + v[i] + carry;
		acc[i] = s & 0xff;
		carry = s >> 8;
	}
}

/* acc += SHA-256(doc), with a reused context (no allocation per doc). */
static int
digest_add(unsigned char acc[32], const void *doc, size_t len)
{
	static struct bk_sha256 *c;
	unsigned char md[BK_SHA256_LEN];

	if ((c == NULL && (c = bk_sha256_new()) == NULL) ||
	    bk_sha256_update(c, doc, len) != 0 || bk_sha256_final(c, md) != 0)
		return -1;
	add256(acc, md);
	return 0;
}

/*
 * Check one namespace of the prelude and decide whether and where it
 * goes: its names (from the archive's separate db and collection
 * fields), its metadata, the guard against system collections (before
 * and after renaming), the patterns.  The metadata string is freed here:
 * only the parsed metadata of selected namespaces is kept.  BK_OK,
 * BK_FAIL, or BK_NEGATIVE (the archive is bad, or its namespace cannot
 * go where asked).
 */
static int
plan_ns(struct rs *r, struct archive_ns *a, struct rs_ns *ns)
{
	const struct restore_db_opts *o = r->o;
	bson_t meta;

	if ((ns->src = archive_nsname(a->db, a->coll)) == NULL)
		return -1;
	/* mongodump --oplog's entry: db "", collection "oplog".  Any other
	 * empty database name is corrupt (mongo_ns_check says so). */
	if (a->db[0] == '\0' && strcmp(a->coll, "oplog") == 0) {
		warn0("%s: skipped: oplog replay is not supported", a->coll);
		return 0;
	}
	if (mongo_ns_check(a->db, a->coll, "archive namespace") != 0)
		return BK_NEGATIVE;
	if (mongo_meta_parse(a->metadata, ns->src, &meta) != 0)
		return BK_NEGATIVE;
	bson_destroy(ns->meta);
	ns->meta = bson_copy(&meta);
	bson_destroy(&meta);
	free(a->metadata);
	a->metadata = NULL;
	ns->view = mongo_meta_is_view(ns->meta) ||
	    strcmp(a->type, "view") == 0;
	if (mongo_ns_users(a->db, a->coll)) {
		warn0("%s: skipped: users and roles are not restored "
		    "(see bk-restore(1))", ns->src);
		goto skip;
	}
	if (mongo_ns_reserved(a->db, a->coll)) {
		warn0("%s: skipped: system collections and the local and "
		    "config databases are not restored", ns->src);
		goto skip;
	}
	if (!mongo_ns_selected(o->incl, o->nincl, o->excl, o->nexcl, a->db,
	    a->coll))
		goto skip;
	if (mongo_meta_check(ns->meta, ns->src) != 0)
		return BK_NEGATIVE;
	if (mongo_ns_rename(o->from, o->to, o->nfrom, a->db, a->coll,
	    &ns->tdb, &ns->tcoll) != 0)
		return -1;
	if (mongo_ns_check(ns->tdb, ns->tcoll, ns->src) != 0)
		return BK_NEGATIVE;
	if (mongo_ns_reserved(ns->tdb, ns->tcoll)) {
		warn0("%s: refused: the target %s.%s is a system collection "
		    "or in the local or config database", ns->src, ns->tdb,
		    ns->tcoll);
		return BK_NEGATIVE;
	}
	ns->selected = 1;
	return 0;
skip:
	bson_reinit(ns->meta);
	return 0;
}

/*
 * o->target_check for each target "HOST:PORT/DB" of the selected
 * namespaces (each database once).  A result.
 */
static int
check_targets(struct rs *r)
{
	const struct restore_db_opts *o = r->o;
	const char *uri = o->uri != NULL ? o->uri : getenv("MONGODB_URI");
	const mongoc_host_list_t *h;
	mongoc_uri_t *u;
	bson_error_t err;
	char t[1024];
	size_t i, j;
	int rc = BK_OK;

	if (uri == NULL || (u = mongoc_uri_new_with_error(uri, &err)) ==
	    NULL) {
		warn0("no MongoDB URI to check the restore policy against");
		return BK_FAIL;
	}
	if (mongoc_uri_get_hosts(u) == NULL) {
		/* mongodb+srv://: the hosts come from DNS, later. */
		warn0("the URI names no host to check the restore policy "
		    "against; refused");
		mongoc_uri_destroy(u);
		return BK_NEGATIVE;
	}
	for (i = 0; i < r->n && rc == BK_OK; i++) {
		if (!r->ns[i].selected)
			continue;	/* no target: tdb is NULL */
		for (j = 0; j < i; j++)
			if (r->ns[j].selected && strcmp(r->ns[j].tdb,
			    r->ns[i].tdb) == 0)
				break;
		if (j < i)
			continue;
		for (h = mongoc_uri_get_hosts(u); h != NULL && rc == BK_OK;
		    h = h->next) {
			snprintf(t, sizeof(t), "%s/%s", h->host_and_port,
			    r->ns[i].tdb);
			rc = o->target_check(o->target_ctx, t, &r->aside);
		}
	}
	mongoc_uri_destroy(u);
	return rc;
}

/*
 * A protected target: every selected namespace goes first to a
 * collection "bk-restore-NONCE-I" of its target database (no dot, which
 * FerretDB refuses as a rename target; short, for the namespace length
 * limits), and the target is swapped out under "bk-old-NONCE-I".  Views
 * cannot be restored aside and swapped in: refused.  A result.
 */
static int
aside_names(struct rs *r)
{
	unsigned char rnd[8];
	char name[64];
	size_t i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		warn0("random nonce: OpenSSL RAND_bytes failed");
		return BK_FAIL;
	}
	bk_hex(r->nonce, rnd, sizeof(rnd));
	for (i = 0; i < r->n; i++) {
		struct rs_ns *ns = &r->ns[i];

		if (!ns->selected)
			continue;
		if (ns->view) {
			warn0("%s: a view cannot be restored aside into a "
			    "protected target; refused", ns->src);
			return BK_NEGATIVE;
		}
		ns->fcoll = ns->tcoll;
		snprintf(name, sizeof(name), ASIDE_PREFIX "%s-%zu", r->nonce, i);
		ns->tcoll = strdup(name);
		snprintf(name, sizeof(name), "bk-old-%s-%zu", r->nonce, i);
		if (ns->tcoll == NULL || (ns->bcoll = strdup(name)) == NULL) {
			warnp("malloc");
			return BK_FAIL;
		}
	}
	return BK_OK;
}

/* The name the user knows namespace ns's target by. */
static const char *
shown_coll(const struct rs_ns *ns)
{
	return ns->fcoll != NULL ? ns->fcoll : ns->tcoll;
}

/* Decide, for every namespace of the prelude, whether and where it goes. */
/*
 * Two namespaces of the archive restored into one collection would be
 * merged into it, silently: app.orders renamed by --ns-to 'scratch.*'
 * onto the archive's own scratch.orders.  Refused before anything is
 * written, naming both.  BK_OK or BK_NEGATIVE (a usage the archive makes
 * impossible, not a failure).
 */
struct tgt {
	const char *db, *coll, *src;
};

static int
tgt_cmp(const void *a, const void *b)
{
	const struct tgt *x = a, *y = b;
	int c = strcmp(x->db, y->db);

	return c != 0 ? c : strcmp(x->coll, y->coll);
}

static int
distinct_targets(struct rs *r)
{
	struct tgt *t;
	size_t i, n = 0;
	int rc = BK_OK;

	if (r->n == 0)
		return BK_OK;
	if ((t = calloc(r->n, sizeof(*t))) == NULL) {
		warnp("malloc");
		return BK_FAIL;
	}
	for (i = 0; i < r->n; i++)
		if (r->ns[i].selected)
			t[n++] = (struct tgt){ r->ns[i].tdb, r->ns[i].tcoll,
			    r->ns[i].src };
	qsort(t, n, sizeof(*t), tgt_cmp);
	for (i = 1; i < n && rc == BK_OK; i++)
		if (tgt_cmp(&t[i - 1], &t[i]) == 0) {
			warn0("%s and %s would both be restored into %s.%s; "
			    "leave one out (--ns-exclude) or rename it apart",
			    t[i - 1].src, t[i].src, t[i].db, t[i].coll);
			rc = BK_NEGATIVE;
		}
	free(t);
	return rc;
}

static int
plan(struct rs *r)
{
	size_t i;
	int rc;

	if (r->n > 0 && (r->ns = calloc(r->n, sizeof(*r->ns))) == NULL) {
		warnp("malloc");
		return -1;
	}
	for (i = 0; i < r->n; i++)
		r->ns[i].meta = bson_new();
	for (i = 0; i < r->n; i++)
		if ((rc = plan_ns(r, &r->ans[i], &r->ns[i])) != 0)
			return rc;
	if ((rc = distinct_targets(r)) != BK_OK)
		return rc;
	if (r->o->target_check != NULL && (rc = check_targets(r)) != BK_OK)
		return rc;
	/* --merge only adds what is missing: nothing to swap. */
	if (r->o->merge)
		r->aside = 0;
	return r->aside && !r->o->dry ? aside_names(r) : BK_OK;
}

/* Run cmd on database db; 0, or -1 (reported) unless code is ignored. */
static int
run_cmd(struct rs *r, const char *db, const bson_t *cmd, const char *what,
    const char *ns, int ignore_code)
{
	bson_error_t err;
	bson_t reply;
	int ok;

	ok = mongoc_client_command_simple(r->c, db, cmd, NULL, &reply, &err);
	bson_destroy(&reply);
	if (ok || (ignore_code != 0 && err.code == (uint32_t)ignore_code))
		return 0;
	warn0("%s: %s: %s", ns, what, err.message);
	return -1;
}

/* --merge: does the target exist, and how many documents has it? */
static int
merge_before(struct rs *r, struct rs_ns *ns)
{
	mongoc_collection_t *c;
	bson_error_t err;
	int64_t n;

	if ((ns->existed = swap_exists(r->c, ns->tdb, ns->tcoll)) < 0)
		return -1;
	if (!ns->existed)
		return 0;
	c = mongoc_client_get_collection(r->c, ns->tdb, ns->tcoll);
	n = mongoc_collection_count_documents(c, &(bson_t)BSON_INITIALIZER,
	    NULL, NULL, NULL, &err);
	mongoc_collection_destroy(c);
	if (n < 0) {
		warn0("%s: count: %s", ns->src, err.message);
		return -1;
	}
	ns->before = (uint64_t)n;
	return 0;
}

/* Drop (with --drop) and create the target of namespace i, once. */
static int
prepare(struct rs *r, size_t i)
{
	struct rs_ns *ns = &r->ns[i];
	bson_t cmd;
	int rc = 0;

	if (ns->prepared)
		return 0;
	ns->prepared = 1;
	if (r->o->drop) {
		bson_init(&cmd);
		BSON_APPEND_UTF8(&cmd, "drop", ns->tcoll);
		rc = run_cmd(r, ns->tdb, &cmd, "drop", ns->src,
		    SERVER_NAMESPACE_NOT_FOUND);
		bson_destroy(&cmd);
	}
	/* Views are made at the end, when what they read is there. */
	if (rc != 0 || ns->view)
		return rc;
	if (r->o->merge && (rc = merge_before(r, ns)) != 0)
		return rc;
	mongo_create_cmd(&cmd, ns->tcoll, ns->meta);
	/* Without --drop an existing collection is added to, not replaced. */
	rc = run_cmd(r, ns->tdb, &cmd, "create", ns->src,
	    SERVER_NAMESPACE_EXISTS);
	bson_destroy(&cmd);
	return rc;
}

/* Count write errors of a bulk reply and name the first one. */
static void
bulk_errors(struct rs *r, const bson_t *reply, uint64_t *nerr,
    uint64_t *ndup)
{
	bson_iter_t it, e;
	const char *first = NULL;

	*nerr = *ndup = 0;
	if (bson_iter_init_find(&it, reply, "writeErrors") &&
	    BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &e)) {
		while (bson_iter_next(&e)) {
			bson_iter_t m;

			/* --merge: a duplicate _id is a document present. */
			if (r->o->merge && BSON_ITER_HOLDS_DOCUMENT(&e) &&
			    bson_iter_recurse(&e, &m) &&
			    bson_iter_find(&m, "code") &&
			    bson_iter_as_int64(&m) == SERVER_DUPLICATE_KEY) {
				(*ndup)++;
				continue;
			}
			if (*nerr == 0 && BSON_ITER_HOLDS_DOCUMENT(&e) &&
			    bson_iter_recurse(&e, &m) &&
			    bson_iter_find(&m, "errmsg") &&
			    BSON_ITER_HOLDS_UTF8(&m))
				first = bson_iter_utf8(&m, NULL);
			(*nerr)++;
		}
	}
	if (*nerr > 0)
		warn0("%s: %llu of %llu documents not inserted; first error: "
		    "%s", r->ns[r->bns].src, (unsigned long long)*nerr,
		    (unsigned long long)r->bdocs, first ? first : "?");
}

/* Send the pending bulk insert.  0, or -1 if it failed (reported). */
static int
bulk_flush(struct rs *r)
{
	struct rs_ns *ns;
	bson_error_t err;
	bson_t reply;
	uint64_t nerr = 0, ndup = 0;
	int ok;

	if (r->bulk == NULL)
		return 0;
	ns = &r->ns[r->bns];
	ok = mongoc_bulk_operation_execute(r->bulk, &reply, &err) != 0;
	if (!ok) {
		bulk_errors(r, &reply, &nerr, &ndup);
		if (nerr == 0 && ndup == 0) {
			warn0("%s: insert: %s", ns->src, err.message);
			nerr = r->bdocs;
		}
	}
	bson_destroy(&reply);
	ns->inserted += r->bdocs - nerr - ndup;
	ns->present += ndup;
	ns->failed += nerr;
	mongoc_bulk_operation_destroy(r->bulk);
	mongoc_collection_destroy(r->bcoll);
	r->bulk = NULL;
	r->bcoll = NULL;
	r->bdocs = r->bbytes = 0;
	if (nerr > 0) {
		r->write_errors = 1;
		return r->o->cont ? 0 : -1;
	}
	return 0;
}

/* Queue one document of namespace i for insertion.  0 or -1. */
static int
insert_doc(struct rs *r, size_t i, const unsigned char *doc, size_t len)
{
	bson_t b, opts;
	bson_error_t err = { 0 };
	bool ok;

	if (r->bulk != NULL && r->bns != i && bulk_flush(r) != 0)
		return -1;
	if (prepare(r, i) != 0)
		return -1;
	if (r->bulk == NULL) {
		r->bcoll = mongoc_client_get_collection(r->c, r->ns[i].tdb,
		    r->ns[i].tcoll);
		bson_init(&opts);
		BSON_APPEND_BOOL(&opts, "ordered", false);
		r->bulk = mongoc_collection_create_bulk_operation_with_opts(
		    r->bcoll, &opts);
		bson_destroy(&opts);
		r->bns = i;
	}
	/*
	 * The archive reader has checked every document (the check --dry-run
	 * makes too); the driver's own would refuse field names the server
	 * accepts (dots, a leading $).
	 */
	bson_init(&opts);
	BSON_APPEND_BOOL(&opts, "validate", false);
	ok = bson_init_static(&b, doc, len) &&
	    mongoc_bulk_operation_insert_with_opts(r->bulk, &b, &opts, &err);
	bson_destroy(&opts);
	if (!ok) {
		warn0("%s: insert: %s", r->ns[i].src, err.message);
		return -1;
	}
	r->bdocs++;
	r->bbytes += len;
	if (r->bdocs >= r->o->batch_docs || r->bbytes >= r->o->batch_bytes)
		return bulk_flush(r);
	return 0;
}

/* The namespace's EOF block passed its CRC: finish it. */
static int
finish_ns(struct rs *r, size_t i)
{
	struct rs_ns *ns = &r->ns[i];
	bson_t cmd;
	int rc;

	if (r->bulk != NULL && r->bns == i && bulk_flush(r) != 0)
		return -1;
	if (prepare(r, i) != 0)
		return -1;
	/* --merge leaves an existing collection's indexes as they are. */
	if (ns->view || r->o->noindex || (r->o->merge && ns->existed)) {
		ns->finished = 1;
		return 0;
	}
	ns->nindexes = mongo_indexes_cmd(&cmd, ns->tcoll, ns->meta);
	rc = ns->nindexes == 0 ? 0 : run_cmd(r, ns->tdb, &cmd,
	    "createIndexes", ns->src, 0);
	bson_destroy(&cmd);
	ns->finished = rc == 0;
	return rc;
}

static int
create_views(struct rs *r)
{
	bson_t cmd;
	size_t i;
	int rc = 0;

	for (i = 0; i < r->n && rc == 0; i++) {
		if (!r->ns[i].selected || !r->ns[i].view)
			continue;
		mongo_create_cmd(&cmd, r->ns[i].tcoll, r->ns[i].meta);
		rc = run_cmd(r, r->ns[i].tdb, &cmd, "create view",
		    r->ns[i].src, r->o->drop ? 0 : SERVER_NAMESPACE_EXISTS);
		bson_destroy(&cmd);
	}
	return rc;
}

/*
 * Read the whole stream, restoring (or, dry, only checking).  BK_OK,
 * BK_FAIL, or BK_NEGATIVE (the stream itself is bad).
 */
static int
consume(struct rs *r)
{
	struct archive_event ev;
	struct rs_ns *ns;
	uint64_t in;
	int got;

	while ((got = archive_next(r->ar, &ev)) == 1) {
		in = bk_zreader_in(r->zr);
		bk_progress_add(r->prog, in - r->lastin);
		r->lastin = in;
		ns = &r->ns[ev.ns];
		if (ev.type == ARCHIVE_DOC && ns->view) {
			warn0("<stdin>: namespace %s at byte %llu: a view "
			    "that carries documents (corrupt or hostile)",
			    ns->src, (unsigned long long)ev.off);
			return BK_NEGATIVE;
		}
		if (!ns->selected)
			continue;
		if (ev.type == ARCHIVE_DOC) {
			if (digest_add(ns->digest, ev.doc, ev.len) != 0)
				return -1;
			if (!r->o->dry && insert_doc(r, ev.ns, ev.doc,
			    ev.len) != 0)
				return -1;
		} else if (!r->o->dry && finish_ns(r, ev.ns) != 0)
			return -1;
	}
	/* BK_NEGATIVE: the stream itself is bad (integrity), not the server. */
	if (got < 0)
		return BK_NEGATIVE;
	if (!r->o->dry && create_views(r) != 0)
		return -1;
	return 0;
}

/* What the server holds in ns: count and digest.  0 or -1. */
static int
server_digest(struct rs *r, const struct rs_ns *ns, uint64_t *count,
    unsigned char digest[32])
{
	mongoc_collection_t *col;
	mongoc_cursor_t *cur;
	const bson_t *doc;
	int rc = 0;

	*count = 0;
	memset(digest, 0, 32);
	col = mongoc_client_get_collection(r->c, ns->tdb, ns->tcoll);
	cur = mongoc_collection_find_with_opts(col, &(bson_t)BSON_INITIALIZER,
	    NULL, NULL);
	while (rc == 0 && mongoc_cursor_next(cur, &doc)) {
		(*count)++;
		rc = digest_add(digest, bson_get_data(doc), doc->len);
	}
	rc = mongo_cursor_end(cur, rc, "%s.%s: validate", ns->tdb,
	    ns->tcoll);
	mongoc_collection_destroy(col);
	return rc;
}

/*
 * --merge --validate: every document of the archive is in the target
 * (inserted, or its _id was there), and nothing else changed: the
 * target's count grew by what was inserted.  0, 1 (a difference,
 * reported) or -1.
 */
static int
validate_merge(struct rs *r, int print)
{
	mongoc_collection_t *c;
	bson_error_t err;
	char target[512];
	int64_t n;
	size_t i;
	int bad = 0, ok;

	if (print)
		printf("%-40s %10s %10s %10s %10s %10s %s\n", "namespace",
		    "archive", "inserted", "present", "before", "after",
		    "result");
	for (i = 0; i < r->n; i++) {
		struct rs_ns *ns = &r->ns[i];

		if (!ns->selected || ns->view)
			continue;
		c = mongoc_client_get_collection(r->c, ns->tdb, ns->tcoll);
		n = mongoc_collection_count_documents(c,
		    &(bson_t)BSON_INITIALIZER, NULL, NULL, NULL, &err);
		mongoc_collection_destroy(c);
		if (n < 0) {
			warn0("%s: count: %s", ns->src, err.message);
			return -1;
		}
		snprintf(target, sizeof(target), "%s.%s", ns->tdb, ns->tcoll);
		ok = ns->inserted + ns->present == r->ans[i].ndocs &&
		    (uint64_t)n == ns->before + ns->inserted;
		if (print)
			printf("%-40s %10llu %10llu %10llu %10llu %10lld %s\n",
			    target, (unsigned long long)r->ans[i].ndocs,
			    (unsigned long long)ns->inserted,
			    (unsigned long long)ns->present,
			    (unsigned long long)ns->before, (long long)n,
			    ok ? "ok" : "MISMATCH");
		if (!ok) {
			warn0("%s: validation failed: the archive has %llu "
			    "documents, %llu inserted and %llu present; the "
			    "server had %llu and has %lld", target,
			    (unsigned long long)r->ans[i].ndocs,
			    (unsigned long long)ns->inserted,
			    (unsigned long long)ns->present,
			    (unsigned long long)ns->before, (long long)n);
			bad = 1;
		}
	}
	return bad;
}

/* Print the validation table; 0 all equal, 1 a mismatch, -1 error. */
static int
validate(struct rs *r, int print)
{
	unsigned char sd[32];
	char target[512];
	uint64_t count;
	size_t i;
	int bad = 0, same;

	if (r->o->merge)
		return validate_merge(r, print);
	if (print)
		printf("%-40s %12s %12s %-8s %s\n", "namespace", "archive",
		    "server", "digest", "result");
	for (i = 0; i < r->n; i++) {
		struct rs_ns *ns = &r->ns[i];

		if (!ns->selected || ns->view)
			continue;
		if (server_digest(r, ns, &count, sd) != 0)
			return -1;
		same = memcmp(sd, ns->digest, 32) == 0;
		snprintf(target, sizeof(target), "%s.%s", ns->tdb,
		    shown_coll(ns));
		if (print)
				printf("%-40s %12llu %12llu %-8s %s\n", target,
			    (unsigned long long)r->ans[i].ndocs,
			    (unsigned long long)count, same ? "equal" :
			    "differs", same && count == r->ans[i].ndocs ?
			    "ok" : "MISMATCH");
		if (!same || count != r->ans[i].ndocs) {
			warn0("%s: validation failed: the archive has %llu "
			    "documents, the server %llu%s", target,
			    (unsigned long long)r->ans[i].ndocs,
			    (unsigned long long)count,
			    same ? "" : ", and their digests differ");
			bad = 1;
		}
	}
	return bad;
}

/* The plan (dry run) or the outcome, per namespace, and status keys. */
static void
summary(struct rs *r, struct bk_status *st)
{
	uint64_t docs = 0, bytes = 0;
	char sz[32], key[1024];
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct rs_ns *ns = &r->ns[i];
		struct archive_ns *a = &r->ans[i];

		if (!ns->selected)
			continue;
		docs += a->ndocs;
		bytes += a->nbytes;
		bk_fmt_bytes(sz, sizeof(sz), (double)a->nbytes);
		if (r->o->dry)
			printf("%s -> %s.%s: %s%llu documents, %s, CRC ok\n",
			    ns->src, ns->tdb, shown_coll(ns), ns->view ? "view, " :
			    "", (unsigned long long)a->ndocs, sz);
		else if (r->o->verbose && r->o->merge)
			warn0("%s -> %s.%s: %llu documents inserted, %llu "
			    "present already, %llu failed", ns->src, ns->tdb,
			    shown_coll(ns), (unsigned long long)ns->inserted,
			    (unsigned long long)ns->present,
			    (unsigned long long)ns->failed);
		else if (r->o->verbose)
			warn0("%s -> %s.%s: %llu documents inserted, %llu "
			    "failed, %d indexes", ns->src, ns->tdb, shown_coll(ns),
			    (unsigned long long)ns->inserted,
			    (unsigned long long)ns->failed, ns->nindexes);
		if (r->o->merge && !r->o->dry) {
			snprintf(key, sizeof(key), "present:%s.%s", ns->tdb,
			    shown_coll(ns));
			bk_status_int(st, key, (int64_t)ns->present);
		}
		snprintf(key, sizeof(key), "docs:%s.%s", ns->tdb,
		    shown_coll(ns));
		bk_status_int(st, key, (int64_t)(r->o->dry ? a->ndocs :
		    ns->inserted));
	}
	bk_status_int(st, "documents", (int64_t)docs);
	bk_status_int(st, "bytes", (int64_t)bytes);
}

void
restore_db_defaults(struct restore_db_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->batch_docs = 1000;
	o->batch_bytes = 16 * 1024 * 1024;
}

int
restore_db_check(const struct restore_db_opts *o)
{
	size_t i;

	if (o->nfrom != o->nto) {
		warn0("--ns-from and --ns-to come in pairs");
		return -1;
	}
	/* Every pattern is checked here, before any input is read. */
	if (mongo_nspat_check_list("--ns-include", o->incl, o->nincl) != 0 ||
	    mongo_nspat_check_list("--ns-exclude", o->excl, o->nexcl) != 0)
		return -1;
	for (i = 0; i < o->nfrom; i++)
		if (mongo_nspat_check_pair(o->from[i], o->to[i]) != 0)
			return -1;
	if (o->merge && o->drop) {
		warn0("--merge adds what is missing and never removes: not "
		    "with --drop");
		return -1;
	}
	if (o->dry && o->validate) {
		warn0("--validate compares with the server; --dry-run does "
		    "not touch it");
		return -1;
	}
	return 0;
}

/* The prelude: BK_OK, or BK_NEGATIVE / BK_FAIL (empty input). */
static int
read_prelude(struct rs *r)
{
	int rc;

	if ((rc = archive_read_prelude(r->ar)) == 0)
		return BK_OK;
	if (rc != ARCHIVE_EMPTY)
		return BK_NEGATIVE;
	if (bk_zreader_in(r->zr) == 0) {
		warn0("<stdin>: " BK_EMPTY_INPUT);
		return BK_FAIL;
	}
	warn0("<stdin>: the compressed stream holds nothing: not a "
	    "mongodump archive");
	return BK_NEGATIVE;
}

/* Append the target names of the namespaces in state (0 not begun, 1
 * partial, 2 complete) to line, at most a few, then how many more. */
static void
partial_list(struct rs *r, int state, char *line, size_t cap)
{
	size_t i, n = 0, len;

	for (i = 0; i < r->n; i++) {
		struct rs_ns *ns = &r->ns[i];

		if (!ns->selected || ns->view ||
		    (ns->finished ? 2 : ns->prepared) != state)
			continue;
		len = strlen(line);
		if (n++ < 8)
			snprintf(line + len, cap - len, "%s%s.%s",
			    n > 1 ? ", " : "", ns->tdb, ns->tcoll);
	}
	len = strlen(line);
	if (n == 0)
		snprintf(line + len, cap - len, "none");
	else if (n > 8)
		snprintf(line + len, cap - len, " and %zu more", n - 8);
}

/* A restore stopped: say which namespaces the target now holds whole. */
static void
report_partial(struct rs *r)
{
	char line[2048] = "";

	strcat(line, "complete: ");
	partial_list(r, 2, line, sizeof(line));
	strncat(line, "; partial: ", sizeof(line) - strlen(line) - 1);
	partial_list(r, 1, line, sizeof(line));
	strncat(line, "; not begun: ", sizeof(line) - strlen(line) - 1);
	partial_list(r, 0, line, sizeof(line));
	warn0("restore stopped: the target holds a partial restore (%s)",
	    line);
}

/* Is namespace i's database the first selected one of that name? */
static int
first_db(struct rs *r, size_t i)
{
	size_t j;

	if (!r->ns[i].selected)
		return 0;
	for (j = 0; j < i; j++)
		if (r->ns[j].selected && strcmp(r->ns[j].tdb,
		    r->ns[i].tdb) == 0)
			return 0;
	return 1;
}

/*
 * Before a restore aside: take the swap lock of every target database
 * (swap.c), finish or undo a swap a killed restore journalled there, then
 * drop what a restore killed before its swap left: collections named
 * ASIDE_PREFIX...  A "bk-old-" collection no journal explains (left by a
 * bk before the journal) may be the only copy of a target and is only
 * named.  A result.
 */
static int
aside_sweep(struct rs *r)
{
	mongoc_database_t *d;
	bson_error_t err;
	char **names;
	size_t i, k;
	int rc = BK_OK;

	for (i = 0; i < r->n; i++) {
		if (!first_db(r, i))
			continue;
		if ((rc = swap_lock(r->c, r->ns[i].tdb, r->nonce,
		    r->o->break_lock)) != BK_OK)
			return rc;
		r->ns[i].locked = 1;
	}
	for (i = 0; i < r->n; i++)
		if (first_db(r, i) && swap_recover(r->c, r->ns[i].tdb) != 0)
			return BK_FAIL;
	for (i = 0; i < r->n && rc == BK_OK; i++) {
		if (!first_db(r, i))
			continue;
		d = mongoc_client_get_database(r->c, r->ns[i].tdb);
		names = mongoc_database_get_collection_names_with_opts(d,
		    NULL, &err);
		mongoc_database_destroy(d);
		if (names == NULL) {
			warn0("%s: listCollections: %s", r->ns[i].tdb,
			    err.message);
			return BK_FAIL;
		}
		for (k = 0; names[k] != NULL && rc == BK_OK; k++) {
			if (strncmp(names[k], "bk-old-", 7) == 0)
				warn0("%s.%s: left by a restore killed while "
				    "swapping: it may hold a target's previous "
				    "contents (see bk-restore(1))",
				    r->ns[i].tdb, names[k]);
			if (strncmp(names[k], ASIDE_PREFIX,
			    strlen(ASIDE_PREFIX)) != 0)
				continue;
			warn0("%s.%s: dropped, left by an earlier restore "
			    "aside", r->ns[i].tdb, names[k]);
			if (swap_drop(r->c, r->ns[i].tdb, names[k]) != 0)
				rc = BK_FAIL;
		}
		bson_strfreev(names);
	}
	return rc;
}

/* Release the swap locks taken (every exit of a restore aside). */
static void
aside_unlock(struct rs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->ns[i].locked) {
			swap_unlock(r->c, r->ns[i].tdb, r->nonce);
			r->ns[i].locked = 0;
		}
}

/* Drop the collections restored aside (on failure). */
static void
aside_drop(struct rs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->ns[i].selected && r->ns[i].prepared)
			(void)swap_drop(r->c, r->ns[i].tdb, r->ns[i].tcoll);
}

/* Undo the swap's steps done, last first; 0, or -1 if one failed. */
static int
aside_rollback(struct rs *r, size_t upto)
{
	size_t i = upto;
	int rc = 0;

	while (i-- > 0) {
		struct rs_ns *ns = &r->ns[i];

		if (!ns->selected)
			continue;
		if (ns->moved_new && swap_rename(r->c, ns->tdb, ns->fcoll,
		    ns->tcoll, 0) != 0)
			rc = -1;
		else
			ns->moved_new = 0;
		if (ns->moved_old && !ns->moved_new && swap_rename(r->c,
		    ns->tdb, ns->bcoll, ns->fcoll, 0) != 0)
			rc = -1;
		else if (!ns->moved_new)
			ns->moved_old = 0;
	}
	return rc;
}

/*
 * The swap's pairs, for the journal (swap.c): the selected namespaces,
 * each with whether its target exists now.  NULL on error (reported).
 */
static struct swap_pair *
aside_pairs(struct rs *r, size_t *np)
{
	struct swap_pair *p;
	size_t i, n = 0;
	int e;

	if ((p = calloc(r->n + 1, sizeof(*p))) == NULL) {
		warnp("malloc");
		return NULL;
	}
	for (i = 0; i < r->n; i++) {
		struct rs_ns *ns = &r->ns[i];

		if (!ns->selected)
			continue;
		if ((e = swap_exists(r->c, ns->tdb, ns->fcoll)) < 0) {
			free(p);
			return NULL;
		}
		p[n].db = ns->tdb;
		p[n].coll = ns->fcoll;
		p[n].aside = ns->tcoll;
		p[n].old = ns->bcoll;
		p[n].existed = e;
		n++;
	}
	*np = n;
	return p;
}

/*
 * Swap every namespace restored aside into its target: the swap
 * journalled, the target (if any) renamed to its bk-old name, the
 * restored collection to the target's; when all are done the journal
 * says committed and the old ones are dropped.  On a failure the steps
 * done are undone and the restored collections dropped; if the undo
 * fails too (the server gone), the journal is left for the next run to
 * undo.  A result.
 */
static int
aside_swap(struct rs *r)
{
	struct swap_pair *p;
	size_t i, np = 0;
	int m, rc = BK_FAIL;

	if ((p = aside_pairs(r, &np)) == NULL)
		return BK_FAIL;
	if (np == 0) {
		free(p);
		return BK_OK;
	}
	if (swap_journal(r->c, r->nonce, p, np) != 0) {
		aside_drop(r);
		warn0("restore stopped: the target was left as it was");
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		struct rs_ns *ns = &r->ns[i];

		if (!ns->selected)
			continue;
		if ((m = swap_rename(r->c, ns->tdb, ns->fcoll, ns->bcoll,
		    1)) < 0)
			break;
		ns->moved_old = m == 0;
		if (swap_rename(r->c, ns->tdb, ns->tcoll, ns->fcoll, 0) != 0)
			break;
		ns->moved_new = 1;
	}
	/* A commit whose answer was lost may have happened: asked again, and
	 * when the journal cannot say, left to the next run, which reads it. */
	if (i == r->n && (swap_commit(r->c, r->nonce, p[0].db) == 0 ||
	    (m = swap_committed(r->c, r->nonce, p[0].db)) == 1)) {
		for (i = 0; i < r->n; i++)
			if (r->ns[i].selected && r->ns[i].moved_old &&
			    swap_drop(r->c, r->ns[i].tdb, r->ns[i].bcoll) != 0)
				break;
		if (i < r->n || swap_forget(r->c, r->nonce, p, np) != 0)
			warn0("swapped in, but its previous contents are not "
			    "all dropped: the next restore into %s drops them",
			    p[0].db);
		rc = BK_OK;
		goto out;
	}
	if ((i == r->n && m < 0) ||
	    aside_rollback(r, i < r->n ? i + 1 : r->n) != 0) {
		warn0("the swap could not be ended now: the next bk-restore "
		    "into %s finishes or undoes it from its journal (%s.%s); "
		    "until then "
		    "the previous contents are in the collections named "
		    "bk-old-%s-*", p[0].db, p[0].db, SWAP_JOURNAL, r->nonce);
		goto out;
	}
	aside_drop(r);
	if (swap_forget(r->c, r->nonce, p, np) != 0)
		warn0("the journal of the undone swap is left; the next "
		    "restore into %s removes it", p[0].db);
	warn0("swap failed: the target was left as it was");
out:
	free(p);
	return rc;
}

/* Everything after the options: a bk_result. */
static int
restore_run(struct rs *r, struct bk_status *st, int *incomplete)
{
	const struct restore_db_opts *o = r->o;
	char *sv = NULL;
	int temp, rc;

	if ((r->zr = bk_zreader_new(STDIN_FILENO, "<stdin>")) == NULL ||
	    (r->ar = archive_reader_new(zread, r->zr, "<stdin>")) == NULL)
		return BK_FAIL;
	if ((rc = read_prelude(r)) != BK_OK)
		return rc;
	r->ans = archive_reader_ns(r->ar, &r->n);
	if ((rc = plan(r)) != BK_OK)
		return rc;
	bk_status_str(st, "compression",
	    bk_comp_name(bk_zreader_method(r->zr)));
	if (!o->dry) {
		if ((r->pool = mongo_pool_open(o->uri, o->pwfile, "primary",
		    "bk-restore", &temp, &sv)) == NULL)
			return temp ? BK_RETRY : BK_FAIL;
		r->c = mongoc_client_pool_pop(r->pool);
		if (r->aside && (rc = aside_sweep(r)) != BK_OK)
			goto done;
	}
	r->prog = bk_progress_new(o->dry ? "checking" : "restoring",
	    bk_fd_size(STDIN_FILENO), o->progress);
	rc = consume(r);
	if (rc == BK_OK)
		rc = bulk_flush(r);
	else if (r->bulk != NULL) {
		/* Nothing more goes in after a failure. */
		mongoc_bulk_operation_destroy(r->bulk);
		mongoc_collection_destroy(r->bcoll);
		r->bulk = NULL;
	}
	bk_progress_done(r->prog);
	r->prog = NULL;
	if (rc == BK_OK && r->aside && r->write_errors) {
		warn0("some documents were not inserted: nothing swapped in");
		rc = BK_FAIL;
	}
	if (rc != BK_OK) {
		if (r->aside) {
			aside_drop(r);
			warn0("restore stopped: the target was left as it was");
		} else if (!o->dry)
			report_partial(r);
		goto done;
	}
	summary(r, st);
	*incomplete = r->write_errors;
	if (o->validate || r->aside) {
		fflush(stdout);
		if ((rc = validate(r, o->validate)) != 0)
			rc = rc < 0 ? BK_FAIL : BK_NEGATIVE;
	}
	if (r->aside) {
		if (rc == BK_OK)
			rc = aside_swap(r);
		else {
			/* One message for every stop before the swap, whichever
			 * phase it came in: scripts and people match on it. */
			aside_drop(r);
			warn0("validation failed: nothing swapped in");
			warn0("restore stopped: the target was left as it was");
		}
	}
	if (fflush(stdout) != 0) {
		warnp("<stdout>");
		rc = BK_FAIL;
	}
done:
	free(sv);
	return rc;
}

int
restore_db_run(const struct restore_db_opts *o, struct bk_status *st,
    int *incomplete)
{
	struct rs r = { 0 };
	size_t i;
	int rc;

	*incomplete = 0;
	mongoc_init();
	r.o = o;
	rc = restore_run(&r, st, incomplete);
	if (r.c != NULL && r.ns != NULL)
		aside_unlock(&r);
	for (i = 0; i < r.n && r.ns != NULL; i++) {
		free(r.ns[i].src);
		free(r.ns[i].tdb);
		free(r.ns[i].tcoll);
		free(r.ns[i].fcoll);
		free(r.ns[i].bcoll);
		bson_destroy(r.ns[i].meta);
	}
	free(r.ns);
	if (r.c != NULL)
		mongoc_client_pool_push(r.pool, r.c);
	mongoc_client_pool_destroy(r.pool);
	archive_reader_free(r.ar);
	bk_zreader_free(r.zr);
	mongoc_cleanup();
	return rc;
}
