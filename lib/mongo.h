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
 * URI's) and appname.  Checks that a server answers a ping; *temp is set
 * when the failure is worth retrying (server unreachable).  Diagnostics
 * never show the password.  NULL on error (reported).
 */
mongoc_client_pool_t *mongo_pool_open(const char *uri, const char *pwfile,
    const char *readpref, const char *appname, int *temp,
    char **server_version);

/* mongo_ns.c */
/*
 * 1 if "db.coll" matches pattern, where '*' matches any run of
 * characters (dots included) and every other character itself.
 */
int mongo_ns_match(const char *pattern, const char *ns);
/*
 * Rename ns by the first from/to pair whose from pattern matches: each
 * '*' of to receives, in order, what the corresponding '*' of from
 * matched.  Returns a new string (ns itself copied if nothing matches),
 * or NULL on error (reported; to with more '*' than from).
 */
char *mongo_ns_rename(char *const *from, char *const *to, size_t n,
    const char *ns);
/*
 * Split "db.coll" at the first dot into new strings.  -1 (reported) if
 * there is no dot or either side is empty.
 */
int mongo_ns_split(const char *ns, char **db, char **coll);

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
/* 1 if the metadata describes a view. */
int mongo_meta_is_view(const bson_t *meta);
/*
 * The create command for collection coll with the metadata's options:
 * {create: coll, <options in their order>}.  Options that only describe
 * the old collection (uuid) are left out.  cmd is initialised here.
 */
void mongo_create_cmd(bson_t *cmd, const char *coll, const bson_t *meta);
/*
 * The createIndexes command for coll from the metadata's indexes, with
 * the _id index left out (the server makes it) and each spec's "ns" and
 * "v" removed (newer servers and FerretDB reject "ns"; FerretDB rejects
 * "v", and every server picks its own index version).  Returns the number of
 * indexes in cmd (0: nothing to send; cmd is still initialised).
 */
int mongo_indexes_cmd(bson_t *cmd, const char *coll, const bson_t *meta);

#endif /* !BK_MONGO_H */
