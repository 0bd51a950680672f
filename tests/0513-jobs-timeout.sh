#!/bin/bash
# A job's timeout (BK_TIMEOUT_JOB) stops the whole pipeline: a drill whose
# stand-in bk-drill.sh (beside a copy of bk-backup.sh, as in 0514) hangs
# with a child of its own, and a files backup whose bk-dump hangs.  Each
# run exits 124, is audited as a timeout naming the stage, keeps the last
# success in the metrics, raises one alert, and leaves no process behind;
# the backup commits nothing. SIGTERM to a drill stops it the same way,
# with 143.
. "$BK_TOP/tests/lib.sh"

mkdir -p bin store uploads wrap
echo one >uploads/a
cp "$BK_TOP/scripts/bk-backup.sh" bin/
cat >bin/bk-drill.sh <<'EOS'
#!/bin/bash
echo $$ >"$T/drill.pid"
sleep 300 &
echo $! >"$T/child.pid"
wait
EOS
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
backup_conf bk.conf "file://$T/store" "BK_TIMEOUT_DRILL=1" "BK_TIMEOUT_FILES=1"
run=$T/bin/bk-backup.sh
# running PID: the process is there and not a zombie (an orphan killed a
# moment ago waits for init to reap it).
running() {
	local s
	s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $s in Z*) return 1 ;; esac
}

expect_exit 124 bash "$run" -c bk.conf drill >drill.out 2>drill.err
expect_grep '^bk-backup: drill job: timeout: timed out after 1s \(BK_TIMEOUT_DRILL\) in stage bk-drill.sh; the job was stopped$' drill.err
for p in "$(cat drill.pid)" "$(cat child.pid)"; do
	running "$p" && fail "process $p still runs after the timeout: $(ps -o pid,stat,cmd -p "$p")"
done
[ "$(grep -c '^SUBJECT:' alerts)" -eq 1 ] || fail "alerts: $(cat alerts)"
expect_grep '^SUBJECT: bk: drill job timeout on ' alerts
expect_grep '^timed out after 1s \(BK_TIMEOUT_DRILL\) in stage bk-drill.sh' alerts
tail -n 1 state/audit.log | jq -e '.job == "drill" and .exit == 124 and .result == "timeout" and
    .stage == "bk-drill.sh"' >/dev/null || fail "audit: $(tail -n 1 state/audit.log)"
expect_grep '^bk_job_exit_status\{job="drill"\} 124$' state/metrics/bk_job_drill.prom
expect_grep '^bk_job_last_success_timestamp_seconds\{job="drill"\} 0$' state/metrics/bk_job_drill.prom
expect_grep '^bk_drill_result 0$' state/metrics/bk_drill.prom

# SIGTERM stops it the same way (no timeout here): 143, recorded.
backup_conf sig.conf "file://$T/store"
rm -f alerts drill.pid child.pid
bash "$run" -c sig.conf drill >sig.out 2>sig.err &
r=$!
wait_file child.pid
kill -TERM "$r"
got=0
wait "$r" || got=$?
[ "$got" -eq 143 ] || fail "SIGTERM: exit $got: $(cat sig.err)"
expect_grep '^bk-backup: drill job: failed: interrupted by SIGTERM in stage bk-drill.sh; the job was stopped$' sig.err
for p in "$(cat drill.pid)" "$(cat child.pid)"; do
	running "$p" && fail "process $p still runs after SIGTERM: $(ps -o pid,stat,cmd -p "$p")"
done
tail -n 1 state/audit.log | jq -e '.job == "drill" and .exit == 143 and .stage == "bk-drill.sh"' >/dev/null ||
    fail "audit: $(tail -n 1 state/audit.log)"
[ "$(grep -c '^SUBJECT:' alerts)" -eq 1 ] || fail "alerts: $(cat alerts)"

# A backup that hangs in bk-dump: nothing committed, every stage stopped.
rm alerts
printf '#!/bin/sh\necho $$ >"%s/dump.pid"\nexec sleep 300\n' "$T" >wrap/bk-dump
chmod +x wrap/bk-dump
PATH=$T/wrap:$PATH expect_exit 124 bash "$run" -c bk.conf files >files.out 2>files.err
expect_grep 'timed out after 1s \(BK_TIMEOUT_FILES\) in stage pipeline' files.err
running "$(cat dump.pid)" && fail "bk-dump still runs after the timeout"
[ -z "$(find store -name '*.manifest.json')" ] || fail "committed: $(find store)"
[ "$(grep -c '^SUBJECT:' alerts)" -eq 1 ] || fail "alerts: $(cat alerts)"
expect_grep '^SUBJECT: bk: files backup timeout on ' alerts
expect_grep '^bk_backup_last_exit_status\{kind="files"\} 124$' state/metrics/bk_backup_files.prom
expect_grep '^bk_job_exit_status\{job="files"\} 124$' state/metrics/bk_job_files.prom
# A timeout that is no number is refused.
echo 'BK_TIMEOUT_FILES=1h' >>bk.conf
expect_exit 3 bash "$run" -c bk.conf files >bad.out 2>bad.err
expect_grep 'BK_TIMEOUT_FILES=1h: want a number of seconds' bad.err
exit 0
