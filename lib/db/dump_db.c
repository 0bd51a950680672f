/*
 * dump_db.c - bk-dump's database mode: MongoDB -> one mongodump --archive
 * stream on standard output, optionally gzip or zstd compressed.
 *
 * The prelude (every namespace with its metadata) is written first; then
 * up to --jobs collections are read at once, each by its own thread and
 * client, buffering up to SEG_MAX bytes of documents before it writes a
 * segment under the output lock, so segments interleave as mongodump's do
 * and memory stays at jobs * SEG_MAX.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mongoc/mongoc.h>

#include "bk.h"
#include "archive.h"
#include "compress.h"
#include "db.h"
#include "mongo.h"
#include "vec.h"

#define SEG_MAX (16 * 1024 * 1024)


struct dump_ns {
	struct archive_ns a;	/* db, coll, metadata, type for the prelude */
	int view;
	uint64_t crc, ndocs, nbytes;
};

struct dump {
	const struct dump_db_opts *o;
	mongoc_client_pool_t *pool;
	bson_t query;
	struct vec ns;		/* of struct dump_ns, sorted by name */
	size_t next;
	char *uridb;		/* the database the URI names, or NULL */
	pthread_mutex_t lock;	/* guards next, out, prog, failed */
	struct bk_zwriter *zw;
	struct archive_out out;
	struct bk_progress *prog;
	int failed;
	int lost;		/* the connection to the server was lost */
};

/*
 * Note an error from the driver: one of the network (the server went
 * away mid-dump, a failover) makes the dump worth running again later
 * (exit 75), as an unreachable server at the start does.
 */
static void
driver_err(struct dump *d, const bson_error_t *err)
{
	if (err->domain == MONGOC_ERROR_STREAM ||
	    err->domain == MONGOC_ERROR_SERVER_SELECTION) {
		pthread_mutex_lock(&d->lock);
		d->lost = 1;
		pthread_mutex_unlock(&d->lock);
	}
}

static int
zwrite(void *ctx, const void *buf, size_t len)
{
	struct dump *d = ctx;

	bk_progress_add(d->prog, len);
	return bk_zwriter_write(d->zw, buf, len);
}

/* 1 if the namespace is wanted by --db, --collection and the patterns. */
static int
wanted(const struct dump_db_opts *o, const char *db, const char *coll)
{
	if (o->coll != NULL && strcmp(coll, o->coll) != 0)
		return 0;
	return mongo_ns_selected(o->incl, o->nincl, o->excl, o->nexcl, db,
	    coll);
}

/* The listIndexes output of db.coll as an array in *out. 0 or -1. */
static int
list_indexes(mongoc_client_t *c, const char *db, const char *coll,
    bson_t *out)
{
	mongoc_collection_t *col = mongoc_client_get_collection(c, db, coll);
	mongoc_cursor_t *cur;
	const bson_t *spec;
	char key[16];
	const char *k;
	uint32_t i = 0;
	int rc;

	bson_init(out);
	cur = mongoc_collection_find_indexes_with_opts(col, NULL);
	while (mongoc_cursor_next(cur, &spec)) {
		bson_uint32_to_string(i++, &k, key, sizeof(key));
		BSON_APPEND_DOCUMENT(out, k, spec);
	}
	rc = mongo_cursor_end(cur, 0, "%s.%s: listIndexes", db, coll);
	mongoc_collection_destroy(col);
	return rc;
}

static int
ns_cmp(const void *a, const void *b)
{
	const struct dump_ns *x = a, *y = b;
	int c = strcmp(x->a.db, y->a.db);

	return c != 0 ? c : strcmp(x->a.coll, y->a.coll);
}

