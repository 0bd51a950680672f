#!/bin/bash
# A write that landed but whose answer was lost (a connection reset, a
# timeout) is retried; the retry of a conditional write (If-None-Match: *,
# which bk-put uses so as never to overwrite) then meets the object its
# first attempt made: 412, or NoSuchUpload for a completed multipart
# upload.  That is success, not "already exists" — if, and only if, the
# object there is the one being written (its SHA-256, or for multipart
# the composite checksum or ETag).  0607 found this: a commit failed
# because the sidecar's first PUT had landed and its answer was reset.
#
# Made exact by faultproxy's "lost" (forward, then hang up without an
# answer), and a race with another writer by its gate.
. "$BK_TOP/tests/lib.sh"
. "$BK_TOP/tests/faultproxy.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-lost >/dev/null
# versitygw answers a repeated completion 200 again; S3 answers
# NoSuchUpload, which the second rule makes of the retry's answer.
start_proxy "POST uploadId= lost - 1" \
    "POST uploadId= status=404 - 1" \
    "PUT /bk-lost/p/small\$ lost - 1" \
    "PUT \\.sha256\$ lost - 2" \
    "PUT \\.manifest\\.json\$ lost - 2" \
    "PUT /bk-lost/race\$ gate=$T/go,lost - 1"
ep="endpoint=$PROXY"

# A multipart object whose completion's answer is lost, committed with
# the sidecar's and the manifest's answers lost too.
gen_bytes big $((14 << 20)) >big
gen_bytes small 5000 >small
bk-hash -n db-big.bk -o sum <big | bk-put "s3://bk-lost/p/db-big.bk?$ep" 2>big.err ||
	fail "multipart upload, completion answer lost: $(cat big.err)"
expect_grep '^POST /bk-lost/p/db-big.bk\?uploadId=.* -> 200 lost' proxy.log
expect_grep '^POST /bk-lost/p/db-big.bk\?uploadId=.* -> 404 mangled' proxy.log
expect_grep 'an earlier attempt had stored it' big.err
bk-put --commit --sum sum --kind db "s3://bk-lost/p/db-big.bk?$ep" 2>commit.err ||
	fail "commit, answers lost: $(cat commit.err)"
expect_grep '^PUT /bk-lost/p/db-big.bk.sha256 -> 200 lost' proxy.log
expect_grep '^PUT /bk-lost/p/db-big.bk.manifest.json -> 200 lost' proxy.log
[ "$(grep -c 'an earlier attempt had stored it' commit.err)" -eq 2 ] ||
	fail "commit: $(cat commit.err)"
# A single PUT.
bk-put "s3://bk-lost/p/small?$ep" <small 2>small.err ||
	fail "single PUT, answer lost: $(cat small.err)"
expect_grep '^PUT /bk-lost/p/small -> 412 upstream' proxy.log
# Everything is there, whole, and verifies.
bk-get --list --json s3://bk-lost/p/ >list
jq -se 'map(select(.committed)) | map(.name) == ["db-big.bk"]' list >/dev/null ||
	fail "listing: $(cat list)"
bk-get s3://bk-lost/p/db-big.bk | cmp - big || fail "the multipart object differs"
bk-get --uncommitted s3://bk-lost/p/small | cmp - small || fail "the small object differs"
bk-verify --level full s3://bk-lost/p/ >verify 2>&1 || fail "verify: $(cat verify)"

# The other way: another writer's object arrives between bk-put's check
# and its PUT, whose answer is then lost.  The retry's 412 is not bk-put's
# own object: refused, and the other object is left as it was.
gen_bytes mine 4000 >mine
gen_bytes theirs 4000 >theirs
bk-put "s3://bk-lost/race?$ep" <mine 2>race.err &
pid=$!
wait_grep '^PUT /bk-lost/race gate waiting' proxy.log \
    "the PUT never reached the proxy (race.err)" "$pid"
bk-put s3://bk-lost/race <theirs 2>theirs.err || fail "the other writer: $(cat theirs.err)"
touch go
rc=0
wait "$pid" || rc=$?
[ "$rc" -ne 0 ] || fail "bk-put took another writer's object for its own"
expect_grep 'already exists; not overwritten' race.err
grep -q 'an earlier attempt had stored it' race.err && fail "claimed: $(cat race.err)"
aws s3 cp --quiet s3://bk-lost/race got
cmp got theirs || fail "the other writer's object was changed"
exit 0
