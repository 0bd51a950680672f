/*
 * mongo_meta.c - a collection's metadata as mongodump records it
 * (.metadata.json: options, indexes, uuid, collectionName, type) and the
 * create/createIndexes commands bk-restore builds from it.  Pure
 * functions: no server involved, so the unit tests see the exact commands.
 */
#include <string.h>

#include <bson/bson.h>

#include "bk.h"
#include "mongo.h"

/*
 * What the server documents for the create command (MongoDB 7/8
 * reference, "create"), less the command-level writeConcern and comment:
 * the only collection options an archive may carry.  uuid describes the
 * dumped collection and is dropped.
 */
static const char *const create_opts[] = {
	"capped", "size", "max", "autoIndexId", "timeseries",
	"expireAfterSeconds", "clusteredIndex",
	"changeStreamPreAndPostImages", "storageEngine", "validator",
	"validationLevel", "validationAction", "indexOptionDefaults",
	"viewOn", "pipeline", "collation", "encryptedFields", NULL
};
static const char *const create_dropped[] = { "uuid", NULL };

/*
 * The fields of an index specification the server documents (the
 * createIndexes reference); ns and v are dropped (servers since 4.4 and
 * FerretDB reject ns; every server picks its own v), clustered marks the
 * index the create command's clusteredIndex makes.
 */
static const char *const index_fields[] = {
	"key", "name", "unique", "sparse", "expireAfterSeconds",
	"partialFilterExpression", "collation", "weights",
	"default_language", "language_override", "textIndexVersion",
	"2dsphereIndexVersion", "bits", "min", "max", "bucketSize",
	"wildcardProjection", "hidden", "storageEngine", "background", NULL
};
static const char *const index_dropped[] = { "ns", "v", "clustered", NULL };

static int
in_list(const char *const *list, const char *k)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, k) == 0)
			return 1;
	return 0;
}

/* Append the uuid of listCollections' info.uuid as 32 hex digits. */
static void
append_uuid(bson_t *meta, const bson_t *collinfo)
{
	const uint8_t *data;
	bson_subtype_t sub;
	bson_iter_t it;
	uint32_t len;
	char hex[33];

	if (!bson_iter_init(&it, collinfo) ||
	    !bson_iter_find_descendant(&it, "info.uuid", &it) ||
	    !BSON_ITER_HOLDS_BINARY(&it))
		return;
	bson_iter_binary(&it, &sub, &len, &data);
	if (len != 16)
		return;
	bk_hex(hex, data, 16);
	BSON_APPEND_UTF8(meta, "uuid", hex);
}

/*
 * libbson writes { "k" : v, ... }; mongodump (Go) writes {"k":v,...}.
 * Drop the spaces outside string literals, in place.
 */
static void
json_compact(char *s)
{
	char *w = s;
	int instr = 0, esc = 0;

	for (; *s != '\0'; s++) {
		if (instr) {
			*w++ = *s;
			if (esc)
				esc = 0;
			else if (*s == '\\')
				esc = 1;
			else if (*s == '"')
				instr = 0;
		} else if (*s != ' ') {
			if (*s == '"')
				instr = 1;
			*w++ = *s;
		}
	}
	*w = '\0';
}

char *
mongo_meta_json(const bson_t *collinfo, const bson_t *indexes)
{
	bson_t meta, empty = BSON_INITIALIZER;
	const char *name = "", *type = NULL;
	bson_iter_t it;
	uint32_t len;
	const uint8_t *data;
	bson_t opts;
	char *json;

	bson_init(&meta);
	if (bson_iter_init_find(&it, collinfo, "options") &&
	    BSON_ITER_HOLDS_DOCUMENT(&it)) {
		bson_iter_document(&it, &len, &data);
		if (len > 5 && bson_init_static(&opts, data, len))
			BSON_APPEND_DOCUMENT(&meta, "options", &opts);
	}
	BSON_APPEND_ARRAY(&meta, "indexes", indexes ? indexes : &empty);
	append_uuid(&meta, collinfo);
	if (bson_iter_init_find(&it, collinfo, "name") &&
	    BSON_ITER_HOLDS_UTF8(&it))
		name = bson_iter_utf8(&it, NULL);
	BSON_APPEND_UTF8(&meta, "collectionName", name);
	if (bson_iter_init_find(&it, collinfo, "type") &&
	    BSON_ITER_HOLDS_UTF8(&it))
		type = bson_iter_utf8(&it, NULL);
	if (type != NULL && *type != '\0')
		BSON_APPEND_UTF8(&meta, "type", type);
	json = bson_as_canonical_extended_json(&meta, NULL);
	if (json == NULL)
		warn0("collection %s: cannot format its metadata as JSON",
		    name);
	else
		json_compact(json);
	bson_destroy(&meta);
	return json;
}

int
mongo_meta_parse(const char *json, const char *ns, bson_t *meta)
{
	bson_error_t err;

	if (json == NULL || *json == '\0') {
		bson_init(meta);
		return 0;
	}
	if (!bson_init_from_json(meta, json, -1, &err)) {
		warn0("namespace %s: metadata is not valid Extended JSON: %s",
		    ns, err.message);
		bson_init(meta);
		return -1;
	}
	return 0;
}

/* Find key in meta as a subdocument/array; 1 and *sub set if found. */
static int
get_sub(const bson_t *meta, const char *key, bson_t *sub)
{
	const uint8_t *data;
	bson_iter_t it;
	uint32_t len;

	if (!bson_iter_init_find(&it, meta, key))
		return 0;
	if (BSON_ITER_HOLDS_DOCUMENT(&it))
		bson_iter_document(&it, &len, &data);
	else if (BSON_ITER_HOLDS_ARRAY(&it))
		bson_iter_array(&it, &len, &data);
	else
		return 0;
	return bson_init_static(sub, data, len) ? 1 : 0;
}

