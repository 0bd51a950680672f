#!/bin/bash
# bk-put against the AWS CLI (aws s3 cp -) and s3cmd (put -) uploading the
# same stream through a pipe to the same local versitygw.  BENCH_PUT_MIB
# sets the size (default 2048).  The server's disk is part of every row.
. "$BK_TOP/tests/bench/lib.sh"
T=$BENCH_DIR
. "$BK_TOP/tests/lib.sh"
# The tools under test: BK_BUILD picks a build directory, as in run.sh.
export PATH=$BK_TOP/${BK_BUILD:-build}/bin:$PATH

mib=${BENCH_PUT_MIB:-2048}
bytes=$((mib << 20))
in=$(bench_input "put-${mib}m" "$bytes")
start_versitygw "$BENCH_DIR/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bench >/dev/null
cat >"$BENCH_DIR/s3cfg" <<EOC
[default]
access_key = $S3_ACCESS_KEY
secret_key = $S3_SECRET_KEY
host_base = 127.0.0.1:$VGW_PORT
host_bucket = 127.0.0.1:$VGW_PORT
use_https = False
signature_v2 = False
bucket_location = us-east-1
EOC
chmod 600 "$BENCH_DIR/s3cfg"
# The AWS CLI wrapper is a shell function; the bench runs bash -c.
awscli="/usr/bin/aws --endpoint-url $S3_ENDPOINT"

bench_group "Upload ${mib} MiB from a pipe to a local S3 server (versitygw)"
bench "cat | bk-put (6 MiB parts, 4 jobs)" "$bytes" \
    "cat $in | bk-put --overwrite s3://bench/bk"
bench "cat | aws s3 cp - (8 MiB parts, 10 threads)" "$bytes" \
    "cat $in | $awscli s3 cp - s3://bench/aws"
bench "cat | s3cmd put - (15 MiB parts)" "$bytes" \
    "cat $in | s3cmd -q -c $BENCH_DIR/s3cfg put - s3://bench/s3cmd"
bench_group "bk-put part size and jobs (${mib} MiB)"
bench "cat | bk-put -j 8 --part-size 16M" "$bytes" \
    "cat $in | bk-put --overwrite -j 8 --part-size 16M s3://bench/bk"
bench "cat | bk-put -j 2" "$bytes" \
    "cat $in | bk-put --overwrite -j 2 s3://bench/bk"
