#!/bin/bash
# One dead destination of three (a bucket that is gone) does not leave the
# two good copies uncommitted: bk-backup.sh commits wherever the whole
# stream landed, exits 4 and alerts "degraded: 2 of 3 destinations".  Below
# BK_MIN_DESTINATIONS the run fails (exit 3) and commits nothing.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-good >/dev/null
mkdir -p uploads/d nas
for i in 1 2 3; do gen_bytes "d$i" $((i * 300000)) >"uploads/d/f$i"; done
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
# mkconf FILE PREFIX [LINES...]: three destinations under PREFIX, the
# middle one a bucket that does not exist.
mkconf() {
	local f=$1 p=$2
	shift 2
	{
		echo "BK_UPLOADS_DIR=$T/uploads"
		echo "BK_KEYRING=$T/keyring"
		echo "BK_DESTS=\"s3://bk-good/$p s3://bk-gone/$p file://$T/nas/$p\""
		echo "BK_STATE_DIR=$T/state"
		echo "BK_ALERT_CMD=\"env T=$T $T/alert\""
		printf '%s\n' "$@"
	} >"$f"
	chmod 600 "$f"
	mkdir -p "nas/$p"
}
committed() {
	bk-get --list --json --all "$1" | jq -s 'map(select(.committed)) | length'
}

# The default minimum is one destination: commit at the two good ones.
mkconf bk.conf one
expect_exit 4 bash "$backup" -c bk.conf files 2>deg.err
expect_grep '^bk-backup: files backup files-[0-9TZ]+\.bk: committed-degraded: degraded: 2 of 3 destinations: s3://bk-gone/one/files/files-[0-9TZ]+\.bk: HTTP 404 NoSuchBucket' deg.err
[ "$(committed s3://bk-good/one/files/)" -eq 1 ] || fail "s3 copy not committed"
[ "$(committed "file://$T/nas/one/files/")" -eq 1 ] || fail "nas copy not committed"
name=$(bk-get --list --json "file://$T/nas/one/files/" | jq -r .name)
bk-get --list --json s3://bk-good/one/files/ | jq -e --arg n "$name" '.name == $n' >/dev/null ||
	fail "the two copies differ"
# The committed copy restores to the directory.
bk-get "s3://bk-good/one/files/$name" | bk-hash -c "nas/one/files/$name.sha256" -n "$name" |
	bk-encrypt -d -k keyring | bk-restore --files back >/dev/null
diff -r uploads back || fail "restore of the degraded backup differs"
# Recorded as degraded: alert, audit, metrics (a success for staleness).
expect_grep '^SUBJECT: bk: files backup committed-degraded on ' alerts
expect_grep '^degraded: 2 of 3 destinations: s3://bk-gone/one/files/' alerts
jq -se 'last | .result == "committed-degraded" and .exit == 4 and
    (.committed_destinations | length == 2) and (.destinations | length == 3)' state/audit.log >/dev/null ||
	fail "audit: $(tail -n 1 state/audit.log)"
m=state/metrics/bk_backup_files.prom
expect_grep '^bk_backup_last_exit_status\{kind="files"\} 4$' $m
expect_grep '^bk_backup_last_destinations_committed\{kind="files"\} 2$' $m
[ "$(awk '/^bk_backup_last_success/ { print $2 }' $m)" -gt 0 ] || fail "metrics: $(cat $m)"

# With BK_MIN_DESTINATIONS=3 two copies are not enough: exit 3, nothing is
# committed anywhere, the alert says why.
rm -f alerts
mkconf bk3.conf three BK_MIN_DESTINATIONS=3
expect_exit 3 bash "$backup" -c bk3.conf files 2>min.err
expect_grep 'failed: bk-put exited 3: 2 of 3 destination\(s\) stored the backup, fewer than BK_MIN_DESTINATIONS=3; nothing was committed: s3://bk-gone/three/files/.*NoSuchBucket' min.err
[ "$(committed s3://bk-good/three/files/)" -eq 0 ] || fail "committed below the minimum (s3)"
[ "$(committed "file://$T/nas/three/files/")" -eq 0 ] || fail "committed below the minimum (nas)"
expect_grep '^SUBJECT: bk: files backup failed on ' alerts
expect_grep '^bk_backup_last_exit_status\{kind="files"\} 3$' $m
jq -se 'last | .result == "failed" and .exit == 3 and (.committed_destinations | length == 0)' \
    state/audit.log >/dev/null || fail "audit: $(tail -n 1 state/audit.log)"

# BK_MIN_DESTINATIONS=2 is met by two good copies: degraded, committed.
mkconf bk2.conf two BK_MIN_DESTINATIONS=2
expect_exit 4 bash "$backup" -c bk2.conf files 2>two.err
[ "$(committed s3://bk-good/two/files/)" -eq 1 ] || fail "s3 copy not committed (minimum 2)"
