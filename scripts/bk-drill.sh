#!/bin/bash
# Functions run indirectly (restore_KIND, the traps) are reachable.
# shellcheck disable=SC2317
# bk-drill.sh [--test-restore] [--from PREFIX] [--kind db|files|all]
#             [--before TIME] [--report-dir DIR] [--keep]
#
# The disaster-recovery drill and the random restore test: the newest (or
# a random recent) committed backup of each kind is listed, fetched,
# checked against its manifest's SHA-256, decrypted, restored into a fresh
# target and validated, each stage timed; the measured RTO and RPO are
# judged against their targets and written as a JSON and an HTML report.
# Settings come from the environment (the runner bk-backup.sh exports
# them).  See bk-drill(8).
set -uo pipefail

prog=bk-drill
usage_text() {
	cat <<'EOU'
usage: bk-drill.sh [--test-restore] [--from prefix] [--kind db|files|all]
                   [--before time] [--report-dir dir] [--keep]
       bk-drill.sh --help

Restore the newest committed db and files backups of a store prefix into
a fresh target, validate them, time every stage and write a report
(NAME.json and NAME.html); the last line says "report: NAME.json".

  --test-restore   a random committed backup of the last
                   BK_TEST_RESTORE_WINDOW seconds (default 7 days), into
                   temporary databases bk_test_NONCE_DB, dropped after
  --from prefix    the store prefix to read (default the first of BK_DESTS)
  --kind kind      db, files or all (default all)
  --before time    the newest backup created before time (date -d syntax)
  --report-dir dir where the reports go (default BK_REPORT_DIR)
  --keep           keep the restored files directory after a drill
  -h, --help       this text

Exit status: 0 pass; 1 targets missed or a validation found a difference;
2 usage; 3 operational failure; 75 retry later; 128+N stopped by signal N.
See bk-drill(8).
EOU
}

usage() {
	echo "$prog: $*" >&2
	usage_text | head -n 2 >&2
	exit 2
}

mode=drill
from=
kinds="db files"
before=
report_dir=
keep=
while [ $# -gt 0 ]; do
	case $1 in
	--test-restore) mode=test-restore ;;
	--from | --kind | --before | --report-dir)
		[ $# -ge 2 ] || usage "$1 needs an argument"
		case $1 in
		--from) from=$2 ;;
		--kind)
			case $2 in
			db | files) kinds=$2 ;;
			all) kinds="db files" ;;
			*) usage "--kind $2: expected db, files or all" ;;
			esac ;;
		--before) before=$2 ;;
		--report-dir) report_dir=$2 ;;
		esac
		shift ;;
	--from=* | --kind=* | --before=* | --report-dir=*)
		set -- "${1%%=*}" "${1#*=}" "${@:2}"
		continue ;;
	--keep) keep=1 ;;
	-h | --help) usage_text; exit 0 ;;
	--) shift; break ;;
	*) usage "unknown option $1" ;;
	esac
	shift
done
[ $# -eq 0 ] || usage "unexpected argument $1"
if [ -n "$before" ]; then
	before_epoch=$(date -u -d "$before" +%s 2>/dev/null) ||
	    usage "--before $before: not a time"
fi

# --- settings -------------------------------------------------------------

BK_STATE_DIR=${BK_STATE_DIR:-/var/lib/bk}
report_dir=${report_dir:-${BK_REPORT_DIR:-$BK_STATE_DIR/reports}}
rto_target=${BK_DRILL_RTO:-14400}
rpo_target=${BK_DRILL_RPO:-3600}
window=${BK_TEST_RESTORE_WINDOW:-604800}
for v in "$rto_target" "$rpo_target" "$window"; do
	case $v in '' | *[!0-9]*) usage "BK_DRILL_RTO, BK_DRILL_RPO, BK_TEST_RESTORE_WINDOW: want seconds, got '$v'" ;; esac
done
if [ -z "$from" ]; then
	# shellcheck disable=SC2086 # the list is split on purpose
	set -- ${BK_DESTS:-}
	from=${1:-}
fi
[ -n "$from" ] || usage "no store: give --from or set BK_DESTS"
case $from in
s3://?* | file:///*) ;;
*) usage "$from: not an s3:// or file:/// URL" ;;
esac
# The connection string goes to bk-restore alone (as MONGODB_URI).
export -n MONGODB_URI
export MONGOC_DISABLE_SHM=1

