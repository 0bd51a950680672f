#!/bin/bash
# bk-backup.sh prune against versitygw, two regions: bk-prune --apply at
# each destination by the policy of the configuration (BK_KEEP_DB in
# bk-prune's own options), bounded by what the verify job found good (a
# region whose two newest copies are damaged keeps the newest good one
# too); no verify state yet is a refusal; a plan that removes too much
# (--max-remove) is refused, nothing removed, one alert naming the stage.
# Backups are fixtures with old timestamps, as in 0803.
. "$BK_TOP/tests/lib.sh"

s3_buckets bk-us bk-eu
mkdir -p fx/db fx/files
# fixture KIND NAME CREATED
fixture() {
	local f=fx/$1/$2 sum
	printf 'backup %s\n' "$2" >"$f"
	sum=$(sha256sum "$f" | cut -d ' ' -f 1)
	printf '%s  %s\n' "$sum" "$2" >"$f.sha256"
	printf '{"name":"%s","kind":"%s","created":"%s","size":%d,"sha256":"%s"}\n' \
	    "$2" "$1" "$3" "$(stat -c %s "$f")" "$sum" >"$f.manifest.json"
}
for d in 21 22 23 24 25 26 27; do
	fixture db "db-202611${d}T120000Z.bk" "2026-11-${d}T12:00:00Z"
done
for d in 01 08 15 22; do
	fixture files "files-202611${d}T020000Z.bk" "2026-11-${d}T02:00:00Z"
done
for b in bk-us bk-eu; do
	aws s3 cp --recursive --quiet fx "s3://$b/prod/"
done
# The two newest db backups rot in the us region (the same size).
for d in 26 27; do
	sed 's/backup/BACKUP/' "fx/db/db-202611${d}T120000Z.bk" >rot
	aws s3 cp --quiet rot "s3://bk-us/prod/db/db-202611${d}T120000Z.bk"
done
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
backup_conf bk.conf "s3://bk-us/prod s3://bk-eu/prod" "BK_KINDS=db" \
    'BK_KEEP_DB="--keep-daily 2"' "BK_PRUNE_MAX_REMOVE=80" \
    "BK_VERIFY_MAX_AGE=" "BK_VERIFY_DEEP_SAMPLE=0"
run=$BK_TOP/scripts/bk-backup.sh
names() { bk-get --list "$1" | cut -f 1 | sed 's,.*/,,; s/T120000Z.bk//; s/^db-202611//' | tr '\n' ' '; }

# Nothing verified yet: no prune.
expect_exit 3 bash "$run" -c bk.conf prune >p0.out 2>p0.err
expect_grep 'verify.state: no such file: the verify job has not run yet' p0.err
[ "$(names s3://bk-us/prod/db/)" = "21 22 23 24 25 26 27 " ] || fail "removed before verify"

expect_exit 1 bash "$run" -c bk.conf verify >v.out 2>v.err
rm alerts
bash "$run" -c bk.conf prune >p1.out 2>p1.err || fail "prune: exit $?: $(cat p1.err)"
[ ! -e alerts ] || fail "alert on a prune: $(cat alerts)"
[ "$(names s3://bk-us/prod/db/)" = "25 26 27 " ] || fail "us: $(names s3://bk-us/prod/db/): $(cat p1.out)"
[ "$(names s3://bk-eu/prod/db/)" = "26 27 " ] || fail "eu: $(names s3://bk-eu/prod/db/): $(cat p1.out)"
expect_grep '^s3://bk-us/prod/db/: keep 3, removed 4$' p1.out
tail -n 1 state/audit.log | jq -e '.job == "prune" and .exit == 0 and .result == "ok"' >/dev/null ||
    fail "audit: $(tail -n 1 state/audit.log)"
expect_grep '^bk_job_exit_status\{job="prune"\} 0$' state/metrics/bk_job_prune.prom

# The files: keep the last one only would remove 3 of 4 (75% > 50%).
backup_conf files.conf "s3://bk-us/prod s3://bk-eu/prod" "BK_KINDS=files" \
    'BK_KEEP_FILES="--keep-last 1"' "BK_VERIFY_MAX_AGE=" "BK_VERIFY_DEEP_SAMPLE=0"
bash "$run" -c files.conf verify >fv.out 2>fv.err || fail "verify files: $(cat fv.err)"
expect_exit 1 bash "$run" -c files.conf prune >p2.out 2>p2.err
[ "$(names s3://bk-us/prod/files/ | wc -w)" -eq 4 ] || fail "refused, yet removed: $(cat p2.out)"
[ "$(names s3://bk-eu/prod/files/ | wc -w)" -eq 4 ] || fail "refused, yet removed: $(cat p2.out)"
[ "$(grep -c '^SUBJECT:' alerts)" -eq 1 ] || fail "alerts: $(cat alerts)"
expect_grep '^SUBJECT: bk: prune job failed on ' alerts
expect_grep '^bk-prune s3://bk-us/prod/files/ exited 1: bk-prune: kind files under s3://bk-us/prod/files/: the plan removes 3 of 4 backups, more than --max-remove 50%; refused' alerts
tail -n 1 state/audit.log | jq -e '.job == "prune" and .exit == 1 and
    .stage == "bk-prune s3://bk-us/prod/files/"' >/dev/null || fail "audit: $(tail -n 1 state/audit.log)"
# A policy bk-prune refuses is the configuration's failure.
echo 'BK_KEEP_FILES="--keep-sometimes 3"' >>files.conf
expect_exit 3 bash "$run" -c files.conf prune >p3.out 2>p3.err
expect_grep 'bk-prune s3://bk-us/prod/files/ exited 2: ' p3.err
exit 0
