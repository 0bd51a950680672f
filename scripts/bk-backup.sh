#!/bin/bash
# bk-backup.sh [-c CONF] db|files|verify|prune|test-restore|drill
#
# The job runner, as cron or systemd runs it.  db and files: one backup,
# bk-dump | bk-encrypt | bk-hash | bk-put to every destination of the
# configuration, then bk-put --commit writes the sidecar and the manifest,
# last, at every destination that stored the whole stream.  verify: the
# daily bk-verify of every destination.  prune: bk-prune --apply by the
# retention policy.  test-restore and drill: bk-drill.sh, beside this
# script.  Every job runs under its own lock and timeout; every run that
# ends, however it ends (a usage or configuration error, a failing stage,
# a timeout, a signal), appends a line to the audit log, rewrites the
# Prometheus metrics files and, unless it is a plain success, runs the
# alert command.  See bk-backup(8), bk(7), examples/bk.conf.
set -euo pipefail

prog=bk-backup
conf=/etc/bk/bk.conf
job=
kind=
failed_stage=
timeout=0
timeout_var=
report=
drill_ran=
kinds=()
name=
dests=()
committed=()
pids=()
tmp=
finishing=
interrupted=
phase=setup

usage_text() {
	cat <<'EOU'
usage: bk-backup.sh [-c conf] db|files
       bk-backup.sh [-c conf] verify|prune|test-restore|drill
       bk-backup.sh --help

Runs one job.  A backup of the database (db) or of the uploads directory
(files) is stored at every destination of the configuration and committed
at each one that stored it whole.  Each job holds its own lock (a second
run of it exits 75) and is stopped after its timeout (BK_TIMEOUT_JOB).
Every run is audited, gets metrics, and raises an alert unless it is a
plain success.

  -c conf     the configuration (default /etc/bk/bk.conf), a shell
              fragment owned by this user or root that nobody else can
              write, in directories nobody else can write
  -h, --help  this text
  db          dump the databases of BK_DB_NAMES, else the one the
              connection string (BK_MONGODB_URI_FILE) names, else all
  files       archive BK_UPLOADS_DIR
  verify      bk-verify --level full, new backups, at every destination,
              with --max-age per kind, and a deep sample
  prune       bk-prune --apply at every destination, by BK_KEEP_DB and
              BK_KEEP_FILES, never past the last verified backup
  test-restore  bk-drill.sh --test-restore: a recent backup restored into
              a scratch target, validated, removed
  drill       bk-drill.sh: the newest backups restored, validated, timed

Exit status: 0 committed everywhere, or the job passed; 1 a finding: a
backup bad or stale (verify), a prune refused, a restore test or drill
that failed its targets; 2 usage; 3 configuration or stage failure, or
fewer than BK_MIN_DESTINATIONS stored it; 4 committed, but degraded (not
at every destination) or files changed while read; 75 retry later, or the
job is already running; 124 the job's timeout expired; 128+N stopped by
signal N.  See bk-backup(8).
EOU
}

# --- recording: audit, metrics, alert ---------------------------------------

# Settings for recording, from the environment until the configuration has
# been read (a refused configuration is never sourced, so its run is
# recorded where the environment, or the default, says).
record_defaults() {
	BK_STATE_DIR=${BK_STATE_DIR:-/var/lib/bk}
	BK_AUDIT_LOG=${BK_AUDIT_LOG:-$BK_STATE_DIR/audit.log}
	BK_METRICS_DIR=${BK_METRICS_DIR:-$BK_STATE_DIR/metrics}
	BK_ALERT_CMD=${BK_ALERT_CMD:-}
}

host=$(hostname)
started=$(date -u +%s)
# The database URI may hold a password: it goes to bk-dump alone (with_uri),
# never to the other stages or the alert command, whoever exported it.
export -n MONGODB_URI
# libmongoc's counters in memory, not in /dev/shm (bk(7)).
export MONGOC_DISABLE_SHM=1

# The kind as a metrics label and file name: what was asked if it is a
# plain word, else "invalid".
kind_label() {
	case $kind in
	'' | *[!a-z0-9_]* ) echo invalid ;;
	*) printf '%.32s\n' "$kind" ;;
	esac
}

# The job as a metrics label (db, files, verify, prune, test-restore,
# drill; what was asked if it is a plain word, else "invalid").
job_label() {
	case $job in
	'' | *[!a-z0-9_-]* ) echo invalid ;;
	*) printf '%.32s\n' "$job" ;;
	esac
}

# is_backup: the job is a backup (db, files, or a kind to be refused), or
# none was named yet.
is_backup() { [ -n "$kind" ] || [ -z "$job" ]; }

# kind_prefix DEST KIND: the directory of KIND's backups under a
# destination prefix of BK_DESTS, keeping its ?query at the end.
kind_prefix() {
	local base=${1%%\?*}
	printf '%s\n' "${base%/}/$2/${1#"$base"}"
}

# A URL without its ?settings (profiles and endpoints are not secrets, but
# they are noise in an alert).
strip_query() { printf '%s\n' "${1%%\?*}"; }

# shellcheck disable=SC2317 # run by audit_line
json_array() {
	local u
	for u in "$@"; do
		strip_query "$u"
	done | jq -R . | jq -sc .
}

# The audit log is one hash chain (bk(7) AUDIT): the tools append their
# lines themselves (BK_AUDIT_LOG is exported to every stage), this script
# appends its per-run line the same way: under flock(1) on the log, "seq"
# one more than the last line's and "prev" the SHA-256 of that line.
genesis=0000000000000000000000000000000000000000000000000000000000000000

# audit_tip: "SEQ SHA256" of the audit log's last line ("0 GENESIS" for an
# empty log), for a caller holding the log's lock.  Fails if the last line
# is torn (no newline) or not an audit line: nothing is chained onto it.
# shellcheck disable=SC2317 # run by audit_line and audit_digest_text
audit_tip() {
	local last seq sum
	if [ ! -s "$BK_AUDIT_LOG" ]; then
		echo "0 $genesis"
		return 0
	fi
	[ -z "$(tail -c 1 -- "$BK_AUDIT_LOG")" ] || return 1
	last=$(tail -n 1 -- "$BK_AUDIT_LOG")
	seq=$(jq -er 'select((.seq | type) == "number" and .seq >= 1) | .seq' \
	    <<<"$last" 2>/dev/null) || return 1
	sum=$(printf '%s' "$last" | sha256sum) || return 1
	echo "$seq ${sum%% *}"
}

# audit_locked CMD...: run CMD holding the audit log's lock (fd 9, which
# CMD may write to: the log, opened for appending), creating the log
# private if it is not there.  A signal that comes meanwhile is handled
# when the lock is released (on_signal): its handler records the run in
# the same log, and doing so inside would wait for this very lock
# forever, or chain a line into the middle of another.  Waits at most
# 120 s for another run's lock.
audit_held=
pending_sig=
audit_locked() {
	local rc=0 sig
	mkdir -p "$BK_STATE_DIR" || return 1
	[ -e "$BK_AUDIT_LOG" ] || (umask 077 && : >>"$BK_AUDIT_LOG") || return 1
	audit_held=1
	{ flock -w 120 9 && "$@"; } 9>>"$BK_AUDIT_LOG" || rc=$?
	audit_held=
	if [ -n "$pending_sig" ]; then
		sig=$pending_sig
		pending_sig=
		case $sig in
		ALRM*) on_timeout ;;
		*) on_signal "${sig% *}" "${sig#* }" ;;
		esac
	fi
	return "$rc"
}

