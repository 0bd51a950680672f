#!/bin/bash
# bk-dump --files / bk-restore --files against GNU tar: 100k small files
# (1-4 KiB) and 3 large files of 300 MB, archive to /dev/null and a file,
# extraction into a fresh directory.
. "$BK_TOP/tests/bench/lib.sh"

tree=$BENCH_DIR/files-small
big=$BENCH_DIR/files-large
if [ ! -d "$tree" ]; then
	echo "bench-files: making 100k small files" >&2
	# 100 directories of 1000 files, 1-4 KiB each, from one random pool.
	pool=$(bench_input files-pool $((4 << 20)))
	"${PY:-/usr/bin/python3}" - "$tree" "$pool" <<'PYEOF'
import os, sys
root, pool = sys.argv[1], open(sys.argv[2], "rb").read()
for d in range(100):
    p = os.path.join(root, "d%03d" % d)
    os.makedirs(p)
    for f in range(1000):
        n = 1024 + (d * 1000 + f) * 7919 % 3073
        off = (d * 1000 + f) * 4099 % (len(pool) - n)
        with open(os.path.join(p, "f%04d" % f), "wb") as fh:
            fh.write(pool[off:off + n])
PYEOF
fi
if [ ! -d "$big" ]; then
	mkdir -p "$big"
	for i in 1 2 3; do
		cp "$(bench_input "files-300m-$i" 300000000)" "$big/large$i"
	done
fi
small_bytes=$(du -sb --apparent-size "$tree" | cut -f1)
big_bytes=$(du -sb --apparent-size "$big" | cut -f1)
nfiles=100000
out=$BENCH_DIR/files-out

bench_group "100k small files (1-4 KiB, $((small_bytes / 1000000)) MB): archive to /dev/null"
bench "bk-dump --files tree > /dev/null" "$small_bytes" "bk-dump --files $tree >/dev/null"
bench "tar -cf - -C tree . > /dev/null" "$small_bytes" "tar -cf - -C $tree . | cat >/dev/null"
bench "bsdtar -cf - -C tree . > /dev/null" "$small_bytes" "bsdtar -cf - -C $tree . | cat >/dev/null"
bench "bk-dump --files tree -z zstd > /dev/null" "$small_bytes" "bk-dump --files $tree -z zstd >/dev/null"

bk-dump --files "$tree" >"$BENCH_DIR/small.tar"
bench_group "100k small files: extract into an empty directory"
bench "bk-restore --files out < small.tar" "$small_bytes" "bk-restore --files $out <$BENCH_DIR/small.tar" "rm -rf $out"
bench "tar -xf - -C out < small.tar" "$small_bytes" "tar -xf - -C $out <$BENCH_DIR/small.tar" "rm -rf $out && mkdir $out"
bench "bsdtar -xf - -C out < small.tar" "$small_bytes" "bsdtar -xf - -C $out <$BENCH_DIR/small.tar" "rm -rf $out && mkdir $out"

bench_group "3 large files (3 x 300 MB): archive to /dev/null"
bench "bk-dump --files large > /dev/null" "$big_bytes" "bk-dump --files $big >/dev/null"
bench "tar -cf - -C large . > /dev/null" "$big_bytes" "tar -cf - -C $big . | cat >/dev/null"

bk-dump --files "$big" >"$BENCH_DIR/large.tar"
bench_group "3 large files: extract into an empty directory"
bench "bk-restore --files out < large.tar" "$big_bytes" "bk-restore --files $out <$BENCH_DIR/large.tar" "rm -rf $out"
bench "tar -xf - -C out < large.tar" "$big_bytes" "tar -xf - -C $out <$BENCH_DIR/large.tar" "rm -rf $out && mkdir $out"
rm -rf "$out" "$BENCH_DIR/small.tar" "$BENCH_DIR/large.tar"
{
	echo
	echo "Files per second for the 100k tree: divide $nfiles by the seconds"
	echo "implied above (MB / (MB/s)); the tree is $small_bytes bytes."
} >>"$BENCH_OUT"
