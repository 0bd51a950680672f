#!/bin/bash
# Every tool appends its line to the audit chain when BK_AUDIT_LOG is set
# (bk(7) AUDIT): bk-encrypt (genkey, list, encrypt, decrypt), bk-dump and
# bk-restore of a database (FerretDB, a password in the URI) and of a
# directory, bk-hash (hash, check), bk-put (put, commit), bk-get (get,
# list); failures are lines too (fail, negative), usage errors are not.
# Each line has its facts and no secret; the chain checks with the C
# audit_check and with an independent one written here from bk(7).  A tool
# that did its job but cannot append its line exits 3; nothing is chained
# onto a torn last line.
. "$BK_TOP/tests/lib.sh"

start_ferretdb "$T/fdb"
PW=Pw$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
export MONGODB_URI="mongodb://backup:$PW@127.0.0.1:$FERRETDB_PORT/shop?authMechanism=PLAIN&serverSelectionTimeoutMS=3000"
"$PY" -c 'import os; from pymongo import MongoClient
MongoClient(os.environ["MONGODB_URI"]).shop.orders.insert_many([{"n": i} for i in range(200)])'
mkdir up nas
gen_bytes up 100000 >up/a
export BK_AUDIT_LOG=$T/audit.log

# last TOOL OP RESULT EXIT [JQ]: the log's last line is that.
last() {
	tail -n 1 audit.log | jq -e --arg t "$1" --arg o "$2" --arg r "$3" --argjson x "$4" \
	    "(.tool == \$t and .op == \$o and .result == \$r and .exit == \$x) and (${5:-true})" \
	    >/dev/null || fail "expected $*, the last line is $(tail -n 1 audit.log)"
}
# one TOOL OP JQ: exactly one line is of TOOL doing OP, and JQ holds of it.
one() {
	jq -se --arg t "$1" --arg o "$2" "map(select(.tool == \$t and .op == \$o)) |
	    length == 1 and (.[0] | .result == \"ok\" and .exit == 0 and ($3))" audit.log >/dev/null ||
	    fail "$1 $2: $(grep "\"$1\"" audit.log)"
}

bk-encrypt --genkey -k keyring >keyid
last bk-encrypt genkey ok 0 ".objects == [\"keyring\"] and .seq == 1 and .prev == \"$(printf '0%.0s' {1..64})\""
bk-encrypt --list -k keyring >/dev/null
last bk-encrypt list ok 0 '.seq == 2'

# A directory: dump, encrypt, hash, put (concurrently), commit, get, check,
# decrypt, restore, list.
url=file://$T/nas/files/f.bk
bk-dump --files "$T/up" | bk-encrypt -k keyring | bk-hash -o sum -n f.bk | bk-put "$url"
bk-put --commit --sum sum --kind files "$url"
bk-get "$url" | bk-hash -c sum -n f.bk | bk-encrypt -d -k keyring | bk-restore --files "$T/back" >/dev/null
cmp up/a back/a || fail "restored file differs"
bk-get --list "file://$T/nas/files/" >/dev/null
sha=$(cut -c 1-64 sum)
one bk-dump dump ".objects == [\"$T/up\"] and .status.source == \"$T/up\""
one bk-encrypt encrypt ".status.key_id == \"$(cat keyid)\""
one bk-hash hash ".objects == [\"f.bk\"] and .sha256 == \"$sha\""
one bk-put put ".objects == [\"$url\"] and .status.bytes > 0"
one bk-put commit ".objects == [\"$url\"]"
one bk-get get ".objects == [\"$url\"]"
one bk-hash check ".sha256 == \"$sha\""
one bk-encrypt decrypt true
one bk-restore restore ".objects == [\"$T/back\"]"
last bk-get list ok 0 ".objects == [\"file://$T/nas/files/\"]"

