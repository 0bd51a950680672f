#!/bin/bash
# bk-backup.sh [-c CONF] db|files
#
# One backup, as cron runs it: bk-dump | bk-encrypt | bk-hash | bk-put to
# every destination of the configuration, then, only if every stage exited
# 0, bk-put --commit writes the sidecar and the manifest, last.  Every run
# appends a line to the audit log, rewrites the Prometheus metrics file and,
# when it fails, runs the alert command.  See bk(7) and examples/bk.conf.
#
# Exit status: 0 committed; 4 committed, but the directory changed while it
# was read; otherwise the first failing stage's status (75 = retry later).
set -euo pipefail

prog=bk-backup
conf=/etc/bk/bk.conf
usage() { echo "usage: $prog [-c conf] db|files" >&2; exit 2; }
while getopts c:h opt; do
	case $opt in
	c) conf=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
kind=$1
case $kind in db|files) ;; *) echo "$prog: $kind: expected db or files" >&2; exit 2 ;; esac

die() { echo "$prog: $*" >&2; exit 3; }
[ -r "$conf" ] || die "$conf: cannot read the configuration"
# The configuration is shell code run as the backup user: refuse one that
# others could have written.
perm=$(stat -L -c '%a' "$conf")
case $perm in *[2367]? | *[2367]) die "$conf: writable by group or other (mode $perm)" ;; esac
# shellcheck source=/dev/null
. "$conf"

: "${BK_DESTS:?$conf: BK_DESTS is not set}"
: "${BK_KEYRING:?$conf: BK_KEYRING is not set}"
BK_COMPRESS=${BK_COMPRESS:-zstd}
BK_STATE_DIR=${BK_STATE_DIR:-/var/lib/bk}
BK_METRICS_DIR=${BK_METRICS_DIR:-$BK_STATE_DIR/metrics}
BK_ALERT_CMD=${BK_ALERT_CMD:-}
export BK_KEYRING

mkdir -p "$BK_STATE_DIR" "$BK_METRICS_DIR"
host=$(hostname)
started=$(date -u +%s)
name=$kind-$(date -u -d "@$started" +%Y%m%dT%H%M%SZ).bk
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-backup.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# audit RESULT STATUS DETAIL: one JSON line per run, also to syslog.
audit() {
	local line
	line=$(jq -cn --arg time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	    --arg host "$host" --arg user "$(id -un)" --arg kind "$kind" \
	    --arg name "$name" --arg result "$1" --argjson exit "$2" \
	    --arg detail "$3" --argjson dests "$(printf '%s\n' "${dests[@]}" |
	    sed 's/?.*//' | jq -R . | jq -sc .)" \
	    '{time: $time, action: "backup", host: $host, user: $user,
	      kind: $kind, name: $name, result: $result, exit: $exit,
	      destinations: $dests, detail: $detail}')
	printf '%s\n' "$line" >>"$BK_STATE_DIR/audit.log"
	logger -t bk -- "$line" 2>/dev/null || true
}

# metrics STATUS BYTES: the node_exporter textfile, replaced atomically.
metrics() {
	local f=$BK_METRICS_DIR/bk_backup_$kind.prom now last_ok=0
	now=$(date -u +%s)
	if [ -f "$f" ]; then
		last_ok=$(awk '/^bk_backup_last_success_timestamp_seconds/ { print $2 }' "$f")
	fi
	if [ "$1" -eq 0 ] || [ "$1" -eq 4 ]; then
		last_ok=$now
	fi
	cat >"$f.tmp" <<EOM
# HELP bk_backup_last_run_timestamp_seconds When the last backup run ended.
# TYPE bk_backup_last_run_timestamp_seconds gauge
bk_backup_last_run_timestamp_seconds{kind="$kind"} $now
# HELP bk_backup_last_success_timestamp_seconds When the last committed backup ended.
# TYPE bk_backup_last_success_timestamp_seconds gauge
bk_backup_last_success_timestamp_seconds{kind="$kind"} ${last_ok:-0}
# HELP bk_backup_last_exit_status Exit status of the last run (0 ok, 4 incomplete).
# TYPE bk_backup_last_exit_status gauge
bk_backup_last_exit_status{kind="$kind"} $1
# HELP bk_backup_last_bytes Size of the last stored backup object.
# TYPE bk_backup_last_bytes gauge
bk_backup_last_bytes{kind="$kind"} $2
# HELP bk_backup_last_duration_seconds Duration of the last run.
# TYPE bk_backup_last_duration_seconds gauge
bk_backup_last_duration_seconds{kind="$kind"} $((now - started))
EOM
	mv "$f.tmp" "$f"
}

