#!/bin/bash
# bk-encrypt --kms-key-id against a real local-kms: round trips that need
# no keyring, a fresh data key per container, the header's key type 2
# reference as bk-format(5) gives it, the data key nowhere in the
# container, a pinned key (-d --kms-key-id), and a damaged wrapped key
# refused by KMS.
. "$BK_TOP/tests/lib.sh"

start_kms "$T/kms"
key=$(kms_aws create-key --query KeyMetadata.KeyId --output text)
arn=$(kms_aws describe-key --key-id "$key" --query KeyMetadata.Arn \
    --output text)
other=$(kms_aws create-key --query KeyMetadata.KeyId --output text)
kms_aws create-alias --alias-name alias/bk-test --target-key-id "$key"

# flip FILE OFFSET: invert the low bit of one byte in place.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the octal escape is built on purpose
	printf "\\$(printf %o $((b ^ 1)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# ref FILE PART: the header's key type 2 reference split as bk-format(5)
# says (PART: type, arn, blob as base64).
ref() {
	"$PY" - "$1" "$2" <<'EOF'
import base64, struct, sys
d = open(sys.argv[1], "rb").read()
n = struct.unpack(">H", d[12:14])[0]
r = d[14:14 + n]
a = struct.unpack(">H", r[:2])[0]
print({"type": d[11], "arn": r[2:2 + a].decode(),
       "blob": base64.b64encode(r[2 + a:]).decode()}[sys.argv[2]])
EOF
}

# --- Round trips, with no keyring anywhere ---------------------------------
unset BK_KEYRING
gen_bytes kms 3145733 >in	# three segments and a bit
bk-encrypt --kms-key-id "$key" --json=st <in >c
bk-encrypt -d <c >out
cmp in out || fail "KMS round trip changed the data"
expect_grep "\"key_id\" : \"$arn\"" st
: >empty
bk-encrypt --kms-key-id "$key" <empty >ce
bk-encrypt -d <ce >oute
[ ! -s oute ] || fail "an empty stream came back non-empty"
# A directory dump, as bk-backup.sh would seal it.
mkdir -p tree/sub && echo hello >tree/a && gen_bytes t 70000 >tree/sub/b
bk-dump --files tree | bk-encrypt --kms-key-id alias/bk-test >ct
bk-encrypt -d <ct | tar -tf - >list
expect_grep 'sub/b' list

# --- The header ------------------------------------------------------------
[ "$(ref c type)" = 2 ] || fail "key type $(ref c type), not 2"
[ "$(ref c arn)" = "$arn" ] || fail "header names $(ref c arn), not $arn"
# The alias resolves to the key's ARN, which the header keeps.
[ "$(ref ct arn)" = "$arn" ] || fail "alias: header names $(ref ct arn)"
# Each container has its own data key: the wrapped copies differ.
bk-encrypt --kms-key-id "$key" <in >c2
[ "$(ref c blob)" != "$(ref c2 blob)" ] || fail "two containers, one data key"
# The data key, as KMS unwraps the header's blob, is nowhere in the file.
ref c blob | base64 -d >blob
dk=$(kms_aws decrypt --ciphertext-blob fileb://blob --query Plaintext \
    --output text)
[ "$(printf %s "$dk" | base64 -d | wc -c)" -eq 32 ] ||
    fail "KMS unwrapped no 32-byte key from the header's blob"
# Nor in what bk-encrypt said about it (its --json status line).
! grep -qF "$dk" st || fail "the data key is in the status line"
"$PY" - "$dk" c <<'EOF' || fail "the plaintext data key is in the container"
import base64, sys
k = base64.b64decode(sys.argv[1])
d = open(sys.argv[2], "rb").read()
sys.exit(1 if k in d or sys.argv[1].encode() in d else 0)
EOF

# --- A pinned key ----------------------------------------------------------
bk-encrypt -d --kms-key-id "$arn" <c | cmp - in ||
    fail "-d --kms-key-id with the right key did not open it"
bk-encrypt -d --kms-key-id alias/bk-test <c | cmp - in ||
    fail "-d --kms-key-id with the alias did not open it"
expect_exit 1 bk-encrypt -d --kms-key-id "$other" <c >out 2>err
expect_grep 'KMS Decrypt with key .*(IncorrectKey|InvalidCiphertext)Exception' err
[ ! -s out ] || fail "a container of another key wrote output"

# --- Keyring and KMS containers side by side -------------------------------
bk-encrypt --genkey -k kr >/dev/null
bk-encrypt -k kr <in >ck
expect_exit 3 bk-encrypt -d <ck >out 2>err
expect_grep 'key type 1 needs a keyring: give -k or set BK_KEYRING' err
bk-encrypt -d -k kr <ck | cmp - in || fail "-d -k: keyring container"
bk-encrypt -d -k kr <c | cmp - in || fail "-d -k: KMS container"
expect_exit 2 bk-encrypt -k kr --kms-key-id "$key" <in >out 2>err
expect_grep 'exclude each other' err
expect_exit 2 bk-encrypt --list --kms-key-id "$key" 2>err
expect_grep 'kms-key-id goes with encryption or -d only' err

# --- A damaged wrapped key: KMS refuses it, exit 1, nothing written --------
cp c x
# The last byte of the reference: the end of the blob, its GCM tag.
n=$(( 13 + $(od -An -tu1 -j 12 -N2 x | awk '{ print $1 * 256 + $2 }') ))
flip x "$n"
expect_exit 1 bk-encrypt -d <x >out 2>err
expect_grep 'InvalidCiphertextException' err
[ ! -s out ] || fail "a damaged wrapped key let output through"
# A reference that is not ARN + blob is refused before KMS is asked.
cp c x
printf '\377' | dd of=x bs=1 seek=14 conv=notrunc 2>/dev/null
expect_exit 1 bk-encrypt -d <x >out 2>err
expect_grep 'malformed KMS key reference at byte 14' err
[ "$(wc -l <err)" -eq 1 ] || fail "more than one diagnostic: $(cat err)"
# The rest of the header is bound too: a flipped salt byte is refused after
# KMS gave the data key (the key commitment no longer matches).
cp c x
n=$(( 14 + $(od -An -tu1 -j 12 -N2 x | awk '{ print $1 * 256 + $2 }') + 3 ))
flip x "$n"
expect_exit 1 bk-encrypt -d <x >out 2>err
expect_grep 'header check failed' err
[ ! -s out ] || fail "a damaged header let output through"