host=$(hostname)
t0=$EPOCHREALTIME
start_epoch=${t0%.*}
started=$(date -u -d "@$start_epoch" +%Y-%m-%dT%H:%M:%SZ)
base=${from%%\?*}
query=${from#"$base"}
base=${base%/}
source_shown=$base
# The region that serves the prefix: its ?region=, else the AWS settings.
region=
case $base in
s3://*)
	region=$(printf '%s\n' "$query" | sed 's/[?&]/\n/g' | sed -n 's/^region=//p' | tail -n 1)
	region=${region:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}} ;;
esac
nonce=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
rname=$mode-$(date -u -d "@$start_epoch" +%Y%m%dT%H%M%SZ)-$nonce

tmp=
child=
failure=
status=0
validated_at=
created_dbs=()
files_dir=
finishing=
cur=()
reader=

# --- time and stages --------------------------------------------------------

# now: seconds since the start of the run, with microseconds.
now() {
	local t=$EPOCHREALTIME
	awk -v a="$t" -v b="$t0" 'BEGIN { printf "%.3f", a - b }'
}

# begin KIND STAGE: a stage starts (its start in s).
begin() {
	s=$(now)
	cur=("$1" "$2" "$s")
}

# stage KIND STAGE STATUS START [END]: one line of the timeline.
stage() {
	local end=${5:-}
	cur=()
	[ -n "$end" ] || end=$(now)
	jq -cn --arg kind "$1" --arg stage "$2" --argjson status "$3" \
	    --argjson start "$4" --argjson fin "$end" \
	    '{kind: $kind, stage: $stage, start: $start,
	      seconds: ((($fin - $start) * 1000 | round) / 1000), status: $status}' \
	    >>"$tmp/stages.jsonl"
	echo "$1 $2: status $3, $(awk -v a="$end" -v b="$4" 'BEGIN { printf "%.3f", a - b }') s"
}

# stamp: each line of stdin with the time it came.
stamp() {
	local l
	while IFS= read -r l; do
		printf '%s %s\n' "$EPOCHREALTIME" "$l"
	done
}

# run IN OUT ERR CMD...: CMD as a child (so a signal reaches this shell at
# once and the child can be stopped); its status in rc.
run() {
	local in=$1 out=$2 err=$3
	shift 3
	"$@" <"$in" >"$out" 2>"$err" &
	child=$!
	rc=0
	wait "$child" || rc=$?
	child=
}

# with_uri CMD...: CMD with the target's connection string in its
# environment, nowhere else.
with_uri() {
	local uri
	uri=$(cat -- "$BK_DRILL_URI_FILE") || return 3
	MONGODB_URI=$uri exec "$@"
}

# fail STATUS MESSAGE: the run failed; the first failure is the one told.
fail() {
	[ -n "$failure" ] || failure=$2
	# A signal's status stands, whatever failed while stopping.
	[ "$status" -ge 128 ] || status=$(worse "$status" "$1")
	echo "$prog: $2" >&2
}

# worse A B: the worse of two exit statuses (75 is worse than 3: retry).
worse() {
	local a=$1 b=$2
	for s in 75 3 1; do
		if [ "$a" -eq "$s" ] || [ "$b" -eq "$s" ]; then
			echo "$s"
			return
		fi
	done
	[ "$a" -ge "$b" ] && echo "$a" || echo "$b"
}

# stage_status RC: a child's status as this script's (1, 3 or 75).
stage_status() {
	case $1 in
	0) echo 0 ;;
	1 | 4) echo 1 ;;
	75) echo 75 ;;
	*) echo 3 ;;
	esac
}

# --- the work ---------------------------------------------------------------

