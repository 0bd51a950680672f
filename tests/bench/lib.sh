# shellcheck shell=bash
# tests/bench/lib.sh - sourced by tests/bench/bench-*.sh.  Runs a bk tool and
# its peers side by side on the same input, several rounds, and prints one
# Markdown table row each: median throughput, peak RSS, ratio to the first
# (bk) row of the group.  Throughput is a measurement, never an assertion.
set -euo pipefail

BK_TOP=${BK_TOP:?run through tests/bench/run.sh}
BENCH_DIR=${BENCH_DIR:?run through tests/bench/run.sh}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_OUT=${BENCH_OUT:-/dev/stdout}

# bench_input NAME BYTES: a file of pseudo-random bytes, made once per run.
bench_input() {
	local f=$BENCH_DIR/$1
	if [ ! -f "$f" ] || [ "$(stat -c %s "$f")" -ne "$2" ]; then
		{ openssl enc -aes-128-ctr -nosalt -pass "pass:$1" -pbkdf2 \
		    -in /dev/zero 2>/dev/null || true; } | head -c "$2" >"$f"
	fi
	echo "$f"
}

# bench_group TITLE: start a table; the next bench row is the baseline.
bench_group() {
	BENCH_BASE=""
	{
		echo
		echo "### $1"
		echo
		echo "| command | median MB/s | peak RSS MiB | bk / this |"
		echo "|---|---:|---:|---:|"
	} >>"$BENCH_OUT"
}

# bench LABEL BYTES 'SHELL COMMAND' ['SETUP']: time the command
# BENCH_ROUNDS times (bash -c, under /usr/bin/time); BYTES is what one run
# processes.  SETUP runs before each round, untimed and unmeasured (an
# "rm -rf" of a big tree would otherwise be the peak RSS).
bench() {
	local label=$1 bytes=$2 cmd=$3 setup=${4:-} i t rss secs=() maxrss=0
	local med rate ratio
	for ((i = 0; i < BENCH_ROUNDS; i++)); do
		[ -z "$setup" ] || bash -c "$setup"
		/usr/bin/time -f '%e %M' -o "$BENCH_DIR/time" bash -c "$cmd" ||
		    { echo "bench: '$label' failed" >&2; return 1; }
		read -r t rss <"$BENCH_DIR/time"
		secs+=("$t")
		[ "$rss" -gt "$maxrss" ] && maxrss=$rss
	done
	med=$(printf '%s\n' "${secs[@]}" | sort -g | sed -n "$(( (BENCH_ROUNDS + 1) / 2 ))p")
	rate=$(awk -v b="$bytes" -v s="$med" 'BEGIN { printf "%.1f", (s > 0 ? b / s / 1e6 : 0) }')
	if [ -z "$BENCH_BASE" ]; then
		BENCH_BASE=$rate
		ratio="1.00"
	else
		ratio=$(awk -v a="$BENCH_BASE" -v b="$rate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	fi
	printf '| `%s` | %s | %.1f | %s |\n' "${label//|/\\|}" "$rate" \
	    "$(awk -v k="$maxrss" 'BEGIN { print k / 1024 }')" "$ratio" >>"$BENCH_OUT"
}

# bench_flat LABEL SMALL LARGE 'CMD': the memory group: CMD with {} read
# from the 64 MiB file SMALL, then from the 1 GiB file LARGE.
bench_flat() {
	local label=$1 small=$2 large=$3 cmd=$4
	bench_group "$label memory does not grow with input (64 MiB vs 1 GiB)"
	bench "$label < 64MiB" $((64 << 20)) "${cmd//\{\}/$small}"
	bench "$label < 1GiB" $((1 << 30)) "${cmd//\{\}/$large}"
}
