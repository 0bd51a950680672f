#!/bin/bash
# bk-get survives a dropped connection: the server is killed and restarted
# on the same port while a download is held mid-object by its reader, and
# bk-get resumes with a ranged GET where it stopped instead of starting
# again.  No step depends on timing: each waits for the state it needs.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-resume >/dev/null

gen_bytes resume $((64 << 20)) >in
aws s3 cp in s3://bk-resume/obj >/dev/null
# A reader that takes 4 MiB and takes the rest only once the test says go
# (held, tests/lib.sh): bk-get is then stuck mid-object, with at most the
# socket and pipe buffers (well under 60 MiB) read ahead.
bk-get --uncommitted s3://bk-resume/obj 2>err | held $((4 << 20)) g >back &
get=$!
BK_PIDS="$BK_PIDS $get"
n=0
until [ -e g.started ]; do
	n=$((n + 1))
	[ "$n" -lt 1200 ] || fail "the download never started: $(cat err)"
	sleep 0.1
done
stop_versitygw
rerun_versitygw "$T/s3"
touch g.go
wait "$get" || fail "bk-get failed: $(cat err)"
cmp in back || fail "resumed download differs"
expect_grep 'resuming' err
