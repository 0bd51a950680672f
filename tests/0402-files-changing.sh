#!/bin/bash
# bk-dump --files on a tree that changes under it: a file that shrinks
# while it is read is padded to the size its header declared (the stream
# stays valid), a file that vanishes or grows is reported, and the run
# exits 4 (finished, incomplete) like GNU tar's 1.
. "$BK_TOP/tests/lib.sh"

mkdir src
gen_bytes a 30000000 >src/a
echo zed >src/z
# bk-dump blocks on the pipe while reading src/a (it has listed the
# directory already): meanwhile src/a shrinks and src/z goes away.
{ s=0; bk-dump --files src 2>err || s=$?; echo "$s" >rc; } |
	{ sleep 1; truncate -s 1000000 src/a; rm src/z; cat >a.tar; }
[ "$(cat rc)" = 4 ] || fail "exit $(cat rc), expected 4: $(cat err)"
expect_grep '^bk-dump: src/a: file shrank by 29000000 bytes while being read; padded with zeros$' err
expect_grep '^bk-dump: src/z: stat \(file vanished\): No such file' err
expect_grep 'the archive is incomplete' err
# The stream is still well formed, for GNU tar and for bk-restore.
tar -tvf a.tar | grep -q ' 30000000 .* a$' || fail "GNU tar: $(tar -tvf a.tar 2>&1)"
bk-restore --files out <a.tar
[ "$(stat -c %s out/a)" = 30000000 ] || fail "restored size $(stat -c %s out/a)"
cmp -n 1000000 src/a out/a || fail "the part read before the shrink differs"
[ "$(tail -c +1000001 out/a | tr -d '\0' | wc -c)" = 0 ] || fail "padding is not zeros"

# A file that grows while it is read: the header's size is kept, the
# growth is reported.
gen_bytes b 30000000 >src/a
{ s=0; bk-dump --files src 2>err || s=$?; echo "$s" >rc; } |
	{ sleep 1; echo more >>src/a; cat >b.tar; }
[ "$(cat rc)" = 4 ] || fail "growth: exit $(cat rc): $(cat err)"
expect_grep 'src/a: file changed as we read it' err
tar -tf b.tar >/dev/null || fail "stream corrupt after growth"

# A read error (a directory we may not enter is fine for root, so use a
# file that is replaced by a FIFO): never hangs, reported, exit 4.
echo x >src/f
{ s=0; bk-dump --files src 2>err || s=$?; echo "$s" >rc; } |
	{ sleep 1; rm src/f; mkfifo src/f; cat >/dev/null; }
[ "$(cat rc)" = 0 ] || [ "$(cat rc)" = 4 ] || fail "FIFO swap: exit $(cat rc): $(cat err)"
exit 0
