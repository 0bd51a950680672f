#!/bin/bash
# bk-backup.sh stopped by SIGTERM, SIGINT or SIGHUP in the middle of the
# pipeline (cron or systemd stopping it, an operator's Ctrl-C) stops every
# stage, records the run as failed (audit, metrics with 128 + the signal,
# alert), leaves no manifest and no multipart upload, removes its
# temporary directory, and frees the lock: the next run succeeds.  And a
# directory that changes while it is read is committed and flagged (4).
#
# The pipeline is held in the middle without any timing: FerretDB is
# reached through a proxy that forwards the first 40 MiB of its answers and
# then stops, so bk-dump waits for data that never comes while the stream
# so far has reached the store.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

start_ferretdb "$T/fdb"
s3_buckets bk-sig
# 64 MiB of incompressible documents.
"$PY" -c 'import os, sys; from pymongo import MongoClient
c = MongoClient(sys.argv[1]).shop.blobs
for i in range(16):
    c.insert_many([{"_id": i * 16 + j, "b": os.urandom(256 << 10)} for j in range(16)])' "$FERRETDB_URI"

cat >pauseproxy.py <<'EOP'
# pauseproxy.py PORT UPSTREAM LIMIT MARKER answers|requests [GO]: forward
# TCP to UPSTREAM; once LIMIT bytes have been forwarded in the direction
# named, create MARKER and forward nothing more that way until the file GO
# exists (never, without GO).  The other direction goes through.
import os, socket, sys, threading, time
port, upstream, limit, marker = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
held, go = sys.argv[5] == "answers", (sys.argv[6] if len(sys.argv) > 6 else None)
lock, sent = threading.Lock(), [0]
def pump(src, dst, answers):
    while True:
        data = src.recv(65536)
        if not data:
            break
        if answers == held:
            with lock:
                if sent[0] >= limit and not (go and os.path.exists(go)):
                    open(marker, "w").close()
                    while not (go and os.path.exists(go)):
                        time.sleep(0.1)
                sent[0] += len(data)
        dst.sendall(data)
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(16)
while True:
    c, _ = ls.accept()
    u = socket.create_connection(("127.0.0.1", upstream))
    threading.Thread(target=pump, args=(c, u, False), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, True), daemon=True).start()
EOP

bk-encrypt --genkey -k keyring >/dev/null
mkdir nas tmp
make_alert_recorder
# mkconf FILE URI
mkconf() {
	printf '%s?serverSelectionTimeoutMS=5000\n' "$2" >"$1.uri"
	chmod 600 "$1.uri"
	cat >"$1" <<EOC
BK_MONGODB_URI_FILE=$T/$1.uri
BK_KEYRING=$T/keyring
BK_DESTS="s3://bk-sig/prod file://$T/nas"
BK_STATE_DIR=$T/state
BK_ALERT_CMD="env T=$T $T/alert"
EOC
	chmod 600 "$1"
}
mkconf direct.conf "$FERRETDB_URI"

