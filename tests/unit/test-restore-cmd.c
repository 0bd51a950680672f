/*
 * Unit tests for lib/mongo_meta.c, lib/mongo_ns.c and the URI redaction
 * of lib/mongo_conn.c: the exact create/createIndexes commands bk-restore
 * sends for what FerretDB cannot hold (views, validators, collation,
 * capped, TTL/partial/text/2dsphere indexes, old specs with "ns"), the
 * metadata bk-dump writes, namespace patterns, selection and renaming.
 */
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "bk.h"
#include "db/mongo.h"
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
	char *dfrom[] = { "*.*" }, *dto[] = { "*_restored.*" };
	char *db, *coll;

	CHECK(mongo_ns_match("shop.*", "shop", "orders"));
	CHECK(mongo_ns_match("*.orders", "shop", "orders"));
	CHECK(mongo_ns_match("*", "a", "b.c"));
	CHECK(mongo_ns_match("shop", "shop", "b.c"));
	CHECK(!mongo_ns_match("shop.*", "shopping", "orders"));
	CHECK(!mongo_ns_match("shop.orders", "shop", "orders2"));
	CHECK(mongo_ns_match("s*p.o*s", "shop", "orders"));
	/* The database part never reaches into the collection name. */
	CHECK(!mongo_ns_match("admin.system.users", "admin.system", "users"));
	CHECK(mongo_ns_match("a*.*", "a", "b.c"));
	CHECK(!mongo_ns_match("a.b*", "a.b", "c"));
	CHECK(mongo_ns_rename(from, to, 2, "prod", "users.archive", &db,
	    &coll) == 0);
	CHECK(strcmp(db, "staging") == 0 &&
	    strcmp(coll, "users.archive") == 0);
	free(db);
	free(coll);
	CHECK(mongo_ns_rename(from, to, 2, "a", "x_y", &db, &coll) == 0);
	CHECK(strcmp(db, "b") == 0 && strcmp(coll, "x-y") == 0);
	free(db);
	free(coll);
	CHECK(mongo_ns_rename(from, to, 2, "other", "c", &db, &coll) == 0);
	CHECK(strcmp(db, "other") == 0 && strcmp(coll, "c") == 0);
	free(db);
	free(coll);
	/*
	 * Many stars against a long name: failing states are remembered,
	 * so this ends (it would take ages by plain backtracking).
	 */
	{
		char name[251];

		memset(name, 'a', 250);
		name[250] = '\0';
		CHECK(!mongo_ns_match("d.*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
		    "d", name));
		CHECK(mongo_ns_match("d.*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*",
		    "d", name));
	}
	/* A dotted collection: its dots stay in the collection. */
	CHECK(mongo_ns_rename(dfrom, dto, 1, "shop", "a.b", &db, &coll) == 0);
	CHECK(strcmp(db, "shop_restored") == 0 && strcmp(coll, "a.b") == 0);
	free(db);
	free(coll);
}

/* --ns-include/--ns-exclude as bk-dump and bk-restore both apply them. */
static void
test_ns_selected(void)
{
	const char *incl[] = { "shop.*", "media.blobs" };
	const char *excl[] = { "shop.tmp*" };

	/* No pattern: everything. */
	CHECK(mongo_ns_selected(NULL, 0, NULL, 0, "a", "b"));
	CHECK(mongo_ns_selected(incl, 2, NULL, 0, "shop", "orders"));
	CHECK(mongo_ns_selected(incl, 2, NULL, 0, "media", "blobs"));
	CHECK(!mongo_ns_selected(incl, 2, NULL, 0, "media", "thumbs"));
	/* The exclusion wins over the inclusion. */
	CHECK(!mongo_ns_selected(incl, 2, excl, 1, "shop", "tmp1"));
	CHECK(mongo_ns_selected(incl, 2, excl, 1, "shop", "orders"));
	/* Exclusion alone: everything else. */
	CHECK(mongo_ns_selected(NULL, 0, excl, 1, "other", "tmp1"));
	CHECK(!mongo_ns_selected(NULL, 0, excl, 1, "shop", "tmpx"));
}

