#!/bin/bash
# The bounds of bk-restore against hostile archives (bk-restore(1)):
# namespaces with 15 MiB of metadata each (the prelude is capped at
# 64 MiB: refused, memory flat) and many namespaces (looked up by hash:
# time grows linearly).  One row per archive: exit status, seconds, peak
# RSS of bk-restore --dry-run.  A measurement, never an assertion.
. "$BK_TOP/tests/bench/lib.sh"
T=$BENCH_DIR/bounds-db
mkdir -p "$T"
PY=/usr/bin/python3
gen="$BK_TOP/tests/bench/hostile_archive.py"

{
	echo
	echo "### bk-restore --dry-run on hostile archives"
	echo
	echo "| archive | compressed bytes | exit | seconds | CPU seconds | peak RSS MiB |"
	echo "|---|---:|---:|---:|---:|---:|"
} >>"$BENCH_OUT"
row() {	# row LABEL KIND N
	local f=$T/$2-$3.zst t u sy rss rc=0
	"$PY" "$gen" "$2" "$3" | zstd -q -1 >"$f"
	/usr/bin/time -f '%e %U %S %M' -o "$T/time" bk-restore --dry-run <"$f" \
	    >/dev/null 2>&1 || rc=$?
	read -r t u sy rss < <(tail -n 1 "$T/time")
	printf '| %s | %s | %s | %s | %s | %.1f |\n' "$1" "$(stat -c %s "$f")" \
	    "$rc" "$t" "$(awk -v a="$u" -v b="$sy" 'BEGIN { print a + b }')" \
	    "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" >>"$BENCH_OUT"
}
row "4 namespaces x 15 MiB metadata" meta 4
row "40 namespaces x 15 MiB metadata" meta 40
row "10k namespaces" ns 10000
row "100k namespaces" ns 100000
