#!/bin/bash
# bk-restore --files against a hostile stream: 100k members with ~4 KB
# names (every tenth a directory), a few hundred KB of zstd.  Extraction
# and --validate, with GNU tar and bsdtar extracting the same stream.
# Peak RSS is the figure to watch: it must not grow with the names' bytes
# (before the fix: 407 MB to extract, 407 MB to validate).
. "$BK_TOP/tests/bench/lib.sh"

n=100000
stream=$BENCH_DIR/long-names.tar.zst
"${PY:-/usr/bin/python3}" "$BK_TOP/tests/mktar_hostile.py" --long-names "$n" |
    zstd -q -c >"$stream"
bytes=$(zstd -dc "$stream" | wc -c)
out=$BENCH_DIR/bounds-out
tar=$BENCH_DIR/long-names.tar
zstd -q -dc "$stream" >"$tar"

bench_group "100k members with 4 KB names ($(( $(stat -c %s "$stream") / 1000 )) KB zstd, $((bytes / 1000000)) MB tar): extract"
bench "bk-restore --files out < stream.zst" "$bytes" "bk-restore --files $out <$stream" "rm -rf $out"
bench "tar -xf - -C out < stream.tar" "$bytes" "tar -xf - -C $out <$tar" "rm -rf $out && mkdir $out"
bench "bsdtar -xf - -C out < stream.tar" "$bytes" "bsdtar -xf - -C $out <$tar" "rm -rf $out && mkdir $out"
rm -rf "$out"
bk-restore --files "$out" <"$stream"
bench_group "100k members with 4 KB names: compare with the tree"
bench "bk-restore --files out --validate < stream.zst" "$bytes" "bk-restore --files $out --validate <$stream >/dev/null || [ \$? = 1 ]"
bench "tar -df - -C out < stream.tar" "$bytes" "tar -df - -C $out <$tar >/dev/null"
rm -rf "$out" "$tar" "$stream"