# interrupt SIG STATUS: a run through a fresh pausing proxy, SIG sent to
# the script once the stream has reached the store; it must exit STATUS.
interrupt() {
	local sig=$1 want=$2 pport bpid got=0 kids p n=0
	pport=$(free_port)
	rm -f paused alerts
	"$PY" pauseproxy.py "$pport" "$FERRETDB_PORT" $((40 << 20)) "$T/paused" answers &
	BK_PIDS="$BK_PIDS $!"
	wait_port "$pport" 30 || fail "the proxy did not start"
	mkconf proxy.conf "mongodb://127.0.0.1:$pport/"
	# A background job of a shell without job control starts with SIGINT
	# ignored, and bash cannot trap a signal ignored at entry: give the
	# script the default disposition, as cron or a terminal would.
	TMPDIR=$T/tmp "$PY" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' bash "$backup" -c proxy.conf db 2>"$sig.err" &
	bpid=$!
	# Held: the proxy has stopped answering and a multipart upload exists.
	until [ -e paused ] &&
	    [ "$(aws s3api list-multipart-uploads --bucket bk-sig --query 'length(Uploads || `[]`)' --output text)" -gt 0 ]; do
		n=$((n + 1))
		[ "$n" -lt 600 ] || fail "the pipeline never reached the store: $(cat "$sig.err")"
		kill -0 "$bpid" 2>/dev/null || fail "the backup ended early: $(cat "$sig.err")"
		sleep 0.2
	done
	kids=$(pgrep -P "$bpid" | tr '\n' ' ')
	# Whatever survives is killed when the test ends.
	BK_PIDS="$BK_PIDS $kids"
	for p in bk-dump bk-encrypt bk-hash bk-put; do
		for k in $kids; do
			[ "$(cat "/proc/$k/comm" 2>/dev/null)" = "$p" ] && continue 2
		done
		fail "$p is not running under the script: $kids"
	done
	kill -"$sig" "$bpid"
	wait "$bpid" || got=$?
	[ "$got" -eq "$want" ] || fail "SIG$sig: exit $got, expected $want: $(cat "$sig.err")"
	for p in $kids; do
		if kill -0 "$p" 2>/dev/null; then
			fail "SIG$sig: $(cat "/proc/$p/comm") ($p) survived the script"
		fi
	done
	expect_grep "failed: interrupted by SIG$sig; the pipeline was stopped and nothing was committed" "$sig.err"
	jq -se --argjson x "$want" --arg s "SIG$sig" 'last | .result == "failed" and .exit == $x and
	    (.detail | contains("interrupted by " + $s))' state/audit.log >/dev/null ||
		fail "audit: $(tail -n 1 state/audit.log)"
	expect_grep "^bk_backup_last_exit_status\\{kind=\"db\"\\} $want\$" state/metrics/bk_backup_db.prom
	expect_grep '^SUBJECT: bk: db backup failed on ' alerts
	expect_grep "^interrupted by SIG$sig" alerts
	[ -z "$(find nas -name '*.manifest.json')" ] || fail "SIG$sig: a manifest: $(find nas)"
	[ -z "$(find nas -name '*.sha256')" ] || fail "SIG$sig: a sidecar: $(find nas)"
	[ "$(aws s3api list-objects-v2 --bucket bk-sig --query 'length(Contents[?ends_with(Key, `.manifest.json`)] || `[]`)' --output text)" -eq 0 ] ||
		fail "SIG$sig: a manifest in the bucket"
	[ "$(aws s3api list-multipart-uploads --bucket bk-sig --query 'length(Uploads || `[]`)' --output text)" -eq 0 ] ||
		fail "SIG$sig: a multipart upload was left behind"
	[ -z "$(ls -A tmp)" ] || fail "SIG$sig: the temporary directory is left: $(ls -A tmp)"
}

interrupt TERM 143
# The lock is free: the next run takes it and commits.
bash "$backup" -c direct.conf db 2>ok.err || fail "the run after SIGTERM: $(cat ok.err)"
[ "$(find nas -name '*.manifest.json' | wc -l)" -eq 1 ] || fail "manifests: $(find nas)"
jq -se 'last | .result == "committed"' state/audit.log >/dev/null || fail "audit: $(tail -n 1 state/audit.log)"
rm -rf nas/db
aws s3 rm --recursive --quiet s3://bk-sig/prod/

interrupt INT 130
bash "$backup" -c direct.conf db 2>ok2.err || fail "the run after SIGINT: $(cat ok2.err)"
rm -rf nas/db
aws s3 rm --recursive --quiet s3://bk-sig/prod/

interrupt HUP 129

# A directory that changes while it is read is committed and flagged (exit
# 4, committed-incomplete).  Held the same way, at the store: the uploads
# to S3 stop after 8 MiB, so bk-dump waits in the middle of an 80 MiB file
# while it shrinks, then the uploads go on.
mkdir uploads
gen_bytes big $((80 << 20)) >uploads/big
echo small >uploads/small
pport=$(free_port)
rm -f paused go alerts
"$PY" pauseproxy.py "$pport" "$VGW_PORT" $((8 << 20)) "$T/paused" requests "$T/go" &
BK_PIDS="$BK_PIDS $!"
wait_port "$pport" 30 || fail "the proxy did not start"
backup_conf files.conf "s3://bk-sig/changing?endpoint=http://127.0.0.1:$pport file://$T/nas"
bash "$backup" -c files.conf files 2>changed.err &
bpid=$!
n=0
until [ -e paused ]; do
	n=$((n + 1))
	[ "$n" -lt 600 ] || fail "the upload never stopped: $(cat changed.err)"
	kill -0 "$bpid" 2>/dev/null || fail "the backup ended early: $(cat changed.err)"
	sleep 0.2
done
truncate -s 1000000 uploads/big
touch go
got=0
wait "$bpid" || got=$?
[ "$got" -eq 4 ] || fail "changing directory: exit $got, expected 4: $(cat changed.err)"
expect_grep 'committed-incomplete: the directory changed while it was read: .*uploads/big: file shrank' changed.err
[ "$(find nas/files -name '*.manifest.json' | wc -l)" -eq 1 ] || fail "nas: $(find nas)"
[ "$(bk-get --list --json s3://bk-sig/changing/files/ | jq -s 'map(select(.committed)) | length')" -eq 1 ] ||
	fail "s3: not committed"
jq -se 'last | .result == "committed-incomplete" and .exit == 4' state/audit.log >/dev/null ||
	fail "audit: $(tail -n 1 state/audit.log)"
expect_grep '^SUBJECT: bk: files backup committed-incomplete on ' alerts
