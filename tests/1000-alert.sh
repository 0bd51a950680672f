#!/bin/bash
# scripts/bk-alert.sh delivers to real local receivers: an HTTP server that
# records every request (standing in for Slack, Teams, PagerDuty and a
# dead-man's switch: bk-alert cannot tell it from them) and Debian's
# aiosmtpd as the mail server, reached by curl's SMTP and by msmtp as
# sendmail.  The exact payloads are checked: Slack's text and blocks, the
# Teams Adaptive Card, PagerDuty's trigger and, on the next success, the
# resolve with the same dedup key; the dead-man's switch is pinged only on
# success.  A channel that fails is retried, then named on stderr and in
# the log with exit 1, and the other channels still get the alert.  Bad
# configurations are refused with one line and exit 2.  As bk-backup.sh's
# BK_ALERT_CMD, a failed backup raises exactly one alert per channel.
. "$BK_TOP/tests/lib.sh"
alert=$BK_TOP/scripts/bk-alert.sh

# The HTTP recorder: one JSON line per request; /fail/... always 500,
# /flaky/... 503 to the first request, then 200.
cat >recorder.py <<'EOP'
import http.server, json, sys, threading
log, seen, lock = open(sys.argv[2], "a"), {}, threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode()
        with lock:
            seen[self.path] = seen.get(self.path, 0) + 1
            k = seen[self.path]
            log.write(json.dumps({"method": self.command, "path": self.path,
                "type": self.headers.get("Content-Type"), "body": body}) + "\n")
            log.flush()
        code = 500 if self.path.startswith("/fail") else \
            503 if self.path.startswith("/flaky") and k == 1 else 202
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    do_POST = do_GET = handle_one
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOP
hport=$(free_port)
spawn_server recorder "$hport" 20 recorder.log "$PY" recorder.py "$hport" "$T/http.log"
sport=$(free_port)
# aiosmtpd makes the Maildir (cur, new, tmp) itself.
spawn_server aiosmtpd "$sport" 20 smtp.log \
    "$PY" -m aiosmtpd -n -l "127.0.0.1:$sport" -c aiosmtpd.handlers.Mailbox "$T/maildir"
H=http://127.0.0.1:$hport
host=$(hostname)

umask 077
echo "$H/slack/T000SECRET1" >slack-url
echo "$H/teams/TEAMSSECRET2" >teams-url
echo "R0UTINGKEYSECRET3" >pd-key
echo "$H/deadman/DEADSECRET4" >deadman-url
umask 022
conf() {	# conf FILE [LINE...]: a configuration of mode 0600
	local f=$1
	shift
	printf '%s\n' "$@" >"$f"
	chmod 600 "$f"
}
conf all.conf "# every channel" \
    "slack-webhook-file $T/slack-url" "teams-webhook-file $T/teams-url" \
    "pagerduty-routing-key-file $T/pd-key" "pagerduty-url $H/pd/enqueue" \
    "email-to ops@example.test" "email-from bk@example.test" \
    "email-smtp smtp://127.0.0.1:$sport" "deadman-url-file $T/deadman-url" \
    "log $T/alert.log" "retries 2"
reqs() { jq -c --arg p "$1" 'select(.path | startswith($p))' http.log 2>/dev/null; }
nreq() { reqs "$1" | wc -l; }

# --- a failure: every channel, exact payloads ------------------------------
printf 'bk-dump exited 3: find: socket error\nsecond line\n' |
    bash "$alert" -c all.conf -e failure -j "backup db" -s bk-dump -x 3 \
    "bk: db backup failed on $host" 2>fail.err ||
    fail "a failure alert was not delivered: $(cat fail.err)"
[ ! -s fail.err ] || fail "stderr on success: $(cat fail.err)"
reqs /slack/T000SECRET1 | jq -e --arg h "$host" '.method == "POST" and
    .type == "application/json" and (.body | fromjson |
    .text == "bk: db backup failed on \($h)" and
    .blocks[0].type == "section" and .blocks[0].text.type == "mrkdwn" and
    (.blocks[0].text.text | contains("host: \($h)") and contains("job: backup db")
     and contains("stage: bk-dump") and contains("exit status: 3")
     and contains("find: socket error\nsecond line")))' >/dev/null ||
    fail "Slack payload: $(reqs /slack)"
