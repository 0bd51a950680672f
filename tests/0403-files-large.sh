#!/bin/bash
# A file larger than ustar's 8 GiB limit: its size travels in a pax
# header; GNU tar lists the right size; bk-restore writes it back with
# holes where the zeros were.  (Sparse input, so this takes seconds.)
. "$BK_TOP/tests/lib.sh"

size=$(( (8 << 30) + 4096 ))
mkdir src
truncate -s "$size" src/sparse
printf 'END' | dd of=src/sparse bs=1 seek=$((size - 100)) conv=notrunc 2>/dev/null
# GNU tar reads the size from the pax header (the first 10 KiB suffice).
{ bk-dump --files src 2>/dev/null || true; } | head -c 10240 | { tar -tvf - 2>/dev/null || true; } >list
expect_grep " $size .* sparse$" list
bk-dump --files src | bk-restore --files out
[ "$(stat -c %s out/sparse)" = "$size" ] || fail "size $(stat -c %s out/sparse)"
[ "$(tail -c 100 out/sparse | head -c 3)" = END ] || fail "the data at the end is lost"
[ "$(du -k out/sparse | cut -f1)" -lt 1024 ] || fail "restored file is not sparse: $(du -k out/sparse)"
exit 0
