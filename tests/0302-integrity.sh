#!/bin/bash
# bk-restore --dry-run checks a whole archive without any server: it
# accepts a good one (plain, gzip, zstd) and rejects, with exit 1 and the
# byte offset, the archive cut at 20 random offsets and with single bytes
# changed at 20 random places after the prelude.
. "$BK_TOP/tests/lib.sh"

start_ferretdb "$T/fdb"
"$PY" "$BK_TOP/tests/seed_mongo.py" seed "$FERRETDB_URI" --small 2000 --big-mib 1 >/dev/null
bk-dump --uri "$FERRETDB_URI" >"$T/a.arch"
bk-dump --uri "$FERRETDB_URI" -z gzip >"$T/a.gz"
kill "$FERRETDB_PID"

bk-restore --dry-run <"$T/a.arch" >"$T/plan" || fail "good archive rejected"
expect_grep '^shop.orders -> shop.orders: 2000 documents' "$T/plan"
bk-restore --dry-run <"$T/a.gz" >/dev/null || fail "good gzip archive rejected"

size=$(stat -c %s "$T/a.arch")
# Where the prelude ends, so corruption lands in the data.
start=$("$PY" -c '
import struct,sys
b=open(sys.argv[1],"rb").read(); o=4
o+=struct.unpack("<I",b[o:o+4])[0]
while b[o:o+4]!=b"\xff"*4: o+=struct.unpack("<I",b[o:o+4])[0]
print(o+4)' "$T/a.arch")
for off in $(shuf -i "1-$((size - 1))" -n 20 --random-source=<(gen_bytes cut 100000)); do
	head -c "$off" "$T/a.arch" >"$T/cut"
	expect_exit 1 bk-restore --dry-run <"$T/cut" >/dev/null 2>"$T/err"
	expect_grep 'byte [0-9]+' "$T/err"
done
gzsize=$(stat -c %s "$T/a.gz")
for off in $(shuf -i "1-$((gzsize - 1))" -n 5 --random-source=<(gen_bytes gzcut 100000)); do
	head -c "$off" "$T/a.gz" >"$T/cut"
	expect_exit 1 bk-restore --dry-run <"$T/cut" >/dev/null 2>/dev/null
done
for off in $(shuf -i "$start-$((size - 1))" -n 20 --random-source=<(gen_bytes flip 100000)); do
	cp "$T/a.arch" "$T/bad"
	printf '\x5a' | dd of="$T/bad" bs=1 seek="$off" conv=notrunc status=none
	cmp -s "$T/bad" "$T/a.arch" && continue
	expect_exit 1 bk-restore --dry-run <"$T/bad" >/dev/null 2>"$T/err"
done
# A CRC mismatch names the namespace and the offset.
"$PY" - "$T/a.arch" "$T/crc" <<'PYEOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.find(b"sku-00042")
b[i + 4] ^= 0x01
open(sys.argv[2], "wb").write(b)
PYEOF
expect_exit 1 bk-restore --dry-run <"$T/crc" 2>"$T/err" >/dev/null
expect_grep 'namespace shop.orders: CRC mismatch at byte [0-9]+ \(archive says 0x[0-9a-f]{16}, documents give 0x[0-9a-f]{16}\)' "$T/err"
# Zero bytes is not a corrupt backup: an earlier stage failed (exit 3).
expect_exit 3 bk-restore --dry-run </dev/null 2>"$T/err"
expect_grep 'empty input: an earlier stage of the pipeline probably failed' "$T/err"
# Two bytes of the magic are a truncated archive.
printf '\x6d\xe2' | { expect_exit 1 bk-restore --dry-run 2>"$T/err"; }
expect_grep 'truncated at byte 0' "$T/err"
echo "not an archive" | { expect_exit 1 bk-restore --dry-run 2>/dev/null; }
echo ok