# audit_line RESULT STATUS DETAIL (under the lock): the run's line.
# shellcheck disable=SC2317 # run by audit_locked
audit_line() {
	local tip seq sha=null
	tip=$(audit_tip) || {
		echo "$prog: audit log $BK_AUDIT_LOG: its last line is torn or not an audit line; check it (bk(7) AUDIT)" >&2
		return 1
	}
	seq=$((${tip%% *} + 1))
	if [ -n "$tmp" ] && [ -s "$tmp/sum" ]; then
		sha=$(cut -c 1-64 "$tmp/sum" | jq -R .) || sha=null
	fi
	audit_text=$(jq -cn --argjson seq "$seq" --arg prev "${tip#* }" \
	    --arg time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	    --arg host "$host" --arg user "$(id -un)" --argjson uid "$(id -u)" \
	    --argjson pid $$ --arg kind "$kind" --arg job "$job" \
	    --arg name "$name" --arg result "$1" --argjson exit "$2" \
	    --arg detail "$3" --argjson dests "$(json_array "${dests[@]}")" \
	    --argjson committed "$(json_array "${committed[@]}")" \
	    --argjson sha "$sha" --arg stage "$failed_stage" \
	    --arg op "$(if is_backup; then echo backup; else echo "$job"; fi)" \
	    '{seq: $seq, prev: $prev, time: $time, host: $host, user: $user,
	      uid: $uid, pid: $pid, tool: "bk-backup.sh", op: $op,
	      objects: $dests, sha256: $sha, action: $op, job: $job,
	      kind: $kind, name: $name, result: $result, exit: $exit,
	      destinations: $dests, committed_destinations: $committed,
	      stage: $stage, detail: $detail}
	     | if $op != "backup" then del(.kind, .name, .committed_destinations) else . end
	     | if $stage == "" then del(.stage) else . end
	     | if $job == "" then del(.job) else . end
	     | with_entries(select(.value != null))') &&
	    printf '%s\n' "$audit_text" >&9
}

# audit RESULT STATUS DETAIL: one line per run in the chain, and its hash
# to syslog.
audit() {
	local sum
	audit_text=
	audit_locked audit_line "$@" || return 1
	sum=$(printf '%s' "$audit_text" | sha256sum)
	logger -t bk-backup -p authpriv.info -- "audit seq=$(jq -r .seq <<<"$audit_text") sha256=${sum%% *} op=$(if is_backup; then echo "backup kind=$(kind_label)"; else job_label; fi) result=$1 exit=$2" 2>/dev/null || true
}

# audit_digest_text (under the lock): the digest of the audit log as it
# stands, an anchor for its last line (bk(7) AUDIT).
# shellcheck disable=SC2317 # run by audit_locked
audit_digest_text() {
	local tip
	tip=$(audit_tip) && [ "${tip%% *}" -gt 0 ] || return 1
	jq -cn --argjson seq "${tip%% *}" --arg sha "${tip#* }" \
	    --arg time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg host "$host" \
	    --arg log "$BK_AUDIT_LOG" --arg backup "$name" \
	    '{type: "bk-audit-digest", seq: $seq, sha256: $sha, time: $time,
	      host: $host, log: $log, backup: $backup}'
}

