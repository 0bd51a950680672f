#!/bin/bash
# bk-drill.sh --test-restore: a random committed backup of the last days,
# restored into temporary databases bk_test_NONCE_DB of the production
# server itself and a scratch directory, validated, and everything it made
# removed: no bk_test_ database, no scratch or temporary directory left;
# the production databases untouched.  A backup older than the window is
# never picked.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh
drill=$BK_TOP/scripts/bk-drill.sh

start_ferretdb "$T/fdb"
s3_buckets bk-prod
"$PY" -c 'import sys; from pymongo import MongoClient
c = MongoClient(sys.argv[1])
c.shop.orders.insert_many([{"n": i} for i in range(1500)])
c.crm.clients.insert_many([{"_id": i, "name": "c%d" % i} for i in range(30)])' "$FERRETDB_URI"
mkdir -p uploads/x
gen_bytes u1 70000 >uploads/x/a
bk-encrypt --genkey -k keyring >/dev/null
printf '%s\n' "$FERRETDB_URI" >uri && chmod 600 uri
make_alert_recorder
backup_conf bk.conf "s3://bk-prod/prod" "BK_MONGODB_URI_FILE=$T/uri"
# A second apart, so that the two db backups' creation times differ.
for k in db files db; do
	[ "$k" != db ] || sleep 1
	bash "$backup" -c bk.conf $k 2>b.err || fail "$k backup: $(cat b.err)"
done

dbs() {
	"$PY" -c 'import sys; from pymongo import MongoClient
print(" ".join(sorted(MongoClient(sys.argv[1]).list_database_names())))' "$FERRETDB_URI"
}
before=$(dbs)
export BK_DESTS="s3://bk-prod/prod" BK_KEYRING=$T/keyring BK_DRILL_URI_FILE=$T/uri
export BK_DRILL_DIR=$T/scratch BK_STATE_DIR=$T/state TMPDIR=$T/tmp
mkdir tmp
bash "$drill" --test-restore >out 2>err || fail "test-restore exited $?: $(cat err out)"
json=$(tail -n 1 out | sed 's/^report: //')
case $json in "$T/state/reports/test-restore-"*.json) ;; *) fail "report path: $json" ;; esac
jq -e '.mode == "test-restore" and .result == "pass" and (.backups | length) == 2
    and (.backups[] | select(.kind == "db") | .documents == 1530)
    and ([.stages[] | select(.stage == "validate" and .status == 0)] | length) == 2
    and ([.stages[] | select(.stage == "cleanup" and .status == 0)] | length) == 2' "$json" >/dev/null ||
	fail "report: $(cat "$json")"
# It restored into bk_test_ databases (bk-restore's table said so) ...
expect_grep '^db restore: status 0' out
# ... and left nothing behind.
[ "$(dbs)" = "$before" ] || fail "databases after the test restore: $(dbs), before: $before"
[ -z "$(ls -A scratch)" ] || fail "scratch left: $(ls -A scratch)"
[ -z "$(ls -A tmp)" ] || fail "temporary files left: $(ls -A tmp)"

# The window: every backup is older than 0 seconds once a second passed,
# so none is picked; the run fails (3) with the list stage named.
sleep 1
expect_exit 3 env BK_TEST_RESTORE_WINDOW=0 bash "$drill" --test-restore --kind db >out2 2>err2
expect_grep 'no committed db backup .* in the last 0 seconds' err2
json=$(tail -n 1 out2 | sed 's/^report: //')
jq -e '.result == "fail" and .stages[-1].stage == "list" and .stages[-1].status == 3' "$json" >/dev/null ||
	fail "report of an empty window: $(cat "$json")"
[ -z "$(ls -A tmp)" ] || fail "temporary files left: $(ls -A tmp)"

# --before: the newest backup created before that time (here the first of
# the two db backups); a drill into this server, which holds the
# production databases, is then refused before anything is written.
bk-get --list --json --kind db s3://bk-prod/prod/db/ >db.list
[ "$(grep -c . db.list)" -eq 2 ] || fail "db backups: $(cat db.list)"
first=$(head -n 1 db.list | jq -r .name)
newest=$(tail -n 1 db.list | jq -r .created)
expect_exit 3 bash "$drill" --kind db --before "$newest" >out3 2>err3
expect_grep 'the target database (crm|shop) exists and is not empty' err3
json=$(tail -n 1 out3 | sed 's/^report: //')
[ "$(jq -r '.backups[0].name' "$json")" = "$first" ] || fail "--before $newest picked $(jq -c .backups "$json")"
[ "$(dbs)" = "$before" ] || fail "databases after the refused drill: $(dbs)"

# A test restore that could not drop what it writes writes nothing.
expect_exit 3 env BK_PYTHON=/bin/false bash "$drill" --test-restore --kind db >out4 2>err4
expect_grep 'no pymongo to drop the test databases with .*; nothing restored' err4
[ "$(dbs)" = "$before" ] || fail "databases after the refused test restore: $(dbs)"
