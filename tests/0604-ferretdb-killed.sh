#!/bin/bash
# The database server dies mid-stream (issue 14): FerretDB is killed with
# SIGKILL while bk-dump is held mid-collection by its reader, and while
# bk-restore is held mid-archive by its writer.  Neither tool may present
# the result as complete: bk-dump exits non-zero and its stream has no
# end-of-archive (bk-restore --dry-run rejects it), bk-backup.sh commits
# nothing; bk-restore exits non-zero and says the target holds a partial
# restore, and a rerun with --drop into the restarted server restores it
# whole.  Each step waits for the state it needs, never for a time.
. "$BK_TOP/tests/lib.sh"

start_ferretdb "$T/fdb"
# 24 MiB of ~1 KiB documents: far more than one cursor batch, so bk-dump
# must come back to the server after its reader lets it go on.
"$PY" "$BK_TOP/tests/seed_mongo.py" bulk "$FERRETDB_URI" bulkdb 24 >/dev/null
bk-dump --uri "$FERRETDB_URI" >good.arch || fail "the first dump failed"
bk-restore --dry-run <good.arch >good.plan || fail "the good dump does not check"


# --- bk-dump: the server dies under a running dump -----------------------
( rc=0; bk-dump --uri "$FERRETDB_URI" 2>dump.err || rc=$?; echo "$rc" >dump.rc ) |
    held $((2 << 20)) dump >part.arch &
pipe=$!
wait_file dump.started
kill -9 "$FERRETDB_PID"
wait "$FERRETDB_PID" 2>/dev/null || true
touch dump.go
wait "$pipe" || true
rc=$(cat dump.rc)
[ "$rc" -ne 0 ] || fail "bk-dump exited 0 although its server died mid-dump"
# A connection lost mid-dump is worth a retry, as an unreachable server is.
[ "$rc" -eq 75 ] || fail "bk-dump exited $rc (want 75, bk-dump(1)): $(cat dump.err)"
[ "$(wc -l <dump.err)" -ge 1 ] || fail "bk-dump said nothing"
note "bk-dump: exit $rc: $(head -n 1 dump.err)"
[ "$(stat -c %s part.arch)" -lt "$(stat -c %s good.arch)" ] ||
    fail "the dump cut by a dead server is as long as a whole one"
expect_exit 1 bk-restore --dry-run <part.arch >/dev/null 2>part.err
expect_grep 'truncat|end of|EOF|byte [0-9]+' part.err

# --- bk-backup.sh: nothing committed --------------------------------------
start_ferretdb "$T/fdb2"
"$PY" "$BK_TOP/tests/seed_mongo.py" bulk "$FERRETDB_URI" bulkdb 24 >/dev/null
mkdir store
make_alert_recorder
printf '%s\n' "$FERRETDB_URI" >uri
bk-encrypt --genkey -k keyring >/dev/null
# Uncompressed, so the held 2 MiB are a small part of the stream.
backup_conf b.conf "file://$T/store" "BK_MONGODB_URI_FILE=$T/uri" BK_COMPRESS=none
# bk-dump is held by the stage after it: a wrapper for bk-encrypt, first
# on PATH, that holds its input after 2 MiB.
mkdir wrap
cat >wrap/bk-encrypt <<EOW
#!/bin/bash
$(declare -f held)
PY=$PY
held $((2 << 20)) "$T/bb" | exec "$(command -v bk-encrypt)" "\$@"
EOW
chmod +x wrap/bk-encrypt
rc=0
PATH=$T/wrap:$PATH bash "$BK_TOP/scripts/bk-backup.sh" -c b.conf db \
    >bb.out 2>bb.err &
run=$!
wait_file bb.started
kill -9 "$FERRETDB_PID"
wait "$FERRETDB_PID" 2>/dev/null || true
touch bb.go
wait "$run" || rc=$?
[ "$rc" -eq 75 ] || fail "bk-backup.sh exited $rc (want 75) although the server died mid-dump: $(cat bb.err)"
note "bk-backup.sh: exit $rc: $(tail -n 1 bb.err)"
if find store -name '*.manifest.json' | grep -q .; then
	fail "a backup was committed from a dump cut by a dead server: $(find store -name '*.manifest.json')"
fi

# --- bk-restore: the server dies under a running restore -----------------
start_ferretdb "$T/fdb3"
uri3=$FERRETDB_URI dir3=$T/fdb3
( rc=0; held $((4 << 20)) rest <good.arch |
    bk-restore --uri "$uri3" >rest.out 2>rest.err || rc=$?; echo "$rc" >rest.rc ) &
pipe=$!
wait_file rest.started
# bk-restore has the first 4 MiB: wait until some of it is in the server,
# so the kill lands inside the collection, not before it.
for _ in $(seq 600); do
	n=$(SEED_URI=$uri3 "$PY" -c '
import os
from pymongo import MongoClient
print(MongoClient(os.environ["SEED_URI"]).bulkdb.bulk.estimated_document_count())' 2>/dev/null || echo 0)
	[ "$n" -gt 0 ] && break
	sleep 0.05
done
[ "$n" -gt 0 ] || fail "bk-restore inserted nothing from its first 4 MiB"
kill -9 "$FERRETDB_PID"
wait "$FERRETDB_PID" 2>/dev/null || true
touch rest.go
wait "$pipe" || true
rc=$(cat rest.rc)
[ "$rc" -ne 0 ] || fail "bk-restore exited 0 although its server died mid-restore"
case $rc in 3|75) ;; *) fail "bk-restore exited $rc (want 3 or 75): $(cat rest.err)" ;; esac
# It names what the target holds: bulkdb.bulk was cut mid-collection.
expect_grep 'partial restore \(complete: [^;]*; partial: bulkdb\.bulk; not begun: [^)]*\)$' rest.err
note "bk-restore: exit $rc: $(grep -m 1 partial rest.err)"
# The same data directory, a new server: --drop restores it whole.
FERRETDB_PORT=$(free_port)
spawn_server FerretDB "$FERRETDB_PORT" 60 "$dir3/ferretdb2.log" \
    "$BK_CACHE/ferretdb-v1.24.2/bin/bk-test-ferretdb" \
    -listen "127.0.0.1:$FERRETDB_PORT" -dir "$dir3/data"
uri4="mongodb://127.0.0.1:$FERRETDB_PORT/"
bk-restore --uri "$uri4" --drop <good.arch >/dev/null 2>rest2.err ||
    fail "the restore again with --drop: $(cat rest2.err)"
bk-dump --uri "$uri4" | bk-restore --dry-run >again.plan ||
    fail "cannot dump the restored server"
diff good.plan again.plan >/dev/null ||
    fail "the restored data differs from the dump: $(diff good.plan again.plan | head -n 5)"
exit 0