# pick KIND: the backup to use, as one JSON line in $tmp/KIND.pick.
pick() {
	local kind=$1 s
	begin "$kind" list
	run /dev/null "$tmp/$kind.list" "$tmp/$kind.list.err" \
	    bk-get --list --json --kind "$kind" "$base/$kind/$query"
	if [ "$rc" -ne 0 ]; then
		stage "$kind" list "$rc" "$s"
		fail "$(stage_status "$rc")" "$kind list: bk-get --list exited $rc: $(tail -n 1 "$tmp/$kind.list.err")"
		return 1
	fi
	jq -c --argjson before "${before_epoch:-null}" --argjson start "$start_epoch" \
	    --arg mode "$mode" --argjson window "$window" \
	    'select(.committed) | . + {epoch: (.created | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601)}
	     | select($before == null or .epoch < $before)
	     | select($mode != "test-restore" or .epoch >= $start - $window)' \
	    "$tmp/$kind.list" >"$tmp/$kind.cands" 2>"$tmp/$kind.list.err"
	rc=$?
	local n
	n=$(grep -c . "$tmp/$kind.cands")
	if [ "$rc" -ne 0 ] || [ "$n" -eq 0 ]; then
		stage "$kind" list 3 "$s"
		if [ "$rc" -ne 0 ]; then
			fail 3 "$kind list: the listing of $source_shown/$kind/ is not readable"
		elif [ "$mode" = test-restore ]; then
			fail 3 "$kind list: no committed $kind backup at $source_shown/$kind/ in the last $window seconds"
		else
			fail 3 "$kind list: no committed $kind backup at $source_shown/$kind/${before:+ before $before}"
		fi
		return 1
	fi
	if [ "$mode" = test-restore ]; then
		local r
		r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
		sed -n "$((r % n + 1))p" "$tmp/$kind.cands" >"$tmp/$kind.pick"
	else
		jq -sc 'sort_by(.epoch, .name) | last' "$tmp/$kind.cands" >"$tmp/$kind.pick"
	fi
	stage "$kind" list 0 "$s"
}

