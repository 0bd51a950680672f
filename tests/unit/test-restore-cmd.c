/*
 * Unit tests for lib/mongo_meta.c, lib/mongo_ns.c and the URI redaction
 * of lib/mongo_conn.c: the exact create/createIndexes commands bk-restore
 * sends for what FerretDB cannot hold (views, validators, collation,
 * capped, TTL/partial/text/2dsphere indexes, old specs with "ns"), the
 * metadata bk-dump writes, namespace patterns and renaming.
 */
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "bk.h"
#include "mongo.h"
#include "unit.h"

/* 1 if cmd, as canonical Extended JSON, equals want (also canonical). */
static int
same_json(const bson_t *cmd, const char *want)
{
	bson_error_t err;
	bson_t w;
	int eq;
	char *a, *b;

	if (!bson_init_from_json(&w, want, -1, &err)) {
		fprintf(stderr, "bad test JSON: %s\n", err.message);
		return 0;
	}
	eq = bson_equal(cmd, &w);
	if (!eq) {
		a = bson_as_canonical_extended_json(cmd, NULL);
		b = bson_as_canonical_extended_json(&w, NULL);
		fprintf(stderr, "got  %s\nwant %s\n", a, b);
		bson_free(a);
		bson_free(b);
	}
	bson_destroy(&w);
	return eq;
}

static void
test_view(void)
{
	const char *md = "{\"options\":{\"viewOn\":\"orders\",\"pipeline\":"
	    "[{\"$match\":{\"status\":\"open\"}}],\"collation\":{\"locale\":"
	    "\"fr\",\"strength\":{\"$numberInt\":\"2\"}}},\"indexes\":[],"
	    "\"collectionName\":\"open_orders\",\"type\":\"view\"}";
	bson_t meta, cmd;

	CHECK(mongo_meta_parse(md, "shop.open_orders", &meta) == 0);
	CHECK(mongo_meta_is_view(&meta));
	mongo_create_cmd(&cmd, "open_orders", &meta);
	CHECK(same_json(&cmd, "{\"create\":\"open_orders\",\"viewOn\":"
	    "\"orders\",\"pipeline\":[{\"$match\":{\"status\":\"open\"}}],"
	    "\"collation\":{\"locale\":\"fr\",\"strength\":{\"$numberInt\":"
	    "\"2\"}}}"));
	bson_destroy(&cmd);
	CHECK(mongo_indexes_cmd(&cmd, "open_orders", &meta) == 0);
	bson_destroy(&cmd);
	bson_destroy(&meta);
	/* An old archive without "type": viewOn alone makes it a view. */
	CHECK(mongo_meta_parse("{\"options\":{\"viewOn\":\"x\"}}", "a.b",
	    &meta) == 0);
	CHECK(mongo_meta_is_view(&meta));
	bson_destroy(&meta);
}

static void
test_capped_validator(void)
{
	const char *md = "{\"options\":{\"capped\":true,\"size\":{"
	    "\"$numberLong\":\"1048576\"},\"max\":{\"$numberInt\":\"100\"},"
	    "\"validator\":{\"$jsonSchema\":{\"required\":[\"a\"]}},"
	    "\"validationLevel\":\"strict\",\"validationAction\":\"error\","
	    "\"uuid\":\"ignored\"},"
	    "\"indexes\":[{\"v\":{\"$numberInt\":\"2\"},\"key\":{\"_id\":"
	    "{\"$numberInt\":\"1\"}},\"name\":\"_id_\"}],"
	    "\"uuid\":\"0123456789abcdef0123456789abcdef\","
	    "\"collectionName\":\"log\",\"type\":\"collection\"}";
	bson_t meta, cmd;

	CHECK(mongo_meta_parse(md, "app.log", &meta) == 0);
	CHECK(!mongo_meta_is_view(&meta));
	mongo_create_cmd(&cmd, "log2", &meta);
	CHECK(same_json(&cmd, "{\"create\":\"log2\",\"capped\":true,"
	    "\"size\":{\"$numberLong\":\"1048576\"},\"max\":{\"$numberInt\":"
	    "\"100\"},\"validator\":{\"$jsonSchema\":{\"required\":[\"a\"]}},"
	    "\"validationLevel\":\"strict\",\"validationAction\":\"error\"}"));
	bson_destroy(&cmd);
	/* Only the _id index: nothing to send. */
	CHECK(mongo_indexes_cmd(&cmd, "log2", &meta) == 0);
	CHECK(same_json(&cmd, "{\"createIndexes\":\"log2\",\"indexes\":[]}"));
	bson_destroy(&cmd);
	bson_destroy(&meta);
}

