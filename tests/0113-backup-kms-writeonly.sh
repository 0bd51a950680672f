#!/bin/bash
# bk-backup.sh with the two keys a backup host need not be able to open:
# BK_KMS_KEY_ID (a fresh KMS data key per backup, against local-kms, no
# keyring on the host) and a public X25519 keyring (bk-encrypt
# --export-public).  Each backup commits, its manifest names the key, and
# only the restore side opens it: the public keyring is refused with "no
# private key for recipient", the full keyring and KMS Decrypt restore the
# uploads byte for byte, and bk-verify --level deep proves each the same
# way.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

start_kms "$T/kms"
key=$(kms_aws create-key --query KeyMetadata.KeyId --output text)
arn=$(kms_aws describe-key --key-id "$key" --query KeyMetadata.Arn --output text)
unset BK_KEYRING
mkdir -p uploads/sub nas/kms nas/pub
gen_bytes a 300000 >uploads/a
echo small >uploads/sub/b
make_alert_recorder

# --- KMS: no keyring on the host -------------------------------------------
backup_conf kms.conf "file://$T/nas/kms" "BK_KEYRING=" "BK_KMS_KEY_ID=$key"
bash "$backup" -c kms.conf files 2>kms.err || fail "KMS backup: $(cat kms.err)"
m=$(find nas/kms -name '*.manifest.json')
[ -n "$m" ] || fail "no manifest"
[ "$(jq -r .key_id "$m")" = "$arn" ] || fail "the manifest's key: $(jq -c . "$m")"
url=file://$T/$(dirname "$m")/$(basename "$m" .manifest.json)
mkdir out-kms
bk-get "$url" | bk-encrypt -d | bk-restore --files out-kms 2>r.err ||
    fail "KMS restore: $(cat r.err)"
diff -r uploads out-kms || fail "KMS restore differs"
# bk-verify deep opens it through KMS too, with no keyring.
bk-verify --level deep "file://$T/nas/kms/files/" >v.out 2>v.err ||
    fail "bk-verify deep of a KMS backup: $(cat v.out v.err)"

# --- A write-only host: the public keyring ---------------------------------
bk-encrypt --genkey --type x25519 -k full.keyring >/dev/null
bk-encrypt --export-public -k full.keyring >pub.keyring
grep -q '^x25519 .* -$' pub.keyring || fail "the public keyring holds a private key: $(cat pub.keyring)"
backup_conf pub.conf "file://$T/nas/pub" "BK_KEYRING=$T/pub.keyring"
bash "$backup" -c pub.conf files 2>pub.err || fail "public-key backup: $(cat pub.err)"
m=$(find nas/pub -name '*.manifest.json')
url=file://$T/$(dirname "$m")/$(basename "$m" .manifest.json)
rc=0
bk-get "$url" | bk-encrypt -d -k pub.keyring >/dev/null 2>dec.err || rc=$?
[ "$rc" -ne 0 ] || fail "the backup host's public keyring opened its own backup"
expect_grep 'no private key for recipient' dec.err
mkdir out-pub
bk-get "$url" | bk-encrypt -d -k full.keyring | bk-restore --files out-pub 2>r2.err ||
    fail "restore with the full keyring: $(cat r2.err)"
diff -r uploads out-pub || fail "public-key restore differs"
# bk-verify deep: the backup host's keyring cannot prove it, the full one can.
rc=0
bk-verify --level deep -k pub.keyring "file://$T/nas/pub/files/" >v.out 2>v.err || rc=$?
[ "$rc" -ne 0 ] || fail "bk-verify deep with a public keyring said ok"
grep -q 'no private key for recipient' v.out v.err || fail "bk-verify deep: $(cat v.out v.err)"
bk-verify --level deep -k full.keyring "file://$T/nas/pub/files/" >v.out 2>v.err ||
    fail "bk-verify deep with the full keyring: $(cat v.out v.err)"
exit 0