# store_digest: the digest beside the backup at every destination that
# committed it, as PREFIX/audit/NAME.digest.  Warns, never fails the run.
store_digest() {
	local d base prefix urls=()
	phase=digest
	audit_locked audit_digest_text >"$tmp/digest" 9>&- 2>/dev/null || {
		echo "$prog: cannot make the audit digest of $BK_AUDIT_LOG" >&2
		return 0
	}
	for d in "${committed[@]}"; do
		base=${d%%\?*}
		prefix=${base%/*/*}
		urls+=("$prefix/audit/$name.digest${d#"$base"}")
	done
	run_bg digest "$tmp/digest" /dev/null bk-put --no-progress "${urls[@]}"
	wait_all
	if [ "${st[0]}" -ne 0 ]; then
		echo "$prog: the audit digest was not stored everywhere: $(tail -n 1 "$tmp/digest.err")" >&2
	fi
}

# write_prom NAME: standard input as the node_exporter textfile
# BK_METRICS_DIR/NAME.prom, replaced atomically.
write_prom() {
	local f=$BK_METRICS_DIR/$1.prom t
	mkdir -p "$BK_METRICS_DIR" || return 1
	t=$(mktemp "$f.XXXXXX") || return 1
	cat >"$t" || { rm -f "$t"; return 1; }
	chmod 644 "$t" && mv "$t" "$f"
}

# success_time STATUS NAME METRIC: now if STATUS is a success (0, or 4:
# committed), else the value of METRIC in BK_METRICS_DIR/NAME.prom, 0 if
# there is none: a failed run keeps the time of the last success.
success_time() {
	local v=
	if [ "$1" -eq 0 ] || [ "$1" -eq 4 ]; then
		date -u +%s
		return
	fi
	[ ! -f "$BK_METRICS_DIR/$2.prom" ] ||
	    v=$(awk -v m="$3" '$1 ~ "^" m "({|$)" { print $2 }' "$BK_METRICS_DIR/$2.prom")
	case $v in '' | *[!0-9]*) v=0 ;; esac
	echo "$v"
}

# gauge NAME HELP SERIES...: a gauge in the text format, with one line
# NAME SERIES for each SERIES ("{label=\"x\"} 3", or " 3"); nothing
# without a series.
gauge() {
	local n=$1 h=$2 x
	shift 2
	[ $# -gt 0 ] || return 0
	printf '# HELP %s %s\n# TYPE %s gauge\n' "$n" "$h" "$n"
	for x in "$@"; do
		printf '%s%s\n' "$n" "$x"
	done
}

# job_metrics STATUS: bk_job_LABEL.prom, for every job.
job_metrics() {
	local label now l
	label=$(job_label)
	now=$(date -u +%s)
	l="{job=\"$label\"}"
	{
		gauge bk_job_last_run_timestamp_seconds "When the last run of the job ended." "$l $now"
		gauge bk_job_last_success_timestamp_seconds "When the last successful run of the job ended." \
		    "$l $(success_time "$1" "bk_job_${label//-/_}" bk_job_last_success_timestamp_seconds)"
		gauge bk_job_duration_seconds "Duration of the last run of the job." "$l $((now - started))"
		gauge bk_job_exit_status "Exit status of the last run of the job (bk-backup(8))." "$l $1"
	} | write_prom "bk_job_${label//-/_}"
}

# metrics STATUS BYTES: the backup's own file, bk_backup_KIND.prom.
metrics() {
	local label now l
	label=$(kind_label)
	now=$(date -u +%s)
	l="{kind=\"$label\"}"
	{
		gauge bk_backup_last_run_timestamp_seconds "When the last backup run ended." "$l $now"
		gauge bk_backup_last_success_timestamp_seconds "When the last committed backup ended." \
		    "$l $(success_time "$1" "bk_backup_$label" bk_backup_last_success_timestamp_seconds)"
		gauge bk_backup_last_exit_status "Exit status of the last run (0 ok, 4 degraded or incomplete)." "$l $1"
		gauge bk_backup_last_bytes "Size of the last stored backup object." "$l $2"
		gauge bk_backup_last_destinations_committed "Destinations the last run committed to." \
		    "$l ${#committed[@]}"
		gauge bk_backup_last_duration_seconds "Duration of the last run." "$l $((now - started))"
	} | write_prom "bk_backup_$label"
}

# finish STATUS DETAIL [RESULT]: record the outcome, alert unless it is a
# plain success, clean up, exit STATUS.  Recording never stops the exit:
# what cannot be recorded is said on stderr.
finish() {
	local status=$1 detail=$2 result=${3:-} bytes=0
	# Nothing here may end the run early: it must be recorded.
	set +e
	finishing=1
	stop_children
	if [ -n "$interrupted" ] && [ -n "$tmp" ]; then
		# What the stopped stages said (bk-put: the aborted uploads).
		cat "$tmp"/*.err >&2 2>/dev/null
	fi
	# The configuration may have stopped half-way.
	record_defaults
	if [ -z "$result" ]; then
		case $status in
		0) if is_backup; then result=committed; else result=ok; fi ;;
		4) result="committed-incomplete" ;;
		124) result=timeout ;;
		*) result=failed ;;
		esac
	fi
	if [ -n "$tmp" ] && [ -s "$tmp/put.json" ]; then
		bytes=$(jq -r '.bytes // 0' "$tmp/put.json" 2>/dev/null) || bytes=0
	fi
	audit "$result" "$status" "$detail" 8>&- ||
	    echo "$prog: cannot append to the audit log $BK_AUDIT_LOG" >&2
	{ job_metrics "$status" && { ! is_backup || metrics "$status" "${bytes:-0}"; } &&
	    { [ "$job" != drill ] && [ "$job" != test-restore ] ||
	    drill_metrics "$status"; }; } 8>&- ||
	    echo "$prog: cannot write the metrics in $BK_METRICS_DIR" >&2
	if is_backup; then
		what="${kind:-?} backup"
	else
		what="$job job"
	fi
	[ "$status" -eq 0 ] ||
	    echo "$prog: $what${name:+ $name}: $result: $detail" >&2
	# The alert: on a failure or a degraded run; on a success too with
	# BK_ALERT_ON_SUCCESS=yes (bk-alert.sh then resolves the PagerDuty
	# incident and pings the dead-man's switch).  The facts go in the
	# environment (bk-alert(8)).
	if [ -n "$BK_ALERT_CMD" ] && { [ "$status" -ne 0 ] ||
	    [ "${BK_ALERT_ON_SUCCESS:-no}" = yes ]; }; then
		case $status in
		0) event=success ;;
		4) event=degraded ;;
		*) event=failure ;;
		esac
		# shellcheck disable=SC2086 # a command line, split on purpose
		{
			printf '%s\n' "${detail:-$result}" "host: $host"
			if is_backup; then
				echo "backup: ${name:-none}"
			else
				echo "job: $job"
			fi
			echo "destinations: $(for d in "${dests[@]}"; do strip_query "$d"; done | tr '\n' ' ')"
			[ ! -s "${report:-}" ] || echo "report: $report"
		} | env BK_ALERT_EVENT="$event" \
		    BK_ALERT_JOB="$(if is_backup; then echo "backup ${kind:-?}"; else echo "$job"; fi)" \
		    BK_ALERT_STAGE="${failed_stage:-$phase}" BK_ALERT_STATUS="$status" \
		    $BK_ALERT_CMD "bk: $what $result on $host" 8>&- ||
		    echo "$prog: the alert command failed" >&2
	fi
	cleanup
	trap - EXIT
	exit "$status"
}

# --- children, signals, clean-up --------------------------------------------

alive() {
	local p
	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null && return 0
	done
	return 1
}

# Stop every stage still running: SIGTERM (and SIGCONT, should one be
# stopped), then SIGKILL to what is left after 30 s, and to the process
# group of a stage that leads one (bk-drill.sh runs in its own: what it
# left behind goes too), and reap them all.
stop_children() {
	local p n=0 more
	# Also a child forked just before a signal came, not yet in pids; each
	# only once: a second signal ends bk-put before it aborts its uploads.
	more=$(jobs -p)
	for p in $more; do
		case " ${pids[*]} " in *" $p "*) ;; *) pids+=("$p") ;; esac
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		kill -CONT "$p" 2>/dev/null || true
	done
	while alive && [ "$n" -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
		kill -KILL -- "-$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	pids=()
}

# The temporary directory goes only when no child can write into it.
cleanup() {
	stop_children
	if [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
	tmp=
}

# shellcheck disable=SC2317 # run by the traps below
on_signal() {
	local sig=$1 num=$2
	if [ -n "$audit_held" ]; then
		# Handled when the audit log's lock is released (audit_locked).
		pending_sig="$sig $num"
		return 0
	fi
	if [ -n "$finishing" ]; then
		# Recording is under way: a second signal hurries the stages.
		local p
		for p in "${pids[@]}"; do
			kill -KILL "$p" 2>/dev/null || true
		done
		return 0
	fi
	interrupted=$sig
	[ "$phase" = setup ] || failed_stage=${failed_stage:-$phase}
	case $phase in
	pipeline) finish $((128 + num)) "interrupted by SIG$sig; the pipeline was stopped and nothing was committed" ;;
	commit) finish $((128 + num)) "interrupted by SIG$sig during the commit; some destinations may hold a manifest" ;;
	digest) finish $((128 + num)) "interrupted by SIG$sig after the commit, while storing the audit digest" ;;
	setup) finish $((128 + num)) "interrupted by SIG$sig before the $(if is_backup; then echo backup; else echo job; fi) began" ;;
	*) finish $((128 + num)) "interrupted by SIG$sig in stage $phase; the job was stopped" ;;
	esac
}

# The job's timeout (BK_TIMEOUT_JOB): a watchdog child sends SIGALRM to
# this shell, which stops the whole pipeline and records the run failed
# with 124, naming the stage it was in.
# shellcheck disable=SC2317 # run by the trap below
on_timeout() {
	if [ -n "$audit_held" ]; then
		# Handled when the audit log's lock is released (audit_locked).
		pending_sig="ALRM 14"
		return 0
	fi
	[ -z "$finishing" ] || return 0
	interrupted=ALRM
	failed_stage=$phase
	finish 124 "timed out after ${timeout}s ($timeout_var) in stage $phase; the job was stopped"
}

# start_watchdog: SIGALRM to this shell after $timeout seconds (0: never).
# Its sleep goes with it when it is stopped.
start_watchdog() {
	[ "$timeout" -gt 0 ] || return 0
	(
		trap - ALRM INT HUP
		sleep "$timeout" &
		s=$!
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		wait "$s" && kill -ALRM $$
	) 8>&- </dev/null >/dev/null &
}

# Any other way out (a command that failed under set -e, an unset
# variable, a configuration that calls exit) is recorded as a failure.
# shellcheck disable=SC2317 # run by the trap below
on_exit() {
	local rc=$1
	if [ -z "$finishing" ]; then
		[ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] || rc=3
		finish "$rc" "unexpected exit (status $1)${err_line:+ after line $err_line: $err_cmd}"
	fi
	cleanup
}

err_line=
err_cmd=
trap 'err_line=$LINENO err_cmd=$BASH_COMMAND' ERR
trap 'on_exit $?' EXIT
trap 'on_signal INT 2' INT
trap 'on_signal TERM 15' TERM
trap 'on_signal HUP 1' HUP
trap 'on_timeout' ALRM

# run_bg NAME IN OUT CMD...: start CMD in the background, reading IN and
# writing OUT (opened by the child: they may be FIFOs), its standard error
# in $tmp/NAME.err, not holding the lock; its PID is appended to pids.
# with_uri CMD...: become CMD with MONGODB_URI in its environment (only
# its).  Called in run_bg's background subshell, which exec replaces, so
# the stage's PID is CMD's own and a signal for the stage reaches it.
# shellcheck disable=SC2317 # called through the dump array
with_uri() {
	MONGODB_URI=$MONGODB_URI exec "$@"
}

run_bg() {
	local n=$1 in=$2 out=$3
	shift 3
	"$@" <"$in" >"$out" 2>"$tmp/$n.err" 8>&- &
	pids+=($!)
}

# wait_all: the exit status of each child in st, in the order of pids.  A
# signal to this shell interrupts the wait and runs its trap.
wait_all() {
	local p s
	st=()
	for p in "${pids[@]}"; do
		s=0
		wait "$p" || s=$?
		st+=("$s")
	done
	pids=()
}

# --- the command line ---------------------------------------------------------

# The environment's settings, before the configuration may change them.
env_state=${BK_STATE_DIR-} env_metrics=${BK_METRICS_DIR-} env_alert=${BK_ALERT_CMD-}
env_audit=${BK_AUDIT_LOG-}
record_defaults
help() {
	usage_text
	trap - EXIT
	exit 0
}
[ "${1:-}" != --help ] || help
usage_error() {
	usage_text | head -n 2 >&2
	finish 2 "usage: $*"
}
while getopts :c:h opt; do
	case $opt in
	c) conf=$OPTARG ;;
	h) help ;;
	:) usage_error "-$OPTARG needs an argument" ;;
	*) usage_error "illegal option -$OPTARG" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage_error "expected one job: db, files, verify, prune, test-restore or drill"
job=$1
case $job in
verify | prune | test-restore | drill) ;;
# A backup; another word is refused, recorded as a backup of that kind.
*) kind=$job ;;
esac

# --- the configuration ------------------------------------------------------

# path_owner_ok PATH: owned by us or root, and writable by nobody else,
# except a sticky directory (like /tmp), where others cannot rename or
# remove what is ours.  Prints why not.
path_owner_ok() {
	local uid mode me
	me=$(id -u)
	read -r uid mode < <(stat -c '%u %f' -- "$1") || { echo "cannot stat it"; return 1; }
	mode=$((16#$mode))
	if [ "$uid" -ne 0 ] && [ "$uid" -ne "$me" ]; then
		echo "owned by uid $uid, neither root nor uid $me"
		return 1
	fi
	if [ $((mode & 8#022)) -ne 0 ]; then
		if [ -d "$1" ] && [ $((mode & 8#1000)) -ne 0 ]; then
			return 0
		fi
		printf 'writable by group or other (mode %o)\n' $((mode & 8#7777))
		return 1
	fi
}

# secure_conf PATH: the file and every directory and symbolic link met on
# the way from / to it, following each link as the kernel does, pass
# path_owner_ok; the file is a regular file.  Prints the reason if not.
secure_conf() {
	local rest=$1 done_ comp cur target why links=0
	case $rest in /*) ;; *) rest=$(pwd -P)/$rest ;; esac
	done_=
	why=$(path_owner_ok /) || { echo "/: $why"; return 1; }
	while [ -n "$rest" ]; do
		rest=${rest#/}
		comp=${rest%%/*}
		if [ "$comp" = "$rest" ]; then rest=; else rest=${rest#*/}; fi
		case $comp in
		'' | .) continue ;;
		..) done_=${done_%/*}; continue ;;
		esac
		cur=$done_/$comp
		if [ -L "$cur" ]; then
			links=$((links + 1))
			[ "$links" -le 40 ] || { echo "$cur: too many symbolic links"; return 1; }
			target=$(readlink -- "$cur") || { echo "$cur: unreadable symbolic link"; return 1; }
			case $target in /*) done_= ;; esac
			rest=$target${rest:+/$rest}
			continue
		fi
		if [ ! -e "$cur" ]; then
			echo "$cur: no such file or directory"
			return 1
		fi
		why=$(path_owner_ok "$cur") || { echo "$cur: $why"; return 1; }
		done_=$cur
	done
	if [ ! -f "$done_" ]; then
		echo "$done_: not a regular file"
		return 1
	fi
}

conf_fail() { finish 3 "$conf: $*"; }

why=$(secure_conf "$conf") || conf_fail "refused: $why"
[ -r "$conf" ] || conf_fail "cannot read the configuration"
# Everything set before this line came from the environment; the
# configuration may override it.
BK_STATE_DIR=$env_state BK_METRICS_DIR=$env_metrics BK_ALERT_CMD=$env_alert
BK_AUDIT_LOG=$env_audit
# shellcheck source=/dev/null
. "$conf" || conf_fail "the configuration failed (status $?)"
record_defaults
case $kind in
'' | db | files) ;;
*) usage_error "$kind: expected db or files (a backup), or verify, prune, test-restore, drill" ;;
esac
BK_COMPRESS=${BK_COMPRESS:-zstd}
BK_MIN_DESTINATIONS=${BK_MIN_DESTINATIONS:-1}

[ -n "${BK_DESTS:-}" ] || conf_fail "BK_DESTS is not set"
for d in $BK_DESTS; do
	case $d in
	s3://?* | file:///*) ;;
	*) conf_fail "BK_DESTS: $d: not an s3:// or file:/// URL" ;;
	esac
	is_backup || dests+=("$d")
done
# The key: a keyring (AES keys, or X25519 public keys on a write-only
# host), or a KMS key (BK_KMS_KEY_ID: a fresh data key per backup).
# verify and prune need none (verify's deep sample takes the keyring).
enc_key=()
if [ -n "${BK_KMS_KEY_ID:-}" ]; then
	enc_key=(--kms-key-id "$BK_KMS_KEY_ID")
	unset BK_KEYRING
	export BK_KMS_KEY_ID
elif [ "$job" = verify ] || [ "$job" = prune ]; then
	[ -z "${BK_KEYRING:-}" ] || export BK_KEYRING
else
	[ -n "${BK_KEYRING:-}" ] || conf_fail "neither BK_KEYRING nor BK_KMS_KEY_ID is set"
	if [ ! -f "$BK_KEYRING" ] || [ ! -r "$BK_KEYRING" ]; then
		conf_fail "BK_KEYRING $BK_KEYRING: no such readable file"
	fi
	export BK_KEYRING
fi
# Every stage appends its own line to the audit chain.
export BK_AUDIT_LOG

# The timeout of the job, in seconds: BK_TIMEOUT_DB, ..._TEST_RESTORE;
# 0 for none.
case $job in
db) timeout=10800 ;;
files) timeout=21600 ;;
verify) timeout=14400 ;;
prune) timeout=3600 ;;
test-restore) timeout=14400 ;;
drill) timeout=28800 ;;
esac
timeout_var=BK_TIMEOUT_$(printf '%s' "$job" | tr a-z- A-Z_)
timeout=${!timeout_var:-$timeout}
case $timeout in
'' | *[!0-9]* | ?????????*) conf_fail "$timeout_var=$timeout: want a number of seconds (0: none)" ;;
esac
timeout=$((10#$timeout))

mkdir -p "$BK_STATE_DIR" || conf_fail "cannot create BK_STATE_DIR $BK_STATE_DIR"
# One run of a job at a time (a backup: of a kind): a run that overlaps
# the last is refused (75), recorded and alerted; other jobs go on.  The
# lock is fd 8, which no child inherits.
exec 8>"$BK_STATE_DIR/$job.lock"
flock -n 8 || finish 75 "the previous $job $(if is_backup; then echo backup; else echo job; fi) is still running"
start_watchdog
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-backup.XXXXXX")

backup_job() {
	# Names have one-second resolution and are never reused: a run that starts
	# in the second the last run of this kind was named in (it may have failed
	# and left an uncommitted object under that name, which nothing
	# overwrites) waits for the next second.  The lock above makes this safe.
	named=$BK_STATE_DIR/$kind.last-name-second
	last=$(cat -- "$named" 2>/dev/null) || last=0
	case $last in '' | *[!0-9]*) last=0 ;; esac
	sec=$(date -u +%s)
	while [ "$sec" -eq "$last" ]; do
		sleep 0.1
		sec=$(date -u +%s)
	done
	{ printf '%s\n' "$sec" >"$named.tmp" && mv -f -- "$named.tmp" "$named"; } ||
	    conf_fail "cannot write $named"
	name=$kind-$(date -u -d "@$sec" +%Y%m%dT%H%M%SZ).bk
	# One destination URL per configured prefix: PREFIX/KIND/NAME, keeping a
	# ?query (per-destination profile) at the end.
	for d in $BK_DESTS; do
		base=${d%%\?*}
		dests+=("${base%/}/$kind/$name${d#"$base"}")
	done
	case $BK_MIN_DESTINATIONS in
	all) BK_MIN_DESTINATIONS=${#dests[@]} ;;
	[1-9] | [1-9][0-9]) ;;
	*) conf_fail "BK_MIN_DESTINATIONS=$BK_MIN_DESTINATIONS: want a number from 1 or all" ;;
	esac
	[ "$BK_MIN_DESTINATIONS" -le ${#dests[@]} ] ||
	    conf_fail "BK_MIN_DESTINATIONS=$BK_MIN_DESTINATIONS, but BK_DESTS has ${#dests[@]} destination(s)"

	case $kind in
	db)
		if [ -n "${BK_MONGODB_URI_FILE:-}" ]; then
			MONGODB_URI=$(cat -- "$BK_MONGODB_URI_FILE") ||
			    conf_fail "cannot read BK_MONGODB_URI_FILE $BK_MONGODB_URI_FILE"
		fi
		[ -n "${MONGODB_URI:-}" ] ||
		    conf_fail "neither BK_MONGODB_URI_FILE nor MONGODB_URI gives a database"
		# The source names the server without its credentials.
		source=$(printf '%s' "$MONGODB_URI" | sed -E 's#^(mongodb(\+srv)?://)[^@/]*@#\1#; s#\?.*##')
		dump=(with_uri bk-dump -z "$BK_COMPRESS")
		# Without names bk-dump takes the URI's database (all of them if the
		# URI names none).
		for x in ${BK_DB_NAMES:-}; do
			dump+=(--db "$x")
		done
		;;
	files)
		[ -n "${BK_UPLOADS_DIR:-}" ] || conf_fail "BK_UPLOADS_DIR is not set"
		source=$host:$BK_UPLOADS_DIR
		dump=(bk-dump --files "$BK_UPLOADS_DIR" -z "$BK_COMPRESS")
		for x in ${BK_FILES_EXCLUDE:-}; do
			dump+=(--exclude "$x")
		done
		;;
	esac


	# --- the pipeline -------------------------------------------------------------

	# Each stage is a child of this shell, joined to the next by a FIFO, so a
	# signal reaches this shell at once (wait is interruptible, a foreground
	# pipeline is not) and every stage can be stopped by its PID.
	mkfifo "$tmp/dump.out" "$tmp/enc.out" "$tmp/hash.out"
	phase=pipeline
	run_bg dump /dev/null "$tmp/dump.out" "${dump[@]}" --no-progress --json="$tmp/dump.json"
	run_bg enc "$tmp/dump.out" "$tmp/enc.out" bk-encrypt "${enc_key[@]}" --no-progress --json="$tmp/enc.json"
	run_bg hash "$tmp/enc.out" "$tmp/hash.out" bk-hash --no-progress -o "$tmp/sum" -n "$name"
	run_bg put "$tmp/hash.out" /dev/null bk-put --no-progress --json="$tmp/put.json" "${dests[@]}"
	wait_all
	pst=("${st[@]}")
	cat "$tmp"/dump.err "$tmp"/enc.err "$tmp"/hash.err "$tmp"/put.err >&2

	# The last stage that failed names the failure: a stage that dies makes
	# those before it fail on a broken pipe, while those after it only see the
	# stream end early (and exit 0).  4 from bk-dump --files (a changing
	# directory) still gives a valid stream, committed and flagged.  bk-put
	# failing alone means that some destination failed; the others may hold
	# the whole stream.
	stages=(bk-dump bk-encrypt bk-hash bk-put)
	errs=(dump enc hash put)
	for i in 2 1 0; do
		s=${pst[$i]}
		if [ "$s" -ne 0 ] && { [ "$i" -ne 0 ] || [ "$s" -ne 4 ]; }; then
			[ "${pst[3]}" -eq 0 ] || i=3 s=${pst[3]}
			failed_stage=${stages[$i]}
			finish "$s" "${stages[$i]} exited $s: $(tail -n 1 "$tmp/${errs[$i]}.err")"
		fi
	done

	# The destinations that stored the whole stream: bk-put says so for each
	# (--json), and it read every byte bk-encrypt wrote.
	stored=()
	put_errors=
	if [ "${pst[3]}" -eq 0 ]; then
		stored=("${dests[@]}")
	elif [ "${pst[3]}" -eq 3 ] || [ "${pst[3]}" -eq 75 ]; then
		enc_bytes=$(jq -r '.bytes_out' "$tmp/enc.json" 2>/dev/null) || enc_bytes=
		if jq -e --argjson n ${#dests[@]} --arg b "$enc_bytes" \
		    '(.destinations | length) == $n and (.bytes | tostring) == $b' \
		    "$tmp/put.json" >/dev/null 2>&1; then
			while read -r i; do
				stored+=("${dests[$i]}")
			done < <(jq -r '.destinations | to_entries[] | select(.value.ok == true) | .key' "$tmp/put.json")
		fi
		# Each failed destination's own message names it; bk-put gives
		# none for some, but its last message is theirs when only one failed.
		put_errors=$(jq -r '.error as $last | [.destinations[] | select(.ok != true)] as $f |
		    [$f[] | .error // (if ($f | length) == 1 then $last else null end) //
		    ((.url | sub("\\?.*"; "")) + ": failed")] | join("; ")' \
		    "$tmp/put.json" 2>/dev/null) || put_errors=
		[ -n "$put_errors" ] || put_errors=$(tail -n 1 "$tmp/put.err")
	fi
	if [ ${#stored[@]} -lt "$BK_MIN_DESTINATIONS" ]; then
		failed_stage=bk-put
		finish "${pst[3]}" "bk-put exited ${pst[3]}: ${#stored[@]} of ${#dests[@]} destination(s) stored the backup, fewer than BK_MIN_DESTINATIONS=$BK_MIN_DESTINATIONS; nothing was committed: $put_errors"
	fi

	# The manifest records the dump's counts object, for both kinds.
	jq -c '.counts // ({files, directories, symlinks, hardlinks, other, bytes}
	    | with_entries(select(.value != null)))' "$tmp/dump.json" >"$tmp/counts.json" 2>/dev/null ||
	    echo '{}' >"$tmp/counts.json"
	key_id=$(jq -r '.key_id' "$tmp/enc.json")
	phase=commit
	run_bg commit /dev/null /dev/null bk-put --commit --json="$tmp/commit.json" \
	    --sum "$tmp/sum" --kind "$kind" --key-id "$key_id" \
	    --compression "$BK_COMPRESS" --source "$source" \
	    --counts "$tmp/counts.json" "${stored[@]}"
	wait_all
	s=${st[0]}
	cat "$tmp/commit.err" >&2
	if [ "$s" -eq 0 ]; then
		committed=("${stored[@]}")
	else
		while read -r i; do
			committed+=("${stored[$i]}")
		done < <(jq -r '.destinations | to_entries[] | select(.value.ok == true) | .key' \
		    "$tmp/commit.json" 2>/dev/null)
		put_errors="${put_errors:+$put_errors; }commit: $(tail -n 1 "$tmp/commit.err")"
	fi
	if [ ${#committed[@]} -lt "$BK_MIN_DESTINATIONS" ]; then
		finish "$s" "bk-put --commit exited $s: committed at ${#committed[@]} of ${#dests[@]} destination(s), fewer than BK_MIN_DESTINATIONS=$BK_MIN_DESTINATIONS: $(tail -n 1 "$tmp/commit.err")"
	fi
	changed=
	if [ "${pst[0]}" -eq 4 ]; then
		changed="the directory changed while it was read: $(grep -c . "$tmp/dump.err") warning(s), first: $(head -n 1 "$tmp/dump.err")"
	fi
	if [ ${#committed[@]} -lt ${#dests[@]} ]; then
		store_digest
		finish 4 "degraded: ${#committed[@]} of ${#dests[@]} destinations: $put_errors${changed:+; $changed}" committed-degraded
	fi
	store_digest
	[ -z "$changed" ] || finish 4 "$changed"
	finish 0 "$(jq -r '.bytes' "$tmp/put.json") bytes to ${#dests[@]} destination(s)"
}

# --- the jobs ---------------------------------------------------------------

# worse A B: the worse of two exit statuses, in bk's order (75, then 3,
# then 1, then 0), as bk_result_worse.
worse() {
	local x
	for x in 75 3 1; do
		if [ "$1" -eq "$x" ] || [ "$2" -eq "$x" ]; then
			echo "$x"
			return 0
		fi
	done
	echo 0
}

# tool_status STATUS: a tool's exit status as the job's: 0, 1 and 75 as
# they are, anything else (2: the options the configuration gave were
# refused; a signal; 3) an operational failure, 3.
tool_status() {
	case $1 in
	0 | 1 | 75) echo "$1" ;;
	*) echo 3 ;;
	esac
}

# The kinds the verify and prune jobs cover (BK_KINDS, default both).
job_kinds() {
	local k
	for k in ${BK_KINDS:-db files}; do
		case $k in
		db | files) ;;
		*) conf_fail "BK_KINDS: $k: expected db or files" ;;
		esac
	done
	read -ra kinds <<<"${BK_KINDS:-db files}"
}

# max_age KIND: the --max-age of KIND in BK_VERIFY_MAX_AGE ("db=2h
# files=26h"; a word without "=" is every kind's), empty for none.
max_age() {
	local w age=
	for w in ${BK_VERIFY_MAX_AGE-db=2h files=26h}; do
		case $w in
		"$1="*) age=${w#*=} ;;
		*=*) ;;
		*) [ -n "$age" ] || age=$w ;;
		esac
	done
	echo "$age"
}

# verify_pass NAME STAGE BK-VERIFY-ARGS...: one bk-verify run, its JSON
# lines in $tmp/NAME.out; adds its finding to vstatus, vstage, vdetail.
verify_pass() {
	local n=$1 s t why
	phase=$2
	shift 2
	run_bg "$n" /dev/null "$tmp/$n.out" bk-verify --json="$tmp/$n.json" "$@"
	wait_all
	s=${st[0]}
	cat "$tmp/$n.err" >&2
	# For the log: the summary, and each backup that is not ok.
	jq -r --arg stage "$phase" '.summary // empty |
	    "\($stage): \(.backups) backups, \(.checked) checked whole, \(.ok) ok, \(.bad) bad, \(.stale) stale, \(.incomplete) incomplete, \(.errors) errors"' \
	    "$tmp/$n.json" 2>/dev/null
	jq -r --arg stage "$phase" 'select(.name and .result != "ok") |
	    "\($stage): \(.result) \(.url | sub("\\?.*"; ""))" +
	    (.problems | map("\n    " + .) | join(""))' "$tmp/$n.out" 2>/dev/null
	t=$(tool_status "$s")
	[ "$t" -ne 0 ] || return 0
	why=$(jq -r 'select(.name and .result != "ok" and .result != "incomplete") |
	    "\(.name) \(.result): \(.problems[0] // "?")"' "$tmp/$n.out" 2>/dev/null |
	    head -n 3 | paste -sd ';' | sed 's/;/; /g')
	[ -n "$why" ] || why=$(tail -n 1 "$tmp/$n.err")
	if [ "$(worse "$t" "$vstatus")" -ne "$vstatus" ]; then
		vstatus=$t
		vstage=$phase
	fi
	vdetail="${vdetail:+$vdetail; }$phase exited $s: $why"
}

# verify_metrics STATUS: bk_verify.prom: the status per destination (a
# finding counts against the destinations its problems name, or every one
# when they name none, such as a stale kind), backups checked and failed
# per kind.
verify_metrics() {
	local d b v k
	local -a res=() checked=() failed=()
	cat "$tmp"/verify-*.out "$tmp"/deep-*.out 2>/dev/null |
	    jq -c 'select(.name and .result != "ok" and .result != "incomplete") |
	    .problems[] | sub(" \\(held by .*"; "")' >"$tmp/problems" 2>/dev/null
	for d in $BK_DESTS; do
		b=$(strip_query "$d")
		b=${b%/}
		v=$1
		if [ "$v" -eq 1 ] || [ "$v" -eq 0 ]; then
			v=$(jq -rs --arg b "$b/" --argjson dests "$(json_array "${dests[@]}")" '
			    ($dests | map(sub("/$"; "") + "/")) as $all |
			    [.[] | . as $p | [$all[] | select(. as $x | $p | contains($x))] as $named |
			     select(($named | length) == 0 or ($named | index($b)))] |
			    if length > 0 then 1 else 0 end' "$tmp/problems") || v=$1
		fi
		res+=("{dest=\"$(printf '%s' "$b" | sed 's/[\\"]/\\&/g')\"} $v")
	done
	for k in "${kinds[@]}"; do
		cat "$tmp/verify-$k.out" "$tmp/deep-$k.out" >"$tmp/all-$k.out" 2>/dev/null
		checked+=("{kind=\"$k\"} $(jq -s '[.[] | select(.name and (.level == "full" or .level == "deep")) |
		    .name] | unique | length' "$tmp/all-$k.out")")
		failed+=("{kind=\"$k\"} $(jq -s '[.[] | select(.name and (.result == "bad" or
		    .result == "stale" or .result == "error")) | .name] | unique | length' "$tmp/all-$k.out")")
	done
	{
		gauge bk_verify_last_run_timestamp_seconds "When the last verify job ended." " $(date -u +%s)"
		gauge bk_verify_last_result "Exit status of the last verify job for a destination (0 good, 1 a bad, missing or stale backup, 3 or 75 it could not be checked)." "${res[@]}"
		gauge bk_verify_backups_checked "Backups the last verify job downloaded and checked whole (level full or deep)." "${checked[@]}"
		gauge bk_verify_failed "Backups the last verify job found bad, stale or could not check." "${failed[@]}"
	} | write_prom bk_verify
}

# mark_bad JSON-LINES: the backups a deep check found bad are "bad" in
# the state file (bk-verify(1), --state), every copy: the full pass found
# them ok, and bk-prune must not count them as verified (the next full
# pass checks them again).
mark_bad() {
	local f=$BK_STATE_DIR/verify.state
	jq -r 'select(.name and .result == "bad") | .name' "$1" 2>/dev/null >"$tmp/bad-names"
	[ -s "$tmp/bad-names" ] && [ -f "$f" ] || return 0
	awk -F '\t' -v OFS='\t' 'NR == FNR { bad[$0] = 1; next }
	    /^#/ || NF != 5 { print; next }
	    { u = $1; sub(/\?.*/, "", u); sub(/.*\//, "", u); if (u in bad) $5 = "bad"; print }' \
	    "$tmp/bad-names" "$f" >"$f.job" && mv -f -- "$f.job" "$f" ||
	    echo "$prog: cannot mark the bad backups in $f" >&2
}

