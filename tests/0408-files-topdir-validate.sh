#!/bin/bash
# The top directory is part of the backup: under umask 077 (the docs'
# own keyring recipe) bk-restore --files gives DIR the mode it had (its
# "./" member, as bk-dump and GNU tar -C DIR . write it), and --validate
# compares it.  --validate against an incremental stream reports every
# path its .bk-index lists that DIR lacks.
. "$BK_TOP/tests/lib.sh"

mkdir -p src/sub/deep
echo a >src/a && echo b >src/sub/b && echo c >src/sub/deep/c
chmod 755 src src/sub
chmod 750 src/sub/deep
bk-dump --files src >full.tar
tar -C src -cf gnu.tar .
for t in full gnu; do
	(umask 077 && bk-restore --files "out-$t" <"$t.tar") || fail "restore $t.tar"
	[ "$(stat -c %a "out-$t")" = 755 ] || fail "$t.tar under umask 077: top directory $(stat -c %a "out-$t")"
	[ "$(stat -c %a "out-$t/sub")" = 755 ] || fail "$t.tar: sub $(stat -c %a "out-$t/sub")"
	[ "$(stat -c %Y "out-$t")" = "$(stat -c %Y src)" ] || fail "$t.tar: top directory mtime"
	bk-restore --files "out-$t" --validate <"$t.tar" >diffs || fail "validate $t.tar: $(cat diffs)"
done
# --validate notices the top directory's mode.
chmod 700 out-full
expect_exit 1 bk-restore --files out-full --validate <full.tar >diffs
[ "$(cat diffs)" = ".: mode differs: stream 0755, out-full 0700" ] || fail "diffs: $(cat diffs)"

# An incremental stream: what its index lists must be in DIR.
bk-restore --files inc-out <full.tar
sleep 1.1
since=$(date -u +@%s.%N)
sleep 1.1
echo new >src/new
bk-dump --files src --since "$since" >inc.tar
bk-restore --files inc-out --overwrite --delete <inc.tar
bk-restore --files inc-out --validate <inc.tar >diffs || fail "validate: $(cat diffs)"
rm inc-out/a inc-out/sub/deep/c
expect_exit 1 bk-restore --files inc-out --validate <inc.tar >diffs 2>err
expect_grep '^a: missing from inc-out' diffs
expect_grep '^sub/deep/c: missing from inc-out' diffs
rm -r inc-out/sub
expect_exit 1 bk-restore --files inc-out --validate <inc.tar >diffs 2>err
expect_grep '^sub/b: missing from inc-out' diffs
expect_grep '^sub/deep/c: missing from inc-out' diffs
exit 0
