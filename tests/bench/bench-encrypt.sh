#!/bin/bash
# bk-encrypt against age (X25519 recipient, ChaCha20-Poly1305 STREAM), 1 GiB
# from a file to /dev/null, both directions; bk-encrypt's memory at 64 MiB
# and 1 GiB; and X25519 recipients against a keyring key, per GiB and per
# container (100 containers of 1 MiB).  BK_ENCRYPT picks another binary
# (default: PATH).
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

# X25519: the public keyring of an ops pair with a DR pair as recipient.
one=$(bench_input enc-1m $((1 << 20)))
rm -f "$BENCH_DIR/ops" "$BENCH_DIR/dr"
"$enc" --genkey --type x25519 -k "$BENCH_DIR/ops" >/dev/null
"$enc" --genkey --type x25519 -k "$BENCH_DIR/dr" >/dev/null
"$enc" --export-public -k "$BENCH_DIR/dr" >"$BENCH_DIR/dr.pub"
"$enc" --add-recipient "$BENCH_DIR/dr.pub" -k "$BENCH_DIR/ops" >/dev/null
"$enc" --export-public -k "$BENCH_DIR/ops" >"$BENCH_DIR/host.pub"
pub=$BENCH_DIR/host.pub ops=$BENCH_DIR/ops
"$enc" -k "$pub" <"$in" >"$BENCH_DIR/1g-x.bk"
"$enc" -k "$pub" <"$one" >"$BENCH_DIR/1m-x.bk"
"$enc" -k "$kr" <"$one" >"$BENCH_DIR/1m.bk"
bench_group "X25519 recipients (2) vs a keyring key, 1 GiB (file to /dev/null)"
bench "bk-encrypt -k keyring < 1GiB" $((1 << 30)) "$enc -k $kr <$in >/dev/null"
bench "bk-encrypt -k x25519.pub < 1GiB" $((1 << 30)) "$enc -k $pub <$in >/dev/null"
bench "bk-encrypt -d -k keyring < 1GiB.bk" $((1 << 30)) "$enc -d -k $kr <$BENCH_DIR/1g.bk >/dev/null"
bench "bk-encrypt -d -k x25519 < 1GiB.bk" $((1 << 30)) "$enc -d -k $ops <$BENCH_DIR/1g-x.bk >/dev/null"
n100() { echo "for i in \$(seq 100); do $1; done"; }
bench_group "Per container: 100 containers of 1 MiB, one process each"
bench "100 x bk-encrypt -k keyring < 1MiB" $((100 << 20)) "$(n100 "$enc -k $kr <$one >/dev/null")"
bench "100 x bk-encrypt -k x25519.pub < 1MiB" $((100 << 20)) "$(n100 "$enc -k $pub <$one >/dev/null")"
bench "100 x bk-encrypt -d -k keyring < 1MiB.bk" $((100 << 20)) "$(n100 "$enc -d -k $kr <$BENCH_DIR/1m.bk >/dev/null")"
bench "100 x bk-encrypt -d -k x25519 < 1MiB.bk" $((100 << 20)) "$(n100 "$enc -d -k $ops <$BENCH_DIR/1m-x.bk >/dev/null")"
rm -f "$BENCH_DIR/1g.bk" "$BENCH_DIR/64m.bk" "$BENCH_DIR/1g.age" \
    "$BENCH_DIR/1g-x.bk" "$BENCH_DIR/1m-x.bk" "$BENCH_DIR/1m.bk"