static void
test_indexes(void)
{
	const char *md = "{\"indexes\":["
	    "{\"v\":{\"$numberInt\":\"2\"},\"key\":{\"_id\":{\"$numberInt\":"
	    "\"1\"}},\"name\":\"_id_\",\"ns\":\"shop.orders\"},"
	    "{\"v\":{\"$numberInt\":\"1\"},\"key\":{\"created\":{"
	    "\"$numberInt\":\"1\"}},\"name\":\"ttl\",\"ns\":\"shop.orders\","
	    "\"expireAfterSeconds\":{\"$numberInt\":\"3600\"}},"
	    "{\"v\":{\"$numberInt\":\"2\"},\"key\":{\"sku\":{\"$numberInt\":"
	    "\"1\"},\"qty\":{\"$numberInt\":\"-1\"}},\"name\":\"sku_qty\","
	    "\"unique\":true,\"partialFilterExpression\":{\"qty\":{\"$gt\":"
	    "{\"$numberInt\":\"0\"}}},\"collation\":{\"locale\":\"en\"}},"
	    "{\"v\":{\"$numberInt\":\"2\"},\"key\":{\"_fts\":\"text\","
	    "\"_ftsx\":{\"$numberInt\":\"1\"}},\"name\":\"txt\",\"weights\":"
	    "{\"title\":{\"$numberInt\":\"10\"}},\"default_language\":"
	    "\"english\",\"textIndexVersion\":{\"$numberInt\":\"3\"}},"
	    "{\"key\":{\"loc\":\"2dsphere\"},\"name\":\"geo\",\"sparse\":true,"
	    "\"2dsphereIndexVersion\":{\"$numberInt\":\"3\"},\"hidden\":true}"
	    "],\"collectionName\":\"orders\"}";
	bson_t meta, cmd;

	CHECK(mongo_meta_parse(md, "shop.orders", &meta) == 0);
	CHECK(mongo_indexes_cmd(&cmd, "orders", &meta) == 4);
	CHECK(same_json(&cmd, "{\"createIndexes\":\"orders\",\"indexes\":["
	    "{\"key\":{\"created\":{\"$numberInt\":\"1\"}},\"name\":\"ttl\","
	    "\"expireAfterSeconds\":{\"$numberInt\":\"3600\"}},"
	    "{\"key\":{\"sku\":{\"$numberInt\":\"1\"},\"qty\":{\"$numberInt\":"
	    "\"-1\"}},\"name\":\"sku_qty\",\"unique\":true,"
	    "\"partialFilterExpression\":{\"qty\":{\"$gt\":{\"$numberInt\":"
	    "\"0\"}}},\"collation\":{\"locale\":\"en\"}},"
	    "{\"key\":{\"_fts\":\"text\",\"_ftsx\":{\"$numberInt\":\"1\"}},"
	    "\"name\":\"txt\",\"weights\":{\"title\":{\"$numberInt\":\"10\"}},"
	    "\"default_language\":\"english\",\"textIndexVersion\":{"
	    "\"$numberInt\":\"3\"}},"
	    "{\"key\":{\"loc\":\"2dsphere\"},\"name\":\"geo\",\"sparse\":true,"
	    "\"2dsphereIndexVersion\":{\"$numberInt\":\"3\"},\"hidden\":true}"
	    "]}"));
	bson_destroy(&cmd);
	/* A collection without options: just create. */
	mongo_create_cmd(&cmd, "orders", &meta);
	CHECK(same_json(&cmd, "{\"create\":\"orders\"}"));
	bson_destroy(&cmd);
	bson_destroy(&meta);
	/* Malformed metadata is refused; "" is an empty document. */
	CHECK(mongo_meta_parse("{\"options\":", "a.b", &meta) == -1);
	bson_destroy(&meta);
	CHECK(mongo_meta_parse("", "a.b", &meta) == 0 && meta.len == 5);
	bson_destroy(&meta);
}

