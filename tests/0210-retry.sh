#!/bin/bash
# Retries: a proxy in front of the real versitygw answers chosen requests
# with 503 SlowDown, 500 InternalError, 429 and 403.  bk-put and bk-get
# retry the temporary ones from memory and finish byte-exact; they give up
# after --retries with exit 75 and nothing visible; a 403 is never retried.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
direct=$S3_ENDPOINT
use_s3 "$direct" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-retry >/dev/null

. "$BK_TOP/tests/faultproxy.sh"
injected() { grep -c "$1.* injected" proxy.log || true; }

gen_bytes retry $((17 << 20)) >in

# Temporary answers on CreateMultipartUpload, two parts, and completion.
start_proxy "POST uploads 429 SlowDown 1" "PUT partNumber=2 503 SlowDown 2" \
	"PUT partNumber=3 500 InternalError 1" "POST uploadId 503 ServiceUnavailable 1"
AWS_ENDPOINT_URL=$PROXY bk-put --part-size 5M s3://bk-retry/a <in 2>put.err ||
	fail "bk-put did not survive retries: $(cat put.err)"
[ "$(injected 'POST /bk-retry/a?uploads')" -eq 1 ] || fail "429 not injected: $(cat proxy.log)"
[ "$(injected 'partNumber=2')" -eq 2 ] || fail "503 not injected twice"
[ "$(injected 'partNumber=3')" -eq 1 ] || fail "500 not injected"
[ "$(injected 'POST /bk-retry/a?uploadId')" -eq 1 ] || fail "completion 503 not injected"
aws s3 cp s3://bk-retry/a back >/dev/null
cmp in back || fail "object differs after retried parts"

# A single-part PUT and a GET retried the same way.
start_proxy "PUT - 503 SlowDown 2" "GET - 500 InternalError 2"
head -c 1000 in | AWS_ENDPOINT_URL=$PROXY bk-put s3://bk-retry/small 2>put2.err ||
	fail "single PUT: $(cat put2.err)"
AWS_ENDPOINT_URL=$PROXY bk-get --uncommitted s3://bk-retry/a >got 2>get.err || fail "bk-get: $(cat get.err)"
cmp in got || fail "bk-get output differs after retries"
[ "$(injected '^GET')" -eq 2 ] || fail "GET faults not injected: $(cat proxy.log)"

# Retries exhausted: exit 75, the multipart upload aborted, nothing visible.
start_proxy "PUT partNumber=2 503 SlowDown -1"
AWS_ENDPOINT_URL=$PROXY expect_exit 75 bk-put --retries 2 --part-size 5M s3://bk-retry/b <in 2>put3.err
expect_grep 's3://bk-retry/b.*503 SlowDown' put3.err
[ "$(injected 'partNumber=2')" -eq 3 ] || fail "expected 1 try + 2 retries: $(cat proxy.log)"
expect_exit 254 aws s3api head-object --bucket bk-retry --key b 2>/dev/null >/dev/null
aws s3api list-multipart-uploads --bucket bk-retry >mpu.json
[ "$(jq -s '.[0].Uploads // [] | length' mpu.json)" -eq 0 ] || fail "upload not aborted: $(cat mpu.json)"

# A permanent answer is not retried: one try, exit 3.
start_proxy "PUT - 403 AccessDenied 1"
head -c 1000 in | AWS_ENDPOINT_URL=$PROXY expect_exit 3 bk-put s3://bk-retry/c 2>put4.err
expect_grep 'HTTP 403 AccessDenied' put4.err
[ "$(grep -c '^PUT' proxy.log)" -eq 1 ] || fail "403 was retried: $(cat proxy.log)"