reqs /teams/ | jq -e '.body | fromjson | .type == "message" and
    .attachments[0].contentType == "application/vnd.microsoft.card.adaptive" and
    .attachments[0].content.type == "AdaptiveCard" and
    .attachments[0].content.body[0].color == "Attention" and
    (.attachments[0].content.body[1].text | contains("stage: bk-dump"))' >/dev/null ||
    fail "Teams payload: $(reqs /teams)"
reqs /pd/enqueue | jq -e --arg h "$host" '.body | fromjson |
    .routing_key == "R0UTINGKEYSECRET3" and .event_action == "trigger" and
    .dedup_key == "bk/\($h)/backup db" and .payload.severity == "critical" and
    .payload.source == $h and .payload.component == "backup db" and
    .payload.class == "bk-dump" and .payload.custom_details.exit_status == "3" and
    (.payload.summary | startswith("bk: db backup failed"))' >/dev/null ||
    fail "PagerDuty trigger: $(reqs /pd)"
[ "$(nreq /deadman/)" -eq 0 ] || fail "the dead-man's switch was pinged on a failure"
mail=$(grep -rl 'bk: db backup failed' maildir | head -n 1)
[ -n "$mail" ] || fail "no mail arrived: $(ls -R maildir)"
{ grep -q '^To: ops@example.test' "$mail" && grep -q 'exit status: 3' "$mail"; } ||
    fail "mail: $(cat "$mail")"
[ "$(grep -c ' delivered$' alert.log)" -eq 4 ] || fail "delivery log: $(cat alert.log)"
# No secret in the log or on stderr (the URLs and key go to curl in a file).
! grep -E 'SECRET[0-9]' alert.log fail.err || fail "a secret in the log"

# --- the next success: PagerDuty resolves, the dead-man's switch is pinged,
# the chat channels stay quiet (on-success no) ------------------------------
: >http.log
echo "committed" | bash "$alert" -c all.conf -e success -j "backup db" \
    "bk: db backup committed on $host" 2>ok.err || fail "success: $(cat ok.err)"
reqs /pd/enqueue | jq -e --arg h "$host" '.body | fromjson | . == {routing_key:
    "R0UTINGKEYSECRET3", event_action: "resolve", dedup_key: "bk/\($h)/backup db"}' \
    >/dev/null || fail "PagerDuty resolve: $(reqs /pd)"
[ "$(nreq /deadman/DEADSECRET4)" -eq 1 ] || fail "dead-man's switch: $(cat http.log)"
{ [ "$(nreq /slack/)" -eq 0 ] && [ "$(nreq /teams/)" -eq 0 ]; } ||
    fail "chat alerted on a success with on-success no"
conf loud.conf "slack-webhook-file $T/slack-url" "on-success yes"
echo committed | bash "$alert" -c loud.conf -e success "all good" || fail "on-success yes"
[ "$(nreq /slack/)" -eq 1 ] || fail "on-success yes: no Slack message"

# --- a channel that fails: retried, named, the others still delivered -------
: >http.log
umask 077
echo "$H/fail/x" >bad-url
echo "$H/flaky/y" >flaky-url
umask 022
conf part.conf "slack-webhook-file $T/bad-url" "teams-webhook-file $T/flaky-url" \
    "retries 2" "log $T/part.log"
rc=0
echo boom | bash "$alert" -c part.conf "bk: failed" 2>part.err || rc=$?
[ "$rc" -eq 1 ] || fail "a failed channel: exit $rc"
expect_grep '^bk-alert: slack: failed: HTTP 500' part.err
[ "$(wc -l <part.err)" -eq 1 ] || fail "more than the failed channel on stderr: $(cat part.err)"
[ "$(nreq /fail/)" -eq 3 ] || fail "the failing webhook was tried $(nreq /fail/) times, not 1 + 2 retries"
[ "$(nreq /flaky/)" -eq 2 ] || fail "the flaky webhook: $(nreq /flaky/) requests"
{ grep -q 'teams: delivered' part.log && grep -q 'slack: failed' part.log; } ||
    fail "delivery log: $(cat part.log)"