/* Add one listCollections entry of db to d->ns.  0 or -1. */
static int
add_collection(struct dump *d, mongoc_client_t *c, const char *db,
    const bson_t *info)
{
	struct dump_ns *ns;
	const char *name, *type = "collection";
	bson_iter_t it;
	bson_t idx;
	int users;

	if (!bson_iter_init_find(&it, info, "name") ||
	    !BSON_ITER_HOLDS_UTF8(&it))
		return 0;
	name = bson_iter_utf8(&it, NULL);
	if (bson_iter_init_find(&it, info, "type") &&
	    BSON_ITER_HOLDS_UTF8(&it))
		type = bson_iter_utf8(&it, NULL);
	users = strcmp(db, "admin") == 0 && (strcmp(name, "system.users") ==
	    0 || strcmp(name, "system.roles") == 0);
	/* Server-internal collections are the server's business. */
	if (strncmp(name, "system.", 7) == 0 && !(users && d->o->users))
		return 0;
	if (!users && !wanted(d->o, db, name))
		return 0;
	if (strcmp(type, "timeseries") == 0) {
		warn0("%s.%s: timeseries collections are not supported", db,
		    name);
		return -1;
	}
	if (d->ns.n >= ARCHIVE_NS_MAX) {
		warn0("more than %d collections", ARCHIVE_NS_MAX);
		return -1;
	}
	if ((ns = vec_push(&d->ns)) == NULL)
		return -1;
	ns->view = strcmp(type, "view") == 0;
	bson_init(&idx);
	if (!ns->view && list_indexes(c, db, name, &idx) != 0) {
		bson_destroy(&idx);
		return -1;
	}
	ns->a.metadata = mongo_meta_json(info, ns->view ? NULL : &idx);
	bson_destroy(&idx);
	ns->a.db = strdup(db);
	ns->a.coll = strdup(name);
	ns->a.type = strdup(type);
	if (ns->a.metadata == NULL || ns->a.db == NULL || ns->a.coll == NULL ||
	    ns->a.type == NULL) {
		warnp("malloc");
		return -1;
	}
	return 0;
}

static int
list_db(struct dump *d, mongoc_client_t *c, const char *db)
{
	mongoc_database_t *dbh = mongoc_client_get_database(c, db);
	mongoc_cursor_t *cur;
	const bson_t *info;
	int rc = 0;

	cur = mongoc_database_find_collections_with_opts(dbh, NULL);
	while (rc == 0 && mongoc_cursor_next(cur, &info))
		rc = add_collection(d, c, db, info);
	rc = mongo_cursor_end(cur, rc, "database %s: listCollections", db);
	mongoc_database_destroy(dbh);
	return rc;
}

/* Find every namespace to dump, sorted by name.  0 or -1. */
static int
list_namespaces(struct dump *d)
{
	mongoc_client_t *c = mongoc_client_pool_pop(d->pool);
	const struct dump_db_opts *o = d->o;
	const char *const *dbs = o->dbs;
	bson_error_t err;
	char **names = NULL;
	size_t n = o->ndbs, k;
	int rc = 0, i, admin = 0;

	/* --db, else the URI's database, else every database. */
	if (n == 0 && d->uridb != NULL) {
		dbs = (const char *const *)&d->uridb;
		n = 1;
	}
	if (n > 0) {
		for (k = 0; rc == 0 && k < n; k++) {
			admin |= strcmp(dbs[k], "admin") == 0;
			rc = list_db(d, c, dbs[k]);
		}
		if (rc == 0 && o->users && !admin)
			rc = list_db(d, c, "admin");
		goto done;
	}
	rc = -1;
	if ((names = mongoc_client_get_database_names_with_opts(c, NULL,
	    &err)) == NULL) {
		driver_err(d, &err);
		warn0("listDatabases: %s", err.message);
		goto done;
	}
	rc = 0;
	for (i = 0; rc == 0 && names[i] != NULL; i++) {
		/* local and config are per-server state, never data. */
		if (strcmp(names[i], "local") == 0 ||
		    strcmp(names[i], "config") == 0)
			continue;
		rc = list_db(d, c, names[i]);
	}
done:
	bson_strfreev(names);
	mongoc_client_pool_push(d->pool, c);
	if (rc == 0 && d->ns.n > 1)
		qsort(d->ns.v, d->ns.n, d->ns.size, ns_cmp);
	return rc;
}

