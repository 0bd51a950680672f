#!/bin/bash
# bk-encrypt against an implementation that is not ours: tests/bkcrypt_ref.py
# (Python cryptography: AESGCM + HKDF), written from bk-format(5) alone.
# Each side opens what the other sealed, and both reproduce the known-answer
# vectors in tests/vectors/aead-kat.txt.
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
head -c $((93 + 1048576)) c >x
expect_exit 1 ref decrypt kr <x >/dev/null 2>err
expect_grep 'no final segment' err
expect_exit 1 bk-encrypt -d -k kr <x >/dev/null 2>err
expect_grep 'without a final segment' err
exit 0
