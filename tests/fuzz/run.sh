#!/bin/bash
# tests/fuzz/run.sh BUILD [SECONDS] - run every libFuzzer target built in
# BUILD/fuzz/ (make fuzz builds them with clang, ASan and UBSan).
#
# Each target first replays its kept inputs, tests/fuzz/regress/NAME/*
# (every crash ever found, fixed, and kept so it stays fixed), then fuzzes
# from a fresh seed corpus (tests/fuzz/seeds.py) plus what earlier runs
# found (BUILD/fuzz/corpus/NAME).  With SECONDS, each target runs that
# long (make fuzz); without, a fixed number of runs from a fixed seed and
# the seeds alone, so make check does the same work every time.  One [PASS]/[FAIL] line per
# target; a crash leaves its input in BUILD/fuzz/artifacts/NAME/.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: run.sh BUILD [SECONDS]}
secs=${2:-}
case $build in /*) ;; *) build=$top/$build ;; esac
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
seeds=$build/fuzz/seeds
rm -rf "$seeds"
if ! /usr/bin/python3 "$top/tests/fuzz/seeds.py" "$seeds"; then
	echo "[FAIL] fuzz seeds: tests/fuzz/seeds.py failed"
	exit 1
fi
failn=0
for bin in "$build"/fuzz/fuzz-*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz-}
	corpus=$build/fuzz/corpus/$name art=$build/fuzz/artifacts/$name/
	log=$build/fuzz/$name.log
	if [ -n "$secs" ]; then
		limit=(-max_total_time="$secs")
	else
		# The same work every time: no corpus from earlier runs.
		limit=(-runs=30000 -seed=1)
		corpus=$build/fuzz/corpus-check/$name
		rm -rf "$corpus"
	fi
	mkdir -p "$corpus" "$art" "$seeds/$name"
	# Seeds kept as files (tests/fuzz/NAME/) join those seeds.py wrote.
	if [ -d "$top/tests/fuzz/$name" ]; then
		cp "$top/tests/fuzz/$name"/* "$seeds/$name"/
	fi
	ok=1
	regress=("$top"/tests/fuzz/regress/"$name"/*)
	if [ -e "${regress[0]}" ] && ! "$bin" "${regress[@]}" >"$log" 2>&1; then
		ok=0
	elif ! "$bin" "${limit[@]}" -timeout=20 -rss_limit_mb=2048 \
	    -max_len=65536 -artifact_prefix="$art" \
	    "$corpus" "$seeds/$name" >>"$log" 2>&1; then
		ok=0
	fi
	runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -n 1)
	if [ "$ok" = 1 ]; then
		echo "[PASS] fuzz $name (${runs:-regression inputs only})"
	else
		echo "[FAIL] fuzz $name: see $log and $art"
		grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -n 5 |
		    sed 's/^/    | /'
		failn=$((failn + 1))
	fi
done
[ "$failn" -eq 0 ]
