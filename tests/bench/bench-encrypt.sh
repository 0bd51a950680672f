#!/bin/bash
# bk-encrypt against age (X25519 recipient, ChaCha20-Poly1305 STREAM), 1 GiB
# from a file to /dev/null, both directions; and bk-encrypt's memory at
# 64 MiB and 1 GiB.  BK_ENCRYPT picks another binary (default: PATH).
. "$BK_TOP/tests/bench/lib.sh"
enc=${BK_ENCRYPT:-bk-encrypt}
if ! command -v age >/dev/null || ! command -v age-keygen >/dev/null; then
	echo "bench-encrypt: age not installed (make deps)" >&2
	exit 1
fi
in=$(bench_input enc-1g $((1 << 30)))
small=$(bench_input enc-64m $((64 << 20)))
kr=$BENCH_DIR/keyring
rm -f "$kr" "$BENCH_DIR/age.key"
"$enc" --genkey -k "$kr" >/dev/null
age-keygen -o "$BENCH_DIR/age.key" 2>/dev/null
recip=$(age-keygen -y "$BENCH_DIR/age.key")
"$enc" -k "$kr" <"$in" >"$BENCH_DIR/1g.bk"
"$enc" -k "$kr" <"$small" >"$BENCH_DIR/64m.bk"
age -r "$recip" <"$in" >"$BENCH_DIR/1g.age"

bench_group "Encrypt 1 GiB (file to /dev/null)"
bench "bk-encrypt -k keyring < 1GiB" $((1 << 30)) "$enc -k $kr <$in >/dev/null"
bench "age -r X25519 < 1GiB" $((1 << 30)) "age -r $recip <$in >/dev/null"
bench_group "Decrypt 1 GiB (file to /dev/null)"
bench "bk-encrypt -d -k keyring < 1GiB.bk" $((1 << 30)) "$enc -d -k $kr <$BENCH_DIR/1g.bk >/dev/null"
bench "age -d -i key < 1GiB.age" $((1 << 30)) "age -d -i $BENCH_DIR/age.key <$BENCH_DIR/1g.age >/dev/null"
bench_flat "bk-encrypt -d" "$BENCH_DIR/64m.bk" "$BENCH_DIR/1g.bk" "$enc -d -k $kr <{} >/dev/null"
bench "bk-encrypt < 64MiB" $((64 << 20)) "$enc -k $kr <$small >/dev/null"
bench_group "In a pipe (cat 1 GiB | tool | cat > /dev/null)"
bench "cat | bk-encrypt | cat" $((1 << 30)) "cat $in | $enc -k $kr | cat >/dev/null"
bench "cat | age -r X25519 | cat" $((1 << 30)) "cat $in | age -r $recip | cat >/dev/null"
rm -f "$BENCH_DIR/1g.bk" "$BENCH_DIR/64m.bk" "$BENCH_DIR/1g.age"
