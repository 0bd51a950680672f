#!/bin/bash
# One run, two S3 servers with different credentials (per-destination
# profiles), plus a local directory: all get identical bytes.  When one
# destination fails, the others still succeed and --json says which.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/a"
A_END=$S3_ENDPOINT A_KEY=$S3_ACCESS_KEY A_SECRET=$S3_SECRET_KEY
start_versitygw "$T/b"
B_END=$S3_ENDPOINT B_KEY=$S3_ACCESS_KEY B_SECRET=$S3_SECRET_KEY
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL AWS_PROFILE
export AWS_SHARED_CREDENTIALS_FILE=$T/credentials AWS_CONFIG_FILE=$T/config
cat >credentials <<EOC
[prod]
aws_access_key_id = $A_KEY
aws_secret_access_key = $A_SECRET
[eu]
aws_access_key_id = $B_KEY
aws_secret_access_key = $B_SECRET
EOC
cat >config <<EOC
[profile prod]
region = us-east-1
endpoint_url = $A_END
[profile eu]
region = us-east-1
s3 =
    endpoint_url = $B_END
    addressing_style = path
EOC
chmod 600 credentials
AWS_PROFILE=prod aws --endpoint-url "$A_END" s3api create-bucket --bucket bk-a >/dev/null
AWS_PROFILE=eu aws --endpoint-url "$B_END" s3api create-bucket --bucket bk-b >/dev/null
mkdir nas

gen_bytes two $((17 << 20)) >in
bk-put --part-size 5M --json=st.json "s3://bk-a/x?profile=prod" \
    "s3://bk-b/x?profile=eu" "file://$T/nas/x" <in
jq -e '.ok and (.destinations | length == 3 and all(.ok))' st.json >/dev/null ||
	fail "status: $(cat st.json)"
AWS_PROFILE=prod aws --endpoint-url "$A_END" s3 cp s3://bk-a/x got-a >/dev/null
AWS_PROFILE=eu aws --endpoint-url "$B_END" s3 cp s3://bk-b/x got-b >/dev/null
for f in got-a got-b nas/x; do cmp in "$f" || fail "$f differs"; done
# The endpoint may also be given in the URL; AWS_PROFILE picks the keys.
AWS_PROFILE=eu bk-get --uncommitted "s3://bk-b/x?endpoint=$B_END&region=us-east-1" | cmp - in ||
	fail "endpoint= in the URL"

# One bad destination (no such bucket): the others succeed, exit 3.
rm -f st.json
expect_exit 3 bk-put --part-size 5M --json=st.json "s3://bk-a/y?profile=prod" \
    "s3://bk-missing/y?profile=eu" <in 2>err
jq -e '(.destinations[0].ok) and (.destinations[1].ok | not) and
    (.destinations[1].error | test("NoSuchBucket"))' st.json >/dev/null ||
	fail "status: $(cat st.json)"
AWS_PROFILE=prod aws --endpoint-url "$A_END" s3 cp s3://bk-a/y got-a >/dev/null
cmp in got-a || fail "the good destination did not get the data"
# An unknown profile is refused before anything is sent.
expect_exit 2 bk-put "s3://bk-a/z?profile=nosuch" <in 2>err
expect_grep 'profile nosuch' err
