#!/bin/bash
# The drill and test-restore jobs of bk-backup.sh, a UNIT TEST of the
# runner's handling only (0515 runs the real scripts/bk-drill.sh): the
# test writes a stand-in bk-drill.sh beside a copy of bk-backup.sh, which
# answers as the contract (bk-backup(8), bk-drill(8)) says it may: a
# report and exit 0, a failed report and exit 1, 3, 75, a usage error,
# exit 0 with a report that says "fail".  Checked: the arguments and the
# exported settings it gets (and no MONGODB_URI), the runner's exit status
# for each answer, the metrics from the report (bk_drill_*,
# bk_test_restore_*) passing promtool check metrics, one alert naming the
# failed stage, and the audit line.
. "$BK_TOP/tests/lib.sh"
command -v promtool >/dev/null || fail "promtool not installed: run make deps (Debian's prometheus)"

mkdir -p bin store uploads
cp "$BK_TOP/scripts/bk-backup.sh" bin/
# The stand-in: its arguments and BK_ environment in ./calls, then what
# $T/mode says.
cat >bin/bk-drill.sh <<'EOS'
#!/bin/bash
mode=$(cat "$T/mode")
{ echo "ARGS: $*"; env | grep -E '^(BK_|MONGODB_URI)' | sort; } >>"$T/calls"
echo "stage lines, free-form"
report() {
	mkdir -p "$BK_REPORT_DIR"
	jq -n --arg r "$1" --arg f "$2" --argjson st "$3" '{bk_drill: 1,
	    mode: "drill", result: $r, failure: (if $f == "" then null else $f end),
	    targets: {rto_seconds: 14400, rpo_seconds: 3600},
	    rto_seconds: 12.5, rpo_seconds: 1800,
	    stages: [{kind: "db", stage: "fetch", start: 0, seconds: 1.5, status: 0},
	      {kind: "db", stage: "restore", start: 1.5, seconds: 3.25, status: $st},
	      {kind: "files", stage: "restore", start: 4.75, seconds: 2, status: 0},
	      {kind: "db", stage: "restore", start: 6.75, seconds: 0.25, status: 0}]}' \
	    >"$BK_REPORT_DIR/drill-1.json"
	echo "report: $BK_REPORT_DIR/drill-1.json"
}
case $mode in
pass) report pass "" 0 ;;
fail) report fail "db restore: bk-restore exited 3" 3; exit 1 ;;
liar) report fail "validation: 2 documents differ" 0 ;;
retry) echo "bk-drill.sh: s3://bk/prod/: connection refused" >&2; exit 75 ;;
broken) echo "bk-drill.sh: nothing to restore" >&2; exit 3 ;;
usage) echo "bk-drill.sh: --bogus: unknown option" >&2; exit 2 ;;
esac
EOS
bk-encrypt --genkey -k keyring >/dev/null
printf 'mongodb://127.0.0.1:1/\n' >scratch-uri
chmod 600 scratch-uri
make_alert_recorder
backup_conf bk.conf "file://$T/store/p1 file://$T/store/p2" \
    "BK_DRILL_URI_FILE=$T/scratch-uri" "BK_DRILL_DIR=$T/scratch" \
    "BK_DRILL_RTO=7200" "BK_METRICS_DIR=$T/metrics" "BK_REPORT_DIR=$T/reports"
run=$T/bin/bk-backup.sh

# job MODE STATUS JOB: one run of JOB with the stand-in in MODE, exit STATUS.
job() {
	echo "$1" >mode
	rm -f calls alerts
	expect_exit "$2" env MONGODB_URI=mongodb://secret@x/ bash "$run" -c bk.conf "$3" >out 2>err
}

# A passing drill: its arguments, its environment, the report's numbers.
job pass 0 drill
[ "$(grep '^ARGS:' calls)" = "ARGS: --report-dir $T/reports" ] || fail "drill arguments: $(cat calls)"
for v in "BK_DESTS=file://$T/store/p1 file://$T/store/p2" "BK_KEYRING=$T/keyring" \
    "BK_DRILL_URI_FILE=$T/scratch-uri" "BK_DRILL_DIR=$T/scratch" "BK_DRILL_RTO=7200" \
    "BK_REPORT_DIR=$T/reports" "BK_STATE_DIR=$T/state"; do
	grep -qxF "$v" calls || fail "not exported: $v: $(cat calls)"
done
grep -q '^MONGODB_URI' calls && fail "the stand-in got MONGODB_URI: $(cat calls)"
grep -q '^BK_DRILL_RPO' calls && fail "an unset setting was exported: $(cat calls)"
expect_grep "^report: $T/reports/drill-1.json\$" out
[ ! -e alerts ] || fail "alert on a passing drill: $(cat alerts)"
m=metrics/bk_drill.prom
promtool check metrics <"$m" >lint 2>&1 || fail "$m: $(cat lint)"
for l in 'bk_drill_result 1' 'bk_drill_rto_seconds 12.5' 'bk_drill_rpo_seconds 1800' \
    'bk_drill_rto_target_seconds 14400' 'bk_drill_rpo_target_seconds 3600' \
    'bk_drill_stage_seconds{kind="db",stage="fetch"} 1.5' \
    'bk_drill_stage_seconds{kind="db",stage="restore"} 3.5' \
    'bk_drill_stage_seconds{kind="files",stage="restore"} 2'; do
	grep -qxF "$l" "$m" || fail "$m lacks '$l': $(cat "$m")"
