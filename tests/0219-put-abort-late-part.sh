#!/bin/bash
# A part upload that lands after the abort does not bring the multipart
# upload back for good.  S3 (and versitygw, which re-creates the upload's
# directory when a late part is linked) may keep a part whose upload was
# still being written when AbortMultipartUpload came; the bk-backup.sh
# signal test saw one upload left behind this way, once, under load.
# bk-put confirms its abort (ListParts) and aborts again.
#
# Made exact by a proxy, not by timing: the first part's body is forwarded
# but for its last byte; bk-put is stopped, cancels the part and aborts
# (the proxy lets the DELETE through and notes that the server answered);
# only then does the server get the part's last byte, and links the part.
. "$BK_TOP/tests/lib.sh"
. "$BK_TOP/tests/faultproxy.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-late >/dev/null
start_proxy "PUT partNumber=1& late=$T/aborted - 1" \
    "DELETE uploadId= touch=$T/aborted - -1"

# 6 MiB and a little (less than a pipe holds, so the writer is not held),
# then the stream stays open: part 1 (6 MiB) goes, part 2 waits.
mkfifo in
bk-put -j 1 --retries 2 "s3://bk-late/x?endpoint=$PROXY" <in 2>err &
pid=$!
exec 7>in
gen_bytes late $(((6 << 20) + 1000)) >&7
wait_grep 'late waiting' proxy.log \
    "the first part never reached the store (err)" "$pid"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
exec 7>&-
[ "$rc" -eq 3 ] || fail "bk-put exited $rc after SIGTERM, expected 3: $(cat err)"
expect_grep 'interrupted by signal 15' err
expect_grep 'multipart upload aborted' err
# The late part really was taken by the server, after the abort.
[ -e aborted ] || fail "the abort never reached the store: $(cat proxy.log)"
expect_grep '^PUT /bk-late/x\?partNumber=1&.* -> 200 mangled' proxy.log
# bk-put looked again and aborted again.
[ "$(grep -c '^DELETE /bk-late/x?uploadId=' proxy.log)" -ge 2 ] ||
	fail "the upload was aborted only once: $(cat proxy.log)"
expect_grep '^GET /bk-late/x\?max-parts=1&uploadId=.* -> 404' proxy.log
[ "$(aws s3api list-multipart-uploads --bucket bk-late --query 'length(Uploads || `[]`)')" = 0 ] ||
	fail "a multipart upload was left behind: $(aws s3api list-multipart-uploads --bucket bk-late)"
aws s3api head-object --bucket bk-late --key x >/dev/null 2>&1 &&
	fail "an object appeared"
exit 0
