#!/bin/bash
# bk-get checks every answer of a download, the first and each resumed
# one: the status (200 to the first request, 206 to a ranged one, never a
# 416), that Content-Range starts at the byte asked for and runs to the
# object's end, that Content-Length is there and matches, that the bytes
# announced all came, and that the ETag is the first answer's (If-Match is
# sent).  A proxy in front of the real versitygw bends one answer at a
# time; bk-get must refuse each with one line and a non-zero exit, never
# exit 0 with bytes that are not the object.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-ans >/dev/null
gen_bytes answers $((3 << 20)) >in
bk-hash -n obj -o sum <in | bk-put s3://bk-ans/obj
bk-put --commit --sum sum s3://bk-ans/obj

. "$BK_TOP/tests/faultproxy.sh"

# refused WHAT PATTERN RULE...: bk-get through a proxy with RULEs exits
# 3 with one line matching PATTERN, and what it wrote is not the object.
refused() {
	local what=$1 pat=$2 got=0
	shift 2
	start_proxy "$@"
	AWS_ENDPOINT_URL=$PROXY bk-get --retries 2 s3://bk-ans/obj >out 2>err ||
		got=$?
	[ "$got" -eq 3 ] || fail "$what: bk-get exited $got: $(cat err)"
	expect_grep "^bk-get: s3://bk-ans/obj: .*$pat" err
	[ "$(grep -vc 'resuming' err)" -eq 1 ] || fail "$what: not one line: $(cat err)"
	! cmp -s in out || fail "$what: the whole object came, yet exit $got"
	# Nothing but the object's own first bytes was written.
	cmp -s out <(head -c "$(stat -c %s out)" in) ||
		fail "$what: foreign bytes written"
}

drop="GET /obj$ drop=1000000 - 1"
# Resumed answers.
refused "200 to a ranged request" 'HTTP 200 to a request from byte 1000000: the server ignored the Range' \
	"$drop" "GET /obj$ norange - 1"
refused "206 from another byte" 'Content-Range bytes 1000100-.* does not run from byte 1000000' \
	"$drop" "GET /obj$ shift=100 - 1"
refused "206 shorter than its Content-Range" 'Content-Length 2144728 does not match Content-Range' \
	"$drop" "GET /obj$ short=1000 - 1"
refused "416" 'HTTP 416 Range Not Satisfiable from byte 1000000' \
	"$drop" "GET /obj$ 416 InvalidRange 1"
refused "a changed ETag" 'ETag changed from .* to "forged"' \
	"$drop" 'GET /obj$ etag="forged" - 1'
refused "no Content-Length" 'an answer without Content-Length' \
	"$drop" "GET /obj$ nolength - 1"
refused "no ETag to resume by" 'at byte 1000000; cannot resume: the server sent no ETag' \
	"GET /obj$ etag=,drop=1000000 - 1"
# The first answer.
refused "first: no Content-Length" 'an answer without Content-Length' \
	"GET /obj$ nolength - 1"
refused "first: 206 to a request for all" 'HTTP 206 to a request for the whole object' \
	"GET /obj$ range0=999 - 1"
# A 200 whose Content-Length agrees with a short body: only the manifest
# knows the object's size.
refused "first: shorter than the manifest" 'the object is 3144728 bytes, its manifest says 3145728' \
	"GET /obj$ short=1000 - 1"

# A download that drops twice resumes twice, with Range and If-Match.
start_proxy "$drop" "GET /obj$ drop=500000 - 1"
AWS_ENDPOINT_URL=$PROXY bk-get s3://bk-ans/obj >out 2>err ||
	fail "resume failed: $(cat err)"
cmp in out || fail "resumed download differs"
[ "$(grep -c 'range=bytes=.*if-match' proxy.log)" -eq 2 ] ||
	fail "resumes without Range and If-Match: $(cat proxy.log)"

# The object is replaced between the drop and the resume: the server
# refuses the If-Match.  (A server that ignores If-Match is caught by the
# ETag check above.)
gen_bytes other $((3 << 20)) >other
for copy in other in; do
	rm -f gate
	start_proxy "$drop" "GET /obj$ gate=$T/gate - 1"
	AWS_ENDPOINT_URL=$PROXY bk-get s3://bk-ans/obj >out 2>err &
	get=$!
	n=0
	until grep -q 'gate waiting' proxy.log; do
		n=$((n + 1))
		[ "$n" -lt 3000 ] || fail "the resume never came: $(cat err)"
		sleep 0.1
	done
	aws s3 cp "$copy" s3://bk-ans/obj >/dev/null
	touch gate
	got=0
	wait "$get" || got=$?
	[ "$got" -eq 3 ] || fail "object replaced by $copy: exit $got: $(cat err)"
	expect_grep 'the object changed during the download \(If-Match .* failed\)' err
done
