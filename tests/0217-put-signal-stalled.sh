#!/bin/bash
# bk-put stopped by SIGTERM while every part buffer is in flight to a store
# that has stalled: it cancels the transfers, aborts the multipart upload
# and exits 3 promptly (a cron script's patience before SIGKILL is short),
# leaving nothing behind.  Also: a bad URL among several destinations is a
# usage error with a --json line, never a crash.
. "$BK_TOP/tests/lib.sh"
. "$BK_TOP/tests/faultproxy.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-stall >/dev/null
# Every part waits for a file that never appears: the store has stalled.
start_proxy "PUT partNumber gate=$T/never - -1"

gen_bytes stall $((64 << 20)) >in
bk-put -j 2 --part-size 5M --json=st.json \
	"s3://bk-stall/x?endpoint=$PROXY" <in 2>err &
pid=$!
n=0
until [ "$(grep -c 'gate waiting' "$T/proxy.log")" -ge 2 ]; do
	n=$((n + 1))
	[ "$n" -lt 600 ] || fail "the parts never reached the stalled store"
	sleep 0.1
done
kill -TERM "$pid"
# Nothing here waits on a clock but this bound on a liveness: the transfers
# are cancelled within about a second; before, bk-put waited out curl's
# 60 s stall timeout and then retried.
n=0
while kill -0 "$pid" 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -lt 450 ] || { kill -KILL "$pid"; fail "bk-put ignored SIGTERM for 45 s with its parts stalled"; }
	sleep 0.1
done
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 3 ] || fail "bk-put exited $rc after SIGTERM, expected 3: $(cat err)"
expect_grep 'interrupted by signal 15' err
expect_grep 'multipart upload aborted' err
[ "$(aws s3api list-multipart-uploads --bucket bk-stall --query 'length(Uploads || `[]`)')" = 0 ] ||
	fail "a multipart upload was left behind"
aws s3api head-object --bucket bk-stall --key x >/dev/null 2>&1 &&
	fail "an object appeared"
jq -e '.ok == false and .exit == 3' st.json >/dev/null || fail "status: $(cat st.json)"

# A bad URL in the middle: exit 2, every destination named in --json, and
# the temporary file of the first one gone.
mkdir store
expect_exit 2 bk-put --json=bad.json "file://$T/store/a" ftp://x/y \
	"file://$T/store/b" <in 2>err
jq -e '.exit == 2 and (.destinations | length == 3)' bad.json >/dev/null ||
	fail "status: $(cat bad.json)"
[ -z "$(ls -A store)" ] || fail "left in the store: $(ls -A store)"
# A file:// destination that cannot be opened says why in --json.
expect_exit 3 bk-put --json=f.json "file://$T/store/c" "file://$T/nodir/deeper/d" <in 2>err
jq -e '.destinations[1].error | test("parent directory does not exist")' f.json >/dev/null ||
	fail "no error for the failed file destination: $(cat f.json)"
