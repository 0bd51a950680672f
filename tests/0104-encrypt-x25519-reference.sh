#!/bin/bash
# X25519 recipients (key type 3) and check values against an implementation
# that is not ours: tests/bkcrypt_ref.py, written from bk-format(5).  Both
# reproduce tests/vectors/x25519-kat.txt; each opens what the other sealed,
# to one recipient and to two; both refuse a public keyring and damage.
. "$BK_TOP/tests/lib.sh"
ref() { "$PY" "$BK_TOP/tests/bkcrypt_ref.py" "$@"; }
"$PY" -c 'import cryptography.hazmat.primitives.asymmetric.x25519' 2>/dev/null ||
	skip "python3-cryptography missing (make deps)"

# The vectors follow from the specification (test-aead-x25519 checks ours).
ref xkat "$BK_TOP/tests/vectors/x25519-kat.txt" || fail "the reference disagrees with the key vectors"

bk-encrypt --genkey --type x25519 -k ops >/dev/null
bk-encrypt --genkey --type x25519 -k dr >/dev/null
bk-encrypt --export-public -k dr >dr.pub
bk-encrypt --export-public -k ops >one.pub
bk-encrypt --add-recipient dr.pub -k ops >/dev/null
bk-encrypt --export-public -k ops >two.pub
P=1048560
for n in 0 1 $((P + 1)); do
	gen_bytes "x$n" "$n" >p
	for pub in one.pub two.pub; do
		# Ours sealed, theirs opens with each private keyring.
		bk-encrypt -k "$pub" <p >c
		ref decrypt ops <c | cmp - p || fail "reference: ops cannot open our $n bytes to $pub"
		if [ "$pub" = two.pub ]; then
			ref decrypt dr <c | cmp - p || fail "reference: dr cannot open our $n bytes"
		fi
		expect_exit 1 ref decrypt "$pub" <c >/dev/null 2>err
		expect_grep 'no private key for recipient' err
		# Theirs sealed, ours opens; ours refuses the public keyring.
		ref encrypt "$pub" <p >c
		bk-encrypt -d -k ops <c | cmp - p || fail "ops cannot open the reference's $n bytes to $pub"
		if [ "$pub" = two.pub ]; then
			bk-encrypt -d -k dr <c | cmp - p || fail "dr cannot open the reference's $n bytes"
		fi
		expect_exit 3 bk-encrypt -d -k "$pub" <c >/dev/null 2>err
		expect_grep 'no private key for recipient' err
	done
done

# Both refuse a flipped bit in the wrapped key of the ops recipient.
gen_bytes t 1000 >p
bk-encrypt -k two.pub <p >c
printf '\377' | dd of=c bs=1 seek=80 conv=notrunc 2>/dev/null
expect_exit 1 ref decrypt ops <c >/dev/null 2>err
expect_grep 'does not authenticate' err
expect_exit 1 bk-encrypt -d -k ops <c >/dev/null 2>err
expect_grep 'does not authenticate' err
exit 0
