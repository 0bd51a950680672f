#!/bin/bash
# bk-encrypt against an implementation that is not ours: tests/bkcrypt_ref.py
# (Python cryptography: AESGCM + HKDF), written from bk-format(5) alone.
# Each side opens what the other sealed, and both reproduce the known-answer
# vectors in tests/vectors/aead-kat.txt (and x25519-kat.txt: 0103).
. "$BK_TOP/tests/lib.sh"
ref() { "$PY" "$BK_TOP/tests/bkcrypt_ref.py" "$@"; }
"$PY" -c 'import cryptography.hazmat.primitives.ciphers.aead' 2>/dev/null ||
	skip "python3-cryptography missing (make deps)"

# The vectors follow from the specification.
ref kat "$BK_TOP/tests/vectors/aead-kat.txt" || fail "the reference disagrees with the vectors"

bk-encrypt --genkey -k kr >/dev/null
P=1048560
for n in 0 1 $((P - 1)) $P $((P + 1)) $((3 * P + 12345)); do
	gen_bytes "x$n" "$n" >p
	# Ours sealed, theirs opens.
	bk-encrypt -k kr <p >c
	ref decrypt kr <c >q || fail "reference refuses bk-encrypt's $n-byte container"
	cmp p q || fail "reference decrypts $n bytes differently"
	# Theirs sealed, ours opens (the default 1 MiB and small segments).
	for shift in 20 8; do
		ref encrypt kr "$shift" <p >c
		bk-encrypt -d -k kr <c >q || fail "bk-encrypt refuses the reference's $n-byte container (2^$shift)"
		cmp p q || fail "bk-encrypt decrypts the reference's $n bytes differently"
	done
done

# Both refuse the same damage: a stream cut exactly on a segment boundary.
gen_bytes cut $((2 * P + 10)) >p
bk-encrypt -k kr <p >c
head -c $((99 + 1048576)) c >x
expect_exit 1 ref decrypt kr <x >/dev/null 2>err
expect_grep 'no final segment' err
expect_exit 1 bk-encrypt -d -k kr <x >/dev/null 2>err
expect_grep 'without a final segment' err

# A container from before the check value (an 8-byte key reference) still
# opens; with a check value, both name a key that differs under the same id.
gen_bytes old 5000 >p
ref encrypt-noid kr <p >c
[ "$(od -An -tu1 -j13 -N1 c | tr -d ' ')" = 8 ] || fail "reference wrote no old header"
bk-encrypt -d -k kr <c | cmp - p || fail "bk-encrypt refuses an old container"
bk-encrypt -k kr <p >c
sed -E "s/^(key [0-9a-f]{16} \S+ current )[0-9a-f]{64}/\1$(printf '%064d' 5)/" kr >kr.wrong
chmod 600 kr.wrong
expect_exit 1 ref decrypt kr.wrong <c >/dev/null 2>err
expect_grep 'has check value [0-9a-f]{12}, the container needs' err
expect_exit 1 bk-encrypt -d -k kr.wrong <c >/dev/null 2>err
expect_grep "this keyring's key [0-9a-f]{16} has check value" err
exit 0