# audit_digests: in digests, --audit-digest FILE for the digest stored
# with the newest backup of each kind at the first destination
# (PREFIX/audit/NAME.digest): the log must still hold the line it anchors.
# One that cannot be fetched (a backup older than digests, a store that
# refused it) is said on standard error, and not checked.
audit_digests() {
	local k d=${BK_DESTS%% *} base newest n url
	digests=()
	base=${d%%\?*}
	for k in "${kinds[@]}"; do
		phase="bk-get --list $k"
		run_bg "list-$k" /dev/null "$tmp/list-$k" bk-get --list --kind "$k" "$(kind_prefix "$d" "$k")"
		wait_all
		newest=$(tail -n 1 "$tmp/list-$k" | cut -f 1)
		if [ "${st[0]}" -ne 0 ] || [ -z "$newest" ]; then
			continue
		fi
		n=${newest%%\?*}
		url="${base%/}/audit/${n##*/}.digest${d#"$base"}"
		phase="bk-get audit digest $k"
		run_bg "digest-$k" /dev/null "$tmp/digest-$k" bk-get --uncommitted "$url"
		wait_all
		if [ "${st[0]}" -eq 0 ]; then
			digests+=(--audit-digest "$tmp/digest-$k")
		else
			echo "$prog: the audit digest $(strip_query "$url") was not checked: $(tail -n 1 "$tmp/digest-$k.err")" >&2
		fi
	done
}

