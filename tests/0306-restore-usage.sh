#!/bin/bash
# Usage errors of bk-restore's database mode exit 2 before any input is
# read (stdin here is a FIFO nobody writes to: reading it would hang):
# every bad --ns-from/--ns-to pair and every malformed pattern.  Empty
# input says an earlier stage failed (exit 3); --help of bk-dump and
# bk-restore prints the usage and every option on stdout, exit 0.
# A --password-file that is a FIFO is refused, never waited on.
. "$BK_TOP/tests/lib.sh"

mkfifo "$T/fifo"
usage_error() {
	local rc=0
	timeout 60 bk-restore --dry-run "$@" <>"$T/fifo" >/dev/null \
	    2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ] || fail "bk-restore $* exited $rc, expected 2"
}
usage_error --ns-from a --ns-to '*'
expect_grep 'ns-from a --ns-to \*: --ns-from has no dot' "$T/err"
usage_error --ns-from 'a.*' --ns-to '*'
usage_error --ns-from 'a.b' --ns-to '*.b'
usage_error --ns-from 'a.*' --ns-to '*.x'
expect_grep 'database part of --ns-to' "$T/err"
usage_error --ns-from 'a.*' --ns-to 'b.*.*'
usage_error --ns-from 'a.*' --ns-to 'b.'
usage_error --ns-from 'a.*' --ns-to '.b'
usage_error --ns-from 'a.*' --ns-to 'a b.c'
usage_error --ns-from 'a.*'
usage_error --ns-to 'a.*'
usage_error --ns-include '.x'
usage_error --ns-exclude 'x.'
usage_error --ns-include 'a/b.c'
expect_grep 'ns-include a/b.c: the database part' "$T/err"
expect_exit 2 bk-dump --ns-include '.x' >/dev/null 2>&1
expect_exit 2 bk-dump --db 'a.b' >/dev/null 2>&1

# Empty input: an operational failure upstream, not a corrupt backup.
expect_exit 3 bk-restore --dry-run </dev/null 2>"$T/err"
expect_grep '^bk-restore: <stdin>: empty input: an earlier stage of the pipeline probably failed$' "$T/err"
: | { expect_exit 3 bk-restore --uri mongodb://127.0.0.1:1/ 2>"$T/err"; }
expect_grep 'empty input' "$T/err"

# --help: usage and one line per option, on stdout.
for tool in bk-dump bk-restore; do
	"$tool" --help >"$T/help" 2>"$T/err" || fail "$tool --help exited $?"
	[ -s "$T/err" ] && fail "$tool --help wrote to stderr"
	expect_grep '^usage: ' "$T/help"
	expect_grep '^  --uri URI ' "$T/help"
	expect_grep '^  --password-file FILE ' "$T/help"
	expect_grep 'serverSelectionTimeoutMS' "$T/help"
done
bk-dump --help >"$T/help"
expect_grep '^  -d, --db DB .*repeat' "$T/help"
bk-restore --help >"$T/help"
expect_grep '^  --ns-from PAT --ns-to PAT ' "$T/help"
expect_grep '^  -n, --dry-run ' "$T/help"

# --password-file naming a FIFO: refused at once, for both tools.
expect_exit 3 timeout 60 bk-dump --uri mongodb://u@127.0.0.1:1/ \
    --password-file "$T/fifo" >/dev/null 2>"$T/err"
expect_grep 'not a regular file|FIFO' "$T/err"
echo '[]' >"$T/none.json"
"$PY" "$BK_TOP/tests/mongoarchive.py" craft "$T/none.json" >"$T/none.arch"
expect_exit 3 timeout 60 bk-restore --uri mongodb://u@127.0.0.1:1/ \
    --password-file "$T/fifo" <"$T/none.arch" >/dev/null 2>"$T/err"
expect_grep 'not a regular file|FIFO' "$T/err"
echo ok
