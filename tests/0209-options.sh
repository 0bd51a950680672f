#!/bin/bash
# Object options reach the store: tags, content type, object lock (on a
# single PutObject and on a multipart upload), SSE-S3; bad combinations
# are usage errors.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-lock --object-lock-enabled-for-bucket >/dev/null
echo hello >small
gen_bytes opts $((11 << 20)) >big
until=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)

bk-put --tag team=ops --tag tier=hot --content-type application/x-bk \
    --storage-class STANDARD --object-lock-mode GOVERNANCE \
    --object-lock-retain-until "$until" s3://bk-lock/small <small
aws s3api get-object-tagging --bucket bk-lock --key small >tags.json
jq -e '.TagSet | map({(.Key): .Value}) | add == {team: "ops", tier: "hot"}' \
    tags.json >/dev/null || fail "tags: $(cat tags.json)"
aws s3api head-object --bucket bk-lock --key small >head.json
jq -e '.ContentType == "application/x-bk" and .ObjectLockMode == "GOVERNANCE"' \
    head.json >/dev/null || fail "head: $(cat head.json)"

bk-put --part-size 5M --object-lock-mode GOVERNANCE \
    --object-lock-retain-until "$until" s3://bk-lock/big <big
aws s3api get-object-retention --bucket bk-lock --key big >ret.json
jq -e '.Retention.Mode == "GOVERNANCE"' ret.json >/dev/null ||
	fail "multipart retention: $(cat ret.json)"
bk-get --uncommitted s3://bk-lock/big | cmp - big || fail "locked object differs"

bk-put --sse AES256 s3://bk-lock/sse <small
bk-get --uncommitted s3://bk-lock/sse | cmp - small || fail "SSE object differs"

expect_exit 2 bk-put --sse rot13 s3://bk-lock/x <small 2>/dev/null
expect_exit 2 bk-put --sse-kms-key-id k s3://bk-lock/x <small 2>/dev/null
expect_exit 2 bk-put --object-lock-mode GOVERNANCE s3://bk-lock/x <small 2>/dev/null
expect_exit 2 bk-put --tag 'a=b&c=d' s3://bk-lock/x <small 2>/dev/null
expect_exit 2 bk-put --part-size 1M s3://bk-lock/x <small 2>/dev/null
expect_exit 2 bk-put s3://bk-lock/x?bogus=1 <small 2>/dev/null