# A database, the URI (with its password) from the environment.
bk-dump | bk-restore --ns-from 'shop.*' --ns-to 'copy.*' >/dev/null
mongo_obj="mongodb://REDACTED@127.0.0.1:$FERRETDB_PORT/shop"
jq -se --arg o "$mongo_obj" 'map(select(.tool == "bk-dump" or .tool == "bk-restore")
    | select(.objects == [$o] and .result == "ok")) | length == 2' audit.log >/dev/null ||
	fail "database lines: $(grep -E 'bk-(dump|restore)' audit.log)"
jq -se 'map(select(.tool == "bk-dump" and .status.documents == 200)) | length == 1' audit.log >/dev/null ||
	fail "bk-dump counts: $(grep bk-dump audit.log)"

# Failures are audited with their status and message; usage errors are not.
expect_exit 3 bk-get "file://$T/nas/files/none.bk" >/dev/null 2>err
last bk-get get fail 3 '.status.error | test("none.bk")'
printf 'x' | expect_exit 1 bk-hash -c sum -n f.bk 2>err
last bk-hash check negative 1 '.status.error | test("SHA-256 mismatch")'
n=$(wc -l <audit.log)
expect_exit 2 bk-get --no-such-option 2>err
expect_exit 2 bk-put 2>err
[ "$(wc -l <audit.log)" -eq "$n" ] || fail "a usage error was audited: $(tail -n 1 audit.log)"

# Every line: its seq, the time, who and where.
jq -se --arg h "$(hostname)" --argjson u "$(id -u)" --arg un "$(id -un)" '
    to_entries | all(.key + 1 == .value.seq and .value.host == $h and .value.uid == $u and
    .value.user == $un and (.value.pid | type) == "number" and
    (.value.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")))' \
    audit.log >/dev/null || fail "line fields: $(cat audit.log)"

# No secret: the database password, the key (hex and base64).
key=$(awk '$1 == "key" { print $5 }' keyring)
[ "${#key}" -eq 64 ] || fail "cannot read the key from the keyring"
for s in "$PW" "$key" "$(printf '%s' "$key" | xxd -r -p | base64 -w0)"; do
	! grep -qF -- "$s" audit.log || fail "a secret in the audit log"
done

# The chain: the C checker, and an independent check from bk(7).
audit_check audit.log >report || fail "checker: $(cat report)"
expect_grep "^audit.log: $(wc -l <audit.log) line\\(s\\), chain intact" report
"$PY" - audit.log <<'EOF' || fail "reference check of the chain"
import hashlib, json, sys
prev = "0" * 64
with open(sys.argv[1], "rb") as f:
    for n, raw in enumerate(f, 1):
        assert raw.endswith(b"\n"), n
        line = json.loads(raw[:-1])
        assert line["seq"] == n and line["prev"] == prev, (n, line)
        prev = hashlib.sha256(raw[:-1]).hexdigest()
EOF

# A tool that did its job but cannot audit it exits 3, naming the log;
# its output is still there.
echo data >d
BK_AUDIT_LOG=$T/no/such/dir/audit.log expect_exit 3 bk-hash <d >out 2>err
expect_grep "audit log $T/no/such/dir/audit.log" err
[ -s out ] || fail "bk-hash wrote no sum"
# A failure that cannot be audited keeps its own status.
BK_AUDIT_LOG=$T/no/such/dir/audit.log expect_exit 3 bk-get "file://$T/nas/x.bk" >/dev/null 2>err
# A torn last line: nothing is chained onto it, the tool exits 3.
cp audit.log torn.log
printf '{"seq":' >>torn.log
cp torn.log torn.before
BK_AUDIT_LOG=$T/torn.log expect_exit 3 bk-hash <d >/dev/null 2>err
expect_grep 'the last line is incomplete' err
cmp torn.log torn.before || fail "a line was chained onto a torn one"
expect_exit 1 audit_check torn.log >report
expect_grep "^torn.log line $(wc -l <torn.before | awk '{ print $1 + 1 }'): no newline at the end" report
