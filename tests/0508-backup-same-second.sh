#!/bin/bash
# Backup names have one-second resolution, yet runs of one kind that follow
# each other within a second each get their own name and all commit: a
# run named in the same second as the last waits for the next one
# (bk-backup(8)).  Before that, the second run of a second failed with
# "already exists" (nothing was lost, but the backup was not made).
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

mkdir store uploads
echo hello >uploads/a
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
backup_conf b.conf "file://$T/store"

# Start just after a second begins, so that without the rule several of
# these quick runs would share a name.
s=$(date +%s)
while [ "$(date +%s)" -eq "$s" ]; do sleep 0.01; done
for i in 1 2 3 4; do
	bash "$backup" -c b.conf files 2>"run$i.err" || fail "run $i: $(cat "run$i.err")"
done
[ "$(find store -name '*.manifest.json' | wc -l)" -eq 4 ] ||
    fail "want 4 committed backups: $(find store -type f | sort)"
find store -name 'files-*.bk' | sort >names
[ "$(sort -u names | wc -l)" -eq 4 ] || fail "names: $(cat names)"
[ ! -s alerts ] || fail "alerts: $(cat alerts)"
# The names are in the order the runs were made.
bk-get --list "file://$T/store/files/" >list || fail "list"
[ "$(grep -c 'files-' list)" -eq 4 ] || fail "list: $(cat list)"
