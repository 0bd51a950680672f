#!/bin/bash
# One command-line convention for every tool (lib/cli, bk(7)): --help prints
# the synopsis on stdout and exits 0; --version prints one line on stdout
# and exits 0; an unknown option, or an option without its argument, prints
# one line naming it and then the synopsis on stderr, exits 2, and writes
# nothing on stdout.
. "$BK_TOP/tests/lib.sh"

n=0
for t in "$BK_BUILD"/bin/bk-*; do
	tool=${t##*/}
	n=$((n + 1))
	helps=("--help" "-h")
	case $tool in bk-dump | bk-restore) helps+=("--files x --help") ;; esac
	for args in "${helps[@]}"; do
		# shellcheck disable=SC2086 # the words of one command line
		"$tool" $args >out 2>err || fail "$tool $args: exit $?"
		[ ! -s err ] || fail "$tool $args wrote to stderr: $(cat err)"
		expect_grep "^usage: $tool" out
	done
	"$tool" --version >out 2>err || fail "$tool --version: exit $?"
	[ "$(wc -l <out)" -eq 1 ] || fail "$tool --version: $(cat out)"
	expect_grep "^$tool \\(bk\\) [0-9]" out
	[ ! -s err ] || fail "$tool --version wrote to stderr"
	for bad in --no-such-option -Q; do
		expect_exit 2 "$tool" "$bad" </dev/null >out 2>err
		[ ! -s out ] || fail "$tool $bad wrote to stdout: $(cat out)"
		[ "$(head -n 1 err)" = "$tool: unknown option $bad" ] ||
		    fail "$tool $bad: first line: $(head -n 1 err)"
		sed -n 2p err | grep -q "^usage: $tool" ||
		    fail "$tool $bad: no synopsis after the message: $(cat err)"
	done
done
[ "$n" -eq 7 ] || fail "expected the seven tools, found $n"
