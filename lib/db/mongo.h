/*
 * mongo.h - what bk-dump and bk-restore share about MongoDB: connecting
 * (URI, password file, read preference, redaction), namespace patterns
 * and renaming, and the collection metadata of the archive format with the
 * commands built from it.  The pattern and metadata functions are pure, so
 * the unit tests check exactly what would be sent to a server.
 */
#ifndef BK_MONGO_H
#define BK_MONGO_H

#include <stddef.h>
#include <stdint.h>

#include <mongoc/mongoc.h>

/* mongo_conn.c */
/*
 * A copy of uri with any password replaced by "***", for messages.  Never
 * NULL for a non-NULL uri (falls back to "<uri>" on malloc failure).
 * Free with free().
 */
char *mongo_redact_uri(const char *uri);
/*
 * Open a client pool for uri (or $MONGODB_URI if uri is NULL), with the
 * password from pwfile (a private file, trailing newline ignored) if
 * given, the read preference mode readpref ("primary", "secondary",
 * "primaryPreferred", "secondaryPreferred", "nearest"; NULL keeps the
 * URI's) and appname, and the defaults of mongo_uri_defaults.  Checks
 * that a server answers a ping; *temp is set when the failure is worth
 * retrying (server unreachable).  Diagnostics never show the password.
 * NULL on error (reported).
 */
mongoc_client_pool_t *mongo_pool_open(const char *uri, const char *pwfile,
    const char *readpref, const char *appname, int *temp,
    char **server_version);
/*
 * The database uri (or $MONGODB_URI if uri is NULL) names, as a new
 * string in *db, or NULL if it names none (or there is no URI).  0, or -1
 * (reported) if the URI does not parse.
 */
int mongo_uri_db(const char *uri, char **db);
/*
 * bk's defaults for what the URI leaves unset: serverSelectionTimeoutMS
 * 5000 (the driver's 30 s makes an unreachable server slow to report).
 */
void mongo_uri_defaults(mongoc_uri_t *u);

/*
 * Finish with cursor cur after a loop that came to rc (0 or -1): destroy
 * it and return rc; if rc is 0 but the cursor failed, report
 * "WHAT: the server's message" (what as printf formats it) and return -1.
 */
int mongo_cursor_end(mongoc_cursor_t *cur, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* mongo_ns.c */
#define MONGO_DB_MAX 63		/* bytes of a database name */
#define MONGO_NS_MAX 255	/* bytes of "db.coll" */
/*
 * Check a namespace given as its database and collection names (as the
 * archive gives them, never split from "db.coll"): the database name is
 * 1..63 bytes without / \ . " $ or space, the collection name is not
 * empty and has no $, and "db.coll" is at most 255 bytes.  what names
 * the namespace's role in the message.  0, or -1 (reported).
 */
int mongo_ns_check(const char *db, const char *coll, const char *what);
/* The same for a database name alone. */
int mongo_db_check(const char *db, const char *what);
/*
 * 1 if db.coll is never restored: a system collection (system.*, any
 * case, in any database) or anything in local or config (any case).
 */
int mongo_ns_reserved(const char *db, const char *coll);
/* 1 if db.coll holds users or roles (admin.system.users/roles, any case). */
int mongo_ns_users(const char *db, const char *coll);
/*
 * Check a pattern of option opt: "DBPAT.COLLPAT" ('*' matches any run of
 * characters), or "DBPAT" alone for every collection of the matching
 * databases.  0, or -1 (reported).
 */
int mongo_nspat_check(const char *opt, const char *pattern);
/* mongo_nspat_check of each of the n patterns p.  0 or -1. */
int mongo_nspat_check_list(const char *opt, const char *const *p, size_t n);
/*
 * Check a --ns-from/--ns-to pair: both have a dot, to has no more '*'
 * than from, and the database part of to no more '*' than the database
 * part of from (so a target database never receives part of a
 * collection name), and to names no reserved namespace (mongo_ns_reserved)
 * nor a collection with a $ or a leading dot.  0, or -1 (reported).
 */
int mongo_nspat_check_pair(const char *from, const char *to);
/*
 * 1 if the namespace db/coll matches pattern: the pattern's database part
 * against db, its collection part against coll.
 */
int mongo_ns_match(const char *pattern, const char *db, const char *coll);
/*
 * 1 if db/coll is selected by the include patterns (any matches; no
 * pattern: all are) and not by the exclude patterns.
 */
int mongo_ns_selected(const char *const *incl, size_t nincl,
    const char *const *excl, size_t nexcl, const char *db,
    const char *coll);
/*
 * Where db/coll goes: by the first from/to pair whose from matches, each
 * '*' of to receiving, in order, what the corresponding '*' of from
 * matched; db/coll itself if none matches.  *tdb and *tcoll are new
 * strings.  0, or -1 (reported; a bad pair or malloc failure).
 */
int mongo_ns_rename(char *const *from, char *const *to, size_t n,
    const char *db, const char *coll, char **tdb, char **tcoll);

/* mongo_meta.c */
/*
 * Build the metadata document mongodump writes for a collection from
 * its listCollections entry and its listIndexes output (an array, may be
 * NULL for a view): {options (omitted if empty), indexes, uuid (hex,
 * omitted if absent), collectionName, type (omitted unless a view or
 * timeseries)}.  Returns canonical Extended JSON (bson_free it), or NULL
 * (reported).
 */
char *mongo_meta_json(const bson_t *collinfo, const bson_t *indexes);
/*
 * Parse the metadata JSON of an archive namespace into meta (initialised
 * by this call; bson_destroy it).  "" yields an empty document.  -1 on
 * malformed JSON (reported, naming ns).
 */
int mongo_meta_parse(const char *json, const char *ns, bson_t *meta);
/*
 * Check what the create and createIndexes commands would take from the
 * metadata: "options" a document whose keys are all documented collection
 * options, "indexes" an array of documents, each with a "key" document and
 * only documented index fields.  A key starting with '$' (such as $db)
 * is never accepted.  0, or -1 (reported, naming ns and the key).
 */
int mongo_meta_check(const bson_t *meta, const char *ns);
/* 1 if the metadata describes a view. */
int mongo_meta_is_view(const bson_t *meta);
/*
 * The create command for collection coll with the metadata's options:
 * {create: coll, <options in their order>}.  Only the options
 * mongo_meta_check accepts are copied (never uuid, never a '$' key).
 * cmd is initialised here.
 */
void mongo_create_cmd(bson_t *cmd, const char *coll, const bson_t *meta);
/*
 * The createIndexes command for coll from the metadata's indexes, with
 * the _id and clustered indexes left out (the server makes them) and
 * only the documented fields of each spec copied: "ns" and "v" are
 * removed (newer servers and FerretDB reject "ns"; FerretDB rejects
 * "v", and every server picks its own index version).  Returns the number of
 * indexes in cmd (0: nothing to send; cmd is still initialised).
 */
int mongo_indexes_cmd(bson_t *cmd, const char *coll, const bson_t *meta);

#endif /* !BK_MONGO_H */