# drill_kind KIND: the stages after the listing; 0 validated.
drill_kind() {
	local kind=$1 s url sha murl enc=() st
	url=$(jq -r .url "$tmp/$kind.pick")
	sha=$(jq -r .sha256 "$tmp/$kind.pick")
	echo "$kind: $url"

	# fetch: the object and its manifest.
	begin "$kind" fetch
	murl=${url%%\?*}.manifest.json${url#"${url%%\?*}"}
	run /dev/null "$tmp/$kind.manifest.json" "$tmp/$kind.fetch.err" bk-get --no-progress "$murl"
	if [ "$rc" -eq 0 ]; then
		run /dev/null "$tmp/$kind.bk" "$tmp/$kind.fetch.err" bk-get --no-progress "$url"
	fi
	stage "$kind" fetch "$rc" "$s"
	[ "$rc" -eq 0 ] || { fail "$(stage_status "$rc")" "$kind fetch: bk-get exited $rc: $(tail -n 1 "$tmp/$kind.fetch.err")"; return 1; }
	jq -c --slurpfile m "$tmp/$kind.manifest.json" \
	    '. + {key_id: ($m[0].key_id // null), counts: ($m[0].counts // {})}' \
	    "$tmp/$kind.pick" >"$tmp/$kind.backup" 2>/dev/null ||
	    cp "$tmp/$kind.pick" "$tmp/$kind.backup"

	# verify: the SHA-256 of what was fetched against the manifest's.
	begin "$kind" verify
	printf '%s  %s\n' "$sha" "$kind.bk" >"$tmp/$kind.sum"
	run "$tmp/$kind.bk" /dev/null "$tmp/$kind.verify.err" \
	    bk-hash --no-progress -c "$tmp/$kind.sum" -n "$kind.bk"
	stage "$kind" verify "$rc" "$s"
	[ "$rc" -eq 0 ] || { fail "$(stage_status "$rc")" "$kind verify: bk-hash -c exited $rc: $(tail -n 1 "$tmp/$kind.verify.err")"; return 1; }

	# decrypt
	begin "$kind" decrypt
	[ -z "${BK_KMS_KEY_ID:-}" ] || enc=(--kms-key-id "$BK_KMS_KEY_ID")
	run "$tmp/$kind.bk" "$tmp/$kind.plain" "$tmp/$kind.decrypt.err" \
	    bk-encrypt -d "${enc[@]}" --no-progress --json="$tmp/$kind.enc.json"
	stage "$kind" decrypt "$rc" "$s"
	[ "$rc" -eq 0 ] || { fail "$(stage_status "$rc")" "$kind decrypt: bk-encrypt -d exited $rc: $(tail -n 1 "$tmp/$kind.decrypt.err")"; return 1; }
	rm -f "$tmp/$kind.bk"
	local kid
	kid=$(jq -r '.key_id // empty' "$tmp/$kind.enc.json" 2>/dev/null)
	if [ -n "$kid" ]; then
		jq -c --arg k "$kid" '.key_id = $k' "$tmp/$kind.backup" >"$tmp/$kind.b2" &&
		    mv "$tmp/$kind.b2" "$tmp/$kind.backup"
	fi

	"restore_$kind" || return 1
	# cleanup: the plain stream; what a test restore wrote.
	begin "$kind" cleanup
	rm -f "$tmp/$kind.plain"
	st=0
	if [ "$mode" = test-restore ] || [ -z "$keep" ]; then
		"cleanup_$kind" || st=3
	fi
	stage "$kind" cleanup "$st" "$s"
	[ "$st" -eq 0 ] || { fail 3 "$kind cleanup: $(tail -n 1 "$tmp/$kind.cleanup.err" 2>/dev/null)"; return 1; }
}

# restore_db: into fresh databases (drill) or bk_test_NONCE_DB (test).
restore_db() {
	local s st dbs d ren=() vt
	[ -n "${BK_DRILL_URI_FILE:-}" ] || { fail 3 "db restore: BK_DRILL_URI_FILE is not set"; return 1; }
	[ -r "$BK_DRILL_URI_FILE" ] || { fail 3 "db restore: BK_DRILL_URI_FILE $BK_DRILL_URI_FILE: no such readable file"; return 1; }
	begin db restore
	if [ "$mode" = test-restore ]; then
		ren=(--ns-from '*.*' --ns-to "bk_test_${nonce}_*.*")
		# What it writes it must be able to drop: checked first.
		if ! "${BK_PYTHON:-/usr/bin/python3}" -c 'import pymongo' 2>/dev/null; then
			stage db restore 3 "$s"
			fail 3 "db restore: ${BK_PYTHON:-/usr/bin/python3} has no pymongo to drop the test databases with (python3-pymongo, BK_PYTHON); nothing restored"
			return 1
		fi
	fi
	# The target databases, from the stream itself; each must be absent
	# or empty: a drill never writes over data.
	run "$tmp/db.plain" /dev/null "$tmp/db.plan.err" \
	    bk-restore --dry-run "${ren[@]}" --json="$tmp/db.plan.json"
	if [ "$rc" -ne 0 ]; then
		stage db restore "$rc" "$s"
		fail "$(stage_status "$rc")" "db restore: bk-restore --dry-run exited $rc: $(tail -n 1 "$tmp/db.plan.err")"
		return 1
	fi
	dbs=$(jq -r 'keys[] | select(startswith("docs:")) | ltrimstr("docs:") | split(".")[0]' \
	    "$tmp/db.plan.json" | sort -u)
	for d in $dbs; do
		rm -f "$tmp/db.probe.json"
		run /dev/null /dev/null "$tmp/db.probe.err" with_uri bk-dump --db "$d" \
		    --query '{"_id": "bk-drill-probe"}' --no-progress --json="$tmp/db.probe.json"
		if [ "$rc" -ne 0 ]; then
			stage db restore "$rc" "$s"
			fail "$(stage_status "$rc")" "db restore: cannot look at the target database $d: $(tail -n 1 "$tmp/db.probe.err")"
			return 1
		fi
		if [ "$(jq -r '.counts // {} | length' "$tmp/db.probe.json")" != 0 ]; then
			stage db restore 3 "$s"
			fail 3 "db restore: the target database $d exists and is not empty; refusing to write over it"
			return 1
		fi
	done
	created_dbs=()
	[ -z "$dbs" ] || mapfile -t created_dbs <<<"$dbs"
	# bk-restore -v says what it inserted in each namespace when the
	# restore is done, just before it validates: the time of those lines,
	# read as they come, divides the two stages.
	mkfifo "$tmp/db.restore.fifo" || { fail 3 "db restore: cannot make a FIFO in $tmp"; return 1; }
	stamp <"$tmp/db.restore.fifo" >"$tmp/db.restore.log" &
	reader=$!
	run "$tmp/db.plain" "$tmp/db.table" "$tmp/db.restore.fifo" \
	    with_uri bk-restore -v --validate --no-progress "${ren[@]}" --json="$tmp/db.restore.json"
	st=$rc
	wait "$reader"
	reader=
	grep -v ' documents inserted, [0-9]* failed, ' "$tmp/db.restore.log" |
	    cut -d ' ' -f 2- >"$tmp/db.restore.err"
	vt=$(awk '/ -> .*: [0-9]+ documents inserted, [0-9]+ failed, / { t = $1 } END { print t }' \
	    "$tmp/db.restore.log")
	if [ -n "$vt" ]; then
		vt=$(awk -v a="$vt" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
		stage db restore 0 "$s" "$vt"
		s=$vt
		cur=(db validate "$s")
	else
		stage db restore "$st" "$s"
		[ "$st" -ne 0 ] || begin db validate
	fi
	if [ "$st" -ne 0 ] && ! { [ "$st" -eq 1 ] && [ -s "$tmp/db.table" ]; }; then
		[ -z "$vt" ] || stage db validate "$st" "$s"
		fail "$(stage_status "$st")" "db ${vt:+validate}${vt:-restore}: bk-restore exited $st: $(tail -n 1 "$tmp/db.restore.err")"
		return 1
	fi
	# validate: bk-restore's table (count and digest per collection
	# against the archive) and the counts against the manifest's.
	validate_db "$st" >"$tmp/db.validate.err" 2>&1
	st=$?
	stage db validate "$st" "$s"
	[ "$st" -eq 0 ] || { fail 1 "db validate: $(tail -n 1 "$tmp/db.validate.err")"; return 1; }
	validated_at=$(now)
}

validate_db() {
	local docs
	if [ "$1" -ne 0 ] || awk 'NR > 1 && $NF != "ok" { bad = 1 } END { exit !bad }' "$tmp/db.table"; then
		echo "differences: $(awk 'NR > 1 && $NF != "ok" { printf "%s ", $1 }' "$tmp/db.table")"
		return 1
	fi
	docs=$(awk 'NR > 1 { n += $2 } END { print n + 0 }' "$tmp/db.table")
	# The manifest's count of every namespace restored.
	if ! jq -e --argjson got "$docs" '[.counts[]?.documents // 0] | add // 0 | . == $got' \
	    "$tmp/db.backup" >/dev/null; then
		echo "the restored collections hold $docs documents, the manifest says $(jq '[.counts[]?.documents // 0] | add // 0' "$tmp/db.backup")"
		return 1
	fi
	jq -c --argjson n "$docs" '.documents = $n' "$tmp/db.backup" >"$tmp/db.b2" &&
	    mv "$tmp/db.b2" "$tmp/db.backup"
}

# cleanup_db: test-restore drops its bk_test_ databases.
cleanup_db() {
	[ "$mode" = test-restore ] || return 0
	drop_dbs "${created_dbs[@]}" 2>"$tmp/db.cleanup.err" || return 1
	created_dbs=()
}

# drop_dbs DB...: drop the databases the test restore made.  bk has no
# tool that drops a database, so this uses Debian's python3-pymongo
# (BK_PYTHON, default /usr/bin/python3), the connection string in its
# environment.
drop_dbs() {
	[ $# -gt 0 ] || return 0
	local uri
	uri=$(cat -- "$BK_DRILL_URI_FILE") || return 1
	MONGODB_URI=$uri "${BK_PYTHON:-/usr/bin/python3}" -c '
import os, sys
from pymongo import MongoClient
c = MongoClient(os.environ["MONGODB_URI"], serverSelectionTimeoutMS=5000)
for d in sys.argv[1:]:
    if not d.startswith("bk_test_"):
        sys.exit("refusing to drop " + d)
    c.drop_database(d)
' "$@"
}

restore_files() {
	local s st
	if [ -z "${BK_DRILL_DIR:-}" ]; then
		fail 3 "files restore: BK_DRILL_DIR is not set"
		return 1
	fi
	begin files restore
	if ! mkdir -p -- "$BK_DRILL_DIR" ||
	    ! files_dir=$(mktemp -d "$BK_DRILL_DIR/$rname.XXXXXX"); then
		files_dir=
		stage files restore 3 "$s"
		fail 3 "files restore: cannot make a directory in BK_DRILL_DIR $BK_DRILL_DIR"
		return 1
	fi
	run "$tmp/files.plain" /dev/null "$tmp/files.restore.err" \
	    bk-restore --files "$files_dir/uploads" --no-progress --json="$tmp/files.restore.json"
	st=$rc
	stage files restore "$st" "$s"
	[ "$st" -eq 0 ] || { fail "$(stage_status "$st")" "files restore: bk-restore --files exited $st: $(tail -n 1 "$tmp/files.restore.err")"; return 1; }
	# validate: the restored tree against the archive, member by member
	# (type, size, mode, time, SHA-256 of the contents, links).
	begin files validate
	run "$tmp/files.plain" "$tmp/files.diff" "$tmp/files.validate.err" \
	    bk-restore --files "$files_dir/uploads" --validate --no-progress
	st=$rc
	stage files validate "$st" "$s"
	if [ "$st" -ne 0 ]; then
		fail "$(stage_status "$st")" "files validate: bk-restore --files --validate exited $st: $(head -n 1 "$tmp/files.diff" "$tmp/files.validate.err" | grep -v '^==>' | grep . | head -n 1)"
		return 1
	fi
	jq -c --slurpfile r "$tmp/files.restore.json" \
	    '.entries = ($r[0] | [.files, .directories, .symlinks, .hardlinks, .other] | map(. // 0) | add)' \
	    "$tmp/files.backup" >"$tmp/files.b2" && mv "$tmp/files.b2" "$tmp/files.backup"
	validated_at=$(now)
}

cleanup_files() {
	if [ -n "$files_dir" ]; then
		rm -rf -- "$files_dir" 2>"$tmp/files.cleanup.err" || return 1
	fi
	files_dir=
}

# --- the report -------------------------------------------------------------

report() {
	local finished json html rto rpo result k
	finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	mkdir -p -- "$report_dir" || { echo "$prog: cannot make the report directory $report_dir" >&2; return 1; }
	json=$report_dir/$rname.json
	html=$report_dir/$rname.html
	for k in db files; do
		[ ! -s "$tmp/$k.backup" ] || cat -- "$tmp/$k.backup"
	done | jq -sc . >"$tmp/backups.json" || echo '[]' >"$tmp/backups.json"
	touch "$tmp/stages.jsonl"
	rto=${validated_at:-null}
	rpo=$(jq -r --argjson start "$start_epoch" 'map($start - .epoch) | max // empty' "$tmp/backups.json")
	rpo=${rpo:-null}
	result=fail
	[ "$status" -ne 0 ] || result=pass
	jq -n --arg mode "$mode" --arg host "$host" --arg started "$started" \
	    --arg finished "$finished" --arg source "$source_shown" --arg region "$region" \
	    --arg result "$result" --arg failure "$failure" \
	    --argjson rto_t "$rto_target" --argjson rpo_t "$rpo_target" \
	    --argjson rto "$rto" --argjson rpo "$rpo" \
	    --argjson start "$start_epoch" \
	    --slurpfile backups "$tmp/backups.json" --slurpfile stages "$tmp/stages.jsonl" \
	    '{bk_drill: 1, mode: $mode, host: $host, started: $started,
	      finished: $finished, source: $source,
	      region: (if $region == "" then null else $region end), result: $result,
	      failure: (if $failure == "" then null else $failure end),
	      targets: {rto_seconds: $rto_t, rpo_seconds: $rpo_t},
	      rto_seconds: $rto, rpo_seconds: $rpo,
	      backups: [$backups[0][] | {kind, name, url: (.url | sub("\\?.*"; "")),
	        created, bytes: .size, sha256, key_id,
	        age_seconds: ($start - .epoch), storage_class}
	        + (if .kind == "db" then {documents: (.documents // null)}
	           else {entries: (.entries // null)} end)],
	      stages: $stages}' >"$json.tmp" || { echo "$prog: cannot write $json" >&2; return 1; }
	mv -f -- "$json.tmp" "$json" || return 1
	html_report <"$json" >"$html.tmp" && mv -f -- "$html.tmp" "$html" ||
	    echo "$prog: cannot write $html" >&2
	echo "RTO ${rto} s (target $rto_target s), RPO ${rpo} s (target $rpo_target s): $result${failure:+: $failure}"
	echo "report: $json"
}

# html_report: the JSON report on stdin, one self-contained HTML page on
# stdout (inline CSS and SVG, no script).  Every string goes through @html.
html_report() {
	jq -r '
def num: if . == null then "-" else (. * 1000 | round / 1000 | tostring) end;
def ok($v; $t): $v != null and $v <= $t;
def size: if . == null then "-" elif . >= 1073741824 then "\(. / 1073741824 * 100 | round / 100) GiB"
  elif . >= 1048576 then "\(. / 1048576 * 10 | round / 10) MiB"
  elif . >= 1024 then "\(. / 1024 * 10 | round / 10) KiB" else "\(.) bytes" end;
(.stages | map(.start + .seconds) | max // 0) as $total0
| (if $total0 > 0 then $total0 else 1 end) as $total
| (.stages | length) as $n
| 220 as $x0 | 700 as $w
| (.result == "pass") as $pass
| "<!DOCTYPE html>
<html lang=\"en\"><head><meta charset=\"utf-8\">
<title>bk \(.mode | @html) \(.started | @html)</title>
<style>
body{font-family:DejaVu Sans,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 8px}
.pass{background:#1a7f37;color:#fff}.fail{background:#cf222e;color:#fff}
.badge{display:inline-block;padding:6px 14px;border-radius:4px;font-weight:bold;font-size:20px}
table{border-collapse:collapse;margin:12px 0;font-size:13px}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}
.mono{font-family:DejaVu Sans Mono,monospace;font-size:12px;word-break:break-all}
.good{color:#1a7f37;font-weight:bold}.bad{color:#cf222e;font-weight:bold}
</style></head><body>
<h1>bk \(.mode | @html) on \(.host | @html)</h1>
<p><span class=\"badge \(if $pass then "pass" else "fail" end)\">\(if $pass then "PASS" else "FAIL" end)</span>
\(if .failure then " <span class=\"bad\">" + (.failure | @html) + "</span>" else "" end)</p>
<p>Source: <span class=\"mono\">\(.source | @html)</span>\(if .region then " (region " + (.region | @html) + ")" else "" end)<br>
Started \(.started | @html), finished \(.finished | @html)</p>
<table><tr><th></th><th>measured</th><th>target</th><th></th></tr>
<tr><td>RTO (start to last validation)</td><td>\(.rto_seconds | num) s</td><td>\(.targets.rto_seconds | num) s</td><td class=\"\(if ok(.rto_seconds; .targets.rto_seconds) then "good\">met" else "bad\">missed" end)</td></tr>
<tr><td>RPO (age of the newest backup used)</td><td>\(.rpo_seconds | num) s</td><td>\(.targets.rpo_seconds | num) s</td><td class=\"\(if ok(.rpo_seconds; .targets.rpo_seconds) then "good\">met" else "bad\">missed" end)</td></tr>
</table>
<h2 style=\"font-size:16px\">Timeline</h2>
<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\($x0 + $w + 120)\" height=\"\($n * 26 + 30)\" role=\"img\" aria-label=\"timeline\">
<line x1=\"\($x0)\" y1=\"0\" x2=\"\($x0)\" y2=\"\($n * 26 + 4)\" stroke=\"#999\"/>
\([.stages | to_entries[] | .key as $i | .value
  | ($x0 + (.start / $total * $w)) as $x
  | ([(.seconds / $total * $w), 2] | max) as $bw
  | "<text x=\"\($x0 - 8)\" y=\"\($i * 26 + 17)\" text-anchor=\"end\" font-size=\"13\">\(.kind | @html) \(.stage | @html)</text>
<rect x=\"\($x | num)\" y=\"\($i * 26 + 4)\" width=\"\($bw | num)\" height=\"18\" fill=\"\(if .status == 0 then "#2f81f7" else "#cf222e" end)\"/>
<text x=\"\(($x + $bw + 6) | num)\" y=\"\($i * 26 + 17)\" font-size=\"12\">\(.seconds | num) s\(if .status != 0 then " (status \(.status))" else "" end)</text>"] | join("\n"))
<text x=\"\($x0)\" y=\"\($n * 26 + 22)\" font-size=\"11\" fill=\"#555\">0 s</text>
<text x=\"\($x0 + $w)\" y=\"\($n * 26 + 22)\" font-size=\"11\" fill=\"#555\" text-anchor=\"end\">\($total | num) s</text>
</svg>
<h2 style=\"font-size:16px\">Backups</h2>
<table><tr><th>kind</th><th>name</th><th>created</th><th>age</th><th>bytes</th><th>count</th><th>key id</th><th>SHA-256</th></tr>
\([.backups[] | "<tr><td>\(.kind | @html)</td><td class=\"mono\">\(.name | @html)</td><td>\(.created | @html)</td><td>\(.age_seconds | num) s</td><td>\(.bytes | size)</td><td>\(if .kind == "db" then "\(.documents | num) documents" else "\(.entries | num) entries" end)</td><td class=\"mono\">\(.key_id // "-" | @html)</td><td class=\"mono\">\(.sha256 | @html)</td></tr>"] | join("\n"))
</table>
<h2 style=\"font-size:16px\">Stages</h2>
<table><tr><th>kind</th><th>stage</th><th>start</th><th>seconds</th><th>status</th></tr>
\([.stages[] | "<tr><td>\(.kind | @html)</td><td>\(.stage | @html)</td><td>\(.start | num)</td><td>\(.seconds | num)</td><td class=\"\(if .status == 0 then "good" else "bad" end)\">\(.status)</td></tr>"] | join("\n"))
</table>
</body></html>"'
}

# --- exits ------------------------------------------------------------------

stop_child() {
	[ -n "$child" ] || return 0
	kill -TERM "$child" 2>/dev/null
	kill -CONT "$child" 2>/dev/null
	local n=0
	while kill -0 "$child" 2>/dev/null && [ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -KILL "$child" 2>/dev/null
	wait "$child" 2>/dev/null
	child=
}

# finish: clean up what a test restore made, write the report, exit.
finish() {
	finishing=1
	trap '' INT TERM HUP
	stop_child
	[ -z "$reader" ] || { kill "$reader" 2>/dev/null; wait "$reader" 2>/dev/null; }
	if [ "$mode" = test-restore ] && [ ${#created_dbs[@]} -gt 0 ]; then
		drop_dbs "${created_dbs[@]}" ||
		    fail 3 "could not drop the test databases: ${created_dbs[*]}"
	fi
	if [ -n "$files_dir" ] && { [ "$mode" = test-restore ] || [ -z "$keep" ]; }; then
		rm -rf -- "$files_dir"
	fi
	[ -z "$tmp" ] || report
	[ -z "$tmp" ] || rm -rf -- "$tmp"
	tmp=
	trap - EXIT
	exit "$status"
}

on_signal() {
	[ -z "$finishing" ] || return 0
	stop_child
	status=$((128 + $2))
	[ ${#cur[@]} -eq 0 ] || stage "${cur[0]}" "${cur[1]}" "$status" "${cur[2]}"
	failure="interrupted by SIG$1"
	echo "$prog: interrupted by SIG$1" >&2
	finish
}

on_exit() {
	local rc=$?
	[ -z "$finishing" ] || return
	fail 3 "unexpected exit (status $rc)"
	finish
}

trap 'on_signal INT 2' INT
trap 'on_signal TERM 15' TERM
trap 'on_signal HUP 1' HUP
trap on_exit EXIT

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-drill.XXXXXX") || { tmp=; fail 3 "cannot make a temporary directory"; finish; }
: >"$tmp/stages.jsonl"
echo "$mode from $source_shown, started $started"

for kind in $kinds; do
	pick "$kind" || continue
	jq -c '.' "$tmp/$kind.pick" >"$tmp/$kind.backup"
	drill_kind "$kind" || continue
done

# Targets: a drill is judged on RTO and RPO; a test restore (a random,
# older backup) on its validation alone.
if [ "$status" -eq 0 ] && [ "$mode" = drill ]; then
	rpo=$(cat "$tmp"/*.backup | jq -s --argjson start "$start_epoch" 'map($start - .epoch) | max')
	if awk -v a="$validated_at" -v t="$rto_target" 'BEGIN { exit !(a > t) }'; then
		fail 1 "RTO ${validated_at} s is over the target $rto_target s"
	fi
	if [ "$rpo" -gt "$rpo_target" ]; then
		fail 1 "RPO $rpo s is over the target $rpo_target s"
	fi
fi
finish