static void
test_ns_check(void)
{
	char long_db[80], long_coll[300];

	memset(long_db, 'd', sizeof(long_db) - 1);
	long_db[sizeof(long_db) - 1] = '\0';
	memset(long_coll, 'c', sizeof(long_coll) - 1);
	long_coll[sizeof(long_coll) - 1] = '\0';
	CHECK(mongo_ns_check("shop", "orders.2024", "t") == 0);
	CHECK(mongo_ns_check("admin.system", "users", "t") == -1);
	CHECK(mongo_ns_check("a/b", "c", "t") == -1);
	CHECK(mongo_ns_check("a\\b", "c", "t") == -1);
	CHECK(mongo_ns_check("a b", "c", "t") == -1);
	CHECK(mongo_ns_check("a\"b", "c", "t") == -1);
	CHECK(mongo_ns_check("$a", "c", "t") == -1);
	CHECK(mongo_ns_check("", "c", "t") == -1);
	CHECK(mongo_ns_check("a", "", "t") == -1);
	CHECK(mongo_ns_check("a", "c$d", "t") == -1);
	CHECK(mongo_ns_check(long_db, "c", "t") == -1);
	CHECK(mongo_ns_check("a", long_coll, "t") == -1);
	CHECK(mongo_db_check("shop", "t") == 0);
	CHECK(mongo_db_check("sh.op", "t") == -1);
	/* The guard: however spelled, in any database. */
	CHECK(mongo_ns_users("admin", "system.users"));
	CHECK(mongo_ns_users("ADMIN", "System.Roles"));
	CHECK(!mongo_ns_users("shop", "users"));
	CHECK(mongo_ns_reserved("admin", "system.users"));
	CHECK(mongo_ns_reserved("local", "SYSTEM.replset"));
	CHECK(mongo_ns_reserved("shop", "system.views"));
	CHECK(mongo_ns_reserved("local", "oplog.rs"));
	CHECK(mongo_ns_reserved("Config", "transactions"));
	CHECK(!mongo_ns_reserved("shop", "systems"));
	CHECK(!mongo_ns_reserved("localx", "c"));
	CHECK(mongo_ns_check("a", ".c", "t") == -1);
}

static void
test_nspat(void)
{
	CHECK(mongo_nspat_check("--ns-include", "shop.*") == 0);
	CHECK(mongo_nspat_check("--ns-include", "*") == 0);
	CHECK(mongo_nspat_check("--ns-include", ".x") == -1);
	CHECK(mongo_nspat_check("--ns-include", "shop.") == -1);
	CHECK(mongo_nspat_check("--ns-include", "a b.c") == -1);
	CHECK(mongo_nspat_check("--ns-include", "$x.c") == -1);
	CHECK(mongo_nspat_check_pair("prod.*", "staging.*") == 0);
	CHECK(mongo_nspat_check_pair("*.*", "*_r.*") == 0);
	CHECK(mongo_nspat_check_pair("a", "*") == -1);
	CHECK(mongo_nspat_check_pair("a.b", "*") == -1);
	CHECK(mongo_nspat_check_pair("a.*", "*") == -1);
	CHECK(mongo_nspat_check_pair("a.*", "x.*.*") == -1);
	/* A collection capture into the target database: refused. */
	CHECK(mongo_nspat_check_pair("a.*", "*.x") == -1);
	CHECK(mongo_nspat_check_pair("a.*", "b.") == -1);
	CHECK(mongo_nspat_check_pair("a.*", ".x") == -1);
	CHECK(mongo_nspat_check_pair("a.*", "a$.x") == -1);
	CHECK(mongo_nspat_check_pair("a.*", "b.x$*") == -1);
	CHECK(mongo_nspat_check_pair("a.*", "b..x") == -1);
	CHECK(mongo_nspat_check_pair("a.*", "b.System.*") == -1);
	CHECK(mongo_nspat_check_pair("a.*", "LOCAL.*") == -1);
	CHECK(mongo_nspat_check_pair("a.*", "config.x") == -1);
	CHECK(mongo_nspat_check_pair("a.*", "configs.x") == 0);
	/* The target's database from a capture: checked at run time. */
	CHECK(mongo_nspat_check_pair("*.*", "*.x") == 0);
}

/* meta is refused by mongo_meta_check. */
static int
refused(const char *json)
{
	bson_t meta;
	int rc;

	if (mongo_meta_parse(json, "t.c", &meta) != 0)
		return 0;
	rc = mongo_meta_check(&meta, "t.c");
	bson_destroy(&meta);
	return rc == -1;
}