/* Write a segment of namespace ns (len bytes at buf) under the lock. */
static int
flush_segment(struct dump *d, struct dump_ns *ns, const unsigned char *buf,
    size_t len)
{
	int rc;

	pthread_mutex_lock(&d->lock);
	rc = d->failed ? -1 : archive_put_segment(&d->out, ns->a.db,
	    ns->a.coll, buf, len);
	if (rc != 0)
		d->failed = 1;
	pthread_mutex_unlock(&d->lock);
	return rc;
}

/* Stream one collection's documents into segments, then its EOF block. */
/* "X.Y.Z..." with three dot-separated numbers first. */
static int
version_ok(const char *v)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (*v < '0' || *v > '9')
			return 0;
		while (*v >= '0' && *v <= '9')
			v++;
		if (i < 2 && *v++ != '.')
			return 0;
	}
	return 1;
}

static int
dump_collection(struct dump *d, mongoc_client_t *c, struct dump_ns *ns,
    unsigned char *buf)
{
	mongoc_collection_t *col;
	mongoc_cursor_t *cur = NULL;
	const bson_t *doc;
	bson_error_t err;
	size_t used = 0;
	int rc = -1;

	if (ns->view)
		goto flush;
	col = mongoc_client_get_collection(c, ns->a.db, ns->a.coll);
	cur = mongoc_collection_find_with_opts(col, &d->query, NULL, NULL);
	mongoc_collection_destroy(col);
	while (mongoc_cursor_next(cur, &doc)) {
		if (doc->len > ARCHIVE_DOC_MAX) {
			warn0("%s.%s: a document of %lu bytes is larger than "
			    "any archive reader accepts", ns->a.db, ns->a.coll,
			    (unsigned long)doc->len);
			goto done;
		}
		if (used + doc->len > SEG_MAX && used > 0) {
			if (flush_segment(d, ns, buf, used) != 0)
				goto done;
			used = 0;
		}
		memcpy(buf + used, bson_get_data(doc), doc->len);
		ns->crc = crc64_xz(ns->crc, buf + used, doc->len);
		used += doc->len;
		ns->ndocs++;
		ns->nbytes += doc->len;
	}
	if (mongoc_cursor_error(cur, &err)) {
		driver_err(d, &err);
		warn0("%s.%s: find: %s", ns->a.db, ns->a.coll, err.message);
		goto done;
	}
flush:
	/* Like mongodump, flush even an empty buffer: an empty namespace
	 * (or a view) gets an empty segment before its EOF block. */
	if (flush_segment(d, ns, buf, used) != 0)
		goto done;
	pthread_mutex_lock(&d->lock);
	rc = d->failed ? -1 : archive_put_eof(&d->out, ns->a.db, ns->a.coll,
	    ns->crc);
	pthread_mutex_unlock(&d->lock);
done:
	mongoc_cursor_destroy(cur);
	return rc;
}

static void *
worker(void *arg)
{
	struct dump *d = arg;
	mongoc_client_t *c = mongoc_client_pool_pop(d->pool);
	unsigned char *buf;
	size_t i;

	/* A document is at most ARCHIVE_DOC_MAX == SEG_MAX: one fits. */
	if ((buf = malloc(SEG_MAX)) == NULL) {
		warnp("malloc");
		pthread_mutex_lock(&d->lock);
		d->failed = 1;
		pthread_mutex_unlock(&d->lock);
	}
	while (buf != NULL) {
		pthread_mutex_lock(&d->lock);
		i = d->failed ? d->ns.n : d->next++;
		pthread_mutex_unlock(&d->lock);
		if (i >= d->ns.n)
			break;
		if (dump_collection(d, c, vec_at(&d->ns, i), buf) != 0) {
			pthread_mutex_lock(&d->lock);
			d->failed = 1;
			pthread_mutex_unlock(&d->lock);
		}
	}
	free(buf);
	mongoc_client_pool_push(d->pool, c);
	return NULL;
}