done
promtool check metrics <metrics/bk_job_drill.prom >lint 2>&1 || fail "job metrics: $(cat lint)"
expect_grep '^bk_job_exit_status\{job="drill"\} 0$' metrics/bk_job_drill.prom
tail -n 1 state/audit.log | jq -e '.job == "drill" and .op == "drill" and .result == "ok" and
    .exit == 0 and (.detail | test("^pass: RTO 12.5s \\(target 14400s\\), RPO 1800s"))' >/dev/null ||
    fail "audit: $(tail -n 1 state/audit.log)"

# A test-restore from a named region.
echo "BK_DRILL_FROM=file://$T/store/p2" >>bk.conf
job pass 0 test-restore
[ "$(grep '^ARGS:' calls)" = "ARGS: --test-restore --from file://$T/store/p2 --report-dir $T/reports" ] ||
    fail "test-restore arguments: $(cat calls)"
m=metrics/bk_test_restore.prom
promtool check metrics <"$m" >lint 2>&1 || fail "$m: $(cat lint)"
expect_grep '^bk_test_restore_result 1$' "$m"
expect_grep '^bk_test_restore_last_run_timestamp_seconds [0-9]{10}$' "$m"
expect_grep '^bk_job_exit_status\{job="test-restore"\} 0$' metrics/bk_job_test_restore.prom
cat metrics/*.prom >passed.prom

# A failed drill: exit 1, one alert naming the stage that failed.
job fail 1 drill
expect_grep '^bk_drill_result 0$' metrics/bk_drill.prom
promtool check metrics <metrics/bk_drill.prom >lint 2>&1 || fail "failed drill: $(cat lint)"
[ "$(grep -c '^SUBJECT:' alerts)" -eq 1 ] || fail "alerts: $(cat alerts)"
expect_grep '^SUBJECT: bk: drill job failed on ' alerts
expect_grep '^bk-drill.sh db restore: the drill failed: db restore: bk-restore exited 3$' alerts
expect_grep "^report: $T/reports/drill-1.json\$" alerts
tail -n 1 state/audit.log | jq -e '.job == "drill" and .result == "failed" and .exit == 1 and
    .stage == "bk-drill.sh db restore"' >/dev/null || fail "audit: $(tail -n 1 state/audit.log)"
# The last success is kept.
ok=$(awk '/^bk_job_last_success_timestamp_seconds/ { print $2 }' metrics/bk_job_drill.prom)
[ "$ok" -gt 0 ] || fail "the last success was lost: $(cat metrics/bk_job_drill.prom)"

# Exit 0 and a report that says fail is a failure; a failed test-restore.
job liar 1 drill
expect_grep "^bk-drill.sh exited 0, but its report $T/reports/drill-1.json says 'fail'\$" alerts
job fail 1 test-restore
expect_grep '^bk_test_restore_result 0$' metrics/bk_test_restore.prom
expect_grep '^SUBJECT: bk: test-restore job failed on ' alerts

# Retry later, an operational failure, a usage error (the runner's
# arguments were refused: its own failure, 3): no report, result 0.
job retry 75 drill
expect_grep '^bk-drill.sh exited 75: bk-drill.sh: s3://bk/prod/: connection refused$' alerts
expect_grep '^bk_drill_result 0$' metrics/bk_drill.prom
grep -q '^bk_drill_rto_seconds' metrics/bk_drill.prom && fail "an RTO without a report"
job broken 3 test-restore
expect_grep '^bk-drill.sh exited 3: bk-drill.sh: nothing to restore$' alerts
job usage 3 drill
expect_grep '^bk-drill.sh exited 2: bk-drill.sh: --bogus: unknown option$' alerts
for f in metrics/*.prom; do
	promtool check metrics <"$f" >lint 2>&1 || fail "$f: $(cat lint)"
done

# The alert rules ask only for drill and restore test metrics that passing
# runs wrote.
grep -oE 'bk_(drill|test_restore)_[a-z_]+' "$BK_TOP/examples/prometheus-rules.yml" | sort -u >used
[ -s used ] || fail "no drill rules in examples/prometheus-rules.yml"
grep -oE '^bk_[a-z_]+' passed.prom | sort -u >written
comm -23 used written >unknown
[ ! -s unknown ] || fail "the rules ask for metrics the runner does not write: $(cat unknown)"

# No bk-drill.sh beside the runner: a configuration failure.
rm bin/bk-drill.sh
job pass 3 drill
expect_grep "bk-drill.sh: no such file" alerts
exit 0
