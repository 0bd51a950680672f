#!/bin/bash
# TLS is verified: a self-signed server certificate is refused, and
# accepted once AWS_CA_BUNDLE names it.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3" tls
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
AWS_CA_BUNDLE=$T/s3/cert.pem aws s3api create-bucket --bucket bk-tls >/dev/null
echo secret data >in

expect_exit 3 bk-put --retries 0 s3://bk-tls/x <in 2>err
expect_grep 'certificate' err
expect_exit 3 bk-get --uncommitted s3://bk-tls/x >/dev/null 2>err
expect_grep 'certificate' err

export AWS_CA_BUNDLE=$T/s3/cert.pem
bk-put s3://bk-tls/x <in
bk-get --uncommitted s3://bk-tls/x | cmp - in || fail "TLS round trip"
# The bundle also comes from the profile (ca_bundle), as in the AWS CLI.
unset AWS_CA_BUNDLE
printf '[default]\nca_bundle = %s\n' "$T/s3/cert.pem" >config
AWS_CONFIG_FILE=$T/config bk-get --uncommitted s3://bk-tls/x | cmp - in ||
	fail "ca_bundle from the config file"
