#!/bin/bash
# bk-restore opens a container sealed with a KMS data key in the process,
# as bk-encrypt -d and bk-verify --level deep do: with --kms (no keyring),
# or with -k, whose keyring then opens keyring containers and KMS ones
# alike; so an approved restore of a KMS-sealed backup checks the digest
# of the stored container, with no decrypting stage before it.  A disabled
# KMS key refuses, and nothing is written.
. "$BK_TOP/tests/lib.sh"

start_kms "$T/kms"
start_ferretdb "$T/fdb"
hp=127.0.0.1:$FERRETDB_PORT
key=$(kms_aws create-key --query KeyMetadata.KeyId --output text)
unset BK_KEYRING
"$PY" -c 'import sys; from pymongo import MongoClient
MongoClient(sys.argv[1]).shop.orders.insert_many([{"_id": i} for i in range(50)])' \
    "$FERRETDB_URI"
bk-dump --uri "$FERRETDB_URI" --db shop | bk-encrypt --kms-key-id "$key" >kms.bk ||
    fail "seal"
bk-encrypt --genkey -k ring >/dev/null
count() {
	"$PY" -c 'import sys; from pymongo import MongoClient
print(MongoClient(sys.argv[1])[sys.argv[2]].orders.count_documents({}))' \
	    "$FERRETDB_URI" "$1"
}

# Without a way to open it: the stream is not an archive.
expect_exit 1 bk-restore --uri "$FERRETDB_URI" --ns-from 'shop.*' --ns-to 'a.*' <kms.bk
bk-restore --uri "$FERRETDB_URI" --kms --ns-from 'shop.*' --ns-to 'b.*' \
    --validate <kms.bk >out 2>err || fail "--kms: $(cat err)"
expect_grep '^b\.orders +50 +50 +equal +ok$' out
bk-restore --uri "$FERRETDB_URI" -k ring --ns-from 'shop.*' --ns-to 'c.*' \
    <kms.bk 2>err || fail "-k with a KMS container: $(cat err)"
[ "$(count c)" = 50 ] || fail "-k: $(count c) documents"

# Approved: the digest is the stored container's.
approvers alice bob
printf '%s\n' "protect $hp/prod" 'require 2' 'allowed-signers signers' >etc/policy
export BK_RESTORE_POLICY=$T/etc/policy
approved_request req "$(sha256sum <kms.bk | cut -c1-64)" "$hp/prod" kms.bk
bk-restore --uri "$FERRETDB_URI" --kms --ns-from 'shop.*' --ns-to 'prod.*' \
    --request req --approval req.alice --approval req.bob <kms.bk 2>err ||
    fail "approved --kms: $(cat err)"
[ "$(count prod)" = 50 ] || fail "approved: $(count prod) documents"

# The KMS key disabled: refused, nothing written.
kms_aws disable-key --key-id "$key"
rc=0
bk-restore --uri "$FERRETDB_URI" --kms --ns-from 'shop.*' --ns-to 'd.*' \
    <kms.bk 2>err || rc=$?
[ "$rc" -ne 0 ] || fail "a disabled KMS key opened the container"
[ "$(count d)" = 0 ] || fail "written with a disabled key: $(count d)"
note "disabled key: exit $rc: $(head -n 1 err)"
echo ok
