#!/bin/bash
# bk-restore --merge, for "someone deleted half a collection": only the
# documents whose _id is missing are inserted; a document changed since
# the backup keeps its new contents, one added since stays, collections
# and indexes are otherwise untouched; --validate checks the merge (every
# document of the archive inserted or present, the count grown by exactly
# what was inserted).  Into a protected database it needs the approvals
# but restores nothing aside (there is nothing to swap); without them it
# is refused.  --merge with --drop is a usage error.
. "$BK_TOP/tests/lib.sh"

approvers alice bob
start_ferretdb "$T/fdb"
hp=127.0.0.1:$FERRETDB_PORT

"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).prod
d.orders.insert_many([{"_id": i, "v": "v%d" % i} for i in range(10)])
d.orders.create_index("v")
d.keep.insert_one({"_id": 1, "k": "kept"})' "$FERRETDB_URI"
bk-dump --uri "$FERRETDB_URI" --db prod >prod.arch || fail "dump"
# The incident: half of orders deleted, one changed, one added since.
incident() {
	"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).prod
d.orders.delete_many({"_id": {"$lt": 5}})
d.orders.update_one({"_id": 7}, {"$set": {"v": "changed"}})
d.orders.insert_one({"_id": 100, "v": "new since"})' "$FERRETDB_URI"
}
state() {
	"$PY" -c 'import sys, json; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).prod
for n in sorted(d.list_collection_names()):
    print(n, json.dumps(sorted(d[n].find(), key=lambda x: x["_id"])),
          sorted(v["key"][0][0] for v in d[n].index_information().values()))' \
	    "$FERRETDB_URI"
}
cat >want <<'EOF2'
keep [{"_id": 1, "k": "kept"}] ['_id']
orders [{"_id": 0, "v": "v0"}, {"_id": 1, "v": "v1"}, {"_id": 2, "v": "v2"}, {"_id": 3, "v": "v3"}, {"_id": 4, "v": "v4"}, {"_id": 5, "v": "v5"}, {"_id": 6, "v": "v6"}, {"_id": 7, "v": "changed"}, {"_id": 8, "v": "v8"}, {"_id": 9, "v": "v9"}, {"_id": 100, "v": "new since"}] ['_id', 'v']
EOF2

expect_exit 2 bk-restore --uri "$FERRETDB_URI" --merge --drop <prod.arch 2>err
expect_grep '^bk-restore: --merge adds what is missing and never removes: not with --drop$' err

# --- unprotected -----------------------------------------------------------
incident
bk-restore --uri "$FERRETDB_URI" --merge --ns-include 'prod.orders' --validate \
    --json <prod.arch >out 2>status || fail "merge: $(cat status)"
expect_grep '^prod\.orders +10 +5 +5 +6 +11 +ok$' out
jq -e '.exit == 0 and ."docs:prod.orders" == 5 and ."present:prod.orders" == 5' \
    status >/dev/null || fail "status: $(cat status)"
state >got
cmp -s want got || fail "after the merge: $(diff want got)"
# Again: everything is present, nothing inserted.
bk-restore --uri "$FERRETDB_URI" --merge --validate <prod.arch >out 2>err ||
    fail "second merge: $(cat err)"
expect_grep '^prod\.orders +10 +0 +10 +11 +11 +ok$' out
expect_grep '^prod\.keep +1 +0 +1 +1 +1 +ok$' out
state >got
cmp -s want got || fail "after the second merge: $(diff want got)"

# --- protected: approvals, nothing aside ---------------------------------
printf '%s\n' "protect $hp/prod" 'require 2' 'allowed-signers signers' >etc/policy
export BK_RESTORE_POLICY=$T/etc/policy
"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).prod
d.orders.delete_many({"_id": {"$lt": 5}})' "$FERRETDB_URI"
expect_exit 1 bk-restore --uri "$FERRETDB_URI" --merge <prod.arch 2>err
expect_grep 'protected' err
approved_request req "$(sha256sum <prod.arch | cut -c1-64)" "$hp/prod" prod.arch
# A poller records any collection of prod while the restore runs.
"$PY" -c 'import sys, time; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).prod
seen = set()
for _ in range(400):
    seen.update(d.list_collection_names())
    if __import__("os").path.exists("merge.done"): break
    time.sleep(0.01)
print("\n".join(sorted(seen)))' "$FERRETDB_URI" >seen &
poll=$!
bk-restore --uri "$FERRETDB_URI" --merge --validate --request req \
    --approval req.alice --approval req.bob <prod.arch >out 2>err ||
    fail "approved merge: $(cat err)"
touch merge.done
wait "$poll"
expect_grep '^prod\.orders +10 +5 +5 +6 +11 +ok$' out
if grep -q '^bk-' seen; then fail "a merge restored aside: $(cat seen)"; fi
state >got
cmp -s want got || fail "after the approved merge: $(diff want got)"
echo ok
