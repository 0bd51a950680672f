#!/bin/bash
# scripts/bk-drill.sh, the DR drill: the newest db and files backups of an
# S3 prefix restored into a second FerretDB and a scratch directory,
# validated and timed; the report's JSON holds every field of the contract,
# RTO and RPO measured from timestamps.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh
drill=$BK_TOP/scripts/bk-drill.sh

start_ferretdb "$T/src"
src=$FERRETDB_URI
start_ferretdb "$T/dst"
dst=$FERRETDB_URI
s3_buckets bk-prod
"$PY" -c 'import sys; from pymongo import MongoClient
db = MongoClient(sys.argv[1]).shop
db.orders.insert_many([{"n": i, "item": "x" * (i % 50)} for i in range(2000)])
db.customers.insert_many([{"_id": i} for i in range(40)])' "$src"
mkdir -p uploads/a/b
for i in 1 2 3; do gen_bytes "u$i" $((i * 50000)) >"uploads/a/f$i"; done
ln -s f1 uploads/a/link
echo note >uploads/a/b/n.txt
bk-encrypt --genkey -k keyring >keyid
printf '%s\n' "$src" >uri && chmod 600 uri
printf '%s\n' "$dst" >dst.uri && chmod 600 dst.uri
make_alert_recorder
backup_conf bk.conf "s3://bk-prod/prod" "BK_MONGODB_URI_FILE=$T/uri"
bash "$backup" -c bk.conf db 2>db.err || fail "db backup: $(cat db.err)"
bash "$backup" -c bk.conf files 2>files.err || fail "files backup: $(cat files.err)"

export BK_DESTS="s3://bk-prod/prod" BK_KEYRING=$T/keyring BK_DRILL_URI_FILE=$T/dst.uri
export BK_DRILL_DIR=$T/scratch BK_STATE_DIR=$T/state BK_DRILL_RPO=86400
sleep 1
bash "$drill" --report-dir "$T/reports" >out 2>err || fail "drill exited $?: $(cat err out)"
r=$(tail -n 1 out)
case $r in "report: $T/reports/drill-"*.json) ;; *) fail "last line: $r" ;; esac
json=${r#report: }
[ -s "${json%.json}.html" ] || fail "no HTML beside $json"

# Every field of the contract, with the values of this run.
jq -e --arg k "$(cat keyid)" --arg h "$(hostname)" '
  .bk_drill == 1 and .mode == "drill" and .host == $h and .result == "pass"
  and .failure == null and .source == "s3://bk-prod/prod" and .region == "us-east-1"
  and (.started | test("^20[0-9-]+T[0-9:]+Z$")) and (.finished | test("Z$"))
  and .targets.rto_seconds == 14400 and .targets.rpo_seconds == 86400
  and .rto_seconds > 0 and .rpo_seconds >= 1
  and (.backups | length) == 2
  and (.backups[] | select(.kind == "db") | .documents == 2040 and .key_id == $k
       and (.url | startswith("s3://bk-prod/prod/db/db-")) and (.sha256 | test("^[0-9a-f]{64}$"))
       and .bytes > 0 and (.created | test("Z$")))
  and (.backups[] | select(.kind == "files") | .entries == 8 and .key_id == $k)
  and ([.stages[] | "\(.kind) \(.stage)"] == ["db list", "db fetch", "db verify",
       "db decrypt", "db restore", "db validate", "db cleanup", "files list",
       "files fetch", "files verify", "files decrypt", "files restore",
       "files validate", "files cleanup"])
  and all(.stages[]; .status == 0 and .seconds >= 0 and .start >= 0)
  and .rto_seconds >= ([.stages[] | select(.stage == "validate") | .start + .seconds] | max) - 0.01
' "$json" >/dev/null || fail "report: $(cat "$json")"

# RPO is the age, at the start, of the older of the newest backups used.
start=$(jq -r '.started | fromdateiso8601' "$json")
age=$(bk-get --list --json s3://bk-prod/prod/db/ s3://bk-prod/prod/files/ |
	jq -s --argjson s "$start" 'map($s - (.created | fromdateiso8601)) | max')
[ "$(jq .rpo_seconds "$json")" = "$age" ] || fail "RPO $(jq .rpo_seconds "$json"), the backups' age $age"

# The second server holds the restored databases, as the source.
"$PY" "$BK_TOP/tests/seed_mongo.py" compare "$src" shop "$dst" shop >cmp.out ||
	fail "restored database differs: $(cat cmp.out)"
# The connection string is nowhere in the report, the scratch files are gone.
! grep -q "$dst" "$json" "${json%.json}.html" out err || fail "the target URI is in the output"
[ -z "$(ls -A scratch)" ] || fail "scratch directory left: $(ls -A scratch)"

# A missed target: RPO 0 fails the drill (exit 1) after a full restore,
# and the report says why.  The target is another fresh server.
start_ferretdb "$T/dst2"
printf '%s\n' "$FERRETDB_URI" >dst.uri
expect_exit 1 env BK_DRILL_RPO=0 bash "$drill" --kind db --report-dir "$T/reports" >out2 2>err2
json=$(tail -n 1 out2 | sed 's/^report: //')
jq -e '.result == "fail" and (.failure | test("RPO .* over the target 0 s"))' "$json" >/dev/null ||
	fail "missed RPO: $(cat "$json")"
