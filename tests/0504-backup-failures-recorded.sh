#!/bin/bash
# Every failed run of bk-backup.sh is audited, gets metrics and raises the
# alert, with the status bk-backup(8) documents: a configuration that lacks
# the database URI, the uploads directory, the keyring or the destinations,
# an unknown kind, a bad option, a configuration that breaks the script.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

make_alert_recorder
bk-encrypt --genkey -k keyring >/dev/null
mkdir store uploads
echo hello >uploads/a
printf 'mongodb://127.0.0.1:1/\n' >uri
chmod 600 uri
base() {
	cat <<EOC
BK_STATE_DIR=$T/state
BK_ALERT_CMD="env T=$T $T/alert"
BK_KEYRING=$T/keyring
BK_DESTS="file://$T/store"
EOC
}

n=0
# failed STATUS KIND PATTERN CONF-LINES...: a configuration of base() plus
# CONF-LINES; the run exits STATUS and is recorded with PATTERN as detail.
failed() {
	local want=$1 kind=$2 why=$3 label
	shift 3
	n=$((n + 1))
	{ base; printf '%s\n' "$@"; } >"c$n.conf"
	chmod 600 "c$n.conf"
	rm -rf alerts state
	expect_exit "$want" bash "$backup" -c "c$n.conf" "$kind" 2>"c$n.err"
	check "$want" "$kind" "$why" state "c$n.err"
}

# check STATUS KIND PATTERN STATEDIR ERRFILE
check() {
	local want=$1 kind=$2 why=$3 state=$4 err=$5 label=$2
	expect_grep "$why" "$err"
	# One line of the run's own; a stage that ran added its own before it.
	[ "$(jq -s 'map(select(.tool == "bk-backup.sh")) | length' "$state/audit.log")" -eq 1 ] ||
	    fail "audit: $(cat "$state/audit.log")"
	tail -n 1 "$state/audit.log" | jq -e --arg k "$kind" --argjson x "$want" --arg w "$why" \
	    '.action == "backup" and .kind == $k and .result == "failed" and .exit == $x and
	     (.detail | test($w))' >/dev/null || fail "audit: $(tail -n 1 "$state/audit.log")"
	case $label in db | files | everything) ;; *) label=invalid ;; esac
	expect_grep "^bk_backup_last_exit_status\\{kind=\"$label\"\\} $want\$" "$state/metrics/bk_backup_$label.prom"
	expect_grep "^SUBJECT: bk: ${kind:-\\?} backup failed on " alerts
	expect_grep "$why" alerts
}

# Configuration errors: exit 3.
failed 3 db 'neither BK_MONGODB_URI_FILE nor MONGODB_URI gives a database'
failed 3 db "cannot read BK_MONGODB_URI_FILE $T/nonexistent" "BK_MONGODB_URI_FILE=$T/nonexistent"
failed 3 files 'BK_UPLOADS_DIR is not set'
failed 3 db "BK_KEYRING $T/no-keyring: no such readable file" "BK_MONGODB_URI_FILE=$T/uri" \
    "BK_KEYRING=$T/no-keyring"
failed 3 files 'neither BK_KEYRING nor BK_KMS_KEY_ID is set' "BK_UPLOADS_DIR=$T/uploads" "BK_KEYRING="
failed 3 files 'BK_DESTS is not set' "BK_UPLOADS_DIR=$T/uploads" "BK_DESTS="
failed 3 files 'BK_DESTS: ftp://nas/bk: not an s3:// or file:/// URL' "BK_UPLOADS_DIR=$T/uploads" \
    "BK_DESTS=\"file://$T/store ftp://nas/bk\""
failed 3 files 'BK_MIN_DESTINATIONS=2, but BK_DESTS has 1 destination' \
    "BK_UPLOADS_DIR=$T/uploads" BK_MIN_DESTINATIONS=2
failed 3 files 'BK_MIN_DESTINATIONS=some: want a number' "BK_UPLOADS_DIR=$T/uploads" \
    BK_MIN_DESTINATIONS=some
# A configuration that trips the script (an unset variable under set -u,
# an exit of its own) is a failure like any other.
failed 3 files 'unexpected exit \(status 1\)' 'BK_UPLOADS_DIR=$NO_SUCH_VARIABLE/uploads'
failed 3 files 'unexpected exit \(status 0\)' "BK_UPLOADS_DIR=$T/uploads" 'exit 0'
failed 3 files 'the configuration failed \(status 1\)' "BK_UPLOADS_DIR=$T/uploads" false
# A stage that fails: an uploads directory that is not there.
failed 3 files "bk-dump exited 3: .*$T/no-uploads" "BK_UPLOADS_DIR=$T/no-uploads"
[ -z "$(find store -name '*.manifest.json')" ] || fail "a failed run committed"

# Usage errors: exit 2.  An unknown kind is recorded under the configuration's
# settings; an option the script does not know, under the environment's.
failed 2 everything 'everything: expected db or files' "BK_UPLOADS_DIR=$T/uploads"
rm -rf alerts env-state
BK_STATE_DIR=$T/env-state BK_ALERT_CMD="env T=$T $T/alert" \
    expect_exit 2 bash "$backup" -x -c c1.conf db 2>opt.err
check 2 '' 'illegal option -x' env-state opt.err
expect_grep '^usage: bk-backup.sh \[-c conf\] db\|files$' opt.err
rm -rf alerts env-state
BK_STATE_DIR=$T/env-state BK_ALERT_CMD="env T=$T $T/alert" \
    expect_exit 2 bash "$backup" -c 2>opt2.err
check 2 '' '-c needs an argument' env-state opt2.err

# After all that, a good configuration still backs up.  Backup names have
# one-second resolution and a failed run above may have left its
# uncommitted data object under this second's name (never overwritten):
# start in the next second.
sleep 1
{ base; echo "BK_UPLOADS_DIR=$T/uploads"; } >good.conf
chmod 600 good.conf
bash "$backup" -c good.conf files 2>good.err || fail "backup: $(cat good.err)"
[ "$(find store -name '*.manifest.json' | wc -l)" -eq 1 ] || fail "manifests: $(find store)"
expect_grep '^bk_backup_last_exit_status\{kind="files"\} 0$' state/metrics/bk_backup_files.prom
