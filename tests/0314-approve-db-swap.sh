#!/bin/bash
# An approved restore into a protected database is restored aside
# (bk-restore-NONCE-I collections in the target database), validated, and
# only then swapped in by renames: the archive's collections are replaced
# whole, with their indexes; collections the archive does not hold are
# untouched.  A server refusal while restoring aside (a duplicate _id),
# one while swapping (FerretDB refuses a dotted collection name as a
# rename target) and a SIGKILL while restoring aside all leave the
# target's documents and indexes exactly as they were, as does a
# --continue-on-error restore the server refused a document of, and the
# server killed while restoring aside (then restarted); a selected view is
# refused; the next run drops what a killed one left.  An unprotected database keeps the direct
# restore (added to, not replaced).
. "$BK_TOP/tests/lib.sh"
EXEC=

approvers alice bob
start_ferretdb "$T/fdb"
hp=127.0.0.1:$FERRETDB_PORT
printf '%s\n' "protect $hp/prod" 'allowed-signers signers' >etc/policy
export BK_RESTORE_POLICY=$T/etc/policy

# approve FILE: FILE.req, signed by alice and bob, for prod and FILE's digest.
approve() {
	local k
	bk-approve --request --backup "$1" --sha256 "$(sha256sum <"$1" |
	    cut -c1-64)" --target "$hp/prod" --expires +1h >"$1.req" ||
	    fail "request for $1"
	for k in alice bob; do
		ssh-keygen -q -Y sign -n bk-restore -f "$k" "$1.req" ||
		    fail "sign $1 $k"
		mv "$1.req.sig" "$1.$k"
	done
}
# restore FILE [ARGS]: an approved restore of FILE into prod.
restore() {
	local f=$1
	shift
	$EXEC bk-restore --uri "$FERRETDB_URI" --ns-from 'shop.*' --ns-to 'prod.*' \
	    --request "$f.req" --approval "$f.alice" --approval "$f.bob" \
	    "$@" <"$f"
}
# state DB: every collection of DB, its documents and its indexes.
state() {
	"$PY" -c 'import sys, json; from pymongo import MongoClient
d = MongoClient(sys.argv[1])[sys.argv[2]]
for n in sorted(d.list_collection_names()):
    docs = sorted(json.dumps(x, sort_keys=True) for x in d[n].find())
    ix = sorted(json.dumps(v["key"]) for v in d[n].index_information().values())
    print(n, len(docs), docs, ix)' "$FERRETDB_URI" "$1"
}
craft() {	# craft NAME SPEC
	printf '%s\n' "$2" >"$1.json"
	"$PY" "$BK_TOP/tests/mongoarchive.py" craft "$1.json" >"$1" ||
	    fail "craft $1"
}

# prod before: orders (3 documents, an index on n), keep (not in the archives).
"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).prod
d.orders.insert_many([{"_id": i, "n": "old%d" % i} for i in (1, 7, 8)])
d.orders.create_index("n")
d.keep.insert_one({"_id": 1, "k": "kept"})' "$FERRETDB_URI"
state prod >before

ix='{"options": {}, "indexes": [{"v": 2, "key": {"_id": 1}, "name": "_id_"},
  {"v": 2, "key": {"q": 1}, "name": "q_1"}]}'
craft good.arch '[{"db": "shop", "collection": "orders", "metadata": '"$ix"',
  "docs": [{"_id": 1, "q": "a"}, {"_id": 2, "q": "b"}]},
 {"db": "shop", "collection": "fresh", "docs": [{"_id": 5}]}]'
# The second collection refuses a document: a duplicate _id.
craft dup.arch '[{"db": "shop", "collection": "orders",
  "docs": [{"_id": 1, "q": "a"}]},
 {"db": "shop", "collection": "fresh", "docs": [{"_id": 5}, {"_id": 5}]}]'
# orders is swapped in first; FerretDB refuses to rename "a.b".
craft dot.arch '[{"db": "shop", "collection": "orders",
  "docs": [{"_id": 1, "q": "a"}]},
 {"db": "shop", "collection": "a.b", "docs": [{"_id": 5}]}]'
craft view.arch '[{"db": "shop", "collection": "orders",
  "docs": [{"_id": 1, "q": "a"}]},
 {"db": "shop", "collection": "v", "type": "view",
  "metadata": {"options": {"viewOn": "orders", "pipeline": []},
  "indexes": []}, "docs": []}]'
for f in good dup dot view; do approve "$f.arch"; done

# --- a view cannot be swapped in: refused before anything is written -----
expect_exit 1 restore view.arch 2>err
expect_grep 'shop\.v: a view cannot be restored aside into a protected target; refused' err

# --- a server refusal while restoring aside ------------------------------
expect_exit 3 restore dup.arch 2>err
expect_grep 'restore stopped: the target was left as it was' err
state prod >after
cmp -s before after || fail "a refused restore changed prod: $(diff before after)"
# --continue-on-error: the restore goes on, but nothing is swapped in.
expect_exit 3 restore dup.arch --continue-on-error 2>err
expect_grep 'some documents were not inserted: nothing swapped in' err
state prod >after
cmp -s before after || fail "a partial restore changed prod: $(diff before after)"

