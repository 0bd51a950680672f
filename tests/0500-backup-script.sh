#!/bin/bash
# scripts/bk-backup.sh, the cron job: a database and an uploads backup to an
# S3 bucket and a local directory at once, committed only when every stage
# succeeded; failures leave no manifest anywhere, raise the alert, and are
# recorded in the audit log and the metrics.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

start_ferretdb "$T/fdb"
s3_buckets bk-prod
"$PY" -c 'import sys; from pymongo import MongoClient
db = MongoClient(sys.argv[1]).shop
db.orders.insert_many([{"n": i, "item": "x" * (i % 50)} for i in range(3000)])
db.customers.insert_many([{"_id": i} for i in range(40)])' "$FERRETDB_URI"
mkdir -p uploads/a nas
for i in 1 2 3; do gen_bytes "u$i" $((i * 70000)) >"uploads/a/f$i"; done

bk-encrypt --genkey -k keyring >keyid
printf '%s?serverSelectionTimeoutMS=3000\n' "$FERRETDB_URI" >uri
chmod 600 uri
make_alert_recorder
backup_conf bk.conf "s3://bk-prod/prod file://$T/nas" "BK_MONGODB_URI_FILE=$T/uri"

# Success: both destinations hold a committed backup with its manifest.
bash "$backup" -c bk.conf db 2>db.err || fail "db backup: $(cat db.err)"
bash "$backup" -c bk.conf files 2>files.err || fail "files backup: $(cat files.err)"
[ ! -e alerts ] || fail "alert on success: $(cat alerts)"
bk-get --list --json s3://bk-prod/prod/db/ >s3.list
bk-get --list --json "file://$T/nas/db/" >nas.list
[ "$(jq -s 'map(select(.committed)) | length' s3.list)" -eq 1 ] || fail "s3 listing: $(cat s3.list)"
[ "$(jq -r .sha256 s3.list)" = "$(jq -r .sha256 nas.list)" ] || fail "destinations differ"
name=$(jq -r .name nas.list)
case $name in db-20[0-9][0-9][01][0-9][0-3][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z.bk) ;; *) fail "name $name" ;; esac
m=nas/db/$name.manifest.json
jq -e --arg k "$(cat keyid)" '.kind == "db" and .key_id == $k and .compression == "zstd"
    and .counts["shop.orders"].documents == 3000 and .counts["shop.customers"].documents == 40
    and (.source | test("^mongodb://127\\.0\\.0\\.1:[0-9]+/$"))' "$m" >/dev/null ||
	fail "manifest: $(cat "$m")"
(cd nas/db && sha256sum -c "$name.sha256" >/dev/null) || fail "sidecar does not check with sha256sum"
# Backups lie directly under a prefix, in S3 as in a directory: what is
# deeper (the kinds under the destination, the audit digests in
# PREFIX/audit/) is not listed as a backup of the destination itself.
aws s3 ls --recursive s3://bk-prod/prod/audit/ >digests.ls
grep -q '\.digest$' digests.ls || fail "no audit digest stored in S3: $(cat digests.ls)"
bk-get --list --all --json s3://bk-prod/prod/ >s3.root
[ ! -s s3.root ] || fail "the destination's root lists deeper keys: $(cat s3.root)"
bk-get --list --all --json s3://bk-prod/prod/db/ >s3.all
[ "$(jq -s 'length' s3.all)" -eq 1 ] || fail "S3 listing with --all: $(cat s3.all)"

# The stored backup restores and validates.
bk-get "s3://bk-prod/prod/db/$name" | bk-hash -c "nas/db/$name.sha256" -n "$name" |
	bk-encrypt -d -k keyring |
	bk-restore --uri "$FERRETDB_URI" --ns-from 'shop.*' --ns-to 'copy.*' --validate >v.out ||
	fail "restore: $(cat v.out)"
expect_grep 'copy.orders +3000 +3000 +equal +ok' v.out
f=$(bk-get --list --json "file://$T/nas/files/" | jq -r .name)
bk-get "file://$T/nas/files/$f" | bk-encrypt -d -k keyring | bk-restore --files back >/dev/null
diff -r uploads back || fail "uploads differ after restore"