# finish STATUS DETAIL: record the outcome, alert if it is not a success.
finish() {
	local status=$1 detail=$2 bytes=0 result=committed
	[ -s "$tmp/put.json" ] && bytes=$(jq -r '.bytes // 0' "$tmp/put.json" 2>/dev/null || echo 0)
	case $status in
	0) ;;
	4) result=committed-incomplete ;;
	*) result=failed ;;
	esac
	audit "$result" "$status" "$detail"
	metrics "$status" "$bytes"
	if [ "$status" -ne 0 ]; then
		echo "$prog: $kind backup $name: $result: $detail" >&2
		if [ -n "$BK_ALERT_CMD" ]; then
			printf '%s\n' "$detail" "host: $host" "backup: $name" \
			    "destinations: ${dests[*]%%\?*}" |
			    $BK_ALERT_CMD "bk: $kind backup $result on $host" ||
			    echo "$prog: the alert command failed" >&2
		fi
	fi
	exit "$status"
}

# One destination URL per configured prefix: PREFIX/KIND/NAME, keeping a
# ?query (per-destination profile) at the end.
dests=()
for d in $BK_DESTS; do
	base=${d%%\?*}
	dests+=("${base%/}/$kind/$name${d#"$base"}")
done

# One backup of a kind at a time: a run that overlaps the last is an alert.
exec 8>"$BK_STATE_DIR/$kind.lock"
flock -n 8 || finish 75 "the previous $kind backup is still running"

case $kind in
db)
	if [ -n "${BK_MONGODB_URI_FILE:-}" ]; then
		MONGODB_URI=$(cat "$BK_MONGODB_URI_FILE") ||
		    finish 3 "cannot read $BK_MONGODB_URI_FILE"
	fi
	: "${MONGODB_URI:?neither BK_MONGODB_URI_FILE nor MONGODB_URI is set}"
	export MONGODB_URI
	# The source names the server without its credentials.
	source=$(printf '%s' "$MONGODB_URI" | sed -E 's#^(mongodb(\+srv)?://)[^@/]*@#\1#; s#\?.*##')
	dump=(bk-dump -z "$BK_COMPRESS")
	;;
files)
	: "${BK_UPLOADS_DIR:?$conf: BK_UPLOADS_DIR is not set}"
	source=$host:$BK_UPLOADS_DIR
	dump=(bk-dump --files "$BK_UPLOADS_DIR" -z "$BK_COMPRESS")
	for x in ${BK_FILES_EXCLUDE:-}; do
		dump+=(--exclude "$x")
	done
	;;
esac

set +e
"${dump[@]}" --no-progress --json="$tmp/dump.json" 2>"$tmp/dump.err" |
	bk-encrypt --no-progress --json="$tmp/enc.json" 2>"$tmp/enc.err" |
	bk-hash --no-progress -o "$tmp/sum" -n "$name" 2>"$tmp/hash.err" |
	bk-put --no-progress --json="$tmp/put.json" "${dests[@]}" 2>"$tmp/put.err"
st=("${PIPESTATUS[@]}")
set -e
cat "$tmp"/dump.err "$tmp"/enc.err "$tmp"/hash.err "$tmp"/put.err >&2

# The last stage that failed names the failure: a stage that dies makes
# those before it fail on a broken pipe, while those after it only see the
# stream end early (and exit 0).  4 from bk-dump --files (a changing
# directory) still gives a valid stream, committed and flagged.
stages=(bk-dump bk-encrypt bk-hash bk-put)
errs=(dump enc hash put)
for i in 3 2 1 0; do
	s=${st[$i]}
	if [ "$s" -ne 0 ] && { [ "$i" -ne 0 ] || [ "$s" -ne 4 ]; }; then
		finish "$s" "${stages[$i]} exited $s: $(tail -n 1 "$tmp/${errs[$i]}.err")"
	fi
done

key_id=$(jq -r '.key_id' "$tmp/enc.json")
set +e
bk-put --commit --sum "$tmp/sum" --kind "$kind" --key-id "$key_id" \
    --compression "$BK_COMPRESS" --source "$source" --counts "$tmp/dump.json" \
    "${dests[@]}" 2>"$tmp/commit.err"
s=$?
set -e
if [ "$s" -ne 0 ]; then
	cat "$tmp/commit.err" >&2
	finish "$s" "bk-put --commit exited $s: $(tail -n 1 "$tmp/commit.err")"
fi
if [ "${st[0]}" -eq 4 ]; then
	finish 4 "the directory changed while it was read: $(grep -c . "$tmp/dump.err") warning(s), first: $(head -n 1 "$tmp/dump.err")"
fi
finish 0 "$(jq -r '.bytes' "$tmp/put.json") bytes to ${#dests[@]} destination(s)"
