#!/bin/bash
# The metrics bk writes for node_exporter's textfile collector pass
# promtool check metrics, after a committed run and after a failed one; the
# alert rules of examples/prometheus-rules.yml pass promtool check rules and
# their unit tests (tests/promtool/bk-rules-test.yml: each alert fires on
# the series that should raise it, with its exact summary, and stays quiet
# on healthy ones); the Grafana dashboard of examples/ asks only for
# metrics bk writes, and PromQL that promtool parses.
. "$BK_TOP/tests/lib.sh"
command -v promtool >/dev/null || fail "promtool not installed: run make deps (Debian's prometheus)"

start_ferretdb "$T/fdb"
"$PY" "$BK_TOP/tests/seed_mongo.py" seed "$FERRETDB_URI" --small 100 --big-mib 1 >/dev/null
printf '%s\n' "$FERRETDB_URI" >uri
printf 'mongodb://127.0.0.1:%s/?serverSelectionTimeoutMS=500\n' "$(free_port)" >uri-down
mkdir -p uploads store metrics
echo one >uploads/a
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
backup_conf ok.conf "file://$T/store" "BK_MONGODB_URI_FILE=$T/uri" \
    "BK_METRICS_DIR=$T/metrics"
backup_conf down.conf "file://$T/store" "BK_MONGODB_URI_FILE=$T/uri-down" \
    "BK_METRICS_DIR=$T/metrics"
bash "$BK_TOP/scripts/bk-backup.sh" -c ok.conf db 2>err || fail "db backup: $(cat err)"
bash "$BK_TOP/scripts/bk-backup.sh" -c ok.conf files 2>err || fail "files backup: $(cat err)"
# The verify job: its metrics and the jobs' (the dashboard shows them).
bash "$BK_TOP/scripts/bk-backup.sh" -c ok.conf verify >verify.out 2>err || fail "verify job: $(cat err)"
for f in metrics/*.prom; do
	promtool check metrics <"$f" >lint 2>&1 || fail "$f: $(cat lint)"
done
grep -q '^bk_backup_last_exit_status{kind="db"} 0$' metrics/bk_backup_db.prom ||
    fail "db metrics: $(cat metrics/bk_backup_db.prom)"
ok_time=$(awk '/^bk_backup_last_success_timestamp_seconds/ { print $2 }' metrics/bk_backup_db.prom)
expect_exit 75 bash "$BK_TOP/scripts/bk-backup.sh" -c down.conf db 2>err
promtool check metrics <metrics/bk_backup_db.prom >lint 2>&1 || fail "after a failure: $(cat lint)"
grep -q '^bk_backup_last_exit_status{kind="db"} 75$' metrics/bk_backup_db.prom ||
    fail "the failure is not in the metrics: $(cat metrics/bk_backup_db.prom)"
# A failed run keeps the time of the last success: the age alert needs it.
grep -q "^bk_backup_last_success_timestamp_seconds{kind=\"db\"} $ok_time\$" metrics/bk_backup_db.prom ||
    fail "the last success time was lost by a failed run"

promtool check rules "$BK_TOP/examples/prometheus-rules.yml" >rules.out 2>&1 ||
    fail "promtool check rules: $(cat rules.out)"
(cd "$BK_TOP/tests/promtool" && promtool test rules bk-rules-test.yml) >rtest.out 2>&1 ||
    fail "promtool test rules: $(tail -n 20 rtest.out)"
grep -q SUCCESS rtest.out || fail "promtool test rules: $(cat rtest.out)"

# The dashboard: valid JSON, every query parses (as the expression of a
# rule) and names only metrics bk writes.
d=$BK_TOP/examples/grafana-dashboard.json
jq -e '.panels | length > 0' "$d" >/dev/null || fail "dashboard: no panels"
jq -r '.panels[].targets[].expr' "$d" >exprs
{
	echo "groups: [{name: dash, rules: ["
	while IFS= read -r e; do
		printf '{record: "dash:q", expr: %s},\n' "$(jq -Rn --arg e "$e" '$e')"
	done <exprs
	echo "]}]"
} >dash-rules.yml
promtool check rules dash-rules.yml >dash.out 2>&1 || fail "dashboard PromQL: $(cat dash.out)"
grep -oE 'bk_[a-z_]+' exprs | sort -u >used
cat metrics/*.prom | grep -oE '^bk_[a-z_]+' | sort -u >written
comm -23 used written >unknown
[ ! -s unknown ] || fail "the dashboard asks for metrics bk does not write: $(cat unknown)"
exit 0
