#!/bin/bash
# The hostile corpus (tests/hostile/cases.tsv): truncated and tampered
# containers, bad keyrings, corrupt and crafted mongodump archives,
# traversal and hostile tars, bad sum files, malformed manifests and
# sidecars.  Each case runs one tool on one input made at test time by
# tests/hostile/gen.py or tests/mktar_hostile.py and must exit with the
# status its man page documents, say what is wrong in the documented
# number of lines on stderr (one, nearly always) matching the case's
# pattern, and present nothing partial as complete (checks: no output,
# exactly the plaintext before the damage, nothing outside the target
# directory, nothing committed, nothing created in a real FerretDB).
# Every case that misbehaves is named.
# A case marked "defect" states the documented behaviour that the tool
# does not have yet: it fails like any other unless BK_HOSTILE_KNOWN=skip.
. "$BK_TOP/tests/lib.sh"

H=$T/in
"$PY" "$BK_TOP/tests/hostile/gen.py" "$H" || fail "gen.py failed"
mkdir "$H/sentinel" "$H/evil"
"$PY" "$BK_TOP/tests/mktar_hostile.py" "$H/evil" "$H/sentinel" ||
    fail "mktar_hostile.py failed"
start_ferretdb "$T/fdb"
export H K=$H/keyring PY FERRETDB_URI

# check CASE CHECKS: the case's after-checks on ./out and its directory.
check() {
	local c w
	IFS=, read -ra w <<<"$2"
	for c in "${w[@]}"; do
		case $c in
		-) ;;
		noout) [ ! -s out ] || { echo "wrote $(stat -c %s out) bytes to stdout"; return 1; } ;;
		prefix=*)
			if ! cmp -s out <(head -c "${c#prefix=}" "$H/plain"); then
				echo "stdout is not the first ${c#prefix=} bytes of the plaintext ($(stat -c %s out) bytes)"
				return 1
			fi ;;
		sentinel)
			[ -z "$(ls -A "$H/sentinel")" ] ||
			    { echo "wrote outside the target: $(ls -A "$H/sentinel")"; return 1; }
			if [ -d dir ] && find dir -name '.bk-restore.*' | grep -q .; then
				echo "left a temporary file in the target"; return 1
			fi ;;
		nocommit) [ ! -e st/b.bk.manifest.json ] || { echo "committed a manifest"; return 1; } ;;
		nodb=*)
			if ! "$PY" - "${c#nodb=}" <<'PYEOF'
import os, sys
from pymongo import MongoClient
there = set(MongoClient(os.environ["FERRETDB_URI"]).list_database_names())
bad = [d for d in sys.argv[1].split("+") if d in there]
if bad:
    print("created database(s) %s" % " ".join(bad))
    sys.exit(1)
PYEOF
			then return 1; fi ;;
		absent=*)
			if [ -e "${c#absent=}" ] || [ -L "${c#absent=}" ]; then
				echo "${c#absent=} exists"; return 1
			fi ;;
		*) echo "unknown check $c in cases.tsv"; return 1 ;;
		esac
	done
}

n=0 bad=0 skipped=0 known=0
badlist=""
while IFS=$'\t' read -r name status lines checks mark regex cmd; do
	case $name in '#'* | '') continue ;; esac
	[ -n "$cmd" ] || fail "cases.tsv: case $name has fewer than 7 fields"
	n=$((n + 1))
	if [ "$mark" = defect ] && [ "${BK_HOSTILE_KNOWN:-}" = skip ]; then
		skipped=$((skipped + 1))
		continue
	fi
	d=$T/case/$name
	mkdir -p "$d"
	rc=0
	# No stray line is forgiven: tests/run.sh sets MONGOC_DISABLE_SHM, so
	# libmongoc's counters warning (bk(7)) cannot appear.
	(cd "$d" && timeout 60 bash -c "$cmd" >out 2>err) </dev/null || rc=$?
	why=""
	got=$(wc -l <"$d/err")
	if [ "$rc" -ne "$status" ]; then
		why="exited $rc, expected $status"
	elif [ "$got" -ne "$lines" ]; then
		why="$got lines on stderr, expected $lines"
	elif [ "$lines" -gt 0 ] && ! grep -Eq -- "$regex" "$d/err"; then
		why="stderr lacks /$regex/"
	elif [ "$lines" -gt 0 ] && grep -v '^bk-[a-z]*: ' "$d/err" | grep -q .; then
		why="a diagnostic not prefixed with the tool's name"
	else
		why=$(cd "$d" && check "$name" "$checks") || true
	fi
	if [ -n "$why" ]; then
		if [ "$mark" = defect ]; then
			known=$((known + 1))
			why="$why [known defect]"
		fi
		bad=$((bad + 1))
		badlist="$badlist $name"
		note "FAILED $name: $why: $(head -c 300 "$d/err" | tr '\n' '|')"
		note "  command: $cmd"
	elif [ "$mark" = defect ]; then
		note "case $name is marked defect but passes now: remove the mark"
	fi
done <"$BK_TOP/tests/hostile/cases.tsv"

[ "$n" -ge 50 ] || fail "only $n cases in tests/hostile/cases.tsv"
note "$n cases, $bad failed ($known of them known defects), $skipped known defects skipped"
[ "$bad" -eq 0 ] || fail "hostile cases that misbehave:$badlist"