# --- msmtp as sendmail ------------------------------------------------------
conf mail.conf "email-to dr@example.test" "email-from bk@example.test" \
    "sendmail msmtp --host=127.0.0.1 --port=$sport --from=bk@example.test"
echo "by msmtp" | bash "$alert" -c mail.conf "bk: via sendmail" 2>m.err ||
    fail "msmtp: $(cat m.err)"
grep -rq 'by msmtp' maildir || fail "msmtp's mail did not arrive"

# --- bad configurations: one line, exit 2 -----------------------------------
conf unknown.conf "slak-webhook-file x"
expect_exit 2 bash "$alert" -c unknown.conf s </dev/null 2>e1
expect_grep 'unknown.conf:1: unknown setting "slak-webhook-file"' e1
conf open.conf "slack-webhook-file $T/slack-url"
chmod 666 open.conf
expect_exit 2 bash "$alert" -c open.conf s </dev/null 2>e2
expect_grep 'writable by others' e2
expect_exit 2 bash "$alert" -c all.conf -e maybe s </dev/null 2>e3
expect_grep 'want failure, degraded or success' e3
# A secret file others can read is not used (and the alert says so).
chmod 644 slack-url
conf leaky.conf "slack-webhook-file $T/slack-url"
expect_exit 1 bash "$alert" -c leaky.conf s </dev/null 2>e4
expect_grep 'readable by others' e4
chmod 600 slack-url
bash "$alert" --help | grep -q '^usage: bk-alert.sh' || fail "--help"

# --- as bk-backup.sh's BK_ALERT_CMD: a failed backup, one alert naming the
# stage; with BK_ALERT_ON_SUCCESS=yes the next good backup resolves it ---
: >http.log
conf chat.conf "slack-webhook-file $T/slack-url" \
    "pagerduty-routing-key-file $T/pd-key" "pagerduty-url $H/pd/enqueue" \
    "deadman-url-file $T/deadman-url"
mkdir -p uploads store
echo data >uploads/a
bk-encrypt --genkey -k keyring >/dev/null
printf 'mongodb://127.0.0.1:%s/?serverSelectionTimeoutMS=500\n' "$(free_port)" >uri-down
backup_conf b.conf "file://$T/store" "BK_MONGODB_URI_FILE=$T/uri-down" \
    "BK_ALERT_CMD=\"bash $alert -c $T/chat.conf\"" BK_ALERT_ON_SUCCESS=yes
expect_exit 75 bash "$BK_TOP/scripts/bk-backup.sh" -c b.conf db 2>b.err
[ "$(nreq /slack/)" -eq 1 ] || fail "bk-backup.sh raised $(nreq /slack/) alerts, not 1"
reqs /slack/ | jq -e '.body | fromjson | .text | test("^bk: db backup failed on ")' \
    >/dev/null || fail "the backup's alert: $(reqs /slack/)"
reqs /pd/enqueue | jq -e --arg h "$host" '.body | fromjson |
    .event_action == "trigger" and .dedup_key == "bk/\($h)/backup db" and
    .payload.class == "bk-dump" and .payload.custom_details.exit_status == "75"' \
    >/dev/null || fail "the backup's PagerDuty event: $(reqs /pd/)"
[ "$(nreq /deadman/)" -eq 0 ] || fail "the dead-man's switch was pinged by a failed backup"
: >http.log
backup_conf b.conf "file://$T/store" \
    "BK_ALERT_CMD=\"bash $alert -c $T/chat.conf\"" BK_ALERT_ON_SUCCESS=yes
bash "$BK_TOP/scripts/bk-backup.sh" -c b.conf files 2>b2.err || fail "files backup: $(cat b2.err)"
# A files job: its own dedup key, so this resolves only a files incident.
reqs /pd/enqueue | jq -e --arg h "$host" '.body | fromjson | .event_action ==
    "resolve" and .dedup_key == "bk/\($h)/backup files"' >/dev/null ||
    fail "a good backup did not resolve: $(reqs /pd/)"
[ "$(nreq /deadman/DEADSECRET4)" -eq 1 ] || fail "a good backup did not ping the dead-man's switch"
[ "$(nreq /slack/)" -eq 0 ] || fail "a good backup was posted to Slack (on-success no)"
exit 0
