#!/bin/bash
# SIGKILL of one pipeline stage at a point chosen by bytes, 20 times: each
# run of scripts/bk-backup.sh (files, a few MiB, a file:// store) has one
# stage (bk-dump, bk-encrypt, bk-hash and bk-put in turn, five times each)
# killed once N bytes of the stream have passed it (N from a fixed-seed
# sequence, 0 to 2 MiB: every run of the test tries the same points).
# Then four runs (one per stage) against an S3 store (versitygw).
# Each time: the run fails with 137, the status of the killed stage (bk(7):
# 128 + the signal; bk-backup(8): the status of the last stage that
# failed), raises exactly one alert naming the killed stage, records
# "failed" in the audit log, commits no manifest for its
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
backup_conf bk.conf "file://$T/nas"

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

# committed_ok PREFIX N: the N committed backups under PREFIX each check
# against their sidecar.
committed_ok() {
	local url n=0
	bk-get --list "$1" >list || fail "listing $1: $(cat list)"
	while IFS=$'\t' read -r url _; do
		bk-get "$url.sha256" >sum || fail "$url.sha256 unreadable"
		bk-get "$url" | bk-hash -c sum -n "${url##*/}" >/dev/null ||
		    fail "$url no longer matches its sidecar"
		n=$((n + 1))
	done <list
	[ "$n" -eq "$2" ] || fail "$n committed backups under $1, expected $2: $(cat list)"
}

last_audit() { tail -n 1 state/audit.log | jq -r "$1"; }
# alerts_n: how many alerts the recorder has; last_alert: the newest one.
alerts_n() {
	local n
	n=$(grep -c '^SUBJECT:' "$T/alerts" 2>/dev/null)
	echo "${n:-0}"
}
last_alert() { awk '/^SUBJECT:/ { b = "" } { b = b $0 "\n" } END { printf "%s", b }' "$T/alerts"; }

# kill_run I STAGE AT CONF PREFIX GOOD: run I of CONF with STAGE killed
# after AT bytes, its checks, and the next run, which must commit.
kill_run() {
	local i=$1 stage=$2 at=$3 conf=$4 prefix=$5 good=$6 kd=$T/kill$1 run rc=0 n=0 name
	local a0
	mkdir "$kd"
	a0=$(alerts_n)
	note "run $i: SIGKILL $stage after $at bytes, store $prefix"
	KILL_STAGE=$stage KILL_DIR=$kd KILL_AT=$at \
	    bash "$backup" -c "$conf" files >/dev/null 2>"$kd/err" &
	run=$!
	BK_PIDS="$BK_PIDS $run"
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
	# Exactly one alert, naming the stage.
	[ "$(alerts_n)" -eq $((a0 + 1)) ] ||
	    fail "run $i: $(($(alerts_n) - a0)) alerts, expected exactly one: $(cat "$T/alerts")"
	last_alert >"$kd/alert"
	expect_grep "$stage exited 137" "$kd/alert"
	name=$(last_audit .name)
	# Not committed: not readable, not listed.
	rc=0
	bk-get "$prefix$name" >/dev/null 2>"$kd/get.err" || rc=$?
	[ "$rc" -eq 1 ] || [ "$rc" -eq 3 ] || fail "run $i: bk-get of the broken backup exited $rc: $(cat "$kd/get.err")"
	case $prefix in file://*)
		[ ! -e "${prefix#file://}$name.manifest.json" ] || fail "run $i: the broken run $name was committed"
		# bk-put killed: its partial data never appears under the final name.
		[ "$stage" != bk-put ] || [ ! -e "${prefix#file://}$name" ] ||
		    fail "run $i: a partial object under the final name $name" ;;
	esac
	committed_ok "$prefix" "$good"
	! cut -f 1 list | grep -qF "/$name" || fail "run $i: the broken run $name is listed"
	bash "$backup" -c "$conf" files 2>"$kd/next.err" ||
	    fail "the run after run $i failed: $(cat "$kd/next.err")"
	# A killed stage leaves no process behind.
	if pgrep -f "$T/gate.py" >/dev/null; then fail "run $i: a gate survived"; fi
}

# The first backup, which every later check protects.
bash "$backup" -c bk.conf files 2>first.err || fail "first backup: $(cat first.err)"
good=1
stages=(bk-dump bk-encrypt bk-hash bk-put)
RANDOM=1414
for i in $(seq 1 20); do
	at=$((RANDOM * 62))
	[ "$i" -gt 1 ] || at=0
	kill_run "$i" "${stages[i % 4]}" "$at" bk.conf "file://$T/nas/files/" "$good"
	good=$((good + 1))
done
committed_ok "file://$T/nas/files/" "$good"
newest=$(bk-get --list "file://$T/nas/files/" | tail -n 1 | cut -f 1)
bk-get "$newest" | bk-encrypt -d -k keyring | bk-restore --files back >/dev/null ||
    fail "restore of $newest"
diff -r uploads back || fail "the restored directory differs"

# The same on an S3 store (versitygw), each stage once.
start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-kill >/dev/null
sed 's#^BK_DESTS=.*#BK_DESTS="s3://bk-kill/prod"#' bk.conf >s3.conf
chmod 600 s3.conf
bash "$backup" -c s3.conf files 2>s3first.err || fail "first S3 backup: $(cat s3first.err)"
good=1
for i in 21 22 23 24; do
	kill_run "$i" "${stages[i % 4]}" $((RANDOM * 62)) s3.conf s3://bk-kill/prod/files/ "$good"
	good=$((good + 1))
done
committed_ok s3://bk-kill/prod/files/ "$good"
exit 0
