#!/bin/bash
# scripts/bk-recover.sh, the recovery for the day itself, against two S3
# "regions" (versitygw buckets) and FerretDB: list shows each backup once
# with its key id, document count and copies; pick finds the newest copy
# that verifies (a tampered copy in the first region is passed over for
# the second's; both tampered, the older backup; --before goes back in
# time; with -k the copy is opened and parsed too); stage restores into
# staging_* databases and validates; request writes the approval request;
# after the disaster (the database dropped) promote restores it with two
# approvals, identical to the backup; merge brings back the documents of
# a half-deleted collection and touches nothing else.  The password-free
# URI file is the only way in: no connection string on a command line.
. "$BK_TOP/tests/lib.sh"

R=$BK_TOP/scripts/bk-recover.sh
s3_buckets bk-r1 bk-r2
start_ferretdb "$T/fdb"
hp=127.0.0.1:$FERRETDB_PORT
approvers alice bob
printf '%s\n' "$FERRETDB_URI" >uri
chmod 600 uri
bk-encrypt --genkey -k keyring >/dev/null
mkdir -p uploads
backup_conf b.conf "s3://bk-r1/prod s3://bk-r2/prod" "BK_MONGODB_URI_FILE=$T/uri" \
    BK_DB_NAMES=shop
"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).shop
d.orders.insert_many([{"_id": i, "v": "v%d" % i} for i in range(20)])
d.customers.insert_many([{"_id": i} for i in range(5)])' "$FERRETDB_URI"
bash "$BK_TOP/scripts/bk-backup.sh" -c b.conf db 2>err || fail "backup 1: $(cat err)"
sleep 1
"$PY" -c 'import sys; from pymongo import MongoClient
MongoClient(sys.argv[1]).shop.orders.insert_one({"_id": 20, "v": "v20"})' "$FERRETDB_URI"
bash "$BK_TOP/scripts/bk-backup.sh" -c b.conf db 2>err || fail "backup 2: $(cat err)"
# shop as each backup holds it.
state() {
	"$PY" -c 'import sys, json; from pymongo import MongoClient
d = MongoClient(sys.argv[1])[sys.argv[2]]
for n in sorted(d.list_collection_names()):
    print(n, json.dumps(sorted(d[n].find(), key=lambda x: x["_id"])))' "$FERRETDB_URI" "$1"
}
state shop >two
P1=s3://bk-r1/prod/db/ P2=s3://bk-r2/prod/db/
mapfile -t names < <(bk-get --list --json "$P1" | jq -r .name)
[ ${#names[@]} -eq 2 ] || fail "two backups: ${names[*]}"
old=${names[0]} new=${names[1]}
key=$(bk-encrypt --list -k keyring | awk 'NR == 1 { print $1 }')

# --- list ------------------------------------------------------------------
bash "$R" list "$P1" "$P2" >out 2>err || fail "list: $(cat err)"
expect_grep "^[0-9T:Z-]+ +db +$old +$key +25 docs +[0-9]+ +2/2$" out
expect_grep "^[0-9T:Z-]+ +db +$new +$key +26 docs +[0-9]+ +2/2$" out

# --- pick --------------------------------------------------------------------
[ "$(bash "$R" pick -k keyring "$P1" "$P2" 2>err)" = "$P1$new" ] ||
    fail "pick, all good: $(cat err)"
flip() {	# flip BUCKET NAME: a byte of the stored object changed
	local f=$T/s3/data/$1/prod/db/$2
	[ -f "$f" ] || fail "versitygw keeps objects elsewhere: $f"
	printf 'X' | dd of="$f" bs=1 seek=200 conv=notrunc 2>/dev/null
}
flip bk-r1 "$new"
[ "$(bash "$R" pick "$P1" "$P2" 2>err)" = "$P2$new" ] ||
    fail "pick, the first region's copy tampered: $(cat err)"
expect_grep "$P1$new: not valid; trying the next copy or backup" err
created=$(bk-get --list --json "$P1" | jq -r --arg n "$new" 'select(.name == $n) | .created')
[ "$(bash "$R" pick --before "$created" "$P1" "$P2" 2>err)" = "$P1$old" ] ||
    fail "pick --before $created: $(cat err)"
flip bk-r2 "$new"
[ "$(bash "$R" pick -k keyring "$P1" "$P2" 2>err)" = "$P1$old" ] ||
    fail "pick, both copies tampered: $(cat err)"
expect_exit 1 bash "$R" pick --before 2020-01-01T00:00:00Z "$P1" "$P2"
url=$P1$old

# --- stage -------------------------------------------------------------------
bash "$R" stage -k keyring --uri-file uri --ns-to-prefix staging_ "$url" >out 2>err ||
    fail "stage: $(cat err)"
expect_grep '^staging_shop\.orders +20 +20 +equal +ok$' out
state staging_shop >staged
sed 's/, {"_id": 20, "v": "v20"}//' two >one
cmp -s one staged || fail "staged: $(diff one staged)"

# --- request, the disaster, promote ------------------------------------------
printf '%s\n' "protect $hp/shop" 'require 2' 'allowed-signers signers' >etc/policy
export BK_RESTORE_POLICY=$T/etc/policy
req=$(bash "$R" request --target "$hp/shop" --expires +1h -o shop.req "$url" 2>err) ||
    fail "request: $(cat err)"
[ "$req" = shop.req ] || fail "request printed $req"
expect_grep 'ssh-keygen -Y sign -n bk-restore' err
for k in alice bob; do
	ssh-keygen -q -Y sign -n bk-restore -f "$k" shop.req || fail "sign $k"
	mv shop.req.sig "shop.req.$k"
done
"$PY" -c 'import sys; from pymongo import MongoClient
MongoClient(sys.argv[1]).drop_database("shop")' "$FERRETDB_URI"
expect_exit 1 bash "$R" promote -k keyring --uri-file uri --request shop.req \
    --approval shop.req.alice "$url"
bash "$R" promote -k keyring --uri-file uri --request shop.req \
    --approval shop.req.alice --approval shop.req.bob "$url" >out 2>err ||
    fail "promote: $(cat err)"
expect_grep '^bk-recover: restored, validated and swapped in$' err
state shop >got
cmp -s one got || fail "promoted: $(diff one got)"

# --- merge: half of a collection deleted ----------------------------------------
"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).shop
d.orders.delete_many({"_id": {"$lt": 10}})
d.customers.insert_one({"_id": 99})' "$FERRETDB_URI"
bash "$R" merge -k keyring --uri-file uri --collection shop.orders \
    --request shop.req --approval shop.req.alice --approval shop.req.bob "$url" \
    >out 2>err || fail "merge: $(cat err)"
expect_grep '^shop\.orders +20 +10 +10 +10 +20 +ok$' out
state shop >got
grep -q '"_id": 99' got || fail "merge touched customers: $(cat got)"
sed 's/, {"_id": 99}//' got >got2
cmp -s one got2 || fail "merged: $(diff one got2)"

# --- no secret on a command line ------------------------------------------------
if grep -q 'mongodb://' err; then fail "a connection string was shown: $(cat err)"; fi
expect_exit 2 bash "$R" bogus
expect_exit 2 bash "$R" stage "$url"
echo ok
