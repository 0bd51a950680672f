#!/bin/bash
# bk-encrypt finds KMS as the AWS CLI would: credentials and region from a
# profile in the credentials and config files, the endpoint from
# AWS_ENDPOINT_URL_KMS, then AWS_ENDPOINT_URL, then the profile's
# "kms = endpoint_url", then its plain endpoint_url; the S3 endpoint
# settings play no part.
. "$BK_TOP/tests/lib.sh"

start_kms "$T/kms"
unset BK_KEYRING
key=$(kms_aws create-key --query KeyMetadata.KeyId --output text)
gen_bytes settings 200000 >in
dead=http://127.0.0.1:1	# nothing listens there

# No credentials in the environment from here on: only the profile's.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION
export HOME=$T/home AWS_SHARED_CREDENTIALS_FILE=$T/creds \
    AWS_CONFIG_FILE=$T/config
mkdir -p "$HOME"
cat >"$T/creds" <<EOF
[bk-kms]
aws_access_key_id = bkprofilekey
aws_secret_access_key = bkprofilesecret
aws_session_token = bkprofilesessiontoken
EOF
cat >"$T/config" <<EOF
[profile bk-kms]
region = eu-west-2
s3 =
    endpoint_url = $dead
kms =
    endpoint_url = $KMS_ENDPOINT
[profile plain]
region = eu-west-2
endpoint_url = $KMS_ENDPOINT
EOF
chmod 600 "$T/creds" "$T/config"

# roundtrip: seal and open with the settings in the environment now.
roundtrip() {
	bk-encrypt --kms-key-id "$key" <in >c || fail "sealing: $*"
	bk-encrypt -d <c | cmp - in || fail "opening: $*"
}

# Without a profile there are no credentials: refused, nothing written.
expect_exit 3 bk-encrypt --kms-key-id "$key" <in >out 2>err
expect_grep 'KMS: no AWS credentials' err
[ ! -s out ] || fail "output without credentials"

# The profile's credentials, its region and its kms endpoint_url (its s3
# endpoint_url, dead, is not used for KMS).
export AWS_PROFILE=bk-kms
unset AWS_ENDPOINT_URL_KMS
roundtrip "profile bk-kms with kms = endpoint_url"

# The environment's endpoints win over the profile's, the KMS one first;
# AWS_ENDPOINT_URL_S3 is not KMS's.
AWS_ENDPOINT_URL_S3=$dead AWS_ENDPOINT_URL=$KMS_ENDPOINT roundtrip \
    "AWS_ENDPOINT_URL"
AWS_ENDPOINT_URL=$dead AWS_ENDPOINT_URL_KMS=$KMS_ENDPOINT roundtrip \
    "AWS_ENDPOINT_URL_KMS before AWS_ENDPOINT_URL"
expect_exit 75 env AWS_ENDPOINT_URL_KMS=$dead \
    bk-encrypt --kms-key-id "$key" <in >out 2>err
expect_grep "at $dead: .*gave up after 5 attempts" err

# A profile with a plain endpoint_url; the credentials from the
# environment this time.
AWS_PROFILE=plain AWS_ACCESS_KEY_ID=bkenvkey AWS_SECRET_ACCESS_KEY=bkenv \
    roundtrip "profile plain with endpoint_url"

# A profile that does not exist gives no credentials (as for S3).
expect_exit 3 env AWS_PROFILE=nosuch bk-encrypt -d <c >out 2>err
expect_grep 'KMS: no AWS credentials' err
