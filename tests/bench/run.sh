#!/bin/bash
# tests/bench/run.sh [NAME...] - "make bench": run every tests/bench/bench-*.sh
# (or those whose names contain NAME) and write docs/BENCHMARKS.md with the
# machine described, keeping what follows its "make bench keeps" line.
# BENCH_ROUNDS (default 3) sets the rounds per row.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
export BK_TOP=$top
export BK_CACHE=${BK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bk}
export PATH=$top/build/bin:$PATH
BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/bk-bench.XXXXXX")
export BENCH_DIR
trap 'rm -rf "$BENCH_DIR"' EXIT
out=$top/docs/BENCHMARKS.md
export BENCH_OUT=$BENCH_DIR/rows.md
: >"$BENCH_OUT"

for b in "$top"/tests/bench/bench-*.sh; do
	[ -f "$b" ] || continue
	if [ $# -gt 0 ]; then
		ok=0
		for p in "$@"; do case $b in *"$p"*) ok=1 ;; esac; done
		[ "$ok" -eq 1 ] || continue
	fi
	echo "bench: ${b##*/}" >&2
	bash "$b"
done

{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` (tests/bench/run.sh); do not edit by hand."
	echo "Each row is the median of ${BENCH_ROUNDS:-3} rounds; peak RSS is the"
	echo "largest of the rounds (/usr/bin/time -f %M).  The last column is"
	echo "bk's throughput divided by this row's (above 1: bk is faster)."
	echo
	echo "## Machine"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "- cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) cores)"
	echo "- memory: $(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
	echo "- kernel: $(uname -sr)"
	echo "- openssl: $(openssl version)"
	cat "$BENCH_OUT"
	# Hand-written analysis (the compression decision) survives a re-run.
	if [ -f "$out" ]; then
		sed -n '/^<!-- make bench keeps everything below this line -->$/,$p' "$out"
	fi
} >"$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
