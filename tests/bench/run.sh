#!/bin/bash
# tests/bench/run.sh [NAME...] - "make bench": run every tests/bench/bench-*.sh
# (or those whose names contain NAME) and write docs/BENCHMARKS.md with the
# machine described.  Each script's rows form a section of their own
# between "<!-- bench: NAME -->" and "<!-- end: NAME -->", dated: a run of
# some scripts replaces their sections and keeps the others as they were.
# What follows the "make bench keeps" line (hand-written analysis) is kept.
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

selected() {	# selected FILE: was it asked for (every one if none named)
	local p
	[ "$nargs" -gt 0 ] || return 0
	for p in "${args[@]}"; do case $1 in *"$p"*) return 0 ;; esac; done
	return 1
}
nargs=$#
args=("$@")
names=()
for b in "$top"/tests/bench/bench-*.sh; do
	[ -f "$b" ] || continue
	name=${b##*/bench-}
	name=${name%.sh}
	names+=("$name")
	selected "$b" || continue
	echo "bench: ${b##*/}" >&2
	export BENCH_OUT=$BENCH_DIR/$name.md
	{
		echo
		echo "(measured $(date -u +%Y-%m-%dT%H:%MZ), ${BENCH_ROUNDS:-3} rounds)"
	} >"$BENCH_OUT"
	bash "$b"
done

{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` (tests/bench/run.sh); do not edit by hand"
	echo "above the last marker.  Each row is the median of the rounds; peak"
	echo "RSS is the largest of the rounds (/usr/bin/time -f %M).  The last"
	echo "column is bk's throughput divided by this row's (above 1: bk is"
	echo "faster).  Each section says when it was measured."
	echo
	echo "## Machine"
	echo
	echo "- cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) cores)"
	echo "- memory: $(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
	echo "- kernel: $(uname -sr)"
	echo "- openssl: $(openssl version)"
	echo
	for name in "${names[@]}"; do
		if [ -f "$BENCH_DIR/$name.md" ]; then
			echo "<!-- bench: $name -->"
			cat "$BENCH_DIR/$name.md"
			echo
			echo "<!-- end: $name -->"
		elif [ -f "$out" ]; then
			sed -n "/^<!-- bench: $name -->\$/,/^<!-- end: $name -->\$/p" "$out"
		fi
	done
	# Hand-written analysis (the compression decision) survives a re-run.
	if [ -f "$out" ]; then
		echo
		sed -n '/^<!-- make bench keeps everything below this line -->$/,$p' "$out"
	fi
} >"$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
