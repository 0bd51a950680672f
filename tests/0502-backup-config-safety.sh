#!/bin/bash
# bk-backup.sh runs its configuration as shell code, often as root: it
# refuses a file that someone else could have written (another owner,
# group or other write permission, a directory on the way that others can
# write, a symbolic link that leads to any of these), never sources it,
# and records the refusal (exit 3) in the audit log, the metrics and an
# alert, all taken from the environment since the file is not trusted.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

make_alert_recorder
export BK_STATE_DIR=$T/state BK_ALERT_CMD="env T=$T $T/alert"

# A configuration that leaves a mark when it is sourced, and then fails
# for want of BK_DESTS (so no backup is needed to tell it was read).
mkconf() {
	mkdir -p "$(dirname "$1")"
	printf 'touch %q\nBK_STATE_DIR=%q\n' "$T/sourced" "$T/conf-state" >"$1"
	chmod 600 "$1"
}

n=0
# refused CONF PATTERN: exit 3, the reason on stderr, not sourced, and
# recorded where the environment says.
refused() {
	local conf=$1 why=$2
	n=$((n + 1))
	rm -f sourced alerts
	expect_exit 3 bash "$backup" -c "$conf" db 2>"refused$n.err"
	expect_grep "^bk-backup: db backup: failed: .*refused: .*$why" "refused$n.err"
	[ "$(wc -l <"refused$n.err")" -eq 1 ] || fail "more than one line: $(cat "refused$n.err")"
	[ ! -e sourced ] || fail "$conf was sourced although it is refused"
	[ ! -e conf-state ] || fail "recorded where the refused file says"
	[ "$(tail -n 1 state/audit.log | jq -r '[.result, .exit, .kind] | join(" ")')" = "failed 3 db" ] ||
		fail "audit: $(tail -n 1 state/audit.log)"
	tail -n 1 state/audit.log | jq -e --arg w "$why" '.detail | test($w)' >/dev/null ||
		fail "audit detail: $(tail -n 1 state/audit.log)"
	expect_grep '^bk_backup_last_exit_status\{kind="db"\} 3$' state/metrics/bk_backup_db.prom
	expect_grep '^SUBJECT: bk: db backup failed on ' alerts
	expect_grep "refused: .*$why" alerts
}

# accepted CONF: sourced (it then fails for want of BK_DESTS).
accepted() {
	rm -f sourced
	expect_exit 3 bash "$backup" -c "$1" db 2>accepted.err
	[ -e sourced ] || fail "$1 was not sourced: $(cat accepted.err)"
	expect_grep 'BK_DESTS is not set' accepted.err
	rm -rf conf-state
}

mkdir -m 700 safe
mkconf safe/bk.conf
accepted "$T/safe/bk.conf"
accepted safe/bk.conf

# Another owner, who can rewrite it.
cp safe/bk.conf safe/other.conf
chown nobody safe/other.conf
refused safe/other.conf 'other.conf: owned by uid [0-9]+, neither root nor uid'

# Writable by the group, or by anyone.
cp safe/bk.conf safe/g.conf
chmod g+w safe/g.conf
refused safe/g.conf 'g.conf: writable by group or other \(mode 620\)'
cp safe/bk.conf safe/o.conf
chmod 602 safe/o.conf
refused safe/o.conf 'o.conf: writable by group or other \(mode 602\)'

# In a directory anyone can write (they can replace the file), or below one.
mkdir -m 777 open open/deeper
mkconf open/bk.conf
refused open/bk.conf '/open: writable by group or other \(mode 777\)'
mkconf open/deeper/bk.conf
chmod 700 open/deeper
refused open/deeper/bk.conf '/open: writable by group or other \(mode 777\)'
# In a directory owned by someone else.
mkdir -m 755 theirs
mkconf theirs/bk.conf
chown nobody theirs
refused theirs/bk.conf '/theirs: owned by uid [0-9]+'

# A symbolic link is judged by what it leads to, and by every directory
# on the way, also those of the links between.
ln -s ../open/bk.conf safe/link.conf
refused safe/link.conf '/open: writable by group or other'
ln -s ../safe/g.conf safe/link2.conf
refused safe/link2.conf 'g.conf: writable by group or other'
ln -s "$T/open/deeper" safe/hop
ln -s hop/bk.conf safe/link3.conf
refused safe/link3.conf '/open: writable by group or other'
# ... and a link in an open directory can be changed, whatever it leads to.
ln -s "$T/safe/bk.conf" open/link.conf
refused open/link.conf '/open: writable by group or other'
# A safe link to a safe file is fine.
ln -s bk.conf safe/good-link.conf
accepted safe/good-link.conf

# Not a regular file: refused at once, never opened (a FIFO would block).
mkfifo -m 600 safe/fifo.conf
refused safe/fifo.conf 'fifo.conf: not a regular file'
refused safe/missing.conf 'missing.conf: no such file or directory'

# A sticky directory (like /tmp) that others can write but where they cannot
# rename or remove what is ours: a file of ours in it is accepted, one of
# theirs is not.
mkdir -m 1777 sticky
mkconf sticky/bk.conf
accepted sticky/bk.conf
cp safe/bk.conf sticky/their.conf
chown nobody sticky/their.conf
refused sticky/their.conf 'their.conf: owned by uid [0-9]+'
