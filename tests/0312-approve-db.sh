#!/bin/bash
# Two-person restore into a protected database (HOST:PORT/DB after
# renaming): refused without approvals, with a request for another
# database, or when the stream's digest is not the approved one (the
# whole stream is hashed before the server is touched); an approved
# restore goes in, with its approvers in the status line; an unprotected
# database on the same server needs nothing.  The refused runs leave the
# protected database as it was.
. "$BK_TOP/tests/lib.sh"

approvers alice bob
start_ferretdb "$T/fdb"
hp=127.0.0.1:$FERRETDB_PORT
printf '%s\n' "protect $hp/prod*" 'allowed-signers signers' >etc/policy
export BK_RESTORE_POLICY=$T/etc/policy

printf '%s\n' '[{"db": "shop", "collection": "orders",
  "docs": [{"_id": 1, "n": "a"}, {"_id": 2, "n": "b"}]}]' >spec.json
"$PY" "$BK_TOP/tests/mongoarchive.py" craft spec.json >a.arch ||
    fail "craft"
bk-encrypt --genkey -k ring >/dev/null
bk-encrypt -k ring <a.arch >a.bk
sha=$(sha256sum <a.bk | cut -c1-64)
# What the protected database holds before: one marker document.
count() {
	"$PY" -c 'import sys; from pymongo import MongoClient
c = MongoClient(sys.argv[1])
print(c[sys.argv[2]].orders.count_documents({}))' "$FERRETDB_URI" "$1"
}
"$PY" -c 'import sys; from pymongo import MongoClient
MongoClient(sys.argv[1]).prod.orders.insert_one({"_id": 99})' "$FERRETDB_URI"

# sign REQ: REQ.alice and REQ.bob, through bk-approve --sign this time.
sign() {
	local k
	for k in alice bob; do
		bk-approve --sign -f "$k" "$1" || fail "sign $1 $k"
		mv "$1.sig" "$1.$k"
	done
}
to_prod=(--ns-from 'shop.*' --ns-to 'prod.*')

# No approvals: refused before anything is written.
expect_exit 1 bk-restore --uri "$FERRETDB_URI" -k ring "${to_prod[@]}" \
    <a.bk 2>err
expect_grep "$hp/prod is a protected target: a restore into it needs --request and 2 approvals" err
# Approved for another database.
bk-approve --request --backup a.bk --sha256 "$sha" --target "$hp/prod2" \
    --expires +1h >other
sign other
expect_exit 1 bk-restore --uri "$FERRETDB_URI" -k ring "${to_prod[@]}" \
    --request other --approval other.alice --approval other.bob <a.bk 2>err
expect_grep "the request is for target $hp/prod2, not $hp/prod; refused" err
# Approved for another digest: the stream was changed.
bk-approve --request --backup a.bk --sha256 "$(echo x | sha256sum |
    cut -c1-64)" --target "$hp/prod" --expires +1h >wrongsum
sign wrongsum
expect_exit 1 bk-restore --uri "$FERRETDB_URI" -k ring "${to_prod[@]}" \
    --request wrongsum --approval wrongsum.alice --approval wrongsum.bob \
    <a.bk 2>err
expect_grep "refused, nothing restored" err
[ "$(count prod)" = 1 ] || fail "the refused restores changed prod"

# Approved: restored, the approvers in the status line.
bk-approve --request --backup a.bk --sha256 "$sha" --target "$hp/prod" \
    --expires +1h >req
sign req
bk-restore --uri "$FERRETDB_URI" -k ring "${to_prod[@]}" --json \
    --request req --approval req.alice --approval req.bob <a.bk \
    >status 2>err || fail "approved restore: exit $? $(cat err)"
# Replaced whole (restored aside, then swapped in: 0314): the marker is gone.
[ "$(count prod)" = 2 ] || fail "prod after the approved restore: $(count prod)"
jq -e --arg s "$sha" '.exit == 0 and .sha256 == $s and .protected and
    .approvers == ["alice@example.org", "bob@example.org"] and
    .approved_target == "'"$hp"'/prod"' status >/dev/null ||
    fail "status: $(cat status)"

# Unprotected (shop, as the stream names it): nothing needed.
bk-restore --uri "$FERRETDB_URI" -k ring <a.bk || fail "unprotected: $?"
[ "$(count shop)" = 2 ] || fail "shop: $(count shop)"
echo ok
