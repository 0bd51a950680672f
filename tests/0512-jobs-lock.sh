#!/bin/bash
# One run of each job at a time: while a drill runs (a stand-in
# bk-drill.sh beside a copy of bk-backup.sh that waits for the test, as in
# 0514), a second drill is refused with 75, audited, in the metrics and
# alerted once; the other jobs (a files backup, verify, prune, a
# test-restore) run meanwhile.  Then the first drill ends well, and a
# drill runs again.
. "$BK_TOP/tests/lib.sh"

mkdir -p bin store uploads
echo one >uploads/a
cp "$BK_TOP/scripts/bk-backup.sh" bin/
cat >bin/bk-drill.sh <<'EOS'
#!/bin/bash
case $* in
*--test-restore*) ;;
*)
	: >"$T/drill.started"
	for _ in $(seq 600); do [ -e "$T/drill.go" ] && break; sleep 0.05; done
	;;
esac
mkdir -p "$BK_REPORT_DIR"
echo '{"result": "pass", "rto_seconds": 1, "rpo_seconds": 2}' >"$BK_REPORT_DIR/r.json"
echo "report: $BK_REPORT_DIR/r.json"
EOS
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
backup_conf bk.conf "file://$T/store" "BK_KINDS=files" "BK_VERIFY_DEEP_SAMPLE=0"
run=$T/bin/bk-backup.sh

bash "$run" -c bk.conf drill >first.out 2>first.err &
first=$!
wait_file drill.started
expect_exit 75 bash "$run" -c bk.conf drill >second.out 2>second.err
expect_grep '^bk-backup: drill job: failed: the previous drill job is still running$' second.err
[ "$(grep -c '^SUBJECT:' alerts)" -eq 1 ] || fail "alerts: $(cat alerts)"
expect_grep '^SUBJECT: bk: drill job failed on ' alerts
tail -n 1 state/audit.log | jq -e '.job == "drill" and .exit == 75 and .result == "failed" and
    (.detail | test("still running"))' >/dev/null || fail "audit: $(tail -n 1 state/audit.log)"
expect_grep '^bk_job_exit_status\{job="drill"\} 75$' state/metrics/bk_job_drill.prom
# The other jobs are not held by the drill's lock.
bash "$run" -c bk.conf files 2>files.err || fail "files backup during a drill: $(cat files.err)"
bash "$run" -c bk.conf verify >verify.out 2>verify.err || fail "verify during a drill: $(cat verify.err)"
bash "$run" -c bk.conf prune >prune.out 2>prune.err || fail "prune during a drill: $(cat prune.err)"
bash "$run" -c bk.conf test-restore >tr.out 2>tr.err || fail "test-restore during a drill: $(cat tr.err)"
kill -0 "$first" 2>/dev/null || fail "the first drill ended early: $(cat first.err)"
[ "$(grep -c '^SUBJECT:' alerts)" -eq 1 ] || fail "alerts: $(cat alerts)"
: >drill.go
wait "$first" || fail "the first drill: exit $?: $(cat first.err)"
expect_grep '^bk_job_exit_status\{job="drill"\} 0$' state/metrics/bk_job_drill.prom
# The lock went with it.
: >drill.go
bash "$run" -c bk.conf drill >third.out 2>third.err || fail "a drill after the first: $(cat third.err)"
[ "$(jq -s 'map(select(.tool == "bk-backup.sh" and .job == "drill")) | map(.exit) ' state/audit.log | jq -c .)" = "[75,0,0]" ] ||
    fail "audit: $(cat state/audit.log)"
exit 0
