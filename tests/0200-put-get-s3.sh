#!/bin/bash
# bk-put and bk-get against an S3 server (versitygw), checked with the AWS
# CLI in both directions: sizes 0, 1, one part -1/+0/+1 and many parts.
# Overwrites are refused; a wrong secret is a clear 403.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-test >/dev/null
part=$((5 << 20))

for size in 0 1 $((part - 1)) $part $((part + 1)) $((4 * part + 12345)); do
	gen_bytes "s$size" "$size" >in
	# bk-put writes, the AWS CLI reads.
	bk-put --part-size 5M -j 3 --json=put.json "s3://bk-test/up/$size" <in ||
		fail "bk-put of $size bytes failed"
	jq -e '.ok and .destinations[0].ok' put.json >/dev/null ||
		fail "status: $(cat put.json)"
	aws s3 cp "s3://bk-test/up/$size" back >/dev/null
	cmp in back || fail "$size bytes: awscli read back something else"
	# The AWS CLI writes, bk-get reads.
	aws s3 cp in "s3://bk-test/down/$size" >/dev/null
	bk-get --uncommitted "s3://bk-test/down/$size" >back || fail "bk-get of $size failed"
	cmp in back || fail "$size bytes: bk-get read back something else"
	rm -f put.json
done

# Never overwrite unless told.
echo other | expect_exit 3 bk-put s3://bk-test/up/1 2>err
expect_grep 'already exists' err
gen_bytes s1 1 | cmp - <(bk-get --uncommitted s3://bk-test/up/1) ||
	fail "a refused overwrite changed the object"
echo new | bk-put --overwrite s3://bk-test/up/1
[ "$(bk-get --uncommitted s3://bk-test/up/1)" = new ] || fail "--overwrite did not replace"

# A wrong secret: the server's code and message, exit 3, not retried.
AWS_SECRET_ACCESS_KEY=wrong expect_exit 3 bk-get --uncommitted s3://bk-test/up/1 \
	>/dev/null 2>err
expect_grep '^bk-get: s3://bk-test/up/1: HTTP 403 SignatureDoesNotMatch: ' err
echo x | AWS_SECRET_ACCESS_KEY=wrong expect_exit 3 bk-put \
	s3://bk-test/up/403 2>err
expect_grep "HTTP 403" err

# A missing object is a clear 404; a bad URL is a usage error.
expect_exit 3 bk-get s3://bk-test/nope >/dev/null 2>err
expect_grep 'HTTP 404 NoSuchKey' err
expect_exit 2 bk-get s3://bk-test/dir/ >/dev/null 2>err
expect_exit 2 bk-get http://example.com/x >/dev/null 2>err
# Credentials never appear in messages.
if grep -q "$S3_SECRET_KEY" err; then fail "secret printed"; fi
