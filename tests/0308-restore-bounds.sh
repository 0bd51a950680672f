#!/bin/bash
# bk-restore's memory is bounded against a hostile prelude: 40 namespaces
# with 15 MiB of metadata each (a 25 KB zstd archive) are refused once the
# prelude's metadata passes 64 MiB, and peak memory stays that of 4 such
# namespaces (measured against itself, not a figure).  Time and the 100k
# namespaces case are in tests/bench/bench-bounds-db.sh.
. "$BK_TOP/tests/lib.sh"

gen="$BK_TOP/tests/bench/hostile_archive.py"
"$PY" "$gen" meta 4 | zstd -q -1 >"$T/small.zst"
"$PY" "$gen" meta 40 | zstd -q -1 >"$T/large.zst"
peak_rss "$T/small.rss" bk-restore --dry-run <"$T/small.zst" >/dev/null ||
    fail "4 namespaces of 15 MiB metadata (60 MiB) refused"
rc=0
peak_rss "$T/large.rss" bk-restore --dry-run <"$T/large.zst" >/dev/null \
    2>"$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "40 namespaces of 15 MiB metadata: exit $rc, expected 1"
expect_grep "the prelude's metadata exceeds 64 MiB" "$T/err"
expect_flat "bk-restore --dry-run, hostile prelude" "$(tail -n 1 "$T/small.rss")" \
    "$(tail -n 1 "$T/large.rss")" $((4 * 15 << 20)) $((40 * 15 << 20))
echo ok