# verify: per kind, bk-verify --level full over every destination (a
# backup must be at each, the same), with the state file so that only new
# or changed backups are downloaded, and --max-age; then a random deep
# sample; then the audit log's chain.
verify_job() {
	local k d age sample kr s t
	local -a prefixes digests=()
	job_kinds
	vstatus=0 vstage='' vdetail=
	sample=${BK_VERIFY_DEEP_SAMPLE:-1}
	kr=${BK_VERIFY_KEYRING:-${BK_KEYRING:-}}
	for k in "${kinds[@]}"; do
		prefixes=()
		for d in $BK_DESTS; do
			prefixes+=("$(kind_prefix "$d" "$k")")
		done
		age=$(max_age "$k")
		verify_pass "verify-$k" "bk-verify full $k" --level full \
		    --state "$BK_STATE_DIR/verify.state" --sample 0 \
		    ${age:+--max-age "$k=$age"} "${prefixes[@]}"
		if [ "$sample" != 0 ] && [ -n "$kr" ]; then
			verify_pass "deep-$k" "bk-verify deep $k" --level deep \
			    -k "$kr" --sample "$sample" "${prefixes[@]}"
			mark_bad "$tmp/deep-$k.out"
		fi
	done
	if [ -s "$BK_AUDIT_LOG" ]; then
		# Under the log's lock, which the check holds (fd 9) until it
		# ends: no line is half-written while it is read.  Its own line
		# would wait for that lock: it writes none.
		audit_digests
		phase="bk-verify --audit"
		s=3
		if audit_locked run_bg audit /dev/null "$tmp/audit.out" \
		    env -u BK_AUDIT_LOG bk-verify --audit "$BK_AUDIT_LOG" "${digests[@]}"; then
			wait_all
			s=${st[0]}
		fi
		cat "$tmp/audit.out"
		cat "$tmp/audit.err" >&2
		t=$(tool_status "$s")
		if [ "$t" -ne 0 ]; then
			if [ "$(worse "$t" "$vstatus")" -ne "$vstatus" ]; then
				vstatus=$t
				vstage=$phase
			fi
			vdetail="${vdetail:+$vdetail; }$phase exited $s: $(cat "$tmp/audit.out" "$tmp/audit.err" | grep -v '^$' | tail -n 1)"
		fi
	fi
	phase=metrics
	verify_metrics "$vstatus" 8>&- ||
	    echo "$prog: cannot write the metrics in $BK_METRICS_DIR" >&2
	failed_stage=$vstage
	[ "$vstatus" -eq 0 ] || finish "$vstatus" "$vdetail"
	finish 0 "every backup of ${kinds[*]} verified at ${#dests[@]} destination(s)"
}

