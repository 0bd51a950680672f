#!/bin/bash
# The test-restore and drill jobs with the real scripts/bk-drill.sh
# (bk-drill(8)), against FerretDB and versitygw: a restore test into
# temporary databases of the production server that leaves nothing
# behind, and a drill into a second, empty FerretDB; each exits 0, is
# audited, and its report's numbers are in metrics that pass promtool
# check metrics.  A drill into the production server (its databases are
# there) is refused by bk-drill.sh and fails the job with one alert.
. "$BK_TOP/tests/lib.sh"
command -v promtool >/dev/null || fail "promtool not installed: run make deps (Debian's prometheus)"
run=$BK_TOP/scripts/bk-backup.sh
[ -f "$BK_TOP/scripts/bk-drill.sh" ] || fail "scripts/bk-drill.sh is missing"

start_ferretdb "$T/src"
src=$FERRETDB_URI
start_ferretdb "$T/dst"
dst=$FERRETDB_URI
s3_buckets bk-us
"$PY" -c 'import sys; from pymongo import MongoClient
MongoClient(sys.argv[1]).shop.orders.insert_many([{"n": i} for i in range(500)])' "$src"
mkdir -p uploads scratch
gen_bytes u1 70000 >uploads/a
bk-encrypt --genkey -k keyring >/dev/null
printf '%s\n' "$src" >uri && chmod 600 uri
printf '%s\n' "$dst" >dst.uri && chmod 600 dst.uri
make_alert_recorder
backup_conf bk.conf "s3://bk-us/prod" "BK_MONGODB_URI_FILE=$T/uri" \
    "BK_DRILL_URI_FILE=$T/uri" "BK_DRILL_DIR=$T/scratch" "BK_DRILL_RPO=86400"
bash "$run" -c bk.conf db 2>db.err || fail "db backup: $(cat db.err)"
bash "$run" -c bk.conf files 2>files.err || fail "files backup: $(cat files.err)"
dbs() {
	"$PY" -c 'import sys; from pymongo import MongoClient
print(" ".join(sorted(MongoClient(sys.argv[1]).list_database_names())))' "$1"
}
before=$(dbs "$src")

# The restore test: into bk_test_ databases of production, then gone.
bash "$run" -c bk.conf test-restore >tr.out 2>tr.err || fail "test-restore: exit $?: $(cat tr.err tr.out)"
[ ! -e alerts ] || fail "alert on a passing restore test: $(cat alerts)"
[ "$(dbs "$src")" = "$before" ] || fail "databases after the restore test: $(dbs "$src")"
[ -z "$(ls -A scratch)" ] || fail "scratch left: $(ls -A scratch)"
r=$(tail -n 1 tr.out)
jq -e '.mode == "test-restore" and .result == "pass"' "${r#report: }" >/dev/null || fail "report: $r"
m=state/metrics/bk_test_restore.prom
promtool check metrics <"$m" >lint 2>&1 || fail "$m: $(cat lint)"
expect_grep '^bk_test_restore_result 1$' "$m"
tail -n 1 state/audit.log | jq -e '.job == "test-restore" and .exit == 0 and .result == "ok"' >/dev/null ||
    fail "audit: $(tail -n 1 state/audit.log)"

# The drill refused by bk-drill.sh: production is not a fresh target.
expect_exit 3 bash "$run" -c bk.conf drill >d1.out 2>d1.err
[ "$(grep -c '^SUBJECT:' alerts)" -eq 1 ] || fail "alerts: $(cat alerts)"
expect_grep '^bk-drill.sh db restore exited 3: ' alerts
expect_grep '^bk_drill_result 0$' state/metrics/bk_drill.prom
[ "$(dbs "$src")" = "$before" ] || fail "production changed by a refused drill: $(dbs "$src")"

# The drill into the second server: RTO, RPO and stages in the metrics.
echo "BK_DRILL_URI_FILE=$T/dst.uri" >>bk.conf
bash "$run" -c bk.conf drill >d2.out 2>d2.err || fail "drill: exit $?: $(cat d2.err d2.out)"
r=$(tail -n 1 d2.out)
jq -e '.mode == "drill" and .result == "pass" and .rto_seconds > 0' "${r#report: }" >/dev/null ||
    fail "report: $r"
m=state/metrics/bk_drill.prom
promtool check metrics <"$m" >lint 2>&1 || fail "$m: $(cat lint)"
expect_grep '^bk_drill_result 1$' "$m"
expect_grep '^bk_drill_rto_seconds [0-9.]+$' "$m"
expect_grep '^bk_drill_rpo_seconds [0-9.]+$' "$m"
expect_grep '^bk_drill_rpo_target_seconds 86400$' "$m"
expect_grep '^bk_drill_stage_seconds\{kind="db",stage="restore"\} [0-9.]+$' "$m"
expect_grep '^bk_drill_stage_seconds\{kind="files",stage="validate"\} [0-9.]+$' "$m"
tail -n 1 state/audit.log | jq -e '.job == "drill" and .exit == 0 and (.detail | test("^pass: RTO "))' >/dev/null ||
    fail "audit: $(tail -n 1 state/audit.log)"
exit 0