int
mongo_meta_is_view(const bson_t *meta)
{
	bson_iter_t it;
	bson_t opts;

	if (bson_iter_init_find(&it, meta, "type") &&
	    BSON_ITER_HOLDS_UTF8(&it) &&
	    strcmp(bson_iter_utf8(&it, NULL), "view") == 0)
		return 1;
	/* Old archives have no type: a view is what has viewOn. */
	return get_sub(meta, "options", &opts) &&
	    bson_has_field(&opts, "viewOn");
}

void
mongo_create_cmd(bson_t *cmd, const char *coll, const bson_t *meta)
{
	bson_iter_t it;
	bson_t opts;

	bson_init(cmd);
	BSON_APPEND_UTF8(cmd, "create", coll);
	if (!get_sub(meta, "options", &opts) || !bson_iter_init(&it, &opts))
		return;
	/* Only documented options (mongo_meta_check refused the rest). */
	while (bson_iter_next(&it))
		if (in_list(create_opts, bson_iter_key(&it)))
			bson_append_iter(cmd, NULL, 0, &it);
}

/* Copy the documented fields of index spec into out (not ns, v). */
static void
copy_spec(bson_t *out, const bson_t *spec)
{
	bson_iter_t it;

	if (!bson_iter_init(&it, spec))
		return;
	while (bson_iter_next(&it))
		if (in_list(index_fields, bson_iter_key(&it)))
			bson_append_iter(out, NULL, 0, &it);
}

/* 1 if spec is an index the server creates by itself (_id, clustered). */
static int
is_id_index(const bson_t *spec)
{
	bson_iter_t it;

	if (bson_iter_init_find(&it, spec, "clustered") &&
	    bson_iter_as_bool(&it))
		return 1;
	return bson_iter_init_find(&it, spec, "name") &&
	    BSON_ITER_HOLDS_UTF8(&it) &&
	    strcmp(bson_iter_utf8(&it, NULL), "_id_") == 0;
}

int
mongo_indexes_cmd(bson_t *cmd, const char *coll, const bson_t *meta)
{
	bson_t idx, arr, spec, out;
	const uint8_t *data;
	bson_iter_t it;
	uint32_t len;
	char key[16];
	const char *k;
	int n = 0;

	bson_init(cmd);
	BSON_APPEND_UTF8(cmd, "createIndexes", coll);
	BSON_APPEND_ARRAY_BEGIN(cmd, "indexes", &arr);
	if (get_sub(meta, "indexes", &idx) && bson_iter_init(&it, &idx)) {
		while (bson_iter_next(&it)) {
			if (!BSON_ITER_HOLDS_DOCUMENT(&it))
				continue;
			bson_iter_document(&it, &len, &data);
			if (!bson_init_static(&spec, data, len) ||
			    is_id_index(&spec))
				continue;
			bson_uint32_to_string((uint32_t)n, &k, key,
			    sizeof(key));
			bson_append_document_begin(&arr, k, -1, &out);
			copy_spec(&out, &spec);
			bson_append_document_end(&arr, &out);
			n++;
		}
	}
	bson_append_array_end(cmd, &arr);
	return n;
}

/*
 * Check the top-level keys of doc against allowed (and dropped): a key
 * starting with '$' (such as $db, which would redirect the command) or
 * any other unknown key is refused.  0 or -1 (reported).
 */
static int
check_keys(const bson_t *doc, const char *const *allowed,
    const char *const *dropped, const char *ns, const char *what)
{
	bson_iter_t it;
	const char *k;

	if (!bson_iter_init(&it, doc))
		return -1;
	while (bson_iter_next(&it)) {
		k = bson_iter_key(&it);
		if (k[0] != '$' && (in_list(allowed, k) ||
		    in_list(dropped, k)))
			continue;
		warn0("namespace %s: %s \"%.80s\" is not one the server "
		    "documents: refused", ns, what, k);
		return -1;
	}
	return 0;
}

/* The type of key in meta, or 0 (BSON_TYPE_EOD) if absent. */
static bson_type_t
type_of(const bson_t *meta, const char *key)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, meta, key) ? bson_iter_type(&it) :
	    BSON_TYPE_EOD;
}

int
mongo_meta_check(const bson_t *meta, const char *ns)
{
	bson_iter_t it;
	bson_t sub, spec;
	const uint8_t *data;
	uint32_t len;
	bson_type_t t;

	if ((t = type_of(meta, "options")) != BSON_TYPE_EOD &&
	    t != BSON_TYPE_DOCUMENT) {
		warn0("namespace %s: metadata \"options\" is not a document",
		    ns);
		return -1;
	}
	if (get_sub(meta, "options", &sub) && check_keys(&sub, create_opts,
	    create_dropped, ns, "collection option") != 0)
		return -1;
	if ((t = type_of(meta, "indexes")) != BSON_TYPE_EOD &&
	    t != BSON_TYPE_ARRAY) {
		warn0("namespace %s: metadata \"indexes\" is not an array",
		    ns);
		return -1;
	}
	if (!get_sub(meta, "indexes", &sub) || !bson_iter_init(&it, &sub))
		return 0;
	while (bson_iter_next(&it)) {
		if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
			warn0("namespace %s: an index specification is not a "
			    "document", ns);
			return -1;
		}
		bson_iter_document(&it, &len, &data);
		if (!bson_init_static(&spec, data, len) ||
		    type_of(&spec, "key") != BSON_TYPE_DOCUMENT) {
			warn0("namespace %s: an index specification has no "
			    "key document", ns);
			return -1;
		}
		if (check_keys(&spec, index_fields, index_dropped, ns,
		    "index field") != 0)
			return -1;
	}
	return 0;
}