/* bk-dump's metadata from a listCollections entry and listIndexes. */
static void
test_meta_json(void)
{
	bson_error_t err;
	bson_t info, idx, back;
	uint8_t uuid[16];
	char *json;
	int i;

	for (i = 0; i < 16; i++)
		uuid[i] = (uint8_t)(i * 17);
	bson_init(&info);
	BSON_APPEND_UTF8(&info, "name", "orders");
	BSON_APPEND_UTF8(&info, "type", "collection");
	bson_init_from_json(&idx, "{\"capped\":true,\"size\":{"
	    "\"$numberInt\":\"4096\"}}", -1, &err);
	BSON_APPEND_DOCUMENT(&info, "options", &idx);
	bson_destroy(&idx);
	{
		bson_t in;

		BSON_APPEND_DOCUMENT_BEGIN(&info, "info", &in);
		BSON_APPEND_BOOL(&in, "readOnly", false);
		BSON_APPEND_BINARY(&in, "uuid", BSON_SUBTYPE_UUID, uuid, 16);
		bson_append_document_end(&info, &in);
	}
	bson_init_from_json(&idx, "{\"0\":{\"v\":{\"$numberInt\":\"2\"},"
	    "\"key\":{\"_id\":{\"$numberInt\":\"1\"}},\"name\":\"_id_\"}}",
	    -1, &err);
	json = mongo_meta_json(&info, &idx);
	CHECK(json != NULL);
	CHECK(bson_init_from_json(&back, json, -1, &err));
	CHECK(same_json(&back, "{\"options\":{\"capped\":true,\"size\":{"
	    "\"$numberInt\":\"4096\"}},\"indexes\":[{\"v\":{\"$numberInt\":"
	    "\"2\"},\"key\":{\"_id\":{\"$numberInt\":\"1\"}},\"name\":"
	    "\"_id_\"}],\"uuid\":\"00112233445566778899aabbccddeeff\","
	    "\"collectionName\":\"orders\",\"type\":\"collection\"}"));
	bson_destroy(&back);
	bson_free(json);
	bson_destroy(&idx);
	bson_destroy(&info);
	/* A view: no options omitted, indexes [] always present. */
	bson_init(&info);
	BSON_APPEND_UTF8(&info, "name", "v");
	BSON_APPEND_UTF8(&info, "type", "view");
	json = mongo_meta_json(&info, NULL);
	CHECK(json != NULL && bson_init_from_json(&back, json, -1, &err));
	CHECK(same_json(&back, "{\"indexes\":[],\"collectionName\":\"v\","
	    "\"type\":\"view\"}"));
	bson_destroy(&back);
	bson_free(json);
	bson_destroy(&info);
}

static void
test_ns(void)
{
	char *from[] = { "prod.*", "a.*_*" }, *to[] = { "staging.*", "b.*-*" };
	char *bad_to[] = { "x.*.*" };
	char *s, *db, *coll;

	CHECK(mongo_ns_match("shop.*", "shop.orders"));
	CHECK(mongo_ns_match("*.orders", "shop.orders"));
	CHECK(mongo_ns_match("*", "a.b.c"));
	CHECK(!mongo_ns_match("shop.*", "shopping.orders"));
	CHECK(!mongo_ns_match("shop.orders", "shop.orders2"));
	CHECK(mongo_ns_match("s*p.o*s", "shop.orders"));
	s = mongo_ns_rename(from, to, 2, "prod.users.archive");
	CHECK(s != NULL && strcmp(s, "staging.users.archive") == 0);
	free(s);
	s = mongo_ns_rename(from, to, 2, "a.x_y");
	CHECK(s != NULL && strcmp(s, "b.x-y") == 0);
	free(s);
	s = mongo_ns_rename(from, to, 2, "other.c");
	CHECK(s != NULL && strcmp(s, "other.c") == 0);
	free(s);
	CHECK(mongo_ns_rename(from, bad_to, 1, "prod.c") == NULL);
	CHECK(mongo_ns_split("db.coll.with.dots", &db, &coll) == 0);
	CHECK(strcmp(db, "db") == 0 && strcmp(coll, "coll.with.dots") == 0);
	free(db);
	free(coll);
	CHECK(mongo_ns_split("nodot", &db, &coll) == -1);
	CHECK(mongo_ns_split(".c", &db, &coll) == -1);
}

static void
test_redact(void)
{
	static const char *cases[][2] = {
		{ "mongodb://u:s3cret@h:27017/db?authSource=admin",
		    "mongodb://u:***@h:27017/db?authSource=admin" },
		{ "mongodb+srv://u:p%40ss@cluster.example.net/",
		    "mongodb+srv://u:***@cluster.example.net/" },
		{ "mongodb://u@h/", "mongodb://u@h/" },
		{ "mongodb://h1,h2/?replicaSet=rs", "mongodb://h1,h2/?replicaSet=rs" },
		{ "mongodb://u:a@b@h/", "mongodb://u:***@h/" },
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = mongo_redact_uri(cases[i][0]);
		CHECK(strcmp(s, cases[i][1]) == 0);
		if (strcmp(s, cases[i][1]) != 0)
			fprintf(stderr, "redact %s -> %s\n", cases[i][0], s);
		free(s);
	}
}

int
main(void)
{
	test_view();
	test_capped_validator();
	test_indexes();
	test_meta_json();
	test_ns();
	test_redact();
	return unit_exit();
}
