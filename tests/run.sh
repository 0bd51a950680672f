#!/bin/bash
# tests/run.sh [-j N] [PATTERN...] - run the unit tests and the numbered
# shell tests against the tools in $BK_BUILD (default build/), one line
# each: [PASS], [FAIL] or [SKIP].  Logs go to $BK_BUILD/tests/log/.  Ends
# with "N passed, N failed, N skipped"; exits non-zero if anything failed.
#
# -j N runs N tests side by side (default $BK_TEST_JOBS, else 1).  Every
# test has its own scratch directory, its own servers on ports no other
# test is given (free_port in lib.sh), so the order does not matter; the
# slowest tests of the last run ($BK_BUILD/tests/times, or the file named
# by $BK_TEST_TIMES) start first, so that the last few do not run alone.
#
# EXEC="valgrind -q --error-exitcode=99" tests/run.sh  runs every tool
# under valgrind.
set -u
jobs=${BK_TEST_JOBS:-1}
if [ "${1:-}" = -j ]; then
	jobs=${2:?run.sh: -j needs a number}
	shift 2
fi
case $jobs in
''|*[!0-9]*|0) echo "run.sh: -j $jobs: not a number of jobs" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BK_BUILD:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac
export BK_TOP=$top BK_BUILD=$build
export BK_CACHE=${BK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bk}
logdir=$build/tests/log
rm -rf "$logdir"
mkdir -p "$logdir"
work=$(mktemp -d "${TMPDIR:-/tmp}/bk-tests.XXXXXX")
label=${BK_SUITE_LABEL:-}

# Put the tools first on PATH, each wrapped in $EXEC if one is given.
bindir=$build/bin
if [ -n "${EXEC:-}" ]; then
	bindir=$work/wrapped
	mkdir -p "$bindir"
	for t in "$build"/bin/bk-*; do
		printf '#!/bin/sh\nexec %s %s "$@"\n' "$EXEC" "$t" \
		    >"$bindir/${t##*/}"
		chmod +x "$bindir/${t##*/}"
	done
fi
export PATH=$bindir:$PATH
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1:abort_on_error=0}
# No stray libmongoc line on stderr from a stale /dev/shm/mongoc-PID (bk(7)).
export MONGOC_DISABLE_SHM=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:exitcode=86:print_stacktrace=1}

pass=0 failn=0 skipn=0
results=$work/results
mkdir -p "$results"

selected() {
	local name=$1 p
	[ $# -gt 1 ] || return 0
	shift
	for p in "$@"; do
		case $name in *"$p"*) return 0 ;; esac
	done
	return 1
}

# run_one NAME CMD...: run one test; its report (one line, and the end of
# its log if it failed) goes to $results/NAME.out, its outcome (PASS, FAIL
# or SKIP and the seconds) to $results/NAME.
run_one() {
	local name=$1
	shift
	local dir=$work/$name log=$logdir/$name.log start rc status
	local out=$results/$name.out
	mkdir -p "$dir"
	start=$(date +%s)
	(cd "$dir" && T=$dir timeout --kill-after=10 "${BK_TEST_TIMEOUT:-900}" "$@") \
	    >"$log" 2>&1 </dev/null
	rc=$?
	local secs=$(( $(date +%s) - start ))
	case $rc in
	0) status=PASS ;;
	77) status=SKIP ;;
	*) status=FAIL ;;
	esac
	printf '[%s] %s%s (%ss)\n' "$status" "$label" "$name" "$secs" >"$out"
	case $status in
	PASS) rm -rf "$dir" ;;
	SKIP) grep -h '^SKIP' "$log" | head -n 1 | sed 's/^/    /' >>"$out" ;;
	FAIL) echo "    exit $rc; last lines of $log:" >>"$out"
	    tail -n 15 "$log" | sed 's/^/    | /' >>"$out" ;;
	esac
	echo "$status $secs" >"$results/$name"
}

# The tests, as "NAME<tab>KIND<tab>PATH": the unit tests, then the
# numbered ones.
list=$work/list
: >"$list"
for u in "$build"/tests/test-*; do
	[ -x "$u" ] || continue
	n=${u##*/}
	selected "$n" "$@" || continue
	printf '%s\tunit\t%s\n' "$n" "$u" >>"$list"
done
for s in "$top"/tests/[0-9][0-9][0-9][0-9]-*.sh; do
	[ -f "$s" ] || continue
	n=${s##*/}
	n=${n%.sh}
	selected "$n" "$@" || continue
	printf '%s\tshell\t%s\n' "$n" "$s" >>"$list"
done

# Slowest first, by the last run's times; a test not timed yet (new) goes
# first of all, the rest keep their order.
times=${BK_TEST_TIMES:-$build/tests/times}
if [ "$jobs" -gt 1 ] && [ -s "$times" ]; then
	awk -F'\t' 'NR == FNR { split($0, w, " "); t[w[1]] = w[2]; next }
	    { print (($1 in t) ? t[$1] : 1000000) "\t" NR "\t" $0 }' \
	    "$times" "$list" | sort -t"$(printf '\t')" -k1,1nr -k2,2n |
	    cut -f3- >"$list.sorted"
	mv "$list.sorted" "$list"
fi

# Print a finished test's report and count it.
reap() {
	local name=$1 status secs
	cat "$results/$name.out" 2>/dev/null ||
	    printf '[FAIL] %s%s (?s)\n    the runner lost it\n' "$label" "$name"
	read -r status secs 2>/dev/null <"$results/$name" || status=FAIL
	case $status in
	PASS) pass=$((pass + 1)) ;;
	SKIP) skipn=$((skipn + 1)) ;;
	*) failn=$((failn + 1)) ;;
	esac
}

declare -A running=()	# pid -> test name
# reap_one: wait for any running test to end, then report it.
reap_one() {
	local done_pid=
	wait -n -p done_pid
	[ -n "$done_pid" ] || return 1
	reap "${running[$done_pid]}"
	unset "running[$done_pid]"
}
while IFS=$'\t' read -r n kind path; do
	while [ "${#running[@]}" -ge "$jobs" ]; do
		reap_one || break
	done
	if [ "$kind" = unit ]; then
		# shellcheck disable=SC2086 # EXEC is a command line, split on purpose
		run_one "$n" ${EXEC:-} "$path" &
	else
		run_one "$n" bash "$path" &
	fi
	running[$!]=$n
done <"$list"
while [ "${#running[@]}" -gt 0 ]; do
	reap_one || break
done

# This run's times, kept with the earlier ones, for the next run's order.
touch "$build/tests/times"
for r in "$results"/*; do
	case $r in *.out) continue ;; esac
	[ -f "$r" ] || continue
	read -r _ secs <"$r" && echo "${r##*/} $secs"
done | awk 'NR == FNR { t[$1] = $2; next } { if (!($1 in t)) print }
    END { for (n in t) print n, t[n] }' - "$build/tests/times" 2>/dev/null |
    sort >"$build/tests/times.new" &&
    mv "$build/tests/times.new" "$build/tests/times"

[ "$failn" -eq 0 ] && rm -rf "$work"
echo "${label}${pass} passed, ${failn} failed, ${skipn} skipped"
[ "$failn" -eq 0 ]