jq -se 'map(select(.kind == "db")) | .[0] | .result == "committed" and .exit == 0' state/audit.log >/dev/null ||
	fail "audit: $(cat state/audit.log)"
expect_grep '^bk_backup_last_exit_status\{kind="db"\} 0$' state/metrics/bk_backup_db.prom
ok_time=$(awk '/^bk_backup_last_success/ { print $2 }' state/metrics/bk_backup_db.prom)

# Failure: the database is down.  Exit 75 (retry), no manifest anywhere,
# the alert fires, the audit log and the metrics say so.
kill "$FERRETDB_PID"
wait "$FERRETDB_PID" 2>/dev/null || true
sleep 1
expect_exit 75 bash "$backup" -c bk.conf db 2>fail.err
expect_grep 'bk-dump exited 75' fail.err
[ "$(bk-get --list --json --all "file://$T/nas/db/" | jq -s 'map(select(.committed)) | length')" -eq 1 ] ||
	fail "a failed run committed something"
[ "$(find nas/db -name "*.manifest.json" | wc -l)" -eq 1 ] || fail "manifests: $(ls nas/db)"
expect_grep '^SUBJECT: bk: db backup failed on ' alerts
expect_grep 'bk-dump exited 75' alerts
jq -se 'map(select(.result == "failed")) | .[0].exit == 75' state/audit.log >/dev/null || fail "audit of the failure"
expect_grep '^bk_backup_last_exit_status\{kind="db"\} 75$' state/metrics/bk_backup_db.prom
expect_grep "^bk_backup_last_success_timestamp_seconds\{kind=\"db\"\} $ok_time\$" state/metrics/bk_backup_db.prom

# A password in the connection string never reaches a message, the audit
# log, the metrics or an alert (the server is down by now; the failure
# message still names the connection string).
cp uri uri.good
printf 'mongodb://backup:s3cretPW@127.0.0.1:%s/?serverSelectionTimeoutMS=3000\n' "$FERRETDB_PORT" >uri
rm -f alerts
expect_exit 75 bash "$backup" -c bk.conf db 2>pw.err
expect_grep 'backup:\*\*\*@' pw.err
if grep -rl s3cretPW pw.err alerts state; then fail "the password leaked"; fi
mv uri.good uri

# Failure at the store: bad credentials, and a configuration that wants
# every destination.  The local copy of the data may be there, but it is
# never committed: the listing flags it as incomplete.
rm -f alerts
{ cat bk.conf; echo BK_MIN_DESTINATIONS=all; } >bk-all.conf
chmod 600 bk-all.conf
AWS_SECRET_ACCESS_KEY=wrong expect_exit 3 bash "$backup" -c bk-all.conf files 2>fail2.err
expect_grep 'bk-put exited 3: 1 of 2 destination\(s\) stored the backup, fewer than BK_MIN_DESTINATIONS=2; nothing was committed' fail2.err
[ "$(bk-get --list --json "file://$T/nas/files/" | jq -s 'map(select(.committed)) | length')" -eq 1 ] ||
	fail "files: a failed run committed something"
expect_grep 'files backup failed' alerts

# A directory store that is not there (an unmounted NAS) fails the run and
# names bk-put, not the stages that then hit a broken pipe.
rm -f alerts
sed "s#file://$T/nas#file://$T/unmounted/nas#" bk-all.conf >bk2.conf
chmod 600 bk2.conf
expect_exit 3 bash "$backup" -c bk2.conf db 2>fail3.err
expect_grep 'bk-put exited 3: .*is the store mounted' fail3.err
[ "$(bk-get --list --json s3://bk-prod/prod/db/ | jq -s 'map(select(.committed)) | length')" -eq 1 ] ||
	fail "a run short of BK_MIN_DESTINATIONS committed something"
[ ! -e unmounted ] || fail "created directories for an unmounted store"

# A configuration that others can write is refused before anything runs.
chmod 620 bk.conf
expect_exit 3 bash "$backup" -c bk.conf db 2>perm.err
expect_grep 'writable by group or other' perm.err
chmod 600 bk.conf
expect_exit 2 bash "$backup" -c bk.conf everything 2>/dev/null