# --- a refusal while swapping: undone --------------------------------------
expect_exit 3 restore dot.arch 2>err
expect_grep 'rename prod\.a\.b to prod\.bk-old-[0-9a-f]{16}-1: Invalid namespace' err
expect_grep 'swap failed: the target was left as it was' err
state prod >after
cmp -s before after || fail "an undone swap changed prod: $(diff before after)"

# --- approved: replaced whole, validated, indexes moved with it ----------
restore good.arch --validate --json >out 2>status ||
    fail "approved restore: $(cat status)"
expect_grep '^prod\.orders +2 +2 +equal +ok' out
jq -e '.exit == 0 and .protected and ."docs:prod.orders" == 2' \
    status >/dev/null || fail "status: $(cat status)"
state prod >after
cat >want <<'EOF'
fresh 1 ['{"_id": 5}'] ['[["_id", 1]]']
keep 1 ['{"_id": 1, "k": "kept"}'] ['[["_id", 1]]']
orders 2 ['{"_id": 1, "q": "a"}', '{"_id": 2, "q": "b"}'] ['[["_id", 1]]', '[["q", 1]]']
EOF
cmp -s want after || fail "prod after the approved restore: $(diff want after)"
cp after before

# --- SIGKILL while restoring aside ----------------------------------------
bulkn=$("$PY" "$BK_TOP/tests/seed_mongo.py" bulk "$FERRETDB_URI" shop 8)
bk-dump --uri "$FERRETDB_URI" --db shop >big.arch || fail "dump shop"
approve big.arch
# freeze_aside PID TOTAL: one poller (no interpreter start per look) that
# stops PID with SIGSTOP as soon as a bk-restore- collection of prod holds
# documents, then checks fewer than TOTAL are there: PID is frozen in the
# middle of its restore aside, wherever the machine's load puts the
# moment.  Small batches (--batch-size 50) make that middle long.
freeze_aside() {
	"$PY" -c 'import os, signal, sys, time
from pymongo import MongoClient
pid, total = int(sys.argv[2]), int(sys.argv[3])
d = MongoClient(sys.argv[1]).prod
def aside():
    return sum(d[c].count_documents({}) for c in d.list_collection_names()
               if c.startswith("bk-restore-"))
for _ in range(6000):
    if aside() > 0:
        os.kill(pid, signal.SIGSTOP)
        n = aside()
        if n >= total:
            sys.exit("the restore aside was complete (%d documents) when stopped" % n)
        print(n)
        sys.exit(0)
    time.sleep(0.01)
sys.exit("bk-restore restored nothing aside")' "$FERRETDB_URI" "$@" ||
	    fail "could not stop bk-restore in the middle of its restore aside"
}
# exec: $! is bk-restore itself, not a subshell.
EXEC='exec' restore big.arch --batch-size 50 2>kill.err &
pid=$!
freeze_aside "$pid" "$bulkn" >/dev/null
kill -9 "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 137 ] || fail "bk-restore was not killed mid-restore: exit $rc $(cat kill.err)"
state prod | grep -v '^bk-restore-' >after
cmp -s before after || fail "a killed restore changed prod: $(diff before after)"
# The next run drops the leftover and restores.
restore good.arch 2>err || fail "restore after the kill: $(cat err)"
expect_grep 'prod\.bk-restore-[0-9a-f]{16}-0: dropped, left by an earlier restore aside' err
state prod >after
cmp -s before after || fail "prod after the rerun: $(diff before after)"

# --- the server killed while restoring aside, restarted ------------------
EXEC='exec' restore big.arch --batch-size 50 2>dead.err &
pid=$!
freeze_aside "$pid" "$bulkn" >/dev/null
kill -9 "$FERRETDB_PID"
wait "$FERRETDB_PID" 2>/dev/null || true
kill -CONT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -ne 0 ] || fail "bk-restore succeeded without its server"
expect_grep 'restore stopped: the target was left as it was' dead.err
spawn_server FerretDB "$FERRETDB_PORT" 60 "$T/fdb/ferretdb2.log" \
    "$BK_CACHE/ferretdb-v1.24.2/bin/bk-test-ferretdb" \
    -listen "127.0.0.1:$FERRETDB_PORT" -dir "$T/fdb/data"
state prod | grep -v '^bk-restore-' >after
cmp -s before after || fail "prod after its server died: $(diff before after)"
restore good.arch 2>err || fail "restore after the restart: $(cat err)"
state prod >after
cmp -s before after || fail "prod after the restart and rerun: $(diff before after)"

# --- unprotected: the direct restore, added to -----------------------------
"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).shop2.orders.insert_one({"_id": 99})' \
    "$FERRETDB_URI"
bk-restore --uri "$FERRETDB_URI" --ns-from 'shop.*' --ns-to 'shop2.*' \
    <good.arch 2>err || fail "unprotected: $(cat err)"
state shop2 >after
expect_grep '^orders 3 ' after
if grep -q bk-restore- after; then fail "unprotected went aside: $(cat after)"; fi
echo ok
