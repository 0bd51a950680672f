#!/bin/bash
# A key with "." or ".." segments (or an empty one), escaped or not, is
# refused when the URL is read (exit 2), by bk-put, bk-get and --list, in
# s3:// URLs and file:// paths: s3://bkt/db/../../etc/x.bk never reaches
# another bucket's /etc/x.bk, nor file:///nas/db/../x another file.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-seg >/dev/null
aws s3api create-bucket --bucket etc >/dev/null
echo secret | aws s3 cp - s3://etc/x.bk >/dev/null
mkdir -p nas/db
echo private >nas/x

expect_exit 2 bk-get --uncommitted s3://../etc/x.bk >/dev/null 2>err
expect_grep 'is not a bucket name' err
for url in s3://bk-seg/db/../../etc/x.bk s3://bk-seg/db/%2E%2E/%2e%2e/etc/x.bk \
    s3://bk-seg/db/./x.bk s3://bk-seg/db//x.bk "s3://bk-seg/db/..?profile=p" \
    "file://$T/nas/db/../x" "file://$T/nas/db/%2e%2e/x" "file://$T/nas//x"; do
	expect_exit 2 bk-get --uncommitted "$url" >out 2>err
	expect_grep 'a (key|path) with a ".", ".." or empty segment' err
	[ ! -s out ] || fail "$url: bk-get wrote $(cat out)"
	echo new | expect_exit 2 bk-put --overwrite "$url" 2>err
	expect_grep 'empty segment' err
	expect_exit 2 bk-get --list "${url%/*}/../" >/dev/null 2>err
done
[ "$(aws s3 cp s3://etc/x.bk -)" = secret ] || fail "another bucket's object was replaced"
[ "$(cat nas/x)" = private ] || fail "another file was replaced"