# prune: bk-prune --apply per destination and kind, by the policy of the
# configuration, never removing past the newest backup verify found good
# (--state), refusing a plan that removes too much (--max-remove).
prune_job() {
	local k d p pol s t i=0 status=0 detail=
	local -a words
	job_kinds
	# What verify found good bounds what may go: no verification, no prune.
	phase=setup
	[ -f "$BK_STATE_DIR/verify.state" ] ||
	    finish 3 "$BK_STATE_DIR/verify.state: no such file: the verify job has not run yet, and nothing is pruned before it has"
	for k in "${kinds[@]}"; do
		case $k in
		db) pol=${BK_KEEP_DB:-"--keep-hourly 24 --keep-daily 30 --keep-weekly 52 --keep-monthly 84"} ;;
		files) pol=${BK_KEEP_FILES:-"--keep-daily 30 --keep-weekly 52 --keep-monthly 84"} ;;
		esac
		read -ra words <<<"$pol"
		for d in $BK_DESTS; do
			i=$((i + 1))
			p=$(kind_prefix "$d" "$k")
			phase="bk-prune $(strip_query "$p")"
			run_bg "prune-$i" /dev/null "$tmp/prune-$i.out" bk-prune --apply \
			    --state "$BK_STATE_DIR/verify.state" \
			    --max-remove "${BK_PRUNE_MAX_REMOVE:-50}" "${words[@]}" "$p"
			wait_all
			s=${st[0]}
			cat "$tmp/prune-$i.out"
			cat "$tmp/prune-$i.err" >&2
			t=$(tool_status "$s")
			[ "$t" -ne 0 ] || continue
			if [ "$(worse "$t" "$status")" -ne "$status" ]; then
				status=$t
				failed_stage=$phase
			fi
			detail="${detail:+$detail; }$phase exited $s: $(grep -v '^$' "$tmp/prune-$i.err" | tail -n 1)"
		done
	done
	[ "$status" -eq 0 ] || finish "$status" "$detail"
	finish 0 "${kinds[*]} pruned at ${#dests[@]} destination(s)"
}

