#!/bin/bash
# tests/check.sh - the whole gate behind "make check": the -Werror build and
# the suite, the ASan+UBSan build and the suite again, the libFuzzer
# targets (briefly), mandoc -T lint on every man page, shellcheck on every
# script.  The last line is
# "N passed, N failed, N skipped", summed over all of it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
# Tests side by side: one more than the cores, since a test spends part of
# its time waiting on its servers.  BK_TEST_JOBS=1 runs them one by one.
export BK_TEST_JOBS=${BK_TEST_JOBS:-$((jobs + 1))}
pass=0 failn=0 skipn=0
recap=$(mktemp)	# every failure, repeated just above the last line

keep_failures() {	# keep_failures OUTPUT_FILE: copy [FAIL] blocks to the recap
	awk '/^\[FAIL\]/ { n = 0; p = 1; print; next }
	    /^    / { if (p && n++ < 12) print; next }
	    { p = 0 }' "$1" >>"$recap"
}

tally() {	# tally OUTPUT_FILE: add a run.sh summary line to the totals
	local line p f s
	line=$(grep -E '^(asan: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	line=${line#asan: }
	keep_failures "$1"
	if [ -z "$line" ]; then
		echo "[FAIL] $1: the suite printed no summary line" >>"$recap"
		failn=$((failn + 1))
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }; f=${f%% failed*}
	s=${line#*failed, }; s=${s%% skipped*}
	pass=$((pass + p)) failn=$((failn + f)) skipn=$((skipn + s))
}

gate() {	# gate NAME CMD...: one pass/fail line for a whole command
	local name=$1 out
	shift
	out=$(mktemp)
	if "$@" >"$out" 2>&1; then
		echo "[PASS] $name"
		pass=$((pass + 1))
	else
		echo "[FAIL] $name"
		sed 's/^/    | /' "$out" | tail -n 40
		{ echo "[FAIL] $name"; sed 's/^/    | /' "$out" | tail -n 12; } \
		    >>"$recap"
		failn=$((failn + 1))
	fi
	rm -f "$out"
}

out=$(mktemp)
gate "build (-Werror)" make -j"$jobs" all
bash tests/run.sh | tee "$out"
tally "$out"

gate "build (ASan+UBSan)" make -j"$jobs" O=build-asan SAN=1 all
# The slowest first: by the ASan suite's last times, else the suite's.
times=build-asan/tests/times
[ -s "$times" ] || times=build/tests/times
BK_BUILD=build-asan BK_SUITE_LABEL="asan: " BK_TEST_TIMES=$times \
    bash tests/run.sh | tee "$out"
tally "$out"

# Every parser of outside input under libFuzzer (ASan+UBSan), briefly and
# from a fixed seed: the kept crash inputs first, then 30,000 runs each.
gate "build (libFuzzer targets, clang)" make -j"$jobs" O=build-fuzz CC=clang \
    FUZZ=1 fuzzers
bash tests/fuzz/run.sh build-fuzz | tee "$out"
keep_failures "$out"
pass=$((pass + $(grep -c '^\[PASS\]' "$out")))
failn=$((failn + $(grep -c '^\[FAIL\]' "$out")))

for m in man/*.[1578]; do
	gate "mandoc -T lint $m" mandoc -T lint -W warning "$m"
done
for s in scripts/*.sh tests/*.sh tests/servers/*.sh tests/bench/*.sh \
    tests/fuzz/*.sh; do
	[ -f "$s" ] || continue
	gate "shellcheck $s" shellcheck -x "$s"
done

rm -f "$out"
# A CI log is often read from its end: say again what failed, right
# above the summary line.
if [ -s "$recap" ]; then
	echo "--- what failed (repeated from above) ---"
	cat "$recap"
fi
rm -f "$recap"
echo "${pass} passed, ${failn} failed, ${skipn} skipped"
[ "$failn" -eq 0 ]
