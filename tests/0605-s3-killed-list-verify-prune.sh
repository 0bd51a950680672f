#!/bin/bash
# The S3 server (versitygw) killed with SIGKILL and restarted on the same
# port and data while bk-get --list pages through a prefix of more than
# 1000 keys, while bk-verify --level full downloads a backup, and while
# bk-prune --apply deletes.  A proxy (tests/faultproxy.py) in front of
# versitygw holds the chosen request at a gate; the server is killed, the
# gate opened (that attempt fails: nothing listens), the retry held at a
# second gate, the server restarted, the retry let through.  No step waits
# for a time.  Each tool must finish whole after its retries, or exit 75
# or 3 (never 0 with a partial listing or a partial check), and every
# backup the prune did not report removed is still committed and
# verifies full.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-kill >/dev/null
. "$BK_TOP/tests/faultproxy.sh"

# One real backup committed by bk-put, then 349 more made from it straight
# in versitygw's posix backend (data and sidecar metadata as versitygw
# writes them, a manifest and sum naming each): 1050 keys in all, cheaply.
gen_bytes seed 3000 | bk-hash -n db-0000.bk -o sum | bk-put s3://bk-kill/p/db-0000.bk
bk-put --commit --sum sum --kind db s3://bk-kill/p/db-0000.bk
"$PY" - "$T/s3" 350 <<'PYEOF'
import hashlib, json, os, shutil, sys
top, n = sys.argv[1], int(sys.argv[2])
data, meta = top + "/data/bk-kill/p/", top + "/meta/bk-kill/p/"
man = json.load(open(data + "db-0000.bk.manifest.json"))
sum_ = open(data + "db-0000.bk.sha256").read().split()[0]
def put(key, body, ctype):
    open(data + key, "wb").write(body)
    os.makedirs(meta + key + "/meta", exist_ok=True)
    open(meta + key + "/meta/etag", "w").write(
        '"%s"' % hashlib.md5(body).hexdigest())
    open(meta + key + "/meta/content-type", "w").write(ctype)
