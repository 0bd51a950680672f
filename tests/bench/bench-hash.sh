#!/bin/bash
# bk-hash against openssl dgst and sha256sum, 1 GiB from a file.
. "$BK_TOP/tests/bench/lib.sh"
in=$(bench_input hash-1g $((1 << 30)))
small=$(bench_input hash-64m $((64 << 20)))
bench_group "SHA-256 of 1 GiB (bk-hash passes the data through to /dev/null)"
bench "bk-hash -o sum < 1GiB > /dev/null" $((1 << 30)) "bk-hash -o $BENCH_DIR/sum <$in >/dev/null"
bench "openssl dgst -sha256 < 1GiB" $((1 << 30)) "openssl dgst -sha256 <$in >/dev/null"
bench "sha256sum < 1GiB" $((1 << 30)) "sha256sum <$in >/dev/null"
bench_flat bk-hash "$small" "$in" "bk-hash -o $BENCH_DIR/sum <{} >/dev/null"
bench_group "bk-hash in a pipe (cat 1 GiB | tool)"
bench "cat | bk-hash > /dev/null" $((1 << 30)) "cat $in | bk-hash -o $BENCH_DIR/sum >/dev/null"
bench "cat | openssl dgst -sha256" $((1 << 30)) "cat $in | openssl dgst -sha256 >/dev/null"