# drill_metrics STATUS: after bk-drill.sh ran (drill_ran), the numbers of
# its report in bk_drill.prom or bk_test_restore.prom.
drill_metrics() {
	local line result=fail pass=0 now
	local -a num=()
	[ -n "$drill_ran" ] || return 0
	now=$(date -u +%s)
	line=$(tail -n 1 "$tmp/drill.out" 2>/dev/null) || line=
	case $line in
	"report: "?*) report=${line#report: } ;;
	esac
	if [ -n "$report" ] && [ -s "$report" ]; then
		result=$(jq -r '.result // "fail"' "$report" 2>/dev/null) || result=fail
	fi
	[ "$1" -ne 0 ] || [ "$result" != pass ] || pass=1
	if [ "$job" = test-restore ]; then
		{
			gauge bk_test_restore_last_run_timestamp_seconds "When the last restore test ended." " $now"
			gauge bk_test_restore_result "Result of the last restore test (1 pass, 0 fail)." " $pass"
		} | write_prom bk_test_restore
		return
	fi
	# The report's numbers: NAME VALUE lines, the stages' seconds per kind.
	if [ -n "$report" ] && [ -s "$report" ]; then
		jq -r 'def num: if type == "number" then . else empty end;
		    (.rto_seconds | num | "rto \(.)"), (.rpo_seconds | num | "rpo \(.)"),
		    (.targets.rto_seconds | num | "rto_target \(.)"),
		    (.targets.rpo_seconds | num | "rpo_target \(.)"),
		    ([.stages[]? | select((.kind | type) == "string" and (.stage | type) == "string"
		      and (.seconds | type) == "number")] | group_by([.kind, .stage]) | .[] |
		     "stage {kind=\"\(.[0].kind | gsub("[^a-z0-9_-]"; "_"))\",stage=\"\(.[0].stage |
		      gsub("[^a-z0-9_-]"; "_"))\"} \(map(.seconds) | add)")' \
		    "$report" >"$tmp/drill.num" 2>/dev/null || : >"$tmp/drill.num"
	fi
	# of NAME: the series of NAME in the report's numbers.
	of() { sed -n "s/^$1 / /p" "$tmp/drill.num" 2>/dev/null; }
	{
		gauge bk_drill_last_run_timestamp_seconds "When the last DR drill ended." " $now"
		gauge bk_drill_result "Result of the last DR drill (1 pass, 0 fail)." " $pass"
		mapfile -t num < <(of rto)
		gauge bk_drill_rto_seconds "Recovery time of the last DR drill: start to the last validation passed." "${num[@]}"
		mapfile -t num < <(of rpo)
		gauge bk_drill_rpo_seconds "Recovery point of the last DR drill: age of the newest backup restored, at its start." "${num[@]}"
		mapfile -t num < <(of rto_target)
		gauge bk_drill_rto_target_seconds "The RTO target of the last DR drill (BK_DRILL_RTO)." "${num[@]}"
		mapfile -t num < <(of rpo_target)
		gauge bk_drill_rpo_target_seconds "The RPO target of the last DR drill (BK_DRILL_RPO)." "${num[@]}"
		mapfile -t num < <(sed -n 's/^stage //p' "$tmp/drill.num" 2>/dev/null)
		gauge bk_drill_stage_seconds "Seconds each stage of the last DR drill took, per kind." "${num[@]}"
	} | write_prom bk_drill
}

