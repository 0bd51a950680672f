#!/bin/bash
# KMS envelope encryption against the keyring: bk-encrypt --kms-key-id
# and -d of a KMS container, 1 GiB from a file to /dev/null, beside the
# same with a keyring key; and 100 containers of 1 MiB each, where the one
# KMS request per container (to a local-kms on this host: no network
# latency, which AWS adds, about 5-20 ms a request) is the difference.
. "$BK_TOP/tests/bench/lib.sh"
T=$BENCH_DIR
. "$BK_TOP/tests/lib.sh"
# The tools under test: BK_BUILD picks a build directory, as in run.sh.
export PATH=$BK_TOP/${BK_BUILD:-build}/bin:$PATH

in=$(bench_input kms-1g $((1 << 30)))
mib=$(bench_input kms-1m $((1 << 20)))
kr=$BENCH_DIR/keyring
rm -f "$kr"
bk-encrypt --genkey -k "$kr" >/dev/null
start_kms "$BENCH_DIR/kms"
key=$(kms_aws create-key --query KeyMetadata.KeyId --output text)
bk-encrypt -k "$kr" <"$in" >"$BENCH_DIR/1g-ring.bk"
bk-encrypt --kms-key-id "$key" <"$in" >"$BENCH_DIR/1g-kms.bk"
bk-encrypt --kms-key-id "$key" <"$mib" >"$BENCH_DIR/1m-kms.bk"
bk-encrypt -k "$kr" <"$mib" >"$BENCH_DIR/1m-ring.bk"

bench_group "KMS: encrypt 1 GiB (file to /dev/null)"
bench "bk-encrypt -k keyring < 1GiB" $((1 << 30)) \
    "bk-encrypt -k $kr <$in >/dev/null"
bench "bk-encrypt --kms-key-id ID < 1GiB" $((1 << 30)) \
    "bk-encrypt --kms-key-id $key <$in >/dev/null"
bench_group "KMS: decrypt 1 GiB (file to /dev/null)"
bench "bk-encrypt -d -k keyring < 1GiB.bk" $((1 << 30)) \
    "bk-encrypt -d -k $kr <$BENCH_DIR/1g-ring.bk >/dev/null"
bench "bk-encrypt -d < 1GiB-kms.bk" $((1 << 30)) \
    "bk-encrypt -d <$BENCH_DIR/1g-kms.bk >/dev/null"
bench_group "KMS: 100 containers of 1 MiB (one key operation each, local-kms)"
bench "100 x bk-encrypt -k keyring < 1MiB" $((100 << 20)) \
    "for i in {1..100}; do bk-encrypt -k $kr <$mib >/dev/null; done"
bench "100 x bk-encrypt --kms-key-id ID < 1MiB" $((100 << 20)) \
    "for i in {1..100}; do bk-encrypt --kms-key-id $key <$mib >/dev/null; done"
bench "100 x bk-encrypt -d -k keyring < 1MiB.bk" $((100 << 20)) \
    "for i in {1..100}; do bk-encrypt -d -k $kr <$BENCH_DIR/1m-ring.bk >/dev/null; done"
bench "100 x bk-encrypt -d < 1MiB-kms.bk" $((100 << 20)) \
    "for i in {1..100}; do bk-encrypt -d <$BENCH_DIR/1m-kms.bk >/dev/null; done"
rm -f "$BENCH_DIR"/1g-*.bk "$BENCH_DIR"/1m-*.bk
