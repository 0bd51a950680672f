#!/bin/bash
# Packet loss and connection resets between bk and the S3 server, made by
# the kernel inside a network namespace this test makes for itself
# (loopback only).  The issue asks for tc netem; this kernel has no netem
# qdisc ("Specified qdisc kind is unknown"), so the faults are nftables
# rules instead, deterministic ones (numgen inc, not random):
#   - every 33rd data packet to and from the server is dropped (TCP
#     retransmits it: real loss, not a proxy's imitation);
#   - every 150th packet from the server, and every 600th to it, is
#     refused with a TCP reset, at most once a second each (connections
#     die in the middle of a part, a download, a listing);
#   - the link is a 100 Mbit/s token bucket (tc tbf), so transfers queue.
# Through that: a 30 MiB backup is stored and committed, listed, fetched
# byte-exact, verified full; nothing incomplete is left.  Then resets on
# every packet: bk-put gives up with 75 and nothing is visible as stored.
. "$BK_TOP/tests/lib.sh"

if [ -z "${BK_NETNS:-}" ]; then
	for c in unshare nft tc ip; do
		command -v "$c" >/dev/null || skip "$c is not installed (make deps)"
	done
	unshare -n true 2>/dev/null ||
	    skip "cannot make a network namespace here (unshare -n needs root or user namespaces)"
	exec unshare -n env BK_NETNS=1 bash "$0"
fi
ip link set lo up
tc qdisc add dev lo root tbf rate 100mbit burst 256kb latency 200ms ||
	fail "tc tbf on lo"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-net >/dev/null

# faults RULES: the namespace's filter, replaced.
faults() {
	nft flush ruleset
	nft -f - <<EON || fail "nft: cannot load the rules"
table inet bk {
	chain in {
		type filter hook input priority 0;
		$1
	}
}
EON
}
# counter N: packets counted by the N-th rule (1-based).
counter() {
	nft list chain inet bk in | grep -o 'counter packets [0-9]*' |
	    sed -n "${1}p" | awk '{ print $3 }'
}
p=$VGW_PORT
est="tcp flags & (syn | rst) == 0"
faults "tcp dport $p $est numgen inc mod 33 == 5 counter drop
		tcp sport $p $est numgen inc mod 33 == 5 counter drop
		tcp sport $p $est numgen inc mod 150 == 100 limit rate 1/second counter reject with tcp reset
		tcp dport $p $est numgen inc mod 600 == 300 limit rate 1/second counter reject with tcp reset"

gen_bytes net $((30 << 20)) >data
want=$(sha256sum <data | cut -d' ' -f1)
bk-hash -n db-net.bk -o sum <data | bk-put -j 2 s3://bk-net/p/db-net.bk 2>put.err ||
	fail "bk-put through loss and resets: $(cat put.err)"
bk-put --commit --sum sum --kind db s3://bk-net/p/db-net.bk 2>commit.err ||
	fail "commit: $(cat commit.err)"
bk-get --list --json s3://bk-net/p/ >list 2>list.err || fail "list: $(cat list.err)"
jq -se 'length == 1 and .[0].committed' list >/dev/null || fail "listing: $(cat list)"
bk-get s3://bk-net/p/db-net.bk 2>get.err >got || fail "bk-get: $(cat get.err)"
[ "$(sha256sum <got | cut -d' ' -f1)" = "$want" ] || fail "the bytes fetched differ"
bk-verify --level full s3://bk-net/p/ >verify 2>verify.err ||
	fail "verify: $(cat verify verify.err)"
drops=$(( $(counter 1) + $(counter 2) ))
resets=$(( $(counter 3) + $(counter 4) ))
note "packets dropped: $drops, connections reset: $resets"
note "what the tools said: $(cat put.err commit.err list.err get.err verify.err | sort | uniq -c | head -n 20)"
[ "$drops" -gt 0 ] || fail "no packet was dropped: $(nft list ruleset)"
if [ "$(counter 3)" -eq 0 ] || [ "$(counter 4)" -eq 0 ]; then
	fail "no connection was reset: $(nft list ruleset)"
fi
# A reset in the middle of sending a part: bk-put retried it.
expect_grep 'Connection reset by peer.*retrying' put.err

nft flush ruleset
[ "$(aws s3api list-multipart-uploads --bucket bk-net --query 'length(Uploads || `[]`)')" = 0 ] ||
	fail "a multipart upload was left behind"
[ "$(aws s3api head-object --bucket bk-net --key p/db-net.bk --query ContentLength)" = $((30 << 20)) ] ||
	fail "the stored object has another size"

# Every packet from the server reset: the store is unusable.  bk-put gives
# up after its retries (75, try again later) and stores nothing visible.
faults "tcp sport $p $est counter reject with tcp reset"
rc=0
gen_bytes gone $((12 << 20)) | bk-put -j 2 --retries 2 s3://bk-net/p/db-gone.bk 2>gone.err || rc=$?
[ "$rc" -eq 75 ] || fail "bk-put with every connection reset: exit $rc, expected 75: $(cat gone.err)"
expect_grep 'gave up after 3 attempts' gone.err
nft flush ruleset
aws s3api head-object --bucket bk-net --key p/db-gone.bk >/dev/null 2>&1 &&
	fail "a partial object is visible"
bk-get --list --json s3://bk-net/p/ >list2 2>&1 || fail "list: $(cat list2)"
jq -se 'map(.name) == ["db-net.bk"]' list2 >/dev/null || fail "listing: $(cat list2)"
exit 0
