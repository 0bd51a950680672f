#!/bin/bash
# Several destinations in one pass, one of them slow (every part delayed by
# a proxy in front of versitygw): both get identical bytes, and bk-put's
# memory stays within jobs x part size however long the stream, because a
# part buffer is reused only when every destination has stored it.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-fast >/dev/null
aws s3api create-bucket --bucket bk-slow >/dev/null
port=$(free_port)
"$PY" "$BK_TOP/tests/faultproxy.py" "$port" "$VGW_PORT" "$T/proxy.log" \
	"PUT partNumber 0 300 -1" &
BK_PIDS="$BK_PIDS $!"
wait_port "$port" 10 || fail "proxy did not start"

mib=200
gen_bytes slow $((mib << 20)) | bk-hash -o sum -n x |
	peak_rss rss bk-put -j 2 --part-size 5M --json=st.json \
	    s3://bk-fast/x "s3://bk-slow/x?endpoint=http://127.0.0.1:$port" ||
	fail "bk-put: $(cat st.json)"
jq -e '.ok and (.destinations | length == 2 and all(.ok))' st.json >/dev/null ||
	fail "status: $(cat st.json)"
[ "$(grep -c 'partNumber.*upstream' proxy.log)" -ge 40 ] || fail "the slow path was not used: $(head proxy.log)"
for b in bk-fast bk-slow; do
	aws s3 cp "s3://$b/x" - | sha256sum | cut -c1-64 >got
	[ "$(cat got)" = "$(cut -c1-64 sum)" ] || fail "$b differs"
done
# 2 jobs x 5 MiB parts = 10 MiB of buffers; the rest is the program.  A
# reader not held back by the slow destination would buffer ~200 MiB, so
# the same two destinations with a 5x shorter stream must cost as much.
small=40
gen_bytes slow $((small << 20)) |
	peak_rss rss-small bk-put -j 2 --part-size 5M \
	    s3://bk-fast/y "s3://bk-slow/y?endpoint=http://127.0.0.1:$port" ||
	fail "bk-put of the short stream"
expect_flat "bk-put, one slow destination" "$(cat rss-small)" "$(cat rss)" \
	$((small << 20)) $((mib << 20))
