#!/bin/bash
# The S3 server dies in the middle of an upload.  Restarted, bk-put
# finishes after retries and the object is whole; never restarted, bk-put
# gives up with 75 (temporary) and no object is visible.  Each step waits
# for the state it needs (parts stored, a retry seen), never for a time.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-fault >/dev/null

# restart_s3 DOWNTIME: kill the server, wait, start it again on its port.
restart_s3() {
	stop_versitygw
	sleep "$1"
	rerun_versitygw "$T/s3"
}

gen_bytes fault $((40 << 20)) >in
# wait_for WHAT CMD...: poll until CMD succeeds (no fixed sleeps: the
# machine may be loaded, the order of events is what matters).
wait_for() {
	local what=$1 n=0
	shift
	until "$@" >/dev/null 2>&1; do
		n=$((n + 1))
		[ "$n" -lt 1200 ] || fail "timed out waiting for $what"
		sleep 0.1
	done
}
# parts_stored KEY N: the upload of KEY has at least N parts on the server.
parts_stored() {
	local id
	id=$(aws s3api list-multipart-uploads --bucket bk-fault |
	    jq -r --arg k "$1" '.Uploads[]? | select(.Key == $k) | .UploadId')
	[ -n "$id" ] &&
	    [ "$(aws s3api list-parts --bucket bk-fault --key "$1" --upload-id "$id" |
	    jq '.Parts | length')" -ge "$2" ]
}
# The stream arrives in two halves; the second only once the test says go.
halves() {
	head -c "$1" in
	local n=0
	# (Bounded, so that a failed test leaves nothing running.)
	while [ ! -e go ] && [ "$n" -lt 3000 ]; do sleep 0.1; n=$((n + 1)); done
	tail -c +$(($1 + 1)) in
}

# The server dies after the first half is stored and before the second
# arrives; it comes back once bk-put has met the dead server.
rm -f go
halves $((20 << 20)) | bk-put --part-size 5M s3://bk-fault/obj 2>err &
put=$!
BK_PIDS="$BK_PIDS $put"
wait_for "the first four parts" parts_stored obj 4
stop_versitygw
touch go
wait_for "a retry" grep -q retrying err
restart_s3 0
wait "$put" || fail "bk-put did not survive a restart: $(tail -n 3 err)"
aws s3 cp s3://bk-fault/obj back >/dev/null
cmp in back || fail "the object differs after the restart"

# The server dies and stays dead: temporary failure, nothing visible.
rm -f go
halves $((12 << 20)) | bk-put --part-size 5M --retries 2 s3://bk-fault/dead 2>err &
put=$!
BK_PIDS="$BK_PIDS $put"
wait_for "the first two parts" parts_stored dead 2
stop_versitygw
touch go
got=0
wait "$put" || got=$?
[ "$got" -eq 75 ] || fail "bk-put exited $got, expected 75: $(tail -n 3 err)"
expect_grep 'gave up after 3 attempts' err
restart_s3 0
if aws s3api head-object --bucket bk-fault --key dead >/dev/null 2>&1; then
	fail "a failed upload left an object"
fi