# test-restore and drill: bk-drill.sh, beside this script, in its own
# process group, with the settings of the configuration exported
# (docs: bk-backup(8)); its report gives the metrics.
drill_job() {
	local drill v s line result failure
	local -a args=()
	drill=$(dirname "$0")/bk-drill.sh
	[ -f "$drill" ] || conf_fail "$drill: no such file (bk-drill.sh goes beside bk-backup.sh)"
	BK_REPORT_DIR=${BK_REPORT_DIR:-$BK_STATE_DIR/reports}
	export BK_DESTS BK_STATE_DIR BK_REPORT_DIR
	for v in BK_DRILL_URI_FILE BK_DRILL_DIR BK_DRILL_RTO BK_DRILL_RPO \
	    BK_TEST_RESTORE_WINDOW BK_PYTHON; do
		[ -z "${!v:-}" ] || export "${v?}"
	done
	[ "$job" = drill ] || args+=(--test-restore)
	[ -z "${BK_DRILL_FROM:-}" ] || args+=(--from "$BK_DRILL_FROM")
	args+=(--report-dir "$BK_REPORT_DIR")
	phase=bk-drill.sh
	drill_ran=1
	run_bg drill /dev/null "$tmp/drill.out" setsid bash "$drill" "${args[@]}"
	wait_all
	s=${st[0]}
	cat "$tmp/drill.out"
	cat "$tmp/drill.err" >&2
	line=$(tail -n 1 "$tmp/drill.out")
	case $line in
	"report: "?*) report=${line#report: } ;;
	esac
	result='' failure=
	if [ -n "$report" ] && [ -s "$report" ]; then
		result=$(jq -r '.result // ""' "$report" 2>/dev/null) || result=
		failure=$(jq -r '.failure // ""' "$report" 2>/dev/null) || failure=
		v=$(jq -r '[.stages[]? | select(.status != 0)][0] // empty |
		    "\(.kind) \(.stage)"' "$report" 2>/dev/null) || v=
		failed_stage="bk-drill.sh${v:+ $v}"
	fi
	if [ "$s" -eq 0 ]; then
		[ "$result" = pass ] ||
		    finish 1 "bk-drill.sh exited 0, but its report ${report:-(none)} says '${result:-nothing}'"
		finish 0 "pass: $(jq -r '"RTO \(.rto_seconds)s (target \(.targets.rto_seconds)s), RPO \(.rpo_seconds)s (target \(.targets.rpo_seconds)s)"' "$report" 2>/dev/null)"
	fi
	failed_stage=${failed_stage:-bk-drill.sh}
	[ "$s" -ne 1 ] ||
	    finish 1 "$failed_stage: the $job failed: ${failure:-$(grep -v '^$' "$tmp/drill.err" | tail -n 1)}"
	finish "$(tool_status "$s")" "$failed_stage exited $s: ${failure:-$(grep -v '^$' "$tmp/drill.err" | tail -n 1)}"
}

case $job in
db | files) backup_job ;;
verify) verify_job ;;
prune) prune_job ;;
test-restore | drill) drill_job ;;
esac
