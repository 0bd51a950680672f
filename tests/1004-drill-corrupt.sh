#!/bin/bash
# bk-drill.sh and a damaged backup: one byte flipped in the stored object
# (same size, so the store serves it) fails the verify stage: exit 1,
# result "fail", the stage named in the report and on stderr, nothing
# restored into the target.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh
drill=$BK_TOP/scripts/bk-drill.sh

start_ferretdb "$T/src"
printf '%s\n' "$FERRETDB_URI" >uri && chmod 600 uri
"$PY" -c 'import sys; from pymongo import MongoClient
MongoClient(sys.argv[1]).shop.orders.insert_many([{"n": i} for i in range(500)])' "$FERRETDB_URI"
start_ferretdb "$T/dst"
dst=$FERRETDB_URI
printf '%s\n' "$dst" >dst.uri && chmod 600 dst.uri
s3_buckets bk-prod
mkdir uploads
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
backup_conf bk.conf "s3://bk-prod/prod" "BK_MONGODB_URI_FILE=$T/uri"
bash "$backup" -c bk.conf db 2>b.err || fail "db backup: $(cat b.err)"

obj=$(find s3/data/bk-prod/prod/db -name 'db-*.bk' -type f)
[ -f "$obj" ] || fail "no stored object: $(find s3/data)"
size=$(stat -c %s "$obj")
off=$((size / 2))
b=$(od -An -j "$off" -N1 -tu1 "$obj" | tr -d ' ')
printf '%b' "\\0$(printf %03o $(((b + 1) % 256)))" |
	dd of="$obj" bs=1 seek="$off" count=1 conv=notrunc 2>/dev/null
[ "$(stat -c %s "$obj")" -eq "$size" ] || fail "size changed"

export BK_DESTS="s3://bk-prod/prod" BK_KEYRING=$T/keyring BK_DRILL_URI_FILE=$T/dst.uri
export BK_DRILL_DIR=$T/scratch BK_STATE_DIR=$T/state TMPDIR=$T/tmp
mkdir tmp
expect_exit 1 bash "$drill" --kind db >out 2>err
expect_grep '^bk-drill: db verify: bk-hash -c exited 1' err
json=$(tail -n 1 out | sed 's/^report: //')
jq -e '.result == "fail" and (.failure | startswith("db verify:"))
    and .rto_seconds == null
    and .stages[-1].stage == "verify" and .stages[-1].status == 1
    and ([.stages[].stage] | index("restore")) == null' "$json" >/dev/null ||
	fail "report: $(cat "$json")"
expect_grep 'FAIL' "${json%.json}.html"
[ -z "$(ls -A tmp)" ] || fail "temporary files left: $(ls -A tmp)"
n=$("$PY" -c 'import sys; from pymongo import MongoClient
print(len(MongoClient(sys.argv[1]).list_database_names()))' "$dst")
[ "$n" -eq 0 ] || fail "the target has $n databases after a failed verify"
