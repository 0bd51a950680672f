#!/bin/bash
# bk-backup.sh verify against FerretDB and versitygw, two regions (two
# buckets): a db and a files backup verified everywhere (bk-verify full
# over both prefixes of each kind, a deep sample, the audit log's chain);
# the next run downloads nothing new in full (the state file) but its
# deep sample; a byte flipped in one region's copy (aws s3 cp down and up
# again) is found by the deep sample, alerted once naming the stage and
# the copy, in the metrics against that region only, marked bad in the
# state so that the next run's full pass checks it again and finds it.
. "$BK_TOP/tests/lib.sh"
command -v promtool >/dev/null || fail "promtool not installed: run make deps (Debian's prometheus)"

start_ferretdb "$T/fdb"
s3_buckets bk-us bk-eu
"$PY" "$BK_TOP/tests/seed_mongo.py" seed "$FERRETDB_URI" --small 200 --big-mib 1 >/dev/null
printf '%s\n' "$FERRETDB_URI" >uri
chmod 600 uri
mkdir -p uploads
gen_bytes up 300000 >uploads/a
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
backup_conf bk.conf "s3://bk-us/prod s3://bk-eu/prod" "BK_MONGODB_URI_FILE=$T/uri"
run=$BK_TOP/scripts/bk-backup.sh
bash "$run" -c bk.conf db 2>db.err || fail "db backup: $(cat db.err)"
bash "$run" -c bk.conf files 2>files.err || fail "files backup: $(cat files.err)"
db=$(bk-get --list s3://bk-us/prod/db/ | cut -f 1)
db=${db##*/}

# Everything good: exit 0, no alert, the state of every copy, metrics.
bash "$run" -c bk.conf verify >v1.out 2>v1.err || fail "verify: exit $?: $(cat v1.err v1.out)"
[ ! -e alerts ] || fail "alert on a good verify: $(cat alerts)"
expect_grep '^bk-verify full db: 1 backups, 1 checked whole, 1 ok, 0 bad' v1.out
expect_grep '^bk-verify deep files: 1 backups, 1 checked whole, 1 ok, 0 bad' v1.out
expect_grep 'chain intact, .*every digest matches$' v1.out
[ "$(grep -cP '^s3://bk-(us|eu)/prod/(db|files)/[a-z]+-[0-9TZ]+\.bk\t[0-9a-f]{64}\tfull\t[^\t]+\tok$' state/verify.state)" -eq 4 ] ||
    fail "state: $(cat state/verify.state)"
for f in state/metrics/bk_verify.prom state/metrics/bk_job_verify.prom; do
	promtool check metrics <"$f" >lint 2>&1 || fail "$f: $(cat lint)"
done
m=state/metrics/bk_verify.prom
for l in 'bk_verify_last_result{dest="s3://bk-us/prod"} 0' 'bk_verify_last_result{dest="s3://bk-eu/prod"} 0' \
    'bk_verify_backups_checked{kind="db"} 1' 'bk_verify_failed{kind="db"} 0' 'bk_verify_failed{kind="files"} 0'; do
	grep -qxF "$l" "$m" || fail "$m lacks '$l': $(cat "$m")"
done
tail -n 1 state/audit.log | jq -e '.job == "verify" and .op == "verify" and .exit == 0 and
    .destinations == ["s3://bk-us/prod", "s3://bk-eu/prod"]' >/dev/null ||
    fail "audit: $(tail -n 1 state/audit.log)"

# The alert rules ask only for verify and job metrics written here.
grep -oE 'bk_(verify|job)_[a-z_]+' "$BK_TOP/examples/prometheus-rules.yml" | sort -u >used
[ -s used ] || fail "no verify rules in examples/prometheus-rules.yml"
cat state/metrics/*.prom | grep -oE '^bk_[a-z_]+' | sort -u >written
comm -23 used written >unknown
[ ! -s unknown ] || fail "the rules ask for metrics the runner does not write: $(cat unknown)"

# The next run: the full pass downloads nothing it verified before.
bash "$run" -c bk.conf verify >v2.out 2>v2.err || fail "second verify: $(cat v2.err)"
expect_grep '^bk-verify full db: 1 backups, 0 checked whole, 1 ok' v2.out
expect_grep '^bk-verify deep db: 1 backups, 1 checked whole, 1 ok' v2.out

# Rot in one region: one byte of the eu copy flipped in place.
aws s3 cp --quiet "s3://bk-eu/prod/db/$db" obj
"$PY" -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[len(b) // 2] ^= 1; open(sys.argv[1], "wb").write(b)' obj
aws s3 cp --quiet obj "s3://bk-eu/prod/db/$db"
expect_exit 1 bash "$run" -c bk.conf verify >v3.out 2>v3.err
[ "$(grep -c '^SUBJECT:' alerts)" -eq 1 ] || fail "alerts: $(cat alerts)"
expect_grep '^SUBJECT: bk: verify job failed on ' alerts
expect_grep "^bk-verify deep db exited 1: $db bad: s3://bk-eu/prod/db/$db: " alerts
grep -q 'bk-verify full' alerts && fail "the full pass found it though it was not due: $(cat alerts)"
expect_grep '^bk-backup: verify job: failed: bk-verify deep db exited 1' v3.err
tail -n 1 state/audit.log | jq -e '.job == "verify" and .exit == 1 and .stage == "bk-verify deep db"' >/dev/null ||
    fail "audit: $(tail -n 1 state/audit.log)"
promtool check metrics <"$m" >lint 2>&1 || fail "$m after a finding: $(cat lint)"
for l in 'bk_verify_last_result{dest="s3://bk-us/prod"} 0' 'bk_verify_last_result{dest="s3://bk-eu/prod"} 1' \
    'bk_verify_failed{kind="db"} 1' 'bk_verify_failed{kind="files"} 0'; do
	grep -qxF "$l" "$m" || fail "$m lacks '$l': $(cat "$m")"
done
expect_grep '^bk_job_exit_status\{job="verify"\} 1$' state/metrics/bk_job_verify.prom
grep -qP "^s3://bk-eu/prod/db/$db\t.*\tbad\$" state/verify.state || fail "not bad in the state: $(cat state/verify.state)"

# The next run's full pass checks it again, and finds the checksum wrong.
rm alerts
echo 'BK_VERIFY_DEEP_SAMPLE=0' >>bk.conf
expect_exit 1 bash "$run" -c bk.conf verify >v4.out 2>v4.err
[ "$(grep -c '^SUBJECT:' alerts)" -eq 1 ] || fail "alerts: $(cat alerts)"
expect_grep "^bk-verify full db exited 1: $db bad: s3://bk-eu/prod/db/$db: checksum mismatch" alerts
grep -q 'bk-verify deep' v4.out && fail "a deep pass with BK_VERIFY_DEEP_SAMPLE=0: $(cat v4.out)"

# The audit log's tail cut off: the digest stored with the newest backup
# anchors a line that is gone.
head -n 3 state/audit.log >log.cut
mv log.cut state/audit.log
rm alerts
expect_exit 1 bash "$run" -c bk.conf verify >v5.out 2>v5.err
expect_grep '; bk-verify --audit exited 1: .*/state/audit.log line [0-9]+: does not match the digest ' alerts
exit 0
