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
	while (bson_iter_next(&it)) {
		/* The uuid belongs to the dumped collection, not this one. */
		if (strcmp(bson_iter_key(&it), "uuid") == 0 ||
		    strcmp(bson_iter_key(&it), "create") == 0)
			continue;
		bson_append_iter(cmd, NULL, 0, &it);
	}
}

/*
 * Copy index spec into out without "ns" (rejected by servers since 4.4
 * and by FerretDB) and "v" (the index format version: the server picks
 * its own, and FerretDB rejects the option).
 */
static void
copy_spec(bson_t *out, const bson_t *spec)
{
	bson_iter_t it;
	const char *k;

	if (!bson_iter_init(&it, spec))
		return;
	while (bson_iter_next(&it)) {
		k = bson_iter_key(&it);
		if (strcmp(k, "ns") != 0 && strcmp(k, "v") != 0)
			bson_append_iter(out, NULL, 0, &it);
	}
}

/* 1 if spec is the _id index the server creates by itself. */
static int
is_id_index(const bson_t *spec)
{
	bson_iter_t it;

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
