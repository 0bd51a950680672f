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
# refused; the next run drops what a killed one left.  The swap is
# journalled and locked: a swap cut after each of its renames is undone by
# the next run, a committed one finished, a real one killed ends wholly old
# or wholly new; another host's lock refuses (75) until --break-lock, a
# dead process's is broken; a journal entry bk did not write (another
# shape, or a pair naming a collection not bk's own) stops the restore
# (exit 3) with prod untouched.  An unprotected database keeps the direct
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
	approved_request "$1.req" "$(sha256sum <"$1" | cut -c1-64)" "$hp/prod" "$1"
}
# restore FILE [ARGS]: an approved restore of FILE into prod.
restore() {
	local f=$1
	shift
	$EXEC bk-restore --uri "$FERRETDB_URI" --ns-from 'shop.*' --ns-to 'prod.*' \
	    --request "$f.req" --approval "$f.req.alice" --approval "$f.req.bob" \
	    "$@" <"$f"
}
# state DB: every collection of DB, its documents and its indexes.
state() {
	"$PY" -c 'import sys, json; from pymongo import MongoClient
d = MongoClient(sys.argv[1])[sys.argv[2]]
for n in sorted(d.list_collection_names()):
    docs = sorted(json.dumps(x, sort_keys=True, default=str) for x in d[n].find())
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
state prod | grep -v '^bk-restore-\|^bk-swap-journal ' >after
cmp -s before after || fail "a killed restore changed prod: $(diff before after)"
# The next run drops the leftover and restores.
restore good.arch 2>err || fail "restore after the kill: $(cat err)"
expect_grep 'prod\.bk-restore-[0-9a-f]{16}-0: dropped, left by an earlier restore aside' err
expect_grep 'prod: the swap lock of a restore \(host .*\) broken: its process is gone' err
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
state prod | grep -v '^bk-restore-\|^bk-swap-journal ' >after
cmp -s before after || fail "prod after its server died: $(diff before after)"
restore good.arch 2>err || fail "restore after the restart: $(cat err)"
state prod >after
cmp -s before after || fail "prod after the restart and rerun: $(diff before after)"

# --- the swap lock: another host's restore holds it ----------------------
"$PY" -c 'import sys, datetime; from pymongo import MongoClient
MongoClient(sys.argv[1]).prod["bk-swap-journal"].insert_one({"_id": "lock",
    "nonce": "feedfeedfeedfeed", "host": "elsewhere.example", "pid": 4242,
    "since": datetime.datetime(2026, 11, 27, 3, 0)})' "$FERRETDB_URI"
state prod | grep -v '^bk-swap-journal ' >before
expect_exit 75 restore good.arch 2>err
expect_grep 'prod: another bk-restore holds its swap lock \(host elsewhere\.example, pid 4242, since 2026-11-27T03:00:00Z\): rerun when it has ended, or with --break-lock if it died' err
state prod | grep -v '^bk-swap-journal ' >after
cmp -s before after || fail "a refused lock changed prod: $(diff before after)"
restore good.arch --break-lock 2>err || fail "--break-lock: $(cat err)"
expect_grep 'prod: the swap lock of a restore \(host elsewhere\.example, since 2026-11-27T03:00:00Z\) broken: --break-lock' err
state prod >after
cmp -s before after || fail "prod after --break-lock: $(diff before after)"

# --- a swap killed anywhere: the next run finishes or undoes it ----------
# cut_swap K STATE: prod and prod2 as a restore killed after K of the 8 renames
# of its swap leaves them (jr_a, jr_b existing, jr_c not, prod2.jr_d
# existing; the journal in prod, its pointer in prod2), the journal in
# STATE, and a lock a dead process of this host left.
cut_swap() {
	"$PY" - "$FERRETDB_URI" "$1" "$2" <<'EOP'
import datetime, subprocess, sys
from pymongo import MongoClient
uri, k, state = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = MongoClient(uri)
p, q = c.prod, c.prod2
N = "00000000000000aa"
for db in (p, q):
    for n in db.list_collection_names():
        if n.startswith(("jr_", "bk-")):
            db.drop_collection(n)
p.jr_a.insert_one({"_id": 1, "v": "old-a"})
p.jr_b.insert_one({"_id": 1, "v": "old-b"})
q.jr_d.insert_one({"_id": 1, "v": "old-d"})
pairs = [(p, "jr_a", True), (p, "jr_b", True), (p, "jr_c", False),
         (q, "jr_d", True)]
steps = []
for i, (db, coll, _) in enumerate(pairs):
    db["bk-restore-%s-%d" % (N, i)].insert_one({"_id": 1, "v": "new-" + coll[3:]})
    steps.append((db, coll, "bk-old-%s-%d" % (N, i)))
    steps.append((db, "bk-restore-%s-%d" % (N, i), coll))
for db, f, t in steps[:k]:
    if f in db.list_collection_names():
        db[f].rename(t)
p["bk-swap-journal"].insert_one({"_id": N, "state": state, "home": "prod",
    "host": "h", "pid": 1, "since": datetime.datetime(2026, 11, 27),
    "pairs": [{"db": db.name, "coll": coll,
               "aside": "bk-restore-%s-%d" % (N, i),
               "old": "bk-old-%s-%d" % (N, i), "existed": ex}
              for i, (db, coll, ex) in enumerate(pairs)]})
q["bk-swap-journal"].insert_one({"_id": N, "home": "prod"})
dead = subprocess.Popen(["true"]); dead.wait()
p["bk-swap-journal"].insert_one({"_id": "lock", "nonce": "0" * 16,
    "host": __import__("socket").gethostname(), "pid": dead.pid,
    "since": datetime.datetime(2026, 11, 27)})
EOP
}
# jr: what prod and prod2 hold of the cut's collections, and any bk- one.
jr() {
	"$PY" -c 'import sys; from pymongo import MongoClient
c = MongoClient(sys.argv[1])
for db in (c.prod, c.prod2):
    for n in sorted(db.list_collection_names()):
        if n.startswith(("jr_", "bk-")):
            print(db.name, n, [d.get("v") for d in db[n].find()])' "$FERRETDB_URI"
}
cat >undone <<'EOF'
prod jr_a ['old-a']
prod jr_b ['old-b']
prod2 jr_d ['old-d']
EOF
cat >finished <<'EOF'
prod jr_a ['new-a']
prod jr_b ['new-b']
prod jr_c ['new-c']
prod2 jr_d ['new-d']
EOF
for k in 0 1 2 3 4 5 6 7 8; do
	cut_swap "$k" swapping || fail "cut_swap $k"
	restore good.arch 2>err || fail "restore after a swap cut at $k: $(cat err)"
	expect_grep 'prod: the swap lock of a restore \(host .*\) broken: its process is gone' err
	expect_grep 'prod: the swap 00000000000000aa, killed before its commit, undone: every collection is as it was before it' err
	jr >got
	cmp -s undone got || fail "a swap cut after $k renames, undone: $(diff undone got)"
done
cut_swap 8 committed || fail "cut_swap committed"
restore good.arch 2>err || fail "restore after a committed swap: $(cat err)"
expect_grep 'prod: the swap 00000000000000aa, killed after its commit, finished: the restored collections are in place, their previous contents dropped' err
jr >got
cmp -s finished got || fail "a committed swap, finished: $(diff finished got)"

# --- a journal bk did not write is left alone, and nothing is restored ----
# A document of another shape, and one whose pair would rename a
# collection that is not bk's own (keep): both refused, prod untouched.
state prod >before
for doc in '{"_id": "x1", "pairs": "nonsense"}' \
    '{"_id": "x2", "state": "swapping", "home": "prod", "pairs": [{"db": "prod", "coll": "orders", "aside": "keep", "old": "bk-old-x2-0", "existed": true}]}'; do
	"$PY" -c 'import sys, json; from pymongo import MongoClient
MongoClient(sys.argv[1]).prod["bk-swap-journal"].insert_one(json.loads(sys.argv[2]))' \
	    "$FERRETDB_URI" "$doc"
	expect_exit 3 restore good.arch 2>err
	expect_grep 'bk did not write; left alone' err
	state prod | grep -v '^bk-swap-journal ' >after
	cmp -s before after || fail "a foreign journal entry changed prod: $(diff before after)"
	"$PY" -c 'import sys; from pymongo import MongoClient
MongoClient(sys.argv[1]).prod.drop_collection("bk-swap-journal")' "$FERRETDB_URI"
done

# --- bk-restore killed in the middle of a real swap -----------------------
# 30 collections make the swap long enough for one poller to stop
# bk-restore (SIGSTOP) once its journal is written; it is then killed, and
# the next restore (of another collection) must finish the swap if the
# journal says committed and undo it otherwise; either way every one of
# the 30 collections is wholly old or wholly new, never a mix.
"$PY" -c 'import json
print(json.dumps([{"db": "shop", "collection": "m%02d" % i,
    "docs": [{"_id": 1, "v": "new"}]} for i in range(30)]))' >many.json
craft many.arch "$(cat many.json)"
craft other.arch '[{"db": "shop", "collection": "zz_other", "docs": [{"_id": 1}]}]'
approve many.arch
approve other.arch
many() {
	"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).prod
for n in sorted(d.list_collection_names()):
    if n.startswith(("m", "bk-")):
        print(n, [x.get("v") for x in d[n].find()])' "$FERRETDB_URI"
}
"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).prod
for i in range(30):
    d.drop_collection("m%02d" % i)
    d["m%02d" % i].insert_one({"_id": 1, "v": "old"})' "$FERRETDB_URI"
many >many.old
sed 's/old/new/' many.old >many.new
stopped=
for attempt in 1 2 3; do
	EXEC='exec' restore many.arch 2>swapkill.err &
	pid=$!
	st=$("$PY" -c 'import os, signal, sys, time
from pymongo import MongoClient
j = MongoClient(sys.argv[1]).prod["bk-swap-journal"]
pid = int(sys.argv[2])
for _ in range(30000):
    if j.find_one({"pairs": {"$exists": True}}) is not None:
        os.kill(pid, signal.SIGSTOP)
        d = j.find_one({"pairs": {"$exists": True}})
        print(d["state"] if d else "ended")
        sys.exit(0)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        break
    time.sleep(0.002)
print("ended")' "$FERRETDB_URI" "$pid")
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [ "$st" = ended ]; then
		# The swap ended before the poller saw it: prod is new; again.
		note "attempt $attempt: the swap ended before it was stopped"
		many >got
		cmp -s many.new got || fail "a restore that ended left: $(diff many.new got)"
		"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).prod
for i in range(30):
    d["m%02d" % i].update_one({"_id": 1}, {"$set": {"v": "old"}})' "$FERRETDB_URI"
		continue
	fi
	stopped=$st
	break
done
[ -n "$stopped" ] || fail "bk-restore's swap was never stopped in 3 attempts"
note "bk-restore killed in its swap, journal state $stopped"
restore other.arch --ns-include 'shop.zz_other' 2>err ||
    fail "restore after a kill in the swap: $(cat err)"
many >got
if [ "$stopped" = committed ]; then
	expect_grep 'killed after its commit, finished' err
	cmp -s many.new got || fail "a committed swap, finished: $(diff many.new got)"
else
	expect_grep 'killed before its commit, undone: every collection is as it was before it' err
	cmp -s many.old got || fail "a killed swap, undone: $(diff many.old got)"
fi

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
