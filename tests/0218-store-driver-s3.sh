#!/bin/bash
# The store interface's s3 driver without the tools: the unit test of the
# writer, the upload engine, get from an offset, list, remove and the
# catalog (tests/unit/test-upload.c) run against a real S3 server.  An
# aborted write leaves no unfinished multipart upload behind, and remove
# leaves nothing under the prefix.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-drv >/dev/null

${EXEC:-} "$BK_BUILD/tests/test-upload" s3://bk-drv/t/ 2>out ||
	fail "the store interface on s3: $(tail -n 5 out)"
grep -q ' 0 failed' out || fail "no checks ran: $(cat out)"
n=$(aws s3api list-multipart-uploads --bucket bk-drv \
    --query 'length(Uploads || `[]`)' --output text)
[ "$n" = 0 ] || fail "$n unfinished multipart uploads left behind"
# What is left is the committed catalog backup and its two sidecars.
aws s3 ls --recursive s3://bk-drv/t/ | awk '{print $4}' | sort >left
printf '%s\n' t/c/db.bk t/c/db.bk.manifest.json t/c/db.bk.sha256 >want
cmp left want || fail "left under the prefix: $(cat left)"
