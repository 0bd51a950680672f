#!/bin/bash
# bk-get survives a dropped connection: the server is killed and restarted
# on the same port during a rate-limited download, and bk-get resumes with
# a ranged GET where it stopped instead of starting again.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-resume >/dev/null
vgw=$BK_CACHE/versitygw-v1.7.0/bin/versitygw

gen_bytes resume $((48 << 20)) >in
aws s3 cp in s3://bk-resume/obj >/dev/null
# A slow reader: 1 MiB every 60 ms, about 16 MiB/s.
slow() {
	"$PY" -c '
import sys, time
while True:
    b = sys.stdin.buffer.read(1 << 20)
    if not b: break
    sys.stdout.buffer.write(b); time.sleep(0.06)'
}
bk-get --uncommitted s3://bk-resume/obj 2>err | slow >back &
get=$!
sleep 1
kill -9 "$VGW_PID"
wait "$VGW_PID" 2>/dev/null || true
sleep 1
ROOT_ACCESS_KEY=$S3_ACCESS_KEY ROOT_SECRET_KEY=$S3_SECRET_KEY \
    "$vgw" --port "127.0.0.1:$VGW_PORT" --quiet \
    posix --sidecar "$T/s3/meta" "$T/s3/data" >>"$T/s3/versitygw.log" 2>&1 &
VGW_PID=$!
BK_PIDS="$BK_PIDS $VGW_PID"
wait "$get" || fail "bk-get failed: $(cat err)"
cmp in back || fail "resumed download differs"
expect_grep 'resuming' err