/* Run the workers over every namespace.  0 or -1. */
static int
dump_all(struct dump *d)
{
	pthread_t th[DB_JOBS_MAX];
	int i, n = d->o->jobs, started = 0;

	if ((size_t)n > d->ns.n)
		n = d->ns.n > 0 ? (int)d->ns.n : 1;
	for (i = 0; i < n; i++) {
		if (pthread_create(&th[i], NULL, worker, d) != 0) {
			warn0("cannot start a dump thread");
			pthread_mutex_lock(&d->lock);
			d->failed = 1;
			pthread_mutex_unlock(&d->lock);
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return d->failed ? -1 : 0;
}

/* Per-namespace counts on stderr (-v) and in the --json status. */
static void
report(const struct dump *d, struct bk_status *st)
{
	uint64_t docs = 0, bytes = 0;
	char key[1024], sz[32];
	bson_t counts, one;
	size_t i;

	bson_init(&counts);
	for (i = 0; i < d->ns.n; i++) {
		const struct dump_ns *ns = vec_at(&d->ns, i);

		docs += ns->ndocs;
		bytes += ns->nbytes;
		if (d->o->verbose) {
			bk_fmt_bytes(sz, sizeof(sz), (double)ns->nbytes);
			warn0("%s.%s: %llu documents, %s%s", ns->a.db,
			    ns->a.coll, (unsigned long long)ns->ndocs, sz,
			    ns->view ? " (view)" : "");
		}
		snprintf(key, sizeof(key), "%s.%s", ns->a.db, ns->a.coll);
		bson_init(&one);
		BSON_APPEND_INT64(&one, "documents", (int64_t)ns->ndocs);
		BSON_APPEND_INT64(&one, "bytes", (int64_t)ns->nbytes);
		BSON_APPEND_DOCUMENT(&counts, key, &one);
		bson_destroy(&one);
	}
	/* The manifest records this "counts" object as it is. */
	bk_status_doc(st, "counts", &counts);
	bson_destroy(&counts);
	bk_status_int(st, "collections", (int64_t)d->ns.n);
	bk_status_int(st, "documents", (int64_t)docs);
	bk_status_int(st, "bytes", (int64_t)bytes);
}

void
dump_db_defaults(struct dump_db_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->readpref = "secondaryPreferred";
	o->jobs = 4;
}

int
dump_db_add_db(struct dump_db_opts *o, const char *name)
{
	size_t i;

	if (mongo_db_check(name, "--db") != 0)
		return -1;
	for (i = 0; i < o->ndbs; i++)
		if (strcmp(o->dbs[i], name) == 0)
			return 0;
	return db_pattern_add(o->dbs, &o->ndbs, name, "--db");
}

int
dump_db_check(const struct dump_db_opts *o)
{
	bson_error_t err;
	bson_t q;
	char *uridb = NULL;
	int rc = BK_NEGATIVE;

	if (o->coll != NULL && o->ndbs > 1) {
		warn0("--collection needs a single --db");
		return BK_NEGATIVE;
	}
	if (mongo_nspat_check_list("--ns-include", o->incl, o->nincl) != 0 ||
	    mongo_nspat_check_list("--ns-exclude", o->excl, o->nexcl) != 0)
		return BK_NEGATIVE;
	if (o->query != NULL) {
		if (!bson_init_from_json(&q, o->query, -1, &err)) {
			warn0("--query: not valid Extended JSON: %s",
			    err.message);
			return BK_NEGATIVE;
		}
		bson_destroy(&q);
	}
	/* Which databases is settled before any connection. */
	if (mongo_uri_db(o->uri, &uridb) != 0)
		return BK_FAIL;
	if (o->coll != NULL && o->ndbs == 0 && uridb == NULL)
		warn0("--collection needs --db (or a database in the URI)");
	else if (o->ndbs > 0 || uridb == NULL ||
	    mongo_db_check(uridb, "the URI's database") == 0)
		rc = BK_OK;
	free(uridb);
	return rc;
}

/* Open the pool, list the namespaces, write the stream.  BK_*. */
static int
dump_run(struct dump *d, struct bk_status *st)
{
	const struct dump_db_opts *o = d->o;
	struct archive_header h = { 0 };
	bson_error_t err;
	char *sv = NULL;
	struct archive_ns *prelude = NULL;
	size_t i;
	int temp, rc = BK_FAIL;

	if (o->query != NULL && !bson_init_from_json(&d->query, o->query, -1,
	    &err)) {
		warn0("--query: not valid Extended JSON: %s", err.message);
		return BK_FAIL;
	}
	if (mongo_uri_db(o->uri, &d->uridb) != 0)
		return BK_FAIL;
	/* The classic "authenticate against admin" URI now limits the dump:
	 * say so, since the backup would silently lack the application. */
	if (o->ndbs == 0 && d->uridb != NULL && strcmp(d->uridb, "admin") == 0)
		warn0("the URI names database admin, so only admin is dumped "
		    "(as mongodump does); to authenticate against admin and "
		    "dump every database use ...host/?authSource=admin");
	if ((d->pool = mongo_pool_open(o->uri, o->pwfile, o->readpref,
	    "bk-dump", &temp, &sv)) == NULL)
		return temp ? BK_RETRY : BK_FAIL;
	mongoc_client_pool_max_size(d->pool, (uint32_t)o->jobs + 1);
	if (list_namespaces(d) != 0)
		goto done;
	if (d->ns.n > 0 && (prelude = calloc(d->ns.n, sizeof(*prelude))) ==
	    NULL) {
		warnp("malloc");
		goto done;
	}
	for (i = 0; i < d->ns.n; i++)
		prelude[i] = ((struct dump_ns *)vec_at(&d->ns, i))->a;
	/* mongorestore refuses a prelude whose server_version is not X.Y.Z
	 * ("parse version from prelude: invalid version string"). */
	if (!version_ok(sv)) {
		warn0("the server did not report its version (buildInfo "
		    "gave \"%s\"): mongorestore would refuse the archive", sv);
		goto done;
	}
	h.concurrent = o->jobs;
	h.server_version = sv;
	h.tool_version = "bk-dump " BK_VERSION;
	if ((d->zw = bk_zwriter_new(STDOUT_FILENO, o->comp, o->level,
	    "<stdout>")) == NULL)
		goto done;
	d->out.write = zwrite;
	d->out.ctx = d;
	d->prog = bk_progress_new("dumping", 0, o->progress);
	if (archive_put_prelude(&d->out, &h, prelude, d->ns.n) != 0 ||
	    dump_all(d) != 0)
		goto done;
	bk_progress_done(d->prog);
	d->prog = NULL;
	bk_status_int(st, "archive_bytes", (int64_t)bk_zwriter_out(d->zw));
	if (bk_zwriter_finish(d->zw) != 0) {
		d->zw = NULL;
		goto done;
	}
	d->zw = NULL;
	if (bk_close_stdout() != 0)
		goto done;
	report(d, st);
	bk_status_str(st, "compression", bk_comp_name(o->comp));
	bk_status_str(st, "server_version", sv);
	rc = BK_OK;
done:
	if (rc != BK_OK && d->lost)
		rc = BK_RETRY;
	bk_progress_done(d->prog);
	bk_zwriter_free(d->zw);
	free(prelude);
	free(sv);
	return rc;
}

int
dump_db_run(const struct dump_db_opts *o, struct bk_status *st)
{
	struct dump d = { 0 };
	size_t i;
	int rc;

	mongoc_init();
	d.o = o;
	vec_init(&d.ns, sizeof(struct dump_ns));
	bson_init(&d.query);
	pthread_mutex_init(&d.lock, NULL);
	rc = dump_run(&d, st);
	pthread_mutex_destroy(&d.lock);
	for (i = 0; i < d.ns.n; i++) {
		struct dump_ns *ns = vec_at(&d.ns, i);

		bson_free(ns->a.metadata);
		free(ns->a.db);
		free(ns->a.coll);
		free(ns->a.type);
	}
	vec_free(&d.ns);
	free(d.out.open_db);	/* set only if the dump stopped mid-segment */
	free(d.out.open_coll);
	free(d.uridb);
	bson_destroy(&d.query);
	mongoc_client_pool_destroy(d.pool);
	mongoc_cleanup();
	return rc;
}
