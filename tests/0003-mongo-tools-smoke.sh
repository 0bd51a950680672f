#!/bin/bash
# The official mongodump lists a seeded collection from FerretDB.  Skips,
# naming the reason, where the mongo-tools module could not be built.
. "$BK_TOP/tests/lib.sh"

need_mongo_tools
start_ferretdb "$T/fdb"
"$PY" -c 'import sys; from pymongo import MongoClient
MongoClient(sys.argv[1]).smoke.things.insert_many([{"n": i} for i in range(10)])' "$FERRETDB_URI"
"$MONGODUMP" --uri "$FERRETDB_URI" --archive=a.archive 2>dump.log ||
	fail "mongodump: $(tail -n 3 dump.log)"
expect_grep 'smoke.things' dump.log
head -c 4 a.archive | od -An -tx1 | grep -q '6d e2 99 81' || fail "archive magic"
