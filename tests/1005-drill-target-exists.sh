#!/bin/bash
# bk-drill.sh never writes over data: a target server that already has a
# non-empty database the backup would restore into is refused (exit 3, the
# database named), and that database is left exactly as it was.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh
drill=$BK_TOP/scripts/bk-drill.sh

start_ferretdb "$T/src"
printf '%s\n' "$FERRETDB_URI" >uri && chmod 600 uri
"$PY" -c 'import sys; from pymongo import MongoClient
c = MongoClient(sys.argv[1])
c.aaa.x.insert_one({"a": 1})
c.shop.orders.insert_many([{"_id": i, "v": "backup"} for i in range(300)])' "$FERRETDB_URI"
start_ferretdb "$T/dst"
dst=$FERRETDB_URI
printf '%s\n' "$dst" >dst.uri && chmod 600 dst.uri
"$PY" -c 'import sys; from pymongo import MongoClient
MongoClient(sys.argv[1]).shop.orders.insert_many([{"_id": i, "v": "live"} for i in range(5)])' "$dst"
s3_buckets bk-prod
mkdir uploads
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
backup_conf bk.conf "s3://bk-prod/prod" "BK_MONGODB_URI_FILE=$T/uri"
bash "$backup" -c bk.conf db 2>b.err || fail "db backup: $(cat b.err)"

export BK_DESTS="s3://bk-prod/prod" BK_KEYRING=$T/keyring BK_DRILL_URI_FILE=$T/dst.uri
export BK_DRILL_DIR=$T/scratch BK_STATE_DIR=$T/state
expect_exit 3 bash "$drill" --kind db --report-dir "$T/r" >out 2>err
expect_grep 'the target database shop exists and is not empty; refusing' err
json=$(tail -n 1 out | sed 's/^report: //')
jq -e '.result == "fail" and .stages[-1].stage == "restore" and .stages[-1].status == 3
    and (.failure | test("database shop exists"))' "$json" >/dev/null ||
	fail "report: $(cat "$json")"
"$PY" -c 'import sys; from pymongo import MongoClient
c = MongoClient(sys.argv[1])
docs = list(c.shop.orders.find({}, {"_id": 0, "v": 1}))
assert docs == [{"v": "live"}] * 5, docs
assert sorted(c.list_database_names()) == ["shop"], c.list_database_names()' "$dst" ||
	fail "the target was changed"

# A target server that cannot be reached: retry later (75), the stage
# named, nothing else tried.
printf 'mongodb://127.0.0.1:%s/?serverSelectionTimeoutMS=1000\n' "$(free_port)" >dead.uri
chmod 600 dead.uri
expect_exit 75 env BK_DRILL_URI_FILE="$T/dead.uri" bash "$drill" --kind db --report-dir "$T/r" >out2 2>err2
expect_grep '^bk-drill: db restore: cannot look at the target database' err2
json=$(tail -n 1 out2 | sed 's/^report: //')
jq -e '.result == "fail" and .stages[-1].stage == "restore" and .stages[-1].status == 75' "$json" >/dev/null ||
	fail "report: $(cat "$json")"