for i in range(1, n):
    name = "db-%04d.bk" % i
    shutil.copyfile(data + "db-0000.bk", data + name)
    shutil.copytree(meta + "db-0000.bk", meta + name)
    put(name + ".sha256", ("%s  %s\n" % (sum_, name)).encode(), "text/plain")
    man["name"] = name
    man["created"] = "2026-%02d-%02dT%02d:00:00Z" % (
        1 + i // 672, 1 + i // 24 % 28, i % 24)
    put(name + ".manifest.json", json.dumps(man).encode(), "application/json")
PYEOF
bk-get --list s3://bk-kill/p/ >all 2>err || fail "list: $(cat err)"
# Four bigger ones for verify and prune.
for i in 1 2 3 4; do
	gen_bytes "v$i" $((1 << 20)) | bk-hash -n "db-$i.bk" -o sum |
		bk-put "s3://bk-kill/v/db-$i.bk"
	bk-put --commit --sum sum --kind db "s3://bk-kill/v/db-$i.bk"
done
bk-get --list s3://bk-kill/v/ >vall 2>err || fail "list v: $(cat err)"
[ "$(wc -l <all)" -eq 350 ] || fail "the prefix holds $(wc -l <all) backups, not 350"

# gated N: wait until the proxy has held N requests at a gate.
gated() {
	local n=0
	until [ "$(grep -c 'gate waiting' "$T/proxy.log")" -ge "$1" ]; do
		n=$((n + 1))
		[ "$n" -lt 1200 ] || fail "no request reached gate $1: $(cat "$T/proxy.log")"
		sleep 0.1
	done
}
# killed PID: the request PID's tool sent is held at gate g1: the server
# is killed, g1 opened (the attempt fails), the retry held at g2, the
# server restarted and g2 opened; then the tool's exit status.
killed() {
	local pid=$1 rc=0
	gated 1
	stop_versitygw
	touch "$T/g1"
	gated 2
	rerun_versitygw "$T/s3"
	touch "$T/g2"
	wait "$pid" || rc=$?
	rm -f "$T/g1" "$T/g2"
	return "$rc"
}

# 1. The listing's second page (a continuation) held and the server killed.
start_proxy "GET continuation-token gate=$T/g1 - 1" \
	"GET continuation-token gate=$T/g2 - 1"
AWS_ENDPOINT_URL=$PROXY bk-get --list s3://bk-kill/p/ >out 2>err &
killed $! || fail "list: exit $?: $(cat err)"
cmp all out || fail "the listing after a restart differs"
# Not restarted: retries run out on the second page; exit 75, and not
# half a listing presented as the prefix's backups.
start_proxy "GET continuation-token gate=$T/g1 - 1"
AWS_ENDPOINT_URL=$PROXY bk-get --retries 2 --list s3://bk-kill/p/ >out 2>err &
pid=$!
gated 1
stop_versitygw
touch "$T/g1"
rc=0
wait "$pid" || rc=$?
rm -f "$T/g1"
rerun_versitygw "$T/s3"
[ "$rc" -eq 75 ] || fail "list, server gone: exit $rc (not 75): $(cat err)"
[ ! -s out ] || fail "list, server gone: a partial listing: $(wc -l <out) lines"
expect_grep 'gave up after 3 attempts' err

# 2. bk-verify --level full: the download of db-2.bk held.
start_proxy "GET /bk-kill/v/db-2\\.bk$ gate=$T/g1 - 1" \
	"GET /bk-kill/v/db-2\\.bk$ gate=$T/g2 - 1"
AWS_ENDPOINT_URL=$PROXY bk-verify --level full s3://bk-kill/v/ >out 2>err &
killed $! || fail "verify: exit $?: $(cat out err)"
[ "$(grep -Ec '^ok  *full ' out)" -eq 4 ] || fail "verify: $(cat out)"
# Not restarted: retries run out; exit 75 or 3, db-2 not presented as ok.
start_proxy "GET /bk-kill/v/db-2\\.bk$ gate=$T/g1 - 1"
AWS_ENDPOINT_URL=$PROXY bk-verify --retries 2 --level full s3://bk-kill/v/ >out 2>err &
pid=$!
gated 1
stop_versitygw
touch "$T/g1"
rc=0
wait "$pid" || rc=$?
rm -f "$T/g1"
[ "$rc" -eq 75 ] || fail "verify, server gone: exit $rc (not 75): $(cat out err)"
grep -Eq '^ok .*/db-2\.bk$' out && fail "verify, server gone: db-2 ok: $(cat out)"
grep -Eq '^error  *full .*/db-2\.bk$' out || fail "verify, server gone: $(cat out)"
grep -q ' 0 errors' out && fail "verify, server gone: summary: $(cat out)"
rerun_versitygw "$T/s3"

# 3. bk-prune --apply: the first DELETE held.  Afterwards every backup the
# prune did not report removed is committed and verifies full.
start_proxy "DELETE - gate=$T/g1 - 1" "DELETE - gate=$T/g2 - 1"
AWS_ENDPOINT_URL=$PROXY bk-prune --keep-last 2 --max-remove 100 --apply \
	s3://bk-kill/v/ >plan 2>err &
rc=0
killed $! || rc=$?
[ "$rc" -eq 0 ] || fail "prune: exit $rc: $(cat plan err)"
expect_grep ': keep 2, removed 2$' plan
# after-prune PLAN: the listing is the one before less what PLAN removed,
# and all of it verifies full.
after_prune() {
	sed -n 's/^remove db [^ ]* \(.*\)$/\1/p' "$1" >removed
	grep -vFf removed vall >want || true
	bk-get --list s3://bk-kill/v/ >vall 2>err || fail "list after prune: $(cat err)"
	cmp want vall || fail "after prune: $(cat vall) (want $(cat want))"
	bk-verify --level full s3://bk-kill/v/ >out 2>err ||
		fail "verify after prune: exit $?: $(cat out err)"
	[ "$(grep -Ec '^ok  *full ' out)" -eq "$(wc -l <vall)" ] || fail "verify after prune: $(cat out)"
}
after_prune plan
# Not restarted (--retries 1): it gives up with 75, removes nothing it
# could not, and its lock stays: bk-verify holds off (75) until the
# lock is broken; the prune run again with --break-lock finishes.
start_proxy "DELETE - gate=$T/g1 - 1"
AWS_ENDPOINT_URL=$PROXY bk-prune --retries 1 --keep-last 1 --max-remove 100 \
	--apply s3://bk-kill/v/ >plan2 2>err &
pid=$!
gated 1
stop_versitygw
touch "$T/g1"
rc=0
wait "$pid" || rc=$?
rm -f "$T/g1"
rerun_versitygw "$T/s3"
[ "$rc" -eq 75 ] || fail "prune, server gone: exit $rc (not 75): $(cat plan2 err)"
bk-get --list s3://bk-kill/v/ >out 2>err || fail "list after a failed prune: $(cat err)"
cmp vall out || fail "a failed prune changed the listing: $(cat out)"
expect_exit 75 bk-verify --level quick s3://bk-kill/v/ >/dev/null 2>err
expect_grep 'a prune is running' err
bk-prune --break-lock --keep-last 1 --max-remove 100 --apply s3://bk-kill/v/ \
	>plan3 2>err || fail "prune after a failed one: exit $?: $(cat plan3 err)"
after_prune plan3


# The big prefix lost nothing either: listed as before, all of it whole.
bk-get --list s3://bk-kill/p/ >out 2>err || fail "list p: $(cat err)"
cmp all out || fail "the big prefix changed"
bk-verify --level full s3://bk-kill/p/ >out 2>err || fail "verify p: exit $?: $(cat err)"
[ "$(grep -Ec '^ok  *full ' out)" -eq 350 ] || fail "verify p: $(tail -n 1 out)"
