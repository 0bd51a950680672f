#!/bin/bash
# bk-alert.sh - deliver one alert of a bk job to Slack, Microsoft Teams,
# PagerDuty (Events API v2), e-mail and a dead-man's switch.  See
# bk-alert(8).  It works as BK_ALERT_CMD of bk-backup.sh:
#
#   bk-alert.sh [-c CONF] [-e EVENT] [-j JOB] [-s STAGE] [-x STATUS] SUBJECT
#
# The message is read from standard input (its first 40 lines are sent).
# EVENT is failure (the default), degraded or success.  Exit 0 when every
# configured channel took the alert, 1 when some did not (each failure is
# said on stderr and in the delivery log), 2 on bad usage or configuration.
# A failed delivery never hides the failure being reported: the caller
# keeps its own exit status.
set -u
prog=bk-alert
conf=${BK_ALERT_CONF:-/etc/bk/alert.conf}
# A caller (bk-backup.sh) may give the facts in the environment instead.
event=${BK_ALERT_EVENT:-failure} job=${BK_ALERT_JOB:-} stage=${BK_ALERT_STAGE:-}
status=${BK_ALERT_STATUS:-}

usage() {
	cat <<'EOU'
usage: bk-alert.sh [-c conf] [-e failure|degraded|success] [-j job]
                   [-s stage] [-x status] subject <message
  -c conf    the channels (default $BK_ALERT_CONF, else /etc/bk/alert.conf)
  -e event   failure (default), degraded or success
  -j job     the job, e.g. "backup db" (the PagerDuty dedup key is host+job)
  -s stage   the stage that failed, e.g. bk-dump
  -x status  the job's exit status
The message (first 40 lines) is read from standard input.  See bk-alert(8).
EOU
}
die_usage() { echo "$prog: $*" >&2; usage >&2; exit 2; }

[ "${1:-}" = --help ] && { usage; exit 0; }
while getopts c:e:j:s:x:h opt; do
	case $opt in
	c) conf=$OPTARG ;;
	e) event=$OPTARG ;;
	j) job=$OPTARG ;;
	s) stage=$OPTARG ;;
	x) status=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || die_usage "want one SUBJECT (the message comes on standard input)"
subject=$1
case $event in failure|degraded|success) ;; *) die_usage "-e $event: want failure, degraded or success" ;; esac
case $status in ''|*[!0-9]*) [ -z "$status" ] || die_usage "-x $status: want a number" ;; esac

# --- the configuration: "KEY VALUE" lines, read, never run --------------
declare -A cf=(
	[retries]=3 [timeout]=20 [on-success]=no
	[pagerduty-url]=https://events.pagerduty.com/v2/enqueue
	[email-from]="bk@$(hostname)"
)
known=" slack-webhook-file teams-webhook-file pagerduty-routing-key-file"
known+=" pagerduty-url email-to email-from email-smtp sendmail"
known+=" deadman-url-file on-success retries timeout log "
[ -f "$conf" ] || { echo "$prog: $conf: no such configuration file" >&2; exit 2; }
# It names files of secrets and a command to run: only its owner (or root)
# may write it.
perm=$(stat -L -c '%u %a' -- "$conf") || exit 2
owner=${perm% *} mode=${perm#* }
if [ "$owner" != 0 ] && [ "$owner" != "$(id -u)" ] || [ $((8#$mode & 8#022)) -ne 0 ]; then
	echo "$prog: $conf: writable by others or owned by another user; refused" >&2
	exit 2
fi
n=0
while IFS= read -r line || [ -n "$line" ]; do
	n=$((n + 1))
	line=${line%$'\r'}
	case $line in ''|'#'*) continue ;; esac
	key=${line%%[[:space:]]*}
	val=${line#"$key"}
	val=${val#"${val%%[![:space:]]*}"}
	case $known in *" $key "*) ;; *)
		echo "$prog: $conf:$n: unknown setting \"$key\"" >&2; exit 2 ;;
	esac
	[ -n "$val" ] || { echo "$prog: $conf:$n: $key has no value" >&2; exit 2; }
	cf[$key]=$val
done <"$conf"
case ${cf[retries]} in *[!0-9]*) echo "$prog: $conf: retries ${cf[retries]}: want a number" >&2; exit 2 ;; esac
case ${cf[timeout]} in *[!0-9]*|0) echo "$prog: $conf: timeout ${cf[timeout]}: want seconds" >&2; exit 2 ;; esac
case ${cf[on-success]} in yes|no) ;; *) echo "$prog: $conf: on-success ${cf[on-success]}: want yes or no" >&2; exit 2 ;; esac

