#!/bin/bash
# Memory of bk-restore --files does not grow with the bytes of member
# names: a stream of members with ~4 KB names (a few hundred KB of zstd)
# once took 4 KB of memory a member.  Extraction and --validate are
# measured at two sizes and compared with themselves (expect_flat), and
# so is bk-dump --files of a tree of hard links with such names.
. "$BK_TOP/tests/lib.sh"

small=2000 large=20000
for n in $small $large; do
	"$PY" "$BK_TOP/tests/mktar_hostile.py" --long-names "$n" | zstd -q -c >"h$n.tar.zst"
	zstd -dc "h$n.tar.zst" | wc -c >"bytes$n"
	peak_rss "rss$n" bk-restore --files "out$n" <"h$n.tar.zst" 2>err ||
		fail "extract $n long names: $(cat err)"
	# Every member is there (the files, and the directories).
	[ "$(find "out$n" -name 'f*' -type f | wc -l)" = $((n - (n + 9) / 10)) ] ||
		fail "$n: files missing"
	peak_rss "vrss$n" bk-restore --files "out$n" --validate <"h$n.tar.zst" >diffs 2>err || true
	# The one difference: the deep chain of directories that are not members.
	[ "$(wc -l <diffs)" = 1 ] || fail "validate $n: $(head -c 300 diffs)"
	rm -rf "out$n"
done
# bk-dump --files: files with two names each (4 KB paths, 1000 to a
# directory) do not keep their first names once the second is stored.
for n in 2000 20000; do
	"$PY" - "links$n" "$n" <<'PYEOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
deep = os.path.join(root, *(c * 250 for c in "abcdefghijklmn"))
for i in range(n):
    d = os.path.join(deep, "d%04d" % (i // 1000) + "o" * 200)
    if i % 1000 == 0:
        os.makedirs(d)
    a = os.path.join(d, "f%08d-a" % i + "p" * 30)
    open(a, "w").close()
    os.link(a, a[:-1] + "q")
PYEOF
	peak_rss "drss$n" bk-dump --files "links$n" >"links$n.tar" || fail "dump links$n"
	wc -c <"links$n.tar" >"dbytes$n"
	[ "$(tar -tvf "links$n.tar" | grep -c ' link to ')" = "$n" ] || fail "links$n: hard links missing"
	rm -rf "links$n" "links$n.tar"
done
expect_flat "bk-dump hard links" "$(cat drss2000)" "$(cat drss20000)" "$(cat dbytes2000)" "$(cat dbytes20000)"
expect_flat "extract" "$(cat rss$small)" "$(cat rss$large)" "$(cat bytes$small)" "$(cat bytes$large)"
expect_flat "validate" "$(tail -n 1 vrss$small)" "$(tail -n 1 vrss$large)" "$(cat bytes$small)" "$(cat bytes$large)"
exit 0