static void
test_meta_check(void)
{
	bson_t meta, cmd;

	CHECK(!refused("{\"options\":{\"capped\":true,\"size\":{"
	    "\"$numberInt\":\"4096\"},\"uuid\":\"x\",\"validator\":{\"$expr\":"
	    "{\"$gt\":[\"$a\",1]}}},\"indexes\":[{\"v\":{\"$numberInt\":\"2\"},"
	    "\"key\":{\"$**\":{\"$numberInt\":\"1\"}},\"name\":\"w\","
	    "\"ns\":\"t.c\",\"partialFilterExpression\":{\"a\":{\"$gt\":"
	    "{\"$numberInt\":\"1\"}}}}]}"));
	CHECK(refused("{\"options\":{\"$db\":\"admin\"}}"));
	CHECK(refused("{\"options\":{\"capped\":true,\"$db\":\"admin\"}}"));
	CHECK(refused("{\"options\":{\"create\":\"other\"}}"));
	CHECK(refused("{\"options\":{\"writeConcern\":{}}}"));
	CHECK(refused("{\"options\":{\"bogus\":1}}"));
	CHECK(refused("{\"options\":[1]}"));
	CHECK(refused("{\"indexes\":{}}"));
	CHECK(refused("{\"indexes\":[1]}"));
	CHECK(refused("{\"indexes\":[{\"name\":\"x\"}]}"));
	CHECK(refused("{\"indexes\":[{\"key\":{\"a\":1},\"name\":\"a\","
	    "\"$db\":\"admin\"}]}"));
	CHECK(refused("{\"indexes\":[{\"key\":{\"a\":1},\"name\":\"a\","
	    "\"unknownField\":1}]}"));
	/* Even unchecked, the commands never carry a '$' key. */
	CHECK(mongo_meta_parse("{\"options\":{\"$db\":\"admin\",\"capped\":"
	    "true},\"indexes\":[{\"key\":{\"a\":{\"$numberInt\":\"1\"}},"
	    "\"name\":\"a\",\"$db\":\"admin\",\"ns\":\"x.y\"},{\"key\":{"
	    "\"_id\":{\"$numberInt\":\"1\"}},\"name\":\"pk\",\"clustered\":"
	    "true}]}", "t.c", &meta) == 0);
	mongo_create_cmd(&cmd, "c", &meta);
	CHECK(same_json(&cmd, "{\"create\":\"c\",\"capped\":true}"));
	bson_destroy(&cmd);
	CHECK(mongo_indexes_cmd(&cmd, "c", &meta) == 1);
	CHECK(same_json(&cmd, "{\"createIndexes\":\"c\",\"indexes\":[{"
	    "\"key\":{\"a\":{\"$numberInt\":\"1\"}},\"name\":\"a\"}]}"));
	bson_destroy(&cmd);
	bson_destroy(&meta);
}

static void
test_uri_defaults(void)
{
	mongoc_uri_t *u;

	u = mongoc_uri_new("mongodb://h/");
	mongo_uri_defaults(u);
	CHECK(mongoc_uri_get_option_as_int32(u,
	    MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 0) == 5000);
	mongoc_uri_destroy(u);
	u = mongoc_uri_new("mongodb://h/?serverSelectionTimeoutMS=60000");
	mongo_uri_defaults(u);
	CHECK(mongoc_uri_get_option_as_int32(u,
	    MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 0) == 60000);
	mongoc_uri_destroy(u);
}

static void
test_uri_db(void)
{
	char *db;

	CHECK(mongo_uri_db("mongodb://u:p@h:1/shop?authSource=admin", &db) ==
	    0 && db != NULL && strcmp(db, "shop") == 0);
	free(db);
	CHECK(mongo_uri_db("mongodb://h/?authSource=admin", &db) == 0 &&
	    db == NULL);
	CHECK(mongo_uri_db("mongodb://h", &db) == 0 && db == NULL);
	CHECK(mongo_uri_db("not a uri", &db) == -1 && db == NULL);
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
	test_ns_selected();
	test_ns_check();
	test_nspat();
	test_meta_check();
	test_uri_defaults();
	test_uri_db();
	test_redact();
	return unit_exit();
}
