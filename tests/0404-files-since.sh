#!/bin/bash
# Incremental dumps: bk-dump --files --since stores only what changed
# (plus every directory) and a .bk-index of every current path; a full
# restore followed by the incremental with --overwrite --delete gives the
# current tree, deletions included.
. "$BK_TOP/tests/lib.sh"

snap() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %s %T@ %l %n %P\n' | LC_ALL=C sort &&
	    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

mkdir -p src/d/e
for i in 1 2 3 4 5; do gen_bytes "s$i" 5000 >"src/f$i"; done
echo keep >src/d/e/kept
echo bye >src/d/gone
mkdir src/d/olddir && echo x >src/d/olddir/x
ln -s f1 src/link
bk-dump --files src >full.tar
sleep 1.1
since=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
epoch=$(date -u +@%s.%N)
sleep 1.1
echo more >>src/f2
rm src/d/gone
rm -r src/d/olddir
echo new >src/d/e/new
ln -sfn f3 src/link
chmod 600 src/f4	# ctime changes, mtime does not

bk-dump --files src --since "$since" >inc.tar 2>err || fail "bk-dump --since: $(cat err)"
tar -tf inc.tar | sed 's,/$,,' | LC_ALL=C sort >members
printf '%s\n' . .bk-index d d/e d/e/new f2 f4 link | LC_ALL=C sort >expected
diff expected members >/dev/null || fail "incremental members: $(diff expected members)"
# The index lists every current path, NUL-terminated.
tar -xOf inc.tar .bk-index | tr '\0' '\n' | LC_ALL=C sort >index
(cd src && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort) >paths
diff paths index >/dev/null || fail "index differs: $(diff paths index)"
# @EPOCH means the same.
bk-dump --files src --since "$epoch" | tar -tf - | sed 's,/$,,' | LC_ALL=C sort >members2
diff expected members2 >/dev/null || fail "--since @epoch differs"

# Full, then incremental: the current tree, deletions applied (d/gone,
# d/olddir and d/olddir/x).
bk-restore --files out <full.tar
bk-restore --files out --overwrite --delete --json=st.json <inc.tar 2>err || fail "incremental restore: $(cat err)"
snap src >a; snap out >b
diff a b >/dev/null || fail "full+incremental differs: $(diff a b | head)"
jq -e '.deleted == 3' st.json >/dev/null || fail "json: $(cat st.json)"
[ ! -e out/.bk-index ] || fail "the index was extracted as a file"
# --validate against an incremental: its index covers the unchanged files,
# so the restored tree has no differences, and a stray file is one.
bk-restore --files out --validate <inc.tar >diffs 2>err || fail "validate incremental: $(cat diffs err)"
echo stray >out/stray
expect_exit 1 bk-restore --files out --validate <inc.tar >diffs 2>err
[ "$(cat diffs)" = "stray: in out, not in the stream" ] || fail "diffs: $(cat diffs)"
rm out/stray

# --delete on a stream without an index is refused, and deletes nothing.
expect_exit 1 bk-restore --files out --overwrite --delete <full.tar 2>err
expect_grep 'has no \.bk-index' err
[ -f out/f5 ] || fail "deleted without an index"
exit 0
