#!/bin/sh
# alert-webhook.sh SUBJECT - post an alert (body on stdin) to a Slack or
# Teams incoming webhook.  The webhook URL is a secret: it is read from a
# file of mode 0600 and handed to curl in a private config file, never on
# the command line where ps(1) shows it.  Set BK_ALERT_CMD to this script
# in /etc/bk/bk.conf.
set -eu
url_file=${BK_WEBHOOK_URL_FILE:-/etc/bk/webhook-url}
subject=${1:-bk alert}
body=$(head -c 3000)
umask 077
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
printf 'url = "%s"\n' "$(cat "$url_file")" >"$cfg"
# jq builds the JSON, so quotes and newlines in the text cannot break it.
jq -n --arg t "$subject
$body" '{text: $t}' |
	curl -fsS --max-time 20 --retry 3 -H 'Content-Type: application/json' \
	    --config "$cfg" --data-binary @- >/dev/null
