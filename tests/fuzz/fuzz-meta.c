/*
 * fuzz-meta.c - what bk-restore takes from an archive's prelude besides
 * the documents: the namespace names (checked, then renamed by a pattern)
 * and the metadata JSON (parsed, checked against the allow-lists, turned
 * into create and createIndexes commands).  Input: "db\0coll\0json".
 */
#include <stdlib.h>

#include <bson/bson.h>

#include "bk.h"
#include "fuzz.h"
#include "db/mongo.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const from[] = { "shop.*", "*.x*" };
	static char *const to[] = { "staging.*", "*.y*" };
	const char *db, *coll, *json;
	char *buf, *tdb = NULL, *tcoll = NULL, *end;
	bson_t meta, cmd;

	fuzz_quiet();
	if ((buf = malloc(size + 3)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = buf[size + 2] = '\0';
	end = buf + size;
	db = buf;
	coll = db + strlen(db) + 1;
	json = coll <= end ? coll + strlen(coll) + 1 : end;
	if (json > end)
		json = end;
	if (mongo_ns_check(db, coll, "fuzz") == 0) {
		(void)mongo_ns_reserved(db, coll);
		(void)mongo_ns_users(db, coll);
		(void)mongo_ns_match("s*p.o*", db, coll);
		if (mongo_ns_rename(from, to, 2, db, coll, &tdb, &tcoll) == 0)
			(void)mongo_ns_check(tdb, tcoll, "renamed");
		free(tdb);
		free(tcoll);
	}
	(void)mongo_nspat_check("--fuzz", db);
	(void)mongo_nspat_check_pair(db, coll);
	if (mongo_meta_parse(json, "fuzz.ns", &meta) == 0) {
		if (mongo_meta_check(&meta, "fuzz.ns") == 0) {
			(void)mongo_meta_is_view(&meta);
			mongo_create_cmd(&cmd, "c", &meta);
			bson_destroy(&cmd);
			(void)mongo_indexes_cmd(&cmd, "c", &meta);
			bson_destroy(&cmd);
		}
		bson_destroy(&meta);
	}
	free(buf);
	return 0;
}
