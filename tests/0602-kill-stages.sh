#!/bin/bash
# SIGKILL of one pipeline stage at a point chosen by bytes, 20 times: each
# run of scripts/bk-backup.sh (files, a few MiB, a file:// store) has one
# stage (bk-dump, bk-encrypt, bk-hash and bk-put in turn, five times each)
# killed once N bytes of the stream have passed it (N from a fixed-seed
# sequence, 0 to 2 MiB: every run of the test tries the same points).
# Each time: the run fails with 137, the status of the killed stage (bk(7):
# 128 + the signal; bk-backup(8): the status of the last stage that
# failed), records "failed" in the audit log, commits no manifest for its
# name, leaves every earlier backup intact (each checks against its
# sidecar with bk-hash -c), and the next run commits.  At the end the
# newest backup is restored and compared with the directory.
#
# The point is reached by state, never by time: the stage under test is
# started through a wrapper that puts a gate (a pass-through that stops
# after N bytes and holds the stream there) on its input, or on its
# output for bk-dump, which has no input stream.  Once the gate has passed
# N bytes the stage is killed; until then nothing can end the stream.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

mkdir uploads nas wrap
gen_bytes k1 1100000 >uploads/one
mkdir uploads/sub
gen_bytes k2 1000000 >uploads/sub/two
echo small >uploads/sub/three
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
cat >bk.conf <<EOC
BK_UPLOADS_DIR=$T/uploads
BK_KEYRING=$T/keyring
BK_DESTS="file://$T/nas"
BK_STATE_DIR=$T/state
BK_ALERT_CMD="env T=$T $T/alert"
EOC
chmod 600 bk.conf

# gate.py N MARKER: copy stdin to stdout, N bytes and no more; then create
# MARKER and hold the stream (read nothing more, never end it) until
# killed.
cat >gate.py <<'EOP'
import os, signal, sys
left = int(sys.argv[1])
while left > 0:
    b = os.read(0, min(left, 65536))
    if not b:
        sys.exit(0)
    left -= len(b)
    while b:
        b = b[os.write(1, b):]
open(sys.argv[2], "w").close()
while True:
    signal.pause()
EOP

# A wrapper per stage, first on PATH: it runs the real tool, except for
# the stage named by KILL_STAGE (and never for bk-put --commit), where it
# puts the gate in front (behind, for bk-dump), writes the tool's PID to
# $KILL_DIR/pid and exits with the tool's status.
for s in bk-dump bk-encrypt bk-hash bk-put; do
	real=$(command -v "$s")
	cat >"wrap/$s" <<EOW
#!/bin/bash
real=$real
case " \$* " in *" --commit "*) exec "\$real" "\$@" ;; esac
[ "\${KILL_STAGE:-}" = $s ] || exec "\$real" "\$@"
d=\$KILL_DIR
mkfifo "\$d/fifo"
if [ $s = bk-dump ]; then
	"\$real" "\$@" </dev/null >"\$d/fifo" &
	pid=\$!
	$PY $T/gate.py "\$KILL_AT" "\$d/gated" <"\$d/fifo" &
	gate=\$!
else
	$PY $T/gate.py "\$KILL_AT" "\$d/gated" <&0 >"\$d/fifo" &
	gate=\$!
	"\$real" "\$@" <"\$d/fifo" &
	pid=\$!
fi
echo "\$pid" >"\$d/pid"
rc=0
wait "\$pid" || rc=\$?
kill "\$gate" 2>/dev/null
wait "\$gate" 2>/dev/null
exit "\$rc"
EOW
	chmod +x "wrap/$s"
done
export PATH=$T/wrap:$PATH

# committed_ok: every committed backup checks against its sidecar.
committed_ok() {
	local url n
	bk-get --list "file://$T/nas/files/" >list || fail "listing: $(cat list)"
	n=0
	while IFS=$'\t' read -r url _; do
		bk-get "$url.sha256" >sum || fail "$url.sha256 unreadable"
		bk-get "$url" | bk-hash -c sum -n "${url##*/}" >/dev/null ||
		    fail "$url no longer matches its sidecar"
		n=$((n + 1))
	done <list
	[ "$n" -eq "$1" ] || fail "$n committed backups, expected $1: $(cat list)"
}

last_audit() { tail -n 1 state/audit.log | jq -r "$1"; }

# The first backup, which every later check protects.
bash "$backup" -c bk.conf files 2>first.err || fail "first backup: $(cat first.err)"
good=1
stages=(bk-dump bk-encrypt bk-hash bk-put)
RANDOM=1414
for i in $(seq 1 20); do
	stage=${stages[i % 4]}
	at=$((RANDOM * 62))
	[ "$i" -gt 1 ] || at=0
	kd=$T/kill$i
	mkdir "$kd"
	note "run $i: SIGKILL $stage after $at bytes"
	rc=0
	KILL_STAGE=$stage KILL_DIR=$kd KILL_AT=$at \
	    bash "$backup" -c bk.conf files >/dev/null 2>"$kd/err" &
	run=$!
	BK_PIDS="$BK_PIDS $run"
	n=0
	until [ -e "$kd/gated" ] && [ -s "$kd/pid" ]; do
		if ! kill -0 "$run" 2>/dev/null; then
			wait "$run" || rc=$?
			fail "run $i ended ($rc) before $stage passed $at bytes: $(cat "$kd/err")"
		fi
		n=$((n + 1))
		[ "$n" -lt 6000 ] || fail "run $i: $stage never passed $at bytes"
		sleep 0.02
	done
	kill -KILL "$(cat "$kd/pid")"
	wait "$run" || rc=$?
	[ "$rc" -eq 137 ] || fail "run $i ($stage killed at $at): exit $rc, expected 137: $(cat "$kd/err")"
	[ "$(last_audit .result)" = failed ] || fail "run $i: audit: $(tail -n 1 state/audit.log)"
	expect_grep "$stage exited 137" "$kd/err"
	name=$(last_audit .name)
	[ ! -e "nas/files/$name.manifest.json" ] || fail "run $i: the broken run $name was committed"
	# bk-put killed: its partial data never appears under the final name.
	[ "$stage" != bk-put ] || [ ! -e "nas/files/$name" ] ||
	    fail "run $i: a partial object under the final name $name"
	rc=0
	bk-get "file://$T/nas/files/$name" >/dev/null 2>"$kd/get.err" || rc=$?
	[ "$rc" -eq 1 ] || [ "$rc" -eq 3 ] || fail "run $i: bk-get of the broken backup exited $rc: $(cat "$kd/get.err")"
	committed_ok "$good"
	# The next run commits.
	bash "$backup" -c bk.conf files 2>"$kd/next.err" ||
	    fail "the run after run $i failed: $(cat "$kd/next.err")"
	good=$((good + 1))
	# A killed stage leaves no process behind.
	if pgrep -f "$T/gate.py" >/dev/null; then fail "run $i: a gate survived"; fi
done
committed_ok "$good"
newest=$(bk-get --list "file://$T/nas/files/" | tail -n 1 | cut -f 1)
bk-get "$newest" | bk-encrypt -d -k keyring | bk-restore --files back >/dev/null ||
    fail "restore of $newest"
diff -r uploads back || fail "the restored directory differs"
exit 0
