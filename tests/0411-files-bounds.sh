#!/bin/bash
# Memory of bk-restore --files does not grow with the bytes of member
# names: a stream of members with ~4 KB names (a few hundred KB of zstd)
# once took 4 KB of memory a member.  Extraction and --validate are
# measured at two sizes and compared with themselves (expect_flat).
. "$BK_TOP/tests/lib.sh"

small=3000 large=30000
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
expect_flat "extract" "$(cat rss$small)" "$(cat rss$large)" "$(cat bytes$small)" "$(cat bytes$large)"
expect_flat "validate" "$(tail -n 1 vrss$small)" "$(tail -n 1 vrss$large)" "$(cat bytes$small)" "$(cat bytes$large)"
exit 0
