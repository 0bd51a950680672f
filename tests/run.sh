#!/bin/bash
# tests/run.sh [PATTERN...] - run the unit tests and the numbered shell
# tests against the tools in $BK_BUILD (default build/), one line each:
# [PASS], [FAIL] or [SKIP].  Logs go to $BK_BUILD/tests/log/.  Ends with
# "N passed, N failed, N skipped"; exits non-zero if anything failed.
#
# EXEC="valgrind -q --error-exitcode=99" tests/run.sh  runs every tool
# under valgrind.
set -u

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
report() {
	local status=$1 name=$2 secs=$3
	printf '[%s] %s%s (%ss)\n' "$status" "$label" "$name" "$secs"
}

selected() {
	local name=$1 p
	[ $# -gt 1 ] || return 0
	shift
	for p in "$@"; do
		case $name in *"$p"*) return 0 ;; esac
	done
	return 1
}

run_one() {
	local name=$1
	shift
	local dir=$work/$name log=$logdir/$name.log start rc
	mkdir -p "$dir"
	start=$(date +%s)
	(cd "$dir" && T=$dir timeout --kill-after=10 "${BK_TEST_TIMEOUT:-900}" "$@") \
	    >"$log" 2>&1 </dev/null
	rc=$?
	local secs=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); report PASS "$name" "$secs"; rm -rf "$dir" ;;
	77) skipn=$((skipn + 1)); report SKIP "$name" "$secs"
	    grep -h '^SKIP' "$log" | head -n 1 | sed 's/^/    /' ;;
	*) failn=$((failn + 1)); report FAIL "$name" "$secs"
	    echo "    exit $rc; last lines of $log:"
	    tail -n 15 "$log" | sed 's/^/    | /' ;;
	esac
}

for u in "$build"/tests/test-*; do
	[ -x "$u" ] || continue
	n=${u##*/}
	selected "$n" "$@" || continue
	# shellcheck disable=SC2086 # EXEC is a command line, split on purpose
	run_one "$n" ${EXEC:-} "$u"
done
for s in "$top"/tests/[0-9][0-9][0-9][0-9]-*.sh; do
	[ -f "$s" ] || continue
	n=${s##*/}
	n=${n%.sh}
	selected "$n" "$@" || continue
	run_one "$n" bash "$s"
done
[ "$failn" -eq 0 ] && rm -rf "$work"
echo "${label}${pass} passed, ${failn} failed, ${skipn} skipped"
[ "$failn" -eq 0 ]
