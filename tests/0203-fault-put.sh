#!/bin/bash
# The S3 server dies in the middle of an upload.  Restarted, bk-put
# finishes after retries and the object is whole; never restarted, bk-put
# gives up with 75 (temporary) and no object is visible.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-fault >/dev/null
vgw=$BK_CACHE/versitygw-v1.7.0/bin/versitygw

# restart_s3 DOWNTIME: kill the server, wait, start it again on its port.
restart_s3() {
	kill -9 "$VGW_PID" 2>/dev/null || true
	wait "$VGW_PID" 2>/dev/null || true
	sleep "$1"
	ROOT_ACCESS_KEY=$S3_ACCESS_KEY ROOT_SECRET_KEY=$S3_SECRET_KEY \
	    "$vgw" --port "127.0.0.1:$VGW_PORT" --quiet \
	    posix --sidecar "$T/s3/meta" "$T/s3/data" >>"$T/s3/versitygw.log" 2>&1 &
	VGW_PID=$!
	BK_PIDS="$BK_PIDS $VGW_PID"
	wait_port "$VGW_PORT" 30 || fail "versitygw did not come back"
}

gen_bytes fault $((40 << 20)) >in
# The stream arrives in two halves; the server dies between them.
{ head -c $((20 << 20)) in; sleep 3; tail -c +$(((20 << 20) + 1)) in; } |
	bk-put --part-size 5M s3://bk-fault/obj 2>err &
put=$!
sleep 1.5
restart_s3 2
wait "$put" || fail "bk-put did not survive a restart: $(tail -n 3 err)"
aws s3 cp s3://bk-fault/obj back >/dev/null
cmp in back || fail "the object differs after the restart"
expect_grep 'retrying' err

# The server dies and stays dead: temporary failure, nothing visible.
{ head -c $((12 << 20)) in; sleep 3; tail -c +$(((12 << 20) + 1)) in; } |
	bk-put --part-size 5M --retries 2 s3://bk-fault/dead 2>err &
put=$!
sleep 1.5
kill -9 "$VGW_PID"
wait "$VGW_PID" 2>/dev/null || true
got=0
wait "$put" || got=$?
[ "$got" -eq 75 ] || fail "bk-put exited $got, expected 75: $(tail -n 3 err)"
expect_grep 'gave up after 3 attempts' err
restart_s3 0
if aws s3api head-object --bucket bk-fault --key dead >/dev/null 2>&1; then
	fail "a failed upload left an object"
fi