host=$(hostname)
body=$(head -n 40 | head -c 6000)
[ -n "$job" ] || job=bk
dedup="bk/$host/$job"
umask 077
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-alert.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0

logline() {	# logline CHANNEL RESULT DETAIL
	local l
	l="$(date -u +%Y-%m-%dT%H:%M:%SZ) $host $job $event $1: $2${3:+: $3}"
	[ "$2" = delivered ] || echo "$prog: $1: $2${3:+: $3}" >&2
	if [ -n "${cf[log]:-}" ]; then
		printf '%s\n' "$l" >>"${cf[log]}" 2>/dev/null ||
		    echo "$prog: cannot append to ${cf[log]}" >&2
	fi
}

# secret FILE: the first line of a file of mode 0600 (or stricter).
secret() {
	local m
	m=$(stat -L -c %a -- "$1" 2>/dev/null) || { echo "$prog: $1: cannot read" >&2; return 1; }
	if [ $((8#$m & 8#077)) -ne 0 ]; then
		echo "$prog: $1: readable by others (want mode 0600); not used" >&2
		return 1
	fi
	head -n 1 -- "$1" | tr -d '\r\n'
}

# post CHANNEL URL-FILE-OR-URL JSON-FILE: POST the JSON with retries.  The
# URL (a secret for webhooks) goes to curl in a private config file, never
# on its command line.
post() {
	local ch=$1 url=$2 data=$3 cfg=$tmp/curl-$1 err=$tmp/err-$1 code
	printf 'url = "%s"\n' "${url//\"/\\\"}" >"$cfg"
	code=$(curl -sS -o "$tmp/reply-$ch" -w '%{http_code}' --config "$cfg" \
	    --max-time "${cf[timeout]}" --retry "${cf[retries]}" --retry-all-errors \
	    --retry-delay 1 -H 'Content-Type: application/json' \
	    --data-binary "@$data" 2>"$err")
	if [ "${code:-000}" -ge 200 ] 2>/dev/null && [ "$code" -lt 300 ]; then
		logline "$ch" delivered
		return 0
	fi
	logline "$ch" failed "HTTP ${code:-000} $(head -c 200 "$tmp/reply-$ch" 2>/dev/null | tr '\n' ' ')$(head -n 1 "$err")"
	failed=1
	return 1
}

text="$subject
host: $host${job:+
job: $job}${stage:+
stage: $stage}${status:+
exit status: $status}
$body"

send_alert() {
	local f url key
	if [ -n "${cf[slack-webhook-file]:-}" ]; then
		if url=$(secret "${cf[slack-webhook-file]}"); then
			# Slack incoming webhook: text is the fallback, blocks the message.
			jq -n --arg s "$subject" --arg t "$text" \
			    '{text: $s, blocks: [{type: "section",
			      text: {type: "mrkdwn", text: ("```" + $t + "```")}}]}' >"$tmp/slack.json"
			post slack "$url" "$tmp/slack.json"
		else logline slack failed "no webhook URL"; failed=1; fi
	fi
	if [ -n "${cf[teams-webhook-file]:-}" ]; then
		if url=$(secret "${cf[teams-webhook-file]}"); then
			# Teams (Workflows webhook): a message with an Adaptive Card.
			jq -n --arg s "$subject" --arg t "$text" --arg e "$event" \
			    '{type: "message", attachments: [{
			      contentType: "application/vnd.microsoft.card.adaptive",
			      content: {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
			        type: "AdaptiveCard", version: "1.4", body: [
			        {type: "TextBlock", text: $s, weight: "Bolder", wrap: true,
			         color: (if $e == "success" then "Good" elif $e == "degraded" then "Warning" else "Attention" end)},
			        {type: "TextBlock", text: $t, wrap: true, fontType: "Monospace"}]}}]}' >"$tmp/teams.json"
			post teams "$url" "$tmp/teams.json"
		else logline teams failed "no webhook URL"; failed=1; fi
	fi
	if [ -n "${cf[pagerduty-routing-key-file]:-}" ]; then
		if key=$(secret "${cf[pagerduty-routing-key-file]}"); then
			jq -n --arg k "$key" --arg d "$dedup" --arg s "$subject" \
			    --arg h "$host" --arg j "$job" --arg st "$stage" \
			    --arg x "$status" --arg e "$event" --arg b "$body" \
			    'if $e == "success" then
			       {routing_key: $k, event_action: "resolve", dedup_key: $d}
			     else
			       {routing_key: $k, event_action: "trigger", dedup_key: $d,
			        payload: {summary: ($s | .[0:1024]), source: $h,
			          severity: (if $e == "degraded" then "warning" else "critical" end),
			          component: $j, group: "bk", class: (if $st == "" then "job" else $st end),
			          custom_details: {exit_status: $x, message: $b}}}
			     end' >"$tmp/pd.json"
			post pagerduty "${cf[pagerduty-url]}" "$tmp/pd.json"
		else logline pagerduty failed "no routing key"; failed=1; fi
	fi
	if [ -n "${cf[email-to]:-}" ]; then
		f=$tmp/mail
		{
			printf 'From: %s\nTo: %s\nSubject: %s\nDate: %s\n' \
			    "${cf[email-from]}" "${cf[email-to]}" \
			    "$(printf '%s' "$subject" | tr -d '\r\n')" "$(date -R)"
			printf 'Content-Type: text/plain; charset=utf-8\n\n%s\n' "$text"
		} >"$f"
		if [ -n "${cf[email-smtp]:-}" ]; then
			local rcpt=() a
			for a in ${cf[email-to]//,/ }; do rcpt+=(--mail-rcpt "$a"); done
			if curl -sS --max-time "${cf[timeout]}" --retry "${cf[retries]}" \
			    --url "${cf[email-smtp]}" --mail-from "${cf[email-from]}" \
			    "${rcpt[@]}" --upload-file "$f" 2>"$tmp/err-mail"; then
				logline email delivered
			else
				logline email failed "$(head -n 1 "$tmp/err-mail")"; failed=1
			fi
		else
			# sendmail(8) or msmtp: -t takes the recipients from To:.
			# shellcheck disable=SC2086 # a command line, split on purpose
			if ${cf[sendmail]:-/usr/sbin/sendmail} -t -i <"$f" 2>"$tmp/err-mail"; then
				logline email delivered
			else
				logline email failed "$(head -n 1 "$tmp/err-mail")"; failed=1
			fi
		fi
	fi
}

if [ "$event" != success ] || [ "${cf[on-success]}" = yes ]; then
	send_alert
elif [ -n "${cf[pagerduty-routing-key-file]:-}" ]; then
	# A success resolves the incident the last failure opened, always;
	# the other channels hear of it only with on-success yes.
	cf[slack-webhook-file]='' cf[teams-webhook-file]='' cf[email-to]=''
	send_alert
fi
# The dead-man's switch: pinged on success only, so silence alerts.
if [ "$event" = success ] && [ -n "${cf[deadman-url-file]:-}" ]; then
	if url=$(secret "${cf[deadman-url-file]}"); then
		printf 'url = "%s"\n' "${url//\"/\\\"}" >"$tmp/curl-deadman"
		if curl -fsS -o /dev/null --config "$tmp/curl-deadman" \
		    --max-time "${cf[timeout]}" --retry "${cf[retries]}" \
		    --retry-all-errors 2>"$tmp/err-deadman"; then
			logline deadman delivered
		else
			logline deadman failed "$(head -n 1 "$tmp/err-deadman")"; failed=1
		fi
	else logline deadman failed "no URL"; failed=1; fi
fi
exit "$failed"
